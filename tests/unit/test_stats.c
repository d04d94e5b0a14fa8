/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "stats.h"
#include "tap.h"

/* The whole exposition for known counters, as node_exporter will read it. */
static const char golden[] =
	"# HELP ckq_knocks_total Knocks that ended in a grant or a close.\n"
	"# TYPE ckq_knocks_total counter\n"
	"ckq_knocks_total{result=\"granted\"} 3\n"
	"ckq_knocks_total{result=\"closed\"} 1\n"
	"# HELP ckq_refused_total Knock messages that passed the pre-check and were refused, by reason.\n"
	"# TYPE ckq_refused_total counter\n"
	"ckq_refused_total{reason=\"replay\"} 4\n"
	"ckq_refused_total{reason=\"rate_limited\"} 0\n"
	"ckq_refused_total{reason=\"undecryptable\"} 0\n"
	"ckq_refused_total{reason=\"unknown_user\"} 0\n"
	"ckq_refused_total{reason=\"revoked\"} 0\n"
	"ckq_refused_total{reason=\"bad_signature\"} 0\n"
	"ckq_refused_total{reason=\"stale_timestamp\"} 0\n"
	"ckq_refused_total{reason=\"expired\"} 0\n"
	"ckq_refused_total{reason=\"source_not_allowed\"} 0\n"
	"ckq_refused_total{reason=\"nat_not_allowed\"} 0\n"
	"ckq_refused_total{reason=\"address_mismatch\"} 0\n"
	"ckq_refused_total{reason=\"port_not_allowed\"} 0\n"
	"ckq_refused_total{reason=\"bad_otp\"} 1\n"
	"ckq_refused_total{reason=\"otp_locked\"} 0\n"
	"ckq_refused_total{reason=\"replay_cache_full\"} 0\n"
	"ckq_refused_total{reason=\"unknown_session\"} 0\n"
	"ckq_refused_total{reason=\"nonce_reused\"} 0\n"
	"ckq_refused_total{reason=\"bad_response\"} 0\n"
	"ckq_refused_total{reason=\"ipset\"} 18446744073709551615\n"
	"# HELP ckq_packets_total Packets ckqd took from its netfilter queue.\n"
	"# TYPE ckq_packets_total counter\n"
	"ckq_packets_total 42\n"
	"# HELP ckq_junk_total Packets dropped before any key work: not a whole datagram to the knock port, or a bad header or mac1.\n"
	"# TYPE ckq_junk_total counter\n"
	"ckq_junk_total 17\n"
	"# HELP ckq_retransmits_total Answers sent again to a retransmitted message 1 or 3.\n"
	"# TYPE ckq_retransmits_total counter\n"
	"ckq_retransmits_total 2\n"
	"# HELP ckq_cookies_total Cookie replies sent, under load, to message 1s without a valid mac2, instead of private-key work.\n"
	"# TYPE ckq_cookies_total counter\n"
	"ckq_cookies_total 0\n"
	"# HELP ckq_send_errors_total Answers that could not be sent.\n"
	"# TYPE ckq_send_errors_total counter\n"
	"ckq_send_errors_total 0\n"
	"# HELP ckq_queue_drops_total Knock packets the kernel dropped before ckqd could take them (queue full or socket overrun).\n"
	"# TYPE ckq_queue_drops_total counter\n"
	"ckq_queue_drops_total 5\n"
	"# HELP ckq_private_key_ops_total Private-key operations: RSA decryptions and signatures, X25519 key agreements (suite 2).\n"
	"# TYPE ckq_private_key_ops_total counter\n"
	"ckq_private_key_ops_total 9\n"
	"# HELP ckq_public_key_ops_total Public-key operations: RSA encryptions and signature checks, Ed25519 signature checks (suite 2).\n"
	"# TYPE ckq_public_key_ops_total counter\n"
	"ckq_public_key_ops_total 0\n"
	"# HELP ckq_pending Pending challenges in use.\n"
	"# TYPE ckq_pending gauge\n"
	"ckq_pending 2\n"
	"# HELP ckq_pending_capacity Pending challenges ckqd can hold (max_pending).\n"
	"# TYPE ckq_pending_capacity gauge\n"
	"ckq_pending_capacity 1024\n"
	"# HELP ckq_replay_entries Requests remembered in the replay cache.\n"
	"# TYPE ckq_replay_entries gauge\n"
	"ckq_replay_entries 7\n"
	"# HELP ckq_replay_capacity Requests the replay cache can hold (replay_capacity).\n"
	"# TYPE ckq_replay_capacity gauge\n"
	"ckq_replay_capacity 65536\n"
	"# HELP ckq_users Users loaded, revoked ones included.\n"
	"# TYPE ckq_users gauge\n"
	"ckq_users 6\n"
	"# HELP ckq_start_time_seconds When ckqd started, in seconds since the Unix epoch.\n"
	"# TYPE ckq_start_time_seconds gauge\n"
	"ckq_start_time_seconds 1700000000\n";

