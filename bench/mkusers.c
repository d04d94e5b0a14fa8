/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Makes what the benchmarks need in bulk, faster than ckq keygen and
 * ckq-admin add-user one at a time:
 *   mkusers keys DIR COUNT
 *       client key pairs DIR/kN.key, N < COUNT, RSA-2048 in PKCS#8 PEM; the
 *       ones that exist are kept (RSA key generation is slow: a cache). One
 *       file a pair, written under a temporary name and renamed, so that
 *       runs at the same time cannot pair one's public key with another's
 *       private key
 *   mkusers users CONFDIR KEYDIR FIRST COUNT POOL
 *       users u<FIRST>... in CONFDIR/users, allowed tcp/22, user i with the
 *       public key of k(i % POOL).key and the TOTP secret bench_totp_secret()
 *   mkusers keys2 DIR COUNT
 *       suite 2 client keys DIR/eN.key, N < COUNT, Ed25519 in PKCS#8 PEM
 *       (as ckq keygen --type ed25519 writes them), kept like keys
 *   mkusers users2 CONFDIR KEYDIR FIRST COUNT POOL
 *       suite 2 users u<FIRST>..., as users but with the OpenSSH
 *       ssh-ed25519 line of e(i % POOL).key
 *   mkusers code USER
 *       USER's TOTP code now, as their authenticator would show it
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "conf.h"
#include "crypto.h"
#include "crypto25519.h"
#include "err.h"
#include "sshkey.h"

static int write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) < 0)
		goto fail;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		p += n;
		len -= (size_t)n;
	}
	return close(fd);
fail:
	close(fd);
	return -1;
}

/* kN.key (RSA-2048) or, for suite 2, eN.key (Ed25519), made once. */
static int make_key(const char *path, bool ed25519)
{
	uint8_t seed[CKQ_ED25519_LEN], pub[CKQ_ED25519_LEN];
	struct ckq_key *k = NULL;
	char tmp[4200], *pem = NULL;
	size_t len = 0;
	int ret;

	if (ed25519)
		ret = ed25519_generate(seed, pub) < 0 ? CKQ_ERR_CRYPTO :
			ed25519_seed_to_pem(seed, &pem, &len);
	else if ((ret = key_generate(2048, &k)) == 0)
		ret = key_to_pem(k, true, &pem, &len);
	wipe(seed, sizeof(seed));
	key_free(k);
	if (ret < 0) {
		fprintf(stderr, "mkusers: key generation: %s\n", ckq_strerror(ret));
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	ret = write_file(tmp, pem, len, 0600) < 0 || rename(tmp, path) < 0;
	if (ret) {
		fprintf(stderr, "mkusers: cannot write %s\n", path);
		unlink(tmp);
	}
	wipe(pem, len);
	free(pem);
	return ret;
}

static int make_keys(const char *dir, unsigned int count)
{
	char path[4096];
	unsigned int i;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "mkusers: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (i = 0; i < count; i++) {
		struct ckq_key *k;

		snprintf(path, sizeof(path), "%s/k%u.key", dir, i);
		k = bench_load_key(path, true);
		if (k) {
			key_free(k);
			continue;
		}
		if (make_key(path, false))
			return 1;
	}
	return 0;
}

static int make_keys2(const char *dir, unsigned int count)
{
	uint8_t seed[CKQ_ED25519_LEN];
	char path[4096];
	unsigned int i;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "mkusers: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/e%u.key", dir, i);
		if (bench_ed25519_load(path, seed) == 0)
			continue;
		if (make_key(path, true))
			return 1;
	}
	wipe(seed, sizeof(seed));
	return 0;
}

/* The public halves of the pool, as users/NAME.pub holds them. */
static int pool_pubs(const char *keydir, unsigned int pool, bool ed25519, char **pub,
		     size_t *pub_len)
{
	char path[4096];
	unsigned int i;

	for (i = 0; i < pool; i++) {
		snprintf(path, sizeof(path), "%s/%c%u.key", keydir, ed25519 ? 'e' : 'k', i);
		if (ed25519) {
			uint8_t seed[CKQ_ED25519_LEN], blob[64];
			struct ckq_sshkey k;

			memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
			pub[i] = malloc(256);
			if (!pub[i] || bench_ed25519_load(path, seed) < 0 ||
			    ed25519_public(seed, blob + 19) < 0 || sshkey_from_blob(blob, 51, &k) < 0 ||
			    sshkey_to_line(&k, "bench", pub[i], 256) < 0) {
				fprintf(stderr, "mkusers: cannot read the key %s\n", path);
				return -1;
			}
			wipe(seed, sizeof(seed));
			pub_len[i] = strlen(pub[i]);
		} else {
			struct ckq_key *k = bench_load_key(path, true);

			if (!k || key_to_pem(k, false, &pub[i], &pub_len[i]) < 0) {
				fprintf(stderr, "mkusers: cannot read the key pair %s\n", path);
				key_free(k);
				return -1;
			}
			key_free(k);
		}
	}
	return 0;
}

