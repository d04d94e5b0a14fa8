/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A suite 2 server for one knock, on 127.0.0.1, built from the library's
 * server functions: what tests/client_s2.sh knocks at to see the client's
 * side of the exchange without ckqd, root or a namespace. It can answer
 * the first message 1 with a cookie (as ckqd under load) and drop the
 * first message 2s (as a lossy path), and says on stdout, one line each,
 * what it got:
 *   port N                        the port it listens on (first line)
 *   msg1 LEN HASH                 each message 1 (HASH: its first 8 bytes of SHA-256)
 *   cookie                        a cookie reply sent
 *   mac2 ok same-core             the message 1 that came back carries the mac2 of
 *                                 the cookie, after the core of the first
 *   mac2 bad | core changed       ... or not
 *   request USER PROTO/PORT OTP   the request, opened and its signature verified
 *   dropped msg2 / retransmitted msg2
 *   result                        message 4 sent; then it exits 0, or with
 *                                 --knocks N waits for the next knock (a
 *                                 cookie and drops only in the first)
 * Usage: s2_server_tool X25519_KEY USER_PUB [--cookie] [--drop N] [--knocks N]
 *        [--life S] [--seconds S]
 * --life: the grant's lifetime in message 4 (default 300 s).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>
#include <arpa/inet.h>

#include "crypto.h"
#include "crypto25519.h"
#include "err.h"
#include "proto.h"
#include "proto2.h"
#include "sshkey.h"
#include "util.h"

static void die(const char *what)
{
	fprintf(stderr, "s2_server_tool: %s\n", what);
	exit(2);
}

static char *slurp(const char *path, size_t *len)
{
	char why[256], *text = NULL;

	if (file_read(path, false, &text, len, why, sizeof(why)) < 0)
		die(why);
	return text;
}

