/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_LOG_H
#define CKQ_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

/* Levels are syslog's, so the daemon can hand them straight to syslog(3). */
void log_open(const char *ident, bool to_stderr, int max_level);
void log_set_level(int max_level);
int log_level_parse(const char *name); /* -1 when unknown */
void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * A token bucket: anything a remote sender can trigger once per packet goes
 * through one, since the attacker decides how often it fires. What is
 * suppressed is counted and reported with the next line that passes.
 */
struct ratelimit {
	uint64_t last_ms;
	uint32_t tokens;
	uint32_t burst;
	uint32_t per_sec;
	uint64_t suppressed;
};

#define RATELIMIT_INIT(burst_, per_sec_) \
	{ .last_ms = 0, .tokens = (burst_), .burst = (burst_), \
	  .per_sec = (per_sec_), .suppressed = 0 }

/* True when a line may be written now; *suppressed gets the count skipped. */
bool ratelimit_pass(struct ratelimit *rl, uint64_t now_ms, uint64_t *suppressed);

void log_rl(struct ratelimit *rl, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Only clock_gettime(): async-signal-safe, so a signal handler may call it. */
uint64_t mono_ms(void);

#endif
