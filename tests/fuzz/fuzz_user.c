/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the user files: user_parse(), with a round trip
 * through user_format(), and base32_decode() on the whole input, with a
 * round trip through base32_encode(). Seeds: corpus/user/.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "crypto.h"
#include "err.h"
#include "totp.h"
#include "fuzz.h"

static void check_user(const struct ckq_user *u)
{
	size_t i, j;

	CHECK(u->totp_len >= TOTP_MIN_KEY_LEN && u->totp_len <= CKQ_TOTP_MAX);
	CHECK(u->nports >= 1 && u->nports <= CKQ_MAX_PORTS);
	for (i = 0; i < u->nports; i++) {
		CHECK(u->ports[i].proto == CKQ_PROTO_TCP || u->ports[i].proto == CKQ_PROTO_UDP);
		CHECK(u->ports[i].port >= 1);
		CHECK(user_may(u, u->ports[i].proto, u->ports[i].port));
		for (j = 0; j < i; j++)
			CHECK(u->ports[i].proto != u->ports[j].proto ||
			      u->ports[i].port != u->ports[j].port);
	}
	CHECK(u->key == NULL);
}

/* What ckq-admin would write for the user must read back as the same user. */
static void check_user_round_trip(const struct ckq_user *u)
{
	struct ckq_user v;
	char err[CKQ_ERRBUF], *text = NULL;
	size_t len = 0, i;

	CHECK(user_format(u, &text, &len) == 0);
	CHECK(text && len == strlen(text) && len && text[len - 1] == '\n');
	memset(&v, 0, sizeof(v));
	CHECK(user_parse(text, len, FNAME, &v, err, sizeof(err)) == 0);
	wipe(text, len);
	free(text);
	CHECK(v.nports == u->nports);
	for (i = 0; i < u->nports; i++)
		CHECK(v.ports[i].proto == u->ports[i].proto && v.ports[i].port == u->ports[i].port);
	CHECK(v.totp_len == u->totp_len && !memcmp(v.totp, u->totp, u->totp_len));
	CHECK(v.revoked == u->revoked && v.max_grant == u->max_grant);
	user_clear(&v);
}

static void check_parse(const char *text, size_t len)
{
	struct ckq_user u;
	char err[CKQ_ERRBUF];
	int r;

	memset(&u, 0, sizeof(u));
	memcpy(u.name, "fuzz", 5);
	err[0] = '\0';
	r = user_parse(text, len, FNAME, &u, err, sizeof(err));
	CHECK(r == 0 || r == CKQ_ERR_CONFIG);
	if (r < 0) {
		check_err(err, count_lines(text, len));
	} else {
		check_user(&u);
		check_user_round_trip(&u);
	}
	user_clear(&u);
}

static void check_base32(const char *in, size_t len)
{
	uint8_t *out, *small;
	char *enc;
	size_t n = 0, i, j, want;
	int r;

	for (i = 0; i < len; i++)
		n += in[i] != ' ' && in[i] != '=';
	/* len bytes of room is always enough: a character carries 5 bits. */
	out = malloc(len + 1);
	enc = malloc(len + 1);
	if (!out || !enc)
		goto out;
	r = base32_decode(in, len, out, len);
	CHECK(r >= 0 || r == CKQ_ERR_FORMAT);
	if (r < 0)
		goto out;
	want = n / 8 * 5 + n % 8 * 5 / 8;
	CHECK((size_t)r == want);

	/* Encoding gives back the input, upper-cased, without spaces or '='. */
	CHECK(base32_encode(out, (size_t)r, enc, len + 1) == (int)n);
	for (i = 0, j = 0; i < len; i++) {
		if (in[i] == ' ' || in[i] == '=')
			continue;
		CHECK(j < n && enc[j] == toupper((unsigned char)in[i]));
		j++;
	}
	CHECK(j == n && enc[n] == '\0');

	/* One byte short of room is refused before anything is written. */
	if (r > 0) {
		small = malloc((size_t)r - 1);
		if (small || r == 1) {
			CHECK(base32_decode(in, len, small, (size_t)r - 1) == CKQ_ERR_RANGE);
			free(small);
		}
	}
out:
	free(out);
	free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_parse((const char *)data, size);
	check_base32((const char *)data, size);
	return 0;
}
