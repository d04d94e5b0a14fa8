/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>

#include "err.h"
#include "keyfile.h"
#include "util.h"

static int part_write(const struct ckq_key *key, bool private_part, const char *path)
{
	char *pem = NULL;
	size_t len = 0;
	int ret, err;

	ret = key_to_pem(key, private_part, &pem, &len);
	if (ret < 0)
		return ret;
	if (file_write_atomic(path, pem, len, private_part ? 0600 : 0644) < 0)
		ret = CKQ_ERR_IO;
	err = errno;
	wipe(pem, len);
	free(pem);
	errno = err;
	return ret;
}

int key_pair_write(const struct ckq_key *key, const char *key_path, const char *pub_path,
		   const char **failed)
{
	int ret;

	*failed = key_path;
	ret = part_write(key, true, key_path);
	if (ret < 0)
		return ret;
	*failed = pub_path;
	ret = part_write(key, false, pub_path);
	if (ret < 0)
		return ret;
	*failed = NULL;
	return 0;
}

int key_text_pair_write(const char *key_text, size_t key_len, const char *pub_text,
			size_t pub_len, const char *key_path, const char *pub_path,
			const char **failed)
{
	*failed = key_path;
	if (file_write_atomic(key_path, key_text, key_len, 0600) < 0)
		return CKQ_ERR_IO;
	*failed = pub_path;
	if (file_write_atomic(pub_path, pub_text, pub_len, 0644) < 0)
		return CKQ_ERR_IO;
	*failed = NULL;
	return 0;
}
