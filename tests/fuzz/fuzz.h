/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_FUZZ_H
#define CKQ_FUZZ_H

/* What the harnesses share: a check that aborts, so libFuzzer keeps the input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* The file name the config harnesses pass to the parsers. */
#define FNAME "fuzz.conf"

static inline size_t count_lines(const char *text, size_t len)
{
	size_t n = 1, i;

	for (i = 0; i < len; i++)
		n += text[i] == '\n';
	return n;
}

/* Every message starts with the file name, and its line number is real. */
static inline void check_err(const char *err, size_t lines)
{
	static const char prefix[] = FNAME " line ";
	unsigned long line;
	char *end;

	CHECK(memchr(err, '\0', CKQ_ERRBUF) != NULL);
	CHECK(!strncmp(err, FNAME, strlen(FNAME)) && strlen(err) > strlen(FNAME));
	if (strncmp(err, prefix, sizeof(prefix) - 1))
		return;
	line = strtoul(err + sizeof(prefix) - 1, &end, 10);
	CHECK(*end == ':' && line >= 1 && line <= lines);
}

#endif
