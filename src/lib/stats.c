/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "stats.h"

/*
 * The one table of refusals: indexed by the counter (struct ckq_stats's
 * refused[]), the word ckqd logs and exports, and what it means to a person.
 */
static const struct refusal {
	const char *name, *text;
} refusals[CKQ_REFUSE_N] = {
	[CKQ_REFUSE_REPLAY] = { "replay",
		"a message 1 seen before (a replay, or a client resending after too long)" },
	[CKQ_REFUSE_RATE_LIMITED] = { "rate_limited",
		"this source asked for more key work than source_burst and source_rate allow" },
	[CKQ_REFUSE_UNDECRYPTABLE] = { "undecryptable",
		"the session key or body did not decrypt: not for this server's key" },
	[CKQ_REFUSE_UNKNOWN_USER] = { "unknown_user",
		"no such user" },
	[CKQ_REFUSE_REVOKED] = { "revoked",
		"the user is revoked" },
	[CKQ_REFUSE_BAD_SIGNATURE] = { "bad_signature",
		"the request was not signed by the user's key" },
	[CKQ_REFUSE_STALE_TIMESTAMP] = { "stale_timestamp",
		"the client's clock is off by more than freshness" },
	[CKQ_REFUSE_EXPIRED] = { "expired",
		"the user's account has expired" },
	[CKQ_REFUSE_SOURCE_NOT_ALLOWED] = { "source_not_allowed",
		"the source address is outside the user's allow_from" },
	[CKQ_REFUSE_NAT_NOT_ALLOWED] = { "nat_not_allowed",
		"NAT mode asked for, but not allowed to this user" },
	[CKQ_REFUSE_ADDRESS_MISMATCH] = { "address_mismatch",
		"the signed address is not the packet's source (NAT? try ckq open --nat)" },
	[CKQ_REFUSE_PORT_NOT_ALLOWED] = { "port_not_allowed",
		"the user may not open that port" },
	[CKQ_REFUSE_BAD_OTP] = { "bad_otp",
		"wrong TOTP code, or one already used" },
	[CKQ_REFUSE_OTP_LOCKED] = { "otp_locked",
		"too many wrong codes with this user's key: locked (ckq-admin unlock)" },
	[CKQ_REFUSE_REPLAY_CACHE_FULL] = { "replay_cache_full",
		"the replay cache is full of live entries: ckqd fails closed" },
	[CKQ_REFUSE_UNKNOWN_SESSION] = { "unknown_session",
		"a response to no pending challenge (timed out, or another source)" },
	[CKQ_REFUSE_NONCE_REUSED] = { "nonce_reused",
		"a second, different response to one challenge" },
	[CKQ_REFUSE_BAD_RESPONSE] = { "bad_response",
		"the response did not decrypt or verify" },
	[CKQ_REFUSE_IPSET] = { "ipset",
		"the kernel refused the grant (is the ipset there?)" },
};

const char *stats_reason_name(enum ckq_refusal r)
{
	return (unsigned int)r < CKQ_REFUSE_N ? refusals[r].name : "unknown";
}

const char *stats_reason_text(const char *name)
{
	size_t i;

	for (i = 0; i < CKQ_REFUSE_N; i++)
		if (!strcmp(name, refusals[i].name))
			return refusals[i].text;
	return NULL;
}

uint64_t stats_refused_total(const struct ckq_stats *s)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < CKQ_REFUSE_N; i++)
		n += s->refused[i];
	return n;
}

