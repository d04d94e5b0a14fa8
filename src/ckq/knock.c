/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ckq.h"
#include "crypto.h"
#include "err.h"
#include "log.h"
#include "proto.h"
#include "conf.h"
#include "util.h"
#include "knock.h"

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

static int load_key_file(const char *path, bool secret, struct ckq_key **out)
{
	char why[CKQ_ERRBUF], *pem = NULL;
	size_t len = 0;
	int ret;

	ret = file_read(path, secret, &pem, &len, why, sizeof(why));
	if (ret < 0) {
		fprintf(stderr, "ckq: %s\n", why);
		return ret;
	}
	ret = key_from_pem(pem, len, secret, out);
	wipe(pem, len);
	free(pem);
	if (ret < 0)
		fprintf(stderr, "ckq: %s: not an RSA %s key of %d to %d bits in PEM\n",
			path, secret ? "private" : "public", CKQ_RSA_MIN_BITS, CKQ_RSA_MAX_BITS);
	return ret;
}

static int load_server(struct knock *k, const char *server_key, const char *port_opt)
{
	struct server_conf sc;
	char path[PATH_MAX];
	int ret;

	if (server_key) {
		if (addr_parse(k->server_name, &k->server_addr) < 0) {
			fprintf(stderr, "ckq: with --server-key, SERVER must be an IPv4 or IPv6 address, not '%s'\n",
				k->server_name);
			return CKQ_ERR_FORMAT;
		}
		snprintf(k->address, sizeof(k->address), "%s", k->server_name);
		return load_key_file(server_key, false, &k->server);
	}
	ret = server_conf_read(k->dir, k->server_name, &sc);
	if (ret < 0)
		return ret;
	k->server_addr = sc.addr;
	addr_str(&k->server_addr, k->address, sizeof(k->address));
	if (!port_opt && sc.knock_port)
		k->knock_port = sc.knock_port;
	if (!k->user[0] && sc.user[0])
		snprintf(k->user, sizeof(k->user), "%s", sc.user);
	snprintf(path, sizeof(path), "%s/servers/%s.pub", k->dir, k->server_name);
	return load_key_file(path, false, &k->server);
}

/* Without --user or a stored one, the only key in DIR/keys is the user. */
static int pick_user(struct knock *k)
{
	char path[PATH_MAX];
	struct dirent *de;
	unsigned int found = 0;
	DIR *d;

	if (k->user[0])
		return 0;
	snprintf(path, sizeof(path), "%s/keys", k->dir);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 4 && n - 4 <= CKQ_USER_MAX && !strcmp(de->d_name + n - 4, ".key")) {
			found++;
			memcpy(k->user, de->d_name, n - 4);
			k->user[n - 4] = '\0';
		}
	}
	if (d)
		closedir(d);
	if (found == 1)
		return 0;
	fprintf(stderr, "ckq: %s: say which user you are with --user\n",
		found ? "several keys in the client's directory" :
			"no key in the client's directory (create one with 'ckq keygen NAME')");
	return CKQ_ERR_NOUSER;
}

const char *knock_clock_str(uint64_t t, char *buf, size_t size)
{
	time_t when = (time_t)t;
	struct tm tm;

	/* The time comes from the server: one no calendar holds is shown as a number. */
	if (t > (uint64_t)INT64_MAX || !localtime_r(&when, &tm) ||
	    !strftime(buf, size, "%H:%M:%S", &tm))
		snprintf(buf, size, "@%llu", (unsigned long long)t);
	return buf;
}

void knock_print_result(const struct knock *k, const char *verb, const struct ckq_result *res)
{
	char when[32];

	if (res->status == CKQ_RES_GRANTED)
		fprintf(k->status, "%s %s/%u to %s until %s\n", verb, proto_name(res->proto),
			res->port, k->local, knock_clock_str(res->expires, when, sizeof(when)));
	else
		fprintf(k->status, "closed %s/%u for %s\n", proto_name(res->proto), res->port,
			k->local);
	fflush(k->status);
}

static bool stop(int *exit_code, int code)
{
	*exit_code = code;
	return false;
}

/* Whether the command goes on; if not, *exit_code is what it exits with. */
static bool knock_parse(int argc, char *argv[], const char *cmd, struct knock *k,
			struct knock_opts *o, int *exit_code)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
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

