/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What one grant costs ckqd in the kernel: grant_add() and grant_del() of
 * libckq, the calls ckqd makes for a knock and for a close, timed one by
 * one over netlink and averaged.
 *
 *   grant_cost -s SET -a FIRST_ADDR [-n COUNT] [-b ipset|nft]
 *
 * Adds FIRST_ADDR + i (i < COUNT) with a 60 s timeout, then deletes them.
 * Prints "add_us X" and "del_us Y".
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "err.h"
#include "grant.h"

int main(int argc, char *argv[])
{
	const char *set = NULL;
	uint32_t first = 0;
	unsigned int n = 1000, i;
	uint64_t t0, t_add = 0, t_del = 0;
	struct grant *g;
	bool have_first = false;
	enum grant_backend backend = GRANT_IPSET;
	int opt, ret;

	while ((opt = getopt(argc, argv, "s:a:n:b:")) != -1) {
		switch (opt) {
		case 'b':
			if (grant_backend_parse(optarg, &backend) < 0)
				goto usage;
			break;
		case 's': set = optarg; break;
		case 'a': have_first = bench_parse_ipv4(optarg, &first) == 0; break;
		case 'n': n = (unsigned int)strtoul(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (!set || !have_first || !n || n > 100000)
		goto usage;
	g = grant_open(backend);
	if (!g) {
		perror("grant_cost: grant_open");
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct ckq_addr a = { .family = CKQ_AF_INET };
		uint32_t v = bench_addr_nth(first, i);

		memcpy(a.a, &v, 4);
		t0 = bench_ns();
		ret = grant_add(g, set, &a, 60, "bench");
		t_add += bench_ns() - t0;
		if (ret < 0) {
			fprintf(stderr, "grant_cost: grant_add: %s: %s\n", ckq_strerror(ret),
				grant_errmsg(g));
			return 1;
		}
	}
	for (i = 0; i < n; i++) {
		struct ckq_addr a = { .family = CKQ_AF_INET };
		uint32_t v = bench_addr_nth(first, i);

		memcpy(a.a, &v, 4);
		t0 = bench_ns();
		ret = grant_del(g, set, &a);
		t_del += bench_ns() - t0;
		if (ret < 0) {
			fprintf(stderr, "grant_cost: grant_del: %s\n", ckq_strerror(ret));
			return 1;
		}
	}
	grant_close(g);
	printf("add_us %.2f\ndel_us %.2f\n", (double)t_add / n / 1e3, (double)t_del / n / 1e3);
	return 0;
usage:
	fprintf(stderr, "usage: grant_cost -s SET -a FIRST_ADDR [-n COUNT] [-b ipset|nft]\n");
	return 2;
}
