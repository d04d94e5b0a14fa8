/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/netfilter.h>

#include "admin.h"
#include "conf.h"
#include "crypto.h"
#include "err.h"
#include "grant.h"
#include "nftrules.h"
#include "util.h"

static const char check_usage[] =
	"Usage: ckq-admin [-c DIR] check\n"
	"Checks what ckqd needs, and says what is wrong, one line each: ckqd.conf,\n"
	"the server key pair, every user's files and who may read them, an ipset\n"
	"used by a firewall rule for every port of every user, ckqd bound to its\n"
	"queues, and a rule (read from nftables, as iptables-nft loads it) sending\n"
	"the knock port to exactly those queues, and not letting knocks bypass it;\n"
	"then which layout of rules/ each port's rules make (full table, coexisting\n"
	"chain, gateway) and what breaks it (no jump, the port accepted first...).\n"
	"Exits 0 when all is well, 1 otherwise.\n";

static unsigned int problems;

__attribute__((format(printf, 2, 3)))
static void say(const char *kind, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", kind);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (strcmp(kind, "note"))
		problems++;
}

/* Whether ckqd's user may read (r = 4) or search (r = 1) a file, by its mode
 * alone: sandboxed ckqd has no CAP_DAC_OVERRIDE, even as root. */
static bool may(const struct stat *st, uid_t uid, gid_t gid, unsigned int r)
{
	unsigned int shift = st->st_uid == uid ? 6 : st->st_gid == gid ? 3 : 0;

	return ((st->st_mode >> shift) & r) == r;
}

struct daemon_user {
	bool known;
	uid_t uid;
	gid_t gid;
	const char *name;
};

/* SIGHUP rereads these as ckqd's user: it must still be able to. */
static void check_rereadable(const struct daemon_user *du, const char *path, unsigned int r,
			     const char *fix)
{
	struct stat st;

	if (!du->known || lstat(path, &st) < 0 || may(&st, du->uid, du->gid, r))
		return;
	say("error", "%s (owner uid %u, mode %04o) is not %s by ckqd's user %s (uid %u): "
	    "a reload (SIGHUP) would fail (%s)", path, (unsigned int)st.st_uid,
	    (unsigned int)(st.st_mode & 07777),
	    r == 4 ? "readable" : r == 1 ? "searchable" : "listable", du->name,
	    (unsigned int)du->uid, fix);
}

static void check_conf(struct ckqd_conf *conf, struct daemon_user *du)
{
	char err[CKQ_ERRBUF] = "", path[PATH_MAX];

	if (conf_load(admin_dir, conf, err, sizeof(err)) < 0) {
		say("error", "%s (the checks below use the defaults)", err);
		conf_defaults(conf);
	}
	du->name = conf->user;
	if (daemon_owner(&du->uid, &du->gid) > 0) {
		du->known = true;
		file_trust_uid(du->uid);
		file_trust_gid(du->gid);
	} else {
		say("error", "ckqd's user '%s' (user in ckqd.conf) does not exist: ckqd will not "
		    "start (adduser --system --no-create-home %s, or user = root)",
		    conf->user, conf->user);
	}
	check_rereadable(du, admin_dir, 1, "chmod 755 it");
	snprintf(path, sizeof(path), "%s/ckqd.conf", admin_dir);
	check_rereadable(du, path, 4, "chmod 644 it");
}

static void check_keys(void)
{
	char err[CKQ_ERRBUF] = "", a[CKQ_FP_STRLEN], b[CKQ_FP_STRLEN];
	struct ckq_key *key = NULL, *pub = NULL;

	if (server_key_load(admin_dir, true, &key, err, sizeof(err)) < 0)
		say("error", "%s", err);
	err[0] = '\0';
	if (server_key_load(admin_dir, false, &pub, err, sizeof(err)) < 0)
		say("error", "%s", err);
	if (key && pub && memcmp(key->fp, pub->fp, CKQ_FP_LEN)) {
		key_fp_str(pub->fp, a);
		key_fp_str(key->fp, b);
		say("error", "%s/server.pub (%s) is not the public half of server.key (%s): users "
		    "who import it cannot verify ckqd's answers (openssl pkey -in server.key "
		    "-pubout -out server.pub)", admin_dir, a, b);
	}
	key_free(key);
	key_free(pub);
}

