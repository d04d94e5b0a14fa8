/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckq.h"
#include "crypto.h"
#include "err.h"
#include "keyfile.h"
#include "proto.h"
#include "util.h"

static void keygen_usage(FILE *f)
{
	fprintf(f,
		"Usage: ckq keygen NAME [--bits N] [-d DIR]\n"
		"Creates the RSA key pair NAME in DIR/keys (private key mode 0600).\n"
		"Running it again for the same NAME replaces the pair: the server's\n"
		"admin must then register the new public key.\n\n"
		"  --bits N    2048 (default), 3072 or 4096\n"
		"  -d DIR      the client's directory (default ~/.config/ckq)\n");
}

int keygen_main(int argc, char *argv[])
{
	static const struct option opts[] = {
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

	while ((opt = getopt_long(argc, argv, "b:d:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
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
	dir = client_dir(dir_opt);
	if (client_dir_prepare(dir) < 0)
		return EXIT_INPUT;

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