/* Loads the keys and connects the socket: what every knock reuses. */
static int knock_prepare(struct knock *k, const struct knock_opts *o)
{
	struct sockaddr_storage ss;
	char path[PATH_MAX];
	socklen_t sl;

	k->dir = client_dir(o->dir);
	if (load_server(k, o->server_key, o->port_opt) < 0 || pick_user(k) < 0)
		return EXIT_INPUT;
	snprintf(path, sizeof(path), "%s/keys/%s.key", k->dir, k->user);
	if (load_key_file(path, true, &k->client) < 0)
		return EXIT_INPUT;
	snprintf(k->req.user, sizeof(k->req.user), "%s", k->user);
	addr_parse(k->address, &k->server_addr);

	/* A connected socket: the kernel passes us only the server's datagrams. */
	sl = addr_to_sockaddr(&k->server_addr, (uint16_t)k->knock_port, &ss);
	k->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (k->fd < 0 || connect(k->fd, (struct sockaddr *)&ss, sl) < 0) {
		fprintf(stderr, "ckq %s: cannot reach %s: %s\n", k->cmd, k->address, strerror(errno));
		return EXIT_INPUT;
	}
	sl = sizeof(ss);
	if (getsockname(k->fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    addr_from_sockaddr(&ss, &k->req.addr) < 0)
		return EXIT_INPUT;
	if (o->source_ip) {
		struct ckq_addr want;

		if (addr_parse(o->source_ip, &want) < 0 || want.family != k->req.addr.family) {
			fprintf(stderr, "ckq %s: --source-ip '%s' is not an address of the server's family\n",
				k->cmd, o->source_ip);
			return EXIT_INPUT;
		}
		k->req.addr = want;
	}
	if (k->nat && o->source_ip) {
		fprintf(stderr, "ckq %s: --nat and --source-ip exclude each other\n", k->cmd);
		return EXIT_INPUT;
	}
	if (k->nat)
		memset(&k->req.addr, 0, sizeof(k->req.addr));	/* CKQ_AF_ANY */
	addr_str(&k->req.addr, k->local, sizeof(k->local));
	return 0;
}

/* The first knock: --otp, --otp-command, or asked. */
static int knock_first(struct knock *k, const struct knock_opts *o, uint8_t request,
		       uint32_t *otp, struct ckq_result *res)
{
	if (o->otp)
		*otp = (uint32_t)strtoul(o->otp, NULL, 10);
	else if (otp_get(k, "", false, 0, otp) != KNOCK_OK)
		return EXIT_INPUT;	/* without --keep, no signal ends the wait */
	return knock_once(k, request, *otp, res);
}

static void knock_free(struct knock *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	wipe(&k->req, sizeof(k->req));
	key_free(k->server);
	key_free(k->client);
	k->server = k->client = NULL;
}

static int knock_main(int argc, char *argv[], uint8_t request)
{
	struct knock_opts o;
	struct ckq_result res;
	struct knock k;
	uint32_t otp = 0;
	int ret;

	if (!knock_parse(argc, argv, request == CKQ_REQ_OPEN ? "open" : "close", &k, &o, &ret))
		return ret;
	ret = knock_prepare(&k, &o);
	if (ret == 0)
		ret = knock_first(&k, &o, request, &otp, &res);
	if (ret == EXIT_GRANTED) {
		knock_print_result(&k, "granted", &res);
		if (o.keep)
			ret = keep_open(&k, &o, &res, otp);
	}
	otp = 0;
	knock_free(&k);
	return ret;
}

int open_main(int argc, char *argv[])
{
	return knock_main(argc, argv, CKQ_REQ_OPEN);
}

int close_main(int argc, char *argv[])
{
	return knock_main(argc, argv, CKQ_REQ_CLOSE);
}

int proxy_knock(int argc, char *argv[], struct ckq_addr *server, uint16_t *port,
		bool *granted)
{
	struct knock_opts o;
	struct ckq_result res;
	struct knock k;
	uint32_t otp = 0;
	int ret;

	*granted = false;
	if (!knock_parse(argc, argv, "proxy", &k, &o, &ret))
		return ret;
	k.proxy = true;
	k.status = stderr;
	if (k.req.proto != CKQ_PROTO_TCP) {
		fprintf(stderr, "ckq proxy: relays TCP only, not %s/%u\n",
			proto_name(k.req.proto), k.req.port);
		return EXIT_INPUT;
	}
	ret = knock_prepare(&k, &o);
	if (ret == 0)
		ret = knock_first(&k, &o, CKQ_REQ_OPEN, &otp, &res);
	if (ret == EXIT_GRANTED) {
		knock_print_result(&k, "granted", &res);
		*server = k.server_addr;
		*port = k.req.port;
		*granted = true;
	}
	otp = 0;
	knock_free(&k);
	return ret;
}
