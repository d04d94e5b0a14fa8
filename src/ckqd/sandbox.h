/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_SANDBOX_H
#define CKQ_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * What ckqd keeps: CAP_NET_ADMIN for the grants and the queue. CAP_NET_RAW
 * is checked when a raw socket is made, not when it sends: ckqd answers on
 * the two it opened as root, and tests/netns/privs.sh knocks through them.
 */
#define SANDBOX_CAPS "CAP_NET_ADMIN"

/*
 * Becomes user for good (groups cleared), keeping only CAP_NET_ADMIN,
 * permitted and bounding sets alike (uid 0 included), sets
 * no_new_privs and loads a seccomp filter that allows only what ckqd does
 * from then on and kills the process for anything else. Everything is read
 * back. Call it once, while single-threaded, after every socket that needs
 * privileges is open. On failure err says what did not stick; the process
 * may be half way and must exit.
 */
int sandbox_enter(const char *user, bool seccomp, char *err, size_t err_len);

#endif
