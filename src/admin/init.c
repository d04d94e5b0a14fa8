/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "crypto.h"
#include "crypto25519.h"
#include "err.h"
#include "keyfile.h"
#include "proto2.h"
#include "util.h"

static const char init_usage[] =
	"Usage: ckq-admin [-c DIR] init [--bits N] [--force]\n"
	"Creates DIR (default " CKQ_CONF_DIR "), DIR/users, a commented ckqd.conf and the\n"
	"server's keys: server.key (RSA, suite 1) and server-x25519.key (X25519, suite 2),\n"
	"mode 0600, and server.pub, both public keys, for your users. On a server that\n"
	"has server.key but no server-x25519.key, adds the X25519 key and rewrites\n"
	"server.pub; suite 1 users keep working unchanged.\n\n"
	"  --bits N   2048, 3072 (default) or 4096\n"
	"  --force    replace the existing server keys: every user must then import\n"
	"             the new server.pub\n";

static const char default_conf[] =
	"# ckqd.conf: every setting, with its default. Durations take s, m, h, d.\n"
	"# The UDP port the NFQUEUE rule steers to ckqd (restart to change).\n"
	"#knock_port = 8888\n"
	"# The netfilter queue number of that rule (restart to change).\n"
	"#queue = 0\n"
	"# Queues served from queue on, a thread each, for every core: the rule then\n"
	"# spreads the port with --queue-balance 0:N-1 (restart to change).\n"
	"#queues = 1\n"
	"# Packets the kernel may hold for ckqd; beyond that it drops (fail closed).\n"
	"#queue_maxlen = 1024\n"
	"# How far a client's clock may be from ours.\n"
	"#freshness = 30s\n"
	"# Grant time when the client asks for none, and the most it may ask for.\n"
	"#default_grant = 5m\n"
	"#max_grant = 1h\n"
	"# How long a challenge waits for the client's response.\n"
	"#challenge_timeout = 10s\n"
	"# Bounds on memory: pending challenges and remembered requests.\n"
	"#max_pending = 1024\n"
	"#replay_capacity = 65536\n"
	"# error, warning, notice, info or debug.\n"
	"#log_level = info\n"
	"#pid_file = /run/ckqd/ckqd.pid\n"
	"# The user ckqd runs as once its sockets are open, keeping only\n"
	"# CAP_NET_ADMIN; it owns users/ so that it can reread it.\n"
	"# root keeps uid 0 but drops every other capability too.\n"
	"#user = ckqd\n"
	"# Where the replay cache and each user's last TOTP step outlive a restart\n"
	"# (created and given to that user).\n"
	"#state_dir = /var/lib/ckq\n"
	"# ckqd's counters, rewritten every 5 seconds (mode 0600, its user's) in the\n"
	"# Prometheus text format: read by 'ckq-admin stats', and by node_exporter's\n"
	"# textfile collector if it may read the file (restart to change).\n"
	"#stats_file = /run/ckqd/stats.prom\n"
	"# Requests that pass the one-hash pre-check cost an RSA decryption: each\n"
	"# source address (IPv6: each /64) may ask for a burst of source_burst, then\n"
	"# source_rate a second; source_table sources are tracked at once.\n"
	"#source_burst = 5\n"
	"#source_rate = 1\n"
	"#source_table = 4096\n"
	"# The system call filter. Turn it off only to run ckqd under valgrind or strace.\n"
	"#seccomp = yes\n"
	"# Where grants go: ipset (rules/ckq.ipset) or nft (table inet ckq, rules/ckq.nft).\n"
	"#grants = ipset\n";

/*
 * A new X25519 key (suite 2) in DIR/server-x25519.key, mode 0600 and the
 * owner of server.key, and server.pub rewritten as the RSA key's block and
 * then the X25519 key's (doc/protocol.md 11.1): what a suite 1 client reads
 * is unchanged. 0, or -1 once said why.
 */
