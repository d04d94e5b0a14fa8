/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/sock_diag.h>

#include "err.h"
#include "log.h"
#include "nfq.h"

#define COPY_RANGE 0xffff
#define BIND_TIMEOUT_MS 5000
#define BIND_MAX_BATCHES 4096
#define RCVBUF_PER_PACKET 4096
#define RCVBUF_MIN (256 * 1024)
#define RCVBUF_MAX (32 * 1024 * 1024)

struct nfqueue {
	struct mnl_socket *nl;
	uint8_t *buf;
	size_t buf_size;
	uint16_t queue_num;
	uint32_t ack_seq;	/* nonzero while nfqueue_open() waits */
	bool acked;
	int ack_err;
	uint64_t enobufs;
	struct ratelimit rl;
};

static int send_verdict(struct nfqueue *q, uint32_t id, int verdict)
{
	union {
		char buf[128];
		struct nlmsghdr align;
	} u;
	struct nlmsghdr *nlh;
	ssize_t n = -1;
	int tries;

	nlh = nfq_nlmsg_put(u.buf, NFQNL_MSG_VERDICT, q->queue_num);
	/* Takes the id in host order and converts it itself. */
	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	for (tries = 0; tries < 3; tries++) {
		n = mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (n < 0) {
		int saved = errno;

		log_rl(&q->rl, LOG_ERR,
		       "queue %u: cannot send verdict for packet %u: %s",
		       q->queue_num, id, strerror(saved));
		errno = saved;
		return CKQ_ERR_IO;
	}
	return 0;
}

static void handle_error(struct nfqueue *q, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return;
	if (q->ack_seq && nlh->nlmsg_seq == q->ack_seq) {
		q->acked = true;
		q->ack_err = -e->error;
		return;
	}
	/* Verdicts go without NLM_F_ACK, so only their failures come back. */
	if (e->error)
		log_rl(&q->rl, LOG_WARNING,
		       "queue %u: kernel refused a verdict: %s",
		       q->queue_num, strerror(-e->error));
}

/* Returns 1 when a verdict was sent, 0 when none could be, or CKQ_ERR_IO. */
static int handle_msg(struct nfqueue *q, const struct nlmsghdr *nlh, bool cut,
		      nfqueue_handler h, void *arg)
{
	struct nlattr *attr[NFQA_MAX + 1];
	const struct nfqnl_msg_packet_hdr *ph;
	bool parsed;
	uint32_t id;
	int verdict = NF_DROP;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		handle_error(q, nlh);
		return 0;
	}
	if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
		return 0;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_QUEUE ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET) {
		log_rl(&q->rl, LOG_WARNING,
		       "queue %u: ignoring netlink message type 0x%x",
		       q->queue_num, nlh->nlmsg_type);
		return 0;
	}

	memset(attr, 0, sizeof(attr));
	parsed = nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(struct nfgenmsg)) &&
		 nfq_nlmsg_parse(nlh, attr) == MNL_CB_OK;
	/* A failed parse still keeps the attributes read before the fault. */
	if (!attr[NFQA_PACKET_HDR]) {
		log_rl(&q->rl, LOG_ERR,
		       "queue %u: packet message without a packet id; "
		       "it stays queued until the queue is closed",
		       q->queue_num);
		return 0;
	}
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	id = ntohl(ph->packet_id);

	if (!parsed || cut || !attr[NFQA_PAYLOAD]) {
		log_rl(&q->rl, LOG_WARNING,
		       "queue %u: unreadable message for packet %u: dropped",
		       q->queue_num, id);
	} else if (attr[NFQA_CAP_LEN] &&
		   ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN])) !=
		   mnl_attr_get_payload_len(attr[NFQA_PAYLOAD])) {
		log_rl(&q->rl, LOG_WARNING,
		       "queue %u: packet %u arrived cut short: dropped",
		       q->queue_num, id);
	} else {
		verdict = h(mnl_attr_get_payload(attr[NFQA_PAYLOAD]),
			    mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]), arg);
		/* Anything but an explicit accept fails closed. */
		if (verdict != NF_ACCEPT)
			verdict = NF_DROP;
	}
	return send_verdict(q, id, verdict) < 0 ? CKQ_ERR_IO : 1;
}

static int walk(struct nfqueue *q, size_t n, bool truncated,
		nfqueue_handler h, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)q->buf;
	int len = (int)n, count = 0, err = 0, saved = 0, r;

	while (len >= (int)sizeof(*nlh)) {
		bool cut = false;

		if (nlh->nlmsg_len < sizeof(*nlh) ||
		    (nlh->nlmsg_len > (uint32_t)len && !truncated)) {
			log_rl(&q->rl, LOG_ERR,
			       "queue %u: malformed netlink batch",
			       q->queue_num);
			break;
		}
		if (nlh->nlmsg_len > (uint32_t)len) {
			/* What did arrive usually holds the id, enough to drop it. */
			nlh->nlmsg_len = (uint32_t)len;
			cut = true;
		}
		r = handle_msg(q, nlh, cut, h, arg);
		if (r > 0) {
			count++;
		} else if (r < 0) {
			err = r;
			saved = errno;
		}
		if (cut)
			break;
		nlh = mnl_nlmsg_next(nlh, &len);
	}
	if (err) {
		errno = saved;
		return err;
	}
	return count;
}

