/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckq.h"
#include "crypto.h"
#include "err.h"
#include "proto.h"
#include "conf.h"
#include "proto2.h"
#include "sshkey.h"
#include "userkey.h"
#include "util.h"

int server_conf_read(const char *dir, const char *name, struct server_conf *sc)
{
	char path[PATH_MAX], why[CKQ_ERRBUF], *text = NULL;
	struct kv_iter it;
	size_t len = 0;
	int ret, r;

	memset(sc, 0, sizeof(*sc));
	snprintf(path, sizeof(path), "%s/servers/%s.conf", dir, name);
	if (!user_name_valid(name, strlen(name)) ||
	    (ret = file_read(path, false, &text, &len, why, sizeof(why))) == CKQ_ERR_NOENT) {
		fprintf(stderr, "ckq: unknown server '%s': store it with 'ckq add-server', "
				"or give its address with --server-key FILE\n", name);
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
			ok = addr_parse(it.value, &sc->addr) == 0;
		} else if (!strcmp(it.key, "knock_port")) {
			ok = parse_u32(it.value, 65535, &sc->knock_port) == 0 && sc->knock_port;
		} else if (!strcmp(it.key, "user")) {
			ok = user_name_valid(it.value, strlen(it.value));
			if (ok && !sc->user[0])
				snprintf(sc->user, sizeof(sc->user), "%s", it.value);
		} else {
			ok = false;
		}
		if (!ok) {
			r = CKQ_ERR_CONFIG;
			break;
		}
	}
	free(text);
	if (r != 0 || !sc->addr.family) {
		fprintf(stderr, "ckq: %s line %u: %s\n", path, it.line,
			r != 0 ? "unexpected setting or value" : "no address");
		return CKQ_ERR_CONFIG;
	}
	return 0;
}

static void add_server_usage(FILE *f)
{
	fprintf(f,
		"Usage: ckq add-server NAME ADDRESS --key FILE [--user USER] [--ssh-key FILE]\n"
		"                      [--knock-port N] [-d DIR]\n"
		"Remembers a server, so that 'ckq open NAME 22' is enough later.\n\n"
		"  --key FILE        the server's public key file (server.pub from ckq-admin\n"
		"                    init: its RSA key, its X25519 key or both); check its\n"
		"                    fingerprints with the admin\n"
		"  --user USER       your user name on that server (a key of that name must\n"
		"                    exist in DIR/keys, or come with --ssh-key)\n"
		"  --ssh-key FILE    knock with this ssh key (suite 2): an ssh-ed25519 or\n"
		"                    sk-ssh-ed25519 public key, e.g. ~/.ssh/id_ed25519.pub,\n"
		"                    stored as DIR/keys/USER.pub; its private key stays in\n"
		"                    ssh-agent. Needs --user; never replaces another key\n"
		"  --knock-port N    the server's knock port (default 8888)\n"
		"  -d DIR            the client's directory (default ~/.config/ckq)\n");
}

