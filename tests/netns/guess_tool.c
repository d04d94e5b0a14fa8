/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A thief's online guessing of TOTP codes: message 1s signed with a user's
 * real private key, each with a code that is none of the three the server
 * takes now, from many source addresses (the namespace routes a range of
 * them to lo). Used by guess.sh.
 *
 *   guess_tool -s SERVER -p PORT -k server.pub -c USER.key -u USER
 *              -t SECRET_FILE -n COUNT -S FIRST_SOURCE -N SOURCES [-r RATE]
 *
 * Message i goes from FIRST_SOURCE + (i % SOURCES), at RATE a second
 * (default 100). A cookie reply (ckqd under load) is answered as ckq
 * would, with the mac2. Prints "sent N", "cookies N" and "answered N"
 * (other datagrams that came back: a challenge would mean a guess was
 * taken).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "crypto.h"
#include "err.h"
#include "proto.h"
#include "totp.h"
#include "util.h"

static struct ckq_key *load_key(const char *path, bool priv)
{
	char why[CKQ_ERRBUF], *pem = NULL;
	struct ckq_key *k = NULL;
	size_t len = 0;

	if (file_read(path, priv, &pem, &len, why, sizeof(why)) < 0 ||
	    key_from_pem(pem, len, priv, &k) < 0) {
		fprintf(stderr, "guess_tool: cannot load %s\n", path);
		k = NULL;
	}
	if (pem)
		wipe(pem, len);
	free(pem);
	return k;
}

/* A code that is none of T-1, T, T+1's, so every guess is a wrong one. */
static int wrong_code(const uint8_t *secret, size_t len, uint64_t now, uint32_t *out)
{
	uint32_t c[3], code;
	int i;

	for (i = 0; i < 3; i++)
		if (totp_code(secret, len, now + (uint64_t)(i - 1) * TOTP_STEP, TOTP_DIGITS,
			      &c[i]) < 0)
			return -1;
	do {
		if (ckq_random(&code, sizeof(code)) < 0)
			return -1;
		code %= 1000000;
	} while (code == c[0] || code == c[1] || code == c[2]);
	*out = code;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char *argv[])
{
	const char *server_ip = NULL, *server_pub = NULL, *client_key = NULL, *user = NULL,
		   *secret_file = NULL, *first_src = NULL;
	unsigned int count = 0, nsrc = 1, rate = 100, port = 8888, sent = 0, answered = 0, i;
	unsigned int cookies = 0;
	struct ckq_key *server, *client;
	uint8_t secret[64];
	char why[CKQ_ERRBUF], *text = NULL;
	size_t len = 0;
	int opt, slen;
	struct in_addr dst, src0;
	uint64_t t0;

	while ((opt = getopt(argc, argv, "s:p:k:c:u:t:n:S:N:r:")) != -1) {
		switch (opt) {
		case 's': server_ip = optarg; break;
		case 'p': port = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'k': server_pub = optarg; break;
		case 'c': client_key = optarg; break;
		case 'u': user = optarg; break;
		case 't': secret_file = optarg; break;
		case 'n': count = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'S': first_src = optarg; break;
		case 'N': nsrc = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'r': rate = (unsigned int)strtoul(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (!server_ip || !server_pub || !client_key || !user || !secret_file || !first_src ||
	    !count || !nsrc || !rate || count > 100000 || inet_pton(AF_INET, server_ip, &dst) != 1 ||
	    inet_pton(AF_INET, first_src, &src0) != 1) {
		fprintf(stderr, "guess_tool: bad arguments\n");
		return 2;
	}
	server = load_key(server_pub, false);
	client = load_key(client_key, true);
	if (!server || !client)
		return 1;
	if (file_read(secret_file, true, &text, &len, why, sizeof(why)) < 0) {
		fprintf(stderr, "guess_tool: %s\n", why);
		return 1;
	}
	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	slen = base32_decode(text, len, secret, sizeof(secret));
	wipe(text, len);
	free(text);
	if (slen <= 0) {
		fprintf(stderr, "guess_tool: bad TOTP secret\n");
		return 1;
	}

	t0 = now_ns();
	for (i = 0; i < count; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
					  .sin_addr = dst };
		struct sockaddr_in from = { .sin_family = AF_INET };
		struct ckq_request req;
		struct ckq_session s;
		uint8_t m1[CKQ_MSG_MAX], in[CKQ_MSG_MAX];
		size_t m1_len = 0, core;
		uint8_t cookie[CKQ_COOKIE_LEN];
		ssize_t n;
		int round;
		uint32_t a = ntohl(src0.s_addr) + i % nsrc;
		struct pollfd pfd;
		uint64_t due = t0 + (uint64_t)i * 1000000000ULL / rate;
		int fd;

		while (now_ns() < due)
			usleep(200);
		memset(&req, 0, sizeof(req));
		snprintf(req.user, sizeof(req.user), "%s", user);
		req.request = CKQ_REQ_OPEN;
		req.addr.family = CKQ_AF_INET;
		from.sin_addr.s_addr = htonl(a);
		memcpy(req.addr.a, &from.sin_addr.s_addr, 4);
		req.proto = CKQ_PROTO_TCP;
		req.port = 22;
		req.timestamp = (uint64_t)time(NULL);
		if (wrong_code(secret, (size_t)slen, req.timestamp, &req.otp) < 0 ||
		    ckq_random(req.nc, sizeof(req.nc)) < 0 ||
		    proto_request_build(server, client, &req, &s, m1, sizeof(m1), &m1_len) < 0) {
			fprintf(stderr, "guess_tool: cannot build message 1\n");
			return 1;
		}
		wipe(&s, sizeof(s));
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0 ||
		    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "guess_tool: socket from %s: %s\n",
				inet_ntoa(from.sin_addr), strerror(errno));
			return 1;
		}
		if (send(fd, m1, m1_len, 0) == (ssize_t)m1_len)
			sent++;
		/* A moment for an answer: none but a cookie should come. */
		core = m1_len;
		for (round = 0; round < 3; round++) {
			pfd.fd = fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 20) <= 0 || (n = recv(fd, in, sizeof(in), 0)) <= 0)
				break;
			if (proto_cookie_open(server, m1, core, in, (size_t)n, cookie) == 0 &&
			    proto_request_set_mac2(m1, core, sizeof(m1), cookie, &m1_len) == 0) {
				cookies++;
				send(fd, m1, m1_len, 0);
				continue;
			}
			answered++;
		}
		close(fd);
	}
	wipe(secret, sizeof(secret));
	printf("sent %u\ncookies %u\nanswered %u\n", sent, cookies, answered);
	key_free(server);
	key_free(client);
	return 0;
}
