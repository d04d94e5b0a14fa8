/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "conf.h"
#include "err.h"
#include "grant.h"

/* "ckq-tcp-22" -> "tcp/22"; "ckq6-udp-53" -> "udp/53" (the address tells the family). */
void set_port_str(const char *set, char *out, size_t out_len)
{
	uint8_t family, proto;
	uint16_t port;

	if (grant_set_parse(set, &family, &proto, &port) < 0)
		snprintf(out, out_len, "%s", set);
	else
		snprintf(out, out_len, "%s/%u", proto_name(proto), (unsigned int)port);
}

static struct grant *open_or_say(void)
{
	struct grant *g = admin_grant_open();

	if (!g)
		fprintf(stderr, "ckq-admin: cannot read the kernel's grant sets (run as root; is the\n"
				"ip_set module loaded, or with grants = nft, nf_tables?)\n");
	return g;
}

int close_grants(const char *user, const struct ckq_addr *addr, bool quiet)
{
	struct grant_entries ge;
	struct grant *gs = open_or_say();
	int ret, closed = 0;
	size_t i;

	if (!gs)
		return CKQ_ERR_IPSET;
	ret = grant_entries_read(gs, user, &ge);
	if (ret < 0) {
		fprintf(stderr, "ckq-admin: cannot list the ipsets: %s\n", grant_errmsg(gs));
		goto out;
	}
	for (i = 0; i < ge.n; i++) {
		struct grant_entry *g = &ge.e[i];
		char a[CKQ_ADDR_STRLEN], port[40];

		if (!user && !addr_equal(&g->addr, addr))
			continue;
		ret = grant_del(gs, g->set, &g->addr);
		if (ret < 0 && ret != CKQ_ERR_NOENT) {
			fprintf(stderr, "ckq-admin: cannot remove %s from %s: %s\n",
				addr_str(&g->addr, a, sizeof(a)), g->set, grant_errmsg(gs));
			goto out;
		}
		set_port_str(g->set, port, sizeof(port));
		if (!quiet)
			printf("closed %s for %s%s%s%s\n", port, addr_str(&g->addr, a, sizeof(a)),
			       g->comment[0] ? " (" : "", g->comment, g->comment[0] ? ")" : "");
		closed++;
	}
	if (!quiet && !closed)
		printf("nothing was open for %s\n", user ? user : "that address");
	ret = closed;
out:
	grant_entries_free(&ge);
	grant_close(gs);
	return ret;
}

static const char close_usage[] =
	"Usage: ckq-admin [-c DIR] close NAME|ADDRESS\n"
	"Closes every grant of user NAME, or every grant of ADDRESS, at once.\n";

int close_main(int argc, char *argv[])
{
	struct ckq_addr addr;
	int i, ret = 1;

	i = admin_getopt(argc, argv, close_usage, &ret);
	if (i < 0)
		return ret;
	if (i + 1 != argc) {
		fputs(close_usage, stderr);
		return 2;
	}
	if (addr_parse(argv[i], &addr) == 0)
		ret = close_grants(NULL, &addr, false);
	else if (user_name_valid(argv[i], strlen(argv[i])))
		ret = close_grants(argv[i], NULL, false);
	else {
		fprintf(stderr, "ckq-admin close: '%s' is neither a user name nor an address\n",
			argv[i]);
		return 2;
	}
	return ret < 0 ? 1 : 0;
}

static const char list_usage[] =
	"Usage: ckq-admin [-c DIR] list\n"
	"Shows each user, their ports, key type and key fingerprint, and what is open\n"
	"for them now, read from the kernel's ipsets.\n";

