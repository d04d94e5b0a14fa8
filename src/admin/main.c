/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	/* The commands that read users/ find its files owned by ckqd's user. */
	if (daemon_owner(&uid, &gid) > 0)
		file_trust_uid(uid);
	return optind;
}

int daemon_owner(uid_t *uid, gid_t *gid)
{
	char err[CKQ_ERRBUF] = "";
	struct ckqd_conf conf;
	struct passwd *pw;

	if (conf_load(admin_dir, &conf, err, sizeof(err)) < 0)
		return 0;
	/* As ckqd's sandbox_lookup(): root is root, whatever the user database says. */
	if (!strcmp(conf.user, "root")) {
		*uid = 0;
		*gid = 0;
		return 1;
	}
	pw = getpwnam(conf.user);
	if (!pw)
		return 0;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
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
	uid_t uid;
	gid_t gid;
	int fd, ret = 0;

	if (daemon_owner(&uid, &gid) <= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/users", admin_dir);
	/* O_NOFOLLOW: never give away what a link planted there points to. */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchown(fd, uid, gid) < 0) {
		fprintf(stderr, "ckq-admin: cannot give %s to uid %u: %s\n", path,
			(unsigned int)uid, strerror(errno));
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
