/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ckq.h"
#include "config.h"
#include "err.h"
#include "util.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char *argv[]);
	const char *help;
} subcommands[] = {
	{ "keygen", keygen_main, "create your key pair (ckq keygen NAME)" },
	{ "add-server", add_server_main, "remember a server's address and public key" },
	{ "open", open_main, "knock: open a port of a server for your address, or keep it open" },
	{ "close", close_main, "close a port you opened" },
	{ "proxy", proxy_main, "open a port, then relay stdin and stdout to it (ssh ProxyCommand)" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: ckq COMMAND [OPTIONS]\n"
		   "The ckq client: opens ports that a ckq server keeps closed.\n\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-11s %s\n", subcommands[i].name, subcommands[i].help);
	fprintf(f, "\n'ckq COMMAND --help' describes each command.\n"
		   "Exit codes: 0 done, 1 refused or no answer, 2 bad input,\n"
		   "3 an answer not signed by the server's key.\n");
}

const char *client_dir(const char *opt)
{
	static char buf[PATH_MAX];
	const char *env;

	if (opt)
		return opt;
	env = getenv("CKQ_DIR");
	if (env && *env)
		return env;
	env = getenv("XDG_CONFIG_HOME");
	if (env && *env) {
		snprintf(buf, sizeof(buf), "%s/ckq", env);
		return buf;
	}
	env = getenv("HOME");
	snprintf(buf, sizeof(buf), "%s/.config/ckq", env && *env ? env : ".");
	return buf;
}

int client_dir_prepare(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", dir);
	if (mkdir_parents(dir, 0700) < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/keys", dir);
	if (mkdir_mode(path, 0700) < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/servers", dir);
	if (mkdir_mode(path, 0700) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "ckq: cannot create %s: %s\n", path, strerror(errno));
	return CKQ_ERR_IO;
}

int main(int argc, char *argv[])
{
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_INPUT : 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("ckq %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "ckq: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_INPUT;
}
