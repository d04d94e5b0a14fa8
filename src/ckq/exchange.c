/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "err.h"
#include "knock.h"
#include "log.h"	/* mono_ms */
#include "userkey.h"
#include "util.h"

/* accept's answers: it changed the message (a cookie came), send it now; or ignore this one. */
#define RESEND 2
#define IGNORED 3
/* Cookie rounds a knock takes at most: the server asks for one at a time. */
#define COOKIE_ROUNDS 4

/*
 * Sends msg up to k->attempts times and returns the first datagram that
 * `accept` takes. Datagrams it refuses are counted: if nothing else came,
 * someone other than the server answered. 1 when a signal ended the wait.
 * A cookie reply (the server is under load) makes accept add the mac2 to
 * msg: it is sent again at once, without using up an attempt.
 */
static int exchange(struct knock *k, const uint8_t *msg, const size_t *len,
		    int (*accept)(struct knock *, const uint8_t *, size_t, void *), void *arg)
{
	uint8_t buf[CKQ_MSG_MAX + 1];
	uint32_t i, rounds = 0;
	int r;

	for (i = 0; i < k->attempts; i++) {
		uint64_t deadline = mono_ms() + k->timeout_ms;

		if (send(k->fd, msg, *len, 0) < 0 && errno != ECONNREFUSED) {
			fprintf(stderr, "ckq: cannot send to %s: %s\n", k->address, strerror(errno));
			return CKQ_ERR_IO;
		}
		for (;;) {
			uint64_t now = mono_ms();
			struct pollfd pfd = { .fd = k->fd, .events = POLLIN };
			struct timespec ts;
			ssize_t n;

			if (knock_interrupted(k))
				return 1;
			if (now >= deadline)
				break;
			ts = ms_ts(deadline - now);
			if (ppoll(&pfd, 1, &ts, k->wait_mask) <= 0)
				continue;
			n = recv(k->fd, buf, sizeof(buf), 0);
			if (n < 0)
				continue;	/* ICMP errors surface here; keep waiting */
			r = accept(k, buf, (size_t)n, arg);
			if (r == 0)
				return 0;
			if (r == RESEND && rounds++ < COOKIE_ROUNDS) {
				i--;
				break;
			}
			if (r != RESEND && r != IGNORED)
				k->unauthentic++;
		}
	}
	return CKQ_ERR_NOENT;
}

/*
 * What differs between the suites: the keys of one knock and how each
 * message is built or opened. The loop above and knock_once below are
 * the same for both.
 */
struct knock_keys {
	struct ckq_session s1;
	struct s2_session s2;
};

struct suite_ops {
	/* Message 1, signed; an exit code, said on stderr. */
	int (*request)(struct knock *k, struct knock_keys *kk, uint8_t *out, size_t cap,
		       size_t *len);
	int (*cookie)(const struct knock *k, const uint8_t *m1_core, size_t core_len,
		      const uint8_t *m, size_t n, uint8_t cookie[CKQ_COOKIE_LEN]);
	int (*challenge)(const struct knock *k, struct knock_keys *kk, const uint8_t *m,
			 size_t n);
	int (*response)(const struct knock *k, struct knock_keys *kk, uint8_t *out, size_t cap,
			size_t *len);
	int (*result)(const struct knock *k, struct knock_keys *kk, const uint8_t *m, size_t n,
		      struct ckq_result *res);
};

static int s1_request(struct knock *k, struct knock_keys *kk, uint8_t *out, size_t cap,
		      size_t *len)
{
	if (proto_request_build(k->server, k->client, &k->req, &kk->s1, out, cap, len) < 0) {
		fprintf(stderr, "ckq %s: cannot build the request\n", k->cmd);
		return EXIT_INPUT;
	}
	return 0;
}

static int s1_cookie(const struct knock *k, const uint8_t *m1_core, size_t core_len,
		     const uint8_t *m, size_t n, uint8_t cookie[CKQ_COOKIE_LEN])
{
	return proto_cookie_open(k->server, m1_core, core_len, m, n, cookie);
}

static int s1_challenge(const struct knock *k, struct knock_keys *kk, const uint8_t *m, size_t n)
{
	return proto_challenge_open(k->server, &kk->s1, m, n);
}

static int s1_response(const struct knock *k, struct knock_keys *kk, uint8_t *out, size_t cap,
		       size_t *len)
{
	return proto_response_build(k->server, k->client, &kk->s1, out, cap, len);
}