/* The ports of the users, each with who may open it. */
struct port_use {
	uint8_t proto;
	uint16_t port;
	char users[80];
};

struct port_uses {
	struct port_use *p;
	size_t n, cap;
};

static int port_add(struct port_uses *pu, const struct port_spec *ps, const char *user)
{
	struct port_use *p = NULL;
	size_t i, used;

	for (i = 0; i < pu->n && !p; i++)
		if (pu->p[i].proto == ps->proto && pu->p[i].port == ps->port)
			p = &pu->p[i];
	if (!p) {
		if (pu->n == pu->cap) {
			size_t cap = pu->cap ? pu->cap * 2 : 16;
			struct port_use *n = realloc(pu->p, cap * sizeof(*n));

			if (!n)
				return CKQ_ERR_NOMEM;
			pu->p = n;
			pu->cap = cap;
		}
		p = &pu->p[pu->n++];
		memset(p, 0, sizeof(*p));
		p->proto = ps->proto;
		p->port = ps->port;
	}
	used = strlen(p->users);
	if (used + strlen(user) + 6 < sizeof(p->users))
		snprintf(p->users + used, sizeof(p->users) - used, "%s%s", used ? ", " : "", user);
	else if (!strstr(p->users, "..."))
		snprintf(p->users + used, sizeof(p->users) - used, ", ...");
	return 0;
}

/*
 * users/ and its files are root's: were ckqd's user to own one, or be able
 * to write it, a compromised ckqd could enrol a user of its own or undo a
 * revocation.
 */
static void check_not_daemons(const struct daemon_user *du, const char *path, mode_t mode)
{
	struct stat st;

	if (!du->known || du->uid == 0 || lstat(path, &st) < 0)
		return;
	if (st.st_uid == du->uid || (st.st_gid == du->gid && (st.st_mode & S_IWGRP)) ||
	    (st.st_mode & S_IWOTH))
		say("warning", "%s (owner uid %u, mode %04o) can be changed by ckqd's user %s: "
		    "a compromised ckqd could enrol a user or undo a revocation (chown root:%u "
		    "and chmod %04o it; ckq-admin add-user does it for users/)", path,
		    (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777), du->name,
		    (unsigned int)du->gid, (unsigned int)mode);
}

static size_t check_users(const struct daemon_user *du, struct port_uses *pu)
{
	char path[PATH_MAX], file[PATH_MAX + CKQ_USER_MAX + 8], err[CKQ_ERRBUF];
	struct dirent *de;
	size_t n = 0, i;
	DIR *d;

	snprintf(path, sizeof(path), "%s/users", admin_dir);
	d = opendir(path);
	if (!d) {
		if (errno != ENOENT)
			say("error", "%s: %s", path, strerror(errno));
		else
			say("note", "%s does not exist: no users yet (ckq-admin add-user)", path);
		return 0;
	}
	check_rereadable(du, path, 5, "ckq-admin add-user makes it root's, in that user's group, "
			 "mode 0750");
	check_not_daemons(du, path, 0750);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char name[CKQ_USER_MAX + 1];
		struct ckq_user u;

		if (len <= 5 || strcmp(de->d_name + len - 5, ".conf"))
			continue;
		if (len - 5 > CKQ_USER_MAX) {
			say("error", "%s/%s: the name is longer than %d characters: ckqd skips it",
			    path, de->d_name, CKQ_USER_MAX);
			continue;
		}
		memcpy(name, de->d_name, len - 5);
		name[len - 5] = '\0';
		n++;
		err[0] = '\0';
		/* user_load() is what ckqd runs, with file_read()'s rules on owners and modes. */
		if (user_load(admin_dir, name, &u, err, sizeof(err)) < 0) {
			say("error", "%s", err[0] ? err : name);
			continue;
		}
		snprintf(file, sizeof(file), "%s/%s.conf", path, name);
		check_rereadable(du, file, 4, "chown it to root and that user's group, and chmod 640 it");
		check_not_daemons(du, file, 0640);
		snprintf(file, sizeof(file), "%s/%s.pub", path, name);
		check_rereadable(du, file, 4, "chmod 644 it");
		check_not_daemons(du, file, 0644);
		for (i = 0; i < u.nports; i++)
			if (port_add(pu, &u.ports[i], u.name) < 0)
				say("error", "out of memory");
		user_clear(&u);
	}
	closedir(d);
	return n;
}

