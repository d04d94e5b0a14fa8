/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>

#include "buf.h"
#include "err.h"
#include "grant_impl.h"

/*
 * The nfnetlink conversation both backends hold with the kernel: ipset
 * and nf_tables differ in what they ask and how they read the answer, not
 * in how a request is sent and its replies are waited for.
 */

/* A full 65536-entry set dumps in a few hundred datagrams. */
#define GRANT_NL_RECV_MAX 100000
/* A kernel that never answers must not hang ckqd forever. */
#define GRANT_NL_RCV_TIMEOUT_S 5

int grant_sys_fail(struct grant *g, const char *what)
{
	grant_msg(g, "%s: %s", what, strerror(errno));
	return CKQ_ERR_IPSET;
}

int grant_bad_reply(struct grant *g)
{
	grant_msg(g, "Broken kernel message");
	return CKQ_ERR_IPSET;
}

void grant_printable(char *out, size_t out_size, const void *p, size_t len)
{
	struct cur c = cur_init(p, len);
	size_t i;

	for (i = 0; i + 1 < out_size && cur_left(&c); i++) {
		uint8_t ch = cur_u8(&c);

		if (!ch)
			break;
		out[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	out[i] = '\0';
}

int grant_nl_open(struct grant_nl *n)
{
	struct timeval tv = { .tv_sec = GRANT_NL_RCV_TIMEOUT_S };

	if (n->sock)
		mnl_socket_close(n->sock);
	n->sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!n->sock || mnl_socket_bind(n->sock, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(n->sock), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0)
		return -1;
	n->portid = mnl_socket_get_portid(n->sock);
	n->broken = false;
	return 0;
}

void grant_nl_close(struct grant_nl *n)
{
	if (n->sock)
		mnl_socket_close(n->sock);
	n->sock = NULL;
}

int grant_nl_talk(struct grant *g, struct grant_nl *n, const void *req,
		  size_t len, uint32_t first, uint32_t last, uint16_t type,
		  grant_nl_cb cb, void *arg)
{
	int cb_ret = 0;
	bool more = cb != NULL;
	long i;

	/* An unfinished dump would make every later dump fail with EBUSY. */
	if (n->broken && grant_nl_open(n) < 0)
		return grant_sys_fail(g, "netlink socket");
	if (mnl_socket_sendto(n->sock, req, len) < 0)
		return grant_sys_fail(g, "netlink send");
	for (i = 0; i < GRANT_NL_RECV_MAX; i++) {
		ssize_t got = mnl_socket_recvfrom(n->sock, n->rbuf, sizeof(n->rbuf));
		const struct nlmsghdr *m = (const struct nlmsghdr *)n->rbuf;
		int left;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			n->broken = true;
			return grant_sys_fail(g, errno == EAGAIN ?
					      "no answer from the kernel" :
					      "netlink receive");
		}
		for (left = (int)got; mnl_nlmsg_ok(m, left);
		     m = mnl_nlmsg_next(m, &left)) {
			struct cur c = cur_init(mnl_nlmsg_get_payload(m),
						mnl_nlmsg_get_payload_len(m));
			int32_t e = 0;

			if (m->nlmsg_seq < first || m->nlmsg_seq > last ||
			    m->nlmsg_pid != n->portid)
				continue;
			switch (m->nlmsg_type) {
			case NLMSG_ERROR:
				if (!cur_copy(&c, &e, sizeof(e)) || e > 0)
					return grant_bad_reply(g);
				if (e)
					return -e;
				if (m->nlmsg_seq == last)
					return cb_ret;
				continue;
			case NLMSG_DONE:
				/* Newer kernels report a failed dump here. */
				if (cur_left(&c) >= sizeof(e))
					cur_copy(&c, &e, sizeof(e));
				return e < 0 ? -e : cb_ret;
			case NLMSG_NOOP:
				continue;
			case NLMSG_OVERRUN:
				return grant_bad_reply(g);
			}
			if (more && (!type || m->nlmsg_type == type)) {
				int r = cb(m, arg);

				more = !r;
				cb_ret = r < 0 ? r : 0;
			}
		}
	}
	n->broken = true;
	grant_msg(g, "endless answer from the kernel");
	return CKQ_ERR_IPSET;
}

int grant_nl_each(const struct nlattr *list, uint16_t type,
		  int (*each)(void *x, const struct nlattr *a), void *x)
{
	const struct nlattr *a;
	int r;

	mnl_attr_for_each_nested(a, list) {
		if (mnl_attr_get_type(a) != type)
			continue;
		r = each(x, a);
		if (r)
			return r;
	}
	return 0;
}
