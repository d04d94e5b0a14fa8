/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

struct knock {
	const char *dir;
	const char *server_name;
	char address[CKQ_ADDR_STRLEN];
	struct ckq_addr server_addr;
	uint32_t knock_port;
	char user[CKQ_USER_MAX + 1];
	struct ckq_key *server, *client;
	struct ckq_request req;
	uint32_t attempts, timeout_ms;
	unsigned int unauthentic;	/* answers that failed authentication */
};

static void knock_usage(FILE *f, const char *cmd)
{
	fprintf(f,
		"Usage: ckq %s SERVER PORT [--user USER] [--otp CODE] [--duration TIME]\n"
		"                  [--knock-port N] [--server-key FILE] [-d DIR]\n"
		"%s PORT (22, tcp/22 or udp/53) of SERVER for this machine's address.\n"
		"SERVER is a name stored with 'ckq add-server', or an address with --server-key.\n\n"
		"  --user USER        your user name (default: the server's, or your only key)\n"
		"  --otp CODE         the current code of your authenticator app (asked when\n"
		"                     omitted)\n"
		"  --duration TIME    how long to stay open: 300, 90s, 15m, 2h (the server\n"
		"                     caps it; default: the server's)\n"
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
		"signed by the server's key.\n",
		cmd, !strcmp(cmd, "open") ? "Opens" : "Closes");
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
	char path[PATH_MAX], why[CKQ_ERRBUF], *text = NULL;
	struct kv_iter it;
	size_t len = 0;
	int ret, r;

	snprintf(path, sizeof(path), "%s/servers/%s.conf", k->dir, k->server_name);
	if (server_key) {
		if (addr_parse(k->server_name, &k->server_addr) < 0) {
			fprintf(stderr, "ckq: with --server-key, SERVER must be an IPv4 or IPv6 address, not '%s'\n",
				k->server_name);
			return CKQ_ERR_FORMAT;
		}
		snprintf(k->address, sizeof(k->address), "%s", k->server_name);
		return load_key_file(server_key, false, &k->server);
	}
	if (!user_name_valid(k->server_name, strlen(k->server_name)) ||
	    (ret = file_read(path, false, &text, &len, why, sizeof(why))) == CKQ_ERR_NOENT) {
		fprintf(stderr, "ckq: unknown server '%s': store it with 'ckq add-server', "
				"or give its address with --server-key FILE\n", k->server_name);
		return CKQ_ERR_NOENT;
	}
	if (ret < 0) {
		fprintf(stderr, "ckq: %s\n", why);
		return ret;
	}
	kv_init(&it, text, len);
	while ((r = kv_next(&it)) > 0) {
		bool ok;

		if (!strcmp(it.key, "address")) {
			ok = addr_parse(it.value, &k->server_addr) == 0;
			addr_str(&k->server_addr, k->address, sizeof(k->address));
		} else if (!strcmp(it.key, "knock_port")) {
			uint32_t v = 0;

			ok = parse_u32(it.value, 65535, &v) == 0 && v;
			if (!port_opt)
				k->knock_port = v;
		} else if (!strcmp(it.key, "user")) {
			ok = user_name_valid(it.value, strlen(it.value));
			if (ok && !k->user[0])
				snprintf(k->user, sizeof(k->user), "%s", it.value);
		} else {
			ok = false;
		}
		if (!ok) {
			r = CKQ_ERR_CONFIG;
			break;
		}
	}
	free(text);
	if (r != 0 || !k->address[0]) {
		fprintf(stderr, "ckq: %s line %u: %s\n", path, it.line,
			r != 0 ? "unexpected setting or value" : "no address");
		return CKQ_ERR_CONFIG;
	}
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

static bool otp_valid(const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n >= 6 && n <= 8;
}

static int read_otp(const struct knock *k, char *buf, size_t size)
{
	struct termios t;
	bool tty;
	FILE *f = fopen("/dev/tty", "r+");
	FILE *in = f ? f : stdin, *out = f ? f : stderr;
	size_t n;

	tty = isatty(fileno(in));
	fprintf(out, "One-time code for %s@%s: ", k->user, k->server_name);
	fflush(out);
	if (tty && tcgetattr(fileno(in), &t) == 0) {
		struct termios quiet = t;

		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(in), TCSAFLUSH, &quiet);
	}
	if (!fgets(buf, (int)size, in))
		buf[0] = '\0';
	if (tty) {
		tcsetattr(fileno(in), TCSAFLUSH, &t);
		fputc('\n', out);
	}
	if (f)
		fclose(f);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/*
 * Sends msg up to k->attempts times and returns the first datagram that
 * `accept` takes. Datagrams it refuses are counted: if nothing else came,
 * someone other than the server answered.
 */
static int exchange(struct knock *k, int fd, const uint8_t *msg, size_t len,
		    int (*accept)(struct knock *, const uint8_t *, size_t, void *), void *arg)
{
	uint8_t buf[CKQ_MSG_MAX + 1];
	uint32_t i;

	for (i = 0; i < k->attempts; i++) {
		uint64_t deadline = mono_ms() + k->timeout_ms;

		if (send(fd, msg, len, 0) < 0 && errno != ECONNREFUSED) {
			fprintf(stderr, "ckq: cannot send to %s: %s\n", k->address, strerror(errno));
			return CKQ_ERR_IO;
		}
		for (;;) {
			uint64_t now = mono_ms();
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			ssize_t n;

			if (now >= deadline)
				break;
			if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
				continue;
			n = recv(fd, buf, sizeof(buf), 0);
			if (n < 0)
				continue;	/* ICMP errors surface here; keep waiting */
			if (accept(k, buf, (size_t)n, arg) == 0)
				return 0;
			k->unauthentic++;
		}
	}
	return CKQ_ERR_NOENT;
}

static int take_challenge(struct knock *k, const uint8_t *m, size_t n, void *arg)
{
	return proto_challenge_open(k->server, arg, m, n);
}

struct result_arg {
	struct ckq_session *s;
	struct ckq_result *res;
};

static int take_result(struct knock *k, const uint8_t *m, size_t n, void *arg)
{
	struct result_arg *ra = arg;

	return proto_result_open(k->server, ra->s, m, n, ra->res);
}

static int no_answer(struct knock *k, bool challenged)
{
	char fp[CKQ_FP_STRLEN];

	key_fp_str(k->server->fp, fp);
	if (k->unauthentic) {
		fprintf(stderr,
			"ckq: %u answer%s from %s udp/%u failed authentication: they were not\n"
			"     made with the server key %s. Refusing them: someone may be\n"
			"     impersonating the server, or the stored key is not this server's.\n",
			k->unauthentic, k->unauthentic == 1 ? "" : "s", k->address,
			k->knock_port, fp);
		return EXIT_AUTH;
	}
	if (challenged) {
		fprintf(stderr,
			"ckq: the server accepted the request but did not confirm it after %u\n"
			"     attempts; the port's state is unknown: run the command again.\n",
			k->attempts);
		return EXIT_REFUSED;
	}
	fprintf(stderr,
		"ckq: no answer from %s udp/%u after %u attempts. The server stays silent\n"
		"     on any refusal; the likely causes are:\n"
		"     - the one-time code was wrong or already used (wait for the next one)\n"
		"     - your clock is off: the server refuses requests outside its freshness\n"
		"       window (30 s by default); compare `date -u` with the server's\n"
		"     - user %s is not registered there, is revoked, or may not open %s/%u\n"
		"     - the server key %s is not this server's\n"
		"     - the knock port is filtered on the way, or ckqd is not running\n",
		k->address, k->knock_port, k->attempts, k->user,
		proto_name(k->req.proto), k->req.port, fp);
	return EXIT_REFUSED;
}

static int knock_main(int argc, char *argv[], uint8_t request)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "otp", required_argument, NULL, 'o' },
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
	const char *source_ip = NULL;
	bool nat = false;
	const char *cmd = request == CKQ_REQ_OPEN ? "open" : "close";
	const char *dir_opt = NULL, *otp = NULL, *server_key = NULL, *port_opt = NULL;
	char otp_buf[64] = "", path[PATH_MAX], local[CKQ_ADDR_STRLEN];
	uint8_t msg[CKQ_MSG_MAX];
	struct ckq_session s;
	struct ckq_result res;
	struct result_arg ra = { &s, &res };
	struct sockaddr_storage ss;
	socklen_t sl;
	struct knock k;
	size_t len = 0;
	int opt, fd = -1, ret = EXIT_INPUT;

	memset(&k, 0, sizeof(k));
	memset(&s, 0, sizeof(s));
	k.knock_port = 8888;
	k.attempts = 5;
	k.timeout_ms = 1000;
	k.req.request = request;
	while ((opt = getopt_long(argc, argv, "u:o:t:p:k:a:w:s:nd:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			if (!user_name_valid(optarg, strlen(optarg))) {
				fprintf(stderr, "ckq %s: '%s' is not a valid user name\n", cmd, optarg);
				return EXIT_INPUT;
			}
			snprintf(k.user, sizeof(k.user), "%s", optarg);
			break;
		case 'o': otp = optarg; break;
		case 't':
			if (parse_duration(optarg, &k.req.duration) < 0 || !k.req.duration) {
				fprintf(stderr, "ckq %s: --duration '%s' is not a duration like 300, 90s, 15m, 2h\n",
					cmd, optarg);
				return EXIT_INPUT;
			}
			break;
		case 'p':
			if (parse_u32(optarg, 65535, &k.knock_port) < 0 || !k.knock_port) {
				fprintf(stderr, "ckq %s: --knock-port '%s' is not a port\n", cmd, optarg);
				return EXIT_INPUT;
			}
			port_opt = optarg;
			break;
		case 'k': server_key = optarg; break;
		case 'a':
			if (parse_u32(optarg, 100, &k.attempts) < 0 || !k.attempts) {
				fprintf(stderr, "ckq %s: --attempts takes 1 to 100\n", cmd);
				return EXIT_INPUT;
			}
			break;
		case 'w':
			if (parse_u32(optarg, 60000, &k.timeout_ms) < 0 || k.timeout_ms < 10) {
				fprintf(stderr, "ckq %s: --timeout takes 10 to 60000 ms\n", cmd);
				return EXIT_INPUT;
			}
			break;
		case 's': source_ip = optarg; break;
		case 'n': nat = true; break;
		case 'd': dir_opt = optarg; break;
		case 'h': knock_usage(stdout, cmd); return 0;
		default: knock_usage(stderr, cmd); return EXIT_INPUT;
		}
	}
	if (optind + 2 != argc) {
		knock_usage(stderr, cmd);
		return EXIT_INPUT;
	}
	k.server_name = argv[optind];
	if (portspec_parse(argv[optind + 1], &k.req.proto, &k.req.port) < 0) {
		fprintf(stderr, "ckq %s: '%s' is not a port like 22, tcp/22 or udp/53\n",
			cmd, argv[optind + 1]);
		return EXIT_INPUT;
	}
	if (otp && !otp_valid(otp)) {
		fprintf(stderr, "ckq %s: --otp must be the 6 to 8 digits of your authenticator\n", cmd);
		return EXIT_INPUT;
	}
	k.dir = client_dir(dir_opt);
	if (load_server(&k, server_key, port_opt) < 0 || pick_user(&k) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/keys/%s.key", k.dir, k.user);
	if (load_key_file(path, true, &k.client) < 0)
		goto out;
	if (!otp) {
		read_otp(&k, otp_buf, sizeof(otp_buf));
		if (!otp_valid(otp_buf)) {
			fprintf(stderr, "ckq %s: the one-time code must be 6 to 8 digits\n", cmd);
			goto out;
		}
		otp = otp_buf;
	}
	k.req.otp = (uint32_t)strtoul(otp, NULL, 10);
	snprintf(k.req.user, sizeof(k.req.user), "%s", k.user);
	addr_parse(k.address, &k.server_addr);

	/* A connected socket: the kernel passes us only the server's datagrams. */
	memset(&ss, 0, sizeof(ss));
	if (k.server_addr.family == CKQ_AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)k.knock_port);
		memcpy(&sin->sin_addr, k.server_addr.a, 4);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)k.knock_port);
		memcpy(&sin6->sin6_addr, k.server_addr.a, 16);
		sl = sizeof(*sin6);
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		fprintf(stderr, "ckq %s: cannot reach %s: %s\n", cmd, k.address, strerror(errno));
		goto out;
	}
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		goto out;
	memset(&k.req.addr, 0, sizeof(k.req.addr));
	if (ss.ss_family == AF_INET) {
		k.req.addr.family = CKQ_AF_INET;
		memcpy(k.req.addr.a, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	} else {
		k.req.addr.family = CKQ_AF_INET6;
		memcpy(k.req.addr.a, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	}
	if (source_ip) {
		struct ckq_addr want;

		if (addr_parse(source_ip, &want) < 0 || want.family != k.req.addr.family) {
			fprintf(stderr, "ckq %s: --source-ip '%s' is not an address of the server's family\n",
				cmd, source_ip);
			goto out;
		}
		k.req.addr = want;
	}
	if (nat && source_ip) {
		fprintf(stderr, "ckq %s: --nat and --source-ip exclude each other\n", cmd);
		goto out;
	}
	if (nat)
		memset(&k.req.addr, 0, sizeof(k.req.addr));	/* CKQ_AF_ANY */
	addr_str(&k.req.addr, local, sizeof(local));

	k.req.timestamp = (uint64_t)time(NULL);
	if (ckq_random(k.req.nc, sizeof(k.req.nc)) < 0 ||
	    proto_request_build(k.server, k.client, &k.req, &s, msg, sizeof(msg), &len) < 0) {
		fprintf(stderr, "ckq %s: cannot build the request\n", cmd);
		goto out;
	}
	if (exchange(&k, fd, msg, len, take_challenge, &s) < 0) {
		ret = no_answer(&k, false);
		goto out;
	}
	k.unauthentic = 0;
	if (proto_response_build(k.server, k.client, &s, msg, sizeof(msg), &len) < 0) {
		fprintf(stderr, "ckq %s: cannot build the response\n", cmd);
		goto out;
	}
	if (exchange(&k, fd, msg, len, take_result, &ra) < 0) {
		ret = no_answer(&k, true);
		goto out;
	}
	/* In NAT mode the server says which address it saw, and granted. */
	if (nat)
		addr_str(&res.addr, local, sizeof(local));
	if ((!nat && !addr_equal(&res.addr, &k.req.addr)) || res.proto != k.req.proto ||
	    res.port != k.req.port ||
	    res.status != (request == CKQ_REQ_OPEN ? CKQ_RES_GRANTED : CKQ_RES_CLOSED)) {
		fprintf(stderr, "ckq %s: the server's signed answer does not match the request\n", cmd);
		ret = EXIT_AUTH;
		goto out;
	}
	if (res.status == CKQ_RES_GRANTED) {
		time_t until = (time_t)res.expires;
		struct tm tm;
		char when[32];

		localtime_r(&until, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		printf("granted %s/%u to %s until %s\n", proto_name(res.proto), res.port,
		       local, when);
	} else {
		printf("closed %s/%u for %s\n", proto_name(res.proto), res.port, local);
	}
	ret = EXIT_GRANTED;
out:
	if (fd >= 0)
		close(fd);
	wipe(&s, sizeof(s));
	wipe(otp_buf, sizeof(otp_buf));
	key_free(k.server);
	key_free(k.client);
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