static void check_sets(const struct port_uses *pu)
{
	struct grant *g = admin_grant_open();
	char set[GRANT_SETNAME_LEN], set6[GRANT_SETNAME_LEN];
	size_t i;

	if (!g) {
		say("error", "cannot read the kernel's ipsets: %s (run as root; is the ip_set "
		    "module loaded?): the sets of the users' ports were not checked",
		    strerror(errno));
		return;
	}
	for (i = 0; i < pu->n; i++) {
		const struct port_use *p = &pu->p[i];
		const char *proto = proto_name(p->proto);
		uint32_t refs = 0;
		uint8_t family = 0;
		int r;

		grant_set_name(set, CKQ_AF_INET, p->proto, p->port);
		grant_set_name(set6, CKQ_AF_INET6, p->proto, p->port);
		r = grant_set_info(g, set, &refs, &family);
		/* A port only IPv6 reaches (a routed LAN host, rules/gateway/) needs no IPv4 set. */
		if (r == CKQ_ERR_NOENT && grant_set_info(g, set6, &refs, &family) == 0)
			say("note", "%s/%u: no ipset %s: IPv4 knocks for it cannot be granted (IPv6 "
			    "ones can: %s exists)", proto, p->port, set, set6);
		else if (r == CKQ_ERR_NOENT)
			say("error", "%s/%u (%s): no ipset %s, so every grant of it fails (ipset "
			    "create %s hash:ip family inet timeout 0 comment; and a rule that "
			    "accepts it, see rules/)", proto, p->port, p->users, set, set);
		else if (r < 0)
			say("error", "%s/%u: cannot read ipset %s: %s", proto, p->port, set,
			    grant_errmsg(g));
		else if (family != CKQ_AF_INET)
			say("error", "%s/%u (%s): ipset %s is not of family inet: ckqd cannot add "
			    "IPv4 addresses to it (destroy it and create it again)", proto, p->port,
			    p->users, set);
		else if (!refs)
			say("error", "%s/%u (%s): no firewall rule uses ipset %s, so a grant opens "
			    "nothing (iptables -A INPUT -p %s --dport %u -m conntrack --ctstate NEW "
			    "-m set --match-set %s src -j ACCEPT)", proto, p->port, p->users, set,
			    proto, p->port, set);
		r = grant_set_info(g, set6, &refs, &family);
		if (r == CKQ_ERR_NOENT)
			say("note", "%s/%u: no ipset %s: IPv6 knocks for it cannot be granted",
			    proto, p->port, set6);
		else if (r == 0 && family != CKQ_AF_INET6)
			say("error", "%s/%u: ipset %s is not of family inet6", proto, p->port, set6);
		else if (r == 0 && !refs)
			say("note", "%s/%u: no ip6tables rule uses ipset %s: IPv6 grants open nothing",
			    proto, p->port, set6);
	}
	grant_close(g);
}

/*
 * grants = nft: the sets live in table inet ckq (rules/ckq.nft), where a
 * rule drops new connections from outside them. A set no rule looks up
 * guards nothing: the port is as open as the other tables leave it.
 */
