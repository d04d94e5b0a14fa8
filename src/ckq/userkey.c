/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user's key on the client. keys/USER.pub decides the suite: an RSA
 * PEM key is suite 1, an OpenSSH Ed25519 line suite 2. A suite 2 key
 * signs from keys/USER.key (ckq keygen --type ed25519) or, when there is
 * none, when it is a security key or with --agent, through ssh-agent.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "conf.h"	/* CKQ_ERRBUF */
#include "err.h"
#include "knock.h"
#include "userkey.h"
#include "util.h"

/* Listing the agent's keys is quick; a signature may wait for a touch or a confirmation. */
#define AGENT_LIST_MS 5000
#define AGENT_SIGN_MS 60000

static void put_string(uint8_t *p, size_t *len, const void *s, size_t n)
{
	p += *len;
	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	memcpy(p + 4, s, n);
	*len += 4 + n;
}

int sshkey_from_ed25519(const uint8_t pub[CKQ_ED25519_LEN], struct ckq_sshkey *k)
{
	uint8_t blob[4 + 11 + 4 + CKQ_ED25519_LEN];
	size_t len = 0;

	put_string(blob, &len, "ssh-ed25519", 11);
	put_string(blob, &len, pub, CKQ_ED25519_LEN);
	return sshkey_from_blob(blob, len, k);
}

int user_pub_read(const char *dir, const char *user, struct ckq_sshkey *k, bool *is_ssh,
		  char *why, size_t why_len)
{
	char path[PATH_MAX], *text = NULL;
	struct ckq_key *rsa = NULL;
	size_t len = 0;
	int ret;

	*is_ssh = false;
	snprintf(path, sizeof(path), "%s/keys/%s.pub", dir, user);
	ret = file_read(path, false, &text, &len, why, why_len);
	if (ret < 0)
		return ret;
	if (sshkey_load(text, len, k) == 0) {
		*is_ssh = true;
	} else if (key_from_pem(text, len, false, &rsa) == 0) {
		key_free(rsa);
	} else {
		snprintf(why, why_len, "%s: neither an RSA public key in PEM (ckq keygen) nor "
			 "an ssh-ed25519 or sk-ssh-ed25519 key line", path);
		ret = CKQ_ERR_KEY;
	}
	free(text);
	return ret;
}

/* Reads keys/USER.key; CKQ_ERR_NOENT quietly when there is none. */
static int key_file_read(const struct knock *k, char **text, size_t *len)
{
	char path[PATH_MAX], why[CKQ_ERRBUF];
	int ret;

	snprintf(path, sizeof(path), "%s/keys/%s.key", k->dir, k->user);
	ret = file_read(path, true, text, len, why, sizeof(why));
	if (ret < 0 && ret != CKQ_ERR_NOENT)
		fprintf(stderr, "ckq: %s\n", why);
	return ret;
}

static void text_free(char *text, size_t len)
{
	if (text) {
		wipe(text, len);
		free(text);
	}
}

/* Suite 1: keys/USER.key's RSA key. */
static int load_rsa(struct knock *k, char *text, size_t len)
{
	if (key_from_pem(text, len, true, &k->client) < 0) {
		fprintf(stderr, "ckq: %s/keys/%s.key: not an RSA private key of %d to %d bits in PEM\n",
			k->dir, k->user, CKQ_RSA_MIN_BITS, CKQ_RSA_MAX_BITS);
		return EXIT_INPUT;
	}
	k->suite = 1;
	return 0;
}

/*
 * Connects to the agent that holds the user's key: *fd to close, or an
 * exit code said on stderr.
 */
static int agent_open(struct knock *k, int *fd)
{
	const char *sock = getenv("SSH_AUTH_SOCK");
	char fp[CKQ_FP_STRLEN];
	int ret;

	key_fp_str(k->ssh.fp, fp);
	if (!sock || !*sock) {
		fprintf(stderr,
			"ckq %s: %s's key %s is signed for by ssh-agent, but SSH_AUTH_SOCK is not\n"
			"     set: start ssh-agent and ssh-add your key, or give the key file\n"
			"     %s/keys/%s.key\n",
			k->cmd, k->user, fp, k->dir, k->user);
		return EXIT_INPUT;
	}
	ret = agent_connect(sock, fd);
	if (ret < 0) {
		fprintf(stderr, "ckq %s: cannot reach the ssh-agent at SSH_AUTH_SOCK=%s: %s\n",
			k->cmd, sock, ret == CKQ_ERR_RANGE ? "path too long" : strerror(errno));
		return EXIT_INPUT;
	}
	ret = agent_has_key(*fd, &k->ssh, AGENT_LIST_MS);
	if (ret == 0)
		return 0;
	close(*fd);
	*fd = -1;
	if (ret == CKQ_ERR_NOENT)
		fprintf(stderr,
			"ckq %s: the ssh-agent does not hold %s's key: add it, e.g.\n"
			"     ssh-add ~/.ssh/id_ed25519%s; the key registered for %s is %s\n",
			k->cmd, k->user, k->ssh.type == CKQ_SSHKEY_SK_ED25519 ? "_sk" : "",
			k->user, fp);
	else
		fprintf(stderr, "ckq %s: the ssh-agent at %s did not list its keys: %s\n",
			k->cmd, sock, ret == CKQ_ERR_IO ? strerror(errno) : ckq_strerror(ret));
	return EXIT_INPUT;
}