static void sample(struct ckq_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->packets = 42;
	s->granted = 3;
	s->closed = 1;
	s->junk = 17;
	s->retransmits = 2;
	s->queue_drops = 5;
	s->priv_ops = 9;
	s->refused[CKQ_REFUSE_BAD_OTP] = 1;
	s->refused[CKQ_REFUSE_REPLAY] = 4;
	s->refused[CKQ_REFUSE_IPSET] = 18446744073709551615ULL;
	s->pending = 2;
	s->pending_max = 1024;
	s->replay_entries = 7;
	s->replay_max = 65536;
	s->users = 6;
	s->start_time = 1700000000;
}

static void test_format(void)
{
	struct ckq_stats s;
	char buf[STATS_TEXT_MAX];
	int n;

	sample(&s);
	n = stats_format(&s, buf, sizeof(buf));
	is_int(n, (long long)sizeof(golden) - 1, "formatted length");
	ok(!strcmp(buf, golden), "the exposition text is the known one");
	if (strcmp(buf, golden))
		printf("# got:\n%s", buf);
	is_int(stats_format(&s, buf, sizeof(golden) - 1), CKQ_ERR_RANGE,
	       "one byte short of room: CKQ_ERR_RANGE");
	is_int(buf[0], 0, "... and an empty string, not a cut one");
	is_int(stats_format(&s, buf, sizeof(golden)), (long long)sizeof(golden) - 1,
	       "exactly enough room");
	is_int(stats_format(&s, buf, 0), CKQ_ERR_RANGE, "no room at all");
	is_int(stats_refused_total(&s), 4, "refused total wraps like the counters (1 + 4 + 2^64-1)");
	s.refused[CKQ_REFUSE_IPSET] = 0;
	is_int(stats_refused_total(&s), 5, "refused total");
}

/*
 * Every line is a comment of the text format or a sample it allows, every
 * sample's family has HELP and TYPE before it, and no series repeats: what
 * node_exporter's textfile collector insists on.
 */
static void test_syntax(void)
{
	struct ckq_stats s;
	char buf[STATS_TEXT_MAX], *line, *save = NULL, typed[64][64], seen[64][128];
	size_t ntyped = 0, nseen = 0, i;
	regex_t help, type, smp;
	bool good = true, dup = false, untyped = false;
	unsigned int lines = 0;

	sample(&s);
	stats_format(&s, buf, sizeof(buf));
	regcomp(&help, "^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* [^\n]*$", REG_NOSUB);
	regcomp(&type, "^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)$", REG_EXTENDED);
	regcomp(&smp, "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"[a-z_]*\"\\})? [0-9]+$",
		REG_EXTENDED);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		regmatch_t m[3];

		lines++;
		if (!regexec(&help, line, 0, NULL, 0))
			continue;
		if (!regexec(&type, line, 3, m, 0)) {
			if (ntyped < 64)
				snprintf(typed[ntyped++], 64, "%.*s", (int)(m[1].rm_eo - m[1].rm_so),
					 line + m[1].rm_so);
			continue;
		}
		if (regexec(&smp, line, 3, m, 0)) {
			printf("# not a valid line: %s\n", line);
			good = false;
			continue;
		}
		for (i = 0; i < ntyped; i++)
			if (!strncmp(typed[i], line + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so)) &&
			    !typed[i][m[1].rm_eo - m[1].rm_so])
				break;
		untyped |= i == ntyped;
		for (i = 0; i < nseen; i++)
			dup |= !strncmp(seen[i], line, (size_t)(strrchr(line, ' ') - line + 1));
		if (nseen < 64)
			snprintf(seen[nseen++], 128, "%.*s", (int)(strrchr(line, ' ') - line + 1), line);
	}
	ok(good, "every one of %u lines is HELP, TYPE or a sample", lines);
	ok(!untyped, "every sample follows the TYPE of its family");
	ok(!dup, "no series appears twice");
	is_int(nseen, 2 + CKQ_REFUSE_N + 14, "one sample per counter and gauge");
	regfree(&help);
	regfree(&type);
	regfree(&smp);
}

