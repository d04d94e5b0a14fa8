/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "config.h"
#include "err.h"
#include "util.h"

const char *admin_dir = CKQ_CONF_DIR;

static const struct {
	const char *name;
	int (*fn)(int argc, char *argv[]);
	const char *help;
} subcommands[] = {
	{ "init", init_main, "create the server key pair and the configuration directory" },
	{ "add-user", add_user_main, "register a user's public key, ports and TOTP secret" },
	{ "del-user", del_user_main, "remove a user and close their grants" },
	{ "revoke", revoke_main, "keep a user on file but refuse their knocks; close their grants" },
	{ "list", list_main, "users, their ports and keys, and what is open now" },
	{ "status", status_main, "whether ckqd runs, and the grants in the kernel" },
	{ "close", close_main, "close the grants of a user or an address" },
	{ "unlock", unlock_main, "clear the lock on a user's key after too many wrong codes" },
	{ "stats", stats_main, "ckqd's counters and the grants open now" },
	{ "check", check_main, "check the keys, users, ipsets, queue and firewall rule" },
	{ "web", web_main, "serve the admin web page on loopback (users, register, activity)" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: ckq-admin [-c DIR] COMMAND [OPTIONS]\n"
		   "Manages a ckq server: keys, users and grants.\n\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-9s %s\n", subcommands[i].name, subcommands[i].help);
	fprintf(f, "\n  -c DIR   the configuration directory (default " CKQ_CONF_DIR ")\n"
		   "'ckq-admin COMMAND --help' describes each command.\n");
}

int admin_getopt(int argc, char *argv[], const char *text, int *ret)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uid_t uid;
	gid_t gid;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': admin_dir = optarg; break;
		case 'h': fputs(text, stdout); *ret = 0; return -1;
		default: fputs(text, stderr); *ret = 2; return -1;
		}
	}
	/* The commands that read users/ find its files in ckqd's group (or, older, its user's). */
	if (daemon_owner(&uid, &gid) > 0) {
		file_trust_uid(uid);
		file_trust_gid(gid);
	}
	return optind;
}

int daemon_owner(uid_t *uid, gid_t *gid)
{
	char err[CKQ_ERRBUF] = "";
	struct ckqd_conf conf;

	if (conf_load(admin_dir, &conf, err, sizeof(err)) < 0 ||
	    conf_user_lookup(conf.user, uid, gid, err, sizeof(err)) < 0)
		return 0;
	return 1;
}

struct grant *admin_grant_open(void)
{
	char err[CKQ_ERRBUF] = "";
	struct ckqd_conf conf;

	/* Guessing a backend would show an empty list as if nothing were open. */
	if (conf_load(admin_dir, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "ckq-admin: %s\n", err[0] ? err : "cannot read ckqd.conf");
		errno = EINVAL;
		return NULL;
	}
	return grant_open(conf.grants);
}

