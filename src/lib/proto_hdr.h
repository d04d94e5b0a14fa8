/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every suite's messages share (doc/protocol.md 3.1, 11.3): the
 * 8-byte header and the span builders of the labels and associated data.
 */
#ifndef CKQ_PROTO_HDR_H
#define CKQ_PROTO_HDR_H

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "proto.h"

#define LABEL(l) ((struct span){ (l), sizeof(l) - 1 })
#define SPAN(p, n) ((struct span){ (p), (n) })

static inline void hdr_put(struct wbuf *w, uint8_t suite, uint8_t type)
{
	wbuf_put(w, CKQ_MAGIC, 3);
	wbuf_u8(w, CKQ_VERSION);
	wbuf_u8(w, suite);
	wbuf_u8(w, type);
	wbuf_u16(w, 0);
}

/* The type read, or a negative code; want_type 0 takes any type. */
static inline int hdr_get(struct cur *c, uint8_t want_suite, uint8_t want_type)
{
	const uint8_t *magic = cur_take(c, 3);
	uint8_t version = cur_u8(c), suite = cur_u8(c), type = cur_u8(c);
	uint16_t reserved = cur_u16(c);

	if (c->err)
		return CKQ_ERR_TRUNCATED;
	if (memcmp(magic, CKQ_MAGIC, 3))
		return CKQ_ERR_MAGIC;
	if (version != CKQ_VERSION)
		return CKQ_ERR_VERSION;
	if (suite != want_suite)
		return CKQ_ERR_SUITE;
	if (reserved != 0)
		return CKQ_ERR_FORMAT;
	if (want_type && type != want_type)
		return CKQ_ERR_TYPE;
	return type;
}

#endif
