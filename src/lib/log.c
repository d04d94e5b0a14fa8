/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

static bool use_stderr = true;
/* A reload sets it while queue workers log: read and written atomically. */
static int level_max = LOG_INFO;
#define LEVEL_MAX() __atomic_load_n(&level_max, __ATOMIC_RELAXED)
static const char *log_ident = "ckq";

void log_open(const char *ident, bool to_stderr, int max_level)
{
	log_ident = ident;
	use_stderr = to_stderr;
	__atomic_store_n(&level_max, max_level, __ATOMIC_RELAXED);
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int max_level)
{
	__atomic_store_n(&level_max, max_level, __ATOMIC_RELAXED);
}

int log_level_parse(const char *name)
{
	static const struct { const char *n; int l; } t[] = {
		{ "error", LOG_ERR }, { "warning", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(name, t[i].n))
			return t[i].l;
	return -1;
}

__attribute__((format(printf, 2, 0)))
static void log_v(int level, const char *fmt, va_list ap)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"
	};

	if (level > LEVEL_MAX())
		return;
	if (use_stderr) {
		fprintf(stderr, "%s: %s: ", log_ident, names[level & 7]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(level, fmt, ap);
	}
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(level, fmt, ap);
	va_end(ap);
}

uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool ratelimit_pass(struct ratelimit *rl, uint64_t now_ms, uint64_t *suppressed)
{
	uint64_t elapsed = now_ms - rl->last_ms;
	uint64_t refill = elapsed * rl->per_sec / 1000;

	if (refill > 0) {
		uint64_t t = rl->tokens + refill;
		rl->tokens = t > rl->burst ? rl->burst : (uint32_t)t;
		rl->last_ms = now_ms;
	}
	if (rl->tokens == 0) {
		rl->suppressed++;
		return false;
	}
	rl->tokens--;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

void log_rl(struct ratelimit *rl, int level, const char *fmt, ...)
{
	/* The buckets are shared by ckqd's queue workers. */
	static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;
	uint64_t skipped = 0;
	va_list ap;
	bool pass;

	if (level > LEVEL_MAX())
		return;
	pthread_mutex_lock(&rl_lock);
	pass = ratelimit_pass(rl, mono_ms(), &skipped);
	pthread_mutex_unlock(&rl_lock);
	if (!pass)
		return;
	if (skipped)
		log_msg(level, "(%llu similar messages suppressed)",
			(unsigned long long)skipped);
	va_start(ap, fmt);
	log_v(level, fmt, ap);
	va_end(ap);
}
