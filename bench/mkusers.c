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
#include "err.h"

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

static int make_keys(const char *dir, unsigned int count)
{
	char path[4096], tmp[4200];
	unsigned int i;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "mkusers: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (i = 0; i < count; i++) {
		struct ckq_key *k;
		char *pem = NULL;
		size_t len = 0;
		int ret;

		snprintf(path, sizeof(path), "%s/k%u.key", dir, i);
		k = bench_load_key(path, true);
		if (k) {
			key_free(k);
			continue;
		}
		ret = key_generate(2048, &k);
		if (ret < 0) {
			fprintf(stderr, "mkusers: key generation: %s\n", ckq_strerror(ret));
			return 1;
		}
		snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
		if (key_to_pem(k, true, &pem, &len) < 0 || write_file(tmp, pem, len, 0600) < 0 ||
		    rename(tmp, path) < 0) {
			fprintf(stderr, "mkusers: cannot write %s\n", path);
			unlink(tmp);
			return 1;
		}
		wipe(pem, len);
		free(pem);
		key_free(k);
	}
	return 0;
}

static int make_users(const char *confdir, const char *keydir, unsigned int first,
		      unsigned int count, unsigned int pool)
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
	for (i = 0; i < pool; i++) {
		struct ckq_key *k;

		snprintf(path, sizeof(path), "%s/k%u.key", keydir, i);
		k = bench_load_key(path, true);
		if (!k || key_to_pem(k, false, &pub[i], &pub_len[i]) < 0) {
			fprintf(stderr, "mkusers: cannot read the key pair %s\n", path);
			key_free(k);
			goto out;
		}
		key_free(k);
	}
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
	if (argc == 7 && !strcmp(argv[1], "users"))
		return make_users(argv[2], argv[3], (unsigned int)strtoul(argv[4], NULL, 10),
				  (unsigned int)strtoul(argv[5], NULL, 10),
				  (unsigned int)strtoul(argv[6], NULL, 10));
	fprintf(stderr, "usage: mkusers keys DIR COUNT\n"
		"       mkusers users CONFDIR KEYDIR FIRST COUNT POOL\n"
		"       mkusers code USER\n");
	return 2;
}
