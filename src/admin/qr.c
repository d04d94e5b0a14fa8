/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>

#include "admin.h"
#include "crypto.h"

#define QR_QUIET 4	/* modules of light border the QR specification asks for */

/* One encoding for the terminal and the web page: both must scan alike. */
static QRcode *qr_encode(const char *text)
{
	return QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
}

/*
 * Two modules per character cell with Unicode half blocks, dark on light
 * with a quiet zone, so phone cameras read it off a dark terminal too.
 */
void qr_print(const char *text)
{
	static const char *const cell[4] = { "\u2588", "\u2580", "\u2584", " " };
	QRcode *qr = qr_encode(text);
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

/*
 * The same matrix as SVG: one path of horizontal runs of dark modules on a
 * white square, in module units so the browser scales it without blurring.
 */
char *qr_svg(const char *text, size_t *len)
{
	/* "M177 177h177v1h-177z" is at most 20 characters a run. */
	const size_t run_max = 24;
	QRcode *qr = qr_encode(text);
	size_t cap, n = 0, runs = 0;
	int x, y, w, v, r;
	char *out;

	if (!qr)
		return NULL;
	w = qr->width;
	for (y = 0; y < w; y++)
		for (x = 0; x < w; x++)
			if ((qr->data[y * w + x] & 1) && (x == 0 || !(qr->data[y * w + x - 1] & 1)))
				runs++;
	cap = runs * run_max + 512;
	out = malloc(cap);
	if (!out) {
		QRcode_free(qr);
		return NULL;
	}
	v = w + 2 * QR_QUIET;
	r = snprintf(out, cap,
		     "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" viewBox=\"0 0 %d %d\" "
		     "width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\" role=\"img\" "
		     "aria-label=\"QR code of the otpauth URI\">"
		     "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
		     v, v, v * 6, v * 6, v, v);
	n = (size_t)r;
	for (y = 0; y < w; y++) {
		for (x = 0; x < w; x++) {
			int end = x;

			if (!(qr->data[y * w + x] & 1))
				continue;
			while (end < w && (qr->data[y * w + end] & 1))
				end++;
			r = snprintf(out + n, cap - n, "M%d %dh%dv1h-%dz", x + QR_QUIET, y + QR_QUIET,
				     end - x, end - x);
			if (r < 0 || (size_t)r >= cap - n)
				goto fail;
			n += (size_t)r;
			x = end;
		}
	}
	r = snprintf(out + n, cap - n, "\"/></svg>");
	if (r < 0 || (size_t)r >= cap - n)
		goto fail;
	QRcode_free(qr);
	*len = n + (size_t)r;
	return out;
fail:
	QRcode_free(qr);
	wipe(out, cap);
	free(out);
	return NULL;
}