/* The comment of the key line in text (an OpenSSH .pub file), or NULL. */
static char *line_comment(const char *text, size_t len, char *out, size_t cap)
{
	struct ckq_sshkey k;
	struct span c;
	size_t i = 0;

	while (i < len) {
		size_t start = i, j;

		while (i < len && text[i] != '\n')
			i++;
		for (j = start; j < i && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r'); j++)
			;
		if (j < i && text[j] != '#' &&
		    sshkey_from_line(text + start, i - start, &k, &c) == 0 && c.n && c.n < cap) {
			memcpy(out, c.p, c.n);
			out[c.n] = '\0';
			return out;
		}
		if (i < len)
			i++;
	}
	return NULL;
}

/*
 * --ssh-key: the key as keys/USER.pub's OpenSSH line in *line, checked
 * against what DIR/keys already holds for USER. *same when it is there
 * already. Says what is wrong.
 */
static int ssh_key_prepare(const char *dir, const char *user, const char *file,
			   struct ckq_sshkey *key, char *line, size_t cap, bool *same)
{
	char why[CKQ_ERRBUF], path[PATH_MAX], comment[256], fp[CKQ_FP_STRLEN], *text = NULL;
	struct ckq_sshkey old;
	bool is_ssh;
	size_t len = 0;
	int ret;

	*same = false;
	if (file_read(file, false, &text, &len, why, sizeof(why)) < 0) {
		fprintf(stderr, "ckq add-server: %s\n", why);
		return CKQ_ERR_IO;
	}
	ret = sshkey_load(text, len, key);
	if (ret < 0) {
		fprintf(stderr, "ckq add-server: %s is not an ssh-ed25519 or sk-ssh-ed25519 public "
				"key (an OpenSSH .pub line, or PEM)\n", file);
		free(text);
		return ret;
	}
	if (!line_comment(text, len, comment, sizeof(comment)))
		snprintf(comment, sizeof(comment), "%s@ckq", user);
	free(text);
	ret = sshkey_to_line(key, comment, line, cap);
	if (ret < 0)
		ret = sshkey_to_line(key, NULL, line, cap);
	if (ret < 0) {
		fprintf(stderr, "ckq add-server: cannot encode the key of %s\n", file);
		return ret;
	}
	ret = user_pub_read(dir, user, &old, &is_ssh, why, sizeof(why));
	if (ret == 0 && is_ssh && !memcmp(old.fp, key->fp, sizeof(old.fp))) {
		*same = true;
		return 0;
	}
	if (ret == CKQ_ERR_NOENT) {
		snprintf(path, sizeof(path), "%s/keys/%s.key", dir, user);
		if (access(path, F_OK) != 0)
			return 0;
		fprintf(stderr, "ckq add-server: %s holds another key of user %s; remove it\n"
				"     first to knock with %s, or choose another --user\n",
			path, user, file);
		return CKQ_ERR_KEY;
	}
	if (ret < 0) {
		fprintf(stderr, "ckq add-server: %s\n", why);
		return ret;
	}
	if (is_ssh)
		key_fp_str(old.fp, fp);
	fprintf(stderr, "ckq add-server: %s/keys/%s.pub already holds another key (%s%s%s): not\n"
			"     replacing it. Remove it (and keys/%s.key) first if you mean to knock as\n"
			"     %s with %s, or choose another --user\n",
		dir, user, is_ssh ? sshkey_type_name(&old) : "RSA", is_ssh ? " " : "",
		is_ssh ? fp : "", user, user, file);
	return CKQ_ERR_KEY;
}

int add_server_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "user", required_argument, NULL, 'u' },
		{ "ssh-key", required_argument, NULL, 's' },
		{ "knock-port", required_argument, NULL, 'p' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir_opt = NULL, *key_file = NULL, *user = NULL, *ssh_file = NULL;
	const char *name, *address, *dir;
	char path[PATH_MAX], why[CKQ_ERRBUF], fp[CKQ_FP_STRLEN], conf[512], *pem = NULL;
	char line[CKQ_SSHKEY_LINE_MAX];
	struct server_pubkeys pk = { 0 };
	struct ckq_sshkey ssh;
	struct s2_server s2;
	struct ckq_addr addr;
	uint32_t kport = 8888;
	size_t len = 0;
	bool same = false, user_ssh = false;
	int opt, n, ret = EXIT_INPUT;

	while ((opt = getopt_long(argc, argv, "k:u:s:p:d:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': key_file = optarg; break;
		case 'u': user = optarg; break;
		case 's': ssh_file = optarg; break;
		case 'p':
			if (parse_u32(optarg, 65535, &kport) < 0 || kport == 0) {
				fprintf(stderr, "ckq add-server: --knock-port '%s' is not a port\n", optarg);
				return EXIT_INPUT;
			}
			break;
		case 'd': dir_opt = optarg; break;
		case 'h': add_server_usage(stdout); return 0;
		default: add_server_usage(stderr); return EXIT_INPUT;
		}
	}
	if (optind + 2 != argc || !key_file) {
		add_server_usage(stderr);
		return EXIT_INPUT;
	}
	name = argv[optind];
	address = argv[optind + 1];
	if (!user_name_valid(name, strlen(name))) {
		fprintf(stderr, "ckq add-server: '%s' is not a valid server name\n", name);
		return EXIT_INPUT;
	}
	if (addr_parse(address, &addr) < 0) {
		fprintf(stderr, "ckq add-server: '%s' is not an IPv4 or IPv6 address\n", address);
		return EXIT_INPUT;
	}
	if (user && !user_name_valid(user, strlen(user))) {
		fprintf(stderr, "ckq add-server: '%s' is not a valid user name\n", user);
		return EXIT_INPUT;
	}
	if (ssh_file && !user) {
		fprintf(stderr, "ckq add-server: --ssh-key needs --user, the name the admin "
				"registers the key under\n");
		return EXIT_INPUT;
	}
	if (file_read(key_file, false, &pem, &len, why, sizeof(why)) < 0) {
		fprintf(stderr, "ckq add-server: %s\n", why);
		return EXIT_INPUT;
	}
	if (server_pub_parse(pem, len, &pk) < 0) {
		fprintf(stderr, "ckq add-server: %s is not a server key file: one or two PEM public "
				"keys, an RSA key of %d to %d bits and an X25519 key (server.pub from "
				"ckq-admin init)\n", key_file, CKQ_RSA_MIN_BITS, CKQ_RSA_MAX_BITS);
		goto out;
	}
	if (pk.has_x25519 && s2_server_init(pk.x25519, NULL, &s2) < 0) {
		fprintf(stderr, "ckq add-server: %s: unusable X25519 key\n", key_file);
		goto out;
	}
	dir = client_dir(dir_opt);
	if (client_dir_prepare(dir) < 0)
		goto out;
	if (ssh_file && ssh_key_prepare(dir, user, ssh_file, &ssh, line, sizeof(line), &same) < 0)
		goto out;
	user_ssh = ssh_file != NULL;
	snprintf(path, sizeof(path), "%s/servers/%s.pub", dir, name);
	if (file_write_atomic(path, pem, len, 0644) < 0) {
		fprintf(stderr, "ckq add-server: cannot write %s: %s\n", path, strerror(errno));
		goto out;
	}
	n = snprintf(conf, sizeof(conf), "# ckq server %s\naddress = %s\nknock_port = %u\n",
		     name, address, kport);
	if (user)
		n += snprintf(conf + n, sizeof(conf) - (size_t)n, "user = %s\n", user);
	snprintf(path, sizeof(path), "%s/servers/%s.conf", dir, name);
	if (file_write_atomic(path, conf, (size_t)n, 0600) < 0) {
		fprintf(stderr, "ckq add-server: cannot write %s: %s\n", path, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/keys/%s.pub", dir, user ? user : "");
	if (ssh_file && !same && file_write_atomic(path, line, strlen(line), 0644) < 0) {
		fprintf(stderr, "ckq add-server: cannot write %s: %s\n", path, strerror(errno));
		goto out;
	}
	printf("added server %s at %s, knock port udp/%u\n", name, address, kport);
	if (pk.rsa) {
		key_fp_str(pk.rsa->fp, fp);
		printf("  server key %s (RSA, suite 1)\n", fp);
	}
	if (pk.has_x25519) {
		key_fp_str(s2.fp, fp);
		printf("  server key %s (X25519, suite 2)\n", fp);
	}
	printf("  check %s against what 'ckq-admin init' printed on the server\n",
	       pk.rsa && pk.has_x25519 ? "them" : "it");
	if (ssh_file) {
		key_fp_str(ssh.fp, fp);
		printf("  your key %s (%s) %s %s\n"
		       "  send it to the server's admin, who registers it with\n"
		       "    ckq-admin add-user %s --key %s.pub --ports tcp/22\n",
		       fp, sshkey_type_name(&ssh), same ? "is already in" : "stored in", path,
		       user, user);
	}
	if (user && !pk.has_x25519 && !ssh_file)
		user_ssh = user_pub_read(dir, user, &ssh, &user_ssh, why, sizeof(why)) == 0 &&
			   user_ssh;
	if (!pk.has_x25519 && user_ssh)
		fprintf(stderr, "ckq add-server: warning: the server's key file has no X25519 key, "
				"which %s's ssh key needs: ask the admin for the server.pub of "
				"'ckq-admin init' (ckq 1.x+)\n", user);
	ret = 0;
out:
	free(pem);
	server_pubkeys_clear(&pk);
	return ret;
}
