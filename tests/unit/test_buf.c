/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "tap.h"

static const uint8_t seq[] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
};

static void test_cur_values(void)
{
	struct cur c = cur_init(seq, sizeof(seq));
	uint8_t two[2];
	const uint8_t *p;

	is_int(cur_left(&c), 16, "fresh cursor: 16 bytes left");
	is_int(cur_u8(&c), 0x01, "u8");
	is_int(cur_u16(&c), 0x2345, "u16 is big-endian");
	ok(cur_u32(&c) == 0x6789abcdU, "u32 is big-endian");
	ok(cur_u64(&c) == 0xeffedcba98765432ULL, "u64 is big-endian");
	is_int(cur_left(&c), 1, "1 byte left");
	ok(cur_pos(&c) == seq + 15, "cur_pos follows the offset");
	p = cur_take(&c, 1);
	ok(p == seq + 15 && *p == 0x10, "take returns a pointer into the buffer");
	ok(!c.err && cur_left(&c) == 0, "buffer consumed exactly, no error");
	p = cur_take(&c, 0);
	ok(p != NULL && !c.err, "take 0 at the end succeeds");

	c = cur_init(seq, sizeof(seq));
	ok(cur_copy(&c, two, 2) && two[0] == 0x01 && two[1] == 0x23, "copy");
	ok(c.off == 2, "copy advances");
}

/* Every getter on a buffer one byte short of its width. */
static void test_cur_short(void)
{
	static const size_t width[] = { 1, 2, 4, 8 };
	size_t i, have;

	for (i = 0; i < sizeof(width) / sizeof(width[0]); i++) {
		for (have = 0; have < width[i]; have++) {
			struct cur c = cur_init(seq, have);
			uint64_t v = 0xdead;
			uint8_t one;

			switch (width[i]) {
			case 1: v = cur_u8(&c); break;
			case 2: v = cur_u16(&c); break;
			case 4: v = cur_u32(&c); break;
			case 8: v = cur_u64(&c); break;
			}
			ok(c.err, "u%zu on %zu bytes fails", width[i] * 8, have);
			ok(v == 0, "u%zu on %zu bytes reads 0", width[i] * 8, have);
			is_int(cur_left(&c), 0, "u%zu on %zu bytes: nothing left", width[i] * 8, have);
			/* Sticky: even a 1-byte read, with bytes left, now fails. */
			if (have > 0) {
				ok(cur_u8(&c) == 0 && c.err, "u%zu on %zu bytes: sticky",
				   width[i] * 8, have);
				ok(!cur_copy(&c, &one, 1) && one == 0,
				   "u%zu on %zu bytes: copy after failure zeroes", width[i] * 8, have);
			}
		}
	}
}

static void test_cur_sticky(void)
{
	struct cur c = cur_init(seq, 3);
	uint8_t dst[4] = { 0xaa, 0xaa, 0xaa, 0xaa };

	ok(cur_take(&c, 4) == NULL && c.err, "take more than the length fails");
	ok(c.off == 0, "a failed take does not advance");
	ok(cur_take(&c, 0) == NULL, "take 0 after failure still fails");
	ok(cur_u8(&c) == 0 && cur_u16(&c) == 0 && cur_u32(&c) == 0 && cur_u64(&c) == 0,
	   "every getter returns 0 after failure");
	ok(!cur_copy(&c, dst, 4), "copy after failure fails");
	ok(!memcmp(dst, "\0\0\0\0", 4), "copy after failure zeroes the destination");
	is_int(cur_left(&c), 0, "left is 0 after failure");

	c = cur_init(seq, 3);
	memset(dst, 0xaa, sizeof(dst));
	ok(!cur_copy(&c, dst, 4) && !memcmp(dst, "\0\0\0\0", 4),
	   "short copy zeroes the whole destination");
}

static void test_cur_take_bounds(void)
{
	struct cur c = cur_init(seq, sizeof(seq));

	ok(cur_take(&c, 16) == seq && !c.err, "take the whole buffer");
	c = cur_init(seq, sizeof(seq));
	ok(cur_take(&c, 17) == NULL && c.err, "take one more than the buffer fails");

	/* n so large that off + n would wrap around to a small value. */
	c = cur_init(seq, sizeof(seq));
	cur_take(&c, 4);
	ok(cur_take(&c, SIZE_MAX) == NULL && c.err, "take SIZE_MAX fails");
	c = cur_init(seq, sizeof(seq));
	cur_take(&c, 4);
	ok(cur_take(&c, SIZE_MAX - 2) == NULL && c.err, "take SIZE_MAX - 2 (off + n wraps) fails");
	ok(c.off == 4, "a wrapping take does not move the cursor");
	c = cur_init(seq, sizeof(seq));
	cur_take(&c, 15);
	ok(cur_take(&c, 2) == NULL && c.err, "take 2 with 1 left fails");

	c = cur_init(seq, 0);
	ok(cur_take(&c, 0) == seq && !c.err, "empty buffer: take 0 succeeds");
	ok(cur_u8(&c) == 0 && c.err, "empty buffer: u8 fails");
}

