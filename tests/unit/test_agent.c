/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ssh-agent client (src/lib/agent.c): its parsers on answers built
 * here, every truncation refused; then a real ssh-agent, a key made by
 * ssh-keygen -t ed25519 and added with ssh-add: the key is found, its
 * signature through the agent verifies, another key is not found, and an
 * agent that never answers costs the timeout, not a hang.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "crypto.h"
#include "crypto25519.h"
#include "err.h"
#include "sshkey.h"
#include "tap.h"

static size_t put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return 4;
}

static size_t put_str(uint8_t *p, const void *s, size_t n)
{
	put_u32(p, (uint32_t)n);
	memcpy(p + 4, s, n);
	return 4 + n;
}

static void make_key(const uint8_t seed[32], struct ckq_sshkey *k)
{
	uint8_t pub[32], blob[64];
	size_t n = 0;

	if (ed25519_public(seed, pub))
		bail_out("ed25519_public");
	n += put_str(blob + n, "ssh-ed25519", 11);
	n += put_str(blob + n, pub, 32);
	if (sshkey_from_blob(blob, n, k))
		bail_out("sshkey_from_blob");
}

static void test_parsers(void)
{
	uint8_t seed1[32] = { 1 }, seed2[32] = { 2 }, msg[512], blob[128], sig[CKQ_SIG2_MAX];
	uint8_t raw[64];
	struct ckq_sshkey k1, k2, k3;
	size_t n = 0, bn, cut, sl;
	int refused;

	make_key(seed1, &k1);
	make_key(seed2, &k2);
	seed2[0] = 3;
	make_key(seed2, &k3);

	/* IDENTITIES_ANSWER: k2 with a comment, then k1. */
	msg[n++] = CKQ_AGENT_IDENTITIES_ANSWER;
	n += put_u32(msg + n, 2);
	if (sshkey_blob(&k2, blob, sizeof(blob), &bn))
		bail_out("blob");
	n += put_str(msg + n, blob, bn);
	n += put_str(msg + n, "bob@host", 8);
	if (sshkey_blob(&k1, blob, sizeof(blob), &bn))
		bail_out("blob");
	n += put_str(msg + n, blob, bn);
	n += put_str(msg + n, "", 0);
	is_int(agent_parse_identities(msg, n, &k1), 0, "the key is found among the agent's");
	is_int(agent_parse_identities(msg, n, &k2), 0, "and the first one too");
	is_int(agent_parse_identities(msg, n, &k3), CKQ_ERR_NOENT, "a key the agent lacks is not");
	refused = 0;
	for (cut = 0; cut < n; cut++)
		refused += agent_parse_identities(msg, cut, &k1) < 0;
	is_int(refused, n, "every truncation of the identities is refused");
	msg[n] = 0;
	is_int(agent_parse_identities(msg, n + 1, &k1), CKQ_ERR_FORMAT, "a byte left over is refused");
	put_u32(msg + 1, 0x10000000);
	is_int(agent_parse_identities(msg, n, &k1), CKQ_ERR_FORMAT,
	       "a count of keys beyond the bytes is refused");
	msg[0] = CKQ_AGENT_SIGN_RESPONSE;
	is_int(agent_parse_identities(msg, n, &k1), CKQ_ERR_FORMAT, "another answer type is refused");

	/* SIGN_RESPONSE: string signature blob. */
	if (ed25519_sign(seed1, (const uint8_t *)"data", 4, raw))
		bail_out("sign");
	n = 0;
	msg[n++] = CKQ_AGENT_SIGN_RESPONSE;
	bn = put_str(blob, "ssh-ed25519", 11);
	bn += put_str(blob + bn, raw, 64);
	n += put_str(msg + n, blob, bn);
	ok(agent_parse_sign(msg, n, &k1, sig, &sl) == 0 && sl == 64 && !memcmp(sig, raw, 64) &&
	   sshkey_verify(&k1, (const uint8_t *)"data", 4, sig, sl) == 0,
	   "a sign response gives the signature, which verifies");
	refused = 0;
	for (cut = 0; cut < n; cut++)
		refused += agent_parse_sign(msg, cut, &k1, sig, &sl) < 0;
	is_int(refused, n, "every truncation of a sign response is refused");
	msg[n] = 0;
	is_int(agent_parse_sign(msg, n + 1, &k1, sig, &sl), CKQ_ERR_FORMAT, "a byte left over is refused");
	msg[0] = CKQ_AGENT_FAILURE;
	is_int(agent_parse_sign(msg, 1, &k1, sig, &sl), CKQ_ERR_SIGNATURE,
	       "SSH_AGENT_FAILURE is a refused signature");
	msg[0] = CKQ_AGENT_IDENTITIES_ANSWER;
	is_int(agent_parse_sign(msg, n, &k1, sig, &sl), CKQ_ERR_FORMAT, "another answer type is refused");
}

