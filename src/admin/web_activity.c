/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "admin.h"
#include "conf.h"
#include "err.h"
#include "stats.h"
#include "util.h"
#include "web.h"

/* ckqd rewrites its counters every 5 s: past this they are not live. */
#define STATS_STALE_S 30

/* --- Activity ------------------------------------------------------------------ */

static void age_str(uint64_t s, char *out, size_t len)
{
	if (s >= 3600)
		snprintf(out, len, "%lluh %02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(out, len, "%llum %02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else
		snprintf(out, len, "%llus", (unsigned long long)s);
}

static void counters(struct page *pg)
{
	char err[CKQ_ERRBUF] = "", *text = NULL, ago[32], up[32];
	struct ckqd_conf conf;
	struct ckq_stats s;
	unsigned int bad_line = 0;
	uint64_t now = (uint64_t)time(NULL), age;
	struct stat st;
	size_t len = 0, i;

	page_raw(pg, "<h2>Counters</h2>\n");
	if (conf_load(admin_dir, &conf, err, sizeof(err)) < 0) {
		page_fmt(pg, "<p class=\"flash err\">%s</p>\n", err);
		return;
	}
	if (stat(conf.stats_file, &st) < 0) {
		page_fmt(pg, "<p class=\"src\" id=\"stats-src\">No counters: %s does not exist (stats_file "
			 "in ckqd.conf; ckqd writes it every 5 seconds while it runs).</p>\n",
			 conf.stats_file);
		return;
	}
	if (file_read(conf.stats_file, false, &text, &len, err, sizeof(err)) < 0) {
		page_fmt(pg, "<p class=\"flash err\">%s</p>\n", err);
		return;
	}
	if (stats_parse(text, len, &s, &bad_line) < 0) {
		page_fmt(pg, "<p class=\"flash err\">%s line %u is not in the Prometheus text format.</p>\n",
			 conf.stats_file, bad_line);
		free(text);
		return;
	}
	free(text);
	age = now > (uint64_t)st.st_mtime ? now - (uint64_t)st.st_mtime : 0;
	age_str(age, ago, sizeof(ago));
	age_str(now > s.start_time ? now - s.start_time : 0, up, sizeof(up));
	page_fmt(pg, "<p class=\"src\" id=\"stats-src\">From %s (stats_file in ckqd.conf), written by "
		 "ckqd %s ago; counted since it started, %s ago.</p>\n", conf.stats_file, ago, up);
	if (age > STATS_STALE_S)
		page_raw(pg, "<p class=\"flash warn\">ckqd has not rewritten them for over 30 seconds: "
			 "it is not running, or stuck.</p>\n");
	page_fmt(pg, "<table class=\"counters\" id=\"counters\"><tbody>"
		 "<tr><th>granted</th><td>%llu</td></tr><tr><th>closed</th><td>%llu</td></tr>"
		 "<tr><th>refused</th><td>%llu</td></tr><tr><th>junk</th><td>%llu</td></tr>"
		 "<tr><th>retransmits</th><td>%llu</td></tr><tr><th>pending</th><td>%llu of %llu</td></tr>"
		 "<tr><th>users</th><td>%llu</td></tr></tbody></table>\n",
		 (unsigned long long)s.granted, (unsigned long long)s.closed,
		 (unsigned long long)stats_refused_total(&s), (unsigned long long)s.junk,
		 (unsigned long long)s.retransmits, (unsigned long long)s.pending,
		 (unsigned long long)s.pending_max, (unsigned long long)s.users);
	if (!stats_refused_total(&s))
		return;
	page_raw(pg, "<table class=\"reasons\" id=\"reasons\"><thead><tr><th>Refused because</th>"
		 "<th>count</th><th>meaning</th></tr></thead><tbody>");
	for (i = 0; i < CKQ_REFUSE_N; i++) {
		const char *why = stats_reason_name((enum ckq_refusal)i);

		if (!s.refused[i])
			continue;
		page_fmt(pg, "<tr><td><code>%s</code></td><td>%llu</td><td>%s</td></tr>", why,
			 (unsigned long long)s.refused[i], stats_reason_text(why) ? stats_reason_text(why) : "");
	}
	page_raw(pg, "</tbody></table>\n");
}

static void decisions(struct page *pg, const struct web_ctx *c)
{
	struct knock_line *k;
	char why[CKQ_ERRBUF] = "";
	size_t n = 0, i;

	page_raw(pg, "<h2>Recent decisions</h2>\n");
	if (!c->log_file) {
		page_raw(pg, "<p class=\"src\" id=\"log-src\">No log given. Start ckq-admin web with "
			 "<code>--log FILE</code>, FILE being where ckqd's lines go: /var/log/syslog, "
			 "or an export such as <code>journalctl -u ckqd -o short-iso &gt; FILE</code>.</p>\n");
		return;
	}
	k = calloc(WEB_LOG_LINES, sizeof(*k));
	if (!k) {
		pg->failed = true;
		return;
	}
	if (knock_lines_tail(c->log_file, k, WEB_LOG_LINES, &n, why, sizeof(why)) < 0) {
		page_fmt(pg, "<p class=\"flash err\">%s</p>\n", why);
		free(k);
		return;
	}
	page_fmt(pg, "<p class=\"src\" id=\"log-src\">The last %zu knock lines of %s (--log), newest "
		 "first. ckqd rate-limits them, so a flood shows as a few lines and a count.</p>\n",
		 n, c->log_file);
	page_raw(pg, "<table class=\"log\" id=\"log\"><thead><tr><th>When</th><th>Decision</th>"
		 "<th>User</th><th>Source</th><th>Port</th><th>Detail</th></tr></thead><tbody>\n");
	for (i = n; i-- > 0;) {
		const char *text = k[i].reason[0] ? stats_reason_text(k[i].reason) : NULL;

		page_fmt(pg, "<tr class=\"%s\"><td>%s</td><td><span class=\"st %s\">%s</span></td>"
			 "<td>%s</td><td>%s</td><td>%s</td><td>", k[i].verb, k[i].when[0] ? k[i].when : "\xe2\x80\x94",
			 k[i].verb, k[i].verb, k[i].user, k[i].src, k[i].port);
		if (k[i].reason[0])
			page_fmt(pg, "<code>%s</code>%s%s", k[i].reason, text ? ": " : "", text ? text : "");
		if (k[i].duration[0])
			page_fmt(pg, "for %s s", k[i].duration);
		if (k[i].detail[0])
			page_fmt(pg, " %s", k[i].detail);
		page_raw(pg, "</td></tr>\n");
	}
	if (!n)
		page_raw(pg, "<tr><td colspan=\"6\">No knock lines yet.</td></tr>\n");
	page_raw(pg, "</tbody></table>\n");
	free(k);
}

void page_activity(const struct web_ctx *c, struct web_reply *r)
{
	page_head(&r->body, c, "Activity", "/activity");
	counters(&r->body);
	decisions(&r->body, c);
	page_foot(&r->body);
	r->status = 200;
}
