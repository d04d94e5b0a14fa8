/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "crypto.h"
#include "crypto25519.h"
#include "err.h"
#include "sshkey.h"

static const char T_ED[] = "ssh-ed25519";
static const char T_SK[] = "sk-ssh-ed25519@openssh.com";

/* DER is canonical: an Ed25519 SubjectPublicKeyInfo is this, then the key. */
static const uint8_t spki_ed25519[] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
};
static const char pem_begin[] = "-----BEGIN PUBLIC KEY-----";
static const char pem_end[] = "-----END PUBLIC KEY-----";

const char *sshkey_type_name(const struct ckq_sshkey *k)
{
	return k->type == CKQ_SSHKEY_SK_ED25519 ? T_SK : T_ED;
}

static int b64_value(uint8_t ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

int b64_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	struct cur c = cur_init(in, len);
	struct wbuf w = wbuf_init(out, cap);

	if (len == 0 || len % 4)
		return CKQ_ERR_FORMAT;
	while (cur_left(&c)) {
		const uint8_t *q = cur_take(&c, 4);
		int v[4], i, pad = 0;
		uint32_t bits = 0;

		for (i = 0; i < 4; i++) {
			/* '=' only ends the last group, in its last one or two places. */
			if (q[i] == '=' && i >= 2 && !cur_left(&c) && (i == 3 || q[3] == '=')) {
				v[i] = 0;
				pad++;
				continue;
			}
			v[i] = b64_value(q[i]);
			if (v[i] < 0 || pad)
				return CKQ_ERR_FORMAT;
			bits |= (uint32_t)v[i] << (18 - 6 * i);
		}
		/* Bits the padding leaves unused must be zero: one encoding per blob. */
		if ((pad == 1 && (bits & 0xff)) || (pad == 2 && (bits & 0xffff)))
			return CKQ_ERR_FORMAT;
		wbuf_u8(&w, (uint8_t)(bits >> 16));
		if (pad < 2)
			wbuf_u8(&w, (uint8_t)(bits >> 8));
		if (pad < 1)
			wbuf_u8(&w, (uint8_t)bits);
	}
	if (w.err) {
		wipe(out, cap);
		return CKQ_ERR_RANGE;
	}
	*out_len = w.len;
	return 0;
}

static void put_string(struct wbuf *w, const void *p, size_t n)
{
	wbuf_u32(w, (uint32_t)n);
	wbuf_put(w, p, n);
}

int sshkey_blob(const struct ckq_sshkey *k, uint8_t *out, size_t cap, size_t *out_len)
{
	struct wbuf w = wbuf_init(out, cap);

	if (k->type == CKQ_SSHKEY_ED25519) {
		put_string(&w, T_ED, sizeof(T_ED) - 1);
		put_string(&w, k->pub, CKQ_ED25519_LEN);
	} else if (k->type == CKQ_SSHKEY_SK_ED25519 && k->app_len) {
		put_string(&w, T_SK, sizeof(T_SK) - 1);
		put_string(&w, k->pub, CKQ_ED25519_LEN);
		put_string(&w, k->app, k->app_len);
	} else {
		return CKQ_ERR_KEY;
	}
	if (w.err)
		return CKQ_ERR_RANGE;
	*out_len = w.len;
	return 0;
}

static int finish_fp(struct ckq_sshkey *k)
{
	uint8_t blob[CKQ_SSHKEY_BLOB_MAX];
	struct span s;
	size_t n;
	int ret = sshkey_blob(k, blob, sizeof(blob), &n);

	if (ret < 0)
		return ret;
	s.p = blob;
	s.n = n;
	return sha256_parts(&s, 1, k->fp);
}

/* An SSH string: a u32 length and that many bytes. NULL when short. */
static const uint8_t *get_string(struct cur *c, uint32_t *n)
{
	*n = cur_u32(c);
	return cur_take(c, *n);
}

static bool string_is(const uint8_t *p, uint32_t n, const char *s)
{
	return p && n == strlen(s) && memcmp(p, s, n) == 0;
}

