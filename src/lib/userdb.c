/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user database: users/NAME.conf and NAME.pub read into struct
 * ckq_user, written back by ckq-admin, and the sorted set of them that
 * ckqd looks knocks up in.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "totp.h"
#include "util.h"

bool user_may(const struct ckq_user *u, uint8_t proto, uint16_t port)
{
	size_t i;

	for (i = 0; i < u->nports; i++)
		if (u->ports[i].proto == proto && u->ports[i].port == port)
			return true;
	return false;
}

bool user_source_ok(const struct ckq_user *u, const struct ckq_addr *src)
{
	size_t i;

	if (!u->nallow)
		return true;
	for (i = 0; i < u->nallow; i++)
		if (cidr_match(&u->allow[i], src))
			return true;
	return false;
}

static int dup_array(void **dst, const void *src, size_t n, size_t size)
{
	void *p = NULL;

	if (n) {
		p = malloc(n * size);
		if (!p)
			return CKQ_ERR_NOMEM;
		memcpy(p, src, n * size);
	}
	free(*dst);
	*dst = p;
	return 0;
}

int user_set_ports(struct ckq_user *u, const struct port_spec *ports, size_t n)
{
	int ret = dup_array((void **)&u->ports, ports, n, sizeof(*ports));

	u->nports = ret < 0 ? 0 : n;
	return ret;
}

int user_set_allow(struct ckq_user *u, const struct cidr *allow, size_t n)
{
	int ret = dup_array((void **)&u->allow, allow, n, sizeof(*allow));

	u->nallow = ret < 0 ? 0 : n;
	return ret;
}

int user_parse(const char *text, size_t len, const char *fname,
	       struct ckq_user *u, char *err, size_t err_len)
{
	struct port_spec ports[CKQ_MAX_PORTS];
	struct cidr allow[CKQ_MAX_ALLOW];
	size_t n;
	struct kv_iter it;
	bool have_ports = false, have_totp = false;
	int r;

	kv_init(&it, text, len);
	while ((r = kv_next(&it)) > 0) {
		if (!strcmp(it.key, "ports")) {
			if (ports_parse(it.value, ports, CKQ_MAX_PORTS, &n) < 0) {
				snprintf(err, err_len,
					 "%s line %u: ports '%s' is not a list like tcp/22,udp/53",
					 fname, it.line, it.value);
				return CKQ_ERR_CONFIG;
			}
			if (user_set_ports(u, ports, n) < 0)
				return CKQ_ERR_NOMEM;
			have_ports = true;
		} else if (!strcmp(it.key, "totp_secret")) {
			r = base32_decode(it.value, strlen(it.value), u->totp, sizeof(u->totp));
			wipe(it.value, sizeof(it.value));
			if (r < TOTP_MIN_KEY_LEN) {
				snprintf(err, err_len,
					 "%s line %u: totp_secret is not base32 of %d to %d bytes",
					 fname, it.line, TOTP_MIN_KEY_LEN, CKQ_TOTP_MAX);
				return CKQ_ERR_CONFIG;
			}
			u->totp_len = (size_t)r;
			have_totp = true;
		} else if (!strcmp(it.key, "revoked")) {
			if (parse_yes_no(it.value, &u->revoked) < 0) {
				snprintf(err, err_len, "%s line %u: revoked must be yes or no",
					 fname, it.line);
				return CKQ_ERR_CONFIG;
			}
		} else if (!strcmp(it.key, "nat")) {
			if (parse_yes_no(it.value, &u->nat) < 0) {
				snprintf(err, err_len, "%s line %u: nat must be yes or no",
					 fname, it.line);
				return CKQ_ERR_CONFIG;
			}
		} else if (!strcmp(it.key, "allow_from")) {
			if (allow_parse(it.value, allow, CKQ_MAX_ALLOW, &n) < 0) {
				snprintf(err, err_len,
					 "%s line %u: allow_from '%s' is not a list of at most %d networks like 10.0.0.0/8,2001:db8::/32",
					 fname, it.line, it.value, CKQ_MAX_ALLOW);
				return CKQ_ERR_CONFIG;
			}
			if (user_set_allow(u, allow, n) < 0)
				return CKQ_ERR_NOMEM;
		} else if (!strcmp(it.key, "expires")) {
			if (date_parse(it.value, &u->expires) < 0) {
				snprintf(err, err_len, "%s line %u: expires '%s' is not a date like 2027-01-31",
					 fname, it.line, it.value);
				return CKQ_ERR_CONFIG;
			}
		} else if (!strcmp(it.key, "max_grant")) {
			/* The kernel's ipset timeout is the ceiling of any grant. */
			if (parse_duration(it.value, &u->max_grant) < 0 || !u->max_grant ||
			    u->max_grant > GRANT_TIMEOUT_MAX) {
				snprintf(err, err_len, "%s line %u: max_grant '%s' is not a duration",
					 fname, it.line, it.value);
				return CKQ_ERR_CONFIG;
			}
		} else {
			snprintf(err, err_len, "%s line %u: unknown keyword '%s'",
				 fname, it.line, it.key);
			return CKQ_ERR_CONFIG;
		}
	}
	if (r < 0) {
		snprintf(err, err_len, "%s line %u: expected 'keyword = value'", fname, it.line);
		wipe(&it, sizeof(it));
		return CKQ_ERR_CONFIG;
	}
	wipe(&it, sizeof(it));
	if (!have_ports || !have_totp) {
		snprintf(err, err_len, "%s: missing %s", fname,
			 have_ports ? "totp_secret" : "ports");
		return CKQ_ERR_CONFIG;
	}
	return 0;
}