static pid_t spawn(char *const argv[], const char *sock, bool quiet)
{
	pid_t pid = fork();

	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		if (sock)
			setenv("SSH_AUTH_SOCK", sock, 1);
		if (quiet) {
			if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
				_exit(126);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int run(char *const argv[], const char *sock)
{
	int st;

	if (waitpid(spawn(argv, sock, true), &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_real_agent(void)
{
	char dir[] = "/tmp/ckq-agent.XXXXXX", key[128], pubf[140], sock[128], text[1024];
	uint8_t sig[CKQ_SIG2_MAX], bob_seed[32] = { 9 };
	static const uint8_t data[] = "ckq suite2 request c2s: what a knock signs";
	struct ckq_sshkey k, bob;
	pid_t agent;
	size_t n, sl = 0;
	FILE *f;
	int fd = -1, i, r;

	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	snprintf(key, sizeof(key), "%s/id_ed25519", dir);
	snprintf(pubf, sizeof(pubf), "%s.pub", key);
	snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
	{
		char *const kg[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ckq-test",
				     "-f", key, NULL };

		if (run(kg, NULL) != 0)
			bail_out("ssh-keygen -t ed25519 failed (openssh-client is needed)");
	}
	{
		char *const ag[] = { "ssh-agent", "-D", "-a", sock, NULL };

		agent = spawn(ag, NULL, true);
	}
	for (i = 0; i < 100 && access(sock, F_OK) != 0; i++)
		usleep(50000);
	if (access(sock, F_OK) != 0) {
		kill(agent, SIGTERM);
		bail_out("ssh-agent did not start (openssh-client is needed)");
	}
	{
		char *const add[] = { "ssh-add", key, NULL };

		if (run(add, sock) != 0) {
			kill(agent, SIGTERM);
			bail_out("ssh-add failed");
		}
	}
	f = fopen(pubf, "r");
	if (!f)
		bail_out(pubf);
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	if (sshkey_load(text, n, &k))
		bail_out("the .pub that ssh-keygen wrote");
	make_key(bob_seed, &bob);

	is_int(agent_connect(sock, &fd), 0, "connected to the ssh-agent");
	is_int(agent_has_key(fd, &k, 5000), 0, "it holds the key ssh-add gave it");
	is_int(agent_has_key(fd, &bob, 5000), CKQ_ERR_NOENT, "not another key");
	r = agent_sign(fd, &k, data, sizeof(data) - 1, 5000, sig, &sl);
	is_int(r, 0, "the agent signs");
	ok(r == 0 && sl == 64 && sshkey_verify(&k, data, sizeof(data) - 1, sig, sl) == 0,
	   "its signature verifies with the public key");
	ok(r == 0 && sshkey_verify(&k, data, sizeof(data) - 2, sig, sl) == CKQ_ERR_SIGNATURE,
	   "and not over other data");
	is_int(agent_sign(fd, &bob, data, sizeof(data) - 1, 5000, sig, &sl), CKQ_ERR_SIGNATURE,
	       "a signature by a key the agent lacks is refused");
	close(fd);

	kill(agent, SIGTERM);
	waitpid(agent, NULL, 0);
	is_int(agent_connect(sock, &fd), CKQ_ERR_NOENT, "no agent at the socket any more");
	unlink(key);
	unlink(pubf);
	unlink(sock);

	/* A socket that accepts and never answers: the timeout, not a hang. */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		struct timespec t0, t1;
		int l = socket(AF_UNIX, SOCK_STREAM, 0);
		long ms;

		memcpy(sa.sun_path, sock, strlen(sock) + 1);
		if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1))
			bail_out("listening socket");
		clock_gettime(CLOCK_MONOTONIC, &t0);
		fd = -1;
		r = agent_connect(sock, &fd);
		if (r == 0)
			r = agent_has_key(fd, &k, 300);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		ok(r == CKQ_ERR_IO && errno == ETIMEDOUT, "a silent agent times out (%ld ms for 300)", ms);
		if (fd >= 0)
			close(fd);
		close(l);
		unlink(sock);
	}
	rmdir(dir);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_parsers();
	test_real_agent();
	return done_testing();
}