static int make_users(const char *confdir, const char *keydir, unsigned int first,
		      unsigned int count, unsigned int pool, bool ed25519)
{
	const struct port_spec ssh = { CKQ_PROTO_TCP, 22 };
	char path[4096], **pub;
	size_t *pub_len;
	unsigned int i;
	int rc = 1;

	if (!pool || first + count > BENCH_USER_MAX + 1) {
		fprintf(stderr, "mkusers: bad user range\n");
		return 1;
	}
	pub = calloc(pool, sizeof(*pub));
	pub_len = calloc(pool, sizeof(*pub_len));
	if (!pub || !pub_len)
		goto out;
	if (pool_pubs(keydir, pool, ed25519, pub, pub_len) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/users", confdir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "mkusers: %s: %s\n", path, strerror(errno));
		goto out;
	}
	for (i = first; i < first + count; i++) {
		struct ckq_user u;
		char *text = NULL;
		size_t len = 0;

		memset(&u, 0, sizeof(u));
		snprintf(u.name, sizeof(u.name), BENCH_USER_FMT, i);
		u.totp_len = TOTP_SECRET_LEN;
		if (user_set_ports(&u, &ssh, 1) < 0 || bench_totp_secret(u.name, u.totp) < 0 ||
		    user_format(&u, &text, &len) < 0) {
			fprintf(stderr, "mkusers: cannot format user %s\n", u.name);
			user_clear(&u);
			goto out;
		}
		snprintf(path, sizeof(path), "%s/users/%s.conf", confdir, u.name);
		user_clear(&u);
		if (write_file(path, text, len, 0600) < 0) {
			fprintf(stderr, "mkusers: cannot write %s: %s\n", path, strerror(errno));
			free(text);
			goto out;
		}
		free(text);
		snprintf(path, sizeof(path), "%s/users/" BENCH_USER_FMT ".pub", confdir, i);
		if (write_file(path, pub[i % pool], pub_len[i % pool], 0644) < 0) {
			fprintf(stderr, "mkusers: cannot write %s: %s\n", path, strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	for (i = 0; pub && i < pool; i++)
		free(pub[i]);
	free(pub);
	free(pub_len);
	return rc;
}

static int print_code(const char *user)
{
	uint8_t secret[TOTP_SECRET_LEN];
	uint32_t code;

	if (bench_totp_secret(user, secret) < 0 ||
	    totp_code(secret, sizeof(secret), (uint64_t)time(NULL), TOTP_DIGITS, &code) < 0)
		return 1;
	printf("%06u\n", code);
	return 0;
}

int main(int argc, char *argv[])
{
	if (argc == 3 && !strcmp(argv[1], "code"))
		return print_code(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "keys"))
		return make_keys(argv[2], (unsigned int)strtoul(argv[3], NULL, 10));
	if (argc == 4 && !strcmp(argv[1], "keys2"))
		return make_keys2(argv[2], (unsigned int)strtoul(argv[3], NULL, 10));
	if (argc == 7 && (!strcmp(argv[1], "users") || !strcmp(argv[1], "users2")))
		return make_users(argv[2], argv[3], (unsigned int)strtoul(argv[4], NULL, 10),
				  (unsigned int)strtoul(argv[5], NULL, 10),
				  (unsigned int)strtoul(argv[6], NULL, 10), argv[1][5] == '2');
	fprintf(stderr, "usage: mkusers keys DIR COUNT\n"
		"       mkusers keys2 DIR COUNT\n"
		"       mkusers users CONFDIR KEYDIR FIRST COUNT POOL\n"
		"       mkusers users2 CONFDIR KEYDIR FIRST COUNT POOL\n"
		"       mkusers code USER\n");
	return 2;
}
