/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for stats_parse(), which root's ckq-admin stats runs on
 * a file that ckqd's unprivileged user writes. Whatever it accepts must
 * format within STATS_TEXT_MAX and read back the same; whatever it refuses
 * must name a line of the input. Seeds: corpus/stats/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "stats.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ckq_stats s, t;
	char buf[STATS_TEXT_MAX];
	unsigned int bad = 0, lines = 1;
	size_t i;
	int r, n;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	/* The bytes as they are, without a NUL after them. */
	r = stats_parse((const char *)data, size, &s, &bad);
	CHECK(r == 0 || r == CKQ_ERR_FORMAT);
	if (r < 0) {
		CHECK(bad >= 1 && bad <= lines);
		return 0;
	}
	CHECK(bad == 0);
	n = stats_format(&s, buf, sizeof(buf));
	CHECK(n > 0 && (size_t)n < sizeof(buf) && buf[n] == '\0' && strlen(buf) == (size_t)n);
	CHECK(stats_parse(buf, (size_t)n, &t, &bad) == 0);
	CHECK(!memcmp(&s, &t, sizeof(s)));
	return 0;
}