static void test_wbuf(void)
{
	uint8_t out[16], big[32];
	struct wbuf w;
	static const uint8_t want[] = {
		0x7f, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04,
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	};

	memset(out, 0, sizeof(out));
	w = wbuf_init(out, sizeof(out));
	wbuf_u8(&w, 0x7f);
	wbuf_u16(&w, 0xbeef);
	wbuf_u32(&w, 0x01020304);
	wbuf_u64(&w, 0x1122334455667788ULL);
	ok(!w.err && w.len == 15, "15 bytes written");
	ok(!memcmp(out, want, sizeof(want)), "big-endian encodings");

	/* Overflow by one: nothing past cap, error sticky, len unchanged. */
	memset(big, 0xaa, sizeof(big));
	w = wbuf_init(big, 4);
	wbuf_u16(&w, 0x0102);
	wbuf_u32(&w, 0x03040506);
	ok(w.err, "u32 with 2 bytes of room fails");
	is_int(w.len, 2, "a failed write does not move len");
	ok(big[2] == 0xaa && big[3] == 0xaa && big[4] == 0xaa, "nothing written past the error");
	wbuf_u8(&w, 0x99);
	ok(w.err && w.len == 2 && big[2] == 0xaa, "a fitting write after the error is refused");
	ok(wbuf_reserve(&w, 0) == NULL, "reserve 0 after the error fails");

	w = wbuf_init(big, 4);
	ok(wbuf_reserve(&w, 4) == big && !w.err, "reserve exactly cap");
	ok(wbuf_reserve(&w, 1) == NULL && w.err, "reserve past cap fails");

	w = wbuf_init(big, 8);
	wbuf_u8(&w, 1);
	ok(wbuf_reserve(&w, SIZE_MAX) == NULL && w.err, "reserve SIZE_MAX (len + n wraps) fails");
	is_int(w.len, 1, "reserve SIZE_MAX leaves len");

	w = wbuf_init(big, sizeof(big));
	wbuf_put(&w, seq, sizeof(seq));
	ok(!w.err && !memcmp(big, seq, sizeof(seq)), "put copies the bytes");
}

static void test_wbuf_patch(void)
{
	uint8_t out[8];
	struct wbuf w;

	memset(out, 0xaa, sizeof(out));
	w = wbuf_init(out, sizeof(out));
	wbuf_u8(&w, 0x01);
	wbuf_u16(&w, 0);
	wbuf_u8(&w, 0x02);
	wbuf_patch_u16(&w, 1, 0xabcd);
	ok(out[0] == 0x01 && out[1] == 0xab && out[2] == 0xcd && out[3] == 0x02,
	   "patch stores a big-endian u16 in place");
	is_int(w.len, 4, "patch does not change len");
	wbuf_patch_u16(&w, 3, 0x1234);
	ok(out[3] == 0x02 && out[4] == 0xaa, "patch straddling len is refused");
	wbuf_patch_u16(&w, 4, 0x1234);
	ok(out[4] == 0xaa && out[5] == 0xaa, "patch at len is refused");
	wbuf_patch_u16(&w, 2, 0x1234);
	ok(out[2] == 0x12 && out[3] == 0x34, "patch of the last two bytes");

	w.err = true;
	wbuf_patch_u16(&w, 0, 0xffff);
	ok(out[0] == 0x01 && out[1] == 0xab, "patch after an error is refused");
}

/*
 * Last, as it may trip UBSan: at + 2 wraps to a small value, so a check
 * written `at + 2 <= len` lets the store land before the buffer.
 */
static void test_wbuf_patch_wrap(void)
{
	uint8_t area[16];
	struct wbuf w;
	size_t i;
	int clean = 1;

	memset(area, 0xaa, sizeof(area));
	w = wbuf_init(area + 8, 8);
	wbuf_u32(&w, 0);
	wbuf_patch_u16(&w, SIZE_MAX - 1, 0x5555);
	wbuf_patch_u16(&w, SIZE_MAX, 0x5555);
	for (i = 0; i < 8; i++)
		if (area[i] != 0xaa)
			clean = 0;
	ok(clean, "patch at SIZE_MAX - 1 and SIZE_MAX writes nothing before the buffer");
	ok(!memcmp(area + 8, "\0\0\0\0", 4), "and nothing inside it");
}

int main(void)
{
	test_cur_values();
	test_cur_short();
	test_cur_sticky();
	test_cur_take_bounds();
	test_wbuf();
	test_wbuf_patch();
	test_wbuf_patch_wrap();
	return done_testing();
}