int nfqueue_process(struct nfqueue *q, nfqueue_handler h, void *arg)
{
	struct sockaddr_nl sa;
	struct iovec iov = { .iov_base = q->buf, .iov_len = q->buf_size };
	struct msghdr msg = {
		.msg_name = &sa, .msg_namelen = sizeof(sa),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n;

	n = recvmsg(mnl_socket_get_fd(q->nl), &msg, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == ENOBUFS) {
			q->enobufs++;
			log_rl(&q->rl, LOG_WARNING,
			       "queue %u: fell behind, the kernel dropped packets",
			       q->queue_num);
			return 0;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return CKQ_ERR_IO;
	}
	/* Only the kernel may hand us packets. */
	if (msg.msg_namelen != sizeof(sa) || sa.nl_pid != 0) {
		log_rl(&q->rl, LOG_WARNING,
		       "queue %u: ignoring netlink message from port %u",
		       q->queue_num, sa.nl_pid);
		return 0;
	}
	return walk(q, (size_t)n, msg.msg_flags & MSG_TRUNC, h, arg);
}

static int drop_all(const uint8_t *pkt, size_t len, void *arg)
{
	(void)pkt;
	(void)len;
	(void)arg;
	return NF_DROP;
}

static int wait_ack(struct nfqueue *q)
{
	uint64_t deadline = mono_ms() + BIND_TIMEOUT_MS, now;
	struct pollfd pfd = { .fd = mnl_socket_get_fd(q->nl), .events = POLLIN };
	int i, r;

	for (i = 0; i < BIND_MAX_BATCHES && !q->acked; i++) {
		now = mono_ms();
		if (now >= deadline)
			break;
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		/*
		 * Packets can be queued before the answer arrives; nobody can
		 * judge them yet, so they are dropped like a full queue would.
		 */
		if (nfqueue_process(q, drop_all, NULL) < 0)
			return -1;
	}
	if (!q->acked) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (q->ack_err) {
		errno = q->ack_err;
		return -1;
	}
	return 0;
}

static int bind_queue(struct nfqueue *q, uint32_t maxlen)
{
	struct nlmsghdr *nlh;
	int r;

	/* One message, so the queue never exists with half its settings. */
	nlh = nfq_nlmsg_put((char *)q->buf, NFQNL_MSG_CONFIG, q->queue_num);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = q->ack_seq = (uint32_t)mono_ms() | 1;
	/* The family is ignored for BIND: one queue takes IPv4 and IPv6. */
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	/* The kernel caps this at 65531; longer packets come cut and drop. */
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, COPY_RANGE);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, maxlen);
	/*
	 * Fail open would accept packets we never saw whenever the queue is
	 * full; state "closed" even though it is the default.
	 */
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(0));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	r = wait_ack(q);
	q->ack_seq = 0;
	return r;
}

static void set_options(struct nfqueue *q, uint32_t maxlen)
{
	int fd = mnl_socket_get_fd(q->nl), one = 1, size;
	uint64_t want = (uint64_t)maxlen * RCVBUF_PER_PACKET;

	/* Overruns then show only in SO_MEMINFO, read by nfqueue_dropped(). */
	if (mnl_socket_setsockopt(q->nl, NETLINK_NO_ENOBUFS, &one, sizeof(one)) < 0)
		log_warn("queue %u: cannot set NETLINK_NO_ENOBUFS: %s",
			 q->queue_num, strerror(errno));
	/* Room for a full queue, so the queue length is the limit that bites. */
	size = want < RCVBUF_MIN ? RCVBUF_MIN :
	       want > RCVBUF_MAX ? RCVBUF_MAX : (int)want;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		log_warn("queue %u: cannot set the receive buffer to %d bytes: %s",
			 q->queue_num, size, strerror(errno));
}

struct nfqueue *nfqueue_open(uint16_t queue_num, uint32_t queue_maxlen)
{
	struct nfqueue *q;
	const char *what = NULL;
	int saved;

	if (!queue_maxlen)
		queue_maxlen = NFQUEUE_DEFAULT_MAXLEN;
	q = calloc(1, sizeof(*q));
	if (!q) {
		log_err("queue %u: out of memory", queue_num);
		return NULL;
	}
	q->queue_num = queue_num;
	q->rl = (struct ratelimit)RATELIMIT_INIT(10, 1);
	/* The largest copy plus netlink headers, as in nf-queue.c. */
	q->buf_size = COPY_RANGE + (size_t)MNL_SOCKET_BUFFER_SIZE / 2;
	q->buf = calloc(1, q->buf_size);
	if (!q->buf) {
		what = "cannot allocate the receive buffer";
		goto fail;
	}
	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!q->nl) {
		what = "cannot open a netfilter netlink socket";
		goto fail;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		what = "cannot bind the netlink socket";
		goto fail;
	}
	set_options(q, queue_maxlen);
	if (bind_queue(q, queue_maxlen) < 0) {
		saved = errno;
		log_err("cannot bind queue %u: %s%s", queue_num, strerror(saved),
			saved == EPERM ? " (need CAP_NET_ADMIN, or another "
					 "process holds the queue)" : "");
		nfqueue_close(q);
		errno = saved;
		return NULL;
	}
	return q;

fail:
	saved = errno;
	log_err("queue %u: %s: %s", queue_num, what, strerror(saved));
	nfqueue_close(q);
	errno = saved;
	return NULL;
}

int nfqueue_fd(const struct nfqueue *q)
{
	return mnl_socket_get_fd(q->nl);
}

uint64_t nfqueue_dropped(const struct nfqueue *q)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (!q)
		return 0;
	if (getsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_MEMINFO,
		       mem, &len) == 0 && len > SK_MEMINFO_DROPS * sizeof(mem[0]))
		return q->enobufs > mem[SK_MEMINFO_DROPS] ?
		       q->enobufs : mem[SK_MEMINFO_DROPS];
	return q->enobufs;
}

void nfqueue_close(struct nfqueue *q)
{
	if (!q)
		return;
	/* Closing unbinds; the kernel drops whatever is still queued. */
	if (q->nl)
		mnl_socket_close(q->nl);
	free(q->buf);
	free(q);
}
