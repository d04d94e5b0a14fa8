/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ckq-admin check, what the kernel runs: ckqd on its queues, the rules, the layouts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <linux/netfilter.h>

#include "admin.h"
#include "check.h"
#include "err.h"
#include "grant.h"

/* The network namespace of a process, to tell whether we look at ckqd's. */
static ino_t netns_of(const char *pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%s/ns/net", pid);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* "queue 3", or "queues 0 to 3": n queues from first. */
const char *queues_str(char *buf, size_t len, uint32_t first, uint32_t n)
{
	if (n == 1)
		snprintf(buf, len, "queue %u", first);
	else
		snprintf(buf, len, "queues %u to %u", first, first + n - 1);
	return buf;
}

/* The NFQUEUE options (or nft queue statement) that send to n queues from first. */
static const char *queue_opts(char *buf, size_t len, bool iptables, uint32_t first, uint32_t n)
{
	if (iptables && n == 1)
		snprintf(buf, len, "--queue-num %u", first);
	else if (iptables)
		snprintf(buf, len, "--queue-balance %u:%u", first, first + n - 1);
	else if (n == 1)
		snprintf(buf, len, "queue num %u", first);
	else
		snprintf(buf, len, "queue num %u-%u", first, first + n - 1);
	return buf;
}

#define MAX_QUEUES 64	/* the most ckqd.conf allows */

/*
 * The kernel lists each bound queue in nfnetlink_queue, in the network
 * namespace of the reader: ckqd's, through its /proc directory.
 */
void check_bound(const struct ckqd_conf *conf, long *pid_out)
{
	char path[64], line[256], pid_s[24], ours[40];
	bool bound[MAX_QUEUES] = { false };
	unsigned int n = conf->queues < MAX_QUEUES ? conf->queues : MAX_QUEUES, i, missing = 0,
		     first = 0;
	long pid = daemon_pid();
	int lines = 0;
	FILE *f;

	*pid_out = pid;
	queues_str(ours, sizeof(ours), conf->queue, n);
	if (!pid) {
		say("error", "ckqd is not running: nothing reads %s, so every knock is "
		    "dropped unanswered (start ckqd)", ours);
		return;
	}
	snprintf(pid_s, sizeof(pid_s), "%ld", pid);
	if (netns_of(pid_s) != netns_of("self"))
		say("note", "ckqd (pid %ld) runs in another network namespace: the ipsets and "
		    "rules checked here are this one's", pid);
	snprintf(path, sizeof(path), "/proc/%ld/net/netfilter/nfnetlink_queue", pid);
	f = fopen(path, "re");
	if (!f) {
		say("error", "ckqd (pid %ld) runs, but %s cannot be read (%s): it holds no queue",
		    pid, path, strerror(errno));
		return;
	}
	while (lines++ < 65536 && fgets(line, sizeof(line), f)) {
		unsigned int num;

		if (sscanf(line, "%u", &num) == 1 && num >= conf->queue && num - conf->queue < n)
			bound[num - conf->queue] = true;
	}
	fclose(f);
	for (i = n; i-- > 0;)
		if (!bound[i]) {
			missing++;
			first = conf->queue + i;
		}
	if (missing == n)
		say("error", "ckqd (pid %ld) runs, but %s %s not bound (are queue or queues in "
		    "ckqd.conf changed since it started? restart it)", pid, ours,
		    n == 1 ? "is" : "are");
	else if (missing)
		say("error", "ckqd (pid %ld) runs, but %u of its %s %s not bound, queue %u first "
		    "(are queue or queues in ckqd.conf changed since it started? restart it)",
		    pid, missing, ours, missing == 1 ? "is" : "are", first);
}

static bool family_v4(uint8_t f)
{
	return f == NFPROTO_IPV4 || f == NFPROTO_INET;
}

static bool family_v6(uint8_t f)
{
	return f == NFPROTO_IPV6 || f == NFPROTO_INET;
}

static const char *family_name(uint8_t f)
{
	return f == NFPROTO_IPV4 ? "ip" : f == NFPROTO_IPV6 ? "ip6" : f == NFPROTO_INET ? "inet" :
	       "other";
}

/* Tables that iptables-legacy holds, which nf_tables cannot show. */
static bool legacy_tables(const char *file)
{
	char path[64], line[64];
	bool any = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/net/%s", file);
	f = fopen(path, "re");
	if (!f)
		return false;
	any = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	return any;
}

#define MAX_RULES 32
#define MAX_SETS 64

/*
 * The rule against ckqd's queues: an error when it sends knocks to a queue
 * ckqd does not read, a warning when it leaves some of ckqd's unused.
 * Returns whether any of its knocks reach ckqd.
 */
static bool check_range(const struct ckqd_conf *conf, const struct nftrules_queue *x,
			const char *rule)
{
	uint32_t a = x->num, b = a + x->total - 1, c = conf->queue, d = c + conf->queues - 1;
	uint32_t lo = a > c ? a : c, hi = b < d ? b : d, shared = lo <= hi ? hi - lo + 1 : 0;
	char theirs[40], ours[40], want[40], conf_fix[64] = "", cure[160];
	const char *keys = conf->queues == 1 ? "queue" : "queue and queues";

	queues_str(theirs, sizeof(theirs), a, x->total);
	queues_str(ours, sizeof(ours), c, conf->queues);
	queue_opts(want, sizeof(want), x->iptables, c, conf->queues);
	/* The other way round: ckqd reads what the rule sends, if ckqd.conf allows it. */
	if (x->total <= MAX_QUEUES && a == c)
		snprintf(conf_fix, sizeof(conf_fix), ", or queues = %u in ckqd.conf", x->total);
	else if (x->total <= MAX_QUEUES && x->total == conf->queues)
		snprintf(conf_fix, sizeof(conf_fix), ", or queue = %u in ckqd.conf", a);
	else if (x->total <= MAX_QUEUES)
		snprintf(conf_fix, sizeof(conf_fix), ", or queue = %u and queues = %u in ckqd.conf",
			 a, x->total);
	snprintf(cure, sizeof(cure), "(make the rule %s%s)", want, conf_fix);

	if (shared < x->total) {
		uint32_t lost = x->total - shared;
		/* Unless it bypasses, the kernel drops what it queues where no one reads. */
		const char *fate =
			x->bypass ? "let through unread (bypass), never answered by ckqd" :
			lost == 1 ? "dropped by the kernel, as nothing reads it" :
				    "dropped by the kernel, as nothing reads them";
		char below[40] = "", above[40] = "";

		if (!shared) {
			say("error", "the rule in %s sends udp/%u to %s, but ckqd reads %s (%s in "
			    "ckqd.conf): every knock is %s %s", rule, conf->knock_port, theirs,
			    ours, keys, fate, cure);
			return false;
		}
		if (a < c)
			queues_str(below, sizeof(below), a, c - a);
		if (b > d)
			queues_str(above, sizeof(above), d + 1, b - d);
		say("error", "the rule in %s sends udp/%u to %s, but ckqd reads %s (%s in "
		    "ckqd.conf): the knocks the kernel puts on %s%s%s (it picks the queue by the "
		    "client's address, or by CPU with fanout) are %s %s", rule, conf->knock_port,
		    theirs, ours, keys, below, below[0] && above[0] ? " and " : "", above, fate,
		    cure);
	} else if (shared < conf->queues) {
		uint32_t idle = conf->queues - shared;
		char who[48];

		if (idle == 1)
			snprintf(who, sizeof(who), "the worker of the other queue sits");
		else
			snprintf(who, sizeof(who), "the workers of the %u other queues sit", idle);
		say("warning", "the rule in %s sends udp/%u to %s only, but ckqd reads %s (%s in "
		    "ckqd.conf): %s%s idle %s", rule, conf->knock_port, theirs, ours, keys,
		    x->total == 1 ? "one worker takes every knock while " : "", who, cure);
	}
	return shared > 0;
}

void check_rule(const struct ckqd_conf *conf, const struct nftrules_ruleset *rs,
		bool have_rs, char *where, size_t where_len)
{
	struct nftrules_queue q[MAX_RULES];
	size_t nrules = 0, i, n;
	bool v4 = false, v6 = false, v4_other = false;
	char ours[40], want[40];
	int r;

	where[0] = '\0';
	queues_str(ours, sizeof(ours), conf->queue, conf->queues);
	r = nftrules_find_queue(conf->knock_port, q, MAX_RULES, &nrules);
	if (r < 0) {
		if (r == CKQ_ERR_IO && (errno == EPERM || errno == EACCES))
			say("error", "cannot read the nftables ruleset: %s (run as root): the "
			    "NFQUEUE rule was not inspected", strerror(errno));
		else if (r == CKQ_ERR_IO && (errno == EOPNOTSUPP || errno == ENOENT ||
					     errno == EPROTONOSUPPORT))
			say("note", "this kernel has no nf_tables: the NFQUEUE rule was not "
			    "inspected (only ckqd's binding to the queue was)");
		else
			say("error", "cannot read the nftables ruleset: %s: the NFQUEUE rule was "
			    "not inspected", r == CKQ_ERR_IO ? strerror(errno) : ckq_strerror(r));
		return;
	}
	n = (size_t)r < MAX_RULES ? (size_t)r : MAX_RULES;
	for (i = 0; i < n; i++) {
		const struct nftrules_queue *x = &q[i];
		char rule[NFTRULES_NAME_MAX * 2 + 64];

		snprintf(rule, sizeof(rule), "%s %s %s (handle %llu)", family_name(x->family),
			 x->table, x->chain, (unsigned long long)x->handle);
		if (x->bypass)
			say("warning", "the rule in %s queues udp/%u with bypass%s: while ckqd is "
			    "down, knocks go on through the rules instead of being dropped; ckq "
			    "is meant to fail closed (remove the bypass)", rule, conf->knock_port,
			    x->iptables ? " (--queue-bypass)" : "");
		if (have_rs) {
			const struct nftrules_rule *jump;

			if (!nftrules_reached(rs, x->family, x->table, x->chain, &jump)) {
				say("error", "the rule in %s sends udp/%u to ckqd, but no rule jumps "
				    "to %s: knocks never reach it (iptables -I INPUT 1 -j %s; "
				    "ckq-firewall load puts the jump in)", rule, conf->knock_port,
				    x->chain, x->chain);
				v4_other |= family_v4(x->family);
				continue;
			}
		}
		if (!check_range(conf, x, rule)) {
			v4_other |= family_v4(x->family);
			continue;
		}
		if (family_v4(x->family) && !v4)
			snprintf(where, where_len, "%s", rule);
		v4 |= family_v4(x->family);
		v6 |= family_v6(x->family);
	}
	if (!v4 && !v4_other) {
		if (!nrules && legacy_tables("ip_tables_names"))
			say("note", "the firewall is loaded by iptables-legacy, which this check "
			    "cannot read: the rule sending udp/%u to %s was not inspected",
			    conf->knock_port, ours);
		else
			say("error", "no rule sends udp/%u to %s, so knocks never reach ckqd "
			    "(iptables -I INPUT -p udp --dport %u -j NFQUEUE %s; see "
			    "rules/ckq.rules)", conf->knock_port, ours, conf->knock_port,
			    queue_opts(want, sizeof(want), true, conf->queue, conf->queues));
	}
	if (!v6 && !(nrules == 0 && legacy_tables("ip6_tables_names")))
		say("note", "no IPv6 rule sends udp/%u to %s: IPv6 knocks do not reach "
		    "ckqd (see rules/ckq6.rules)", conf->knock_port, ours);
}

/* "ip filter INPUT (handle 4)": where a rule is, as nft list ruleset -a shows it. */
static const char *rule_where(char *buf, size_t len, const struct nftrules_rule *r)
{
	snprintf(buf, len, "%s %s %s (handle %llu)", family_name(r->family), r->table, r->chain,
		 (unsigned long long)r->handle);
	return buf;
}

static const char *hook_name(uint32_t hook)
{
	return hook == NF_INET_LOCAL_IN ? "input" : hook == NF_INET_FORWARD ? "forward" :
	       hook == NF_INET_PRE_ROUTING ? "prerouting" : "another hook";
}

/* The ipset indexes the rules name, with the names the kernel gives them. */
struct set_names {
	int idx[MAX_SETS];
	char name[MAX_SETS][GRANT_SETNAME_LEN];
	size_t n;
};

static void set_names_load(const struct nftrules_ruleset *rs, struct set_names *sn)
{
	size_t i, k;

	sn->n = 0;
	for (i = 0; i < rs->nrules; i++) {
		int idx = rs->rules[i].set;

		if (idx < 0)
			continue;
		for (k = 0; k < sn->n && sn->idx[k] != idx; k++)
			;
		if (k < sn->n || sn->n == MAX_SETS)
			continue;
		sn->idx[sn->n] = idx;
		if (nftrules_ipset_name(idx, sn->name[sn->n], sizeof(sn->name[0])) < 0) {
			char where[NFTRULES_NAME_MAX * 2 + 64];

			say("error", "the rule in %s names ipset number %d, which does not exist "
			    "(any more): reload the rules after the sets (ckq-firewall load)",
			    rule_where(where, sizeof(where), &rs->rules[i]), idx);
			sn->name[sn->n][0] = '\0';
		}
		sn->n++;
	}
}

static int set_index(const struct set_names *sn, const char *name)
{
	size_t k;

	for (k = 0; k < sn->n; k++)
		if (!strcmp(sn->name[k], name))
			return sn->idx[k];
	return -1;
}

/*
 * One port of one family against the layouts of rules/: full table (INPUT
 * accepts the set's members, policy drop), coexisting chain (a chain that
 * INPUT jumps to first drops new connections from outside the set), and
 * the same two in FORWARD for a gateway.
 */
static void check_port_layout(const struct nftrules_ruleset *rs, const struct set_names *sn,
			      const struct port_use *p, uint8_t family, const char *set)
{
	struct nftrules_use use[MAX_RULES];
	const char *proto = proto_name(p->proto), *fam = family == NFPROTO_IPV4 ? "IPv4" : "IPv6";
	const char *ipt = family == NFPROTO_IPV4 ? "iptables" : "ip6tables";
	char where[NFTRULES_NAME_MAX * 2 + 64], first[NFTRULES_NAME_MAX * 2 + 64];
	int idx = set_index(sn, set);
	size_t n, i;

	if (idx < 0)
		return;		/* no rule names it: check_sets said so */
	n = nftrules_uses(rs, family, idx, p->proto, p->port, use, MAX_RULES);
	if (!n)
		say("warning", "%s/%u (%s): rules name ipset %s, but none accepts its members or "
		    "drops new connections from everyone else: not a layout of rules/ (see "
		    "rules/README)", proto, p->port, fam, set);
	for (i = 0; i < n && i < MAX_RULES; i++) {
		const struct nftrules_use *u = &use[i];
		const char *what = u->form == NFTRULES_OPENS ? "accepts new connections from" :
			"drops new connections from outside";
		bool gw;

		rule_where(where, sizeof(where), u->rule);
		if (u->port && u->port != p->port) {
			say("error", "the rule in %s tests %s/%u but names ipset %s, which ckqd fills "
			    "for %s/%u: grants for %s/%u go to the set of that port (%s-%s-%u)",
			    where, proto, u->port, set, proto, p->port, proto, u->port,
			    family == NFPROTO_IPV4 ? "ckq" : "ckq6", proto, u->port);
			continue;
		}
		if (!u->base) {
			say("error", "%s/%u (%s): the rule in %s %s ipset %s, but no rule jumps to "
			    "%s: nothing in it is ever looked at (%s -I INPUT 1 -j %s, or for a "
			    "gateway FORWARD; ckq-firewall load puts the jumps in)", proto, p->port,
			    fam, where, what, set, u->rule->chain, ipt, u->rule->chain);
			continue;
		}
		gw = u->base->hook == NF_INET_FORWARD;
		if (u->base->hook != NF_INET_LOCAL_IN && !gw) {
			say("warning", "%s/%u (%s): the rule in %s %s ipset %s, in a chain of the "
			    "%s hook: not a layout of rules/", proto, p->port, fam, where, what, set,
			    hook_name(u->base->hook));
			continue;
		}
		if (u->form == NFTRULES_OPENS)
			say("note", "%s/%u (%s): %s, full table: %s %s accepts new connections "
			    "from ipset %s (%s)", proto, p->port, fam, gw ? "gateway" : "host",
			    u->base->table, u->base->name, set, where);
		else
			say("note", "%s/%u (%s): %s, coexisting chain: %s %s jumps to %s (handle "
			    "%llu), which drops new connections from outside ipset %s", proto,
			    p->port, fam, gw ? "gateway" : "host", u->base->table, u->base->name,
			    u->rule->chain, u->jump ? (unsigned long long)u->jump->handle : 0ULL, set);
		if (u->form == NFTRULES_OPENS && !u->base->policy_drop)
			say("error", "%s/%u (%s): %s %s accepts ipset %s's members, but its policy "
			    "is accept: everyone else gets in as well (the full-table layout sets "
			    "policy DROP; beside another firewall use the coexisting chain, "
			    "rules/ckq-chain.rules)", proto, p->port, fam, u->base->table,
			    u->base->name, set);
		if (u->first)
			say(u->first->narrow ? "warning" : "error", "%s/%u (%s): the rule in %s "
			    "accepts %s/%u%s before %s: %s get in without a knock (delete it, or "
			    "put ckq's rule above it: ckq-firewall load)", proto, p->port, fam,
			    rule_where(first, sizeof(first), u->first), proto, p->port,
			    u->first->narrow ? " for some packets (it tests more)" : "",
			    u->jump ? "the jump to ckq's chain" : "ckq's rule",
			    u->first->narrow ? "those" : "all");
	}
}

void check_layouts(const struct port_uses *pu, struct nftrules_ruleset *rs, bool have_rs)
{
	struct set_names *sn;
	char set[GRANT_SETNAME_LEN];
	size_t i, k;

	if (!have_rs)
		return;		/* check_rule said why */
	sn = calloc(1, sizeof(*sn));
	if (!sn) {
		say("error", "out of memory");
		return;
	}
	set_names_load(rs, sn);
	for (i = 0; i < pu->n; i++) {
		grant_set_name(set, CKQ_AF_INET, pu->p[i].proto, pu->p[i].port);
		check_port_layout(rs, sn, &pu->p[i], NFPROTO_IPV4, set);
		grant_set_name(set, CKQ_AF_INET6, pu->p[i].proto, pu->p[i].port);
		check_port_layout(rs, sn, &pu->p[i], NFPROTO_IPV6, set);
	}
	/* A set of ckq's that rules name but no user's port fills. */
	for (k = 0; k < sn->n; k++) {
		bool used = false;

		if (!grant_set_family(sn->name[k]))
			continue;
		for (i = 0; i < pu->n && !used; i++) {
			grant_set_name(set, CKQ_AF_INET, pu->p[i].proto, pu->p[i].port);
			used = !strcmp(set, sn->name[k]);
			grant_set_name(set, CKQ_AF_INET6, pu->p[i].proto, pu->p[i].port);
			used |= !strcmp(set, sn->name[k]);
		}
		if (!used)
			say("note", "rules name ipset %s, but no user may open its port: it stays "
			    "empty (ckq-admin add-user --ports)", sn->name[k]);
	}
	free(sn);
}
