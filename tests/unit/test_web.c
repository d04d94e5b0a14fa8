/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pieces of ckq-admin web that need no server: HTML escaping and the
 * page formatter, the Host and --listen checks, hex, the ckqd log-line
 * parser, and the SVG QR code read back into the matrix libqrencode made.
 */
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/admin/admin.h"
#include "../../src/admin/web.h"
#include "err.h"
#include "tap.h"

static void test_escape(void)
{
	struct page pg = { 0 };

	page_text(&pg, "<a href=\"x\">'&'</a>");
	ok(pg.p && !strcmp(pg.p, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"),
	   "html_escape: & < > \" ' become entities (%s)", pg.p ? pg.p : "NULL");
	page_free(&pg);

	page_textn(&pg, "a\tb\nc\x01" "d\x7f" "e\xc3\xa9", 11);
	ok(pg.p && !strcmp(pg.p, "a\tb\nc\xef\xbf\xbd" "d\xef\xbf\xbd" "e\xc3\xa9"),
	   "tab and newline kept, other controls replaced, UTF-8 kept");
	page_free(&pg);

	page_raw(&pg, "<p>");
	page_fmt(&pg, "%s|%d|%u|%05u|%3d|%zu|%llu|%lu|%x|%%|%c|%02d", "<b>", -42, 7u, 42u, 5,
		 (size_t)1234, 18446744073709551615ULL, 99UL, 255u, '"', -3);
	page_raw(&pg, "</p>");
	ok(pg.p && !strcmp(pg.p, "<p>&lt;b&gt;|-42|7|00042|  5|1234|18446744073709551615|99|ff|%|&quot;|-3</p>"),
	   "page_fmt: markup as is, %%s and %%c escaped, numbers padded (%s)", pg.p ? pg.p : "NULL");
	ok(!pg.failed, "and the page is not failed");
	page_free(&pg);
	ok(pg.p == NULL && pg.len == 0, "page_free empties the page");

	page_fmt(&pg, "%5s", "x");
	ok(pg.failed, "a width on %%s fails the page rather than pass it unescaped");
	page_free(&pg);
	page_fmt(&pg, "%f", 1.0);
	ok(pg.failed, "an unsupported conversion fails the page");
	page_free(&pg);
}

static void test_host(void)
{
	static const struct {
		const char *host;
		bool good;
	} t[] = {
		{ "127.0.0.1:8080", true }, { "127.0.0.1", true }, { "localhost:8080", true },
		{ "localhost", true }, { "[::1]:8080", true }, { "[::1]", true },
		{ "10.217.0.1:18080", true }, { "evil.example:8080", false },
		{ "localhost.evil.example", false }, { "127.0.0.1.nip.io:8080", false },
		{ "", false }, { "127.0.0.1:", false }, { "127.0.0.1:99999", false },
		{ "127.0.0.1:0", false }, { "[::1", false }, { "[::1]x", false },
		{ "127.0.0.1:80:80", false },
	};
	size_t i;

	ok(!web_host_ok(NULL), "web_host_ok refuses a missing Host");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ok(web_host_ok(t[i].host) == t[i].good, "Host '%s' is %s", t[i].host,
		   t[i].good ? "accepted" : "refused");
}

static void test_listen(void)
{
	struct ckq_addr a;
	uint16_t port = 0;
	char s[CKQ_ADDR_STRLEN];

	ok(web_listen_parse("127.0.0.1:8080", &a, &port) == 0 && port == 8080 &&
	   !strcmp(addr_str(&a, s, sizeof(s)), "127.0.0.1") && web_addr_loopback(&a),
	   "--listen 127.0.0.1:8080 is loopback, port 8080");
	ok(web_listen_parse("[::1]:9000", &a, &port) == 0 && port == 9000 &&
	   a.family == CKQ_AF_INET6 && web_addr_loopback(&a), "--listen [::1]:9000 is loopback");
	ok(web_listen_parse("127.3.2.1:1", &a, &port) == 0 && web_addr_loopback(&a),
	   "127.3.2.1 is loopback too");
	ok(web_listen_parse("10.217.0.1:8080", &a, &port) == 0 && !web_addr_loopback(&a),
	   "10.217.0.1 is not loopback");
	ok(web_listen_parse("[::]:8080", &a, &port) == 0 && !web_addr_loopback(&a),
	   "[::] is not loopback");
	is_int(web_listen_parse("::1:8080", &a, &port), CKQ_ERR_FORMAT, "bare IPv6 is ambiguous");
	is_int(web_listen_parse("127.0.0.1", &a, &port), CKQ_ERR_FORMAT, "a port is required");
	is_int(web_listen_parse("127.0.0.1:0", &a, &port), CKQ_ERR_FORMAT, "port 0 is refused");
	is_int(web_listen_parse("127.0.0.1:65536", &a, &port), CKQ_ERR_FORMAT, "port 65536 is refused");
	is_int(web_listen_parse("localhost:8080", &a, &port), CKQ_ERR_FORMAT,
	       "a name is refused: the address is what is checked");
}

static void test_hex(void)
{
	static const uint8_t in[4] = { 0x00, 0x9f, 0xa0, 0xff };
	uint8_t out[4];
	char s[9];

	hex_encode(in, 4, s);
	ok(!strcmp(s, "009fa0ff"), "hex_encode (%s)", s);
	ok(hex_decode("009fa0ff", out, 4) == 0 && !memcmp(in, out, 4), "hex_decode round trip");
	is_int(hex_decode("009FA0FF", out, 4), CKQ_ERR_FORMAT, "upper case is refused (ours is lower)");
	is_int(hex_decode("009fa0f", out, 4), CKQ_ERR_FORMAT, "short is refused");
	is_int(hex_decode("009fa0ff00", out, 4), CKQ_ERR_FORMAT, "long is refused");
	is_int(hex_decode("009fa0fg", out, 4), CKQ_ERR_FORMAT, "a non-hex digit is refused");
}

static void test_log(void)
{
	struct knock_line k;
	const char *l;

	l = "ckqd: notice: knock granted user=alice src=10.217.0.2 port=tcp/22 duration=300";
	ok(knock_line_parse(l, strlen(l), &k) == 1 && !strcmp(k.verb, "granted") &&
	   !strcmp(k.user, "alice") && !strcmp(k.src, "10.217.0.2") && !strcmp(k.port, "tcp/22") &&
	   !strcmp(k.duration, "300") && !k.when[0] && !k.detail[0],
	   "ckqd's stderr line: granted, user, src, port, duration");
	l = "Jan  5 14:03:12 gw ckqd[812]: knock refused reason=bad_otp user=bob src=192.0.2.7";
	ok(knock_line_parse(l, strlen(l), &k) == 1 && !strcmp(k.verb, "refused") &&
	   !strcmp(k.reason, "bad_otp") && !strcmp(k.user, "bob") && !strcmp(k.when, "Jan  5 14:03:12"),
	   "a syslog line: its time, refused, the reason (when '%s')", k.when);
	l = "2026-11-27T01:55:23+0000 sv ckqd[9]: knock failed reason=ipset user=carol "
	    "src=10.0.0.2 set=ckq-tcp-443: The set with the given name does not exist";
	ok(knock_line_parse(l, strlen(l), &k) == 1 && !strcmp(k.verb, "failed") &&
	   !strcmp(k.when, "2026-11-27 01:55:23") && !strcmp(k.reason, "ipset") &&
	   !strcmp(k.detail, "set=ckq-tcp-443 The set with the given name does not exist"),
	   "a journal short-iso line: its time, and the words after the pairs (%s)", k.detail);
	l = "2026-11-27T01:55:23.123456+00:00 sv ckqd[9]: knock closed user=d src=2001:db8::1 port=udp/53\r";
	ok(knock_line_parse(l, strlen(l), &k) == 1 && !strcmp(k.verb, "closed") &&
	   !strcmp(k.src, "2001:db8::1") && !strcmp(k.port, "udp/53"),
	   "an RFC 5424 time and a CR at the end");
	l = "ckqd: notice: knock granted user=<script>alert(1)</script>aaaaaaaaaaaaaaaaaaaaaaaaaaaaa src=x";
	ok(knock_line_parse(l, strlen(l), &k) == 1 && strlen(k.user) == sizeof(k.user) - 1 &&
	   !strncmp(k.user, "<script>", 8), "a value is cut to its field, kept as text for escaping");
	l = "ckqd: notice: (3 similar messages suppressed)";
	is_int(knock_line_parse(l, strlen(l), &k), 0, "a suppression line is not a decision");
	l = "ckqd: notice: ready: knock port udp/8888 on queue 0, 3 users";
	is_int(knock_line_parse(l, strlen(l), &k), 0, "the ready line is not a decision");
	l = "sshd[1]: user said knock granted user=x";
	is_int(knock_line_parse(l, strlen(l), &k), 0, "'knock' inside a message is not a decision");
	l = "ckqd: notice: knock grantedx user=x";
	is_int(knock_line_parse(l, strlen(l), &k), 0, "an unknown verb is not a decision");
	/* What 'logger -t something ": knock granted ..."' leaves in syslog and the journal. */
	l = "Jan  5 14:03:12 gw something: : knock granted user=mallory src=192.0.2.66 port=tcp/22";
	is_int(knock_line_parse(l, strlen(l), &k), 0, "logger -t something ': knock granted' is not ckqd's");
	l = "2026-11-27T01:55:23+0000 sv root[4242]: knock granted user=mallory src=192.0.2.66";
	is_int(knock_line_parse(l, strlen(l), &k), 0, "another program's 'knock granted' is not ckqd's");
	l = "2026-11-27T01:55:23+0000 sv notckqd[42]: knock granted user=mallory src=192.0.2.66";
	is_int(knock_line_parse(l, strlen(l), &k), 0, "nor is one tagged notckqd");
	l = "Jan  5 14:03:12 gw sshd[1]: ckqd: notice: knock granted user=mallory src=192.0.2.66";
	is_int(knock_line_parse(l, strlen(l), &k), 0, "nor ckqd's stderr format inside another's message");
	l = "knock granted user=mallory src=192.0.2.66";
	is_int(knock_line_parse(l, strlen(l), &k), 0, "nor an untagged line");
	l = "Jan  5 14:03:12 gw ckqd[]: knock granted user=mallory";
	is_int(knock_line_parse(l, strlen(l), &k), 0, "nor an empty pid");
	l = "Jan  5 14:03:12 gw something: ckqd: notice: knock granted user=mallory src=192.0.2.66";
	is_int(knock_line_parse(l, strlen(l), &k), 0, "nor ckqd's stderr prefix after another's tag");
	l = "Jan  5 14:03:12 gw ckqd: knock granted user=eve src=192.0.2.8 port=tcp/22";
	ok(knock_line_parse(l, strlen(l), &k) == 1 && !strcmp(k.user, "eve"),
	   "a syslog line tagged ckqd without a pid is ckqd's");
	l = "2026-11-27T01:55:23+0000 sv ckqd[77]: ckqd: notice: knock granted user=fay src=192.0.2.9";
	ok(knock_line_parse(l, strlen(l), &k) == 1 && !strcmp(k.user, "fay") &&
	   !strcmp(k.when, "2026-11-27 01:55:23"),
	   "the journal of ckqd -f under systemd: its tag, then its stderr prefix");
}

static void test_tail(void)
{
	char path[] = "/tmp/ckq-test-web-XXXXXX", why[256] = "";
	struct knock_line k[50];
	size_t n = 0;
	FILE *f;
	int fd, i;

	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		bail_out("mkstemp");
	for (i = 0; i < 120; i++) {
		fprintf(f, "ckqd: info: something else %d\n", i);
		fprintf(f, "ckqd: notice: knock granted user=u%d src=10.0.0.%d port=tcp/22 duration=%d\n",
			i, i, i);
	}
	fprintf(f, "ckqd: notice: knock refused reason=bad_otp user=last src=10.0.0.1");
	fclose(f);
	ok(knock_lines_tail(path, k, 50, &n, why, sizeof(why)) == 0 && n == 50,
	   "knock_lines_tail keeps 50 decisions (%zu)", n);
	ok(n == 50 && !strcmp(k[0].user, "u71") && !strcmp(k[48].user, "u119") &&
	   !strcmp(k[49].user, "last") && !strcmp(k[49].verb, "refused"),
	   "the last ones, oldest first, the unterminated last line included");
	unlink(path);
	ok(knock_lines_tail(path, k, 50, &n, why, sizeof(why)) < 0 && strstr(why, path),
	   "a missing file says which (%s)", why);
	ok(knock_lines_tail("/tmp", k, 50, &n, why, sizeof(why)) < 0, "a directory is refused");
}

/* Reads the runs of the path back into a matrix and compares it with libqrencode's. */
static void test_qr(void)
{
	const char *uri = "otpauth://totp/ckq:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=ckq";
	QRcode *qr = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	unsigned char *m;
	size_t len = 0;
	char *svg = qr_svg(uri, &len), *p;
	int w, v, x, y, n, a, b, c, d, used, bad = 0, runs = 0;

	if (!qr || !svg)
		bail_out("qrencode");
	w = qr->width;
	ok(len == strlen(svg), "qr_svg's length is the string's");
	ok(!strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) &&
	   !strcmp(svg + len - 6, "</svg>"), "an SVG element");
	ok(sscanf(strstr(svg, "viewBox=") ? strstr(svg, "viewBox=") : "", "viewBox=\"0 0 %d", &v) == 1 &&
	   v == w + 8, "the view box is the matrix and a quiet zone of 4 (%d for %d)", v, w);
	for (p = svg, n = 0; (p = strchr(p, '<')); p++)
		n++;
	is_int(n, 4, "four tags: svg, rect, path and /svg");
	m = calloc((size_t)w * (size_t)w, 1);
	p = strstr(svg, " d=\"");
	if (!m || !p)
		bail_out("no path");
	p += 4;
	while (sscanf(p, "M%d %dh%dv1h-%dz%n", &x, &y, &n, &d, &used) == 4) {
		runs++;
		if (n != d || x - 4 < 0 || y - 4 < 0 || x - 4 + n > w || y - 4 >= w) {
			bad++;
			break;
		}
		for (a = 0; a < n; a++)
			m[(y - 4) * w + x - 4 + a]++;
		p += used;
	}
	ok(!strncmp(p, "\"/></svg>", 9), "the path is only runs (%d of them)", runs);
	for (b = 0; b < w; b++)
		for (c = 0; c < w; c++)
			if (m[b * w + c] != (qr->data[b * w + c] & 1))
				bad++;
	is_int(bad, 0, "every dark module is drawn once and no light one is");
	free(m);
	free(svg);
	QRcode_free(qr);
}

int main(void)
{
	test_escape();
	test_host();
	test_listen();
	test_hex();
	test_log();
	test_tail();
	test_qr();
	return done_testing();
}
