/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "err.h"
#include "util.h"

static uid_t trusted_uid = (uid_t)-1;
static gid_t trusted_gid = (gid_t)-1;

void file_trust_uid(uid_t uid)
{
	trusted_uid = uid;
}

void file_trust_gid(gid_t gid)
{
	trusted_gid = gid;
}

int file_read(const char *path, bool secret, char **out, size_t *len,
	      char *why, size_t why_len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = errno;
		snprintf(why, why_len, "%s: %s%s", path, strerror(err),
			 err == ELOOP ? " (symbolic links are refused)" : "");
		errno = err;
		return err == ENOENT ? CKQ_ERR_NOENT : CKQ_ERR_IO;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, why_len, "%s: not a regular file", path);
		close(fd);
		return CKQ_ERR_IO;
	}
	/* Read by ckqd's group only: the layout that keeps users/ out of ckqd's hands. */
	if (secret && ((st.st_mode & (S_IRWXO | S_IWGRP | S_IXGRP)) ||
		       ((st.st_mode & S_IRGRP) &&
			(trusted_gid == (gid_t)-1 || st.st_gid != trusted_gid)))) {
		snprintf(why, why_len,
			 "%s: permissions %04o are too open for a secret (chmod 600 it)",
			 path, (unsigned int)(st.st_mode & 07777));
		close(fd);
		return CKQ_ERR_PERM;
	}
	if (secret && st.st_uid != geteuid() && st.st_uid != 0 && st.st_uid != trusted_uid) {
		snprintf(why, why_len, "%s: owned by uid %u, not by us, root or ckqd's user",
			 path, (unsigned int)st.st_uid);
		close(fd);
		return CKQ_ERR_PERM;
	}
	if (st.st_size > CKQ_FILE_MAX) {
		snprintf(why, why_len, "%s: larger than %d bytes", path, CKQ_FILE_MAX);
		close(fd);
		return CKQ_ERR_RANGE;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return CKQ_ERR_NOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		snprintf(why, why_len, "%s: short read", path);
		wipe(buf, (size_t)st.st_size + 1);
		free(buf);
		return CKQ_ERR_IO;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

static int fsync_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd, ret = 0;

	if (strlen(path) >= sizeof(copy))
		return CKQ_ERR_RANGE;
	strcpy(copy, path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return CKQ_ERR_IO;
	if (fsync(fd) < 0)
		ret = CKQ_ERR_IO;
	close(fd);
	return ret;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	return file_write_owned(path, data, len, mode, (uid_t)-1, (gid_t)-1);
}

int file_write_owned(const char *path, const void *data, size_t len, mode_t mode,
		     uid_t uid, gid_t gid)
{
	char tmp[PATH_MAX];
	const char *p = data;
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return CKQ_ERR_RANGE;
	unlink(tmp);
	/* O_EXCL|O_NOFOLLOW: never write through a link planted in our place. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return CKQ_ERR_IO;
	if (fchmod(fd, mode) < 0)
		goto fail;
	/* On the descriptor: a name can be swapped for a link in between. */
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0)
		goto fail;
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	return fsync_dir(path);
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = err;
	return CKQ_ERR_IO;
}

int mkdir_mode(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno == EEXIST && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return CKQ_ERR_IO;
}

int mkdir_parents(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t i, n = strlen(path);

	if (n >= sizeof(buf))
		return CKQ_ERR_RANGE;
	memcpy(buf, path, n + 1);
	for (i = 1; i < n; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir_mode(buf, mode) < 0)
			return CKQ_ERR_IO;
		buf[i] = '/';
	}
	return mkdir_mode(buf, mode);
}

int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return CKQ_ERR_FORMAT;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return CKQ_ERR_FORMAT;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return CKQ_ERR_RANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

int parse_yes_no(const char *s, bool *out)
{
	if (strcmp(s, "yes") && strcmp(s, "no"))
		return CKQ_ERR_FORMAT;
	*out = !strcmp(s, "yes");
	return 0;
}

bool name_chars_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int parse_duration(const char *s, uint32_t *out)
{
	char num[16];
	size_t n = strlen(s);
	uint32_t mult = 1, v;
	int ret;

	if (n == 0 || n >= sizeof(num))
		return CKQ_ERR_FORMAT;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	default: n++; break;
	}
	num[n - 1] = '\0';
	ret = parse_u32(num, UINT32_MAX / mult, &v);
	if (ret < 0)
		return ret;
	*out = v * mult;
	return 0;
}

void kv_init(struct kv_iter *it, const char *text, size_t len)
{
	memset(it, 0, sizeof(*it));
	it->p = text;
	it->end = text + len;
}

static void trim(const char **b, const char **e)
{
	while (*b < *e && (**b == ' ' || **b == '\t'))
		(*b)++;
	while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
		(*e)--;
}

int kv_next(struct kv_iter *it)
{
	while (it->p < it->end) {
		const char *b = it->p, *nl = memchr(b, '\n', (size_t)(it->end - b));
		const char *e = nl ? nl : it->end, *eq, *kb, *ke, *vb, *ve;

		it->p = nl ? nl + 1 : it->end;
		it->line++;
		trim(&b, &e);
		if (b == e || *b == '#')
			continue;
		if (memchr(b, '\0', (size_t)(e - b)))
			return CKQ_ERR_FORMAT;
		eq = memchr(b, '=', (size_t)(e - b));
		if (!eq)
			return CKQ_ERR_FORMAT;
		kb = b; ke = eq; vb = eq + 1; ve = e;
		trim(&kb, &ke);
		trim(&vb, &ve);
		if (kb == ke || (size_t)(ke - kb) >= sizeof(it->key) ||
		    (size_t)(ve - vb) >= sizeof(it->value))
			return CKQ_ERR_FORMAT;
		memcpy(it->key, kb, (size_t)(ke - kb));
		it->key[ke - kb] = '\0';
		memcpy(it->value, vb, (size_t)(ve - vb));
		it->value[ve - vb] = '\0';
		return 1;
	}
	return 0;
}
