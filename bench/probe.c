/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Knock-to-open latency of a knocker that sends no answer (fwknop's single
 * packet authorization): send the packet, then try to connect to the
 * protected port again and again until the firewall lets a SYN through.
 *
 *   probe listen -a ADDR -p PORT [-t SECONDS]
 *       a TCP listener that accepts and closes, for a bounded time
 *   probe spa -d DST -u UDP_PORT -p TCP_PORT -f FILE -S FIRST_SOURCE
 *             [-n COUNT] [-i INTERVAL_US] [-T TIMEOUT_MS]
 *       for each line i of FILE (one packet, as fwknop --save-packet writes
 *       them): send it from FIRST_SOURCE + i, then a new connection attempt
 *       from that address every INTERVAL_US until one completes. The
 *       latency is from the send to the completed connection; its
 *       resolution is the interval.
 *
 * Prints "key value" lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define MAX_LINES 100000

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int do_listen(uint32_t addr, uint16_t port, unsigned int seconds)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET, .sin_addr.s_addr = addr, .sin_port = htons(port),
	};
	uint64_t end = bench_ns() + (uint64_t)seconds * 1000000000u;
	struct pollfd pfd = { .events = POLLIN };
	int one = 1;

	pfd.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (pfd.fd < 0 || setsockopt(pfd.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(pfd.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(pfd.fd, 4096) < 0) {
		perror("probe: listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	while (bench_ns() < end) {
		int c, i;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		for (i = 0; i < 256 && (c = accept(pfd.fd, NULL, NULL)) >= 0; i++)
			close(c);
	}
	close(pfd.fd);
	return 0;
}

/* One connection attempt: 1 connected, 0 not within wait_us, -1 error. */
static int try_connect(uint32_t src, uint32_t dst, uint16_t port, unsigned int wait_us)
{
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_addr.s_addr = src };
	struct sockaddr_in to = {
		.sin_family = AF_INET, .sin_addr.s_addr = dst, .sin_port = htons(port),
	};
	struct pollfd pfd = { .events = POLLOUT };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int err = 0, r;
	socklen_t len = sizeof(err);

	pfd.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (pfd.fd < 0)
		return -1;
	/* Closed with a reset: no TIME_WAIT, no FIN exchange to wait for. */
	setsockopt(pfd.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (bind(pfd.fd, (struct sockaddr *)&from, sizeof(from)) < 0 ||
	    (connect(pfd.fd, (struct sockaddr *)&to, sizeof(to)) < 0 && errno != EINPROGRESS)) {
		close(pfd.fd);
		return -1;
	}
	r = ppoll(&pfd, 1, &(struct timespec){ .tv_nsec = (long)wait_us * 1000 }, NULL);
	if (r > 0 && getsockopt(pfd.fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
		close(pfd.fd);
		return 1;
	}
	close(pfd.fd);
	return 0;
}

static int do_spa(uint32_t dst, uint16_t uport, uint16_t tport, const char *file,
		  uint32_t first, unsigned int count, unsigned int interval_us,
		  unsigned int timeout_ms)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET, .sin_addr.s_addr = dst, .sin_port = htons(uport),
	};
	FILE *f = fopen(file, "re");
	uint64_t *lat = calloc(count ? count : 1, sizeof(*lat));
	size_t nlat = 0, sent = 0;
	char line[4096];

	if (!f || !lat) {
		perror("probe: spa file");
		return 1;
	}
	while (sent < count && fgets(line, sizeof(line), f)) {
		struct sockaddr_in from = {
			.sin_family = AF_INET, .sin_addr.s_addr = bench_addr_nth(first, (uint32_t)sent),
		};
		size_t len = strcspn(line, "\r\n");
		uint64_t t0, deadline;
		int fd, r = 0, tries;

		if (!len)
			continue;
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0) {
			perror("probe: udp socket");
			return 1;
		}
		t0 = bench_ns();
		deadline = t0 + (uint64_t)timeout_ms * 1000000u;
		if (sendto(fd, line, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			perror("probe: sendto");
			return 1;
		}
		close(fd);
		for (tries = 0; tries < 1000000 && bench_ns() < deadline; tries++) {
			r = try_connect(from.sin_addr.s_addr, dst, tport, interval_us);
			if (r != 0)
				break;
		}
		if (r == 1)
			lat[nlat++] = bench_ns() - t0;
		sent++;
	}
	fclose(f);
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	printf("sent %zu\nopened %zu\n", sent, nlat);
	if (nlat) {
		printf("lat_p50_us %.1f\n", (double)lat[(nlat - 1) / 2] / 1e3);
		printf("lat_p99_us %.1f\n", (double)lat[(nlat - 1) * 99 / 100] / 1e3);
		printf("lat_max_us %.1f\n", (double)lat[nlat - 1] / 1e3);
	}
	free(lat);
	return 0;
}

int main(int argc, char *argv[])
{
	uint32_t addr = 0, dst = 0, first = 0;
	unsigned int seconds = 60, count = MAX_LINES, interval_us = 200, timeout_ms = 2000;
	uint16_t uport = 62201, tport = 22;
	const char *file = NULL, *cmd = argc > 1 ? argv[1] : "";
	int opt;

	optind = 2;
	while ((opt = getopt(argc, argv, "a:p:t:d:u:f:S:n:i:T:")) != -1) {
		switch (opt) {
		case 'a': if (bench_parse_ipv4(optarg, &addr) < 0) goto usage; break;
		case 'p': tport = (uint16_t)strtoul(optarg, NULL, 10); break;
		case 't': seconds = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'd': if (bench_parse_ipv4(optarg, &dst) < 0) goto usage; break;
		case 'u': uport = (uint16_t)strtoul(optarg, NULL, 10); break;
		case 'f': file = optarg; break;
		case 'S': if (bench_parse_ipv4(optarg, &first) < 0) goto usage; break;
		case 'n': count = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'i': interval_us = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'T': timeout_ms = (unsigned int)strtoul(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (!strcmp(cmd, "listen") && addr && seconds && seconds <= 3600)
		return do_listen(addr, tport, seconds);
	if (!strcmp(cmd, "spa") && dst && first && file && count <= MAX_LINES &&
	    interval_us >= 10 && interval_us < 1000000 && timeout_ms && timeout_ms <= 60000)
		return do_spa(dst, uport, tport, file, first, count, interval_us, timeout_ms);
usage:
	fprintf(stderr, "usage: probe listen -a ADDR -p PORT [-t SECONDS]\n"
		"       probe spa -d DST -u UDP_PORT -p TCP_PORT -f FILE -S FIRST_SOURCE\n"
		"                 [-n COUNT] [-i INTERVAL_US] [-T TIMEOUT_MS]\n");
	return 2;
}
