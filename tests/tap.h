/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_TAP_H
#define CKQ_TAP_H

/*
 * A minimal TAP producer: automake's tap-driver counts each "ok"/"not ok"
 * line, so `make check` and .ci/run report individual checks, not programs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3)))
static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)
#define is_int(a, b, ...) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (!tap_ok(a_ == b_, __VA_ARGS__))				\
		printf("#   got %lld, expected %lld (%s:%d)\n",	\
		       a_, b_, __FILE__, __LINE__);			\
} while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

static inline void bail_out(const char *why)
{
	printf("Bail out! %s\n", why);
	exit(1);
}

#endif