static void hash8(const uint8_t *m, size_t n, char out[17])
{
	uint8_t h[CKQ_HASH_LEN];
	struct span s = { m, n };

	if (sha256_parts(&s, 1, h) < 0)
		die("sha256");
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

int main(int argc, char *argv[])
{
	struct ckq_x25519 *key = NULL;
	struct s2_server srv;
	struct ckq_sshkey user;
	struct sockaddr_in sa = { .sin_family = AF_INET }, from;
	socklen_t sl = sizeof(sa);
	uint8_t buf[2048], out[512], first_core[CKQ_S2_MSG1_MAX], cookie[CKQ_COOKIE_LEN];
	uint8_t m2[CKQ_S2_MSG2_LEN], opened_core[CKQ_S2_MSG1_MAX];
	size_t len, first_len = 0, m2_len = 0, opened_len = 0;
	struct s2_msg1 m;
	bool want_cookie = false, cookie_sent = false, have_session = false;
	unsigned int drop = 0, seconds = 20, knocks = 1, life = 300;
	time_t end;
	char *text;
	int fd, i;

	if (argc < 3)
		die("usage: s2_server_tool X25519_KEY USER_PUB [--cookie] [--drop N] [--seconds S]");
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--cookie"))
			want_cookie = true;
		else if (!strcmp(argv[i], "--drop") && i + 1 < argc)
			drop = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--knocks") && i + 1 < argc)
			knocks = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--life") && i + 1 < argc)
			life = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = (unsigned int)atoi(argv[++i]);
		else
			die("unknown option");
	}
	if (seconds == 0 || seconds > 60 || knocks == 0 || knocks > 10)
		die("--seconds takes 1 to 60, --knocks 1 to 10");
	text = slurp(argv[1], &len);
	if (x25519_from_pem(text, len, &key) < 0 || s2_server_init(key->pub, key, &srv) < 0)
		die("not an X25519 private key in PEM");
	free(text);
	text = slurp(argv[2], &len);
	if (sshkey_load(text, len, &user) < 0)
		die("not an ssh key");
	free(text);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		die("cannot bind 127.0.0.1");
	printf("port %u\n", ntohs(sa.sin_port));
	fflush(stdout);

	end = time(NULL) + seconds;
	while (time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		socklen_t fl = sizeof(from);
		size_t core, n;
		ssize_t r;
		char h[17];

		if (poll(&p, 1, 200) <= 0)
			continue;
		r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (r < CKQ_HDR_LEN)
			continue;
		n = (size_t)r;
		if (buf[5] == CKQ_MSG_REQUEST) {
			hash8(buf, n, h);
			printf("msg1 %zu %s\n", n, h);
			if (s2_request_core_len(buf, n, &core) < 0 ||
			    s2_request_precheck(&srv, buf, n) < 0) {
				printf("msg1 refused by the pre-check\n");
				continue;
			}
			if (want_cookie && !cookie_sent) {
				if (ckq_random(cookie, sizeof(cookie)) < 0 ||
				    s2_cookie_build(&srv, buf, core, cookie, out, sizeof(out), &len) < 0)
					die("cookie");
				memcpy(first_core, buf, core);
				first_len = core;
				sendto(fd, out, len, 0, (struct sockaddr *)&from, fl);
				cookie_sent = true;
				printf("cookie\n");
				continue;
			}
			if (cookie_sent) {
				uint8_t mac2[CKQ_MAC2_LEN];

				if (n != core + CKQ_MAC2_LEN || proto_mac2(cookie, buf, core, mac2) < 0 ||
				    memcmp(mac2, buf + core, CKQ_MAC2_LEN)) {
					printf("mac2 bad\n");
					continue;
				}
				if (core != first_len || memcmp(first_core, buf, core)) {
					printf("core changed\n");
					continue;
				}
				printf("mac2 ok same-core\n");
			}
			if (have_session) {
				if (core != opened_len || memcmp(opened_core, buf, core)) {
					printf("another message 1\n");
					continue;
				}
				if (drop) {
					drop--;
					printf("dropped msg2\n");
					continue;
				}
				sendto(fd, m2, m2_len, 0, (struct sockaddr *)&from, fl);
				printf("retransmitted msg2\n");
				continue;
			}
			if (s2_request_open(&srv, buf, core, &m) < 0) {
				printf("msg1 does not open\n");
				continue;
			}
			if (s2_request_verify(&srv, &user, &m) < 0) {
				printf("bad signature\n");
				continue;
			}
			printf("request %s %s/%u %06u\n", m.req.user, proto_name(m.req.proto),
			       m.req.port, m.req.otp);
			if (ckq_random(m.s.sid, sizeof(m.s.sid)) < 0 ||
			    ckq_random(m.s.ns, sizeof(m.s.ns)) < 0 ||
			    s2_challenge_build(&srv, &m.s, m2, sizeof(m2), &m2_len) < 0)
				die("message 2");
			memcpy(opened_core, buf, core);
			opened_len = core;
			have_session = true;
			if (drop) {
				drop--;
				printf("dropped msg2\n");
				continue;
			}
			sendto(fd, m2, m2_len, 0, (struct sockaddr *)&from, fl);
		} else if (buf[5] == CKQ_MSG_RESPONSE && have_session) {
			uint8_t sid[CKQ_SID_LEN];
			struct ckq_result res;

			if (s2_response_precheck(&srv, buf, n, sid) < 0 ||
			    memcmp(sid, m.s.sid, sizeof(sid)) || s2_response_open(&srv, &m.s, buf, n) < 0) {
				printf("msg3 refused\n");
				continue;
			}
			memset(&res, 0, sizeof(res));
			res.status = m.req.request == CKQ_REQ_OPEN ? CKQ_RES_GRANTED : CKQ_RES_CLOSED;
			res.addr = m.req.addr;
			res.proto = m.req.proto;
			res.port = m.req.port;
			res.expires = res.status == CKQ_RES_GRANTED ? (uint64_t)time(NULL) + life : 0;
			if (s2_result_build(&srv, &m.s, &res, out, sizeof(out), &len) < 0)
				die("message 4");
			sendto(fd, out, len, 0, (struct sockaddr *)&from, fl);
			printf("result\n");
			fflush(stdout);
			if (--knocks == 0) {
				x25519_free(key);
				return 0;
			}
			have_session = want_cookie = cookie_sent = false;
			drop = 0;
			continue;
		}
		fflush(stdout);
	}
	x25519_free(key);
	printf("timeout\n");
	return 1;
}
