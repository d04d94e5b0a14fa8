/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A load generator of whole knocks, many at once, each from its own source
 * address (the client namespace routes a range to lo: any address in it is
 * local). Every message 1 is built before the clock starts, so the timed
 * part costs the client what a knock must cost it online: one RSA signature
 * (message 3) and two AEAD openings.
 *
 *   knockgen [-2] -s SERVER -k server.pub -K KEYDIR -P POOL -f FIRST -n COUNT
 *            -S FIRST_SOURCE [-w WINDOW] [-T TIMEOUT_MS] [-a ATTEMPTS]
 *            [-t SECONDS] [-p PORT] [-o LATENCY_FILE]
 *
 * Knock i is user u<FIRST+i> with key k<(FIRST+i) % POOL>, from FIRST_SOURCE
 * + i. With -2 the knocks are suite 2's (doc/protocol.md 11), with the
 * Ed25519 keys e<N>.key of mkusers keys2 and the X25519 key of server.pub;
 * message 1 is signed beforehand too, and a suite 2 client signs nothing
 * online. The latency of a knock runs from the first send of message 1 to the
 * receipt of message 4, which ckqd sends once the ipset entry exists.
 * Prints "key value" lines.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "conf.h"
#include "err.h"
#include "proto.h"
#include "proto2.h"

enum { PH_FREE, PH_CHALLENGE, PH_RESULT };

struct knock {
	uint8_t m1[CKQ_MSG_MAX];
	size_t m1_len, m1_core;	/* core: without the mac2 a cookie adds */
	struct ckq_session s;
	struct s2_session s2;	/* -2 */
	const struct ckq_key *client;
	uint32_t src;
	uint64_t latency_ns;	/* 0: not granted */
};

struct slot {
	int fd;
	int phase;
	size_t knock;
	uint64_t t0, sent;
	unsigned int tries;
	uint8_t m3[CKQ_MSG_MAX];
	size_t m3_len;
};

/* Suite 2 (-2): the server's X25519 key and the users' Ed25519 keys. */
static bool suite2;
static struct s2_server srv2;
struct ed_user {
	uint8_t seed[CKQ_ED25519_LEN];
	struct ckq_sshkey key;
};
static struct ed_user *pool2;

struct opts {
	uint32_t server, source;
	uint16_t port;
	const char *server_key, *keydir, *latency_file;
	unsigned int pool, first, count, window, timeout_ms, attempts, seconds;
};

static int prepare(const struct opts *o, const struct ckq_key *server,
		   struct ckq_key **pool, struct knock *kn)
{
	uint64_t now = (uint64_t)time(NULL);
	/* A step whose code the server takes from now-15 s to now+45 s at least. */
	uint64_t step = (now + 15) / TOTP_STEP;
	unsigned int i;

	for (i = 0; i < o->count; i++) {
		struct ckq_request req;
		uint8_t secret[TOTP_SECRET_LEN];
		unsigned int u = o->first + i;
		int ret;

		memset(&req, 0, sizeof(req));
		snprintf(req.user, sizeof(req.user), BENCH_USER_FMT, u);
		req.request = CKQ_REQ_OPEN;
		req.addr.family = CKQ_AF_INET;
		kn[i].src = bench_addr_nth(o->source, i);
		memcpy(req.addr.a, &kn[i].src, 4);
		req.proto = CKQ_PROTO_TCP;
		req.port = 22;
		req.duration = 600;
		req.timestamp = now;
		if (bench_totp_secret(req.user, secret) < 0 ||
		    totp_code(secret, sizeof(secret), step * TOTP_STEP, TOTP_DIGITS, &req.otp) < 0 ||
		    ckq_random(req.nc, sizeof(req.nc)) < 0)
			return -1;
		if (suite2) {
			const struct ed_user *e = &pool2[u % o->pool];
			struct s2_request_state st;
			uint8_t sig[CKQ_ED25519_SIG_LEN];
			const uint8_t *tbs;
			size_t tbs_len;

			ret = s2_request_begin(&srv2, &e->key, &req, &st, &tbs, &tbs_len);
			if (ret == 0 && (ret = ed25519_sign(e->seed, tbs, tbs_len, sig)) < 0)
				s2_request_abort(&st);
			if (ret == 0)
				ret = s2_request_end(&st, sig, sizeof(sig), &kn[i].s2, kn[i].m1,
						     sizeof(kn[i].m1), &kn[i].m1_len);
		} else {
			kn[i].client = pool[u % o->pool];
			ret = proto_request_build(server, kn[i].client, &req, &kn[i].s, kn[i].m1,
						  sizeof(kn[i].m1), &kn[i].m1_len);
		}
		kn[i].m1_core = kn[i].m1_len;
		wipe(secret, sizeof(secret));
		if (ret < 0) {
			fprintf(stderr, "knockgen: message 1 of %s: %s\n", req.user, ckq_strerror(ret));
			return -1;
		}
	}
	return 0;
}

