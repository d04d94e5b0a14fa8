/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "grant.h"
#include "log.h"
#include "totp.h"
#include "util.h"

void conf_defaults(struct ckqd_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->knock_port = 8888;
	c->queue = 0;
	c->queues = 1;
	c->queue_maxlen = 1024;
	c->freshness = 30;
	c->default_grant = 300;
	c->max_grant = 3600;
	c->challenge_timeout = 10;
	c->max_pending = 1024;
	c->replay_capacity = 65536;
	c->log_level = LOG_INFO;
	snprintf(c->pid_file, sizeof(c->pid_file), "/run/ckqd/ckqd.pid");
	snprintf(c->user, sizeof(c->user), "ckqd");
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/ckq");
	snprintf(c->stats_file, sizeof(c->stats_file), "/run/ckqd/stats.prom");
	c->source_burst = 5;
	c->source_rate = 1;
	c->source_table = 4096;
	c->seccomp = true;
	c->grants = GRANT_IPSET;
}

enum kind { K_PORT, K_U16, K_U32, K_DURATION, K_LEVEL, K_PATH, K_USER, K_BOOL, K_GRANTS };

static const struct keyword {
	const char *name;
	enum kind kind;
	size_t off;
	uint32_t min, max;
} keywords[] = {
	{ "knock_port", K_PORT, offsetof(struct ckqd_conf, knock_port), 1, 65535 },
	{ "queue", K_U16, offsetof(struct ckqd_conf, queue), 0, 65535 },
	{ "queues", K_U16, offsetof(struct ckqd_conf, queues), 1, 64 },
	{ "queue_maxlen", K_U32, offsetof(struct ckqd_conf, queue_maxlen), 16, 1 << 20 },
	{ "freshness", K_DURATION, offsetof(struct ckqd_conf, freshness), 5, 3600 },
	{ "default_grant", K_DURATION, offsetof(struct ckqd_conf, default_grant), 1, GRANT_TIMEOUT_MAX },
	{ "max_grant", K_DURATION, offsetof(struct ckqd_conf, max_grant), 1, GRANT_TIMEOUT_MAX },
	{ "challenge_timeout", K_DURATION, offsetof(struct ckqd_conf, challenge_timeout), 1, 300 },
	{ "max_pending", K_U32, offsetof(struct ckqd_conf, max_pending), 1, 1 << 20 },
	{ "replay_capacity", K_U32, offsetof(struct ckqd_conf, replay_capacity), 16, 1 << 24 },
	{ "log_level", K_LEVEL, offsetof(struct ckqd_conf, log_level), 0, 0 },
	{ "pid_file", K_PATH, offsetof(struct ckqd_conf, pid_file), 0, 0 },
	{ "user", K_USER, offsetof(struct ckqd_conf, user), 0, 0 },
	{ "state_dir", K_PATH, offsetof(struct ckqd_conf, state_dir), 0, 0 },
	{ "stats_file", K_PATH, offsetof(struct ckqd_conf, stats_file), 0, 0 },
	{ "source_burst", K_U32, offsetof(struct ckqd_conf, source_burst), 1, 1000 },
	{ "source_rate", K_U32, offsetof(struct ckqd_conf, source_rate), 1, 1000 },
	{ "source_table", K_U32, offsetof(struct ckqd_conf, source_table), 16, 1 << 22 },
	{ "seccomp", K_BOOL, offsetof(struct ckqd_conf, seccomp), 0, 0 },
	{ "grants", K_GRANTS, offsetof(struct ckqd_conf, grants), 0, 0 },
};

/* What useradd(8) takes by default, so a name never needs quoting. */
static bool user_name_ok(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	return n && n < size && s[0] != '-' && name_chars_ok(s, n);
}

int conf_parse(const char *text, size_t len, const char *fname,
	       struct ckqd_conf *c, char *err, size_t err_len)
{
	struct kv_iter it;
	int r;

