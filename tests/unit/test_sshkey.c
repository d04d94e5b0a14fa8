/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * OpenSSH public key lines and PEM Ed25519 keys (doc/protocol.md 11.1):
 * keys made by ssh-keygen and openssl, fingerprints as ssh-keygen -lf
 * prints them, and every truncation and malformed encoding refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto.h"
#include "err.h"
#include "sshkey.h"
#include "tap.h"

static char dir[4096];

static char *slurp(const char *name, size_t *len)
{
	char path[4200];
	FILE *f;
	char *buf = malloc(16384);
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f || !buf)
		bail_out(path);
	n = fread(buf, 1, 16383, f);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The second field of `ssh-keygen -lf` output: "256 SHA256:... comment (TYPE)". */
static void expected_fp(const char *name, char out[CKQ_FP_STRLEN])
{
	char fpname[256];
	size_t len;
	char *s, *p, *e;

	snprintf(fpname, sizeof(fpname), "%s.fp", name);
	s = slurp(fpname, &len);
	p = strchr(s, ' ');
	e = p ? strchr(p + 1, ' ') : NULL;
	if (!p || !e || (size_t)(e - p - 1) >= CKQ_FP_STRLEN)
		bail_out("bad .fp file");
	memcpy(out, p + 1, (size_t)(e - p - 1));
	out[e - p - 1] = '\0';
	free(s);
}

static void check_file(const char *name, const char *fpfile, int type, const char *app,
		       const char *comment)
{
	struct ckq_sshkey k;
	struct span c = { NULL, 0 };
	char want[CKQ_FP_STRLEN], got[CKQ_FP_STRLEN];
	size_t len;
	char *s = slurp(name, &len);
	int r = sshkey_load(s, len, &k);

	expected_fp(fpfile, want);
	is_int(r, 0, "%s loads", name);
	key_fp_str(k.fp, got);
	ok(r == 0 && strcmp(got, want) == 0, "%s: fingerprint %s is ssh-keygen -lf's %s",
	   name, got, want);
	is_int(k.type, type, "%s: key type", name);
	ok(strcmp(k.app, app) == 0 && k.app_len == strlen(app), "%s: application \"%s\"",
	   name, k.app);
	if (comment) {
		r = sshkey_from_line(s, len, &k, &c);
		ok(r == 0 && c.n == strlen(comment) && memcmp(c.p, comment, c.n) == 0,
		   "%s: comment \"%s\"", name, comment);
	}
	free(s);
}

/* OpenSSL's decoder, as an independent reference: it counts padding as zeros. */
static int EVP_DecodeBlock_wrap(uint8_t *out, const char *in, size_t n)
{
	int r = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);

	if (r < 0)
		bail_out("EVP_DecodeBlock");
	if (n >= 1 && in[n - 1] == '=')
		r--;
	if (n >= 2 && in[n - 2] == '=')
		r--;
	return r;
}

/* The blob a line carries, decoded independently of the code under test. */
static size_t line_blob(const char *line, uint8_t *out)
{
	const char *p = strchr(line, ' ');
	size_t n;
	int r;

	if (!p)
		bail_out("no blob");
	n = strcspn(p + 1, " \n");
	r = EVP_DecodeBlock_wrap(out, p + 1, n);
	return (size_t)r;
}