static int s1_result(const struct knock *k, struct knock_keys *kk, const uint8_t *m, size_t n,
		     struct ckq_result *res)
{
	return proto_result_open(k->server, &kk->s1, m, n, res);
}

static const struct suite_ops suite1 = {
	s1_request, s1_cookie, s1_challenge, s1_response, s1_result,
};

/*
 * Suite 2 signs once per knock, M₁ inside message 1 (doc/protocol.md
 * 11.3): with the key file or through ssh-agent, a touch for a security
 * key. The ephemeral key and K1 live only between begin and end.
 */
static int s2_request(struct knock *k, struct knock_keys *kk, uint8_t *out, size_t cap,
		      size_t *len)
{
	struct s2_request_state st;
	uint8_t sig[CKQ_SIG2_MAX];
	const uint8_t *tbs;
	size_t tbs_len = 0, sig_len = 0;
	int ret;

	if (s2_request_begin(&k->s2, &k->ssh, &k->req, &st, &tbs, &tbs_len) < 0) {
		fprintf(stderr, "ckq %s: cannot build the request\n", k->cmd);
		return EXIT_INPUT;
	}
	ret = user_key_sign(k, tbs, tbs_len, sig, &sig_len);
	if (ret != 0) {
		s2_request_abort(&st);
	} else if (s2_request_end(&st, sig, sig_len, &kk->s2, out, cap, len) < 0) {
		/* end wipes the state on every path */
		fprintf(stderr, "ckq %s: cannot build the request\n", k->cmd);
		ret = EXIT_INPUT;
	}
	wipe(sig, sizeof(sig));
	return ret;
}

static int s2_cookie(const struct knock *k, const uint8_t *m1_core, size_t core_len,
		     const uint8_t *m, size_t n, uint8_t cookie[CKQ_COOKIE_LEN])
{
	return s2_cookie_open(&k->s2, m1_core, core_len, m, n, cookie);
}

static int s2_challenge(const struct knock *k, struct knock_keys *kk, const uint8_t *m, size_t n)
{
	return s2_challenge_open(&k->s2, &kk->s2, m, n);
}

static int s2_response(const struct knock *k, struct knock_keys *kk, uint8_t *out, size_t cap,
		       size_t *len)
{
	return s2_response_build(&k->s2, &kk->s2, out, cap, len);
}

static int s2_result(const struct knock *k, struct knock_keys *kk, const uint8_t *m, size_t n,
		     struct ckq_result *res)
{
	return s2_result_open(&k->s2, &kk->s2, m, n, res);
}

static const struct suite_ops suite2 = {
	s2_request, s2_cookie, s2_challenge, s2_response, s2_result,
};

struct challenge_arg {
	const struct suite_ops *ops;
	struct knock_keys *kk;
	uint8_t *m1;
	size_t core, *len, cap;
};

static int take_challenge(struct knock *k, const uint8_t *m, size_t n, void *arg)
{
	struct challenge_arg *ca = arg;
	uint8_t cookie[CKQ_COOKIE_LEN];
	int ret;

	if (n >= CKQ_HDR_LEN && m[5] == CKQ_MSG_COOKIE) {
		/*
		 * Sealed for the holder of the server key, bound to our
		 * message's mac1; the mac2 goes after the same core, so the
		 * signature and the keys of the knock stay.
		 */
		ret = ca->ops->cookie(k, ca->m1, ca->core, m, n, cookie);
		if (ret == 0)
			ret = proto_request_set_mac2(ca->m1, ca->core, ca->cap, cookie, ca->len);
		wipe(cookie, sizeof(cookie));
		/*
		 * One that does not open answers a request spoofed in our name
		 * (the server sends cookies to whoever the source says): not
		 * a sign of a fake server.
		 */
		return ret == 0 ? RESEND : IGNORED;
	}
	return ca->ops->challenge(k, ca->kk, m, n);
}

struct result_arg {
	const struct suite_ops *ops;
	struct knock_keys *kk;
	struct ckq_result *res;
};

static int take_result(struct knock *k, const uint8_t *m, size_t n, void *arg)
{
	struct result_arg *ra = arg;

	return ra->ops->result(k, ra->kk, m, n, ra->res);
}

