/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ckq-admin check: check.c checks the files, the users and their sets;
 * check_rules.c what the kernel runs (ckqd on its queues, the rule that
 * sends the knock port there, the layouts of rules/).
 */
#ifndef CKQ_ADMIN_CHECK_H
#define CKQ_ADMIN_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "nftrules.h"

/* The ports of the users, each with who may open it. */
struct port_use {
	uint8_t proto;
	uint16_t port;
	char users[80];
};

struct port_uses {
	struct port_use *p;
	size_t n, cap;
};

/* One line "KIND: ..." on stdout; every KIND but "note" counts as a problem. */
__attribute__((format(printf, 2, 3)))
void say(const char *kind, const char *fmt, ...);

/* "queue N" or "queues N-M", in buf. */
const char *queues_str(char *buf, size_t len, uint32_t first, uint32_t n);
void check_bound(const struct ckqd_conf *conf, long *pid_out);
void check_rule(const struct ckqd_conf *conf, const struct nftrules_ruleset *rs, bool have_rs,
		char *where, size_t where_len);
void check_layouts(const struct port_uses *pu, struct nftrules_ruleset *rs, bool have_rs);

#endif
