/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "sshkey.h"

int agent_connect(const char *path, int *fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	if (!path || !*path)
		return CKQ_ERR_NOENT;
	if (strlen(path) >= sizeof(sa.sun_path))
		return CKQ_ERR_RANGE;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return CKQ_ERR_IO;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(s);
		errno = e;
		return e == ENOENT || e == ECONNREFUSED ? CKQ_ERR_NOENT : CKQ_ERR_IO;
	}
	*fd = s;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd until the deadline: 0, or CKQ_ERR_IO (errno ETIMEDOUT when late). */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int r;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return CKQ_ERR_IO;
		}
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return CKQ_ERR_IO;
	}
}

static int send_all(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
	while (n) {
		ssize_t r;

		if (wait_fd(fd, POLLOUT, deadline) < 0)
			return CKQ_ERR_IO;
		r = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return CKQ_ERR_IO;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int recv_all(int fd, uint8_t *p, size_t n, int64_t deadline)
{
	while (n) {
		ssize_t r;

		if (wait_fd(fd, POLLIN, deadline) < 0)
			return CKQ_ERR_IO;
		r = recv(fd, p, n, MSG_DONTWAIT);
		if (r == 0) {
			errno = ECONNRESET;
			return CKQ_ERR_IO;
		}
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return CKQ_ERR_IO;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One request and its answer; *answer is malloc'd (the caller frees it). */
static int exchange(int fd, const uint8_t *req, size_t req_len, int timeout_ms,
		    uint8_t **answer, size_t *answer_len)
{
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 1);
	uint8_t hdr[4];
	struct cur c;
	uint32_t n;
	uint8_t *buf;
	int ret;

	ret = send_all(fd, req, req_len, deadline);
	if (ret < 0)
		return ret;
	ret = recv_all(fd, hdr, sizeof(hdr), deadline);
	if (ret < 0)
		return ret;
	c = cur_init(hdr, sizeof(hdr));
	n = cur_u32(&c);
	if (n == 0 || n > CKQ_AGENT_MSG_MAX)
		return CKQ_ERR_FORMAT;
	buf = malloc(n);
	if (!buf)
		return CKQ_ERR_NOMEM;
	ret = recv_all(fd, buf, n, deadline);
	if (ret < 0) {
		free(buf);
		return ret;
	}
	*answer = buf;
	*answer_len = n;
	return 0;
}

int agent_parse_identities(const uint8_t *msg, size_t len, const struct ckq_sshkey *k)
{
	uint8_t want[CKQ_SSHKEY_BLOB_MAX];
	size_t want_len = 0;
	struct cur c = cur_init(msg, len);
	uint32_t nkeys, i;
	bool found = false;
	int ret = sshkey_blob(k, want, sizeof(want), &want_len);

	if (ret < 0)
		return ret;
	if (cur_u8(&c) != CKQ_AGENT_IDENTITIES_ANSWER)
		return c.err ? CKQ_ERR_TRUNCATED : CKQ_ERR_FORMAT;
	nkeys = cur_u32(&c);
	/* Each identity takes at least its two lengths: no count beyond the bytes. */
	if (c.err)
		return CKQ_ERR_TRUNCATED;
	if (nkeys > cur_left(&c) / 8)
		return CKQ_ERR_FORMAT;
	for (i = 0; i < nkeys; i++) {
		uint32_t blob_len = cur_u32(&c);
		const uint8_t *blob = cur_take(&c, blob_len);
		uint32_t comment_len = cur_u32(&c);

		cur_take(&c, comment_len);
		if (c.err)
			return CKQ_ERR_TRUNCATED;
		if (blob_len == want_len && !memcmp(blob, want, want_len))
			found = true;
	}
	if (cur_left(&c))
		return CKQ_ERR_FORMAT;
	return found ? 0 : CKQ_ERR_NOENT;
}

int agent_parse_sign(const uint8_t *msg, size_t len, const struct ckq_sshkey *k,
		     uint8_t sig[CKQ_SIG2_MAX], size_t *sig_len)
{
	struct cur c = cur_init(msg, len);
	uint8_t type = cur_u8(&c);
	uint32_t n;
	const uint8_t *blob;

	if (c.err)
		return CKQ_ERR_TRUNCATED;
	if (type == CKQ_AGENT_FAILURE)
		return cur_left(&c) ? CKQ_ERR_FORMAT : CKQ_ERR_SIGNATURE;
	if (type != CKQ_AGENT_SIGN_RESPONSE)
		return CKQ_ERR_FORMAT;
	n = cur_u32(&c);
	blob = cur_take(&c, n);
	if (c.err)
		return CKQ_ERR_TRUNCATED;
	if (cur_left(&c))
		return CKQ_ERR_FORMAT;
	return sshkey_sig_from_ssh(k, blob, n, sig, sig_len);
}

int agent_has_key(int fd, const struct ckq_sshkey *k, int timeout_ms)
{
	static const uint8_t req[] = { 0, 0, 0, 1, CKQ_AGENTC_REQUEST_IDENTITIES };
	uint8_t *answer = NULL;
	size_t n = 0;
	int ret = exchange(fd, req, sizeof(req), timeout_ms, &answer, &n);

	if (ret < 0)
		return ret;
	ret = agent_parse_identities(answer, n, k);
	free(answer);
	return ret;
}

int agent_sign(int fd, const struct ckq_sshkey *k, const uint8_t *data, size_t len,
	       int timeout_ms, uint8_t sig[CKQ_SIG2_MAX], size_t *sig_len)
{
	uint8_t blob[CKQ_SSHKEY_BLOB_MAX], *req, *answer = NULL;
	size_t blob_len = 0, req_len, n = 0;
	struct wbuf w;
	int ret;

	if (len > CKQ_AGENT_MSG_MAX - 1024)
		return CKQ_ERR_RANGE;
	ret = sshkey_blob(k, blob, sizeof(blob), &blob_len);
	if (ret < 0)
		return ret;
	req_len = 4 + 1 + 4 + blob_len + 4 + len + 4;
	req = malloc(req_len);
	if (!req)
		return CKQ_ERR_NOMEM;
	w = wbuf_init(req, req_len);
	wbuf_u32(&w, (uint32_t)(req_len - 4));
	wbuf_u8(&w, CKQ_AGENTC_SIGN_REQUEST);
	wbuf_u32(&w, (uint32_t)blob_len);
	wbuf_put(&w, blob, blob_len);
	wbuf_u32(&w, (uint32_t)len);
	wbuf_put(&w, data, len);
	wbuf_u32(&w, 0);	/* flags: the RSA hash flags mean nothing to Ed25519 */
	ret = w.err ? CKQ_ERR_INTERNAL : exchange(fd, req, req_len, timeout_ms, &answer, &n);
	free(req);
	if (ret < 0)
		return ret;
	ret = agent_parse_sign(answer, n, k, sig, sig_len);
	free(answer);
	return ret;
}
