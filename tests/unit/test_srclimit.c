/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "srclimit.h"
#include "tap.h"

static struct ckq_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct ckq_addr x = { .family = CKQ_AF_INET };

	x.a[0] = a; x.a[1] = b; x.a[2] = c; x.a[3] = d;
	return x;
}

int main(void)
{
	uint8_t key[16], msg[64];
	struct srclimit *s;
	struct ckq_addr a = v4(10, 0, 0, 1), b = v4(10, 0, 0, 2), x6, y6;
	unsigned int i, granted;
	size_t n;

	/* The reference vectors of the SipHash paper, appendix A. */
	for (n = 0; n < 16; n++)
		key[n] = (uint8_t)n;
	for (n = 0; n < sizeof(msg); n++)
		msg[n] = (uint8_t)n;
	ok(siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL, "siphash24 of the empty message");
	ok(siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL, "siphash24 of 15 bytes");
	ok(siphash24(key, msg, 8) == 0x93f5f5799a932462ULL, "siphash24 of 8 bytes");
	ok(siphash24(key, msg, 63) == 0x958a324ceb064572ULL, "siphash24 of 63 bytes");

	s = srclimit_new(64, 3, 1);
	ok(s != NULL, "new");
	for (i = 0, granted = 0; i < 10; i++)
		granted += srclimit_take(s, &a, 1000);
	is_int(granted, 3, "a burst of 3, then refused");
	ok(srclimit_take(s, &b, 1000), "another source is not affected");
	ok(!srclimit_take(s, &a, 1500), "half a second refills half a token");
	ok(srclimit_take(s, &a, 2000), "one second refills one token");
	ok(!srclimit_take(s, &a, 2000), "and only one");
	for (i = 0, granted = 0; i < 10; i++)
		granted += srclimit_take(s, &a, 100000);
	is_int(granted, 3, "refill is capped at the burst");

	memset(&x6, 0, sizeof(x6));
	x6.family = CKQ_AF_INET6;
	x6.a[0] = 0x20; x6.a[1] = 0x01; x6.a[15] = 1;
	y6 = x6;
	y6.a[15] = 2;
	y6.a[9] = 0x55;
	for (i = 0, granted = 0; i < 6; i++)
		granted += srclimit_take(s, i % 2 ? &x6 : &y6, 5000);
	is_int(granted, 3, "IPv6 addresses of one /64 share a bucket");
	y6.a[7] = 1;
	ok(srclimit_take(s, &y6, 5000), "another /64 has its own");

	/* A flood of sources cannot grow the table or starve a steady user. */
	for (i = 0; i < 200000; i++) {
		struct ckq_addr f = v4(192, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i);

		srclimit_take(s, &f, 10000 + i / 1000);
	}
	ok(srclimit_memory(s) < 64 * 1024, "memory stays bounded (%zu bytes)", srclimit_memory(s));
	ok(srclimit_take(s, &b, 400000), "a legitimate source still gets a token");
	srclimit_free(s);
	srclimit_free(NULL);
	errno = 0;
	ok(srclimit_new(0, 1, 1) == NULL && errno == EINVAL, "bad size refused, errno EINVAL");
	errno = 0;
	ok(srclimit_new(8, 0, 1) == NULL && errno == EINVAL, "burst 0 refused, errno EINVAL");
	return done_testing();
}
