/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command line of ckq open, close and proxy: the usage next to the
 * parser, so that they change together.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "knock.h"
#include "util.h"

static void knock_usage(FILE *f, const char *cmd)
{
	bool opening = !strcmp(cmd, "open"), proxy = !strcmp(cmd, "proxy");

	if (proxy)
		fprintf(f,
			"Usage: ckq proxy SERVER PORT [OPTIONS]\n"
			"Opens tcp/PORT of SERVER as 'ckq open' does, then connects to it and relays\n"
			"standard input to the connection and the connection to standard output:\n"
			"an ssh ProxyCommand.\n\n"
			"    ssh -o ProxyCommand='ckq proxy %%h %%p' office\n\n"
			"ssh passes the host name as typed, so SERVER may be a name stored with\n"
			"'ckq add-server' (ssh then never looks it up), or an address with\n"
			"--server-key. The code is asked on the terminal, never read from standard\n"
			"input (it carries the connection); messages go to standard error.\n\n");
	else
		fprintf(f,
			"Usage: ckq %s SERVER PORT [OPTIONS]\n"
			"%s PORT (22, tcp/22 or udp/53) of SERVER for this machine's address.\n"
			"SERVER is a name stored with 'ckq add-server', or an address with --server-key.\n\n",
			cmd, opening ? "Opens" : "Closes");
	fprintf(f,
		"  --user USER        your user name (default: the server's, or your only key)\n"
		"  --agent            sign through ssh-agent (SSH_AUTH_SOCK) even when\n"
		"                     DIR/keys/USER.key exists; the key is keys/USER.pub, an\n"
		"                     ssh key (without USER.key, or for a security key, the\n"
		"                     agent is used anyway)\n"
		"  --otp CODE         the current code of your authenticator app (asked when\n"
		"                     omitted)\n"
		"  --otp-command CMD  get each code from the first line that CMD prints (run\n"
		"                     with /bin/sh -c), e.g. \"oathtool --totp -b SECRET\".\n"
		"                     This keeps the second factor on this machine, next to\n"
		"                     your key: whoever takes one has both\n");
	if (opening)
		fprintf(f,
			"  --keep             stay running and knock again when 2/3 of the granted\n"
			"                     time has passed, each time with a new code (from\n"
			"                     --otp-command, or asked on the terminal with a bell:\n"
			"                     a code works once), until SIGINT or SIGTERM; then say\n"
			"                     until when the port stays open, and exit 0. If the\n"
			"                     grant expires before a renewal succeeds, exit 1\n"
			"  --close-on-exit    with --keep: close the port when interrupted (with one\n"
			"                     more code)\n");
	if (opening || proxy)
		fprintf(f,
			"  --duration TIME    how long to stay open: 300, 90s, 15m, 2h (the server\n"
			"                     caps it; default: the server's)\n");
	fprintf(f,
		"  --knock-port N     the server's knock port (default 8888 or the stored one)\n"
		"  --server-key FILE  the server's public key, when SERVER is an address\n"
		"  --source-ip ADDR   the address the server sees you from, when it is not\n"
		"                     this machine's (behind NAT); the server checks it\n"
		"  --nat              let the server grant the address it sees this request\n"
		"                     come from (when the admin allows it for your user)\n"
		"  --attempts N       sends of each message before giving up (default 5)\n"
		"  --timeout MS       wait for each answer (default 1000 ms)\n"
		"  -d DIR             the client's directory (default ~/.config/ckq)\n\n"
		"Exit codes: 0 done, 1 refused or no answer, 2 bad input, 3 an answer not\n"
		"signed by the server's key.%s\n",
		proxy ? " Once connected: 0 when the server closed the\n"
			"connection, 1 on a connection error." : "");
}

static bool stop(int *exit_code, int code)
{
	*exit_code = code;
	return false;
}