static void test_blobs(void)
{
	static const char *const files[] = { "bob_ed25519.pub", "bob_sk_ed25519.pub" };
	uint8_t blob[512], again[512];
	struct ckq_sshkey k;
	size_t i, n, cut, m;
	int refused;
	char *s;

	for (i = 0; i < 2; i++) {
		s = slurp(files[i], &n);
		n = line_blob(s, blob);
		ok(sshkey_from_blob(blob, n, &k) == 0 && sshkey_blob(&k, again, sizeof(again), &m) == 0 &&
		   m == n && memcmp(blob, again, n) == 0, "%s: the blob reads and writes back", files[i]);
		refused = 0;
		for (cut = 0; cut < n; cut++)
			refused += sshkey_from_blob(blob, cut, &k) < 0;
		is_int(refused, n, "%s: every truncation of the blob is refused", files[i]);
		blob[n] = 0;
		is_int(sshkey_from_blob(blob, n + 1, &k), CKQ_ERR_FORMAT,
		       "%s: a byte left over is refused", files[i]);
		if (sshkey_from_blob(blob, n, &k))
			bail_out("blob");
		is_int(sshkey_blob(&k, again, n - 1, &m), CKQ_ERR_RANGE,
		       "%s: writing a blob into too small a buffer is refused", files[i]);
		blob[3] ^= 1;	/* the type string's length */
		ok(sshkey_from_blob(blob, n, &k) < 0, "%s: a wrong type length is refused", files[i]);
		blob[3] ^= 1;
		blob[4] = 'x';
		is_int(sshkey_from_blob(blob, n, &k), CKQ_ERR_KEY,
		       "%s: another key type is refused", files[i]);
		free(s);
	}
	/* A 31- or 33-byte key. */
	{
		static const uint8_t head[] = { 0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5',
						'5', '1', '9' };
		uint8_t b[60] = { 0 };

		memcpy(b, head, sizeof(head));
		b[18] = 31;
		is_int(sshkey_from_blob(b, sizeof(head) + 4 + 31, &k), CKQ_ERR_FORMAT,
		       "a 31-byte key is refused");
		b[18] = 33;
		is_int(sshkey_from_blob(b, sizeof(head) + 4 + 33, &k), CKQ_ERR_FORMAT,
		       "a 33-byte key is refused");
	}
	/* sk keys: an empty application, or one with a control character. */
	{
		struct ckq_sshkey sk;

		s = slurp("bob_sk_ed25519.pub", &n);
		n = line_blob(s, blob);
		free(s);
		if (sshkey_from_blob(blob, n, &sk))
			bail_out("sk blob");
		blob[n - 5] = 0;	/* application length 4 -> 0, 4 bytes left over */
		ok(sshkey_from_blob(blob, n - 4, &k) < 0, "an sk key without application is refused");
		blob[n - 5] = 4;
		blob[n - 1] = '\n';
		is_int(sshkey_from_blob(blob, n, &k), CKQ_ERR_KEY,
		       "an application with a control character is refused");
	}
}

