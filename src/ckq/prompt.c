/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

#include "knock.h"
#include "log.h"	/* mono_ms */

/*
 * Asks on the terminal, or on stdin and stderr when there is none (but in
 * proxy mode, where stdin carries the connection). deadline: 0 or mono_ms.
 */
enum knock_wait otp_prompt(const struct knock *k, const char *why, bool bell, uint64_t deadline,
			   char *buf, size_t size)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int in = fd >= 0 ? fd : STDIN_FILENO, out = fd >= 0 ? fd : STDERR_FILENO;
	struct termios t;
	bool tty, quiet = false;
	size_t n = 0;
	enum knock_wait ret = KNOCK_OK;

	buf[0] = '\0';
	if (fd < 0 && k->proxy) {
		fprintf(stderr, "ckq %s: no terminal to ask the one-time code on: "
				"give --otp CODE or --otp-command CMD\n", k->cmd);
		return KNOCK_FAILED;
	}
	dprintf(out, "%sOne-time code for %s@%s%s: ", bell ? "\a" : "", k->user,
		k->server_name, why);
	tty = isatty(in);
	if (tty && tcgetattr(in, &t) == 0) {
		struct termios noecho = t;

		noecho.c_lflag &= ~(tcflag_t)ECHO;
		quiet = tcsetattr(in, TCSAFLUSH, &noecho) == 0;
	}
	/* A byte at a time: what follows the line on stdin is not ours. */
	for (;;) {
		struct pollfd pfd = { .fd = in, .events = POLLIN };
		struct timespec ts, *tsp = NULL;
		uint64_t now = mono_ms();
		ssize_t r;
		char c;

		if (knock_interrupted(k)) {
			ret = KNOCK_INTR;
			break;
		}
		if (deadline) {
			if (now >= deadline) {
				ret = KNOCK_LATE;
				break;
			}
			ts = ms_ts(deadline - now);
			tsp = &ts;
		}
		r = ppoll(&pfd, 1, tsp, k->wait_mask);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		r = read(in, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n + 1 < size)
			buf[n++] = c;
	}
	buf[n] = '\0';
	if (quiet)
		tcsetattr(in, TCSAFLUSH, &t);
	if (tty)
		dprintf(out, "\n");
	if (fd >= 0)
		close(fd);
	otp_trim(buf);
	return ret;
}