int users_dir_give(void)
{
	char path[PATH_MAX];
	struct stat st;
	uid_t uid;
	gid_t gid;
	int fd, ret = 0;

	if (daemon_owner(&uid, &gid) <= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/users", admin_dir);
	/*
	 * Root's, listable by ckqd's group only: a compromised ckqd can read
	 * the users but not enrol one of its own. O_NOFOLLOW: never change
	 * what a link planted there points to.
	 */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 ||
	    ((st.st_uid != 0 || st.st_gid != gid) && fchown(fd, 0, gid) < 0) ||
	    ((st.st_mode & 07777) != 0750 && fchmod(fd, 0750) < 0)) {
		fprintf(stderr, "ckq-admin: cannot make %s root's and readable by gid %u only: %s\n",
			path, (unsigned int)gid, strerror(errno));
		ret = CKQ_ERR_IO;
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

long daemon_pid(void)
{
	char err[CKQ_ERRBUF] = "", *text = NULL, comm[64], path[64];
	struct ckqd_conf conf;
	size_t len = 0;
	long pid;
	FILE *f;

	if (conf_load(admin_dir, &conf, err, sizeof(err)) < 0 ||
	    file_read(conf.pid_file, false, &text, &len, err, sizeof(err)) < 0)
		return 0;
	pid = strtol(text, NULL, 10);
	free(text);
	if (pid <= 1)
		return 0;
	/* A stale pid file may name someone else's process by now. */
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "ckqd", 4) ? 0 : pid;
}

int reload_daemon(void)
{
	long pid = daemon_pid();

	if (!pid)
		return 0;
	if (kill((pid_t)pid, SIGHUP) < 0) {
		fprintf(stderr, "ckq-admin: cannot signal ckqd (pid %ld): %s\n", pid, strerror(errno));
		return CKQ_ERR_IO;
	}
	return 1;
}

/* How long ckq-admin waits for ckqd to say it reloaded. */
#define RELOAD_WAIT_MS 10000

struct reload_state {
	long pid;
	unsigned long long started, done;
	bool truncated;
	char error[sizeof(((struct kv_iter *)0)->value)];
	char broken[sizeof(((struct kv_iter *)0)->value)];	/* why `name` is refused, or "" */
};

/* 0 with *st, or < 0 when there is no file (yet) to read. */
static int reload_state_read(const char *path, const char *name, struct reload_state *st)
{
	char why[CKQ_ERRBUF], *text = NULL;
	struct kv_iter it;
	size_t len = 0, nlen = name ? strlen(name) : 0;
	int r;

	memset(st, 0, sizeof(*st));
	r = file_read(path, false, &text, &len, why, sizeof(why));
	if (r < 0)
		return r;
	kv_init(&it, text, len);
	while ((r = kv_next(&it)) != 0) {
		if (r < 0)
			continue;
		if (!strcmp(it.key, "pid"))
			st->pid = strtol(it.value, NULL, 10);
		else if (!strcmp(it.key, "started"))
			st->started = strtoull(it.value, NULL, 10);
		else if (!strcmp(it.key, "done"))
			st->done = strtoull(it.value, NULL, 10);
		else if (!strcmp(it.key, "error"))
			snprintf(st->error, sizeof(st->error), "%s", it.value);
		else if (!strcmp(it.key, "truncated"))
			st->truncated = true;
		else if (!strcmp(it.key, "broken") && name && !strncmp(it.value, name, nlen) &&
			 it.value[nlen] == ':')
			snprintf(st->broken, sizeof(st->broken), "%s", it.value + nlen + 1 +
				 (it.value[nlen + 1] == ' '));
	}
	free(text);
	return 0;
}

int reload_confirm(const char *name, bool must_load, char *err, size_t err_len)
{
	char cerr[CKQ_ERRBUF] = "", path[PATH_MAX];
	struct ckqd_conf conf;
	struct reload_state st;
	unsigned long long since = 0;
	long pid = daemon_pid();
	int waited;

	if (!pid)
		return 0;
	if (conf_load(admin_dir, &conf, cerr, sizeof(cerr)) < 0) {
		snprintf(err, err_len, "%s", cerr);
		return CKQ_ERR_CONFIG;
	}
	conf_reload_file(&conf, path, sizeof(path));
	/*
	 * Read after our change was written: a reload that started before is
	 * counted in `started` and may not have seen it; only a later one is
	 * proof.
	 */
	if (reload_state_read(path, NULL, &st) == 0 && st.pid == pid)
		since = st.started;
	if (kill((pid_t)pid, SIGHUP) < 0) {
		snprintf(err, err_len, "cannot signal ckqd (pid %ld): %s", pid, strerror(errno));
		return CKQ_ERR_IO;
	}
	for (waited = 0; waited < RELOAD_WAIT_MS; waited += 20) {
		if (reload_state_read(path, name, &st) == 0 && st.pid == pid && st.done > since)
			break;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			snprintf(err, err_len, "ckqd (pid %ld) exited before it reloaded", pid);
			return CKQ_ERR_IO;
		}
		usleep(20000);
	}
	if (waited >= RELOAD_WAIT_MS) {
		snprintf(err, err_len, "ckqd (pid %ld) did not confirm a reload within %d s (%s says "
			 "nothing newer): the change may not be in force; see ckqd's log",
			 pid, RELOAD_WAIT_MS / 1000, path);
		return CKQ_ERR_IO;
	}
	if (st.error[0]) {
		snprintf(err, err_len, "ckqd could not reload its users: %s", st.error);
		return CKQ_ERR_CONFIG;
	}
	if (must_load && st.broken[0]) {
		snprintf(err, err_len, "ckqd cannot load %s, whose knocks it refuses: %s", name,
			 st.broken);
		return CKQ_ERR_CONFIG;
	}
	if (must_load && st.truncated) {
		snprintf(err, err_len, "ckqd refuses so many users as unreadable that it cannot "
			 "say whether %s is one: see its log", name);
		return CKQ_ERR_CONFIG;
	}
	return 1;
}

int main(int argc, char *argv[])
{
	size_t i;

	if (argc >= 3 && !strcmp(argv[1], "-c")) {
		admin_dir = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("ckq-admin %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "ckq-admin: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
