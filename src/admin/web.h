/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_ADMIN_WEB_H
#define CKQ_ADMIN_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/*
 * ckq-admin web: web.c speaks HTTP (libmicrohttpd), logs in and keeps the
 * sessions; web_pages.c makes the pages and carries out the forms through
 * the command line's code; web_html.c builds HTML; web_log.c reads ckqd's
 * log lines.
 */

#define WEB_BODY_MAX (64 * 1024)	/* a request body, uploads included */
#define WEB_KEY_MAX (16 * 1024)		/* a pasted or uploaded key: 4096-bit PEM is 800 bytes */
#define WEB_FIELD_MAX 1024		/* any other form field */
#define WEB_TOKEN_LEN 32		/* bytes of login token, session id and CSRF token */
#define WEB_TOKEN_HEX (2 * WEB_TOKEN_LEN + 1)
#define WEB_LOG_LINES 50		/* decisions on the activity page */
#define WEB_FLASH_MAX 512

/* --- HTML (web_html.c) ------------------------------------------------------ */

/* A page built from markup literals and escaped values; failed sticks. */
struct page {
	char *p;
	size_t len, cap;
	bool failed;
};

/*
 * The one escaping function: every value a page shows goes through it,
 * by page_text() or by a %s of page_fmt(). & < > " ' become entities, and
 * control characters but tab and newline become U+FFFD.
 */
void html_escape(struct page *pg, const char *s, size_t n);
/* Markup written as it is: only ever string literals of this program. */
void page_raw(struct page *pg, const char *markup);
void page_text(struct page *pg, const char *s);
void page_textn(struct page *pg, const char *s, size_t n);
/*
 * printf for markup: fmt is a literal, every %s argument is escaped.
 * Conversions: %s, %c, %d, %u, %ld, %lu, %lld, %llu, %zu, %x, with an
 * optional 0 flag and width for the numbers; anything else fails the page.
 */
void page_fmt(struct page *pg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wipes (a page may hold a TOTP secret) and frees. */
void page_free(struct page *pg);

/* "ssh" for tcp/22, or NULL: a small table, then the services database. */
const char *service_name(uint8_t proto, uint16_t port);

/*
 * A Host header a browser sends for us: "localhost" or an IP literal, with
 * an optional port. DNS rebinding needs a name, so any other is refused.
 */
bool web_host_ok(const char *host);
/* "127.0.0.1:8080", "[::1]:8080"; 0 or CKQ_ERR_FORMAT. */
int web_listen_parse(const char *s, struct ckq_addr *addr, uint16_t *port);
bool web_addr_loopback(const struct ckq_addr *a);
/* Lower-case hex of n bytes into out (2n + 1). */
void hex_encode(const uint8_t *in, size_t n, char *out);
/* 0 when s is exactly 2n hex digits, into out. */
int hex_decode(const char *s, uint8_t *out, size_t n);

/* --- ckqd's log lines (web_log.c) ----------------------------------------- */

struct knock_line {
	char when[32];		/* the syslog or ISO 8601 time the line starts with, or "" */
	char verb[16];		/* granted, closed, refused, failed */
	char user[40];
	char src[CKQ_ADDR_STRLEN];
	char port[24];
	char duration[16];
	char reason[32];
	char detail[160];	/* what follows the key=value pairs */
};

/* 1 and *k for a "knock VERB key=value..." line, 0 for any other line. */
int knock_line_parse(const char *line, size_t len, struct knock_line *k);
/*
 * The last max decisions of the log file path, oldest first, read from its
 * last megabyte. 0, or a negative CKQ_ERR_* with why.
 */
int knock_lines_tail(const char *path, struct knock_line *out, size_t max, size_t *n,
		     char *why, size_t why_len);

/* --- pages and actions (web_pages.c) ------------------------------------- */

struct form_field {
	const char *name;
	size_t max;
	char *v;		/* NUL-terminated */
	size_t len;
	bool seen;
	bool too_long;
	bool is_file;		/* came as a multipart file part */
};

enum {
	F_CSRF, F_NAME, F_PORTS, F_KEY, F_KEYFILE, F_EXPIRES, F_ALLOW, F_MAX_GRANT, F_NAT,
	F_SET, F_ADDR, F_USER, F_N
};

struct form {
	struct form_field f[F_N];
};

void form_init(struct form *fm);
void form_free(struct form *fm);
/* The value, or "" when the field was not sent. */
const char *form_get(const struct form *fm, int field);

/* What a request needs to know of its session and of the server. */
struct web_ctx {
	const char *csrf;
	const char *flash;
	bool flash_err;
	const char *log_file;		/* --log, or NULL */
	const char *query_user;		/* ?user= of GET /revoke */
};

struct web_reply {
	unsigned int status;
	char location[64];		/* a 303 to here when set */
	struct page body;
	char flash[WEB_FLASH_MAX];	/* for the session, shown by the next page */
	bool flash_err;
	bool no_store;			/* the body holds a secret */
};

/* GET pages: users, register, activity, revoke (the confirmation). */
void web_get(const char *path, const struct web_ctx *c, struct web_reply *r);
/* POST actions, their CSRF token already checked. */
void web_post(const char *path, const struct web_ctx *c, const struct form *fm,
	      struct web_reply *r);
/* The frame of every page: head (navigation, flash message) and foot. */
void page_head(struct page *pg, const struct web_ctx *c, const char *title, const char *cur);
void page_foot(struct page *pg);
/* GET /activity: ckqd's counters and the log's recent decisions (web_activity.c). */
void page_activity(const struct web_ctx *c, struct web_reply *r);
/* A page with a title and a message, for errors: 403, 404... */
void web_error_page(struct web_reply *r, unsigned int status, const char *title, const char *msg);

/* The static files, served as they are. */
struct web_static {
	const char *path;
	const char *type;
	const char *body;
};
const struct web_static *web_static_find(const char *path);

#endif