static int no_answer(struct knock *k, bool challenged)
{
	char fp[CKQ_FP_STRLEN];

	key_fp_str(k->server_fp, fp);
	if (k->brief) {
		fprintf(stderr, "ckq %s: %s\n", k->cmd,
			k->unauthentic ? "answers that the server's key did not make" :
			challenged ? "the server did not confirm the request" :
			"no answer from the server (a wrong or used code?)");
		return k->unauthentic ? EXIT_AUTH : EXIT_REFUSED;
	}
	if (k->unauthentic) {
		fprintf(stderr,
			"ckq: %u answer%s from %s udp/%u failed authentication: they were not\n"
			"     made with the server key %s. Refusing them: someone may be\n"
			"     impersonating the server, or the stored key is not this server's.\n",
			k->unauthentic, k->unauthentic == 1 ? "" : "s", k->address,
			k->knock_port, fp);
		return EXIT_AUTH;
	}
	if (challenged) {
		fprintf(stderr,
			"ckq: the server accepted the request but did not confirm it after %u\n"
			"     attempts; the port's state is unknown: run the command again.\n",
			k->attempts);
		return EXIT_REFUSED;
	}
	fprintf(stderr,
		"ckq: no answer from %s udp/%u after %u attempts. The server stays silent\n"
		"     on any refusal; the likely causes are:\n"
		"     - the one-time code was wrong or already used (wait for the next one)\n"
		"     - your clock is off: the server refuses requests outside its freshness\n"
		"       window (30 s by default); compare `date -u` with the server's\n"
		"     - user %s is not registered there, is revoked, or may not open %s/%u\n"
		"     - the server key %s is not this server's\n"
		"     - the knock port is filtered on the way, or ckqd is not running\n",
		k->address, k->knock_port, k->attempts, k->user,
		proto_name(k->req.proto), k->req.port, fp);
	return EXIT_REFUSED;
}

int knock_once(struct knock *k, uint8_t request, uint32_t otp, struct ckq_result *res)
{
	const struct suite_ops *ops = k->suite == 2 ? &suite2 : &suite1;
	uint8_t msg[CKQ_MSG_MAX];
	struct knock_keys kk;
	struct result_arg ra = { ops, &kk, res };
	size_t len = 0;
	struct challenge_arg ca = { ops, &kk, msg, 0, &len, sizeof(msg) };
	int r, ret = EXIT_INPUT;

	memset(&kk, 0, sizeof(kk));
	memset(res, 0, sizeof(*res));
	k->req.request = request;
	k->req.otp = otp;
	k->req.timestamp = (uint64_t)time(NULL);
	k->unauthentic = 0;
	if (ckq_random(k->req.nc, sizeof(k->req.nc)) < 0) {
		fprintf(stderr, "ckq %s: cannot build the request\n", k->cmd);
		goto out;
	}
	/* Built and signed once: every retransmission sends these bytes. */
	ret = ops->request(k, &kk, msg, sizeof(msg), &len);
	if (ret != 0)
		goto out;
	ret = EXIT_INPUT;
	ca.core = len;
	r = exchange(k, msg, &len, take_challenge, &ca);
	if (r) {
		ret = r > 0 ? EXIT_REFUSED : no_answer(k, false);
		goto out;
	}
	k->unauthentic = 0;
	if (ops->response(k, &kk, msg, sizeof(msg), &len) < 0) {
		fprintf(stderr, "ckq %s: cannot build the response\n", k->cmd);
		goto out;
	}
	r = exchange(k, msg, &len, take_result, &ra);
	if (r) {
		ret = r > 0 ? EXIT_REFUSED : no_answer(k, true);
		goto out;
	}
	/* In NAT mode the server says which address it saw, and granted. */
	if (k->nat)
		addr_str(&res->addr, k->local, sizeof(k->local));
	if ((!k->nat && !addr_equal(&res->addr, &k->req.addr)) || res->proto != k->req.proto ||
	    res->port != k->req.port ||
	    res->status != (request == CKQ_REQ_OPEN ? CKQ_RES_GRANTED : CKQ_RES_CLOSED)) {
		fprintf(stderr, "ckq %s: the server's signed answer does not match the request\n",
			k->cmd);
		ret = EXIT_AUTH;
		goto out;
	}
	ret = EXIT_GRANTED;
out:
	k->req.otp = 0;
	wipe(&kk, sizeof(kk));
	wipe(msg, sizeof(msg));
	return ret;
}
