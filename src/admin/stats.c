/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "admin.h"
#include "conf.h"
#include "err.h"
#include "grant.h"
#include "stats.h"
#include "util.h"

/* ckqd rewrites the file every 5 s: six missed rounds is not a hiccup. */
#define STATS_STALE_S 30

static const char stats_usage[] =
	"Usage: ckq-admin [-c DIR] stats [--prometheus]\n"
	"Shows ckqd's counters, read from the stats_file it rewrites every 5 seconds\n"
	"(ckqd.conf), and the grants open now, counted in the kernel's ipsets.\n"
	"Exits 1 when ckqd is not running or its counters are over 30 seconds old.\n\n"
	"  --prometheus  the file as it is, in the Prometheus text format, plus\n"
	"                ckq_active_grants for each set\n";

struct set_count {
	char name[GRANT_SETNAME_LEN];
	size_t n;
};

struct set_counts {
	struct set_count *s;
	size_t n, cap;
};

static int on_entry(const struct ckq_addr *addr, uint32_t left, const char *comment, void *arg)
{
	(void)addr;
	(void)left;
	(void)comment;
	(*(size_t *)arg)++;
	return 0;
}

static int set_cmp(const void *a, const void *b)
{
	return strcmp(((const struct set_count *)a)->name, ((const struct set_count *)b)->name);
}

/* Every ckq set with its members now; the kernel lists only live entries. */
static int count_grants(struct set_counts *sc)
{
	struct grant *gs = admin_grant_open();
	struct grant_sets names = { 0 };
	size_t i;
	int ret;

	memset(sc, 0, sizeof(*sc));
	if (!gs) {
		fprintf(stderr, "ckq-admin stats: cannot read the kernel's ipsets: %s (run as root; "
				"is the ip_set module loaded?)\n", strerror(errno));
		return CKQ_ERR_IPSET;
	}
	ret = grant_sets_read(gs, &names);
	if (ret >= 0 && names.n) {
		sc->s = calloc(names.n, sizeof(*sc->s));
		if (!sc->s)
			ret = CKQ_ERR_NOMEM;
		else
			sc->n = sc->cap = names.n;
	}
	for (i = 0; i < sc->n; i++)
		memcpy(sc->s[i].name, names.name[i], GRANT_SETNAME_LEN);
	for (i = 0; ret >= 0 && i < sc->n; i++) {
		ret = grant_list(gs, sc->s[i].name, on_entry, &sc->s[i].n);
		if (ret == CKQ_ERR_NOENT)
			ret = 0;	/* destroyed since the first dump */
	}
	if (ret < 0)
		fprintf(stderr, "ckq-admin stats: cannot list the ipsets: %s\n", grant_errmsg(gs));
	else if (sc->n)
		qsort(sc->s, sc->n, sizeof(sc->s[0]), set_cmp);
	grant_sets_free(&names);
	grant_close(gs);
	return ret;
}

static void duration_str(uint64_t s, char *out, size_t len)
{
	if (s >= 86400)
		snprintf(out, len, "%llud %02lluh %02llum", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600), (unsigned long long)(s % 3600 / 60));
	else if (s >= 3600)
		snprintf(out, len, "%lluh %02llum %02llus", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60), (unsigned long long)(s % 60));
	else if (s >= 60)
		snprintf(out, len, "%llum %02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else
		snprintf(out, len, "%llus", (unsigned long long)s);
}