/* The application is printed and logged: printable ASCII only. */
static bool app_ok(const uint8_t *p, uint32_t n)
{
	uint32_t i;

	if (!p || n == 0 || n > CKQ_SK_APP_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

int sshkey_from_blob(const uint8_t *blob, size_t len, struct ckq_sshkey *k)
{
	struct cur c = cur_init(blob, len);
	const uint8_t *type, *pub, *app = NULL;
	uint32_t type_len, pub_len, app_len = 0;

	memset(k, 0, sizeof(*k));
	type = get_string(&c, &type_len);
	pub = get_string(&c, &pub_len);
	if (string_is(type, type_len, T_SK)) {
		k->type = CKQ_SSHKEY_SK_ED25519;
		app = get_string(&c, &app_len);
		if (c.err)
			return CKQ_ERR_TRUNCATED;
		if (!app_ok(app, app_len))
			return CKQ_ERR_KEY;
	} else if (string_is(type, type_len, T_ED)) {
		k->type = CKQ_SSHKEY_ED25519;
	} else {
		return c.err ? CKQ_ERR_TRUNCATED : CKQ_ERR_KEY;
	}
	if (c.err)
		return CKQ_ERR_TRUNCATED;
	if (pub_len != CKQ_ED25519_LEN || cur_left(&c))
		return CKQ_ERR_FORMAT;
	memcpy(k->pub, pub, CKQ_ED25519_LEN);
	if (app) {
		memcpy(k->app, app, app_len);
		k->app[app_len] = '\0';
		k->app_len = (uint8_t)app_len;
	}
	return finish_fp(k);
}

static bool is_blank(uint8_t ch)
{
	return ch == ' ' || ch == '\t';
}

static void skip_blanks(struct cur *c)
{
	while (cur_left(c) && is_blank(*cur_pos(c)))
		cur_take(c, 1);
}

/*
 * A field up to the next blank. In authorized_keys options a blank may
 * sit inside double quotes (from="a b", command="..."), a quote escaped
 * with a backslash.
 */
static struct span get_field(struct cur *c, bool quotes, bool *bad)
{
	const uint8_t *start = cur_pos(c);
	bool quoted = false;
	size_t n = 0;

	while (cur_left(c)) {
		uint8_t ch = *cur_pos(c);

		if (!quoted && is_blank(ch))
			break;
		cur_take(c, 1);
		n++;
		if (quotes && ch == '\\' && quoted && cur_left(c)) {
			cur_take(c, 1);
			n++;
		} else if (quotes && ch == '"') {
			quoted = !quoted;
		}
	}
	*bad = quoted;
	return (struct span){ start, n };
}

static bool span_is(struct span s, const char *t)
{
	return s.n == strlen(t) && memcmp(s.p, t, s.n) == 0;
}

int sshkey_from_line(const char *line, size_t len, struct ckq_sshkey *k, struct span *comment)
{
	uint8_t blob[CKQ_SSHKEY_BLOB_MAX];
	struct cur c;
	struct span type, b64, rest;
	size_t i, blob_len;
	bool bad;
	int ret;

	if (len > CKQ_SSHKEY_LINE_MAX)
		return CKQ_ERR_RANGE;
	/* One line: its end of line may be there, nothing after it. */
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
		       is_blank((uint8_t)line[len - 1])))
		len--;
	for (i = 0; i < len; i++)
		if ((uint8_t)line[i] < 0x20 && line[i] != '\t')
			return CKQ_ERR_FORMAT;
	c = cur_init(line, len);
	skip_blanks(&c);
	type = get_field(&c, true, &bad);
	if (bad)
		return CKQ_ERR_FORMAT;
	if (!span_is(type, T_ED) && !span_is(type, T_SK)) {
		/* Options come first in authorized_keys; they say nothing to ckq. */
		skip_blanks(&c);
		type = get_field(&c, false, &bad);
		if (!span_is(type, T_ED) && !span_is(type, T_SK))
			return type.n ? CKQ_ERR_KEY : CKQ_ERR_FORMAT;
	}
	skip_blanks(&c);
	b64 = get_field(&c, false, &bad);
	if (b64.n == 0)
		return CKQ_ERR_TRUNCATED;
	ret = b64_decode(b64.p, b64.n, blob, sizeof(blob), &blob_len);
	if (ret == CKQ_ERR_RANGE)
		return CKQ_ERR_KEY;	/* longer than any key we take */
	if (ret < 0)
		return ret;
	ret = sshkey_from_blob(blob, blob_len, k);
	if (ret < 0)
		return ret;
	if (!span_is(type, sshkey_type_name(k)))
		return CKQ_ERR_KEY;	/* the line says one type, the blob another */
	skip_blanks(&c);
	rest.p = cur_pos(&c);
	rest.n = cur_left(&c);
	if (comment)
		*comment = rest;
	return 0;
}

