/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_CLIENT_H
#define CKQ_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "proto.h"	/* CKQ_USER_MAX */

/* Exit codes, documented in ckq --help and the README. */
enum {
	EXIT_GRANTED = 0,
	EXIT_REFUSED = 1,	/* refused, or no answer */
	EXIT_INPUT = 2,		/* bad input or a local problem */
	EXIT_AUTH = 3,		/* an answer that the server's key did not sign */
};

int keygen_main(int argc, char *argv[]);
int add_server_main(int argc, char *argv[]);
int open_main(int argc, char *argv[]);
int close_main(int argc, char *argv[]);
int proxy_main(int argc, char *argv[]);

/*
 * ckq proxy's knock: the options of 'ckq open', the status line on stderr,
 * the code never read from stdin. Returns the exit code; *granted once
 * tcp/PORT is open, with the address and port to connect to.
 */
int proxy_knock(int argc, char *argv[], struct ckq_addr *server, uint16_t *port,
		bool *granted);

/* DIR/servers/NAME.conf, as add-server writes it. */
struct server_conf {
	struct ckq_addr addr;
	uint32_t knock_port;		/* 0 when not given */
	char user[CKQ_USER_MAX + 1];	/* empty when not given */
};

/* Says what is wrong on stderr; returns 0 or a negative CKQ_ERR_*. */
int server_conf_read(const char *dir, const char *name, struct server_conf *sc);

/* The client's directory: -d, $CKQ_DIR, or $XDG_CONFIG_HOME/ckq, ~/.config/ckq. */
const char *client_dir(const char *opt);
int client_dir_prepare(const char *dir);

#endif
