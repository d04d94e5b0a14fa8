/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckq.h"
#include "crypto.h"
#include "err.h"
#include "proto.h"
#include "conf.h"
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
		"Usage: ckq add-server NAME ADDRESS --key FILE [--user USER] [--knock-port N] [-d DIR]\n"
		"Remembers a server, so that 'ckq open NAME 22' is enough later.\n\n"
		"  --key FILE        the server's public key (server.pub from ckq-admin init);\n"
		"                    check its fingerprint with the admin\n"
		"  --user USER       your user name on that server (a key of that name must\n"
		"                    exist in DIR/keys)\n"
		"  --knock-port N    the server's knock port (default 8888)\n"
		"  -d DIR            the client's directory (default ~/.config/ckq)\n");
}

int add_server_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "user", required_argument, NULL, 'u' },
		{ "knock-port", required_argument, NULL, 'p' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir_opt = NULL, *key_file = NULL, *user = NULL, *name, *address, *dir;
	char path[PATH_MAX], why[CKQ_ERRBUF], fp[CKQ_FP_STRLEN], conf[512], *pem = NULL;
	struct ckq_key *key = NULL;
	struct ckq_addr addr;
	uint32_t kport = 8888;
	size_t len = 0;
	int opt, n, ret = EXIT_INPUT;

	while ((opt = getopt_long(argc, argv, "k:u:p:d:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': key_file = optarg; break;
		case 'u': user = optarg; break;
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
	if (file_read(key_file, false, &pem, &len, why, sizeof(why)) < 0) {
		fprintf(stderr, "ckq add-server: %s\n", why);
		return EXIT_INPUT;
	}
	if (key_from_pem(pem, len, false, &key) < 0) {
		fprintf(stderr, "ckq add-server: %s is not an RSA public key of %d to %d bits in PEM\n",
			key_file, CKQ_RSA_MIN_BITS, CKQ_RSA_MAX_BITS);
		goto out;
	}
	dir = client_dir(dir_opt);
	if (client_dir_prepare(dir) < 0)
		goto out;
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
	key_fp_str(key->fp, fp);
	printf("added server %s at %s, knock port udp/%u\n"
	       "  server key %s\n  check it against what 'ckq-admin init' printed on the server\n",
	       name, address, kport, fp);
	ret = 0;
out:
	free(pem);
	key_free(key);
	return ret;
}
