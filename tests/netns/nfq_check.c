/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The queue side of tests/netns/nfq.sh, run in the server namespace:
 *   nfq_check QUEUE COUNT CLIENT_ADDR SECONDS [MAXLEN STALL_MS]
 * judges COUNT packets by their payload ("pass" accept, "drop" drop, "echo"
 * drop and answer "reply ..." through the raw socket), then exits. With
 * STALL_MS it reads nothing for that long first, so a queue of MAXLEN fills.
 *   nfq_check --expect-eperm QUEUE
 * expects the bind to be refused (run without CAP_NET_ADMIN).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netfilter.h>

#include "addr.h"
#include "err.h"
#include "log.h"
#include "../../src/ckqd/nfq.h"
#include "pkt.h"
#include "tap.h"

#define KNOCK_PORT 8888
#define MAX_SECONDS 10

struct state {
	struct ckq_addr client;
	int raw;
	unsigned int calls, parse_err, bad_src, unknown;
	unsigned int pass, drop, echo, echo_sent;
};

static int has_prefix(const struct pkt_udp *u, const char *word)
{
	size_t n = strlen(word);

	return u->payload_len >= n && !memcmp(u->payload, word, n);
}

static void answer(struct state *st, const struct pkt_udp *u)
{
	static const uint8_t tag[] = "reply";
	static uint8_t out[PKT_MAX_LEN];
	uint8_t msg[512];
	size_t rest = u->payload_len - 4;
	int n;

	if (rest > sizeof(msg) - 5)
		return;
	memcpy(msg, tag, 5);
	memcpy(msg + 5, u->payload + 4, rest);
	n = pkt_build_udp(out, sizeof(out), &u->dst, KNOCK_PORT, &u->src,
			  u->sport, msg, 5 + rest);
	if (n < 0) {
		printf("# build: %s\n", ckq_strerror(n));
		return;
	}
	if (pkt_raw_send(st->raw, out, (size_t)n) == 0)
		st->echo_sent++;
	else
		printf("# raw send: %s\n", strerror(errno));
}

static int judge(const uint8_t *pkt, size_t len, void *arg)
{
	struct state *st = arg;
	struct pkt_udp u;

	st->calls++;
	if (pkt_parse_udp(pkt, len, &u) < 0) {
		st->parse_err++;
		return NF_DROP;
	}
	if (!addr_equal(&u.src, &st->client) || u.dport != KNOCK_PORT) {
		st->bad_src++;
		return NF_DROP;
	}
	if (has_prefix(&u, "pass ")) {
		st->pass++;
		return NF_ACCEPT;
	}
	if (has_prefix(&u, "drop ")) {
		st->drop++;
		return NF_DROP;
	}
	if (has_prefix(&u, "echo ")) {
		st->echo++;
		answer(st, &u);
		return NF_DROP;
	}
	st->unknown++;
	return NF_DROP;
}

/* The kernel's own view of the queue, one line per bound queue. */
struct qstat {
	unsigned int num, portid, total, mode, range, dropped, user_dropped;
};

static int queue_stat(uint16_t queue, struct qstat *q)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "r");
	unsigned int seq;
	int found = 0, i;

	if (!f)
		return 0;
	for (i = 0; i < 65536 && !found; i++) {
		if (fscanf(f, "%u %u %u %u %u %u %u %u %*d", &q->num,
			   &q->portid, &q->total, &q->mode, &q->range,
			   &q->dropped, &q->user_dropped, &seq) != 8)
			break;
		found = q->num == queue;
	}
	fclose(f);
	return found;
}

static long arg_num(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > max)
		bail_out("bad numeric argument");
	return v;
}

static int expect_eperm(uint16_t queue)
{
	struct nfqueue *q;

	errno = 0;
	q = nfqueue_open(queue, 0);
	ok(q == NULL, "bind without CAP_NET_ADMIN refused");
	is_int(errno, EPERM, "errno is EPERM");
	nfqueue_close(q);
	return done_testing();
}