static int slot_start(const struct opts *o, int ep, struct slot *sl, size_t idx,
		      struct knock *k)
{
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_addr.s_addr = k->src };
	struct sockaddr_in dst = {
		.sin_family = AF_INET, .sin_addr.s_addr = o->server, .sin_port = htons(o->port),
	};
	struct epoll_event ev = { .events = EPOLLIN };

	sl->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sl->fd < 0)
		return -1;
	ev.data.ptr = sl;
	if (bind(sl->fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    connect(sl->fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, sl->fd, &ev) < 0) {
		close(sl->fd);
		sl->fd = -1;
		return -1;
	}
	sl->knock = idx;
	sl->phase = PH_CHALLENGE;
	sl->t0 = sl->sent = bench_ns();
	sl->tries = 1;
	if (send(sl->fd, k->m1, k->m1_len, 0) < 0 && errno != EAGAIN) {
		close(sl->fd);
		sl->fd = -1;
		return -1;
	}
	return 0;
}

static void slot_end(struct slot *sl)
{
	close(sl->fd);
	sl->fd = -1;
	sl->phase = PH_FREE;
}

/* Returns 1 when the knock is over (granted or given up), else 0. */
static int slot_input(const struct ckq_key *server, struct slot *sl, struct knock *k)
{
	uint8_t buf[2048];
	int i;

	for (i = 0; i < 64; i++) {
		ssize_t n = recv(sl->fd, buf, sizeof(buf), 0);
		struct ckq_result res;

		if (n < 0)
			return 0;
		if (suite2 && sl->phase == PH_CHALLENGE) {
			uint8_t cookie[CKQ_COOKIE_LEN];

			if (s2_cookie_open(&srv2, k->m1, k->m1_core, buf, (size_t)n, cookie) == 0) {
				if (proto_request_set_mac2(k->m1, k->m1_core, sizeof(k->m1), cookie,
							   &k->m1_len) == 0 &&
				    send(sl->fd, k->m1, k->m1_len, 0) < 0 && errno != EAGAIN)
					return 1;
				continue;
			}
			if (s2_challenge_open(&srv2, &k->s2, buf, (size_t)n) < 0)
				continue;
			if (s2_response_build(&srv2, &k->s2, sl->m3, sizeof(sl->m3), &sl->m3_len) < 0)
				return 1;
			sl->phase = PH_RESULT;
			sl->sent = bench_ns();
			sl->tries = 1;
			if (send(sl->fd, sl->m3, sl->m3_len, 0) < 0 && errno != EAGAIN)
				return 1;
		} else if (suite2) {
			if (s2_result_open(&srv2, &k->s2, buf, (size_t)n, &res) < 0)
				continue;
			if (res.status == CKQ_RES_GRANTED)
				k->latency_ns = bench_ns() - sl->t0;
			return 1;
		} else if (sl->phase == PH_CHALLENGE) {
			uint8_t cookie[CKQ_COOKIE_LEN];

			/* ckqd under load: prove the address with the mac2, as ckq does. */
			if (proto_cookie_open(server, k->m1, k->m1_core, buf, (size_t)n, cookie) == 0) {
				if (proto_request_set_mac2(k->m1, k->m1_core, sizeof(k->m1), cookie,
							   &k->m1_len) == 0 &&
				    send(sl->fd, k->m1, k->m1_len, 0) < 0 && errno != EAGAIN)
					return 1;
				continue;
			}
			if (proto_challenge_open(server, &k->s, buf, (size_t)n) < 0)
				continue;
			if (proto_response_build(server, k->client, &k->s, sl->m3, sizeof(sl->m3),
						 &sl->m3_len) < 0)
				return 1;
			sl->phase = PH_RESULT;
			sl->sent = bench_ns();
			sl->tries = 1;
			if (send(sl->fd, sl->m3, sl->m3_len, 0) < 0 && errno != EAGAIN)
				return 1;
		} else if (sl->phase == PH_RESULT) {
			if (proto_result_open(server, &k->s, buf, (size_t)n, &res) < 0)
				continue;
			if (res.status == CKQ_RES_GRANTED)
				k->latency_ns = bench_ns() - sl->t0;
			return 1;
		}
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int run(const struct opts *o, const struct ckq_key *server, struct knock *kn)
{
	struct slot *slots = calloc(o->window, sizeof(*slots));
	uint64_t start, deadline, last_done, retransmits = 0, *lat;
	size_t next = 0, active = 0, granted = 0, failed = 0, i, nlat = 0;
	struct epoll_event ev[64];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	FILE *lf = NULL;

	if (!slots || ep < 0)
		return 1;
	for (i = 0; i < o->window; i++)
		slots[i].fd = -1;
	start = last_done = bench_ns();
	deadline = start + (uint64_t)o->seconds * 1000000000u;
	while ((next < o->count && bench_ns() < deadline) || active > 0) {
		uint64_t now;
		int n, j;

		for (i = 0; i < o->window && next < o->count && bench_ns() < deadline; i++) {
			if (slots[i].phase != PH_FREE)
				continue;
			if (slot_start(o, ep, &slots[i], next, &kn[next]) < 0) {
				fprintf(stderr, "knockgen: cannot start knock %zu: %s\n", next,
					strerror(errno));
				failed++;
			} else {
				active++;
			}
			next++;
		}
		n = epoll_wait(ep, ev, 64, 2);
		for (j = 0; j < n; j++) {
			struct slot *sl = ev[j].data.ptr;

			if (sl->phase == PH_FREE)
				continue;
			if (slot_input(server, sl, &kn[sl->knock])) {
				if (kn[sl->knock].latency_ns) {
					granted++;
					last_done = bench_ns();
				} else {
					failed++;
				}
				slot_end(sl);
				active--;
			}
		}
		now = bench_ns();
		for (i = 0; i < o->window; i++) {
			struct slot *sl = &slots[i];
			const uint8_t *m;
			size_t len;

			if (sl->phase == PH_FREE || now - sl->sent < (uint64_t)o->timeout_ms * 1000000u)
				continue;
			if (sl->tries >= o->attempts) {
				failed++;
				slot_end(sl);
				active--;
				continue;
			}
			m = sl->phase == PH_CHALLENGE ? kn[sl->knock].m1 : sl->m3;
			len = sl->phase == PH_CHALLENGE ? kn[sl->knock].m1_len : sl->m3_len;
			sl->tries++;
			sl->sent = now;
			retransmits++;
			if (send(sl->fd, m, len, 0) < 0 && errno != EAGAIN) {
				failed++;
				slot_end(sl);
				active--;
			}
		}
	}
	close(ep);
	free(slots);

	lat = calloc(next ? next : 1, sizeof(*lat));
	if (!lat)
		return 1;
	if (o->latency_file)
		lf = fopen(o->latency_file, "we");
	for (i = 0; i < next; i++) {
		if (kn[i].latency_ns)
			lat[nlat++] = kn[i].latency_ns;
		if (lf)
			fprintf(lf, "%llu\n", (unsigned long long)kn[i].latency_ns / 1000);
	}
	if (lf)
		fclose(lf);
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	printf("knocks %zu\ngranted %zu\nfailed %zu\nretransmits %llu\n", next, granted, failed,
	       (unsigned long long)retransmits);
	printf("seconds %.6f\n", (double)(last_done - start) / 1e9);
	printf("rate %.1f\n", granted && last_done > start ?
	       (double)granted / ((double)(last_done - start) / 1e9) : 0.0);
	if (nlat) {
		printf("lat_p50_us %.1f\n", (double)lat[(nlat - 1) / 2] / 1e3);
		printf("lat_p99_us %.1f\n", (double)lat[(nlat - 1) * 99 / 100] / 1e3);
		printf("lat_max_us %.1f\n", (double)lat[nlat - 1] / 1e3);
	}
	free(lat);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: knockgen [-2] -s SERVER -k server.pub -K KEYDIR -P POOL -f FIRST -n COUNT\n"
		"                -S FIRST_SOURCE [-w WINDOW] [-T TIMEOUT_MS] [-a ATTEMPTS]\n"
		"                [-t SECONDS] [-p PORT] [-o LATENCY_FILE]\n");
	exit(2);
}

int main(int argc, char *argv[])
{
	struct opts o = {
		.port = 8888, .pool = 1, .count = 1, .window = 1, .timeout_ms = 1000,
		.attempts = 5, .seconds = 10,
	};
	struct ckq_key *server, **pool;
	struct knock *kn;
	bool have_server = false, have_source = false;
	char path[4096];
	unsigned int i;
	int opt, rc;

	while ((opt = getopt(argc, argv, "2s:p:k:K:P:f:n:S:w:T:a:t:o:")) != -1) {
		switch (opt) {
		case '2': suite2 = true; break;
		case 's': have_server = bench_parse_ipv4(optarg, &o.server) == 0; break;
		case 'p': o.port = (uint16_t)strtoul(optarg, NULL, 10); break;
		case 'k': o.server_key = optarg; break;
		case 'K': o.keydir = optarg; break;
		case 'P': o.pool = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'f': o.first = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'n': o.count = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'S': have_source = bench_parse_ipv4(optarg, &o.source) == 0; break;
		case 'w': o.window = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'T': o.timeout_ms = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'a': o.attempts = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 't': o.seconds = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'o': o.latency_file = optarg; break;
		default: usage();
		}
	}
	if (!have_server || !have_source || !o.server_key || !o.keydir || !o.pool || !o.count ||
	    !o.window || o.window > 4096 || !o.attempts || !o.seconds || o.seconds > 600 ||
	    o.count > 200000 || o.first + o.count > BENCH_USER_MAX + 1)
		usage();
	server = bench_load_key(o.server_key, false);
	if (!server) {
		fprintf(stderr, "knockgen: cannot load %s\n", o.server_key);
		return 1;
	}
	pool = calloc(o.pool, sizeof(*pool));
	pool2 = calloc(o.pool, sizeof(*pool2));
	kn = calloc(o.count, sizeof(*kn));
	if (!pool || !pool2 || !kn)
		return 1;
	if (suite2) {
		struct server_pubkeys pk;
		char err[256];

		if (server_pub_load(o.server_key, &pk, err, sizeof(err)) < 0 || !pk.has_x25519 ||
		    s2_server_init(pk.x25519, NULL, &srv2) < 0) {
			fprintf(stderr, "knockgen: no X25519 key in %s\n", o.server_key);
			return 1;
		}
		server_pubkeys_clear(&pk);
	}
	for (i = 0; i < o.pool; i++) {
		snprintf(path, sizeof(path), "%s/%c%u.key", o.keydir, suite2 ? 'e' : 'k', i);
		if (suite2) {
			uint8_t blob[64];

			memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
			if (bench_ed25519_load(path, pool2[i].seed) < 0 ||
			    ed25519_public(pool2[i].seed, blob + 19) < 0 ||
			    sshkey_from_blob(blob, 51, &pool2[i].key) < 0) {
				fprintf(stderr, "knockgen: cannot load %s\n", path);
				return 1;
			}
			continue;
		}
		pool[i] = bench_load_key(path, true);
		if (!pool[i]) {
			fprintf(stderr, "knockgen: cannot load %s\n", path);
			return 1;
		}
	}
	if (prepare(&o, server, pool, kn) < 0)
		return 1;
	rc = run(&o, server, kn);
	for (i = 0; i < o.pool; i++)
		key_free(pool[i]);
	free(pool);
	wipe(pool2, o.pool * sizeof(*pool2));
	free(pool2);
	key_free(server);
	wipe(kn, o.count * sizeof(*kn));
	free(kn);
	return rc;
}