static void test_lines(void)
{
	char line[1024], *s;
	struct ckq_sshkey k;
	size_t n, cut, end, i;
	int refused;

	s = slurp("bob_ed25519.pub", &n);
	/* Every truncation before the end of the base64 field. */
	end = strcspn(s, " ") + 1;
	end += strcspn(s + end, " ");
	refused = 0;
	for (cut = 0; cut < end; cut++)
		refused += sshkey_from_line(s, cut, &k, NULL) < 0;
	is_int(refused, end, "every truncation of the line before its comment is refused");
	ok(sshkey_from_line(s, end, &k, NULL) == 0, "the line without its comment is read");

	/* One bad character anywhere in the base64 field. */
	{
		static const char bad[] = "*-_.=\x01 ";
		size_t start = strcspn(s, " ") + 1, j;

		refused = 0;
		for (i = start; i < end; i++)
			for (j = 0; j < sizeof(bad) - 1; j++) {
				memcpy(line, s, n);
				line[i] = bad[j];
				refused += sshkey_from_line(line, n, &k, NULL) < 0;
			}
		is_int(refused, (end - start) * (sizeof(bad) - 1),
		       "a bad base64 character anywhere in the key is refused");
	}

	/* The type on the line must be the blob's. */
	snprintf(line, sizeof(line), "sk-ssh-ed25519@openssh.com%s", s + strlen("ssh-ed25519"));
	is_int(sshkey_from_line(line, strlen(line), &k, NULL), CKQ_ERR_KEY,
	       "an ssh-ed25519 blob under an sk type name is refused");
	snprintf(line, sizeof(line), "ssh-rsa%s", s + strlen("ssh-ed25519"));
	is_int(sshkey_from_line(line, strlen(line), &k, NULL), CKQ_ERR_KEY,
	       "another type name is refused");
	is_int(sshkey_from_line("", 0, &k, NULL), CKQ_ERR_FORMAT, "an empty line is refused");
	snprintf(line, sizeof(line), "%.*s\n%s", (int)(n - 1), s, s);
	ok(sshkey_from_line(line, strlen(line), &k, NULL) < 0,
	   "a line break inside a line is refused");
	snprintf(line, sizeof(line), "\t  %.*s \r\n", (int)(n - 1), s);
	ok(sshkey_from_line(line, strlen(line), &k, NULL) == 0, "blanks around the line are allowed");
	ok(sshkey_from_line(s, CKQ_SSHKEY_LINE_MAX + 1, &k, NULL) == CKQ_ERR_RANGE,
	   "a line longer than %d bytes is refused", CKQ_SSHKEY_LINE_MAX);
	snprintf(line, sizeof(line), "from=\"10.0.0.1 %.*s", (int)(n - 1), s);
	ok(sshkey_from_line(line, strlen(line), &k, NULL) < 0, "an unclosed quote is refused");
	free(s);

	/* A missing or broken padding in the sk line. */
	s = slurp("bob_sk_ed25519.pub", &n);
	{
		char *eq = strchr(s, '=');

		if (!eq)
			bail_out("no padding in the sk line");
		memcpy(line, s, n);
		line[eq - s] = ' ';	/* "...Do=" -> "...Do " */
		is_int(sshkey_from_line(line, n, &k, NULL), CKQ_ERR_FORMAT,
		       "base64 without its padding is refused");
		memcpy(line, s, n);
		line[eq - s - 1] = 'p';	/* "Do=" -> "Dp=": the unused bits are not zero */
		is_int(sshkey_from_line(line, n, &k, NULL), CKQ_ERR_FORMAT,
		       "base64 with non-zero unused bits is refused");
	}
	free(s);

	/* sshkey_load: one key line among comments and blank lines, not two. */
	s = slurp("bob_ed25519.pub", &n);
	snprintf(line, sizeof(line), "# bob's key\n\n   \n%s\n# end\n", s);
	ok(sshkey_load(line, strlen(line), &k) == 0, "comments and blank lines around the key are skipped");
	snprintf(line, sizeof(line), "%s%s", s, s);
	is_int(sshkey_load(line, strlen(line), &k), CKQ_ERR_FORMAT, "two key lines are refused");
	is_int(sshkey_load("# nothing\n\n", 11, &k), CKQ_ERR_FORMAT, "no key line is refused");
	free(s);
}

static void test_pem(void)
{
	struct ckq_sshkey a, b;
	char buf[1024], *s, *t;
	size_t n, m, cut, body;
	int refused;

	s = slurp("carol_ed25519.pem", &n);
	t = slurp("carol_ed25519.pub", &m);
	ok(sshkey_from_pem(s, n, &a) == 0 && sshkey_load(t, m, &b) == 0 &&
	   memcmp(a.pub, b.pub, 32) == 0 && memcmp(a.fp, b.fp, 32) == 0 && a.type == b.type,
	   "the PEM key and its OpenSSH line are the same key");
	body = strstr(s, "-----END") - s;
	refused = 0;
	for (cut = 0; cut < body + 10; cut++)
		refused += sshkey_from_pem(s, cut, &a) < 0;
	is_int(refused, body + 10, "every truncation of the PEM is refused");
	snprintf(buf, sizeof(buf), "%sjunk\n", s);
	is_int(sshkey_from_pem(buf, strlen(buf), &a), CKQ_ERR_FORMAT, "bytes after the PEM are refused");
	free(t);
	free(s);

	/* An RSA key is suite 1's. */
	{
		char path[4200];
		FILE *f;

		snprintf(path, sizeof(path), "%s/../alice.pub", dir);
		f = fopen(path, "r");
		if (!f)
			bail_out(path);
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		is_int(sshkey_load(buf, n, &a), CKQ_ERR_KEY, "an RSA PEM key is refused");
	}
	/* An X25519 key has another OID (1.3.101.110, not .112). */
	{
		static const char x[] = "-----BEGIN PUBLIC KEY-----\n"
			"MCowBQYDK2VuAyEAHGs2gAqOnCgs9ql56D7ydNFMOzCbo9wnr7Sx3yJZehE=\n"
			"-----END PUBLIC KEY-----\n";

		is_int(sshkey_load(x, sizeof(x) - 1, &a), CKQ_ERR_KEY, "an X25519 PEM key is refused");
	}
}