int sshkey_to_line(const struct ckq_sshkey *k, const char *comment, char *out, size_t cap)
{
	uint8_t blob[CKQ_SSHKEY_BLOB_MAX];
	unsigned char b64[(CKQ_SSHKEY_BLOB_MAX + 2) / 3 * 4 + 1];
	const char *type = sshkey_type_name(k);
	size_t blob_len = 0, i, clen = comment ? strlen(comment) : 0, need;
	int n, ret = sshkey_blob(k, blob, sizeof(blob), &blob_len);

	if (ret < 0)
		return ret;
	for (i = 0; i < clen; i++)
		if ((uint8_t)comment[i] < 0x20 || (uint8_t)comment[i] == 0x7f)
			return CKQ_ERR_FORMAT;
	n = EVP_EncodeBlock(b64, blob, (int)blob_len);
	if (n <= 0)
		return CKQ_ERR_CRYPTO;
	need = strlen(type) + 1 + (size_t)n + (clen ? 1 + clen : 0) + 2;
	if (need > cap)
		return CKQ_ERR_RANGE;
	snprintf(out, cap, "%s %s%s%s\n", type, (const char *)b64, clen ? " " : "",
		 clen ? comment : "");
	return 0;
}

int sshkey_from_pem(const char *pem, size_t len, struct ckq_sshkey *k)
{
	char b64[128];
	uint8_t der[96];
	struct cur c = cur_init(pem, len), d;
	size_t n = 0, der_len;
	int ret;

	memset(k, 0, sizeof(*k));
	while (cur_left(&c) && (is_blank(*cur_pos(&c)) || *cur_pos(&c) == '\n' ||
				*cur_pos(&c) == '\r'))
		cur_take(&c, 1);
	if (cur_left(&c) < sizeof(pem_begin) - 1 ||
	    memcmp(cur_take(&c, sizeof(pem_begin) - 1), pem_begin, sizeof(pem_begin) - 1))
		return CKQ_ERR_FORMAT;
	while (cur_left(&c) && *cur_pos(&c) != '-') {
		uint8_t ch = cur_u8(&c);

		if (ch == '\n' || ch == '\r' || is_blank(ch))
			continue;
		if (n == sizeof(b64))
			return CKQ_ERR_KEY;	/* longer than an Ed25519 key */
		b64[n++] = (char)ch;
	}
	if (cur_left(&c) < sizeof(pem_end) - 1 ||
	    memcmp(cur_take(&c, sizeof(pem_end) - 1), pem_end, sizeof(pem_end) - 1))
		return CKQ_ERR_TRUNCATED;
	while (cur_left(&c)) {
		uint8_t ch = cur_u8(&c);

		if (ch != '\n' && ch != '\r' && !is_blank(ch))
			return CKQ_ERR_FORMAT;
	}
	ret = b64_decode(b64, n, der, sizeof(der), &der_len);
	if (ret < 0)
		return ret == CKQ_ERR_RANGE ? CKQ_ERR_KEY : ret;
	d = cur_init(der, der_len);
	if (der_len != sizeof(spki_ed25519) + CKQ_ED25519_LEN ||
	    memcmp(cur_take(&d, sizeof(spki_ed25519)), spki_ed25519, sizeof(spki_ed25519)))
		return CKQ_ERR_KEY;	/* another key type (RSA is suite 1's) */
	cur_copy(&d, k->pub, CKQ_ED25519_LEN);
	k->type = CKQ_SSHKEY_ED25519;
	return finish_fp(k);
}

