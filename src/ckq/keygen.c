/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckq.h"
#include "crypto.h"
#include "crypto25519.h"
#include "err.h"
#include "keyfile.h"
#include "proto.h"
#include "sshkey.h"
#include "userkey.h"
#include "util.h"

static void keygen_usage(FILE *f)
{
	fprintf(f,
		"Usage: ckq keygen NAME [--type rsa|ed25519] [--bits N] [-d DIR]\n"
		"Creates the key pair NAME in DIR/keys (private key mode 0600).\n"
		"Running it again for the same NAME replaces the pair: the server's\n"
		"admin must then register the new public key.\n\n"
		"  --type TYPE  rsa (default: suite 1) or ed25519 (suite 2, the public key\n"
		"               as an OpenSSH line; an ssh-agent key needs no keygen: see\n"
		"               'ckq add-server --ssh-key')\n"
		"  --bits N     RSA only: 2048 (default), 3072 or 4096\n"
		"  -d DIR       the client's directory (default ~/.config/ckq)\n");
}

/* keys/NAME.key in PKCS#8 PEM and keys/NAME.pub as an OpenSSH line. */
static int keygen_ed25519(const char *dir, const char *name)
{
	char path[PATH_MAX], pub_path[PATH_MAX], comment[CKQ_USER_MAX + 8];
	char line[CKQ_SSHKEY_LINE_MAX], fp[CKQ_FP_STRLEN], *pem = NULL;
	uint8_t seed[CKQ_ED25519_LEN], pub[CKQ_ED25519_LEN];
	struct ckq_sshkey key;
	const char *failed;
	size_t len = 0;
	int ret = EXIT_INPUT;

	snprintf(comment, sizeof(comment), "%s@ckq", name);
	if (ed25519_generate(seed, pub) < 0 || ed25519_seed_to_pem(seed, &pem, &len) < 0 ||
	    sshkey_from_ed25519(pub, &key) < 0 ||
	    sshkey_to_line(&key, comment, line, sizeof(line)) < 0) {
		fprintf(stderr, "ckq keygen: key generation failed\n");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/keys/%s.key", dir, name);
	snprintf(pub_path, sizeof(pub_path), "%s/keys/%s.pub", dir, name);
	if (key_text_pair_write(pem, len, line, strlen(line), path, pub_path, &failed) < 0) {
		fprintf(stderr, "ckq keygen: cannot write %s: %s\n", failed, strerror(errno));
		goto out;
	}
	key_fp_str(key.fp, fp);
	printf("created an Ed25519 key pair for %s\n"
	       "  private key: %s (keep it secret)\n"
	       "  public key:  %s  %s (ssh-ed25519, as ssh-keygen -lf shows it)\n"
	       "Send the public key to the server's admin, who registers it with\n"
	       "  ckq-admin add-user %s --key %s.pub --ports tcp/22\n",
	       name, path, pub_path, fp, name, name);
	ret = 0;
out:
	wipe(seed, sizeof(seed));
	if (pem) {
		wipe(pem, len);
		free(pem);
	}
	return ret;
}

int keygen_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "bits", required_argument, NULL, 'b' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir_opt = NULL, *name, *dir, *failed;
	char path[PATH_MAX], pub[PATH_MAX], fp[CKQ_FP_STRLEN];
	struct ckq_key *key = NULL;
	uint32_t bits = 2048;
	int opt, ret = EXIT_INPUT;
	bool ed25519 = false, bits_given = false;

	while ((opt = getopt_long(argc, argv, "t:b:d:h", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (!strcmp(optarg, "ed25519")) {
				ed25519 = true;
			} else if (!strcmp(optarg, "rsa")) {
				ed25519 = false;
			} else {
				fprintf(stderr, "ckq keygen: --type '%s': choose rsa or ed25519\n",
					optarg);
				return EXIT_INPUT;
			}
			break;
		case 'b':
			bits_given = true;
			if (parse_u32(optarg, 65536, &bits) < 0 ||
			    (bits != 2048 && bits != 3072 && bits != 4096)) {
				fprintf(stderr, "ckq keygen: --bits '%s': choose 2048, 3072 or 4096\n",
					optarg);
				return EXIT_INPUT;
			}
			break;
		case 'd': dir_opt = optarg; break;
		case 'h': keygen_usage(stdout); return 0;
		default: keygen_usage(stderr); return EXIT_INPUT;
		}
	}
	if (optind + 1 != argc) {
		keygen_usage(stderr);
		return EXIT_INPUT;
	}
	name = argv[optind];
	if (!user_name_valid(name, strlen(name))) {
		fprintf(stderr, "ckq keygen: '%s' is not a valid name: 1 to %d of A-Z a-z 0-9 . _ -, not starting with . or -\n",
			name, CKQ_USER_MAX);
		return EXIT_INPUT;
	}
	if (ed25519 && bits_given) {
		fprintf(stderr, "ckq keygen: --bits applies to RSA keys, not ed25519\n");
		return EXIT_INPUT;
	}
	dir = client_dir(dir_opt);
	if (client_dir_prepare(dir) < 0)
		return EXIT_INPUT;
	if (ed25519)
		return keygen_ed25519(dir, name);

	if (key_generate(bits, &key) < 0) {
		fprintf(stderr, "ckq keygen: key generation failed\n");
		return EXIT_INPUT;
	}
	snprintf(path, sizeof(path), "%s/keys/%s.key", dir, name);
	snprintf(pub, sizeof(pub), "%s/keys/%s.pub", dir, name);
	ret = key_pair_write(key, path, pub, &failed);
	if (ret == CKQ_ERR_IO)
		fprintf(stderr, "ckq keygen: cannot write %s: %s\n", failed, strerror(errno));
	if (ret < 0) {
		ret = EXIT_INPUT;
		goto out;
	}
	key_fp_str(key->fp, fp);
	printf("created a %u-bit key pair for %s\n"
	       "  private key: %s/keys/%s.key (keep it secret)\n"
	       "  public key:  %s  %s\n"
	       "Send the public key to the server's admin, who registers it with\n"
	       "  ckq-admin add-user %s --key %s.pub --ports tcp/22\n",
	       bits, name, dir, name, pub, fp, name, name);
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "ckq keygen: cannot encode the key\n");
	key_free(key);
	return ret;
}
