/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "web.h"

#define LOG_TAIL_MAX (1024 * 1024)

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "2026-01-31T14:03:12..." (journalctl -o short-iso, RFC 5424) as "2026-01-31 14:03:12". */
static bool iso_time(const char *s, size_t n, char *out, size_t out_len)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	if (n < sizeof(shape) - 1 || out_len < sizeof(shape))
		return false;
	for (i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd' ? !is_digit(s[i]) :
		    shape[i] == 'T' ? s[i] != 'T' && s[i] != ' ' : s[i] != shape[i])
			return false;
	}
	memcpy(out, s, sizeof(shape) - 1);
	out[10] = ' ';
	out[sizeof(shape) - 1] = '\0';
	return true;
}

/* "Jan 31 14:03:12" (traditional syslog) as it is. */
static bool syslog_time(const char *s, size_t n, char *out, size_t out_len)
{
	static const char shape[] = "Aaa dd dd:dd:dd";
	size_t i;

	if (n < sizeof(shape) - 1 || out_len < sizeof(shape))
		return false;
	for (i = 0; i < sizeof(shape) - 1; i++) {
		char c = s[i];
		bool good;

		switch (shape[i]) {
		case 'A': good = c >= 'A' && c <= 'Z'; break;
		case 'a': good = c >= 'a' && c <= 'z'; break;
		case 'd': good = is_digit(c) || (i == 4 && c == ' '); break;
		default: good = c == shape[i];
		}
		if (!good)
			return false;
	}
	memcpy(out, s, sizeof(shape) - 1);
	out[sizeof(shape) - 1] = '\0';
	return true;
}

static void copy_field(char *dst, size_t dst_len, const char *s, size_t n)
{
	if (n >= dst_len)
		n = dst_len - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void append_detail(struct knock_line *k, const char *s, size_t n)
{
	size_t have = strlen(k->detail);

	if (have && have + 1 < sizeof(k->detail))
		k->detail[have++] = ' ';
	if (have + n >= sizeof(k->detail))
		n = sizeof(k->detail) - 1 - have;
	memcpy(k->detail + have, s, n);
	k->detail[have + n] = '\0';
}

static const char *after(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(end - p) >= n && !memcmp(p, s, n) ? p + n : NULL;
}

/* ckqd's stderr prefix has a level: "notice: ". */
static const char *skip_level(const char *p, const char *end)
{
	static const char *const levels[] = {
		"emerg: ", "alert: ", "crit: ", "error: ", "warning: ", "notice: ", "info: ", "debug: "
	};
	const char *q;
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if ((q = after(p, end, levels[i])))
			return q;
	return p;
}

/*
 * Where the message of a line of ckqd's starts, or NULL for any other
 * program's line, whatever it says. A syslog or journal line is "TIME HOST
 * TAG: message" and its tag must be ckqd[PID] or ckqd; the message may
 * then carry ckqd's stderr prefix (ckqd -f under systemd). Without a time
 * the line must be ckqd's stderr: "ckqd: LEVEL: message".
 */
static const char *ckqd_message(const char *line, size_t len)
{
	const char *p, *q, *end = line + len;
	char when[32];
	size_t digits = 0;

	if (!iso_time(line, len, when, sizeof(when)) && !syslog_time(line, len, when, sizeof(when))) {
		p = after(line, end, "ckqd: ");
		return p ? skip_level(p, end) : NULL;
	}
	/* The time (an ISO one runs on to its zone), the host, then the tag. */
	p = line + (line[4] == '-' ? 19 : 15);
	while (p < end && *p != ' ')
		p++;
	while (p < end && *p == ' ')
		p++;
	while (p < end && *p != ' ')
		p++;
	if (p == end || !(q = after(p + 1, end, "ckqd")))
		return NULL;
	if (q < end && *q == '[') {
		for (q++; q < end && is_digit(*q) && digits <= 10; q++)
			digits++;
		if (!digits || digits > 10 || q == end || *q != ']')
			return NULL;
		q++;
	}
	p = after(q, end, ": ");
	if (!p)
		return NULL;
	if ((q = after(p, end, "ckqd: ")))
		p = q;
	return skip_level(p, end);
}

int knock_line_parse(const char *line, size_t len, struct knock_line *k)
{
	static const char *const verbs[] = { "granted", "closed", "refused", "failed" };
	static const struct {
		const char *key;
		size_t off, size;
	} keys[] = {
		{ "user", offsetof(struct knock_line, user), sizeof(k->user) },
		{ "src", offsetof(struct knock_line, src), sizeof(k->src) },
		{ "port", offsetof(struct knock_line, port), sizeof(k->port) },
		{ "duration", offsetof(struct knock_line, duration), sizeof(k->duration) },
		{ "reason", offsetof(struct knock_line, reason), sizeof(k->reason) },
	};
	const char *p = NULL, *end = line + len;
	size_t i, n;
	bool kv = true;

	memset(k, 0, sizeof(*k));
	/* "knock " at the start of a message of ckqd's. */
	p = ckqd_message(line, len);
	if (!p || !(p = after(p, end, "knock ")))
		return 0;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		n = strlen(verbs[i]);
		if ((size_t)(end - p) >= n && !memcmp(p, verbs[i], n) &&
		    (p + n == end || p[n] == ' '))
			break;
	}
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return 0;
	snprintf(k->verb, sizeof(k->verb), "%s", verbs[i]);
	p += strlen(verbs[i]);
	if (!iso_time(line, len, k->when, sizeof(k->when)))
		syslog_time(line, len, k->when, sizeof(k->when));
	while (p < end) {
		const char *tok, *eq;

		while (p < end && (*p == ' ' || *p == '\r'))
			p++;
		if (p == end)
			break;
		tok = p;
		while (p < end && *p != ' ' && *p != '\r')
			p++;
		n = (size_t)(p - tok);
		eq = memchr(tok, '=', n);
		if (kv && eq) {
			size_t klen = (size_t)(eq - tok), vlen = n - klen - 1;

			/* "set=ckq-tcp-22: The set ...": the pairs end at the colon. */
			if (vlen && eq[vlen] == ':') {
				vlen--;
				kv = false;
			}
			for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
				if (strlen(keys[i].key) == klen && !memcmp(keys[i].key, tok, klen))
					break;
			if (i < sizeof(keys) / sizeof(keys[0]))
				copy_field((char *)k + keys[i].off, keys[i].size, eq + 1, vlen);
			else
				append_detail(k, tok, klen + 1 + vlen);
			continue;
		}
		kv = false;
		append_detail(k, tok, n);
	}
	return 1;
}

