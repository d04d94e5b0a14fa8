/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for ckqd.conf: conf_parse(), the kv_next() lines under
 * it, and parse_duration() and ports_parse() on the whole input and on each
 * value. Each result is checked against the documented ranges, against a
 * second plain reading of the rules, or by a round trip. Seeds: corpus/conf/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "conf.h"
#include "err.h"
#include "util.h"
#include "fuzz.h"

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The rule of util.h, spelled out again: digits, then s, m, h or d. */
static int duration_oracle(const char *s, uint32_t *out)
{
	size_t n = strlen(s), i;
	uint64_t mult = 1, v = 0;

	if (n == 0 || n > 15)
		return -1;
	switch (s[n - 1]) {
	case 's': n--; break;
	case 'm': mult = 60; n--; break;
	case 'h': mult = 3600; n--; break;
	case 'd': mult = 86400; n--; break;
	}
	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v * mult > UINT32_MAX)
		return -1;
	*out = (uint32_t)(v * mult);
	return 0;
}

static void check_duration(const char *s)
{
	uint32_t got = 0xdeadbeef, want = 0;
	int r = parse_duration(s, &got), w = duration_oracle(s, &want);

	CHECK((r == 0) == (w == 0));
	CHECK(r == 0 || r == CKQ_ERR_FORMAT || r == CKQ_ERR_RANGE);
	if (r == 0)
		CHECK(got == want);
}

static void check_ports(const char *s)
{
	struct port_spec p[CKQ_MAX_PORTS], q[CKQ_MAX_PORTS];
	char text[CKQ_MAX_PORTS * 12];
	size_t n = 0, m = 0, i, j;
	int r;

	r = ports_parse(s, p, CKQ_MAX_PORTS, &n);
	CHECK(r == 0 || r == CKQ_ERR_FORMAT || r == CKQ_ERR_RANGE);
	if (r < 0)
		return;
	CHECK(n >= 1 && n <= CKQ_MAX_PORTS);
	for (i = 0; i < n; i++) {
		CHECK(p[i].proto == CKQ_PROTO_TCP || p[i].proto == CKQ_PROTO_UDP);
		CHECK(p[i].port >= 1);
		for (j = 0; j < i; j++)
			CHECK(p[i].proto != p[j].proto || p[i].port != p[j].port);
	}
	CHECK(ports_format(p, n, text, sizeof(text)) == 0);
	CHECK(ports_parse(text, q, CKQ_MAX_PORTS, &m) == 0);
	CHECK(m == n);
	for (i = 0; i < n; i++)
		CHECK(p[i].proto == q[i].proto && p[i].port == q[i].port);
	if (n >= 2)
		CHECK(ports_parse(s, q, n - 1, &m) == CKQ_ERR_RANGE);
}

/*
 * Walks the lines with a pointer of our own, so that each pair can be
 * looked for on the line kv_next() says it came from.
 */
static int check_kv(const char *text, size_t len, size_t lines)
{
	const char *line = text, *end = text + len, *nl;
	unsigned int at = 1, last = 0;
	struct kv_iter it;
	size_t steps = 0, kl, vl, ll;
	int r;

	kv_init(&it, text, len);
	while ((r = kv_next(&it)) > 0) {
		CHECK(++steps <= lines);
		CHECK(it.line > last && it.line <= lines);
		last = it.line;
		kl = strlen(it.key);
		vl = strlen(it.value);
		CHECK(kl >= 1 && kl < sizeof(it.key) && vl < sizeof(it.value));
		CHECK(!strchr(it.key, '=') && !strchr(it.key, '\n') && !strchr(it.value, '\n'));
		CHECK(it.key[0] != '#' && !blank(it.key[0]));
		CHECK(!blank(it.key[kl - 1]) && it.key[kl - 1] != '\r');
		CHECK(!vl || (!blank(it.value[0]) && !blank(it.value[vl - 1]) &&
			      it.value[vl - 1] != '\r'));
		while (at < it.line) {
			nl = memchr(line, '\n', (size_t)(end - line));
			CHECK(nl != NULL);
			line = nl + 1;
			at++;
		}
		nl = memchr(line, '\n', (size_t)(end - line));
		ll = (size_t)((nl ? nl : end) - line);
		CHECK(memmem(line, ll, it.key, kl) != NULL);
		CHECK(!vl || memmem(line, ll, it.value, vl) != NULL);
		check_duration(it.value);
		check_ports(it.value);
	}
	CHECK(r == 0 || r == CKQ_ERR_FORMAT);
	return r;
}