	kv_init(&it, text, len);
	while ((r = kv_next(&it)) > 0) {
		const struct keyword *k = NULL;
		uint8_t *field;
		uint32_t v = 0;
		size_t i;

		for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
			if (!strcmp(it.key, keywords[i].name))
				k = &keywords[i];
		if (!k) {
			snprintf(err, err_len, "%s line %u: unknown keyword '%s'",
				 fname, it.line, it.key);
			return CKQ_ERR_CONFIG;
		}
		field = (uint8_t *)c + k->off;
		switch (k->kind) {
		case K_LEVEL:
			r = log_level_parse(it.value);
			if (r < 0) {
				snprintf(err, err_len,
					 "%s line %u: log_level '%s' is not one of error, warning, notice, info, debug",
					 fname, it.line, it.value);
				return CKQ_ERR_CONFIG;
			}
			memcpy(field, &r, sizeof(r));
			continue;
		case K_PATH:
			if (it.value[0] != '/' || strlen(it.value) >= sizeof(c->pid_file)) {
				snprintf(err, err_len, "%s line %u: %s must be an absolute path",
					 fname, it.line, k->name);
				return CKQ_ERR_CONFIG;
			}
			memcpy(field, it.value, strlen(it.value) + 1);
			continue;
		case K_BOOL:
			if (parse_yes_no(it.value, (bool *)field) < 0) {
				snprintf(err, err_len, "%s line %u: %s must be yes or no",
					 fname, it.line, k->name);
				return CKQ_ERR_CONFIG;
			}
			continue;
		case K_GRANTS:
			if (grant_backend_parse(it.value, (enum grant_backend *)field) < 0) {
				snprintf(err, err_len, "%s line %u: grants must be ipset or nft",
					 fname, it.line);
				return CKQ_ERR_CONFIG;
			}
			continue;
		case K_USER:
			if (!user_name_ok(it.value, sizeof(c->user))) {
				snprintf(err, err_len,
					 "%s line %u: user '%s' is not a user name (root, or 1 to %zu of A-Z a-z 0-9 . _ -, not starting with -)",
					 fname, it.line, it.value, sizeof(c->user) - 1);
				return CKQ_ERR_CONFIG;
			}
			memcpy(field, it.value, strlen(it.value) + 1);
			continue;
		case K_DURATION:
			r = parse_duration(it.value, &v);
			break;
		default:
			r = parse_u32(it.value, UINT32_MAX, &v);
			break;
		}
		if (r < 0 || v < k->min || v > k->max) {
			snprintf(err, err_len, "%s line %u: %s '%s' is not %s from %u to %u",
				 fname, it.line, k->name, it.value,
				 k->kind == K_DURATION ? "a duration (s, m, h, d)" : "a number",
				 k->min, k->max);
			return CKQ_ERR_CONFIG;
		}
		if (k->kind == K_PORT || k->kind == K_U16) {
			uint16_t v16 = (uint16_t)v;

			memcpy(field, &v16, sizeof(v16));
		} else {
			memcpy(field, &v, sizeof(v));
		}
	}
	if (r < 0) {
		snprintf(err, err_len, "%s line %u: expected 'keyword = value'", fname, it.line);
		return CKQ_ERR_CONFIG;
	}
	if ((uint32_t)c->queue + c->queues - 1 > 65535) {
		snprintf(err, err_len, "%s: queues %u from queue %u go past queue 65535",
			 fname, c->queues, c->queue);
		return CKQ_ERR_CONFIG;
	}
	if (c->default_grant > c->max_grant) {
		snprintf(err, err_len, "%s: default_grant (%u s) exceeds max_grant (%u s)",
			 fname, c->default_grant, c->max_grant);
		return CKQ_ERR_CONFIG;
	}
	return 0;
}

int conf_load(const char *dir, struct ckqd_conf *c, char *err, size_t err_len)
{
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	int ret;

	conf_defaults(c);
	snprintf(path, sizeof(path), "%s/ckqd.conf", dir);
	ret = file_read(path, false, &text, &len, err, err_len);
	if (ret == CKQ_ERR_NOENT)
		return 0;	/* every setting has a default */
	if (ret == CKQ_ERR_IO && errno == EACCES)
		snprintf(err, err_len,
			 "%s: not readable by uid %u, which ckqd runs as: %s must be searchable "
			 "and ckqd.conf readable by others (chmod 755 %s; chmod 644 %s)",
			 path, (unsigned int)geteuid(), dir, dir, path);
	if (ret < 0)
		return ret;
	ret = conf_parse(text, len, path, c, err, err_len);
	free(text);
	return ret;
}

