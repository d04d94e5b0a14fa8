/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The server's keys on disk. server.key is the RSA key (suite 1) and
 * server-x25519.key the X25519 key (suite 2, doc/protocol.md 11.1); the
 * one file users are given, server.pub, holds both public keys as PEM
 * blocks, so that an admin hands out a single file and a server that
 * gains a suite 2 key keeps its suite 1 users' files valid.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "crypto25519.h"
#include "err.h"
#include "util.h"

#define PEM_END "-----END PUBLIC KEY-----"

static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

static const char *find(const char *p, size_t n, const char *what)
{
	size_t w = strlen(what);

	for (size_t i = 0; i + w <= n; i++)
		if (!memcmp(p + i, what, w))
			return p + i;
	return NULL;
}

void server_pubkeys_clear(struct server_pubkeys *k)
{
	key_free(k->rsa);
	memset(k, 0, sizeof(*k));
}

int server_pub_parse(const char *text, size_t len, struct server_pubkeys *out)
{
	const char *p = text, *end = text + len;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	while (ret == 0 && !blank(p, (size_t)(end - p))) {
		const char *begin = find(p, (size_t)(end - p), "-----BEGIN PUBLIC KEY-----");
		const char *stop = begin ? find(begin, (size_t)(end - begin), PEM_END) : NULL;
		size_t n;

		if (!begin || !stop || !blank(p, (size_t)(begin - p))) {
			ret = CKQ_ERR_KEY;
			break;
		}
		stop += strlen(PEM_END);
		if (stop < end && *stop == '\r')
			stop++;
		if (stop < end && *stop == '\n')
			stop++;
		n = (size_t)(stop - begin);
		if (!out->rsa && key_from_pem(begin, n, false, &out->rsa) == 0) {
			/* the RSA key */
		} else if (!out->has_x25519 && x25519_pub_from_pem(begin, n, out->x25519) == 0) {
			out->has_x25519 = true;
		} else {
			ret = CKQ_ERR_KEY;	/* another type, or a second key of one */
		}
		p = stop;
	}
	if (ret == 0 && !out->rsa && !out->has_x25519)
		ret = CKQ_ERR_KEY;
	if (ret < 0)
		server_pubkeys_clear(out);
	return ret;
}

int server_pub_load(const char *path, struct server_pubkeys *out, char *err, size_t err_len)
{
	char *text = NULL;
	size_t len = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = file_read(path, false, &text, &len, err, err_len);
	if (ret < 0)
		return ret;
	ret = server_pub_parse(text, len, out);
	free(text);
	if (ret < 0)
		snprintf(err, err_len, "%s: not a server public key file (one or two PEM public "
			 "keys: the server's RSA key, its X25519 key, as ckq-admin init writes "
			 "server.pub)", path);
	return ret;
}

int server_key_load(const char *dir, bool private_part, struct ckq_key **out,
		    char *err, size_t err_len)
{
	char path[PATH_MAX], *text = NULL;
	struct server_pubkeys k;
	size_t len = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, private_part ? "server.key" : "server.pub");
	if (!private_part) {
		ret = server_pub_load(path, &k, err, err_len);
		if (ret < 0)
			return ret;
		if (!k.rsa) {
			snprintf(err, err_len, "%s: holds no RSA key", path);
			server_pubkeys_clear(&k);
			return CKQ_ERR_KEY;
		}
		*out = k.rsa;
		return 0;
	}
	ret = file_read(path, true, &text, &len, err, err_len);
	if (ret < 0)
		return ret;
	ret = key_from_pem(text, len, true, out);
	wipe(text, len);
	free(text);
	if (ret < 0)
		snprintf(err, err_len, "%s: %s", path, ckq_strerror(ret));
	return ret;
}

int server_x25519_load(const char *dir, struct ckq_x25519 **out, char *err, size_t err_len)
{
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/" CKQ_SERVER_X25519_KEY, dir);
	ret = file_read(path, true, &text, &len, err, err_len);
	if (ret < 0)
		return ret;
	ret = x25519_from_pem(text, len, out);
	wipe(text, len);
	free(text);
	if (ret < 0)
		snprintf(err, err_len, "%s: %s (need an X25519 private key in PEM, as ckq-admin "
			 "init writes it)", path, ckq_strerror(ret));
	return ret;
}