int user_format(const struct ckq_user *u, char **out, size_t *out_len)
{
	char ports[CKQ_MAX_PORTS * 12], secret[CKQ_TOTP_MAX * 2];
	char *buf;
	size_t i, cap = sizeof(ports) + sizeof(secret) + 256 + CKQ_MAX_ALLOW * 56;
	int n;

	if (ports_format(u->ports, u->nports, ports, sizeof(ports)) < 0 ||
	    base32_encode(u->totp, u->totp_len, secret, sizeof(secret)) < 0)
		return CKQ_ERR_RANGE;
	buf = malloc(cap);
	if (!buf)
		return CKQ_ERR_NOMEM;
	n = snprintf(buf, cap,
		     "# ckq user %s: written by ckq-admin; the public key is %s.pub\n"
		     "ports = %s\ntotp_secret = %s\nrevoked = %s\n",
		     u->name, u->name, ports, secret, u->revoked ? "yes" : "no");
	if (u->max_grant && n > 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n, "max_grant = %u\n", u->max_grant);
	if (u->nat && n > 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n, "nat = yes\n");
	if (u->expires && n > 0 && (size_t)n < cap) {
		char day[16];

		date_format(u->expires, day);
		n += snprintf(buf + n, cap - (size_t)n, "expires = %s\n", day);
	}
	for (i = 0; i < u->nallow && n > 0 && (size_t)n < cap; i++) {
		char c[CKQ_ADDR_STRLEN + 8];

		n += snprintf(buf + n, cap - (size_t)n, "%s%s%s", i ? "," : "allow_from = ",
			      cidr_str(&u->allow[i], c, sizeof(c)), i + 1 == u->nallow ? "\n" : "");
	}
	wipe(secret, sizeof(secret));
	if (n < 0 || (size_t)n >= cap) {
		wipe(buf, cap);
		free(buf);
		return CKQ_ERR_RANGE;
	}
	*out = buf;
	*out_len = (size_t)n;
	return 0;
}

/*
 * ckqd rereads users/ after it gave up root, so a name only root may read
 * is what usually fails a reload: say what to do about it. Uses errno.
 */
static void owner_hint(const char *path, char *err, size_t err_len)
{
	struct stat st;
	char owner[48] = "";

	if (errno != EACCES)
		return;
	if (stat(path, &st) == 0)
		snprintf(owner, sizeof(owner), "owned by uid %u, ", (unsigned int)st.st_uid);
	if (geteuid() == 0) {
		snprintf(err, err_len,
			 "%s: %snot readable by root without CAP_DAC_READ_SEARCH, which ckqd "
			 "needs until it drops to its user (see contrib/ckqd.service)", path, owner);
		return;
	}
	snprintf(err, err_len,
		 "%s: %snot readable by uid %u, which ckqd runs as: it must be root's and "
		 "readable by ckqd's group (ckq-admin init and add-user make it so; or chown "
		 "root:%u it and chmod 640 it, 750 for users/)",
		 path, owner, (unsigned int)geteuid(), (unsigned int)getegid());
}