/* The unlabelled series, in the order they are written. */
static const struct scalar {
	const char *name, *type, *help;
	size_t off;
} scalars[] = {
	{ "ckq_packets_total", "counter", "Packets ckqd took from its netfilter queue.",
	  offsetof(struct ckq_stats, packets) },
	{ "ckq_junk_total", "counter",
	  "Packets dropped before any key work: not a whole datagram to the knock port, or a bad header or mac1.",
	  offsetof(struct ckq_stats, junk) },
	{ "ckq_retransmits_total", "counter", "Answers sent again to a retransmitted message 1 or 3.",
	  offsetof(struct ckq_stats, retransmits) },
	{ "ckq_cookies_total", "counter",
	  "Cookie replies sent, under load, to message 1s without a valid mac2, instead of private-key work.",
	  offsetof(struct ckq_stats, cookies) },
	{ "ckq_send_errors_total", "counter", "Answers that could not be sent.",
	  offsetof(struct ckq_stats, send_errors) },
	{ "ckq_queue_drops_total", "counter",
	  "Knock packets the kernel dropped before ckqd could take them (queue full or socket overrun).",
	  offsetof(struct ckq_stats, queue_drops) },
	{ "ckq_private_key_ops_total", "counter",
	  "Private-key operations: RSA decryptions and signatures, X25519 key agreements (suite 2).",
	  offsetof(struct ckq_stats, priv_ops) },
	{ "ckq_public_key_ops_total", "counter",
	  "Public-key operations: RSA encryptions and signature checks, Ed25519 signature checks (suite 2).",
	  offsetof(struct ckq_stats, pub_ops) },
	{ "ckq_pending", "gauge", "Pending challenges in use.",
	  offsetof(struct ckq_stats, pending) },
	{ "ckq_pending_capacity", "gauge", "Pending challenges ckqd can hold (max_pending).",
	  offsetof(struct ckq_stats, pending_max) },
	{ "ckq_replay_entries", "gauge", "Requests remembered in the replay cache.",
	  offsetof(struct ckq_stats, replay_entries) },
	{ "ckq_replay_capacity", "gauge", "Requests the replay cache can hold (replay_capacity).",
	  offsetof(struct ckq_stats, replay_max) },
	{ "ckq_users", "gauge", "Users loaded, revoked ones included.",
	  offsetof(struct ckq_stats, users) },
	{ "ckq_start_time_seconds", "gauge", "When ckqd started, in seconds since the Unix epoch.",
	  offsetof(struct ckq_stats, start_time) },
};

#define N_SCALARS (sizeof(scalars) / sizeof(scalars[0]))

static uint64_t *scalar_field(struct ckq_stats *s, size_t i)
{
	return (uint64_t *)((char *)s + scalars[i].off);
}

struct out {
	char *p;
	size_t len, used;
	bool err;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->used)
		o->err = true;
	else
		o->used += (size_t)n;
}