int list_main(int argc, char *argv[])
{
	char err[CKQ_ERRBUF] = "";
	struct userdb *db = NULL;
	struct grant_entries ge = { 0 };
	struct grant *gs;
	size_t i, j;
	int ret = 1, tw = 8;

	i = (size_t)admin_getopt(argc, argv, list_usage, &ret);
	if ((int)i < 0)
		return ret;
	if ((int)i != argc) {
		fputs(list_usage, stderr);
		return 2;
	}
	if (userdb_load(admin_dir, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "ckq-admin: %s\n", err);
		return 1;
	}
	gs = open_or_say();
	if (gs && grant_entries_read(gs, NULL, &ge) < 0)
		fprintf(stderr, "ckq-admin: cannot list the ipsets: %s\n", grant_errmsg(gs));
	/* As wide as the longest type here: "sk-ssh-ed25519@openssh.com" is 26 wide. */
	for (i = 0; i < db->n; i++) {
		char type[32];

		user_key_type(&db->users[i], type, sizeof(type));
		if (strlen(type) > (size_t)tw)
			tw = (int)strlen(type);
	}
	printf("%-16s %-20s %-*s %-52s %s\n", "USER", "PORTS", tw, "TYPE", "KEY", "STATUS");
	for (i = 0; i < db->n; i++) {
		const struct ckq_user *u = &db->users[i];
		char ports[CKQ_MAX_PORTS * 12], fp[CKQ_FP_STRLEN], type[32];
		unsigned int open = 0;

		ports_format(u->ports, u->nports, ports, sizeof(ports));
		key_fp_str(user_key_fp(u), fp);
		user_key_type(u, type, sizeof(type));
		printf("%-16s %-20s %-*s %-52s ", u->name, ports, tw, type, fp);
		for (j = 0; j < ge.n; j++) {
			char a[CKQ_ADDR_STRLEN], port[40], when[16];
			time_t until = time(NULL) + ge.e[j].timeout_left;
			struct tm tm;

			if (strcmp(ge.e[j].comment, u->name))
				continue;
			localtime_r(&until, &tm);
			strftime(when, sizeof(when), "%H:%M:%S", &tm);
			set_port_str(ge.e[j].set, port, sizeof(port));
			printf("%sopen %s for %s until %s", open++ ? ", " : "", port,
			       addr_str(&ge.e[j].addr, a, sizeof(a)), when);
		}
		if (u->revoked)
			printf("%srevoked", open ? ", " : "");
		else if (!open)
			printf("closed");
		printf("\n");
	}
	if (!db->n)
		printf("(no users: add one with 'ckq-admin add-user')\n");
	grant_entries_free(&ge);
	grant_close(gs);
	userdb_free(db);
	return 0;
}

static const char status_usage[] =
	"Usage: ckq-admin [-c DIR] status\n"
	"Says whether ckqd runs, how many users there are, and every grant open now.\n";

int status_main(int argc, char *argv[])
{
	char err[CKQ_ERRBUF] = "";
	struct userdb *db = NULL;
	struct grant_entries ge = { 0 };
	struct ckqd_conf conf;
	struct grant *gs;
	size_t i, revoked = 0;
	int ret = 1;
	long pid;

	i = (size_t)admin_getopt(argc, argv, status_usage, &ret);
	if ((int)i < 0)
		return ret;
	if ((int)i != argc) {
		fputs(status_usage, stderr);
		return 2;
	}
	if (conf_load(admin_dir, &conf, err, sizeof(err)) < 0 ||
	    userdb_load(admin_dir, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "ckq-admin: %s\n", err);
		return 1;
	}
	for (i = 0; i < db->n; i++)
		revoked += db->users[i].revoked;
	pid = daemon_pid();
	if (pid)
		printf("ckqd:    running (pid %ld)\n", pid);
	else
		printf("ckqd:    %s\n", "not running (knocks are unanswered; grants in the kernel still expire)");
	printf("config:  %s (knock port udp/%u, queue %u)\n", admin_dir, conf.knock_port, conf.queue);
	printf("users:   %zu (%zu revoked)\n", db->n, revoked);
	gs = open_or_say();
	if (gs && grant_entries_read(gs, NULL, &ge) == 0) {
		printf("grants:  %zu\n", ge.n);
		for (i = 0; i < ge.n; i++) {
			char a[CKQ_ADDR_STRLEN], port[40];

			set_port_str(ge.e[i].set, port, sizeof(port));
			printf("  %-8s %-40s %-16s %u s left\n", port,
			       addr_str(&ge.e[i].addr, a, sizeof(a)),
			       ge.e[i].comment[0] ? ge.e[i].comment : "-", ge.e[i].timeout_left);
		}
	}
	grant_entries_free(&ge);
	grant_close(gs);
	userdb_free(db);
	return 0;
}