void user_clear(struct ckq_user *u)
{
	key_free(u->key);
	free(u->ssh);
	free(u->load_error);
	free(u->pub);
	free(u->ports);
	free(u->allow);
	wipe(u, sizeof(*u));
}

/* users/NAME.EXT into text; path gets its name. NAME.conf holds the TOTP secret. */
static int user_file_read(const char *dir, const char *name, const char *ext,
			  char path[PATH_MAX], char **text, size_t *len, char *err, size_t err_len)
{
	int ret;

	snprintf(path, PATH_MAX, "%s/users/%s.%s", dir, name, ext);
	ret = file_read(path, !strcmp(ext, "conf"), text, len, err, err_len);
	if (ret == CKQ_ERR_IO)
		owner_hint(path, err, err_len);
	return ret;
}

/* An RSA key in PEM (suite 1), else what sshkey_load reads (suite 2). */
static int user_key_parse(const char *text, size_t len, struct ckq_user *u)
{
	int ret = key_from_pem(text, len, false, &u->key);

	if (ret == 0 || ret == CKQ_ERR_NOMEM)
		return ret;
	u->ssh = calloc(1, sizeof(*u->ssh));
	if (!u->ssh)
		return CKQ_ERR_NOMEM;
	if (sshkey_load(text, len, u->ssh) == 0)
		return 0;
	free(u->ssh);
	u->ssh = NULL;
	return ret;
}

uint8_t user_suite(const struct ckq_user *u)
{
	return u->ssh ? CKQ_SUITE_2 : CKQ_SUITE_1;
}

const uint8_t *user_key_fp(const struct ckq_user *u)
{
	if (u->ssh)
		return u->ssh->fp;
	if (u->pub)
		return u->pub->fp;
	return u->key ? u->key->fp : NULL;
}

void user_key_type(const struct ckq_user *u, char *out, size_t out_len)
{
	if (u->ssh)
		snprintf(out, out_len, "%s", sshkey_type_name(u->ssh));
	else if (u->pub)
		snprintf(out, out_len, "rsa-%u", (unsigned int)u->pub->n_len * 8);
	else if (u->key)
		snprintf(out, out_len, "rsa-%u", key_bits(u->key));
	else
		snprintf(out, out_len, "none");
}

int user_load(const char *dir, const char *name, struct ckq_user *u,
	      char *err, size_t err_len)
{
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	int ret;

	memset(u, 0, sizeof(*u));
	if (!user_name_valid(name, strlen(name))) {
		snprintf(err, err_len, "'%s' is not a valid user name", name);
		return CKQ_ERR_FORMAT;
	}
	memcpy(u->name, name, strlen(name) + 1);
	ret = user_file_read(dir, name, "conf", path, &text, &len, err, err_len);
	if (ret < 0)
		return ret;
	ret = user_parse(text, len, path, u, err, err_len);
	wipe(text, len);
	free(text);
	if (ret < 0)
		goto fail;
	ret = user_file_read(dir, name, "pub", path, &text, &len, err, err_len);
	if (ret < 0)
		goto fail;
	ret = user_key_parse(text, len, u);
	free(text);
	if (ret < 0) {
		snprintf(err, err_len, "%s: %s (need an RSA public key of %d to %d bits in PEM, "
			 "or an Ed25519 key: an OpenSSH ssh-ed25519 or sk-ssh-ed25519@openssh.com "
			 "line, or PEM)", path, ckq_strerror(ret), CKQ_RSA_MIN_BITS, CKQ_RSA_MAX_BITS);
		goto fail;
	}
	return 0;
fail:
	user_clear(u);
	return ret;
}

static int user_pack(struct ckq_user *u, char *err, size_t err_len)
{
	int ret;

	if (u->ssh)
		return 0;
	ret = key_pack(u->key, &u->pub);
	if (ret < 0) {
		snprintf(err, err_len, "%s: cannot keep its key: %s", u->name, ckq_strerror(ret));
		return ret;
	}
	key_free(u->key);
	u->key = NULL;
	return 0;
}

