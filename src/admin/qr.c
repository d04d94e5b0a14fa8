/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <qrencode.h>
#include <stdio.h>

#include "admin.h"

/*
 * Two modules per character cell with Unicode half blocks, dark on light
 * with a quiet zone, so phone cameras read it off a dark terminal too.
 */
void qr_print(const char *text)
{
	static const char *const cell[4] = { "\u2588", "\u2580", "\u2584", " " };
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	const int quiet = 2;
	int x, y, w;

	if (!qr) {
		fprintf(stderr, "ckq-admin: cannot encode the QR code; enter the URI by hand\n");
		return;
	}
	w = qr->width;
	for (y = -quiet; y < w + quiet; y += 2) {
		for (x = -quiet; x < w + quiet; x++) {
			int top = y >= 0 && y < w && x >= 0 && x < w &&
				  (qr->data[y * w + x] & 1);
			int bot = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w &&
				  (qr->data[(y + 1) * w + x] & 1);

			/* Light is printed as a full block, dark as a space. */
			fputs(cell[(top ? 2 : 0) + (bot ? 1 : 0)], stdout);
		}
		putchar('\n');
	}
	QRcode_free(qr);
}
