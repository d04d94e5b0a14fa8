/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knock.h"
#include "util.h"

bool otp_valid(const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n >= 6 && n <= 8;
}

void otp_trim(char *buf)
{
	size_t n = strlen(buf);

	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
}

enum knock_wait otp_get(const struct knock *k, const char *why, bool bell, uint64_t deadline,
			uint32_t *otp)
{
	enum knock_wait ret;
	char buf[64];

	if (k->otp_command)
		ret = otp_run_command(k, deadline, buf, sizeof(buf));
	else
		ret = otp_prompt(k, why, bell, deadline, buf, sizeof(buf));
	if (ret == KNOCK_OK && !otp_valid(buf)) {
		fprintf(stderr, k->otp_command ?
			"ckq %s: --otp-command did not print a code of 6 to 8 digits\n" :
			"ckq %s: the one-time code must be 6 to 8 digits\n", k->cmd);
		ret = KNOCK_FAILED;
	}
	if (ret == KNOCK_OK)
		*otp = (uint32_t)strtoul(buf, NULL, 10);
	wipe(buf, sizeof(buf));
	return ret;
}
