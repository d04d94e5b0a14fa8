/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ckq.h"

/* The grant exists before message 4 is sent: a connect needs no patience. */
#define PROXY_CONNECT_MS 10000
#define PROXY_BUF 16384

static int proxy_connect(const struct ckq_addr *a, uint16_t port)
{
	struct sockaddr_storage ss;
	struct pollfd pfd;
	socklen_t sl, el = sizeof(int);
	int fd, err = 0, r;

	sl = addr_to_sockaddr(a, port, &ss);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do
			r = poll(&pfd, 1, PROXY_CONNECT_MS);
		while (r < 0 && errno == EINTR);
		if (r == 0)
			errno = ETIMEDOUT;
		if (r <= 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			goto fail;
		if (err) {
			errno = err;
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* ssh may hand us non-blocking descriptors: wait for room rather than fail. */
static int write_all(int fd, bool sock, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = sock ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);

		if (w < 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			poll(&pfd, 1, -1);
			continue;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * stdin to the socket and the socket to stdout. At the end of stdin the
 * socket is half-closed and the answer still read: the server decides
 * when the connection ends.
 */
static int relay(int sock, const char *peer, uint16_t port)
{
	struct pollfd pfd[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = sock, .events = POLLIN },
	};
	uint8_t buf[PROXY_BUF];

	for (;;) {
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "ckq proxy: poll: %s\n", strerror(errno));
			return EXIT_REFUSED;
		}
		if (pfd[0].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
				continue;
			if (n <= 0) {
				shutdown(sock, SHUT_WR);
				pfd[0].fd = -1;
			} else if (write_all(sock, true, buf, (size_t)n) < 0) {
				fprintf(stderr, "ckq proxy: sending to %s tcp/%u: %s\n", peer, port,
					strerror(errno));
				return EXIT_REFUSED;
			}
		}
		if (pfd[1].revents) {
			n = recv(sock, buf, sizeof(buf), 0);
			if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
				continue;
			if (n == 0)
				return 0;
			if (n < 0) {
				fprintf(stderr, "ckq proxy: receiving from %s tcp/%u: %s\n", peer, port,
					strerror(errno));
				return EXIT_REFUSED;
			}
			/* Whoever read our stdout is gone: nothing left to relay for. */
			if (write_all(STDOUT_FILENO, false, buf, (size_t)n) < 0)
				return errno == EPIPE ? 0 : EXIT_REFUSED;
		}
	}
}

int proxy_main(int argc, char *argv[])
{
	char peer[CKQ_ADDR_STRLEN];
	struct ckq_addr server;
	uint16_t port = 0;
	bool granted;
	int ret, fd;

	ret = proxy_knock(argc, argv, &server, &port, &granted);
	if (!granted)
		return ret;
	signal(SIGPIPE, SIG_IGN);
	addr_str(&server, peer, sizeof(peer));
	fd = proxy_connect(&server, port);
	if (fd < 0) {
		fprintf(stderr, "ckq proxy: cannot connect to %s tcp/%u: %s\n", peer, port,
			strerror(errno));
		return EXIT_REFUSED;
	}
	ret = relay(fd, peer, port);
	close(fd);
	return ret;
}
