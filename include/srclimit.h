/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_SRCLIMIT_H
#define CKQ_SRCLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/*
 * Token buckets per source address, in a table allocated once. It guards
 * the private-key work: a source that holds the server's public key can pass
 * the pre-check, but not spend more than `rate` RSA operations a second.
 * IPv6 sources count per /64, since one host commonly holds a whole /64.
 */
struct srclimit;

struct srclimit *srclimit_new(size_t capacity, uint32_t burst, uint32_t per_sec);
void srclimit_free(struct srclimit *s);
/* True when src may spend one token now. */
bool srclimit_take(struct srclimit *s, const struct ckq_addr *src, uint64_t now_ms);
size_t srclimit_memory(const struct srclimit *s);

/* SipHash-2-4: keys the table so a sender cannot aim at one bucket chain. */
uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

#endif