/* Suite 2: keys/USER.pub's key, signed for by keys/USER.key or ssh-agent. */
static int load_ed25519(struct knock *k, bool force_agent)
{
	uint8_t pub[CKQ_ED25519_LEN];
	char *text = NULL;
	size_t len = 0;
	int ret;

	k->suite = 2;
	/* A security key's private part never is in a file ckq could read. */
	k->agent = force_agent || k->ssh.type == CKQ_SSHKEY_SK_ED25519;
	if (!k->agent) {
		ret = key_file_read(k, &text, &len);
		if (ret == CKQ_ERR_NOENT)
			k->agent = true;
		else if (ret < 0)
			return EXIT_INPUT;
	}
	if (k->agent)
		return 0;
	ret = ed25519_seed_from_pem(text, len, k->seed);
	text_free(text, len);
	if (ret < 0) {
		fprintf(stderr, "ckq: %s/keys/%s.key: not an Ed25519 private key in PEM (PKCS#8), "
				"as keys/%s.pub (an ssh key) needs\n", k->dir, k->user, k->user);
		return EXIT_INPUT;
	}
	if (ed25519_public(k->seed, pub) < 0 ||
	    memcmp(pub, k->ssh.pub, sizeof(pub)) != 0) {
		wipe(k->seed, sizeof(k->seed));
		fprintf(stderr, "ckq: %s/keys/%s.key is not the private key of keys/%s.pub\n",
			k->dir, k->user, k->user);
		return EXIT_INPUT;
	}
	return 0;
}

int user_key_load(struct knock *k, bool force_agent)
{
	char why[CKQ_ERRBUF], *text = NULL;
	bool is_ssh;
	size_t len = 0;
	int ret;

	ret = user_pub_read(k->dir, k->user, &k->ssh, &is_ssh, why, sizeof(why));
	if (ret == 0 && is_ssh)
		return load_ed25519(k, force_agent);
	if (ret < 0 && ret != CKQ_ERR_NOENT) {
		fprintf(stderr, "ckq: %s\n", why);
		return EXIT_INPUT;
	}
	if (force_agent) {
		fprintf(stderr, "ckq %s: --agent signs with an ssh key, but %s/keys/%s.pub %s\n"
				"     (store the agent's public key there with 'ckq add-server NAME ADDRESS\n"
				"     --key server.pub --user %s --ssh-key ~/.ssh/id_ed25519.pub')\n",
			k->cmd, k->dir, k->user,
			ret == 0 ? "is an RSA key (suite 1)" : "does not exist", k->user);
		return EXIT_INPUT;
	}
	/* An RSA key, or a key file without its .pub: the key file says which. */
	ret = key_file_read(k, &text, &len);
	if (ret == CKQ_ERR_NOENT)
		fprintf(stderr, "ckq: no key for user %s in %s/keys: create one with 'ckq keygen "
				"%s', or store your ssh key with 'ckq add-server ... --ssh-key'\n",
			k->user, k->dir, k->user);
	if (ret < 0)
		return EXIT_INPUT;
	if (ed25519_seed_from_pem(text, len, k->seed) == 0) {
		uint8_t pub[CKQ_ED25519_LEN];

		text_free(text, len);
		k->suite = 2;
		if (ed25519_public(k->seed, pub) < 0 || sshkey_from_ed25519(pub, &k->ssh) < 0) {
			fprintf(stderr, "ckq: cannot read the Ed25519 key of %s\n", k->user);
			return EXIT_INPUT;
		}
		return 0;
	}
	ret = load_rsa(k, text, len);
	text_free(text, len);
	return ret;
}

int user_agent_check(struct knock *k)
{
	int fd = -1, ret = agent_open(k, &fd);

	if (fd >= 0)
		close(fd);
	return ret;
}

int user_key_sign(struct knock *k, const uint8_t *tbs, size_t len,
		  uint8_t sig[CKQ_SIG2_MAX], size_t *sig_len)
{
	char fp[CKQ_FP_STRLEN];
	int ret, fd = -1;

	if (!k->agent) {
		if (ed25519_sign(k->seed, tbs, len, sig) < 0) {
			fprintf(stderr, "ckq %s: cannot sign the request\n", k->cmd);
			return EXIT_INPUT;
		}
		*sig_len = CKQ_ED25519_SIG_LEN;
		return 0;
	}
	ret = agent_open(k, &fd);
	if (ret != 0)
		return ret;
	key_fp_str(k->ssh.fp, fp);
	if (k->ssh.type == CKQ_SSHKEY_SK_ED25519)
		fprintf(stderr, "ckq: touch your security key (%s's key %s)\n", k->user, fp);
	ret = agent_sign(fd, &k->ssh, tbs, len, AGENT_SIGN_MS, sig, sig_len);
	close(fd);
	if (ret == 0)
		return 0;
	if (ret == CKQ_ERR_SIGNATURE) {
		fprintf(stderr, "ckq %s: the ssh-agent refused to sign with %s's key %s%s\n",
			k->cmd, k->user, fp, k->ssh.type == CKQ_SSHKEY_SK_ED25519 ?
			": the security key was not touched in time, or refused" :
			" (a confirmation declined?)");
		return EXIT_REFUSED;
	}
	fprintf(stderr, "ckq %s: the ssh-agent did not sign: %s\n", k->cmd,
		ret == CKQ_ERR_IO ? strerror(errno) : ckq_strerror(ret));
	return EXIT_INPUT;
}
