/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Floods a destination for a bounded time and count, as fast as it can or
 * at a given rate, with sendmmsg(2) batches from a pool of packets built
 * before the clock starts:
 *
 *   flood -m junk -d DST -p PORT -s FIRST_SOURCE [-n SOURCES] [-t SECONDS]
 *         [-c COUNT] [-r PER_SECOND]
 *       UDP datagrams from SOURCES addresses (one connected socket each):
 *       half random bytes of random length, half laid out as a message 1
 *       or 3 of a real message 1's size (header and length fields right
 *       for a 2048-bit server key) with a wrong mac1, so that ckqd computes
 *       the HMAC before it refuses them: the most a stranger can cost it.
 *   flood -m syn ...
 *       TCP SYNs through a raw socket, from SOURCES addresses and many ports.
 *
 * Prints "sent N", "seconds S" and "rate R".
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "proto.h"

#define POOL 1024
#define BATCH 64
#define MSG1_SIZE 617	/* message 1 with 2048-bit keys and a 6-byte name */
#define SERVER_KEY_BYTES 256	/* the benchmark's server key: RSA-2048 */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct pkt {
	uint8_t b[1400];
	size_t len;
	int fd;
};

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static void build_syn(struct pkt *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		      uint32_t seq)
{
	struct iphdr *ip = (struct iphdr *)p->b;
	struct tcphdr *th = (struct tcphdr *)(p->b + sizeof(*ip));
	uint8_t pseudo[12];
	uint32_t sum;

	memset(p->b, 0, sizeof(*ip) + sizeof(*th));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = src;
	ip->daddr = dst;
	ip->tot_len = htons(sizeof(*ip) + sizeof(*th));
	th->source = htons(sport);
	th->dest = htons(dport);
	th->seq = htonl(seq);
	th->doff = 5;
	th->syn = 1;
	th->window = htons(64240);
	memcpy(pseudo, &src, 4);
	memcpy(pseudo + 4, &dst, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	pseudo[10] = 0;
	pseudo[11] = sizeof(*th);
	sum = csum_add(0, pseudo, sizeof(pseudo));
	sum = csum_add(sum, (uint8_t *)th, sizeof(*th));
	th->check = htons(csum_fold(sum));
	/* The kernel fills in the IP checksum of an IPPROTO_RAW packet. */
	p->len = sizeof(*ip) + sizeof(*th);
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void build_junk(struct pkt *p, unsigned int i)
{
	if (ckq_random(p->b, sizeof(p->b)) < 0)
		memset(p->b, (int)i, sizeof(p->b));
	if (i % 2) {
		p->len = CKQ_HDR_LEN + CKQ_MAC1_LEN + p->b[0] % (sizeof(p->b) - CKQ_HDR_LEN - CKQ_MAC1_LEN);
		return;
	}
	/* Passes every check before the HMAC, which it fails. */
	memcpy(p->b, CKQ_MAGIC, 3);
	p->b[3] = CKQ_VERSION;
	p->b[4] = CKQ_SUITE_1;
	p->b[5] = (i / 2) % 2 ? CKQ_MSG_RESPONSE : CKQ_MSG_REQUEST;
	p->b[6] = p->b[7] = 0;
	p->len = MSG1_SIZE;
	if (p->b[5] == CKQ_MSG_REQUEST) {
		put16(p->b + CKQ_HDR_LEN, SERVER_KEY_BYTES);
		put16(p->b + CKQ_HDR_LEN + 2 + SERVER_KEY_BYTES,
		      MSG1_SIZE - CKQ_HDR_LEN - 4 - SERVER_KEY_BYTES - CKQ_MAC1_LEN);
	} else {
		put16(p->b + CKQ_HDR_LEN + CKQ_SID_LEN,
		      MSG1_SIZE - CKQ_HDR_LEN - CKQ_SID_LEN - 2 - CKQ_MAC1_LEN);
	}
}

int main(int argc, char *argv[])
{
	const char *mode = "junk";
	uint32_t dst = 0, src = 0;
	unsigned int nsrc = 1, seconds = 5, i;
	unsigned long long count = 100000000ULL, rate = 0, sent = 0;
	uint16_t port = 8888;
	bool syn, have_dst = false, have_src = false;
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	struct pkt *pool;
	int *fds, opt, raw = -1;
	uint64_t start, end, now;
	unsigned int at = 0;

	while ((opt = getopt(argc, argv, "m:d:p:s:n:t:c:r:")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 'd': have_dst = bench_parse_ipv4(optarg, &dst) == 0; break;
		case 'p': port = (uint16_t)strtoul(optarg, NULL, 10); break;
		case 's': have_src = bench_parse_ipv4(optarg, &src) == 0; break;
		case 'n': nsrc = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 't': seconds = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'c': count = strtoull(optarg, NULL, 10); break;
		case 'r': rate = strtoull(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	syn = !strcmp(mode, "syn");
	if ((!syn && strcmp(mode, "junk")) || !have_dst || !have_src || !nsrc || nsrc > 4096 ||
	    !seconds || seconds > 300 || !count)
		goto usage;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	pool = calloc(POOL, sizeof(*pool));
	fds = calloc(nsrc, sizeof(*fds));
	if (!pool || !fds)
		return 1;
	to.sin_addr.s_addr = dst;
	to.sin_port = htons(port);
	if (syn) {
		raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
		if (raw < 0) {
			perror("flood: raw socket");
			return 1;
		}
	}
	for (i = 0; i < nsrc; i++) {
		struct sockaddr_in from = {
			.sin_family = AF_INET, .sin_addr.s_addr = bench_addr_nth(src, i),
		};

		if (syn) {
			fds[i] = raw;
			continue;
		}
		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&from, sizeof(from)) < 0 ||
		    connect(fds[i], (struct sockaddr *)&to, sizeof(to)) < 0) {
			perror("flood: socket");
			return 1;
		}
	}
	for (i = 0; i < POOL; i++) {
		if (syn)
			build_syn(&pool[i], bench_addr_nth(src, i % nsrc), dst,
				  (uint16_t)(20000 + i), port, i * 7919u);
		else
			build_junk(&pool[i], i);
		/* The same source for a whole batch: one sendmmsg, one socket. */
		pool[i].fd = fds[(i / BATCH) % nsrc];
	}
	memset(mm, 0, sizeof(mm));
	start = now = bench_ns();
	end = start + (uint64_t)seconds * 1000000000u;
	while (!stop && sent < count && now < end) {
		unsigned int n = BATCH, k;
		int r;

		if (count - sent < n)
			n = (unsigned int)(count - sent);
		if (rate) {
			unsigned long long due = (now - start) * rate / 1000000000u + 1;

			if (sent >= due) {
				usleep(200);
				now = bench_ns();
				continue;
			}
			if (due - sent < n)
				n = (unsigned int)(due - sent);
		}
		for (k = 0; k < n; k++) {
			struct pkt *p = &pool[(at + k) % POOL];

			iov[k].iov_base = p->b;
			iov[k].iov_len = p->len;
			mm[k].msg_hdr.msg_iov = &iov[k];
			mm[k].msg_hdr.msg_iovlen = 1;
			mm[k].msg_hdr.msg_name = syn ? &to : NULL;
			mm[k].msg_hdr.msg_namelen = syn ? sizeof(to) : 0;
		}
		r = sendmmsg(pool[at % POOL].fd, mm, n, 0);
		if (r > 0) {
			sent += (unsigned int)r;
		} else if (r < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EINTR &&
			   errno != ECONNREFUSED) {
			perror("flood: sendmmsg");
			return 1;
		}
		at = (at + BATCH) % POOL;
		now = bench_ns();
	}
	now = bench_ns();
	printf("sent %llu\nseconds %.3f\nrate %.0f\n", sent, (double)(now - start) / 1e9,
	       (double)sent / ((double)(now - start) / 1e9));
	free(pool);
	free(fds);
	return 0;
usage:
	fprintf(stderr, "usage: flood -m junk|syn -d DST -p PORT -s FIRST_SOURCE [-n SOURCES]\n"
		"             [-t SECONDS] [-c COUNT] [-r PER_SECOND]\n");
	return 2;
}