static int user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ckq_user *)a)->name, ((const struct ckq_user *)b)->name);
}

/*
 * A user whose files cannot be read or parsed: kept by name, revoked, so
 * that ckqd refuses their knocks and closes their grants rather than keep
 * what it knew of them before.
 */
static int user_broken(struct ckq_user *u, const char *name, const char *why)
{
	memset(u, 0, sizeof(*u));
	memcpy(u->name, name, strlen(name) + 1);
	u->revoked = true;
	u->load_error = strdup(why[0] ? why : "cannot be loaded");
	return u->load_error ? 0 : CKQ_ERR_NOMEM;
}

static bool conf_gone(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/users/%s.conf", dir, name);
	return lstat(path, &st) < 0 && errno == ENOENT;
}

static int userdb_read(const char *dir, bool keep_broken, struct userdb **out,
		       char *err, size_t err_len)
{
	char path[PATH_MAX], why[CKQ_ERRBUF];
	struct userdb *db;
	struct dirent *de;
	size_t cap = 0;
	DIR *d;
	int ret = 0;

	db = calloc(1, sizeof(*db));
	if (!db)
		return CKQ_ERR_NOMEM;
	snprintf(path, sizeof(path), "%s/users", dir);
	d = opendir(path);
	if (!d && errno == ENOENT) {
		*out = db;	/* no users yet is a valid state */
		return 0;
	}
	if (!d) {
		int saved = errno;

		snprintf(err, err_len, "%s: %s", path, strerror(saved));
		errno = saved;
		owner_hint(path, err, err_len);
		free(db);
		return CKQ_ERR_IO;
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char name[CKQ_USER_MAX + 1];

		if (n <= 5 || strcmp(de->d_name + n - 5, ".conf") || n - 5 > CKQ_USER_MAX)
			continue;
		memcpy(name, de->d_name, n - 5);
		name[n - 5] = '\0';
		if (db->n == cap) {
			struct ckq_user *nu;

			cap = cap ? cap * 2 : 16;
			nu = realloc(db->users, cap * sizeof(*nu));
			if (!nu) {
				ret = CKQ_ERR_NOMEM;
				break;
			}
			db->users = nu;
		}
		why[0] = '\0';
		ret = user_load(dir, name, &db->users[db->n], why, sizeof(why));
		if (ret == 0) {
			ret = user_pack(&db->users[db->n], why, sizeof(why));
			if (ret < 0)
				user_clear(&db->users[db->n]);
		}
		/* Gone between readdir and open: deleted, not broken. */
		if (ret == CKQ_ERR_NOENT && keep_broken && conf_gone(dir, name))
			continue;
		if (ret < 0 && keep_broken && ret != CKQ_ERR_NOMEM)
			ret = user_broken(&db->users[db->n], name, why);
		if (ret < 0) {
			snprintf(err, err_len, "%s", why);
			break;
		}
		db->n++;
	}
	closedir(d);
	if (ret < 0) {
		userdb_free(db);
		return ret;
	}
	for (size_t i = 0; i < db->n; i++)
		db->broken += db->users[i].load_error != NULL;
	if (db->n)
		qsort(db->users, db->n, sizeof(*db->users), user_cmp);
	*out = db;
	return 0;
}

int userdb_load(const char *dir, struct userdb **out, char *err, size_t err_len)
{
	return userdb_read(dir, false, out, err, err_len);
}

int userdb_load_failsafe(const char *dir, struct userdb **out, char *err, size_t err_len)
{
	return userdb_read(dir, true, out, err, err_len);
}

struct ckq_user *userdb_find(const struct userdb *db, const char *name)
{
	struct ckq_user key;
	size_t n = strlen(name);

	if (!db || !db->n || n > CKQ_USER_MAX)
		return NULL;
	memcpy(key.name, name, n + 1);
	return bsearch(&key, db->users, db->n, sizeof(*db->users), user_cmp);
}

void userdb_free(struct userdb *db)
{
	size_t i;

	if (!db)
		return;
	for (i = 0; i < db->n; i++)
		user_clear(&db->users[i]);
	free(db->users);
	free(db);
}
