/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "admin.h"
#include "conf.h"
#include "crypto.h"
#include "err.h"
#include "grant.h"
#include "sshkey.h"
#include "totp.h"
#include "user.h"
#include "util.h"

static const char add_usage[] =
	"Usage: ckq-admin [-c DIR] add-user NAME --key FILE --ports LIST [OPTIONS]\n"
	"Registers NAME with the public key FILE (from 'ckq keygen NAME', or the user's\n"
	"Ed25519 SSH key), allowed to open the ports of LIST, and creates their TOTP\n"
	"secret: the otpauth:// URI is printed, and a QR code when the output is a\n"
	"terminal; enrol it in an authenticator app (Google Authenticator and\n"
	"compatible). A running ckqd reloads at once.\n\n"
	"  --key FILE        the user's public key: the RSA PEM key of 'ckq keygen NAME'\n"
	"                    (2048 to 4096 bits), or an Ed25519 key: an OpenSSH line\n"
	"                    (ssh-ed25519 or sk-ssh-ed25519@openssh.com, as in\n"
	"                    ~/.ssh/id_ed25519.pub or authorized_keys) or PEM\n"
	"  --ports LIST      e.g. tcp/22 or tcp/22,tcp/443,udp/51820 (22 means tcp/22)\n"
	"  --max-grant TIME  cap this user's grants below the server's max_grant\n"
	"  --allow-from LIST knock only from these networks, e.g. 192.0.2.0/24,2001:db8::/32\n"
	"  --expires DATE    the account works through DATE (UTC), e.g. 2027-01-31\n"
	"  --nat             the user may ask for the address the server sees (ckq open\n"
	"                    --nat), for clients behind NAT; see doc/protocol.md\n"
	"  --replace         replace an existing user (a new key and a new TOTP secret)\n"
	"  --issuer NAME     the label shown in the authenticator (default ckq)\n"
	"  --qr / --no-qr    force or suppress the terminal QR code\n";

/*
 * Root's and readable by ckqd's group, which rereads it after dropping
 * root but must not be able to change it: mode is 0640 or 0644.
 */
static int write_for_daemon(const char *path, const void *data, size_t len, mode_t mode)
{
	uid_t uid;
	gid_t gid;

	if (daemon_owner(&uid, &gid) <= 0)
		return file_write_owned(path, data, len, mode & 0600, (uid_t)-1, (gid_t)-1);
	return file_write_owned(path, data, len, mode, 0, gid);
}

static int write_user(const struct ckq_user *u, char *err, size_t err_len)
{
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	int ret;

	ret = user_format(u, &text, &len);
	if (ret < 0) {
		snprintf(err, err_len, "cannot format the user file of %s: %s", u->name,
			 ckq_strerror(ret));
		return ret;
	}
	snprintf(path, sizeof(path), "%s/users/%s.conf", admin_dir, u->name);
	ret = write_for_daemon(path, text, len, 0640);
	if (ret < 0)
		snprintf(err, err_len, "cannot write %s: %s", path, strerror(errno));
	wipe(text, len);
	free(text);
	return ret;
}

static bool has(const char *s, size_t len, const char *what)
{
	return memmem(s, len, what, strlen(what)) != NULL;
}

static const char ssh_types[] = "ckq takes ssh-ed25519 and sk-ssh-ed25519 keys; for RSA use the PEM key of 'ckq keygen'";