int main(int argc, char **argv)
{
	struct state st;
	struct qstat qs;
	struct nfqueue *q, *q2;
	struct pollfd pfd;
	uint64_t deadline;
	unsigned int count, handled = 0;
	uint32_t maxlen = 0;
	long stall_ms = 0;
	uint16_t queue;
	int r, io_err = 0;

	log_open("nfq_check", true, LOG_INFO);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "--expect-eperm"))
		return expect_eperm((uint16_t)arg_num(argv[2], 65535));
	if (argc != 5 && argc != 7)
		bail_out("usage: nfq_check QUEUE COUNT CLIENT_ADDR SECONDS "
			 "[MAXLEN STALL_MS]");

	memset(&st, 0, sizeof(st));
	queue = (uint16_t)arg_num(argv[1], 65535);
	count = (unsigned int)arg_num(argv[2], 100000);
	if (addr_parse(argv[3], &st.client) < 0)
		bail_out("bad client address");
	deadline = mono_ms() + 1000 * (uint64_t)arg_num(argv[4], MAX_SECONDS);
	if (argc == 7) {
		maxlen = (uint32_t)arg_num(argv[5], 65536);
		stall_ms = arg_num(argv[6], 1000L * MAX_SECONDS);
	}

	q = nfqueue_open(queue, maxlen);
	if (!ok(q != NULL, "queue %u bound", queue))
		bail_out("cannot bind the queue");
	errno = 0;
	q2 = nfqueue_open(queue, 0);
	ok(q2 == NULL && errno == EPERM,
	   "a second bind of queue %u is refused with EPERM", queue);
	nfqueue_close(q2);
	st.raw = pkt_raw_open(st.client.family);
	if (!ok(st.raw >= 0, "raw socket opened"))
		bail_out("no raw socket");
	is_int(nfqueue_process(q, judge, &st), 0,
	       "nothing waiting: process returns 0 without blocking");
	if (stall_ms)
		usleep((useconds_t)stall_ms * 1000);

	pfd.fd = nfqueue_fd(q);
	pfd.events = POLLIN;
	while (handled < count) {
		uint64_t now = mono_ms();

		if (now >= deadline)
			break;
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		/* Drain what is there, as the daemon's loop will. */
		while ((r = nfqueue_process(q, judge, &st)) > 0)
			handled += (unsigned int)r;
		if (r < 0) {
			printf("# nfqueue_process: %s: %s\n", ckq_strerror(r),
			       strerror(errno));
			io_err++;
			break;
		}
	}

	is_int(io_err, 0, "no queue I/O errors");
	is_int(handled, count, "%u packets got a verdict", count);
	is_int(st.calls, handled, "the handler saw each of them once");
	is_int(st.parse_err, 0, "every packet parsed as UDP");
	is_int(st.bad_src, 0, "every packet came from %s to port %d", argv[3],
	       KNOCK_PORT);
	is_int(st.unknown, 0, "every payload was recognised");
	if (!stall_ms)
		ok(st.pass && st.drop && st.echo, "pass, drop and echo all seen");
	is_int(st.echo_sent, st.echo, "every echo answered through the raw socket");
	is_int(nfqueue_dropped(q), 0, "no overruns");
	if (ok(queue_stat(queue, &qs), "queue %u listed by the kernel", queue)) {
		is_int(qs.total, 0, "no packet left waiting for a verdict");
		/* The kernel caps the range at 0xffff less an attribute header. */
		ok(qs.mode == 2 && qs.range == 0xffff - 4,
		   "kernel copies whole packets, as much as it can (%u)",
		   qs.range);
		is_int(qs.user_dropped, 0, "no packet lost on the way to us");
		printf("# queue_dropped %u\n", qs.dropped);
	}
	printf("# pass %u drop %u echo %u\n", st.pass, st.drop, st.echo);

	close(st.raw);
	nfqueue_close(q);
	nfqueue_close(NULL);
	return done_testing();
}
