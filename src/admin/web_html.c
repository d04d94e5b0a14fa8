/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "util.h"
#include "web.h"

#define PAGE_MAX (4 * 1024 * 1024)	/* no page of ours comes near it */

static void page_put(struct page *pg, const char *s, size_t n)
{
	char *p;
	size_t cap;

	if (pg->failed)
		return;
	if (n > PAGE_MAX - pg->len) {
		pg->failed = true;
		return;
	}
	if (pg->len + n + 1 > pg->cap) {
		cap = pg->cap ? pg->cap : 4096;
		while (cap < pg->len + n + 1)
			cap *= 2;
		/* Not realloc: the old block may hold a secret to wipe. */
		p = malloc(cap);
		if (!p) {
			pg->failed = true;
			return;
		}
		if (pg->p) {
			memcpy(p, pg->p, pg->len);
			wipe(pg->p, pg->cap);
			free(pg->p);
		}
		pg->p = p;
		pg->cap = cap;
	}
	memcpy(pg->p + pg->len, s, n);
	pg->len += n;
	pg->p[pg->len] = '\0';
}

void html_escape(struct page *pg, const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e;

		switch (c) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		case '\t': case '\n': continue;
		default:
			if (c >= 0x20 && c != 0x7f)
				continue;
			e = "\xef\xbf\xbd";
		}
		page_put(pg, s + start, i - start);
		page_put(pg, e, strlen(e));
		start = i + 1;
	}
	page_put(pg, s + start, n - start);
}

void page_raw(struct page *pg, const char *markup)
{
	page_put(pg, markup, strlen(markup));
}

void page_text(struct page *pg, const char *s)
{
	html_escape(pg, s, strlen(s));
}

void page_textn(struct page *pg, const char *s, size_t n)
{
	html_escape(pg, s, n);
}

static void put_number(struct page *pg, char *digits, unsigned int width, bool zero)
{
	size_t n = strlen(digits);
	char pad = zero ? '0' : ' ';

	/* A zero pad goes after the sign. */
	if (zero && digits[0] == '-') {
		page_put(pg, "-", 1);
		digits++;
		n--;
		if (width)
			width--;
	}
	while (width > n && width-- > 0)
		page_put(pg, &pad, 1);
	page_put(pg, digits, n);
}

void page_fmt(struct page *pg, const char *fmt, ...)
{
	const char *p = fmt, *lit = fmt;
	char num[32];
	va_list ap;

	va_start(ap, fmt);
	while (*p) {
		unsigned int width = 0;
		bool zero = false;
		int longs = 0;
		bool size = false;

		if (*p != '%') {
			p++;
			continue;
		}
		page_put(pg, lit, (size_t)(p - lit));
		p++;
		if (*p == '0') {
			zero = true;
			p++;
		}
		while (*p >= '0' && *p <= '9' && width < 100)
			width = width * 10 + (unsigned int)(*p++ - '0');
		while (*p == 'l' && longs < 2) {
			longs++;
			p++;
		}
		if (*p == 'z') {
			size = true;
			p++;
		}
		switch (*p) {
		case '%':
			page_put(pg, "%", 1);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (width || zero || longs || size)
				pg->failed = true;
			else
				page_text(pg, s ? s : "");
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);

			html_escape(pg, &c, 1);
			break;
		}
		case 'd':
			if (size)
				pg->failed = true;
			else if (longs == 2)
				snprintf(num, sizeof(num), "%lld", va_arg(ap, long long));
			else if (longs == 1)
				snprintf(num, sizeof(num), "%ld", va_arg(ap, long));
			else
				snprintf(num, sizeof(num), "%d", va_arg(ap, int));
			put_number(pg, num, width, zero);
			break;
		case 'u':
		case 'x':
			if (size)
				snprintf(num, sizeof(num), *p == 'u' ? "%zu" : "%zx", va_arg(ap, size_t));
			else if (longs == 2)
				snprintf(num, sizeof(num), *p == 'u' ? "%llu" : "%llx",
					 va_arg(ap, unsigned long long));
			else if (longs == 1)
				snprintf(num, sizeof(num), *p == 'u' ? "%lu" : "%lx",
					 va_arg(ap, unsigned long));
			else
				snprintf(num, sizeof(num), *p == 'u' ? "%u" : "%x",
					 va_arg(ap, unsigned int));
			put_number(pg, num, width, zero);
			break;
		default:
			/* An unknown conversion cannot be skipped: the arguments are lost. */
			pg->failed = true;
			va_end(ap);
			return;
		}
		p++;
		lit = p;
	}
	page_put(pg, lit, (size_t)(p - lit));
	va_end(ap);
}

void page_free(struct page *pg)
{
	if (pg->p) {
		wipe(pg->p, pg->cap);
		free(pg->p);
	}
	memset(pg, 0, sizeof(*pg));
}

