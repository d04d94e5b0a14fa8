/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_CLIENT_H
#define CKQ_CLIENT_H

#include <stddef.h>

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

/* The client's directory: -d, $CKQ_DIR, or $XDG_CONFIG_HOME/ckq, ~/.config/ckq. */
const char *client_dir(const char *opt);
int client_dir_prepare(const char *dir);

#endif