static void time_str(uint64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static void print_table(const struct ckq_stats *s, long pid, const char *path, uint64_t age,
			const struct set_counts *sc, bool grants_ok)
{
	char buf[64], port[48];
	uint64_t now = (uint64_t)time(NULL), refused = stats_refused_total(s), open = 0;
	size_t i;

	if (pid) {
		duration_str(now > s->start_time ? now - s->start_time : 0, buf, sizeof(buf));
		printf("%-14s running (pid %ld), up %s\n", "ckqd", pid, buf);
	} else {
		time_str(s->start_time, buf, sizeof(buf));
		printf("%-14s not running (the run that wrote these started %s)\n", "ckqd", buf);
	}
	duration_str(age, buf, sizeof(buf));
	printf("%-14s %s, written %s ago\n", "counters", path, buf);
	printf("%-14s %llu\n", "granted", (unsigned long long)s->granted);
	printf("%-14s %llu\n", "closed", (unsigned long long)s->closed);
	printf("%-14s %llu\n", "refused", (unsigned long long)refused);
	for (i = 0; i < CKQ_REFUSE_N; i++)
		if (s->refused[i])
			printf("  %-20s %llu\n", stats_reason_name(i),
			       (unsigned long long)s->refused[i]);
	printf("%-14s %llu\n", "junk", (unsigned long long)s->junk);
	printf("%-14s %llu\n", "retransmits", (unsigned long long)s->retransmits);
	printf("%-14s %llu\n", "cookies", (unsigned long long)s->cookies);
	printf("%-14s %llu\n", "send errors", (unsigned long long)s->send_errors);
	printf("%-14s %llu\n", "queue drops", (unsigned long long)s->queue_drops);
	printf("%-14s %llu of %llu\n", "pending", (unsigned long long)s->pending,
	       (unsigned long long)s->pending_max);
	printf("%-14s %llu of %llu\n", "replay cache", (unsigned long long)s->replay_entries,
	       (unsigned long long)s->replay_max);
	printf("%-14s %llu\n", "users", (unsigned long long)s->users);
	if (!grants_ok) {
		printf("%-14s unknown (the ipsets could not be read)\n", "active grants");
		return;
	}
	for (i = 0; i < sc->n; i++)
		open += sc->s[i].n;
	printf("%-14s %llu\n", "active grants", (unsigned long long)open);
	for (i = 0; i < sc->n; i++) {
		set_port_str(sc->s[i].name, port, sizeof(port));
		printf("  %-20s %-8zu %s%s\n", sc->s[i].name, sc->s[i].n, port,
		       grant_set_family(sc->s[i].name) == CKQ_AF_INET6 ? " (IPv6)" : "");
	}
}

static void print_prometheus(const char *text, size_t len, const struct set_counts *sc,
			     bool grants_ok)
{
	size_t i;

	fwrite(text, 1, len, stdout);
	if (len && text[len - 1] != '\n')
		putchar('\n');
	if (!grants_ok)
		return;
	printf("# HELP ckq_active_grants Addresses in each ckq ipset now: the grants open, "
	       "counted by ckq-admin.\n# TYPE ckq_active_grants gauge\n");
	/* Set names are [A-Za-z0-9-]: nothing to escape in a label value. */
	for (i = 0; i < sc->n; i++)
		printf("ckq_active_grants{set=\"%s\"} %zu\n", sc->s[i].name, sc->s[i].n);
}

int stats_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "prometheus", no_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[CKQ_ERRBUF] = "", *text = NULL, when[32];
	struct set_counts sc = { 0 };
	struct ckqd_conf conf;
	struct ckq_stats s;
	struct stat st;
	bool prom = false, grants_ok;
	unsigned int bad_line = 0;
	size_t len = 0;
	uint64_t age;
	long pid;
	int opt, ret = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "pc:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': prom = true; break;
		case 'c': admin_dir = optarg; break;
		case 'h': fputs(stats_usage, stdout); return 0;
		default: fputs(stats_usage, stderr); return 2;
		}
	}
	if (optind != argc) {
		fputs(stats_usage, stderr);
		return 2;
	}
	if (conf_load(admin_dir, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "ckq-admin stats: %s\n", err);
		return 1;
	}
	pid = daemon_pid();
	if (lstat(conf.stats_file, &st) < 0) {
		if (errno != ENOENT)
			fprintf(stderr, "ckq-admin stats: %s: %s\n", conf.stats_file, strerror(errno));
		else
			fprintf(stderr, "ckq-admin stats: %s does not exist: %s\n", conf.stats_file,
				pid ? "ckqd runs but writes no counters there (was stats_file "
				      "changed in ckqd.conf since it started?)" :
				      "ckqd is not running, and left no counters there");
		return 1;
	}
	if (file_read(conf.stats_file, false, &text, &len, err, sizeof(err)) < 0) {
		fprintf(stderr, "ckq-admin stats: %s\n", err);
		return 1;
	}
	if (stats_parse(text, len, &s, &bad_line) < 0) {
		fprintf(stderr, "ckq-admin stats: %s line %u: not in the Prometheus text format\n",
			conf.stats_file, bad_line);
		goto out;
	}
	age = (uint64_t)time(NULL) > (uint64_t)st.st_mtime ?
	      (uint64_t)time(NULL) - (uint64_t)st.st_mtime : 0;
	grants_ok = count_grants(&sc) == 0;
	if (prom)
		print_prometheus(text, len, &sc, grants_ok);
	else
		print_table(&s, pid, conf.stats_file, age, &sc, grants_ok);
	fflush(stdout);
	time_str((uint64_t)st.st_mtime, when, sizeof(when));
	if (!pid)
		fprintf(stderr, "ckq-admin stats: ckqd is not running: these counters are from its "
				"last run, written %s\n", when);
	else if (age > STATS_STALE_S)
		fprintf(stderr, "ckq-admin stats: the counters are stale: ckqd (pid %ld) last wrote "
				"%s at %s, %llu s ago (over %d s): is it stuck?\n", pid,
			conf.stats_file, when, (unsigned long long)age, STATS_STALE_S);
	else if (grants_ok)
		ret = 0;
out:
	free(sc.s);
	free(text);
	return ret;
}
