/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "grant.h"
#include "log.h"
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

/*
 * RESTART: ckqd opened a socket, a table, a file or its sandbox with it, so
 * a reload keeps the value it started with (conf_keep_restart_only).
 */
enum when { RESTART, RELOAD };

#define FIELD(f) offsetof(struct ckqd_conf, f), sizeof(((struct ckqd_conf *)0)->f)

static const struct keyword {
	const char *name;
	enum kind kind;
	size_t off, size;
	uint32_t min, max;
	enum when when;
} keywords[] = {
	{ "knock_port", K_PORT, FIELD(knock_port), 1, 65535, RESTART },
	{ "queue", K_U16, FIELD(queue), 0, 65535, RESTART },
	{ "queues", K_U16, FIELD(queues), 1, 64, RESTART },
	{ "queue_maxlen", K_U32, FIELD(queue_maxlen), 16, 1 << 20, RESTART },
	{ "freshness", K_DURATION, FIELD(freshness), 5, 3600, RELOAD },
	{ "default_grant", K_DURATION, FIELD(default_grant), 1, GRANT_TIMEOUT_MAX, RELOAD },
	{ "max_grant", K_DURATION, FIELD(max_grant), 1, GRANT_TIMEOUT_MAX, RELOAD },
	{ "challenge_timeout", K_DURATION, FIELD(challenge_timeout), 1, 300, RELOAD },
	{ "max_pending", K_U32, FIELD(max_pending), 1, 1 << 20, RESTART },
	{ "replay_capacity", K_U32, FIELD(replay_capacity), 16, 1 << 24, RESTART },
	{ "log_level", K_LEVEL, FIELD(log_level), 0, 0, RELOAD },
	{ "pid_file", K_PATH, FIELD(pid_file), 0, 0, RESTART },
	{ "user", K_USER, FIELD(user), 0, 0, RESTART },
	{ "state_dir", K_PATH, FIELD(state_dir), 0, 0, RESTART },
	{ "stats_file", K_PATH, FIELD(stats_file), 0, 0, RESTART },
	{ "source_burst", K_U32, FIELD(source_burst), 1, 1000, RESTART },
	{ "source_rate", K_U32, FIELD(source_rate), 1, 1000, RESTART },
	{ "source_table", K_U32, FIELD(source_table), 16, 1 << 22, RESTART },
	{ "seccomp", K_BOOL, FIELD(seccomp), 0, 0, RESTART },
	{ "grants", K_GRANTS, FIELD(grants), 0, 0, RESTART },
};

#define N_KEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

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

		for (i = 0; i < N_KEYWORDS; i++)
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
			if (it.value[0] != '/' || strlen(it.value) >= k->size) {
				snprintf(err, err_len, "%s line %u: %s must be an absolute path",
					 fname, it.line, k->name);
				return CKQ_ERR_CONFIG;
			}
			strncpy((char *)field, it.value, k->size);
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
			if (!user_name_ok(it.value, k->size)) {
				snprintf(err, err_len,
					 "%s line %u: user '%s' is not a user name (root, or 1 to %zu of A-Z a-z 0-9 . _ -, not starting with -)",
					 fname, it.line, it.value, k->size - 1);
				return CKQ_ERR_CONFIG;
			}
			strncpy((char *)field, it.value, k->size);
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

size_t conf_keep_restart_only(struct ckqd_conf *c, const struct ckqd_conf *running,
			      char *kept, size_t kept_len)
{
	size_t i, n = 0, used = 0;

	if (kept_len)
		kept[0] = '\0';
	for (i = 0; i < N_KEYWORDS; i++) {
		const struct keyword *k = &keywords[i];
		uint8_t *field = (uint8_t *)c + k->off;
		const uint8_t *was = (const uint8_t *)running + k->off;

		if (k->when == RELOAD || !memcmp(field, was, k->size))
			continue;
		memcpy(field, was, k->size);
		if (used < kept_len) {
			int w = snprintf(kept + used, kept_len - used, "%s%s", n ? ", " : "", k->name);

			used += w > 0 ? (size_t)w : 0;
		}
		n++;
	}
	return n;
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