/* Written back, each line is the file ssh-keygen (or the README's recipe) wrote. */
static void test_to_line(void)
{
	static const char *const files[][2] = {
		{ "bob_ed25519.pub", "bob@ckq-test" }, { "carol_ed25519.pub", "carol@ckq-test" },
		{ "bob_sk_ed25519.pub", "bob@security-key" }, { "bob_sk_app.pub", NULL },
	};
	struct ckq_sshkey k;
	char line[1024], *s;
	size_t i, n;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		s = slurp(files[i][0], &n);
		ok(sshkey_load(s, n, &k) == 0 && sshkey_to_line(&k, files[i][1], line, sizeof(line)) == 0 &&
		   strlen(line) == n && !memcmp(line, s, n), "%s written back is the same line", files[i][0]);
		free(s);
	}
	is_int(sshkey_to_line(&k, "a\nb", line, sizeof(line)), CKQ_ERR_FORMAT,
	       "a comment with a line break is refused");
	n = strlen(line);
	is_int(sshkey_to_line(&k, NULL, line, n), CKQ_ERR_RANGE, "a buffer one byte short is refused");
	is_int(sshkey_to_line(&k, NULL, line, n + 1), 0, "and the exact size is enough");
}

static void test_b64(void)
{
	static const char *const v[][2] = {	/* RFC 4648 section 10 */
		{ "Zg==", "f" }, { "Zm8=", "fo" }, { "Zm9v", "foo" }, { "Zm9vYg==", "foob" },
		{ "Zm9vYmE=", "fooba" }, { "Zm9vYmFy", "foobar" },
	};
	static const char *const bad[] = {
		"", "Z", "Zg=", "Zg", "=Zg=", "Z===", "Zh==", "Zm9=", "Zg==Zg==", "Zm9v\n", "Zm 9",
	};
	uint8_t out[16];
	size_t i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ok(b64_decode(v[i][0], strlen(v[i][0]), out, sizeof(out), &n) == 0 &&
		   n == strlen(v[i][1]) && memcmp(out, v[i][1], n) == 0, "base64 \"%s\"", v[i][0]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(b64_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n) < 0,
		   "malformed base64 %zu is refused", i);
	is_int(b64_decode("Zm9vYmFy", 8, out, 5, &n), CKQ_ERR_RANGE,
	       "base64 longer than the output is refused");
}

/*
 * FIDO signatures, built here from the documented format (OpenSSH's
 * PROTOCOL.u2f) with OpenSSL directly, not with the code under test.
 */
static EVP_PKEY *test_key;

static void test_sign(const uint8_t *data, size_t len, uint8_t sig[64])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t n = 64;

	if (!md || EVP_DigestSignInit(md, NULL, NULL, NULL, test_key) != 1 ||
	    EVP_DigestSign(md, sig, &n, data, len) != 1 || n != 64)
		bail_out("EVP_DigestSign");
	EVP_MD_CTX_free(md);
}

static void sha256(const void *p, size_t n, uint8_t out[32])
{
	if (EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL) != 1)
		bail_out("EVP_Digest");
}

/* sig(64) || flags || counter, over SHA-256(app) || flags || counter || SHA-256(msg). */
static void sk_sign(const char *app, const uint8_t *msg, size_t len, uint8_t flags,
		    uint32_t counter, uint8_t out[CKQ_SK_SIG_LEN])
{
	uint8_t data[69];

	sha256(app, strlen(app), data);
	data[32] = flags;
	data[33] = (uint8_t)(counter >> 24);
	data[34] = (uint8_t)(counter >> 16);
	data[35] = (uint8_t)(counter >> 8);
	data[36] = (uint8_t)counter;
	sha256(msg, len, data + 37);
	test_sign(data, sizeof(data), out);
	memcpy(out + 64, data + 32, 5);
}

static size_t put_str(uint8_t *p, const void *s, size_t n)
{
	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	memcpy(p + 4, s, n);
	return 4 + n;
}

