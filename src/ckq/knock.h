/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pieces of one knock (ckq open, close and proxy), shared by its files. */
#ifndef CKQ_KNOCK_H
#define CKQ_KNOCK_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "ckq.h"
#include "crypto.h"
#include "proto.h"
#include "proto2.h"

/*
 * How a wait for a code or for the time to renew ended. A type of its own:
 * the exit codes are ints, and none of these is ever taken for one.
 */
enum knock_wait {
	KNOCK_OK,
	KNOCK_FAILED,	/* a local problem, already said: EXIT_INPUT */
	KNOCK_INTR,	/* a signal ended --keep */
	KNOCK_LATE,	/* no code before the deadline: its grant has ended */
};

struct knock {
	const char *cmd;		/* open, close or proxy, for messages */
	const char *dir;
	const char *server_name;
	char address[CKQ_ADDR_STRLEN];
	struct ckq_addr server_addr;
	uint32_t knock_port;
	char user[CKQ_USER_MAX + 1];
	struct ckq_key *server, *client;	/* suite 1 */
	uint8_t suite;			/* the user's key's: 1 (RSA) or 2 (Ed25519) */
	struct s2_server s2;		/* suite 2: the server's X25519 key */
	struct ckq_sshkey ssh;		/* suite 2: the user's key */
	uint8_t seed[CKQ_ED25519_LEN];	/* suite 2, from a key file (when !agent) */
	bool agent;			/* suite 2: sign through ssh-agent */
	const uint8_t *server_fp;	/* the fingerprint of the suite's server key */
	bool has_x25519;		/* the server's key file has its X25519 key, */
	uint8_t x25519[CKQ_X25519_LEN];	/* this one */
	char server_file[PATH_MAX];	/* that file, for messages */
	struct ckq_request req;
	uint32_t attempts, timeout_ms;
	unsigned int unauthentic;	/* answers that failed authentication */
	int fd;
	bool nat;
	bool brief;			/* one line per failure, not the causes */
	bool proxy;			/* stdin is the connection's: never read it */
	char local[CKQ_ADDR_STRLEN];	/* the address asked for, then granted */
	FILE *status;			/* where the result line goes */
	const char *otp_command;
	/*
	 * Only with --keep: SIGINT and SIGTERM stay blocked but while waiting,
	 * so they end a wait rather than a half-done step.
	 */
	const sigset_t *wait_mask, *child_mask;
	sig_atomic_t signals_seen;
};

struct knock_opts {
	const char *dir, *otp, *server_key, *port_opt, *source_ip;
	bool keep, close_on_exit, agent;
};

static inline struct timespec ms_ts(uint64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	return ts;
}

/* options.c: whether the command goes on; if not, *exit_code is what it exits with. */
bool knock_parse(int argc, char *argv[], const char *cmd, struct knock *k,
		 struct knock_opts *o, int *exit_code);

/* knock.c: the result line; a time from the server as HH:MM:SS. */
void knock_print_result(const struct knock *k, const char *verb, const struct ckq_result *res);
const char *knock_clock_str(uint64_t t, char *buf, size_t size);

/*
 * otp.c: the code for one knock, from --otp-command or asked; `why` ends
 * the prompt. KNOCK_LATE when the deadline (mono_ms, 0 for none) passed first.
 */
enum knock_wait otp_get(const struct knock *k, const char *why, bool bell, uint64_t deadline,
			uint32_t *otp);
/* 6 to 8 digits. */
bool otp_valid(const char *s);
/* Drops the line's end and trailing spaces. */
void otp_trim(char *buf);
/*
 * The two sources: the terminal (prompt.c), and the first line that
 * --otp-command prints (otp_command.c). `until` as otp_get's deadline.
 */
enum knock_wait otp_prompt(const struct knock *k, const char *why, bool bell, uint64_t deadline,
			   char *buf, size_t size);
enum knock_wait otp_run_command(const struct knock *k, uint64_t until, char *buf, size_t size);

/*
 * exchange.c: one knock, with a fresh session key, nonce and timestamp:
 * what can be called again and again once the keys are loaded. Returns an
 * exit code: EXIT_REFUSED when a signal ended it (knock_interrupted() says so).
 */
int knock_once(struct knock *k, uint8_t request, uint32_t otp, struct ckq_result *res);

/* keep.c: whether a signal ended --keep's current wait. */
bool knock_interrupted(const struct knock *k);
/*
 * --keep: renews the grant until SIGINT or SIGTERM; returns the exit code.
 * last_otp is the code of the knock that got res.
 */
int keep_open(struct knock *k, const struct knock_opts *o, struct ckq_result *res,
	      uint32_t last_otp);

#endif