int knock_lines_tail(const char *path, struct knock_line *out, size_t max, size_t *n,
		     char *why, size_t why_len)
{
	struct knock_line k;
	struct stat st;
	size_t len = 0, total = 0, skip, got = 0;
	const char *p, *nl, *end;
	off_t from;
	char *buf;
	int fd, pass;

	*n = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, why_len, "cannot open %s: %s", path, strerror(errno));
		return CKQ_ERR_IO;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, why_len, "%s is not a regular file", path);
		close(fd);
		return CKQ_ERR_IO;
	}
	from = st.st_size > LOG_TAIL_MAX ? st.st_size - LOG_TAIL_MAX : 0;
	buf = malloc(LOG_TAIL_MAX + 1);
	if (!buf) {
		close(fd);
		return CKQ_ERR_NOMEM;
	}
	while (len < LOG_TAIL_MAX) {
		ssize_t r = pread(fd, buf + len, LOG_TAIL_MAX - len, from + (off_t)len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, why_len, "cannot read %s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return CKQ_ERR_IO;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	end = buf + len;
	/* The first line read from the middle of the file is a fragment. */
	p = buf;
	if (from > 0) {
		nl = memchr(buf, '\n', len);
		p = nl ? nl + 1 : end;
	}
	/* Count, then keep the last max: no second copy of the file. */
	for (pass = 0; pass < 2; pass++) {
		const char *q = p;
		size_t seen = 0;

		skip = total > max ? total - max : 0;
		while (q < end) {
			nl = memchr(q, '\n', (size_t)(end - q));
			if (!nl)
				nl = end;
			if (knock_line_parse(q, (size_t)(nl - q), &k)) {
				if (pass == 1 && seen >= skip && got < max)
					out[got++] = k;
				seen++;
			}
			q = nl + (nl < end);
		}
		total = seen;
	}
	free(buf);
	*n = got;
	return 0;
}
