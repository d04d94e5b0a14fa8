/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exercises the grant layer against the real kernel. Run by grant.sh inside
 * a fresh network namespace that holds the sets of rules/ckq.ipset plus the
 * decoy sets "ckqx-decoy" and "other-decoy". Leaves 192.0.2.77 in
 * ckq-tcp-22 (timeout 600, comment "leftover") for grant.sh to check with
 * ipset(8).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "err.h"
#include "grant.h"
#include "tap.h"

#define V4 "ckq-tcp-22"
#define V6 "ckq6-tcp-22"
#define MISSING "ckq-tcp-9999"
#define BULK 3000	/* enough members to span several dump datagrams */

struct find {
	struct ckq_addr want;
	int seen;
	int members;
	uint32_t timeout;
	char comment[64];
};

static struct ckq_addr addr(const char *s)
{
	struct ckq_addr a;

	if (addr_parse(s, &a))
		bail_out("test address does not parse");
	return a;
}

static int find_cb(const struct ckq_addr *a, uint32_t timeout_left,
		   const char *comment, void *arg)
{
	struct find *f = arg;

	f->members++;
	if (addr_equal(a, &f->want)) {
		f->seen++;
		f->timeout = timeout_left;
		snprintf(f->comment, sizeof(f->comment), "%s", comment);
	}
	return 0;
}

/* Lists set and reports what it says about one address. */
static int find(struct grant *g, const char *set, const char *a,
		struct find *f)
{
	memset(f, 0, sizeof(*f));
	f->want = addr(a);
	return grant_list(g, set, find_cb, f);
}

static int stop_cb(const struct ckq_addr *a, uint32_t timeout_left,
		   const char *comment, void *arg)
{
	int *calls = arg;

	(void)a;
	(void)timeout_left;
	(void)comment;
	return ++*calls == 5 ? 42 : 0;
}

struct sets {
	int v4, v6, other, total;
};

static int sets_cb(const char *set, void *arg)
{
	struct sets *s = arg;

	s->total++;
	if (!strcmp(set, V4))
		s->v4++;
	else if (!strcmp(set, V6))
		s->v6++;
	else
		s->other++;
	return 0;
}

static void check_names(void)
{
	char n[GRANT_SETNAME_LEN];

	grant_set_name(n, CKQ_AF_INET, CKQ_PROTO_TCP, 22);
	ok(!strcmp(n, "ckq-tcp-22"), "set name for IPv4 tcp/22: %s", n);
	grant_set_name(n, CKQ_AF_INET6, CKQ_PROTO_TCP, 22);
	ok(!strcmp(n, "ckq6-tcp-22"), "set name for IPv6 tcp/22: %s", n);
	grant_set_name(n, CKQ_AF_INET6, CKQ_PROTO_UDP, 65535);
	ok(!strcmp(n, "ckq6-udp-65535"), "set name for IPv6 udp/65535: %s", n);
	grant_set_name(n, 5, CKQ_PROTO_TCP, 22);
	ok(n[0] == '\0', "no set name for an unknown family");
	grant_set_name(n, CKQ_AF_INET, 1, 22);
	ok(n[0] == '\0', "no set name for an unknown protocol");
}

static void check_v4(struct grant *g)
{
	struct ckq_addr a = addr("192.0.2.10");
	struct find f;

	is_int(grant_test(g, V4, &a), 0, "IPv4 address absent at first");
	is_int(grant_add(g, V4, &a, 300, "alice"), 0, "grant_add IPv4");
	is_int(grant_test(g, V4, &a), 1, "grant_test sees it");
	{
		struct ckq_addr b = addr("192.0.2.11");

		is_int(grant_test(g, V4, &b), 0, "a neighbour is not granted");
	}
	is_int(find(g, V4, "192.0.2.10", &f), 0, "grant_list IPv4");
	is_int(f.seen, 1, "listed once");
	ok(f.timeout <= 300 && f.timeout >= 295, "timeout read back: %u",
	   f.timeout);
	ok(!strcmp(f.comment, "alice"), "comment read back: %s", f.comment);

	is_int(grant_add(g, V4, &a, 1000, "bob"), 0, "re-grant is accepted");
	is_int(find(g, V4, "192.0.2.10", &f), 0, "grant_list after re-grant");
	is_int(f.seen, 1, "still listed once");
	ok(f.timeout <= 1000 && f.timeout >= 995,
	   "re-grant refreshed the timeout upwards: %u", f.timeout);
	ok(!strcmp(f.comment, "bob"), "re-grant replaced the comment: %s",
	   f.comment);
	is_int(grant_add(g, V4, &a, 60, "bob"), 0, "shorter re-grant");
	is_int(find(g, V4, "192.0.2.10", &f), 0, "grant_list again");
	ok(f.timeout <= 60 && f.timeout >= 55,
	   "re-grant replaced the timeout, not kept the larger: %u",
	   f.timeout);

	is_int(grant_del(g, V4, &a), 0, "grant_del IPv4");
	is_int(grant_test(g, V4, &a), 0, "gone after grant_del");
	is_int(find(g, V4, "192.0.2.10", &f), 0, "grant_list after delete");
	is_int(f.seen, 0, "not listed after delete");
	is_int(grant_del(g, V4, &a), CKQ_ERR_NOENT,
	       "deleting an absent entry gives CKQ_ERR_NOENT");
	ok(strstr(grant_errmsg(g), "not added") != NULL,
	   "with a message: %s", grant_errmsg(g));
	is_int(grant_add(g, V4, &a, 30, NULL), 0, "grant without comment");
	is_int(find(g, V4, "192.0.2.10", &f), 0, "grant_list");
	ok(f.seen == 1 && f.comment[0] == '\0', "listed with empty comment");
	is_int(grant_del(g, V4, &a), 0, "and deleted");
	is_int(grant_errmsg(g)[0], 0, "no message after success");
}

