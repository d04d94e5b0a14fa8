/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_STATS_H
#define CKQ_STATS_H

#include <stddef.h>
#include <stdint.h>

/*
 * ckqd's counters, written to a file in the Prometheus text exposition
 * format (version 0.0.4) that node_exporter's textfile collector reads as
 * it is, and read back by ckq-admin stats.
 */

/* Why a knock message was refused, in the order of doc/protocol.md §4. */
enum ckq_refusal {
	CKQ_REFUSE_REPLAY,
	CKQ_REFUSE_RATE_LIMITED,
	CKQ_REFUSE_UNDECRYPTABLE,
	CKQ_REFUSE_UNKNOWN_USER,
	CKQ_REFUSE_REVOKED,
	CKQ_REFUSE_BAD_SIGNATURE,
	CKQ_REFUSE_STALE_TIMESTAMP,
	CKQ_REFUSE_EXPIRED,
	CKQ_REFUSE_SOURCE_NOT_ALLOWED,
	CKQ_REFUSE_NAT_NOT_ALLOWED,
	CKQ_REFUSE_ADDRESS_MISMATCH,
	CKQ_REFUSE_PORT_NOT_ALLOWED,
	CKQ_REFUSE_BAD_OTP,
	CKQ_REFUSE_OTP_LOCKED,		/* too many wrong codes with the user's key */
	CKQ_REFUSE_REPLAY_CACHE_FULL,
	CKQ_REFUSE_UNKNOWN_SESSION,
	CKQ_REFUSE_NONCE_REUSED,
	CKQ_REFUSE_BAD_RESPONSE,
	CKQ_REFUSE_IPSET,		/* the kernel refused the grant */
	CKQ_REFUSE_N
};

/* "bad_otp": the word of the log line "knock refused reason=..." */
const char *stats_reason_name(enum ckq_refusal r);
/* What the reason of that name means, for people; NULL for no reason of ckqd's. */
const char *stats_reason_text(const char *name);

struct ckq_stats {
	/* counters */
	uint64_t packets;		/* taken from the queue */
	uint64_t granted, closed;
	uint64_t refused[CKQ_REFUSE_N];
	uint64_t junk;			/* failed the parse or the pre-check */
	uint64_t retransmits;
	uint64_t cookies;		/* cookie replies sent instead of key work */
	uint64_t send_errors;
	uint64_t queue_drops;		/* the kernel's, before ckqd saw them */
	uint64_t priv_ops, pub_ops;	/* RSA, X25519 and Ed25519 operations, crypto_stats_now() */
	/* gauges */
	uint64_t pending, pending_max;
	uint64_t replay_entries, replay_max;
	uint64_t users;
	uint64_t start_time;		/* Unix time */
};

#define STATS_TEXT_MAX 8192

uint64_t stats_refused_total(const struct ckq_stats *s);

/*
 * Writes the exposition text into buf, NUL-terminated. Returns its length,
 * or CKQ_ERR_RANGE if buf is too small (STATS_TEXT_MAX always suffices).
 */
int stats_format(const struct ckq_stats *s, char *buf, size_t buf_len);

/*
 * Reads what stats_format wrote into *s (zeroed first). Samples of other
 * names or labels are skipped, so a newer ckqd's file still reads.
 * CKQ_ERR_FORMAT, with the line number in *bad_line, for a line that is not
 * a comment, a blank or "name[{label="value"}] value".
 */
int stats_parse(const char *text, size_t len, struct ckq_stats *s, unsigned int *bad_line);

#endif
