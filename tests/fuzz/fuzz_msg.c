/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for every parser of the wire protocol. Build:
 *   clang -g -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Itests \
 *     src/lib/err.c src/lib/addr.c src/lib/crypto.c src/lib/proto.c \
 *     tests/fuzz/fuzz_msg.c -lcrypto -o fuzz_msg
 *   mkdir -p /tmp/ckq-corpus && ./fuzz_msg -max_len=1500 /tmp/ckq-corpus tests/fuzz/corpus/msg
 * (libFuzzer adds new inputs to the first directory: keep corpus/ as seeded;
 * tests/fuzz/run.sh runs every harness on scratch copies.) The seeds in
 * corpus/msg/ are messages of each type, whole and truncated, built with the
 * key and the session below.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "proto.h"

/* tests/data/server.key: a test-only key, public in this repository. */
static const char server_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCype0w1gre/yYu\n"
	"uhoUd7hTupN6qApgaJqq6G8cObf3rp78P6OLDRjqwJMTkpEj2TxhXJ6wgo20Hr+4\n"
	"yZYns8CK/SkE1oAO6aZ5fcXx10pU+IqJ3fyFm6iEkGPc+endP0K3eYpHgd0+dt9d\n"
	"MCy8ybkze5CTe4UrpwnsJ6gSsPqMHEYUI7QCEP7b1xwDL+zGtwJw/qNBxHElPtcE\n"
	"tuVwEFVIZGOEFK0WqhFKPp3tOCJsQu6JYNWHOQyTBwyQSxwZEhR+UzG3TVnGRrma\n"
	"mV5IbfRlluby2/b93CcgRnKNwOGvCiB5/l+G0cvaIlrXvOxkh7CEM62i03NO+byU\n"
	"+tmHLsNRAgMBAAECggEAHKI4M37nJKloLQ6infu3ZWIu/7ad3Sh++9w/7Nn6eN45\n"
	"+MvZcnDhuMSvfjBch46q3R8bh0aRoFhaWeujn87xkkVz9OTNhzZferMUTkg3z4k7\n"
	"qU/ViPOzTbYX74P1/kKEtsQqC/6OX9PtRrIxRXwerVgFiwH+DQpbroiHqaFIszqS\n"
	"+Fg2+v5lHC0PbQwb0GasMQ0PZjgE+iP/3fH+5GnHwXg5WLVaw4f/cijbl2FISAG7\n"
	"tX4c/4eIYXD2QKaS5xnK6FZvTJb9N6qzSa0913RbZ02W280oCaqCy+dcGI+UXoka\n"
	"bmfkeNGBZJOrNXIrw65CX3eHLJP1rLFAmAHm3xyJXQKBgQDto7ZRAliOGeQvj2S8\n"
	"UnjA5a6Wcs3OmfDWRS1R4k4Pkwm51OpDGAvCSwd80IF6XoYFEh+lgU2Q2v6brpcc\n"
	"LDNTOce2RytCTRBPotxqiBFiooQKZrJZ9/uomEG8/1ZaRfFCYkD0cj3Mf13mhx75\n"
	"7ZAApPb2aI+T74YEkR6qD05g3QKBgQDAc2uhUqiHmpEy/edguITktAMqo1EYe/B1\n"
	"3WOlkPKBMTCzRqIYVHJt0pDy73KBP3LRkIHmLmyBicGQqjbiIio51Z4avTGQ4V7Y\n"
	"v99ss0mqvpucHn4GzDz1hnX/ivN/BJqHVNk/OC9Qu9Rw4DPB1fi3Ipt8QMmHlaF3\n"
	"8wgvLOzrBQKBgC4FioVdwvCiKwLa7lNaVXBmCs2wJhNg1LdqZkB5Z0y02SlYBpY/\n"
	"zecuyKBvcOPV8naA8AgJZpArGSvlP/aAyN/RTNAMMGCCtCn4DF/FQjir6I5rHRc3\n"
	"Y1FfSzvi50JMUVDd3l540WcNM441lNYqH71ANWO7FDM+K+IuiJW+qRsxAoGARURF\n"
	"pNa/Wa9EO3ovYRyImFhCG4KUmZ9iOMnqJ5k370/pG1180gzy8pwrF4UfTW2swcil\n"
	"OFfVLfqK9KqO/m0VjaNZOH6H7IFxRcopfFI7XX0lPNesvH2eIzC2H7e/VCQwCi17\n"
	"08lBHmm8WLQZbNa6og+OrvYSkv5EE4whkfk1fJECgYEAyI1AntxGk+Hj5jq4vDaM\n"
	"57HRfWoD4xCLYxoNxWcOjTqPtwyF2UHuLYElGEB+OYqEkqA9GS9O9oqtc9/E5v0r\n"
	"3rlllaG+n9fV5a8GdfonFGrlbbqdF08p3aK8oMAcR4ZNv0634FcxWSgITGSDPM2B\n"
	"yRgk7F6201Q2BtIFQJe5nc8=\n"
	"-----END PRIVATE KEY-----\n";

static struct ckq_key *server;
static struct ckq_session session;

/*
 * A fixed session, so that the corpus's messages 2..4 (sealed under it)
 * take the fuzzer past the AEAD into the body parsers. The server key
 * also stands in as the client's, for the signatures.
 */
static void fuzz_setup(void)
{
	size_t i;

	if (key_from_pem(server_pem, sizeof(server_pem) - 1, true, &server) < 0)
		abort();
	for (i = 0; i < CKQ_SKEY_LEN; i++)
		session.k[i] = (uint8_t)i;
	for (i = 0; i < CKQ_HASH_LEN; i++)
		session.h1[i] = (uint8_t)(0x80 + i);
	memcpy(session.sid, "fuzz sid", CKQ_SID_LEN);
	for (i = 0; i < CKQ_NONCE_LEN; i++) {
		session.nc[i] = (uint8_t)(0x20 + i);
		session.ns[i] = (uint8_t)(0x40 + i);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ckq_msg1 m;
	struct ckq_session s;
	struct ckq_result res;
	uint8_t sid[CKQ_SID_LEN];

	if (!server)
		fuzz_setup();

	proto_precheck(server, data, size);
	if (proto_request_open(server, data, size, &m) == 0)
		proto_request_verify(server, server, &m);
	proto_response_sid(data, size, sid);
	proto_response_open(server, server, &session, data, size);
	s = session;
	proto_challenge_open(server, &s, data, size);
	proto_result_open(server, &session, data, size, &res);
	return 0;
}