int conf_user_lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t err_len)
{
	struct passwd *pw;

	if (!strcmp(user, "root")) {
		*uid = 0;
		*gid = 0;
		return 0;
	}
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		int saved = errno;

		/* "Not found" comes back as any of several errno values, or none. */
		if (saved == EIO || saved == EMFILE || saved == ENFILE ||
		    saved == ENOMEM || saved == EINTR) {
			snprintf(err, err_len, "cannot look up user '%s': %s", user, strerror(saved));
			errno = saved;
			return CKQ_ERR_IO;
		}
		snprintf(err, err_len,
			 "user '%s' does not exist: create it with "
			 "'adduser --system --no-create-home %s', or set user = root in "
			 "ckqd.conf (capabilities are dropped either way)", user, user);
		return CKQ_ERR_NOUSER;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

void conf_reload_file(const struct ckqd_conf *c, char *out, size_t out_len)
{
	const char *slash = strrchr(c->pid_file, '/');
	int dir_len = slash ? (int)(slash - c->pid_file) : 0;

	snprintf(out, out_len, "%.*s/reload.state", dir_len, c->pid_file);
}

/*
 * The next item of a list separated by commas and spaces, copied into item.
 * 1 with an item, 0 at the end, CKQ_ERR_FORMAT when one does not fit.
 */
static int list_next(const char **s, char *item, size_t size)
{
	size_t i;

	while (**s == ' ' || **s == ',')
		(*s)++;
	if (!**s)
		return 0;
	for (i = 0; (*s)[i] && (*s)[i] != ',' && (*s)[i] != ' '; i++)
		if (i + 1 >= size)
			return CKQ_ERR_FORMAT;
	memcpy(item, *s, i);
	item[i] = '\0';
	*s += i;
	return 1;
}

int ports_parse(const char *s, struct port_spec *ports, size_t max, size_t *n)
{
	struct port_spec one;
	char item[16];
	size_t j;
	int r;

	*n = 0;
	while ((r = list_next(&s, item, sizeof(item))) > 0) {
		if (portspec_parse(item, &one.proto, &one.port) < 0)
			return CKQ_ERR_FORMAT;
		for (j = 0; j < *n; j++)
			if (ports[j].proto == one.proto && ports[j].port == one.port)
				break;
		if (j < *n)
			continue;
		if (*n >= max)
			return CKQ_ERR_RANGE;
		ports[(*n)++] = one;
	}
	return r < 0 || !*n ? CKQ_ERR_FORMAT : 0;
}

int ports_format(const struct port_spec *ports, size_t n, char *out, size_t out_len)
{
	size_t i, used = 0;

	if (out_len)
		out[0] = '\0';
	for (i = 0; i < n; i++) {
		int w = snprintf(out + used, out_len - used, "%s%s/%u", i ? "," : "",
				 proto_name(ports[i].proto), ports[i].port);

		if (w < 0 || (size_t)w >= out_len - used)
			return CKQ_ERR_RANGE;
		used += (size_t)w;
	}
	return 0;
}

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

int allow_parse(const char *s, struct cidr *allow, size_t max, size_t *n)
{
	char item[CKQ_ADDR_STRLEN + 8];
	int r;

	*n = 0;
	while ((r = list_next(&s, item, sizeof(item))) > 0) {
		if (*n >= max)
			return CKQ_ERR_RANGE;
		if (cidr_parse(item, &allow[*n]) < 0)
			return CKQ_ERR_FORMAT;
		(*n)++;
	}
	return r < 0 || !*n ? CKQ_ERR_FORMAT : 0;
}

int date_parse(const char *s, uint64_t *end)
{
	struct tm tm, back;
	unsigned int y, m, d, i;
	time_t t;

	/* Exactly YYYY-MM-DD: a date an admin typed is not guessed at. */
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return CKQ_ERR_FORMAT;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return CKQ_ERR_FORMAT;
	y = (unsigned int)((s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'));
	m = (unsigned int)((s[5] - '0') * 10 + (s[6] - '0'));
	d = (unsigned int)((s[8] - '0') * 10 + (s[9] - '0'));
	if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31)
		return CKQ_ERR_FORMAT;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)m - 1;
	tm.tm_mday = (int)d;
	t = timegm(&tm);
	/* timegm rolls 2027-02-30 over to March: such a day does not exist. */
	if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != (int)d ||
	    back.tm_mon != (int)m - 1)
		return CKQ_ERR_FORMAT;
	*end = (uint64_t)t + 86400;
	return 0;
}

void date_format(uint64_t end, char out[16])
{
	time_t t = (time_t)(end - 86400);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
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
	free(u->load_error);
	free(u->pub);
	free(u->ports);
	free(u->allow);
	wipe(u, sizeof(*u));
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
	snprintf(path, sizeof(path), "%s/users/%s.conf", dir, name);
	ret = file_read(path, true, &text, &len, err, err_len);
	if (ret == CKQ_ERR_IO)
		owner_hint(path, err, err_len);
	if (ret < 0)
		return ret;
	ret = user_parse(text, len, path, u, err, err_len);
	wipe(text, len);
	free(text);
	if (ret < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/users/%s.pub", dir, name);
	ret = file_read(path, false, &text, &len, err, err_len);
	if (ret == CKQ_ERR_IO)
		owner_hint(path, err, err_len);
	if (ret < 0)
		goto fail;
	ret = key_from_pem(text, len, false, &u->key);
	free(text);
	if (ret < 0) {
		snprintf(err, err_len, "%s: %s (need an RSA public key of %d to %d bits in PEM)",
			 path, ckq_strerror(ret), CKQ_RSA_MIN_BITS, CKQ_RSA_MAX_BITS);
		goto fail;
	}
	return 0;
fail:
	user_clear(u);
	return ret;
}

static int user_pack(struct ckq_user *u, char *err, size_t err_len)
{
	int ret = key_pack(u->key, &u->pub);

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

int server_key_load(const char *dir, bool private_part, struct ckq_key **out,
		    char *err, size_t err_len)
{
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, private_part ? "server.key" : "server.pub");
	ret = file_read(path, private_part, &text, &len, err, err_len);
	if (ret < 0)
		return ret;
	ret = key_from_pem(text, len, private_part, out);
	wipe(text, len);
	free(text);
	if (ret < 0)
		snprintf(err, err_len, "%s: %s", path, ckq_strerror(ret));
	return ret;
}
