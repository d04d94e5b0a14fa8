/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_NFQ_H
#define CKQ_NFQ_H

#include <stddef.h>
#include <stdint.h>

/*
 * The netfilter queue, knowing nothing of ckq. The prefix is nfqueue_, not
 * nfq_: libnetfilter_queue already exports nfq_fd() and nfq_close() with
 * other signatures.
 */
struct nfqueue;

#define NFQUEUE_DEFAULT_MAXLEN 1024

/*
 * Binds queue_num, copying whole packets, failing closed: when the queue or
 * our socket is full the kernel drops. queue_maxlen 0 means the default.
 * Packets queued while it waits for the kernel's answer are dropped. Logs
 * why and returns NULL with errno set when it cannot (EPERM: no
 * CAP_NET_ADMIN, or another socket holds the queue).
 */
struct nfqueue *nfqueue_open(uint16_t queue_num, uint32_t queue_maxlen);

int nfqueue_fd(const struct nfqueue *q);

/*
 * Gets one whole IP packet, valid only during the call; returns NF_ACCEPT
 * or NF_DROP (<linux/netfilter.h>). Any other value is taken as NF_DROP.
 */
typedef int (*nfqueue_handler)(const uint8_t *pkt, size_t len, void *arg);

/*
 * Reads what one recv() returns without blocking and gives each packet in
 * it exactly one verdict: the handler's, or NF_DROP for a packet it cannot
 * read. Returns the number of packets (0 when nothing was waiting, or the
 * batch held none; poll again), or CKQ_ERR_IO (errno set) when the socket
 * failed or a verdict could not be sent; the other packets of the batch
 * get theirs regardless. The kernel's overruns are counted, not errors.
 */
int nfqueue_process(struct nfqueue *q, nfqueue_handler h, void *arg);

/*
 * Queued packets the kernel could not hand to us (socket overruns). Drops
 * on a full queue are the kernel's own count, in the queue_dropped column
 * of /proc/net/netfilter/nfnetlink_queue.
 */
uint64_t nfqueue_dropped(const struct nfqueue *q);

void nfqueue_close(struct nfqueue *q);

#endif