/* The key lines of text, as sshkey_load counts them: not blank, not a # comment. */
static size_t key_lines(const char *text, size_t len, size_t *first, size_t *first_len)
{
	size_t i, n = 0;

	for (i = 0; i < len;) {
		size_t start = i, j;

		while (i < len && text[i] != '\n')
			i++;
		for (j = start; j < i && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r'); j++)
			;
		if (j < i && text[j] != '#' && !n++ && first) {
			*first = start;
			*first_len = i - start;
		}
		if (i < len)
			i++;
	}
	return n;
}

/*
 * A user's key from what they sent: an RSA public key in PEM (suite 1,
 * into u->key), or what sshkey_load reads (suite 2, into u->ssh) with the
 * comment of its OpenSSH line, made printable, in comment. A PEM block may
 * come with text around it, as a paste does.
 */
static int user_key_read(const char *text, size_t len, struct ckq_user *u,
			 char *comment, size_t comment_cap)
{
	const char *pem = memmem(text, len, "-----BEGIN PUBLIC KEY-----", 26);
	struct span c = { NULL, 0 };
	size_t at = 0, at_len = 0, i;
	int ret;

	comment[0] = '\0';
	ret = key_from_pem(text, len, false, &u->key);
	if (ret == 0 || ret == CKQ_ERR_NOMEM)
		return ret;
	u->ssh = calloc(1, sizeof(*u->ssh));
	if (!u->ssh)
		return CKQ_ERR_NOMEM;
	if (pem)
		ret = sshkey_from_pem(pem, len - (size_t)(pem - text), u->ssh);
	else if ((ret = sshkey_load(text, len, u->ssh)) == 0 &&
		 key_lines(text, len, &at, &at_len) == 1)
		ret = sshkey_from_line(text + at, at_len, u->ssh, &c);
	if (ret < 0) {
		free(u->ssh);
		u->ssh = NULL;
		return ret;
	}
	/* sshkey_to_line takes no control characters: a tab becomes a space. */
	for (i = 0; i < c.n && i + 1 < comment_cap; i++) {
		uint8_t ch = ((const uint8_t *)c.p)[i];

		comment[i] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	comment[i] = '\0';
	return 0;
}

/* Why a PEM text is no key ckq takes. */
static void pem_why(const char *pem, size_t len, char *why, size_t why_len)
{
	EVP_PKEY *pkey;
	BIO *bio;
	int bits;

	if (has(pem, len, "-----BEGIN CERTIFICATE-----")) {
		snprintf(why, why_len, "it is a certificate: ckq needs the bare public key (-----BEGIN PUBLIC KEY-----)");
		return;
	}
	if (has(pem, len, "-----BEGIN RSA PUBLIC KEY-----")) {
		snprintf(why, why_len, "it is a PKCS#1 RSA key: convert it with openssl rsa -RSAPublicKey_in -pubout");
		return;
	}
	if (has(pem, len, "BEGIN SSH2 PUBLIC KEY")) {
		snprintf(why, why_len, "it is an RFC 4716 (SSH2) key: give the OpenSSH line instead (ssh-keygen -i -f FILE prints it)");
		return;
	}
	if (!has(pem, len, "-----BEGIN PUBLIC KEY-----")) {
		snprintf(why, why_len, "it is not a PEM public key (the text between -----BEGIN PUBLIC KEY----- and -----END PUBLIC KEY-----)");
		return;
	}
	bio = BIO_new_mem_buf(pem, (int)(len > 65536 ? 65536 : len));
	pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	ERR_clear_error();
	if (!pkey) {
		snprintf(why, why_len, "its PEM block does not decode to a public key");
		return;
	}
	bits = EVP_PKEY_get_bits(pkey);
	if (EVP_PKEY_is_a(pkey, "ED25519"))
		snprintf(why, why_len, "its Ed25519 key has text after its PEM block");
	else if (!EVP_PKEY_is_a(pkey, "RSA"))
		snprintf(why, why_len, "it is a %s key: ckq takes RSA keys of %d to %d bits and Ed25519 keys (PEM, or an OpenSSH ssh-ed25519 or sk-ssh-ed25519 line)",
			 EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "non-RSA",
			 CKQ_RSA_MIN_BITS, CKQ_RSA_MAX_BITS);
	else if (bits < CKQ_RSA_MIN_BITS)
		snprintf(why, why_len, "it is an RSA key of %d bits, too small: ckq takes %d to %d bits",
			 bits, CKQ_RSA_MIN_BITS, CKQ_RSA_MAX_BITS);
	else if (bits > CKQ_RSA_MAX_BITS)
		snprintf(why, why_len, "it is an RSA key of %d bits, too large: ckq takes %d to %d bits (a knock must fit one frame)",
			 bits, CKQ_RSA_MIN_BITS, CKQ_RSA_MAX_BITS);
	else
		snprintf(why, why_len, "it is not an RSA public key of %d to %d bits in PEM",
			 CKQ_RSA_MIN_BITS, CKQ_RSA_MAX_BITS);
	EVP_PKEY_free(pkey);
}

/* Why a text that is no PEM is no OpenSSH key line ckq takes. */
static void line_why(const char *text, size_t len, char *why, size_t why_len)
{
	/* The sk type first: it contains the plain ECDSA one. */
	static const char *const other[] = {
		"sk-ecdsa-sha2-nistp256@openssh.com", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
		"ecdsa-sha2-nistp521", "ssh-rsa", "ssh-dss", "ssh-ed448",
	};
	char word[48];
	size_t i, n;

	if (has(text, len, "-cert-v01@openssh.com")) {
		snprintf(why, why_len, "it is an OpenSSH certificate: give the plain key line instead (the .pub the certificate was made for); %s",
			 ssh_types);
		return;
	}
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		snprintf(word, sizeof(word), "%s ", other[i]);
		if (has(text, len, word)) {
			snprintf(why, why_len, "it is an OpenSSH %s key: %s", other[i], ssh_types);
			return;
		}
	}
	if (!has(text, len, "ssh-ed25519")) {
		snprintf(why, why_len, "it is not a PEM public key (-----BEGIN PUBLIC KEY-----) nor an OpenSSH key line (ssh-ed25519 AAAA... comment)");
		return;
	}
	n = key_lines(text, len, NULL, NULL);
	if (n > 1)
		snprintf(why, why_len, "it holds %zu key lines: give one key (one line of authorized_keys)", n);
	else
		snprintf(why, why_len, "its ssh-ed25519 line does not decode to a key: its base64 is cut or damaged, or its type is not the key's (copy the whole line)");
}

int admin_key_check(const char *text, size_t len, char *why, size_t why_len)
{
	struct ckq_user u;
	char comment[2];
	int ret;

	if (!len) {
		snprintf(why, why_len, "it is empty");
		return CKQ_ERR_KEY;
	}
	if (memchr(text, '\0', len)) {
		snprintf(why, why_len, "it is binary, not PEM text (a DER key converts with: openssl pkey -pubin -inform DER -in KEY.der -out KEY.pub)");
		return CKQ_ERR_KEY;
	}
	if (has(text, len, "PRIVATE KEY-----")) {
		snprintf(why, why_len, "it is a PRIVATE key: only the public key (NAME.pub from 'ckq keygen NAME', or ~/.ssh/id_ed25519.pub) may leave the user's machine");
		return CKQ_ERR_KEY;
	}
	/* The library decides; OpenSSL and the text are looked at only to say why not. */
	memset(&u, 0, sizeof(u));
	ret = user_key_read(text, len, &u, comment, sizeof(comment));
	user_clear(&u);
	if (ret == 0 || ret == CKQ_ERR_NOMEM) {
		if (ret)
			snprintf(why, why_len, "out of memory");
		return ret;
	}
	if (has(text, len, "-----BEGIN") || has(text, len, "BEGIN SSH2 PUBLIC KEY"))
		pem_why(text, len, why, why_len);
	else
		line_why(text, len, why, why_len);
	return CKQ_ERR_KEY;
}

/* Which item of a port list is wrong, the way ports_parse() splits it. */
static int ports_check(const char *s, struct port_spec *ports, size_t *n, char *why, size_t why_len)
{
	const char *p = s;
	uint8_t proto;
	uint16_t port;
	size_t i, items = 0;
	int ret;

	ret = ports_parse(s, ports, CKQ_MAX_PORTS, n);
	if (ret == 0)
		return 0;
	while (*p) {
		char item[16];

		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		for (i = 0; p[i] && p[i] != ',' && p[i] != ' '; i++)
			;
		if (i >= sizeof(item)) {
			snprintf(why, why_len, "ports: '%.20s...' is not a port: write tcp/22, udp/53 or 22",
				 p);
			return CKQ_ERR_FORMAT;
		}
		memcpy(item, p, i);
		item[i] = '\0';
		p += i;
		items++;
		if (portspec_parse(item, &proto, &port) < 0) {
			snprintf(why, why_len, "ports: '%s' is not a port: write tcp/22, udp/53 or 22 (1 to 65535)",
				 item);
			return CKQ_ERR_FORMAT;
		}
	}
	if (!items) {
		snprintf(why, why_len, "ports: none given: list at least one, like tcp/22 or tcp/22,tcp/443");
		return CKQ_ERR_FORMAT;
	}
	snprintf(why, why_len, "ports: more than %d different ports", CKQ_MAX_PORTS);
	return CKQ_ERR_RANGE;
}

static void find_missing_sets(const struct ckq_user *u, struct add_user_result *res)
{
	struct grant *g = admin_grant_open();
	size_t i;

	res->nmissing = 0;
	if (!g)
		return;
	for (i = 0; i < u->nports; i++) {
		char set[GRANT_SETNAME_LEN];

		grant_set_name(set, CKQ_AF_INET, u->ports[i].proto, u->ports[i].port);
		if (grant_list(g, set, NULL, NULL) == CKQ_ERR_NOENT)
			res->missing[res->nmissing++] = u->ports[i];
	}
	grant_close(g);
}

void add_user_result_wipe(struct add_user_result *res)
{
	wipe(res->uri, sizeof(res->uri));
}

int admin_add_user(const struct add_user_req *req, struct add_user_result *res,
		   char *err, size_t err_len)
{
	const char *label = req->key_label ? req->key_label : "the key";
	char path[PATH_MAX], why[CKQ_ERRBUF], *pem = NULL, comment[CKQ_SSHKEY_LINE_MAX + 1];
	struct port_spec ports[CKQ_MAX_PORTS];
	struct ckq_user u;
	struct stat st;
	size_t pem_len = 0, nports = 0;
	int ret;

	memset(res, 0, sizeof(*res));
	memset(&u, 0, sizeof(u));
	if (!req->name || !user_name_valid(req->name, strlen(req->name))) {
		snprintf(err, err_len, "'%s' is not a valid name: 1 to %d of A-Z a-z 0-9 . _ -, not starting with . or -",
			 req->name ? req->name : "", CKQ_USER_MAX);
		return CKQ_ERR_FORMAT;
	}
	memcpy(u.name, req->name, strlen(req->name) + 1);
	ret = ports_check(req->ports ? req->ports : "", ports, &nports, err, err_len);
	if (ret < 0)
		return ret;
	if (req->nallow > CKQ_MAX_ALLOW) {
		snprintf(err, err_len, "allow-from: more than %d networks", CKQ_MAX_ALLOW);
		return CKQ_ERR_RANGE;
	}
	if (user_set_ports(&u, ports, nports) < 0 || user_set_allow(&u, req->allow, req->nallow) < 0) {
		snprintf(err, err_len, "out of memory");
		ret = CKQ_ERR_NOMEM;
		goto out;
	}
	u.max_grant = req->max_grant;
	u.nat = req->nat;
	u.expires = req->expires;
	if (admin_key_check(req->pem, req->pem_len, why, sizeof(why)) < 0) {
		snprintf(err, err_len, "%s: %s", label, why);
		ret = CKQ_ERR_KEY;
		goto out;
	}
	ret = user_key_read(req->pem, req->pem_len, &u, comment, sizeof(comment));
	if (ret < 0) {
		snprintf(err, err_len, "%s is not a key ckq takes: an RSA public key of %d to %d bits in PEM, or an Ed25519 key",
			 label, CKQ_RSA_MIN_BITS, CKQ_RSA_MAX_BITS);
		ret = ret == CKQ_ERR_NOMEM ? ret : CKQ_ERR_KEY;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/users/%s.conf", admin_dir, u.name);
	if (lstat(path, &st) == 0 && !req->replace) {
		snprintf(err, err_len, "user %s exists", u.name);
		res->exists = true;
		ret = CKQ_ERR_CONFIG;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/users", admin_dir);
	if (lstat(path, &st) < 0) {
		snprintf(err, err_len, "%s does not exist: run 'ckq-admin init' first", path);
		ret = CKQ_ERR_CONFIG;
		goto out;
	}
	/* Made before ckqd's user existed, or by an older ckq-admin: now as it should be. */
	ret = users_dir_give();
	if (ret < 0) {
		snprintf(err, err_len, "cannot make %s root's and readable by ckqd's group", path);
		goto out;
	}
	u.totp_len = TOTP_SECRET_LEN;
	ret = ckq_random(u.totp, u.totp_len);
	if (ret < 0) {
		snprintf(err, err_len, "the system's random generator failed");
		goto out;
	}
	if (totp_format_uri(res->uri, sizeof(res->uri), req->issuer ? req->issuer : "ckq",
			    u.name, u.totp, u.totp_len) < 0) {
		snprintf(err, err_len, "the issuer name is too long for the otpauth:// URI");
		ret = CKQ_ERR_FORMAT;
		goto out;
	}
	/*
	 * As OpenSSL writes it, or as ssh-keygen writes a .pub with the
	 * comment kept: a paste's CRLFs, surrounding text and authorized_keys
	 * options go.
	 */
	if (u.key) {
		ret = key_to_pem(u.key, false, &pem, &pem_len);
	} else {
		pem_len = CKQ_SSHKEY_LINE_MAX + 256;
		pem = malloc(pem_len);
		ret = pem ? sshkey_to_line(u.ssh, comment, pem, pem_len) : CKQ_ERR_NOMEM;
		if (ret == 0)
			pem_len = strlen(pem);
	}
	if (ret < 0) {
		snprintf(err, err_len, "cannot encode the key: %s", ckq_strerror(ret));
		goto out;
	}
	/* The key first: a .conf without its .pub would fail ckqd's reload. */
	snprintf(path, sizeof(path), "%s/users/%s.pub", admin_dir, u.name);
	ret = write_for_daemon(path, pem, pem_len, 0644);
	if (ret < 0) {
		snprintf(err, err_len, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	ret = write_user(&u, err, err_len);
	if (ret < 0)
		goto out;
	key_fp_str(user_key_fp(&u), res->fp);
	user_key_type(&u, res->type, sizeof(res->type));
	res->bits = u.key ? key_bits(u.key) : 0;
	if (u.ssh) {
		snprintf(path, sizeof(path), "%s/" CKQ_SERVER_X25519_KEY, admin_dir);
		res->no_x25519 = lstat(path, &st) < 0;
	}
	find_missing_sets(&u, res);
	res->reloaded = reload_confirm(u.name, true, res->reload_err, sizeof(res->reload_err));
	ret = 0;
out:
	free(pem);
	user_clear(&u);
	return ret;
}

/* 0, or 1 when ckqd did not confirm the change: the command then fails. */
static int say_reload(int r, const char *why)
{
	if (r > 0)
		printf("ckqd reloaded its users\n");
	else if (r == 0)
		printf("ckqd is not running: it reads the users when it starts\n");
	else
		fprintf(stderr, "ckq-admin: the change is written but not confirmed in force: %s\n",
			why);
	return r < 0;
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
	struct add_user_req req = { .issuer = "ckq" };
	struct add_user_result res;
	struct cidr allow[CKQ_MAX_ALLOW];
	const char *key_file = NULL;
	char why[CKQ_ERRBUF], *pem = NULL;
	int qr = -1, opt, ret;
	size_t i, len = 0;

	while ((opt = getopt_long(argc, argv, "k:p:m:na:e:ri:c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': key_file = optarg; break;
		case 'p': req.ports = optarg; break;
		case 'm':
			if (parse_duration(optarg, &req.max_grant) < 0 || !req.max_grant) {
				fprintf(stderr, "ckq-admin add-user: --max-grant '%s' is not a duration\n",
					optarg);
				return 2;
			}
			break;
		case 'n': req.nat = true; break;
		case 'a':
			if (allow_parse(optarg, allow, CKQ_MAX_ALLOW, &req.nallow) < 0) {
				fprintf(stderr, "ckq-admin add-user: --allow-from '%s' is not a list of at most %d networks like 10.0.0.0/8,2001:db8::/32\n",
					optarg, CKQ_MAX_ALLOW);
				return 2;
			}
			req.allow = allow;
			break;
		case 'e':
			if (date_parse(optarg, &req.expires) < 0) {
				fprintf(stderr, "ckq-admin add-user: --expires '%s' is not a date like 2027-01-31\n",
					optarg);
				return 2;
			}
			break;
		case 'r': req.replace = true; break;
		case 'i': req.issuer = optarg; break;
		case 'Q': qr = 1; break;
		case 'N': qr = 0; break;
		case 'c': admin_dir = optarg; break;
		case 'h': fputs(add_usage, stdout); return 0;
		default: fputs(add_usage, stderr); return 2;
		}
	}
	if (optind + 1 != argc || !key_file || !req.ports) {
		fputs(add_usage, stderr);
		return 2;
	}
	req.name = argv[optind];
	req.key_label = key_file;
	if (file_read(key_file, false, &pem, &len, why, sizeof(why)) < 0) {
		fprintf(stderr, "ckq-admin add-user: %s\n", why);
		return 2;
	}
	req.pem = pem;
	req.pem_len = len;
	ret = admin_add_user(&req, &res, why, sizeof(why));
	wipe(pem, len);
	free(pem);
	if (ret < 0) {
		fprintf(stderr, "ckq-admin add-user: %s%s\n", why, res.exists ?
			"; --replace gives them a new key\nand a new TOTP secret" : "");
		add_user_result_wipe(&res);
		return ret == CKQ_ERR_FORMAT || ret == CKQ_ERR_KEY || ret == CKQ_ERR_RANGE ? 2 : 1;
	}
	printf("registered %s (%s key %s)\n", req.name, res.type, res.fp);
	if (res.no_x25519)
		fprintf(stderr,
			"warning: this server has no X25519 key yet, which %s's %s key needs (suite 2):\n"
			"         run 'ckq-admin init' to add one (suite 1 users keep working), restart\n"
			"         ckqd, and give %s the new server.pub\n", req.name, res.type, req.name);
	printf("Enrol this TOTP secret in the user's authenticator app; it is shown only now:\n%s\n",
	       res.uri);
	if (qr == 1 || (qr == -1 && isatty(STDOUT_FILENO)))
		qr_print(res.uri);
	add_user_result_wipe(&res);
	for (i = 0; i < res.nmissing; i++) {
		char set[GRANT_SETNAME_LEN];

		grant_set_name(set, CKQ_AF_INET, res.missing[i].proto, res.missing[i].port);
		fprintf(stderr,
			"warning: there is no ipset %s yet: grants for %s/%u will fail until\n"
			"         the ruleset creates it and a rule accepts it (see rules/README)\n",
			set, proto_name(res.missing[i].proto), res.missing[i].port);
	}
	return say_reload(res.reloaded, res.reload_err);
}

static const char del_usage[] =
	"Usage: ckq-admin [-c DIR] del-user NAME\n"
	"Removes NAME: their key stops working at once and their open grants close.\n";

static const char revoke_usage[] =
	"Usage: ckq-admin [-c DIR] revoke NAME\n"
	"Refuses NAME's knocks from now on and closes their open grants, keeping\n"
	"their record ('ckq-admin list' shows them as revoked).\n";

int admin_retire_user(const char *name, bool remove_it, bool quiet, struct retire_result *res,
		      char *err, size_t err_len)
{
	char path[PATH_MAX], why[CKQ_ERRBUF] = "";
	struct ckq_user u;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = user_load(admin_dir, name, &u, why, sizeof(why));
	if (ret < 0) {
		snprintf(err, err_len, "%s", why[0] ? why : "no such user");
		return ret == CKQ_ERR_NOENT ? CKQ_ERR_NOUSER : ret;
	}
	if (remove_it) {
		snprintf(path, sizeof(path), "%s/users/%s.conf", admin_dir, name);
		if (unlink(path) < 0) {
			snprintf(err, err_len, "cannot remove %s: %s", path, strerror(errno));
			ret = CKQ_ERR_IO;
			goto out;
		}
		snprintf(path, sizeof(path), "%s/users/%s.pub", admin_dir, name);
		unlink(path);
		if (!quiet)
			printf("removed %s\n", name);
	} else {
		u.revoked = true;
		ret = write_user(&u, err, err_len);
		if (ret < 0)
			goto out;
		if (!quiet)
			printf("revoked %s\n", name);
	}
	/*
	 * A grant made between this close and ckqd's reload is closed by
	 * ckqd itself when the reload shows the user gone or revoked.
	 */
	res->closed = close_grants(name, NULL, quiet);
	ret = 0;
	if (res->closed < 0) {
		snprintf(err, err_len, "cannot close the grants of %s in the kernel's ipsets", name);
		ret = CKQ_ERR_IPSET;
		res->closed = 0;
	}
	res->reloaded = reload_confirm(name, false, res->reload_err, sizeof(res->reload_err));
out:
	user_clear(&u);
	return ret;
}

static int remove_or_revoke(int argc, char *argv[], bool remove_it)
{
	struct retire_result res;
	char why[CKQ_ERRBUF];
	int i, ret = 1;

	i = admin_getopt(argc, argv, remove_it ? del_usage : revoke_usage, &ret);
	if (i < 0)
		return ret;
	if (i + 1 != argc) {
		fputs(remove_it ? del_usage : revoke_usage, stderr);
		return 2;
	}
	ret = admin_retire_user(argv[i], remove_it, false, &res, why, sizeof(why));
	if (ret < 0 && ret != CKQ_ERR_IPSET) {
		fprintf(stderr, "ckq-admin: %s\n", why);
		return 1;
	}
	return say_reload(res.reloaded, res.reload_err) || ret < 0 ? 1 : 0;
}

int del_user_main(int argc, char *argv[])
{
	return remove_or_revoke(argc, argv, true);
}

int revoke_main(int argc, char *argv[])
{
	return remove_or_revoke(argc, argv, false);
}
