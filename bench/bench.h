/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_BENCH_H
#define CKQ_BENCH_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "crypto25519.h"
#include "totp.h"

/* Users are named u00000, u00001...: one TOTP code each per knock. */
#define BENCH_USER_FMT "u%05u"
#define BENCH_USER_MAX 99999

static inline uint64_t bench_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Every user's TOTP secret is derived from its name, so the generator of
 * users and the load generator agree without reading 10,000 files. Only
 * ever used in throw-away configurations.
 */
static inline int bench_totp_secret(const char *user, uint8_t out[TOTP_SECRET_LEN])
{
	static const char label[] = "ckq bench totp secret ";
	uint8_t h[CKQ_HASH_LEN];
	struct span parts[2] = {
		{ label, sizeof(label) - 1 },
		{ user, strlen(user) },
	};
	int ret = sha256_parts(parts, 2, h);

	memcpy(out, h, TOTP_SECRET_LEN);
	return ret;
}

/* The IPv4 address `first` + i, in network order. */
static inline uint32_t bench_addr_nth(uint32_t first_be, uint32_t i)
{
	return htonl(ntohl(first_be) + i);
}

static inline int bench_parse_ipv4(const char *s, uint32_t *out_be)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out_be = a.s_addr;
	return 0;
}

/* A PEM key file, public or private; NULL when it cannot be read or used. */
static inline struct ckq_key *bench_load_key(const char *path, bool priv)
{
	struct ckq_key *k = NULL;
	char *pem;
	long n;
	FILE *f = fopen(path, "re");

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) < 0 ||
	    !(pem = malloc((size_t)n))) {
		fclose(f);
		return NULL;
	}
	if (fread(pem, 1, (size_t)n, f) != (size_t)n || key_from_pem(pem, (size_t)n, priv, &k) < 0)
		k = NULL;
	wipe(pem, (size_t)n);
	free(pem);
	fclose(f);
	return k;
}

/* The seed of a suite 2 client key file (Ed25519 PKCS#8 PEM), or -1. */
static inline int bench_ed25519_load(const char *path, uint8_t seed[CKQ_ED25519_LEN])
{
	char buf[1024];
	size_t n;
	int ret;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	ret = ed25519_seed_from_pem(buf, n, seed);
	wipe(buf, sizeof(buf));
	return ret < 0 ? -1 : 0;
}

#endif
