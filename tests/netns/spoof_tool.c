/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Message 1s with a valid mac1 (anyone with server.pub can make them) and
 * random contents, from spoofed IPv4 sources through a raw socket: the
 * sender never sees an answer, as an attacker who forges addresses would
 * not. Bounded in count and time. Used by cookie.sh.
 *
 *   spoof_tool -d DST -p PORT -k server.pub -s FIRST_SOURCE [-n SOURCES]
 *              [-r PER_SECOND] [-t SECONDS] [-c COUNT]
 *
 * Datagram i comes from FIRST_SOURCE + (i % SOURCES) (at most 65536), port
 * 1024 + i % 60000. Prints "sent N" and "seconds S".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "crypto.h"
#include "proto.h"
#include "util.h"

#define POOL 256
#define BODY_LEN (73 + 5 + 256)	/* a 5-byte name and a 2048-bit signature, sealed */

struct dgram {
	uint8_t b[sizeof(struct iphdr) + sizeof(struct udphdr) + CKQ_MSG_MAX];
	size_t len;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int build(struct dgram *g, const struct ckq_key *server)
{
	uint8_t *m = g->b + sizeof(struct iphdr) + sizeof(struct udphdr);
	size_t at = 0, ek = server->size, len = CKQ_HDR_LEN + 2 + ek + 2 + BODY_LEN + CKQ_MAC1_LEN;

	if (len > CKQ_MSG_MAX || ckq_random(m, len) < 0)
		return -1;
	memcpy(m, CKQ_MAGIC, 3);
	m[3] = CKQ_VERSION;
	m[4] = CKQ_SUITE_1;
	m[5] = CKQ_MSG_REQUEST;
	m[6] = m[7] = 0;
	at = CKQ_HDR_LEN;
	m[at] = (uint8_t)(ek >> 8);
	m[at + 1] = (uint8_t)ek;
	at += 2 + ek;
	m[at] = (uint8_t)(BODY_LEN >> 8);
	m[at + 1] = (uint8_t)BODY_LEN;
	at += 2 + BODY_LEN;
	if (mac1_compute(server->mac1_key, m, at, m + at) < 0)
		return -1;
	g->len = len;
	return 0;
}

int main(int argc, char *argv[])
{
	const char *key_path = NULL;
	struct in_addr dst = { 0 }, src = { 0 };
	unsigned long long count = 1000000, sent = 0, rate = 1000, nsrc = 1, seconds = 5;
	unsigned int port = 8888;
	char why[CKQ_ERRBUF], *pem = NULL;
	struct ckq_key *server = NULL;
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct dgram *pool;
	size_t pem_len = 0, i;
	uint64_t t0, end;
	int opt, fd;

	while ((opt = getopt(argc, argv, "d:p:k:s:n:r:t:c:")) != -1) {
		switch (opt) {
		case 'd': inet_pton(AF_INET, optarg, &dst); break;
		case 'p': port = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'k': key_path = optarg; break;
		case 's': inet_pton(AF_INET, optarg, &src); break;
		case 'n': nsrc = strtoull(optarg, NULL, 10); break;
		case 'r': rate = strtoull(optarg, NULL, 10); break;
		case 't': seconds = strtoull(optarg, NULL, 10); break;
		case 'c': count = strtoull(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (!key_path || !dst.s_addr || !src.s_addr || !nsrc || nsrc > 65536 || !rate ||
	    rate > 100000 || !seconds || seconds > 20 || !count) {
		fprintf(stderr, "spoof_tool: bad arguments (at most 20 s, 65536 sources)\n");
		return 2;
	}
	if (file_read(key_path, false, &pem, &pem_len, why, sizeof(why)) < 0 ||
	    key_from_pem(pem, pem_len, false, &server) < 0) {
		fprintf(stderr, "spoof_tool: cannot load %s\n", key_path);
		return 1;
	}
	free(pem);
	pool = calloc(POOL, sizeof(*pool));
	if (!pool)
		return 1;
	for (i = 0; i < POOL; i++)
		if (build(&pool[i], server) < 0) {
			fprintf(stderr, "spoof_tool: cannot build a datagram\n");
			return 1;
		}
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0) {
		perror("spoof_tool: raw socket");
		return 1;
	}
	to.sin_addr = dst;
	t0 = now_ns();
	end = t0 + seconds * 1000000000ULL;
	while (sent < count) {
		struct dgram *g = &pool[sent % POOL];
		struct iphdr *ip = (struct iphdr *)g->b;
		struct udphdr *uh = (struct udphdr *)(g->b + sizeof(*ip));
		uint64_t now = now_ns();
		size_t total = sizeof(*ip) + sizeof(*uh) + g->len;

		if (now >= end)
			break;
		if (sent >= (now - t0) * rate / 1000000000ULL + 1) {
			usleep(100);
			continue;
		}
		memset(ip, 0, sizeof(*ip) + sizeof(*uh));
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->saddr = htonl(ntohl(src.s_addr) + (uint32_t)(sent % nsrc));
		ip->daddr = dst.s_addr;
		ip->tot_len = htons((uint16_t)total);
		uh->source = htons((uint16_t)(1024 + sent % 60000));
		uh->dest = htons((uint16_t)port);
		uh->len = htons((uint16_t)(sizeof(*uh) + g->len));
		uh->check = 0;	/* IPv4 allows none; the kernel fills in the IP checksum */
		if (sendto(fd, g->b, total, 0, (struct sockaddr *)&to, sizeof(to)) < 0 &&
		    errno != ENOBUFS && errno != EAGAIN) {
			perror("spoof_tool: sendto");
			return 1;
		}
		sent++;
	}
	printf("sent %llu\nseconds %.3f\n", sent, (double)(now_ns() - t0) / 1e9);
	close(fd);
	free(pool);
	key_free(server);
	return 0;
}
