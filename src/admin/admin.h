/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_ADMIN_H
#define CKQ_ADMIN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "grant.h"

extern const char *admin_dir;

int init_main(int argc, char *argv[]);
int add_user_main(int argc, char *argv[]);
int del_user_main(int argc, char *argv[]);
int revoke_main(int argc, char *argv[]);
int list_main(int argc, char *argv[]);
int status_main(int argc, char *argv[]);
int close_main(int argc, char *argv[]);
int stats_main(int argc, char *argv[]);
int check_main(int argc, char *argv[]);
int web_main(int argc, char *argv[]);
int unlock_main(int argc, char *argv[]);

/* Parses the common "-c DIR" and "--help"; returns the index of the first operand or -1. */
int admin_getopt(int argc, char *argv[], const char *usage, int *ret);

/* SIGHUP to a running ckqd; returns 1 if signalled, 0 if none runs. */
int reload_daemon(void);
/*
 * SIGHUP to a running ckqd, then waits (10 s at most) until ckqd says a
 * reload that began after this call read users/ is in force. 1 when it is
 * (and, with must_load, ckqd loaded NAME rather than refusing them as
 * unreadable), 0 when no ckqd runs, < 0 with why in err otherwise.
 */
int reload_confirm(const char *name, bool must_load, char *err, size_t err_len);
/* The pid of the running ckqd named by the pid file, or 0. */
long daemon_pid(void);
/*
 * The user ckqd drops to (user in ckqd.conf) must be able to reread the
 * users files, which are root's and in its group: 1 and its ids (root is 0 and 0), or 0 when there is nobody
 * to give them to (no such user yet, no readable ckqd.conf).
 */
int daemon_owner(uid_t *uid, gid_t *gid);
/*
 * Makes DIR/users root's, group ckqd's user's, mode 0750; 0 when done or
 * nothing to do.
 */
int users_dir_give(void);

/*
 * A grant handle on the backend ckqd.conf names (grants = ipset | nft);
 * NULL with errno set, or with EINVAL after saying why ckqd.conf is broken.
 */
struct grant *admin_grant_open(void);

/* Closes what matches user (comment) or addr; returns how many, or < 0. */
int close_grants(const char *user, const struct ckq_addr *addr, bool quiet);
void set_port_str(const char *set, char *out, size_t out_len);

void qr_print(const char *text);
/* The same QR code as SVG markup, malloc'd; it encodes the secret: wipe it. */
char *qr_svg(const char *text, size_t *len);

#endif