const char *service_name(uint8_t proto, uint16_t port)
{
	/* Independent of /etc/services, which a minimal system may lack. */
	static const struct {
		uint8_t proto;
		uint16_t port;
		const char *name;
	} known[] = {
		{ CKQ_PROTO_TCP, 21, "ftp" }, { CKQ_PROTO_TCP, 22, "ssh" },
		{ CKQ_PROTO_TCP, 23, "telnet" }, { CKQ_PROTO_TCP, 25, "smtp" },
		{ CKQ_PROTO_TCP, 53, "domain" }, { CKQ_PROTO_UDP, 53, "domain" },
		{ CKQ_PROTO_TCP, 80, "http" }, { CKQ_PROTO_TCP, 110, "pop3" },
		{ CKQ_PROTO_TCP, 143, "imap" }, { CKQ_PROTO_UDP, 161, "snmp" },
		{ CKQ_PROTO_TCP, 443, "https" }, { CKQ_PROTO_UDP, 443, "quic" },
		{ CKQ_PROTO_TCP, 465, "submissions" }, { CKQ_PROTO_UDP, 500, "isakmp" },
		{ CKQ_PROTO_TCP, 587, "submission" }, { CKQ_PROTO_TCP, 636, "ldaps" },
		{ CKQ_PROTO_TCP, 873, "rsync" }, { CKQ_PROTO_TCP, 993, "imaps" },
		{ CKQ_PROTO_TCP, 995, "pop3s" }, { CKQ_PROTO_UDP, 1194, "openvpn" },
		{ CKQ_PROTO_TCP, 1194, "openvpn" }, { CKQ_PROTO_TCP, 1883, "mqtt" },
		{ CKQ_PROTO_TCP, 3306, "mysql" }, { CKQ_PROTO_TCP, 3389, "rdp" },
		{ CKQ_PROTO_UDP, 4500, "ipsec-nat-t" }, { CKQ_PROTO_TCP, 5432, "postgresql" },
		{ CKQ_PROTO_TCP, 5900, "vnc" }, { CKQ_PROTO_TCP, 6443, "kubernetes" },
		{ CKQ_PROTO_TCP, 8080, "http-alt" }, { CKQ_PROTO_TCP, 8443, "https-alt" },
		{ CKQ_PROTO_TCP, 9100, "node-exporter" }, { CKQ_PROTO_UDP, 51820, "wireguard" },
	};
	struct servent *se;
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].proto == proto && known[i].port == port)
			return known[i].name;
	se = getservbyport(htons(port), proto == CKQ_PROTO_UDP ? "udp" : "tcp");
	return se ? se->s_name : NULL;
}

bool web_host_ok(const char *host)
{
	char name[64];
	struct ckq_addr a;
	const char *end, *colon;
	size_t n;

	if (!host || !*host)
		return false;
	if (host[0] == '[') {
		end = strchr(host, ']');
		if (!end)
			return false;
		host++;
		n = (size_t)(end - host);
		end++;
	} else {
		colon = strchr(host, ':');
		n = colon ? (size_t)(colon - host) : strlen(host);
		end = host + n;
	}
	if (*end) {
		uint32_t port;

		if (*end != ':' || parse_u32(end + 1, 65535, &port) < 0 || !port)
			return false;
	}
	if (n == 0 || n >= sizeof(name))
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	return !strcmp(name, "localhost") || addr_parse(name, &a) == 0;
}

int web_listen_parse(const char *s, struct ckq_addr *addr, uint16_t *port)
{
	char host[64];
	const char *colon;
	uint32_t p;
	size_t n;

	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return CKQ_ERR_FORMAT;
		n = (size_t)(colon - s - 1);
		s++;
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return CKQ_ERR_FORMAT;
		n = (size_t)(colon - s);
	}
	if (n == 0 || n >= sizeof(host))
		return CKQ_ERR_FORMAT;
	memcpy(host, s, n);
	host[n] = '\0';
	if (addr_parse(host, addr) < 0 || parse_u32(colon + 1, 65535, &p) < 0 || !p)
		return CKQ_ERR_FORMAT;
	*port = (uint16_t)p;
	return 0;
}

bool web_addr_loopback(const struct ckq_addr *a)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };

	if (a->family == CKQ_AF_INET)
		return a->a[0] == 127;
	return a->family == CKQ_AF_INET6 && !memcmp(a->a, v6_loopback, 16);
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int hex_decode(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi, lo;

		if (!s[2 * i] || !s[2 * i + 1])
			return CKQ_ERR_FORMAT;
		hi = hex_digit(s[2 * i]);
		lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return CKQ_ERR_FORMAT;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return s[2 * n] ? CKQ_ERR_FORMAT : 0;
}
