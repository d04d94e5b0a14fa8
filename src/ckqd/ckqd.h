/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQD_H
#define CKQD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "conf.h"
#include "log.h"
#include "otpguard.h"
#include "proto.h"
#include "proto2.h"
#include "stats.h"

struct pending_entry {
	bool used;
	bool done;			/* message 3 accepted, result sent */
	uint8_t suite;			/* message 1's: message 3 must be of the same */
	/*
	 * h1, sid and ns are read here whatever the suite (the indexes, the
	 * checks of message 3); suite 2 keeps its keys in s2 and copies them.
	 */
	struct ckq_session s;
	struct s2_session s2;
	struct ckq_addr src;
	uint16_t sport;
	char user[CKQ_USER_MAX + 1];
	uint8_t ufp[CKQ_FP_LEN];	/* the fingerprint of the key that signed message 1 */
	uint8_t request, proto;
	uint16_t port;
	uint32_t duration;
	uint64_t expires_ms;
	uint8_t h3[CKQ_HASH_LEN];	/* digest of the accepted message 3 */
	uint8_t reply[128];		/* the last answer, for retransmissions */
	size_t reply_len;
};

struct pending_ix;

/*
 * Pending challenges: a fixed table allocated once, so floods cannot grow it,
 * with hash indexes by session id and message-1 digest.
 */
struct pending {
	struct pending_entry *e;
	size_t cap;
	size_t count;
	struct pending_ix *ix;		/* private to pending.c */
};

int pending_init(struct pending *p, size_t cap);
void pending_free(struct pending *p);
/* Only entries passed to pending_index() are found. */
struct pending_entry *pending_by_sid(struct pending *p, const uint8_t sid[CKQ_SID_LEN]);
struct pending_entry *pending_by_h1(struct pending *p, const uint8_t h1[CKQ_HASH_LEN]);
/*
 * Always returns a slot, wiped: a free or expired one, else the one that
 * expires first (*evicted).
 */
struct pending_entry *pending_alloc(struct pending *p, uint64_t now_ms, bool *evicted);
/*
 * Call once s.sid, s.h1 and expires_ms are set, and again if any of them
 * changes: the indexes and the eviction order read them here.
 */
void pending_index(struct pending *p, struct pending_entry *e);
void pending_release(struct pending *p, struct pending_entry *e);
size_t pending_expire(struct pending *p, uint64_t now_ms);

/* Counters are bumped by every queue worker, outside d->lock. */
#define CNT_INC(x) __atomic_add_fetch(&(x), 1, __ATOMIC_RELAXED)

struct ckqd;

/*
 * Who holds a grant on (set, address), and until when: the kernel's entry
 * has one timeout and one comment, but several users behind one address
 * may each hold a grant on it (doc/protocol.md 3.7). Allocated at the
 * first grant, never grown; under d->lock.
 */
struct holder {
	char set[32];			/* GRANT_SETNAME_LEN */
	struct ckq_addr addr;
	char user[CKQ_USER_MAX + 1];
	uint64_t expires;		/* Unix seconds; 0: free slot */
};

#define HOLDERS_MAX 8192

/* holdtab.c: the holders, indexed by (set, address); expires > now: live. */
struct holdtab;

/* cap slots, allocated once; NULL when out of memory. */
struct holdtab *holdtab_new(size_t cap);
void holdtab_free(struct holdtab *t);
/* The live holder of (set, addr) with the latest end, other than user `not`. */
struct holder *holdtab_longest(struct holdtab *t, const char *set, const struct ckq_addr *addr,
			       const char *not, uint64_t now);
/* Forgets user's holder of (set, addr), or every one when user is NULL. */
void holdtab_drop(struct holdtab *t, const char *set, const struct ckq_addr *addr,
		  const char *user);
/*
 * Records user's grant on (set, addr) until `expires`. A full table gives
 * up the grant that ends first.
 */
void holdtab_set(struct holdtab *t, const char *set, const struct ckq_addr *addr,
		 const char *user, uint64_t expires, uint64_t now);
/* user's next live holder at or after slot *i, which it moves past; NULL: no more. */
struct holder *holdtab_next_of(struct holdtab *t, const char *user, size_t *i, uint64_t now);
/* h leaves the table; its set, address and user stay readable until the next holdtab_set. */
void holdtab_forget(struct holdtab *t, struct holder *h);

/*
 * Under load (doc/protocol.md 3.8): more than LOAD_PER_SEC message 1s that
 * would need the private key in one second (of either suite: an RSA
 * decryption or an X25519), and for LOAD_HOLD_MS after.
 * An RSA-2048 decryption costs 0.27 ms on a 2-core VM, several ms on a
 * Raspberry Pi-class board: 32 a second is at most a few percent of one
 * core there, and far more than the knocks of a household or an office.
 */