int sshkey_load(const char *text, size_t len, struct ckq_sshkey *k)
{
	size_t i = 0, found = 0, at = 0, at_len = 0;

	while (i < len && (is_blank((uint8_t)text[i]) || text[i] == '\n' || text[i] == '\r'))
		i++;
	if (len - i >= sizeof(pem_begin) - 1 && !memcmp(text + i, pem_begin, sizeof(pem_begin) - 1))
		return sshkey_from_pem(text, len, k);
	/* Otherwise exactly one key line; blank lines and # comments are skipped. */
	for (i = 0; i < len;) {
		size_t start = i, j;

		while (i < len && text[i] != '\n')
			i++;
		for (j = start; j < i && (is_blank((uint8_t)text[j]) || text[j] == '\r'); j++)
			;
		if (j < i && text[j] != '#') {
			if (found++)
				return CKQ_ERR_FORMAT;
			at = start;
			at_len = i - start;
		}
		if (i < len)
			i++;
	}
	if (!found)
		return CKQ_ERR_FORMAT;
	return sshkey_from_line(text + at, at_len, k, NULL);
}

size_t sshkey_sig_len(const struct ckq_sshkey *k)
{
	return k->type == CKQ_SSHKEY_SK_ED25519 ? CKQ_SK_SIG_LEN : CKQ_ED25519_SIG_LEN;
}

/* What the authenticator signed (doc/protocol.md 11.7, OpenSSH's PROTOCOL.u2f). */
static int sk_signed_data(const struct ckq_sshkey *k, const uint8_t *msg, size_t len,
			  uint8_t flags, const uint8_t counter[4], uint8_t out[69])
{
	struct span app = { k->app, k->app_len }, m = { msg, len };
	int ret = sha256_parts(&app, 1, out);

	if (ret < 0)
		return ret;
	out[32] = flags;
	memcpy(out + 33, counter, 4);
	return sha256_parts(&m, 1, out + 37);
}

int sshkey_verify(const struct ckq_sshkey *k, const uint8_t *msg, size_t len,
		  const uint8_t *sig, size_t sig_len)
{
	uint8_t data[69];
	struct cur c = cur_init(sig, sig_len);
	const uint8_t *ed, *counter;
	uint8_t flags;
	int ret;

	if (sig_len != sshkey_sig_len(k))
		return CKQ_ERR_SIGNATURE;
	if (k->type == CKQ_SSHKEY_ED25519)
		return ed25519_verify(k->pub, msg, len, sig) == 0 ? 0 : CKQ_ERR_SIGNATURE;
	if (k->type != CKQ_SSHKEY_SK_ED25519)
		return CKQ_ERR_KEY;
	ed = cur_take(&c, CKQ_ED25519_SIG_LEN);
	flags = cur_u8(&c);
	counter = cur_take(&c, 4);
	if (c.err || cur_left(&c))
		return CKQ_ERR_SIGNATURE;
	/*
	 * No touch, no knock, whatever the key's options say: the point of a
	 * security key is that nothing signs without the user. Checked first:
	 * it costs nothing.
	 */
	if (!(flags & CKQ_SK_FLAG_UP))
		return CKQ_ERR_SIGNATURE;
	ret = sk_signed_data(k, msg, len, flags, counter, data);
	if (ret < 0)
		return ret;
	return ed25519_verify(k->pub, data, sizeof(data), ed) == 0 ? 0 : CKQ_ERR_SIGNATURE;
}

int sshkey_sig_from_ssh(const struct ckq_sshkey *k, const uint8_t *blob, size_t len,
			uint8_t out[CKQ_SIG2_MAX], size_t *out_len)
{
	struct cur c = cur_init(blob, len);
	const uint8_t *type, *sig;
	uint32_t type_len, sig_len;
	struct wbuf w = wbuf_init(out, CKQ_SIG2_MAX);

	type = get_string(&c, &type_len);
	sig = get_string(&c, &sig_len);
	if (c.err)
		return CKQ_ERR_TRUNCATED;
	if (!string_is(type, type_len, sshkey_type_name(k)))
		return CKQ_ERR_KEY;
	if (sig_len != CKQ_ED25519_SIG_LEN)
		return CKQ_ERR_FORMAT;
	wbuf_put(&w, sig, sig_len);
	if (k->type == CKQ_SSHKEY_SK_ED25519) {
		uint8_t flags = cur_u8(&c);
		const uint8_t *counter = cur_take(&c, 4);

		if (c.err)
			return CKQ_ERR_TRUNCATED;
		wbuf_u8(&w, flags);
		wbuf_put(&w, counter, 4);
	}
	if (cur_left(&c))
		return CKQ_ERR_FORMAT;
	if (w.err)
		return CKQ_ERR_RANGE;
	*out_len = w.len;
	return 0;
}