static void test_parse(void)
{
	struct ckq_stats s, r;
	char buf[STATS_TEXT_MAX];
	unsigned int bad = 99;
	const char *t;
	int n;

	sample(&s);
	n = stats_format(&s, buf, sizeof(buf));
	is_int(stats_parse(buf, (size_t)n, &r, &bad), 0, "its own output parses");
	is_int(bad, 0, "no bad line");
	ok(!memcmp(&s, &r, sizeof(s)), "and reads back every counter exactly");

	t = "# a comment\n\n"
	    "ckq_knocks_total{result=\"granted\",other=\"x\\\"y\"} 12 1700000000000\r\n"
	    "ckq_refused_total{reason=\"bad_otp\"} 3\n"
	    "ckq_refused_total{reason=\"from_the_future\"} 9\n"
	    "ckq_new_metric{a=\"b\"} NaN\n"
	    "ckq_users 4e0\n"
	    "ckq_junk_total\t7";
	is_int(stats_parse(t, strlen(t), &r, &bad), 0,
	       "timestamps, CRLF, extra labels, escapes, unknown series and floats are read");
	is_int(r.granted, 12, "first label decides: granted");
	is_int(r.refused[CKQ_REFUSE_BAD_OTP], 3, "bad_otp");
	is_int(stats_refused_total(&r), 3, "an unknown reason is skipped");
	is_int(r.users, 4, "a float value for a known gauge");
	is_int(r.junk, 7, "tab-separated, no final newline");

	t = "ckq_users 1\nckq_junk_total seven\n";
	is_int(stats_parse(t, strlen(t), &r, &bad), CKQ_ERR_FORMAT, "a word for a value");
	is_int(bad, 2, "... on line 2");
	t = "ckq_users 1\nckq_users -3\n";
	is_int(stats_parse(t, strlen(t), &r, &bad), CKQ_ERR_FORMAT, "a negative counter");
	t = "ckq_users 18446744073709551616\n";
	is_int(stats_parse(t, strlen(t), &r, &bad), CKQ_ERR_FORMAT, "a counter beyond 2^64 - 1");
	t = "ckq_users 18446744073709551615\n";
	is_int(stats_parse(t, strlen(t), &r, &bad), 0, "2^64 - 1 is read");
	ok(r.users == 18446744073709551615ULL, "... exactly");
	t = "ckq_users{reason=\"bad_otp\" 1\n";
	is_int(stats_parse(t, strlen(t), &r, &bad), CKQ_ERR_FORMAT, "an unclosed label set");
	t = "ckq_users{reason=\"bad_otp} 1\n";
	is_int(stats_parse(t, strlen(t), &r, &bad), CKQ_ERR_FORMAT, "an unclosed label value");
	t = "9ckq 1\n";
	is_int(stats_parse(t, strlen(t), &r, &bad), CKQ_ERR_FORMAT, "a name starting with a digit");
	t = "ckq_users\n";
	is_int(stats_parse(t, strlen(t), &r, &bad), CKQ_ERR_FORMAT, "a name without a value");
	t = "ckq_users 1x\n";
	is_int(stats_parse(t, strlen(t), &r, &bad), CKQ_ERR_FORMAT, "trailing bytes after a value");
	is_int(stats_parse("ckq_users 1\0 2\n", 14, &r, &bad), CKQ_ERR_FORMAT, "a NUL byte");
	memset(buf, 'a', 2000);
	memcpy(buf + 2000, " 1\n", 3);
	is_int(stats_parse(buf, 2003, &r, &bad), CKQ_ERR_FORMAT, "a line of 2000 bytes");
	is_int(stats_parse("", 0, &r, &bad), 0, "an empty file is valid");
	is_int(r.granted + r.users, 0, "... and reads as zeros");
}

static void test_names(void)
{
	static const char *const want[CKQ_REFUSE_N] = {
		"replay", "rate_limited", "undecryptable", "unknown_user", "revoked",
		"bad_signature", "stale_timestamp", "expired", "source_not_allowed",
		"nat_not_allowed", "address_mismatch", "port_not_allowed", "bad_otp", "otp_locked",
		"replay_cache_full", "unknown_session", "nonce_reused", "bad_response", "ipset",
	};
	unsigned int i, bad = 0;

	for (i = 0; i < CKQ_REFUSE_N; i++)
		bad += strcmp(stats_reason_name(i), want[i]) != 0;
	is_int(bad, 0, "the %d reasons keep the words of the log lines", CKQ_REFUSE_N);
	ok(!strcmp(stats_reason_name(CKQ_REFUSE_N), "unknown"), "out of range: unknown");
	for (i = 0, bad = 0; i < CKQ_REFUSE_N; i++)
		bad += !stats_reason_text(stats_reason_name(i));
	is_int(bad, 0, "every reason says what it means");
	ok(stats_reason_text("bad_otp") && strstr(stats_reason_text("bad_otp"), "TOTP"),
	   "bad_otp: %s", stats_reason_text("bad_otp"));
	ok(!stats_reason_text("no_such_reason") && !stats_reason_text("unknown"),
	   "a word ckqd does not log means nothing");
}

int main(void)
{
	test_format();
	test_syntax();
	test_parse();
	test_names();
	return done_testing();
}