static void check_sets_nft(const struct port_uses *pu)
{
	struct grant *g = admin_grant_open();
	char set[GRANT_SETNAME_LEN], set6[GRANT_SETNAME_LEN];
	size_t i;

	if (!g) {
		say("error", "cannot read the nftables sets: %s (run as root): the sets of the "
		    "users' ports were not checked", strerror(errno));
		return;
	}
	for (i = 0; i < pu->n; i++) {
		const struct port_use *p = &pu->p[i];
		const char *proto = proto_name(p->proto);
		uint32_t refs = 0;
		uint8_t family = 0;
		int r;

		grant_set_name(set, CKQ_AF_INET, p->proto, p->port);
		grant_set_name(set6, CKQ_AF_INET6, p->proto, p->port);
		r = grant_set_info(g, set, &refs, &family);
		if (r == CKQ_ERR_NOENT)
			say("error", "%s/%u (%s): no set %s in table inet " GRANT_NFT_TABLE ", so "
			    "every grant of it fails (nft add set inet ckq %s '{ type ipv4_addr; "
			    "flags timeout; }'; and a rule that drops the rest, see rules/ckq.nft)",
			    proto, p->port, p->users, set, set);
		else if (r < 0)
			say("error", "%s/%u: cannot read set %s of table inet " GRANT_NFT_TABLE ": %s",
			    proto, p->port, set, grant_errmsg(g));
		else if (family != CKQ_AF_INET)
			say("error", "%s/%u (%s): set %s is not of type ipv4_addr: ckqd cannot add "
			    "IPv4 addresses to it (delete it and add it again)", proto, p->port,
			    p->users, set);
		else if (!refs)
			say("error", "%s/%u (%s): no rule of table inet " GRANT_NFT_TABLE " looks up "
			    "set %s, so nothing closes %s/%u to others (nft add rule inet ckq input "
			    "%s dport %u ct state new ip saddr != @%s drop)", proto, p->port,
			    p->users, set, proto, p->port, proto, p->port, set);
		r = grant_set_info(g, set6, &refs, &family);
		if (r == CKQ_ERR_NOENT)
			say("note", "%s/%u: no set %s in table inet " GRANT_NFT_TABLE ": IPv6 knocks "
			    "for it cannot be granted", proto, p->port, set6);
		else if (r == 0 && family != CKQ_AF_INET6)
			say("error", "%s/%u: set %s is not of type ipv6_addr", proto, p->port, set6);
		else if (r == 0 && !refs)
			say("error", "%s/%u: no rule of table inet " GRANT_NFT_TABLE " looks up set "
			    "%s, so nothing closes %s/%u to others over IPv6", proto, p->port,
			    set6, proto, p->port);
	}
	grant_close(g);
}

/* The network namespace of a process, to tell whether we look at ckqd's. */
static ino_t netns_of(const char *pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%s/ns/net", pid);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* "queue 3", or "queues 0 to 3": n queues from first. */
static const char *queues_str(char *buf, size_t len, uint32_t first, uint32_t n)
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
static void check_bound(const struct ckqd_conf *conf, long *pid_out)
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

static void check_rule(const struct ckqd_conf *conf, const struct nftrules_ruleset *rs,
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

static void check_layouts(const struct port_uses *pu, struct nftrules_ruleset *rs, bool have_rs)
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

		if (strncmp(sn->name[k], "ckq-", 4) && strncmp(sn->name[k], "ckq6-", 5))
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

int check_main(int argc, char *argv[])
{
	struct daemon_user du = { 0 };
	struct port_uses pu = { 0 };
	struct nftrules_ruleset rs;
	bool have_rs;
	struct ckqd_conf conf;
	char where[NFTRULES_NAME_MAX * 2 + 64], ours[40];
	size_t users;
	long pid;
	int i, ret = 1;

	i = admin_getopt(argc, argv, check_usage, &ret);
	if (i < 0)
		return ret;
	if (i != argc) {
		fputs(check_usage, stderr);
		return 2;
	}
	problems = 0;
	check_conf(&conf, &du);
	check_keys();
	users = check_users(&du, &pu);
	if (conf.grants == GRANT_NFT)
		check_sets_nft(&pu);
	else
		check_sets(&pu);
	check_bound(&conf, &pid);
	have_rs = nftrules_dump(&rs) == 0;
	check_rule(&conf, &rs, have_rs, where, sizeof(where));
	check_layouts(&pu, &rs, have_rs);
	nftrules_free(&rs);
	free(pu.p);
	if (problems) {
		printf("ckq-admin check: %u problem%s\n", problems, problems == 1 ? "" : "s");
		return 1;
	}
	printf("ckq-admin check: all is well: %zu user%s, %zu port%s; ckqd (pid %ld) reads %s",
	       users, users == 1 ? "" : "s", pu.n, pu.n == 1 ? "" : "s", pid,
	       queues_str(ours, sizeof(ours), conf.queue, conf.queues));
	if (where[0])
		printf(", where the rule in %s sends udp/%u\n", where, conf.knock_port);
	else
		printf(" (the rule sending udp/%u there was not inspected)\n", conf.knock_port);
	return 0;
}