static void make_key(int type, const char *app, struct ckq_sshkey *k)
{
	uint8_t pub[32], blob[400];
	size_t n = 32, len = 0;

	if (EVP_PKEY_get_raw_public_key(test_key, pub, &n) != 1)
		bail_out("raw public key");
	if (type == CKQ_SSHKEY_SK_ED25519) {
		len += put_str(blob + len, "sk-ssh-ed25519@openssh.com", 26);
		len += put_str(blob + len, pub, 32);
		len += put_str(blob + len, app, strlen(app));
	} else {
		len += put_str(blob + len, "ssh-ed25519", 11);
		len += put_str(blob + len, pub, 32);
	}
	if (sshkey_from_blob(blob, len, k))
		bail_out("sshkey_from_blob");
}

static void test_sk(void)
{
	static const uint8_t msg[] = "ckq suite2 request c2s: the bytes a knock signs";
	const size_t mlen = sizeof(msg) - 1;
	uint8_t sig[CKQ_SK_SIG_LEN], bad[CKQ_SK_SIG_LEN + 1], blob[200], field[CKQ_SIG2_MAX];
	struct ckq_sshkey sk, sk_other, plain;
	size_t bit, n, cut, flen;
	int refused;

	test_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!test_key)
		bail_out("Ed25519 key generation");
	make_key(CKQ_SSHKEY_SK_ED25519, "ssh:", &sk);
	make_key(CKQ_SSHKEY_SK_ED25519, "ssh:other", &sk_other);
	make_key(CKQ_SSHKEY_ED25519, "", &plain);
	is_int(sshkey_sig_len(&sk), 69, "an sk signature is 69 bytes");
	is_int(sshkey_sig_len(&plain), 64, "an ssh-ed25519 signature is 64 bytes");

	sk_sign("ssh:", msg, mlen, CKQ_SK_FLAG_UP, 0x01020304, sig);
	is_int(sshkey_verify(&sk, msg, mlen, sig, sizeof(sig)), 0,
	       "a FIDO signature with user presence verifies");
	sk_sign("ssh:", msg, mlen, CKQ_SK_FLAG_UP | CKQ_SK_FLAG_UV, 7, sig);
	is_int(sshkey_verify(&sk, msg, mlen, sig, sizeof(sig)), 0,
	       "and with user verification too");
	sk_sign("ssh:", msg, mlen, 0, 8, sig);
	is_int(sshkey_verify(&sk, msg, mlen, sig, sizeof(sig)), CKQ_ERR_SIGNATURE,
	       "a valid FIDO signature made without a touch (flags 0) is refused");
	sk_sign("ssh:", msg, mlen, CKQ_SK_FLAG_UV, 9, sig);
	is_int(sshkey_verify(&sk, msg, mlen, sig, sizeof(sig)), CKQ_ERR_SIGNATURE,
	       "and with user verification but no presence (flags 0x04)");

	sk_sign("ssh:", msg, mlen, CKQ_SK_FLAG_UP, 10, sig);
	is_int(sshkey_verify(&sk_other, msg, mlen, sig, sizeof(sig)), CKQ_ERR_SIGNATURE,
	       "a signature for another application is refused");
	is_int(sshkey_verify(&sk, msg, mlen - 1, sig, sizeof(sig)), CKQ_ERR_SIGNATURE,
	       "a signature over another message is refused");
	refused = 0;
	for (bit = 0; bit < sizeof(sig) * 8; bit++) {
		memcpy(bad, sig, sizeof(sig));
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		refused += sshkey_verify(&sk, msg, mlen, bad, sizeof(sig)) == CKQ_ERR_SIGNATURE;
	}
	is_int(refused, sizeof(sig) * 8,
	       "every single-bit flip of signature, flags and counter is refused");
	refused = 0;
	for (cut = 0; cut <= sizeof(bad); cut++) {
		memset(bad, 0, sizeof(bad));
		memcpy(bad, sig, cut < sizeof(sig) ? cut : sizeof(sig));
		refused += cut != sizeof(sig) &&
			   sshkey_verify(&sk, msg, mlen, bad, cut) == CKQ_ERR_SIGNATURE;
	}
	is_int(refused, sizeof(bad), "every other length is refused");

	/* The message must go through SHA-256 and the application too. */
	{
		uint8_t data[32 + 5 + sizeof(msg)];

		sha256("ssh:", 4, data);
		memcpy(data + 32, sig + 64, 5);
		memcpy(data + 37, msg, mlen);
		test_sign(data, 37 + mlen, bad);
		memcpy(bad + 64, sig + 64, 5);
		is_int(sshkey_verify(&sk, msg, mlen, bad, sizeof(sig)), CKQ_ERR_SIGNATURE,
		       "a signature over the message itself, not its hash, is refused");
	}

	/* A plain key: pure Ed25519 over the message, and no FIDO form. */
	test_sign(msg, mlen, bad);
	is_int(sshkey_verify(&plain, msg, mlen, bad, 64), 0, "an ssh-ed25519 signature verifies");
	bad[64] = CKQ_SK_FLAG_UP;
	is_int(sshkey_verify(&plain, msg, mlen, bad, 69), CKQ_ERR_SIGNATURE,
	       "an ssh-ed25519 key takes no FIDO form");
	is_int(sshkey_verify(&sk, msg, mlen, bad, 69), CKQ_ERR_SIGNATURE,
	       "a plain signature under an sk key is refused");

	/* The agent's SSH signature blobs. */
	n = put_str(blob, "sk-ssh-ed25519@openssh.com", 26);
	n += put_str(blob + n, sig, 64);
	memcpy(blob + n, sig + 64, 5);
	n += 5;
	ok(sshkey_sig_from_ssh(&sk, blob, n, field, &flen) == 0 && flen == 69 &&
	   memcmp(field, sig, 69) == 0 && sshkey_verify(&sk, msg, mlen, field, flen) == 0,
	   "an sk signature blob gives message 1's field, which verifies");
	refused = 0;
	for (cut = 0; cut < n; cut++)
		refused += sshkey_sig_from_ssh(&sk, blob, cut, field, &flen) < 0;
	is_int(refused, n, "every truncation of an sk signature blob is refused");
	blob[n] = 0;
	is_int(sshkey_sig_from_ssh(&sk, blob, n + 1, field, &flen), CKQ_ERR_FORMAT,
	       "a byte left over is refused");
	is_int(sshkey_sig_from_ssh(&plain, blob, n, field, &flen), CKQ_ERR_KEY,
	       "an sk signature blob for an ssh-ed25519 key is refused");

	test_sign(msg, mlen, bad);
	n = put_str(blob, "ssh-ed25519", 11);
	n += put_str(blob + n, bad, 64);
	ok(sshkey_sig_from_ssh(&plain, blob, n, field, &flen) == 0 && flen == 64 &&
	   sshkey_verify(&plain, msg, mlen, field, flen) == 0,
	   "an ssh-ed25519 signature blob gives message 1's field, which verifies");
	is_int(sshkey_sig_from_ssh(&sk, blob, n, field, &flen), CKQ_ERR_KEY,
	       "an ssh-ed25519 signature blob for an sk key is refused");
	blob[n - 64 - 1] = 63;	/* the signature string's length */
	ok(sshkey_sig_from_ssh(&plain, blob, n - 1, field, &flen) < 0,
	   "a 63-byte signature is refused");
	EVP_PKEY_free(test_key);
}

int main(void)
{
	const char *src = getenv("CKQ_SRCDIR");

	snprintf(dir, sizeof(dir), "%s/tests/data/ssh", src ? src : ".");
	check_file("bob_ed25519.pub", "bob_ed25519.pub", CKQ_SSHKEY_ED25519, "", "bob@ckq-test");
	check_file("carol_ed25519.pub", "carol_ed25519.pub", CKQ_SSHKEY_ED25519, "",
		   "carol@ckq-test");
	check_file("carol_ed25519.pem", "carol_ed25519.pub", CKQ_SSHKEY_ED25519, "", NULL);
	check_file("bob_sk_ed25519.pub", "bob_sk_ed25519.pub", CKQ_SSHKEY_SK_ED25519, "ssh:",
		   "bob@security-key");
	check_file("bob_sk_app.pub", "bob_sk_app.pub", CKQ_SSHKEY_SK_ED25519, "ssh:ckq-knock", "");
	check_file("authorized_keys_line", "bob_ed25519.pub", CKQ_SSHKEY_ED25519, "",
		   "bob@ckq-test");
	test_blobs();
	test_lines();
	test_pem();
	test_b64();
	test_to_line();
	test_sk();
	return done_testing();
}