/* Whether the command goes on; if not, *exit_code is what it exits with. */
bool knock_parse(int argc, char *argv[], const char *cmd, struct knock *k,
		 struct knock_opts *o, int *exit_code)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "agent", no_argument, NULL, 'A' },
		{ "otp", required_argument, NULL, 'o' },
		{ "otp-command", required_argument, NULL, 'O' },
		{ "keep", no_argument, NULL, 'K' },
		{ "close-on-exit", no_argument, NULL, 'C' },
		{ "duration", required_argument, NULL, 't' },
		{ "knock-port", required_argument, NULL, 'p' },
		{ "server-key", required_argument, NULL, 'k' },
		{ "attempts", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 'w' },
		{ "source-ip", required_argument, NULL, 's' },
		{ "nat", no_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(k, 0, sizeof(*k));
	memset(o, 0, sizeof(*o));
	k->cmd = cmd;
	k->fd = -1;
	k->status = stdout;
	k->knock_port = 8888;
	k->attempts = 5;
	k->timeout_ms = 1000;
	while ((opt = getopt_long(argc, argv, "u:o:t:p:k:a:w:s:nd:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			if (!user_name_valid(optarg, strlen(optarg))) {
				fprintf(stderr, "ckq %s: '%s' is not a valid user name\n", cmd, optarg);
				return stop(exit_code, EXIT_INPUT);
			}
			snprintf(k->user, sizeof(k->user), "%s", optarg);
			break;
		case 'A': o->agent = true; break;
		case 'o': o->otp = optarg; break;
		case 'O': k->otp_command = optarg; break;
		case 'K': o->keep = true; break;
		case 'C': o->close_on_exit = true; break;
		case 't':
			if (!strcmp(cmd, "close")) {
				fprintf(stderr, "ckq close: --duration applies to open, not close\n");
				return stop(exit_code, EXIT_INPUT);
			}
			if (parse_duration(optarg, &k->req.duration) < 0 || !k->req.duration) {
				fprintf(stderr, "ckq %s: --duration '%s' is not a duration like 300, 90s, 15m, 2h\n",
					cmd, optarg);
				return stop(exit_code, EXIT_INPUT);
			}
			break;
		case 'p':
			if (parse_u32(optarg, 65535, &k->knock_port) < 0 || !k->knock_port) {
				fprintf(stderr, "ckq %s: --knock-port '%s' is not a port\n", cmd, optarg);
				return stop(exit_code, EXIT_INPUT);
			}
			o->port_opt = optarg;
			break;
		case 'k': o->server_key = optarg; break;
		case 'a':
			if (parse_u32(optarg, 100, &k->attempts) < 0 || !k->attempts) {
				fprintf(stderr, "ckq %s: --attempts takes 1 to 100\n", cmd);
				return stop(exit_code, EXIT_INPUT);
			}
			break;
		case 'w':
			if (parse_u32(optarg, 60000, &k->timeout_ms) < 0 || k->timeout_ms < 10) {
				fprintf(stderr, "ckq %s: --timeout takes 10 to 60000 ms\n", cmd);
				return stop(exit_code, EXIT_INPUT);
			}
			break;
		case 's': o->source_ip = optarg; break;
		case 'n': k->nat = true; break;
		case 'd': o->dir = optarg; break;
		case 'h': knock_usage(stdout, cmd); return stop(exit_code, 0);
		default: knock_usage(stderr, cmd); return stop(exit_code, EXIT_INPUT);
		}
	}
	if (optind + 2 != argc) {
		knock_usage(stderr, cmd);
		return stop(exit_code, EXIT_INPUT);
	}
	k->server_name = argv[optind];
	if (portspec_parse(argv[optind + 1], &k->req.proto, &k->req.port) < 0) {
		fprintf(stderr, "ckq %s: '%s' is not a port like 22, tcp/22 or udp/53\n",
			cmd, argv[optind + 1]);
		return stop(exit_code, EXIT_INPUT);
	}
	if (o->otp && !otp_valid(o->otp)) {
		fprintf(stderr, "ckq %s: --otp must be the 6 to 8 digits of your authenticator\n", cmd);
		return stop(exit_code, EXIT_INPUT);
	}
	if ((o->keep || o->close_on_exit) && strcmp(cmd, "open")) {
		fprintf(stderr, "ckq %s: --keep and --close-on-exit are options of ckq open\n", cmd);
		return stop(exit_code, EXIT_INPUT);
	}
	if (o->close_on_exit && !o->keep) {
		fprintf(stderr, "ckq %s: --close-on-exit goes with --keep\n", cmd);
		return stop(exit_code, EXIT_INPUT);
	}
	if (o->keep && !k->otp_command) {
		int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "ckq %s: --keep needs a new code for each renewal: give "
					"--otp-command CMD, or run it on a terminal\n", cmd);
			return stop(exit_code, EXIT_INPUT);
		}
		close(fd);
	}
	return true;
}
