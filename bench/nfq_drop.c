/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ceiling for ckqd's junk rate: a netfilter queue reader that does
 * nothing but drop, receiving and answering the way ckqd's src/ckqd/nfq.c
 * does (one recvmsg a batch, the attributes parsed, one verdict message a
 * packet, the same queue length and receive buffer), and nothing else.
 *
 *   nfq_drop [-q FIRST_QUEUE] [-n QUEUES] [-l QUEUE_MAXLEN] [-t SECONDS] [-B] [-M] [-S]
 *
 * One thread a queue. To show what ckqd could save: -B answers what one
 * poll wakeup drained with one NFQNL_MSG_VERDICT_BATCH message; -M also
 * takes up to 64 packets a system call with recvmmsg(2) (each netlink
 * message is one datagram, so recv() takes one packet), copying at most
 * 2048 bytes of each, which is more than a knock message can be. -S adds
 * what ckqd's workers share per packet: a read lock taken and released
 * around each receive call and two counters incremented atomically.
 * Prints "ready" once every queue is bound; runs until SIGTERM or SECONDS,
 * then prints "verdicts N".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>

#define COPY_RANGE 0xffff
#define MMSG_N 64
#define MMSG_COPY 2048
#define MMSG_BUF (MMSG_COPY + 512)
#define RCVBUF_PER_PACKET 4096
#define RCVBUF_MIN (256 * 1024)

static volatile sig_atomic_t stop;
static atomic_uint bound;
static bool batch_verdicts, use_mmsg, shared;
static pthread_rwlock_t shared_lock = PTHREAD_RWLOCK_INITIALIZER;
static uint64_t shared_packets, shared_junk;
static uint32_t queue_maxlen = 1024;

struct worker {
	pthread_t thread;
	uint16_t queue;
	uint64_t verdicts;
	int err;
};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int verdict(struct mnl_socket *nl, uint16_t queue, uint32_t id, bool batch)
{
	union {
		char buf[128];
		struct nlmsghdr align;
	} u;
	struct nlmsghdr *nlh = nfq_nlmsg_put(u.buf, batch ? NFQNL_MSG_VERDICT_BATCH :
					     NFQNL_MSG_VERDICT, queue);

	nfq_nlmsg_verdict_put(nlh, (int)id, NF_DROP);
	return mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

static int bind_queue(struct mnl_socket *nl, uint16_t queue)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	int one = 1, size = queue_maxlen * RCVBUF_PER_PACKET;

	if (size < RCVBUF_MIN)
		size = RCVBUF_MIN;
	mnl_socket_setsockopt(nl, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, use_mmsg ? MMSG_COPY : COPY_RANGE);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, queue_maxlen);
	return mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

/* The id of the packet in one netlink message, or 0. */
static uint32_t packet_id(const struct nlmsghdr *nlh)
{
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	const struct nfqnl_msg_packet_hdr *ph;

	if (nlh->nlmsg_type < NLMSG_MIN_TYPE ||
	    nfq_nlmsg_parse(nlh, attr) != MNL_CB_OK || !attr[NFQA_PACKET_HDR])
		return 0;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	return ntohl(ph->packet_id);
}

/* Verdicts for the packets of one datagram; returns the last id. */
static uint32_t walk(struct worker *w, struct mnl_socket *nl, void *buf, size_t n)
{
	struct nlmsghdr *nlh = buf;
	uint32_t id, last = 0;
	int len;

	for (len = (int)n; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		id = packet_id(nlh);
		if (!id)
			continue;
		last = id;
		w->verdicts++;
		if (shared) {
			__atomic_add_fetch(&shared_packets, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&shared_junk, 1, __ATOMIC_RELAXED);
		}
		if (!batch_verdicts)
			verdict(nl, w->queue, id, false);
	}
	return last;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	size_t size = use_mmsg ? (size_t)MMSG_N * MMSG_BUF :
		      (size_t)COPY_RANGE + MNL_SOCKET_BUFFER_SIZE / 2;
	uint8_t *buf = malloc(size);
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	struct mmsghdr mm[MMSG_N];
	struct iovec iov[MMSG_N];
	struct pollfd pfd;
	int i;

	if (!buf || !nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    bind_queue(nl, w->queue) < 0) {
		w->err = errno ? errno : EINVAL;
		goto out;
	}
	atomic_fetch_add(&bound, 1);
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < MMSG_N; i++) {
		iov[i].iov_base = buf + (size_t)i * MMSG_BUF;
		iov[i].iov_len = MMSG_BUF;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	pfd.fd = mnl_socket_get_fd(nl);
	pfd.events = POLLIN;
	while (!stop) {
		uint32_t last = 0, id;
		int batches = 0;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		/* As ckqd: at most 64 receive calls a wakeup. */
		while (batches++ < 64 && !stop) {
			if (use_mmsg) {
				int got = recvmmsg(pfd.fd, mm, MMSG_N, MSG_DONTWAIT, NULL);

				if (got <= 0)
					break;
				for (i = 0; i < got; i++) {
					id = walk(w, nl, iov[i].iov_base, mm[i].msg_len);
					if (id)
						last = id;
				}
			} else {
				ssize_t n;

				if (shared)
					pthread_rwlock_rdlock(&shared_lock);
				n = recv(pfd.fd, buf, size, MSG_DONTWAIT);
				id = n > 0 ? walk(w, nl, buf, (size_t)n) : 0;
				if (shared)
					pthread_rwlock_unlock(&shared_lock);
				if (n <= 0)
					break;
				if (id)
					last = id;
			}
		}
		/* One message for every id up to the last one drained. */
		if (batch_verdicts && last)
			verdict(nl, w->queue, last, true);
	}
out:
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	return NULL;
}

int main(int argc, char *argv[])
{
	unsigned int first = 0, n = 1, seconds = 600, i;
	struct worker *w;
	uint64_t total = 0;
	time_t end;
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "q:n:l:t:BMS")) != -1) {
		switch (opt) {
		case 'q': first = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'n': n = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'l': queue_maxlen = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 't': seconds = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'B': batch_verdicts = true; break;
		case 'M': batch_verdicts = use_mmsg = true; break;
		case 'S': shared = true; break;
		default:
			fprintf(stderr, "usage: nfq_drop [-q FIRST_QUEUE] [-n QUEUES] "
				"[-l QUEUE_MAXLEN] [-t SECONDS] [-B] [-M] [-S]\n");
			return 2;
		}
	}
	if (!n || n > 64 || first + n > 65536 || !queue_maxlen || !seconds || seconds > 3600)
		return 2;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	w = calloc(n, sizeof(*w));
	if (!w)
		return 1;
	for (i = 0; i < n; i++) {
		w[i].queue = (uint16_t)(first + i);
		if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0)
			return 1;
	}
	/* The caller starts its traffic once every queue is bound. */
	for (i = 0; i < 500 && atomic_load(&bound) < n; i++)
		usleep(10000);
	if (atomic_load(&bound) == n) {
		printf("ready\n");
		fflush(stdout);
	}
	end = time(NULL) + seconds;
	while (!stop && time(NULL) < end)
		usleep(50000);
	stop = 1;
	for (i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].err) {
			fprintf(stderr, "nfq_drop: queue %u: %s\n", w[i].queue, strerror(w[i].err));
			rc = 1;
		}
		total += w[i].verdicts;
	}
	printf("verdicts %llu\n", (unsigned long long)total);
	free(w);
	return rc;
}
