/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"	/* CKQ_ERRBUF */
#include "err.h"
#include "knock.h"
#include "userkey.h"
#include "util.h"

/*
 * The server's key file: its RSA key, its X25519 key, or both (server.pub
 * from ckq-admin init, as add-server stores it).
 */
static int load_server_keys(struct knock *k, const char *path)
{
	char why[CKQ_ERRBUF];
	struct server_pubkeys pk;

	if (server_pub_load(path, &pk, why, sizeof(why)) < 0) {
		fprintf(stderr, "ckq: %s\n", why);
		return CKQ_ERR_KEY;
	}
	k->server = pk.rsa;
	k->has_x25519 = pk.has_x25519;
	memcpy(k->x25519, pk.x25519, sizeof(pk.x25519));
	return 0;
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
		snprintf(k->server_file, sizeof(k->server_file), "%s", server_key);
		return load_server_keys(k, server_key);
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
	snprintf(k->server_file, sizeof(k->server_file), "%s", path);
	return load_server_keys(k, path);
}

/* The server key of the user's suite. */
static int server_key_pick(struct knock *k)
{
	if (k->suite == 1) {
		if (!k->server) {
			fprintf(stderr, "ckq: %s has no RSA key, which %s's key (RSA, suite 1) needs:\n"
					"     ask the admin for the server.pub of 'ckq-admin init'\n",
				k->server_file, k->user);
			return EXIT_INPUT;
		}
		k->server_fp = k->server->fp;
		return 0;
	}
	if (!k->has_x25519) {
		fprintf(stderr, "ckq: the server's key file has no X25519 key: ask the admin for the "
				"server.pub of 'ckq-admin init' (ckq 1.x+)\n"
				"     (%s; %s's key is an ssh key, which needs suite 2)\n",
			k->server_file, k->user);
		return EXIT_INPUT;
	}
	if (s2_server_init(k->x25519, NULL, &k->s2) < 0) {
		fprintf(stderr, "ckq: %s: unusable X25519 key\n", k->server_file);
		return EXIT_INPUT;
	}
	k->server_fp = k->s2.fp;
	return 0;
}

/*
 * Without --user or a stored one, the only user in DIR/keys is the user.
 * A user has keys/USER.pub, keys/USER.key or both (a key in ssh-agent
 * only the first): a .key counts when it has no .pub beside it.
 */
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
		char pub[NAME_MAX + 1];
		bool key;

		if (n <= 4 || n - 4 > CKQ_USER_MAX)
			continue;
		key = !strcmp(de->d_name + n - 4, ".key");
		if (!key && strcmp(de->d_name + n - 4, ".pub"))
			continue;
		snprintf(pub, sizeof(pub), "%.*s.pub", (int)(n - 4), de->d_name);
		if (key && faccessat(dirfd(d), pub, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		found++;
		memcpy(k->user, de->d_name, n - 4);
		k->user[n - 4] = '\0';
	}
	if (d)
		closedir(d);
	if (found == 1)
		return 0;
	k->user[0] = '\0';
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

/* Loads the keys and connects the socket: what every knock reuses. */
static int knock_prepare(struct knock *k, const struct knock_opts *o)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int ret;

	k->dir = client_dir(o->dir);
	if (load_server(k, o->server_key, o->port_opt) < 0 || pick_user(k) < 0)
		return EXIT_INPUT;
	/* Everything is checked before anything is sent: the agent's key last. */
	ret = user_key_load(k, o->agent);
	if (ret == 0)
		ret = server_key_pick(k);
	if (ret == 0 && k->agent)
		ret = user_agent_check(k);
	if (ret != 0)
		return ret;
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

/*
 * The first knock of open, close and proxy, with the code of --otp,
 * --otp-command or asked; the result line when it was granted.
 */
static int knock_first(struct knock *k, const struct knock_opts *o, uint8_t request,
		       uint32_t *otp, struct ckq_result *res)
{
	int ret = knock_prepare(k, o);

	if (ret != 0)
		return ret;
	if (o->otp)
		*otp = (uint32_t)strtoul(o->otp, NULL, 10);
	else if (otp_get(k, "", false, 0, otp) != KNOCK_OK)
		return EXIT_INPUT;	/* without --keep, no signal ends the wait */
	ret = knock_once(k, request, *otp, res);
	if (ret == EXIT_GRANTED)
		knock_print_result(k, "granted", res);
	return ret;
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
	wipe(k->seed, sizeof(k->seed));
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
	ret = knock_first(&k, &o, request, &otp, &res);
	if (ret == EXIT_GRANTED && o.keep)
		ret = keep_open(&k, &o, &res, otp);
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
	ret = knock_first(&k, &o, CKQ_REQ_OPEN, &otp, &res);
	if (ret == EXIT_GRANTED) {
		*server = k.server_addr;
		*port = k.req.port;
		*granted = true;
	}
	otp = 0;
	knock_free(&k);
	return ret;
}
