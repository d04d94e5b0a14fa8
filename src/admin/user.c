/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "crypto.h"
#include "err.h"
#include "grant.h"
#include "totp.h"
#include "util.h"

static const char add_usage[] =
	"Usage: ckq-admin [-c DIR] add-user NAME --key FILE --ports LIST [OPTIONS]\n"
	"Registers NAME with the public key FILE (from 'ckq keygen NAME'), allowed to\n"
	"open the ports of LIST, and creates their TOTP secret: the otpauth:// URI is\n"
	"printed, and a QR code when the output is a terminal; enrol it in an\n"
	"authenticator app (Google Authenticator and compatible). A running ckqd\n"
	"reloads at once.\n\n"
	"  --key FILE        the user's RSA public key in PEM (2048 to 4096 bits)\n"
	"  --ports LIST      e.g. tcp/22 or tcp/22,tcp/443,udp/51820 (22 means tcp/22)\n"
	"  --max-grant TIME  cap this user's grants below the server's max_grant\n"
	"  --allow-from LIST knock only from these networks, e.g. 192.0.2.0/24,2001:db8::/32\n"
	"  --expires DATE    the account works through DATE (UTC), e.g. 2027-01-31\n"
	"  --nat             the user may ask for the address the server sees (ckq open\n"
	"                    --nat), for clients behind NAT; see doc/protocol.md\n"
	"  --replace         replace an existing user (a new key and a new TOTP secret)\n"
	"  --issuer NAME     the label shown in the authenticator (default ckq)\n"
	"  --qr / --no-qr    force or suppress the terminal QR code\n";

static void warn_missing_sets(const struct ckq_user *u)
{
	struct grant *g = grant_open();
	size_t i;

	if (!g)
		return;
	for (i = 0; i < u->nports; i++) {
		char set[GRANT_SETNAME_LEN];

		grant_set_name(set, CKQ_AF_INET, u->ports[i].proto, u->ports[i].port);
		if (grant_list(g, set, NULL, NULL) == CKQ_ERR_NOENT)
			fprintf(stderr,
				"warning: there is no ipset %s yet: grants for %s/%u will fail until\n"
				"         the ruleset creates it and a rule accepts it (see rules/README)\n",
				set, proto_name(u->ports[i].proto), u->ports[i].port);
	}
	grant_close(g);
}

/* Written for ckqd's user, which rereads it after dropping root. */
static int write_for_daemon(const char *path, const void *data, size_t len, mode_t mode)
{
	uid_t uid;
	gid_t gid;

	if (daemon_owner(&uid, &gid) <= 0) {
		uid = (uid_t)-1;
		gid = (gid_t)-1;
	}
	return file_write_owned(path, data, len, mode, uid, gid);
}

static int write_user(const struct ckq_user *u)
{
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	int ret;

	ret = user_format(u, &text, &len);
	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "%s/users/%s.conf", admin_dir, u->name);
	ret = write_for_daemon(path, text, len, 0600);
	if (ret < 0)
		fprintf(stderr, "ckq-admin: cannot write %s: %s\n", path, strerror(errno));
	wipe(text, len);
	free(text);
	return ret;
}

static void say_reload(void)
{
	int r = reload_daemon();

	if (r > 0)
		printf("ckqd reloaded its users\n");
	else if (r == 0)
		printf("ckqd is not running: it reads the users when it starts\n");
}