static void check_v6(struct grant *g)
{
	struct ckq_addr a = addr("2001:db8::5");
	struct find f;

	is_int(grant_add(g, V6, &a, 120, "carol.x_y-z"), 0, "grant_add IPv6");
	is_int(grant_test(g, V6, &a), 1, "grant_test sees IPv6");
	is_int(find(g, V6, "2001:db8::5", &f), 0, "grant_list IPv6");
	is_int(f.seen, 1, "IPv6 address listed once");
	ok(f.timeout <= 120 && f.timeout >= 115, "IPv6 timeout read back: %u",
	   f.timeout);
	ok(!strcmp(f.comment, "carol.x_y-z"), "IPv6 comment read back: %s",
	   f.comment);
	is_int(f.members, 1, "the IPv6 set holds nothing else");
	/* The kernel answers every failed test with "not there". */
	is_int(grant_test(g, V4, &a), 0,
	       "an IPv6 address is never found in an IPv4 set");
	is_int(grant_del(g, V6, &a), 0, "grant_del IPv6");
	is_int(grant_test(g, V6, &a), 0, "IPv6 gone after grant_del");
	is_int(grant_del(g, V6, &a), CKQ_ERR_NOENT,
	       "deleting an absent IPv6 entry gives CKQ_ERR_NOENT");
	{
		struct ckq_addr b = addr("192.0.2.12");

		ok(grant_add(g, V6, &b, 10, "x") == CKQ_ERR_IPSET,
		   "an IPv4 address into an IPv6 set is refused: %s",
		   grant_errmsg(g));
	}
}

static void check_missing(struct grant *g)
{
	struct ckq_addr a = addr("192.0.2.10");
	struct find f;

	is_int(grant_add(g, MISSING, &a, 10, "x"), CKQ_ERR_NOENT,
	       "grant_add to a missing set gives CKQ_ERR_NOENT");
	ok(!strcmp(grant_errmsg(g),
		   "The set with the given name does not exist"),
	   "with the message: %s", grant_errmsg(g));
	is_int(grant_test(g, MISSING, &a), CKQ_ERR_NOENT,
	       "grant_test on a missing set");
	is_int(grant_del(g, MISSING, &a), CKQ_ERR_NOENT,
	       "grant_del on a missing set");
	ok(strstr(grant_errmsg(g), "does not exist") != NULL,
	   "grant_del says why: %s", grant_errmsg(g));
	is_int(find(g, MISSING, "192.0.2.10", &f), CKQ_ERR_NOENT,
	       "grant_list on a missing set");
	ok(strstr(grant_errmsg(g), "does not exist") != NULL,
	   "grant_list says why: %s", grant_errmsg(g));
	is_int(f.members, 0, "and lists nothing");
	is_int(grant_test(g, V4, &a), 0, "the handle still works afterwards");
}

static void check_args(struct grant *g)
{
	struct ckq_addr a = addr("192.0.2.10"), bad = { 0 };
	char long_name[40];

	is_int(grant_add(g, V4, &a, 0, "x"), CKQ_ERR_RANGE,
	       "timeout 0 (never expires) is refused");
	is_int(grant_add(g, V4, &a, GRANT_TIMEOUT_MAX + 1, "x"),
	       CKQ_ERR_RANGE, "timeout beyond the kernel's maximum");
	is_int(grant_add(g, V4, &a, GRANT_TIMEOUT_MAX, "x"), 0,
	       "the kernel's maximum timeout is accepted");
	is_int(grant_del(g, V4, &a), 0, "and deleted again");
	is_int(grant_add(g, V4, &a, 10, "bad comment"), CKQ_ERR_FORMAT,
	       "comment with a space");
	is_int(grant_add(g, V4, &a, 10, "x\"y"), CKQ_ERR_FORMAT,
	       "comment with a quote");
	is_int(grant_add(g, V4, &a, 10, ""), CKQ_ERR_FORMAT, "empty comment");
	is_int(grant_add(g, V4, &a, 10, "abcdefghijklmnopqrstuvwxyz012345"),
	       0, "32-character comment");
	is_int(grant_add(g, V4, &a, 10, "abcdefghijklmnopqrstuvwxyz0123456"),
	       CKQ_ERR_FORMAT, "33-character comment");
	is_int(grant_del(g, V4, &a), 0, "cleanup");
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	is_int(grant_add(g, long_name, &a, 10, "x"), CKQ_ERR_FORMAT,
	       "set name too long");
	is_int(grant_test(g, "", &a), CKQ_ERR_FORMAT, "empty set name");
	is_int(grant_test(g, NULL, &a), CKQ_ERR_FORMAT, "NULL set name");
	is_int(grant_test(g, V4, &bad), CKQ_ERR_FORMAT, "address of no family");
	is_int(grant_list(g, "", find_cb, NULL), CKQ_ERR_FORMAT,
	       "grant_list with an empty set name");
}