#define LOAD_PER_SEC 32
#define LOAD_HOLD_MS 1000
#define COOKIE_ROTATE_MS 120000

/*
 * One per netfilter queue, each in its own thread. The per-packet counters
 * are the worker's own, on a cache line of their own, so that workers on
 * different cores never write to one line per junk datagram; stats_write()
 * sums them.
 */
struct worker {
	_Alignas(64) uint64_t packets;
	uint64_t junk;
	struct ckqd *d;
	struct nfqueue *nfq;
	uint16_t queue;
	uint16_t knock_port;		/* restart-only: read without users_lock */
	pthread_t thread;
	bool running;
};

/* The one writer bumps, stats_write() reads from another thread. */
#define WCNT_INC(x) __atomic_store_n(&(x), __atomic_load_n(&(x), __ATOMIC_RELAXED) + 1, \
				     __ATOMIC_RELAXED)

struct ckqd {
	const char *dir;
	struct ckqd_conf conf;
	struct ckq_key *server;
	/* server-x25519.key (doc/protocol.md 11); NULL: suite 2 is off, its packets junk. */
	struct ckq_x25519 *x25519;
	struct s2_server s2;
	struct userdb *users;
	struct pending pending;
	struct replay *replay;
	struct srclimit *srclimit;
	struct grant *grant;
	struct worker *workers;
	size_t nworkers;
	/*
	 * lock: the pending table, the replay cache, the rate limiter, the
	 * users' TOTP steps, the ipset session and the state files. users_lock:
	 * workers read the user list and the settings while they handle a
	 * datagram that passed the pre-check; a reload replaces them under the
	 * write lock.
	 */
	pthread_mutex_t lock;
	pthread_rwlock_t users_lock;
	int raw4, raw6;
	struct otpguard otpguard;	/* wrong codes per user key; under lock */
	struct holdtab *holders;	/* HOLDERS_MAX, or NULL before the first grant */
	/* Cookies and load, under lock: [0] the current secret, [1] the last. */
	uint8_t cookie_secret[2][CKQ_HASH_LEN];
	uint64_t cookie_rotated_ms;	/* 0: no secret yet */
	uint64_t load_window_ms;
	uint32_t load_count;
	uint64_t under_load_until_ms;
	struct ckq_stats cnt;		/* the counters; gauges filled in when written */
	struct ratelimit rl_refuse, rl_grant, rl_junk, rl_error;
	uint64_t (*now)(void);		/* wall clock, seconds */
	bool debug;			/* -v: stays on across reloads */
	bool failed;			/* a worker stopped: exit 1 */
	bool state_dirty;		/* replay cache changed since saved */
	uint64_t state_saved_ms;
	uint64_t stats_saved_ms;
	bool stats_failing;		/* said once, not every few seconds */
};

/* arg: the struct worker whose queue the packet came from. */
int engine_packet(const uint8_t *pkt, size_t len, void *arg);

/*
 * holders.c: shared addresses (doc/protocol.md 3.7), under d->lock. user's
 * open of (set, addr) for duration seconds never shortens another's grant;
 * user's close ends only user's. 0 or a negative CKQ_ERR_*, after
 * holders_ready said the table is there.
 */
bool holders_ready(struct ckqd *d);
int grant_open_shared(struct ckqd *d, const char *set, const struct ckq_addr *addr,
		      const char *user, uint32_t duration, uint64_t now);
int grant_close_shared(struct ckqd *d, const char *set, const struct ckq_addr *addr,
		       const char *user, uint64_t now);
void engine_close_user(struct ckqd *d, const char *user);
void engine_free(struct ckqd *d);
/* d->cnt read counter by counter as the workers bump them (CNT_INC). */
void engine_counters(struct ckqd *d, struct ckq_stats *out);

/*
 * Users and the settings that may change while ckqd runs (the others are
 * kept: conf_keep_restart_only); hup_ms: when SIGHUP came, for the log.
 */
int reload_users(struct ckqd *d, bool initial, uint64_t hup_ms);
/* reload.state: the generations started and done, and the broken users. */
void reload_state_write(struct ckqd *d);
/* On SIGHUP, from the main loop: a generation started, read, done. */
void reload_signalled(struct ckqd *d, uint64_t hup_ms);

int state_load(struct ckqd *d);
/* Under d->lock: marks the state to be written by the main loop. */
int state_save(struct ckqd *d);

/* The state files' contents, taken under d->lock and written after it. */
struct state_snap {
	uint8_t *replay;
	size_t replay_len;
	char *steps;
	size_t steps_len;
};
/* Under d->lock; clears state_dirty. */
int state_snapshot(struct ckqd *d, struct state_snap *snap);
/* Without the lock, from the main thread: writes, fsyncs, frees snap. */
int state_write(struct ckqd *d, struct state_snap *snap);
void state_snap_free(struct state_snap *snap);

#endif
