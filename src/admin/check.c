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
#include "check.h"
#include "conf.h"
#include "crypto.h"
#include "err.h"
#include "grant.h"
#include "nftrules.h"
#include "proto2.h"
#include "util.h"

static const char check_usage[] =
	"Usage: ckq-admin [-c DIR] check\n"
	"Checks what ckqd needs, and says what is wrong, one line each: ckqd.conf,\n"
	"the server key pair (and the X25519 key of suite 2), every user's files and who may read them, an ipset\n"
	"used by a firewall rule for every port of every user, ckqd bound to its\n"
	"queues, and a rule (read from nftables, as iptables-nft loads it) sending\n"
	"the knock port to exactly those queues, and not letting knocks bypass it;\n"
	"then which layout of rules/ each port's rules make (full table, coexisting\n"
	"chain, gateway) and what breaks it (no jump, the port accepted first...).\n"
	"Exits 0 when all is well, 1 otherwise.\n";

static unsigned int problems;

void say(const char *kind, const char *fmt, ...)
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

/*
 * Suite 2 (doc/protocol.md 11): server-x25519.key is optional, but when it
 * is there server.pub must carry its public key, or suite 2 users cannot
 * knock.
 */
static void check_x25519(void)
{
	char err[CKQ_ERRBUF] = "", path[PATH_MAX], a[CKQ_FP_STRLEN], b[CKQ_FP_STRLEN];
	struct server_pubkeys pk;
	struct ckq_x25519 *k = NULL;
	struct s2_server s, ps;
	int ret = server_x25519_load(admin_dir, &k, err, sizeof(err));

	if (ret == CKQ_ERR_NOENT) {
		say("note", "no %s/" CKQ_SERVER_X25519_KEY ": suite 2 off (ckq-admin init adds it, "
		    "for users of Ed25519 and ssh-agent keys)", admin_dir);
		return;
	}
	if (ret < 0) {
		say("error", "%s", err);
		return;
	}
	snprintf(path, sizeof(path), "%s/server.pub", admin_dir);
	if (server_pub_load(path, &pk, err, sizeof(err)) == 0) {
		if (!pk.has_x25519) {
			say("error", "%s holds no X25519 key, but the server has " CKQ_SERVER_X25519_KEY
			    ": suite 2 users cannot knock (openssl pkey -in " CKQ_SERVER_X25519_KEY
			    " -pubout >> server.pub)", path);
		} else if (s2_server_init(k->pub, NULL, &s) == 0 &&
			   s2_server_init(pk.x25519, NULL, &ps) == 0 &&
			   memcmp(s.fp, ps.fp, CKQ_FP_LEN)) {
			key_fp_str(ps.fp, a);
			key_fp_str(s.fp, b);
			say("error", "the X25519 key of %s (%s) is not the public half of "
			    CKQ_SERVER_X25519_KEY " (%s): suite 2 users who import it cannot knock",
			    path, a, b);
		}
		server_pubkeys_clear(&pk);
	}
	x25519_free(k);
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
	check_x25519();
}

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

/* grants = ipset: the sets (rules/ckq.ipset) and the rules that use them. */
static void check_port_ipsets(struct grant *g, const struct port_use *p, const char *set,
			      const char *set6)
{
	const char *proto = proto_name(p->proto);
	uint32_t refs = 0;
	uint8_t family = 0;
	int r;

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

/*
 * grants = nft: the sets live in table inet ckq (rules/ckq.nft), where a
 * rule drops new connections from outside them. A set no rule looks up
 * guards nothing: the port is as open as the other tables leave it.
 */
static void check_port_nft_sets(struct grant *g, const struct port_use *p, const char *set,
				const char *set6)
{
	const char *proto = proto_name(p->proto);
	uint32_t refs = 0;
	uint8_t family = 0;
	int r;

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

static void check_sets(const struct port_uses *pu, enum grant_backend backend)
{
	struct grant *g = admin_grant_open();
	char set[GRANT_SETNAME_LEN], set6[GRANT_SETNAME_LEN];
	size_t i;

	if (!g && backend == GRANT_NFT)
		say("error", "cannot read the nftables sets: %s (run as root): the sets of the "
		    "users' ports were not checked", strerror(errno));
	else if (!g)
		say("error", "cannot read the kernel's ipsets: %s (run as root; is the ip_set "
		    "module loaded?): the sets of the users' ports were not checked",
		    strerror(errno));
	if (!g)
		return;
	for (i = 0; i < pu->n; i++) {
		grant_set_name(set, CKQ_AF_INET, pu->p[i].proto, pu->p[i].port);
		grant_set_name(set6, CKQ_AF_INET6, pu->p[i].proto, pu->p[i].port);
		if (backend == GRANT_NFT)
			check_port_nft_sets(g, &pu->p[i], set, set6);
		else
			check_port_ipsets(g, &pu->p[i], set, set6);
	}
	grant_close(g);
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
	check_sets(&pu, conf.grants);
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