static int x25519_add(const struct ckq_key *rsa, const char *key_path, const char *pub_path,
		      char fp[CKQ_FP_STRLEN])
{
	char path[PATH_MAX], *priv = NULL, *xpub = NULL, *rpub = NULL, *text = NULL;
	size_t priv_len = 0, xpub_len = 0, rpub_len = 0;
	struct ckq_x25519 *k = NULL;
	struct s2_server s;
	struct stat st;
	const char *failed = path;
	int ret = -1;

	snprintf(path, sizeof(path), "%s/" CKQ_SERVER_X25519_KEY, admin_dir);
	if (x25519_generate(&k) < 0 || x25519_to_pem(k, true, &priv, &priv_len) < 0 ||
	    x25519_to_pem(k, false, &xpub, &xpub_len) < 0 ||
	    key_to_pem(rsa, false, &rpub, &rpub_len) < 0 ||
	    s2_server_init(k->pub, NULL, &s) < 0 ||
	    !(text = malloc(rpub_len + xpub_len))) {
		fprintf(stderr, "ckq-admin init: X25519 key generation failed\n");
		goto out;
	}
	memcpy(text, rpub, rpub_len);
	memcpy(text + rpub_len, xpub, xpub_len);
	if (file_write_atomic(path, priv, priv_len, 0600) < 0)
		goto io;
	/* ckqd reads it where it reads server.key, as whoever owns that. */
	if (stat(key_path, &st) == 0 && (st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    chown(path, st.st_uid, st.st_gid) < 0)
		goto io;
	failed = pub_path;
	if (file_write_atomic(pub_path, text, rpub_len + xpub_len, 0644) < 0)
		goto io;
	key_fp_str(s.fp, fp);
	ret = 0;
	goto out;
io:
	fprintf(stderr, "ckq-admin init: cannot write %s: %s\n", failed, strerror(errno));
out:
	if (priv)
		wipe(priv, priv_len);
	free(priv);
	free(xpub);
	free(rpub);
	free(text);
	x25519_free(k);
	return ret;
}

/* ckqd refuses to start without its user: better to hear it now. */
static void note_daemon_user(void)
{
	char err[CKQ_ERRBUF] = "";
	struct ckqd_conf conf;

	if (conf_load(admin_dir, &conf, err, sizeof(err)) < 0 || !strcmp(conf.user, "root") ||
	    getpwnam(conf.user))
		return;
	printf("note: ckqd runs as user '%s', which does not exist yet: create it with\n"
	       "  adduser --system --no-create-home %s\n"
	       "(the next add-user gives it %s/users), or set user = root in %s/ckqd.conf\n",
	       conf.user, conf.user, admin_dir, admin_dir);
}

int init_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "bits", required_argument, NULL, 'b' },
		{ "force", no_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char path[PATH_MAX], pub[PATH_MAX], fp[CKQ_FP_STRLEN], xfp[CKQ_FP_STRLEN];
	char err[CKQ_ERRBUF] = "", xpath[PATH_MAX];
	const char *failed = NULL;
	struct ckq_key *key = NULL;
	struct stat st;
	uint32_t bits = 3072;
	bool force = false;
	int opt, r, ret = 1;

	while ((opt = getopt_long(argc, argv, "b:fc:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			if (parse_u32(optarg, 65536, &bits) < 0 ||
			    (bits != 2048 && bits != 3072 && bits != 4096)) {
				fprintf(stderr, "ckq-admin init: --bits: choose 2048, 3072 or 4096\n");
				return 2;
			}
			break;
		case 'f': force = true; break;
		case 'c': admin_dir = optarg; break;
		case 'h': fputs(init_usage, stdout); return 0;
		default: fputs(init_usage, stderr); return 2;
		}
	}
	if (optind != argc) {
		fputs(init_usage, stderr);
		return 2;
	}
	/* ckqd rereads DIR after it dropped root, so DIR must stay searchable. */
	umask(022);
	if (mkdir_mode(admin_dir, 0755) < 0) {
		fprintf(stderr, "ckq-admin init: cannot create %s: %s\n", admin_dir, strerror(errno));
		return 1;
	}
	umask(077);
	snprintf(path, sizeof(path), "%s/users", admin_dir);
	if (mkdir_mode(path, 0700) < 0) {
		fprintf(stderr, "ckq-admin init: cannot create %s: %s\n", path, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/ckqd.conf", admin_dir);
	if (lstat(path, &st) < 0 &&
	    file_write_atomic(path, default_conf, sizeof(default_conf) - 1, 0644) < 0) {
		fprintf(stderr, "ckq-admin init: cannot write %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (users_dir_give() < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/server.key", admin_dir);
	snprintf(pub, sizeof(pub), "%s/server.pub", admin_dir);
	snprintf(xpath, sizeof(xpath), "%s/" CKQ_SERVER_X25519_KEY, admin_dir);
	if (lstat(path, &st) == 0 && !force && lstat(xpath, &st) < 0 && errno == ENOENT) {
		/* A server from before suite 2 gains it; its RSA key stays. */
		if (server_key_load(admin_dir, true, &key, err, sizeof(err)) < 0) {
			fprintf(stderr, "ckq-admin init: %s\n", err);
			return 1;
		}
		if (x25519_add(key, path, pub, xfp) < 0)
			goto out;
		printf("added the suite 2 key (X25519) to the server in %s\n"
		       "  %s, and %s now holds both public keys\n"
		       "  X25519 fingerprint: %s\n"
		       "Suite 1 (RSA) users keep working unchanged. Give the new server.pub to\n"
		       "users of Ed25519 or ssh-agent keys (ckq add-server NAME ADDRESS --key\n"
		       "server.pub), and restart ckqd to turn suite 2 on.\n",
		       admin_dir, xpath, pub, xfp);
		ret = 0;
		goto out;
	}
	if (lstat(path, &st) == 0 && !force) {
		fprintf(stderr, "ckq-admin init: %s exists; --force replaces it (and every user\n"
				"must then import the new server.pub)\n", path);
		return 1;
	}
	if (key_generate(bits, &key) < 0) {
		fprintf(stderr, "ckq-admin init: key generation failed\n");
		goto out;
	}
	r = key_pair_write(key, path, pub, &failed);
	if (r < 0) {
		if (r != CKQ_ERR_IO && failed == path)
			fprintf(stderr, "ckq-admin init: key generation failed\n");
		else
			fprintf(stderr, "ckq-admin init: cannot write %s: %s\n", failed,
				strerror(errno));
		goto out;
	}
	if (x25519_add(key, path, pub, xfp) < 0)
		goto out;
	key_fp_str(key->fp, fp);
	printf("created the server keys in %s: RSA (%u bits, suite 1) and X25519 (suite 2)\n"
	       "  public keys for your users: %s\n"
	       "  fingerprint: %s\n"
	       "  X25519 fingerprint: %s\n"
	       "Users import it with: ckq add-server NAME ADDRESS --key server.pub\n",
	       admin_dir, bits, pub, fp, xfp);
	note_daemon_user();
	if (reload_daemon() > 0)
		printf("note: ckqd is running with the old key: restart it\n");
	ret = 0;
out:
	key_free(key);
	return ret;
}