static const char *level_name(int level)
{
	switch (level) {
	case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: return "notice";
	case LOG_INFO: return "info";
	case LOG_DEBUG: return "debug";
	}
	return NULL;
}

/* What conf_parse() accepted, written out again, must read back the same. */
static void check_conf_round_trip(const struct ckqd_conf *c)
{
	struct ckqd_conf d;
	char text[2048], err[CKQ_ERRBUF];
	int n;

	n = snprintf(text, sizeof(text),
		     "knock_port = %u\nqueue = %u\nqueue_maxlen = %u\nfreshness = %us\n"
		     "default_grant = %u\nmax_grant = %u\nchallenge_timeout = %u\n"
		     "max_pending = %u\nreplay_capacity = %u\nlog_level = %s\npid_file = %s\n"
		     "user = %s\n",
		     c->knock_port, c->queue, c->queue_maxlen, c->freshness,
		     c->default_grant, c->max_grant, c->challenge_timeout,
		     c->max_pending, c->replay_capacity, level_name(c->log_level), c->pid_file,
		     c->user);
	CHECK(n > 0 && (size_t)n < sizeof(text));
	conf_defaults(&d);
	CHECK(conf_parse(text, (size_t)n, FNAME, &d, err, sizeof(err)) == 0);
	CHECK(c->knock_port == d.knock_port && c->queue == d.queue);
	CHECK(c->queue_maxlen == d.queue_maxlen && c->freshness == d.freshness);
	CHECK(c->default_grant == d.default_grant && c->max_grant == d.max_grant);
	CHECK(c->challenge_timeout == d.challenge_timeout && c->max_pending == d.max_pending);
	CHECK(c->replay_capacity == d.replay_capacity && c->log_level == d.log_level);
	CHECK(!strcmp(c->pid_file, d.pid_file) && !strcmp(c->user, d.user));
}

/* A name useradd(8) would take, so that it never needs quoting. */
static bool user_ok(const char *s, size_t size)
{
	size_t n = strnlen(s, size), i;

	if (n == 0 || n == size || s[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", s[i]))
			return false;
	return true;
}

static void check_conf(const char *text, size_t len, size_t lines, int kv)
{
	struct ckqd_conf c;
	char err[CKQ_ERRBUF];
	int r;

	conf_defaults(&c);
	err[0] = '\0';
	r = conf_parse(text, len, FNAME, &c, err, sizeof(err));
	CHECK(r == 0 || r == CKQ_ERR_CONFIG);
	if (r < 0) {
		check_err(err, lines);
		return;
	}
	CHECK(kv == 0);
	CHECK(c.knock_port >= 1);
	CHECK(c.queue_maxlen >= 16 && c.queue_maxlen <= 1 << 20);
	CHECK(c.freshness >= 5 && c.freshness <= 3600);
	CHECK(c.default_grant >= 1 && c.max_grant <= 2592000);
	CHECK(c.default_grant <= c.max_grant);
	CHECK(c.challenge_timeout >= 1 && c.challenge_timeout <= 300);
	CHECK(c.max_pending >= 1 && c.max_pending <= 1 << 20);
	CHECK(c.replay_capacity >= 16 && c.replay_capacity <= 1 << 24);
	CHECK(level_name(c.log_level) != NULL);
	CHECK(c.pid_file[0] == '/' && memchr(c.pid_file, '\0', sizeof(c.pid_file)));
	CHECK(user_ok(c.user, sizeof(c.user)));
	check_conf_round_trip(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t lines = count_lines((const char *)data, size);
	char *s;
	int kv;

	/* The parsers take the bytes as they are, without a NUL after them. */
	kv = check_kv((const char *)data, size, lines);
	check_conf((const char *)data, size, lines, kv);

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_duration(s);
	check_ports(s);
	free(s);
	return 0;
}