int add_user_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "ports", required_argument, NULL, 'p' },
		{ "max-grant", required_argument, NULL, 'm' },
		{ "nat", no_argument, NULL, 'n' },
		{ "allow-from", required_argument, NULL, 'a' },
		{ "expires", required_argument, NULL, 'e' },
		{ "replace", no_argument, NULL, 'r' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "qr", no_argument, NULL, 'Q' },
		{ "no-qr", no_argument, NULL, 'N' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key_file = NULL, *ports = NULL, *issuer = "ckq", *name;
	char path[PATH_MAX], why[CKQ_ERRBUF], fp[CKQ_FP_STRLEN], uri[512], *pem = NULL;
	struct ckq_user u;
	struct stat st;
	bool replace = false;
	int qr = -1, opt, ret = 1;
	size_t len = 0;

	memset(&u, 0, sizeof(u));
	while ((opt = getopt_long(argc, argv, "k:p:m:na:e:ri:c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': key_file = optarg; break;
		case 'p': ports = optarg; break;
		case 'm':
			if (parse_duration(optarg, &u.max_grant) < 0 || !u.max_grant) {
				fprintf(stderr, "ckq-admin add-user: --max-grant '%s' is not a duration\n",
					optarg);
				return 2;
			}
			break;
		case 'n': u.nat = true; break;
		case 'a':
			if (allow_parse(optarg, u.allow, CKQ_MAX_ALLOW, &u.nallow) < 0) {
				fprintf(stderr, "ckq-admin add-user: --allow-from '%s' is not a list of at most %d networks like 10.0.0.0/8,2001:db8::/32\n",
					optarg, CKQ_MAX_ALLOW);
				return 2;
			}
			break;
		case 'e':
			if (date_parse(optarg, &u.expires) < 0) {
				fprintf(stderr, "ckq-admin add-user: --expires '%s' is not a date like 2027-01-31\n",
					optarg);
				return 2;
			}
			break;
		case 'r': replace = true; break;
		case 'i': issuer = optarg; break;
		case 'Q': qr = 1; break;
		case 'N': qr = 0; break;
		case 'c': admin_dir = optarg; break;
		case 'h': fputs(add_usage, stdout); return 0;
		default: fputs(add_usage, stderr); return 2;
		}
	}
	if (optind + 1 != argc || !key_file || !ports) {
		fputs(add_usage, stderr);
		return 2;
	}
	name = argv[optind];
	if (!user_name_valid(name, strlen(name))) {
		fprintf(stderr, "ckq-admin add-user: '%s' is not a valid name: 1 to %d of A-Z a-z 0-9 . _ -\n",
			name, CKQ_USER_MAX);
		return 2;
	}
	memcpy(u.name, name, strlen(name) + 1);
	if (ports_parse(ports, u.ports, CKQ_MAX_PORTS, &u.nports) < 0) {
		fprintf(stderr, "ckq-admin add-user: --ports '%s' is not a list like tcp/22,udp/53\n",
			ports);
		return 2;
	}
	if (file_read(key_file, false, &pem, &len, why, sizeof(why)) < 0) {
		fprintf(stderr, "ckq-admin add-user: %s\n", why);
		return 2;
	}
	if (key_from_pem(pem, len, false, &u.key) < 0) {
		fprintf(stderr, "ckq-admin add-user: %s is not an RSA public key of %d to %d bits in PEM\n",
			key_file, CKQ_RSA_MIN_BITS, CKQ_RSA_MAX_BITS);
		ret = 2;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/users/%s.conf", admin_dir, name);
	if (lstat(path, &st) == 0 && !replace) {
		fprintf(stderr, "ckq-admin add-user: user %s exists; --replace gives them a new key\n"
				"and a new TOTP secret\n", name);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/users", admin_dir);
	if (lstat(path, &st) < 0) {
		fprintf(stderr, "ckq-admin add-user: %s does not exist: run 'ckq-admin init' first\n",
			path);
		goto out;
	}
	/* A directory made before ckqd's user existed becomes theirs too. */
	if (users_dir_give() < 0)
		goto out;
	u.totp_len = TOTP_SECRET_LEN;
	if (ckq_random(u.totp, u.totp_len) < 0)
		goto out;
	/* The key first: a .conf without its .pub would fail ckqd's reload. */
	snprintf(path, sizeof(path), "%s/users/%s.pub", admin_dir, name);
	if (write_for_daemon(path, pem, len, 0644) < 0) {
		fprintf(stderr, "ckq-admin: cannot write %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (write_user(&u) < 0)
		goto out;
	if (totp_format_uri(uri, sizeof(uri), issuer, name, u.totp, u.totp_len) < 0) {
		fprintf(stderr, "ckq-admin add-user: the issuer name is too long\n");
		goto out;
	}
	key_fp_str(u.key->fp, fp);
	printf("registered %s (key %s)\n", name, fp);
	printf("Enrol this TOTP secret in the user's authenticator app; it is shown only now:\n%s\n",
	       uri);
	if (qr == 1 || (qr == -1 && isatty(STDOUT_FILENO)))
		qr_print(uri);
	wipe(uri, sizeof(uri));
	warn_missing_sets(&u);
	say_reload();
	ret = 0;
out:
	free(pem);
	user_clear(&u);
	return ret;
}

static const char del_usage[] =
	"Usage: ckq-admin [-c DIR] del-user NAME\n"
	"Removes NAME: their key stops working at once and their open grants close.\n";

static const char revoke_usage[] =
	"Usage: ckq-admin [-c DIR] revoke NAME\n"
	"Refuses NAME's knocks from now on and closes their open grants, keeping\n"
	"their record ('ckq-admin list' shows them as revoked).\n";

static int remove_or_revoke(int argc, char *argv[], bool remove_it)
{
	char path[PATH_MAX], why[CKQ_ERRBUF];
	struct ckq_user u;
	const char *name;
	int i, ret = 1;

	i = admin_getopt(argc, argv, remove_it ? del_usage : revoke_usage, &ret);
	if (i < 0)
		return ret;
	if (i + 1 != argc) {
		fputs(remove_it ? del_usage : revoke_usage, stderr);
		return 2;
	}
	name = argv[i];
	if (user_load(admin_dir, name, &u, why, sizeof(why)) < 0) {
		fprintf(stderr, "ckq-admin: %s\n",
			why[0] ? why : "no such user");
		return 1;
	}
	if (remove_it) {
		snprintf(path, sizeof(path), "%s/users/%s.conf", admin_dir, name);
		if (unlink(path) < 0) {
			fprintf(stderr, "ckq-admin: cannot remove %s: %s\n", path, strerror(errno));
			goto out;
		}
		snprintf(path, sizeof(path), "%s/users/%s.pub", admin_dir, name);
		unlink(path);
		printf("removed %s\n", name);
	} else {
		u.revoked = true;
		if (write_user(&u) < 0)
			goto out;
		printf("revoked %s\n", name);
	}
	/*
	 * A grant made between this close and ckqd's reload is closed by
	 * ckqd itself when the reload shows the user gone or revoked.
	 */
	ret = close_grants(name, NULL, false) < 0 ? 1 : 0;
	say_reload();
out:
	user_clear(&u);
	return ret;
}

int del_user_main(int argc, char *argv[])
{
	return remove_or_revoke(argc, argv, true);
}

int revoke_main(int argc, char *argv[])
{
	return remove_or_revoke(argc, argv, false);
}