static void family(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int stats_format(const struct ckq_stats *s, char *buf, size_t buf_len)
{
	struct out o = { .p = buf, .len = buf_len };
	size_t i;

	if (!buf_len)
		return CKQ_ERR_RANGE;
	buf[0] = '\0';
	family(&o, "ckq_knocks_total", "counter", "Knocks that ended in a grant or a close.");
	put(&o, "ckq_knocks_total{result=\"granted\"} %llu\n", (unsigned long long)s->granted);
	put(&o, "ckq_knocks_total{result=\"closed\"} %llu\n", (unsigned long long)s->closed);
	/* Every reason, zeros too: a series that appears late breaks rate(). */
	family(&o, "ckq_refused_total", "counter",
	       "Knock messages that passed the pre-check and were refused, by reason.");
	for (i = 0; i < CKQ_REFUSE_N; i++)
		put(&o, "ckq_refused_total{reason=\"%s\"} %llu\n", refusals[i].name,
		    (unsigned long long)s->refused[i]);
	for (i = 0; i < N_SCALARS; i++) {
		family(&o, scalars[i].name, scalars[i].type, scalars[i].help);
		put(&o, "%s %llu\n", scalars[i].name,
		    (unsigned long long)*scalar_field((struct ckq_stats *)s, i));
	}
	if (o.err) {
		buf[0] = '\0';
		return CKQ_ERR_RANGE;
	}
	return (int)o.used;
}

static bool name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* The field a sample sets, or NULL for one this version does not know. */
static uint64_t *sample_field(struct ckq_stats *s, const char *name, const char *key,
			      const char *value)
{
	size_t i;

	if (!strcmp(name, "ckq_knocks_total") && !strcmp(key, "result")) {
		if (!strcmp(value, "granted"))
			return &s->granted;
		if (!strcmp(value, "closed"))
			return &s->closed;
		return NULL;
	}
	if (!strcmp(name, "ckq_refused_total") && !strcmp(key, "reason")) {
		for (i = 0; i < CKQ_REFUSE_N; i++)
			if (!strcmp(value, refusals[i].name))
				return &s->refused[i];
		return NULL;
	}
	if (key[0])
		return NULL;
	for (i = 0; i < N_SCALARS; i++)
		if (!strcmp(name, scalars[i].name))
			return scalar_field(s, i);
	return NULL;
}

/*
 * One sample line: name, optional {k="v",...}, a value, an optional
 * timestamp. Only the first label is kept: ours have one at most.
 */
static int parse_sample(char *line, struct ckq_stats *s)
{
	char name[128], key[64] = "", value[64] = "", *p = line, *end;
	uint64_t *field;
	size_t n;
	double d;

	for (n = 0; name_char(*p); p++) {
		if ((n == 0 && !name_start(*p)) || n + 1 >= sizeof(name))
			return CKQ_ERR_FORMAT;
		name[n++] = *p;
	}
	if (!n)
		return CKQ_ERR_FORMAT;
	name[n] = '\0';
	if (*p == '{') {
		bool first = true;

		p++;
		while (*p != '}') {
			char k[64], v[64];
			size_t kn = 0, vn = 0;

			for (; name_char(*p) && *p != ':'; p++) {
				if (kn + 1 >= sizeof(k))
					return CKQ_ERR_FORMAT;
				k[kn++] = *p;
			}
			if (!kn || p[0] != '=' || p[1] != '"')
				return CKQ_ERR_FORMAT;
			k[kn] = '\0';
			for (p += 2; *p != '"'; p++) {
				if (!*p)
					return CKQ_ERR_FORMAT;
				if (*p == '\\' && !*++p)
					return CKQ_ERR_FORMAT;
				/* A longer value is none of ours: keep the start, to skip it. */
				if (vn + 1 < sizeof(v))
					v[vn++] = *p;
			}
			v[vn] = '\0';
			p++;
			if (first) {
				memcpy(key, k, kn + 1);
				memcpy(value, v, vn + 1);
				first = false;
			}
			if (*p == ',')
				p++;
			else if (*p != '}')
				return CKQ_ERR_FORMAT;
		}
		p++;
	}
	if (*p != ' ' && *p != '\t')
		return CKQ_ERR_FORMAT;
	while (*p == ' ' || *p == '\t')
		p++;
	d = strtod(p, &end);
	if (end == p || (*end && *end != ' ' && *end != '\t'))
		return CKQ_ERR_FORMAT;
	field = sample_field(s, name, key, value);
	if (!field)
		return 0;
	/* Ours are whole numbers, written as such; read them exactly. */
	if (*p >= '0' && *p <= '9') {
		unsigned long long u;

		errno = 0;
		u = strtoull(p, &end, 10);
		if (!*end || *end == ' ' || *end == '\t') {
			if (errno == ERANGE)
				return CKQ_ERR_FORMAT;
			*field = u;
			return 0;
		}
	}
	if (!isfinite(d) || d < 0 || d >= 18446744073709551616.0)
		return CKQ_ERR_FORMAT;
	*field = (uint64_t)d;
	return 0;
}

int stats_parse(const char *text, size_t len, struct ckq_stats *s, unsigned int *bad_line)
{
	char line[1024];
	unsigned int lineno = 0;
	size_t pos = 0;

	memset(s, 0, sizeof(*s));
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		if (bad_line)
			*bad_line = lineno;
		if (n >= sizeof(line))
			return CKQ_ERR_FORMAT;
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (memchr(line, '\0', n))
			return CKQ_ERR_FORMAT;
		if (!n || line[strspn(line, " \t")] == '\0' || line[0] == '#')
			continue;
		if (parse_sample(line, s) < 0)
			return CKQ_ERR_FORMAT;
	}
	if (bad_line)
		*bad_line = 0;
	return 0;
}
