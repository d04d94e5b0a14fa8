/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "knock.h"
#include "log.h"	/* mono_ms */
#include "util.h"

#define OTP_COMMAND_MS 60000

static void reap(pid_t pid, uint64_t deadline, int *status)
{
	while (waitpid(pid, status, WNOHANG) == 0) {
		if (mono_ms() >= deadline) {
			kill(pid, SIGKILL);
			deadline = UINT64_MAX;
		}
		usleep(10000);
	}
}

/* The first line that --otp-command prints, within OTP_COMMAND_MS. */
enum knock_wait otp_run_command(const struct knock *k, uint64_t until, char *buf, size_t size)
{
	uint64_t deadline = mono_ms() + OTP_COMMAND_MS;
	bool got_line = false, stop = false, late = until && until < deadline;
	enum knock_wait ret = KNOCK_FAILED;
	int p[2], status = 0;
	size_t n = 0;
	pid_t pid;

	buf[0] = '\0';
	if (late)
		deadline = until;
	fflush(NULL);
	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		fprintf(stderr, "ckq %s: cannot run --otp-command: %s\n", k->cmd, strerror(errno));
		return KNOCK_FAILED;
	}
	if (pid == 0) {
		int null = k->proxy ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;

		if (dup2(p[1], STDOUT_FILENO) < 0 ||
		    (k->proxy && (null < 0 || dup2(null, STDIN_FILENO) < 0)))
			_exit(127);
		if (k->child_mask)
			sigprocmask(SIG_SETMASK, k->child_mask, NULL);
		execl("/bin/sh", "sh", "-c", k->otp_command, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	/* To its end, so the command is not killed by SIGPIPE for a long line. */
	while (!stop) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		uint64_t now = mono_ms();
		struct timespec ts = ms_ts(deadline > now ? deadline - now : 0);
		char chunk[256];
		ssize_t r, i;

		if (knock_interrupted(k)) {
			ret = KNOCK_INTR;
			break;
		}
		if (now >= deadline) {
			if (late)
				ret = KNOCK_LATE;
			else
				fprintf(stderr, "ckq %s: --otp-command printed no line in %d s\n",
					k->cmd, OTP_COMMAND_MS / 1000);
			break;
		}
		if (ppoll(&pfd, 1, &ts, k->wait_mask) <= 0)
			continue;
		r = read(p[0], chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			stop = true;
			ret = KNOCK_OK;
		}
		for (i = 0; i < r && !got_line; i++) {
			if (chunk[i] == '\n')
				got_line = true;
			else if (n + 1 < size)
				buf[n++] = chunk[i];
		}
		wipe(chunk, sizeof(chunk));
	}
	buf[n] = '\0';
	close(p[0]);
	if (ret != KNOCK_OK)
		kill(pid, SIGTERM);
	reap(pid, mono_ms() + 1000, &status);
	if (ret == KNOCK_OK && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		if (WIFEXITED(status))
			fprintf(stderr, "ckq %s: --otp-command exited with status %d\n",
				k->cmd, WEXITSTATUS(status));
		else
			fprintf(stderr, "ckq %s: --otp-command was killed by signal %d\n",
				k->cmd, WTERMSIG(status));
		ret = KNOCK_FAILED;
	}
	otp_trim(buf);
	return ret;
}