static void check_bulk(struct grant *g)
{
	struct ckq_addr a = addr("10.1.0.0");
	struct find f;
	int i, bad = 0, calls = 0;

	for (i = 0; i < BULK; i++) {
		a.a[2] = (uint8_t)(i >> 8);
		a.a[3] = (uint8_t)i;
		if (grant_add(g, V4, &a, 500, "bulk"))
			bad++;
	}
	is_int(bad, 0, "%d grants added", BULK);
	is_int(find(g, V4, "10.1.11.183", &f), 0,
	       "grant_list over several datagrams");
	is_int(f.members, BULK, "every member listed once");
	ok(f.seen == 1 && !strcmp(f.comment, "bulk"),
	   "the last one among them");

	is_int(grant_list(g, V4, stop_cb, &calls), 42,
	       "a callback's non-zero return stops the walk and is returned");
	is_int(calls, 5, "no callback after the stop");
	is_int(find(g, V4, "10.1.0.0", &f), 0,
	       "a new dump works right after an interrupted one");
	is_int(f.members, BULK, "and lists every member");
	is_int(grant_test(g, V4, &a), 1, "the handle still works");

	for (bad = 0, i = 0; i < BULK; i++) {
		a.a[2] = (uint8_t)(i >> 8);
		a.a[3] = (uint8_t)i;
		if (grant_del(g, V4, &a))
			bad++;
	}
	is_int(bad, 0, "%d grants deleted", BULK);
	is_int(find(g, V4, "10.1.0.0", &f), 0, "grant_list after the purge");
	is_int(f.members, 0, "the set is empty again");
}

static void check_sets(struct grant *g, enum grant_backend b)
{
	struct sets s = { 0 };
	/* grant.sh gives the nft table one set that no rule uses. */
	int extra = b == GRANT_NFT;

	is_int(grant_list_sets(g, sets_cb, &s), 0, "grant_list_sets");
	is_int(s.v4, 1, "lists " V4);
	is_int(s.v6, 1, "lists " V6);
	is_int(s.other, extra, "skips sets not named ckq-* or ckq6-*");
	is_int(s.total, 2 + extra, "every set of ours, once");
}

/* Both rules files reference each set: the iptables rule, or ckq.nft's
 * input and forward chains. */
static void check_info(struct grant *g, enum grant_backend b)
{
	uint32_t refs = 0;
	uint8_t family = 0;

	is_int(grant_set_info(g, V4, &refs, &family), 0, "grant_set_info " V4);
	ok(refs >= 1, "%s is used by %u rule(s)", V4, refs);
	is_int(family, CKQ_AF_INET, V4 " holds IPv4 addresses");
	is_int(grant_set_info(g, V6, &refs, &family), 0, "grant_set_info " V6);
	ok(refs >= 1, "%s is used by %u rule(s)", V6, refs);
	is_int(family, CKQ_AF_INET6, V6 " holds IPv6 addresses");
	is_int(grant_set_info(g, MISSING, &refs, &family), CKQ_ERR_NOENT,
	       "grant_set_info on a missing set");
	if (b == GRANT_NFT) {
		is_int(grant_set_info(g, "ckq-tcp-2222", &refs, &family), 0,
		       "grant_set_info on an unreferenced set");
		is_int(refs, 0, "no rule uses it");
	}
}

int main(void)
{
	struct ckq_addr left = addr("192.0.2.77");
	const char *env = getenv("CKQ_GRANTS");
	enum grant_backend b = GRANT_IPSET;
	struct grant *g;

	if (env && grant_backend_parse(env, &b) < 0)
		bail_out("CKQ_GRANTS must be ipset or nft");
	printf("# backend %s\n", grant_backend_name(b));

	check_names();
	grant_close(NULL);
	ok(1, "grant_close(NULL) is harmless");
	g = grant_open(b);
	if (!g)
		bail_out("grant_open failed (root and ip_set or nf_tables needed)");
	ok(g != NULL, "grant_open");

	check_v4(g);
	check_v6(g);
	check_missing(g);
	check_args(g);
	check_bulk(g);
	check_sets(g, b);
	check_info(g, b);

	is_int(grant_add(g, V4, &left, 600, "leftover"), 0,
	       "leave 192.0.2.77 behind for grant.sh");
	grant_close(g);
	return done_testing();
}
