/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "crypto.h"
#include "err.h"
#include "log.h"
#include "util.h"
#include "web.h"

#define WEB_SESSIONS 8
#define WEB_IDLE_MS (30 * 60 * 1000ULL)
#define WEB_LIFETIME_MS (12 * 3600 * 1000ULL)
#define WEB_COOKIE "ckq_session"

static const char web_usage[] =
	"Usage: ckq-admin [-c DIR] web [--listen ADDR:PORT] [--log FILE] [--i-know-its-exposed]\n"
	"Serves the admin page: the users, their ports and keys and what is open for\n"
	"them now (with a button to close a grant and one to revoke a user), a form\n"
	"to register a user that shows their TOTP QR code once, and ckqd's counters\n"
	"and recent decisions. It changes the same files as the other commands,\n"
	"through the same code, and has ckqd reload. It prints a login URL that\n"
	"works once; a session ends after 30 minutes idle; SIGUSR1 prints a new URL.\n\n"
	"  --listen ADDR:PORT    where to listen (default 127.0.0.1:8080; [::1]:8080)\n"
	"  --log FILE            where ckqd's log lines go (syslog, or a journal export):\n"
	"                        the activity page shows the last 50 decisions\n"
	"  --i-know-its-exposed  listen on an address that is not loopback\n\n"
	"It speaks plain HTTP: keep it on loopback, and reach it from elsewhere\n"
	"through an SSH tunnel: ssh -L 8080:127.0.0.1:8080 SERVER\n";

struct session {
	bool live;
	uint8_t id[WEB_TOKEN_LEN];
	char csrf[WEB_TOKEN_HEX];
	uint64_t born_ms, last_ms;
	char flash[WEB_FLASH_MAX];
	bool flash_err;
};

/* Shared by the server's one thread and the main thread's SIGUSR1. */
static struct {
	pthread_mutex_t lock;
	uint8_t token[WEB_TOKEN_LEN];
	bool token_live;
	struct session s[WEB_SESSIONS];
	const char *log_file;
	char base[80];
} web = { .lock = PTHREAD_MUTEX_INITIALIZER };

enum req_kind { R_STATIC, R_LOGIN, R_PAGE, R_ACTION, R_LOGOUT, R_BAD_METHOD };

struct req {
	enum req_kind kind;
	bool replied;
	bool too_big;
	size_t body;
	struct MHD_PostProcessor *pp;
	struct session *sess;
	uint8_t sid[WEB_TOKEN_LEN];	/* sess was this one when the request began */
	struct form form;
};

/* --- responses ------------------------------------------------------------------ */

struct body {
	char *p;
	size_t cap;
};

static void body_free(void *cls)
{
	struct body *b = cls;

	wipe(b->p, b->cap);
	free(b->p);
	free(b);
}

static void security_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'none'; script-src 'self'; style-src 'self'; "
				"img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
				"base-uri 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
}

/* Queues r; a page's bytes are wiped when sent, for the one with a TOTP secret. */
static enum MHD_Result send_reply(struct MHD_Connection *conn, struct req *q, struct web_reply *r,
				  const char *cookie)
{
	struct MHD_Response *resp;
	struct body *b;
	enum MHD_Result ret;

	if (r->body.failed) {
		page_free(&r->body);
		web_error_page(r, 500, "Internal error", "The page could not be made (out of memory?).");
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		page_free(&r->body);
		return MHD_NO;
	}
	if (!r->body.p)
		page_raw(&r->body, "");
	b->p = r->body.p;
	b->cap = r->body.cap;
	resp = MHD_create_response_from_buffer_with_free_callback_cls(r->body.len, b->p, body_free, b);
	if (!resp) {
		body_free(b);
		memset(&r->body, 0, sizeof(r->body));
		return MHD_NO;
	}
	memset(&r->body, 0, sizeof(r->body));
	security_headers(resp);
	MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (r->location[0])
		MHD_add_response_header(resp, "Location", r->location);
	if (cookie)
		MHD_add_response_header(resp, "Set-Cookie", cookie);
	ret = MHD_queue_response(conn, r->status ? r->status : 200, resp);
	MHD_destroy_response(resp);
	q->replied = true;
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, struct req *q, unsigned int status,
				  const char *title, const char *msg)
{
	struct web_reply r;

	memset(&r, 0, sizeof(r));
	web_error_page(&r, status, title, msg);
	return send_reply(conn, q, &r, NULL);
}

static enum MHD_Result send_static(struct MHD_Connection *conn, struct req *q,
				   const struct web_static *f)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(strlen(f->body), (void *)f->body,
					       MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	security_headers(resp);
	MHD_add_response_header(resp, "Content-Type", f->type);
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	q->replied = true;
	return ret;
}

/* --- login and sessions ------------------------------------------------------ */

static void token_new(void)
{
	char hex[WEB_TOKEN_HEX];

	if (ckq_random(web.token, sizeof(web.token)) < 0) {
		web.token_live = false;
		fprintf(stderr, "ckq-admin web: the system's random generator failed: no login URL\n");
		return;
	}
	web.token_live = true;
	hex_encode(web.token, sizeof(web.token), hex);
	printf("Log in at %s/login?token=%s\n(the URL works once; kill -USR1 %ld prints a new one)\n",
	       web.base, hex, (long)getpid());
	fflush(stdout);
	wipe(hex, sizeof(hex));
}

static void session_end(struct session *s)
{
	wipe(s, sizeof(*s));
}

/* Every slot compared, whatever matches: the time says nothing of the id. */
static struct session *session_find(struct MHD_Connection *conn)
{
	const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, WEB_COOKIE);
	uint8_t id[WEB_TOKEN_LEN];
	struct session *found = NULL;
	uint64_t now = mono_ms();
	size_t i;

	for (i = 0; i < WEB_SESSIONS; i++) {
		struct session *s = &web.s[i];

		if (s->live && (now - s->last_ms > WEB_IDLE_MS || now - s->born_ms > WEB_LIFETIME_MS))
			session_end(s);
	}
	if (!cookie || hex_decode(cookie, id, sizeof(id)) < 0)
		return NULL;
	for (i = 0; i < WEB_SESSIONS; i++) {
		bool same = ct_equal(id, web.s[i].id, sizeof(id));

		if (web.s[i].live && same)
			found = &web.s[i];
	}
	wipe(id, sizeof(id));
	if (found)
		found->last_ms = now;
	return found;
}

static struct session *session_new(void)
{
	struct session *s = &web.s[0];
	uint8_t csrf[WEB_TOKEN_LEN];
	size_t i;

	/* A free slot, or the one idle the longest. */
	for (i = 0; i < WEB_SESSIONS; i++) {
		if (!web.s[i].live) {
			s = &web.s[i];
			break;
		}
		if (web.s[i].last_ms < s->last_ms)
			s = &web.s[i];
	}
	session_end(s);
	if (ckq_random(s->id, sizeof(s->id)) < 0 || ckq_random(csrf, sizeof(csrf)) < 0)
		return NULL;
	hex_encode(csrf, sizeof(csrf), s->csrf);
	wipe(csrf, sizeof(csrf));
	s->born_ms = s->last_ms = mono_ms();
	s->live = true;
	return s;
}

static enum MHD_Result do_login(struct MHD_Connection *conn, struct req *q)
{
	const char *tok = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
	char cookie[sizeof(WEB_COOKIE) + WEB_TOKEN_HEX + 64], hex[WEB_TOKEN_HEX];
	uint8_t given[WEB_TOKEN_LEN];
	struct web_reply r;
	struct session *s;
	bool good;

	good = tok && hex_decode(tok, given, sizeof(given)) == 0 &&
	       ct_equal(given, web.token, sizeof(given)) && web.token_live;
	wipe(given, sizeof(given));
	if (!good)
		return send_error(conn, q, MHD_HTTP_FORBIDDEN, "Not logged in",
				  "This login URL is not valid, or was used already: each works once. "
				  "Send ckq-admin web SIGUSR1 for a new one, or restart it.");
	/* Used: whatever happens next, it opens nothing again. */
	web.token_live = false;
	wipe(web.token, sizeof(web.token));
	s = session_new();
	if (!s)
		return send_error(conn, q, MHD_HTTP_INTERNAL_SERVER_ERROR, "Internal error",
				  "The system's random generator failed.");
	hex_encode(s->id, sizeof(s->id), hex);
	snprintf(cookie, sizeof(cookie), WEB_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict", hex);
	wipe(hex, sizeof(hex));
	printf("web: logged in\n");
	fflush(stdout);
	memset(&r, 0, sizeof(r));
	r.status = MHD_HTTP_SEE_OTHER;
	snprintf(r.location, sizeof(r.location), "/users");
	page_raw(&r.body, "<!DOCTYPE html><title>ckq</title><a href=\"/users\">Users</a>\n");
	q->replied = true;
	send_reply(conn, q, &r, cookie);
	wipe(cookie, sizeof(cookie));
	return MHD_YES;
}

/* --- forms ---------------------------------------------------------------------- */

static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *filename, const char *content_type,
				const char *transfer_encoding, const char *data, uint64_t off,
				size_t size)
{
	struct req *q = cls;
	struct form_field *f = NULL;
	int i;

	(void)kind;
	(void)content_type;
	(void)transfer_encoding;
	for (i = 0; i < F_N; i++)
		if (!strcmp(key, q->form.f[i].name))
			f = &q->form.f[i];
	if (!f)
		return MHD_YES;
	if (!f->v) {
		f->v = calloc(1, f->max + 1);
		if (!f->v)
			return MHD_NO;
	}
	f->seen = true;
	f->is_file = f->is_file || filename;
	/* off counts from 0 for each field: a repeated field replaces the first. */
	if (off == 0 && f->len) {
		wipe(f->v, f->max + 1);
		f->len = 0;
	}
	if (f->too_long)
		return MHD_YES;
	if (size > f->max - f->len) {
		f->too_long = true;
		wipe(f->v, f->max + 1);
		f->len = 0;
		return MHD_YES;
	}
	memcpy(f->v + f->len, data, size);
	f->len += size;
	return MHD_YES;
}

static bool csrf_ok(const struct req *q)
{
	const struct form_field *f = &q->form.f[F_CSRF];

	return q->sess && f->len == WEB_TOKEN_HEX - 1 &&
	       ct_equal(f->v, q->sess->csrf, WEB_TOKEN_HEX - 1);
}

/*
 * A form of ours comes from our origin: browsers say so in Sec-Fetch-Site,
 * or else in Origin, which Referrer-Policy: no-referrer turns into "null"
 * for our own forms. Either saying another origin refuses the request, on
 * top of the CSRF token and the SameSite cookie.
 */
static bool origin_ok(struct MHD_Connection *conn)
{
	const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	const char *site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site");

	if (site)
		return !strcmp(site, "same-origin");
	if (!origin || !strcmp(origin, "null"))
		return true;
	return host && !strncmp(origin, "http://", 7) && !strcmp(origin + 7, host);
}

/* --- the handler --------------------------------------------------------------- */

static enum req_kind classify(const char *url, const char *method)
{
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
	bool post = !strcmp(method, MHD_HTTP_METHOD_POST);

	if (!strncmp(url, "/static/", 8))
		return get ? R_STATIC : R_BAD_METHOD;
	if (!strcmp(url, "/login"))
		return get ? R_LOGIN : R_BAD_METHOD;
	if (!strcmp(url, "/logout"))
		return post ? R_LOGOUT : R_BAD_METHOD;
	if (!strcmp(url, "/register") || !strcmp(url, "/revoke"))
		return get ? R_PAGE : post ? R_ACTION : R_BAD_METHOD;
	if (!strcmp(url, "/close"))
		return post ? R_ACTION : R_BAD_METHOD;
	return get ? R_PAGE : R_BAD_METHOD;
}

/* The first call of a request: everything but its body and CSRF token. */
static enum MHD_Result request_start(struct MHD_Connection *conn, struct req *q, const char *url,
				     const char *method)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	const char *clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	const struct web_static *f;

	q->kind = classify(url, method);
	if (!web_host_ok(host))
		return send_error(conn, q, MHD_HTTP_FORBIDDEN, "Forbidden",
				  "This page answers to localhost and IP addresses only.");
	if (q->kind == R_BAD_METHOD)
		return send_error(conn, q, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed",
				  "Pages are read with GET; changes are made with POST.");
	if (q->kind == R_STATIC) {
		f = web_static_find(url);
		return f ? send_static(conn, q, f) :
			   send_error(conn, q, MHD_HTTP_NOT_FOUND, "Not found", "There is no such file.");
	}
	if (q->kind == R_LOGIN)
		return do_login(conn, q);
	q->sess = session_find(conn);
	if (!q->sess)
		return send_error(conn, q, MHD_HTTP_FORBIDDEN, "Not logged in",
				  "Log in with the URL that ckq-admin web printed (it works once), "
				  "or send it SIGUSR1 for a new one. Sessions end after 30 minutes idle.");
	memcpy(q->sid, q->sess->id, sizeof(q->sid));
	if (q->kind == R_PAGE)
		return MHD_YES;
	if (clen && strtoull(clen, NULL, 10) > WEB_BODY_MAX)
		return send_error(conn, q, MHD_HTTP_CONTENT_TOO_LARGE, "Too large",
				  "Requests are limited to 64 KiB.");
	if (!origin_ok(conn))
		return send_error(conn, q, MHD_HTTP_FORBIDDEN, "Forbidden",
				  "This form was not sent from this page.");
	form_init(&q->form);
	q->pp = MHD_create_post_processor(conn, 4096, on_field, q);
	if (!q->pp)
		return send_error(conn, q, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Unsupported",
				  "Forms are sent as application/x-www-form-urlencoded or multipart/form-data.");
	return MHD_YES;
}

static enum MHD_Result request_end(struct MHD_Connection *conn, struct req *q, const char *url)
{
	struct web_ctx c = { .log_file = web.log_file };
	struct web_reply r;
	char flash[WEB_FLASH_MAX];
	enum MHD_Result ret;

	/* Other requests may have ended or replaced the session during an upload. */
	if (!q->sess->live || !ct_equal(q->sess->id, q->sid, sizeof(q->sid)))
		return send_error(conn, q, MHD_HTTP_FORBIDDEN, "Not logged in",
				  "The session ended while this request was being sent.");
	if (q->kind == R_ACTION || q->kind == R_LOGOUT) {
		if (q->too_big)
			return send_error(conn, q, MHD_HTTP_CONTENT_TOO_LARGE, "Too large",
					  "Requests are limited to 64 KiB.");
		if (!csrf_ok(q))
			return send_error(conn, q, MHD_HTTP_FORBIDDEN, "Forbidden",
					  "This form has no valid CSRF token: reload the page and try again.");
	}
	if (q->kind == R_LOGOUT) {
		session_end(q->sess);
		q->sess = NULL;
		memset(&r, 0, sizeof(r));
		web_error_page(&r, MHD_HTTP_OK, "Logged out",
			       "You are logged out. Send ckq-admin web SIGUSR1 for a new login URL.");
		printf("web: logged out\n");
		fflush(stdout);
		return send_reply(conn, q, &r, WEB_COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
	}
	memset(&r, 0, sizeof(r));
	c.csrf = q->sess->csrf;
	/* The message of the last action, shown once by the page that follows it. */
	snprintf(flash, sizeof(flash), "%s", q->sess->flash);
	c.flash = flash;
	c.flash_err = q->sess->flash_err;
	q->sess->flash[0] = '\0';
	c.query_user = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "user");
	if (!strcmp(url, "/")) {
		snprintf(r.location, sizeof(r.location), "/users");
		r.status = MHD_HTTP_SEE_OTHER;
	} else if (q->kind == R_PAGE)
		web_get(url, &c, &r);
	else
		web_post(url, &c, &q->form, &r);
	if (r.status == MHD_HTTP_SEE_OTHER && r.flash[0]) {
		snprintf(q->sess->flash, sizeof(q->sess->flash), "%s", r.flash);
		q->sess->flash_err = r.flash_err;
	} else if (r.status == MHD_HTTP_SEE_OTHER && flash[0]) {
		/* A bare redirect shows nothing: keep the message for its target. */
		snprintf(q->sess->flash, sizeof(q->sess->flash), "%s", flash);
		q->sess->flash_err = c.flash_err;
	}
	ret = send_reply(conn, q, &r, NULL);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct req *q = *con_cls;
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	pthread_mutex_lock(&web.lock);
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q) {
			ret = MHD_NO;
			goto out;
		}
		*con_cls = q;
		ret = request_start(conn, q, url, method);
		goto out;
	}
	ret = MHD_YES;
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (q->replied || q->too_big)
			goto out;
		q->body += n;
		if (q->body > WEB_BODY_MAX) {
			/* No Content-Length said so beforehand: stop reading at once. */
			q->too_big = true;
			ret = MHD_NO;
			goto out;
		}
		if (q->pp && MHD_post_process(q->pp, upload_data, n) != MHD_YES)
			ret = MHD_NO;
		goto out;
	}
	if (!q->replied)
		ret = request_end(conn, q, url);
out:
	pthread_mutex_unlock(&web.lock);
	return ret;
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!q)
		return;
	if (q->pp)
		MHD_destroy_post_processor(q->pp);
	form_free(&q->form);
	wipe(q, sizeof(*q));
	free(q);
	*con_cls = NULL;
}

/* --- the command ----------------------------------------------------------------- */

int web_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "log", required_argument, NULL, 'L' },
		{ "i-know-its-exposed", no_argument, NULL, 'X' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = "127.0.0.1:8080";
	char err[CKQ_ERRBUF] = "", a[CKQ_ADDR_STRLEN];
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;
	struct ckqd_conf conf;
	struct ckq_addr addr;
	bool exposed = false;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	uint16_t port;
	sigset_t sigs;
	uid_t uid;
	gid_t gid;
	int opt, sig;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l': listen = optarg; break;
		case 'L': web.log_file = optarg; break;
		case 'X': exposed = true; break;
		case 'c': admin_dir = optarg; break;
		case 'h': fputs(web_usage, stdout); return 0;
		default: fputs(web_usage, stderr); return 2;
		}
	}
	if (optind != argc) {
		fputs(web_usage, stderr);
		return 2;
	}
	if (web_listen_parse(listen, &addr, &port) < 0) {
		fprintf(stderr, "ckq-admin web: --listen '%s' is not ADDR:PORT, like 127.0.0.1:8080 or [::1]:8080\n",
			listen);
		return 2;
	}
	addr_str(&addr, a, sizeof(a));
	if (!web_addr_loopback(&addr) && !exposed) {
		fprintf(stderr, "ckq-admin web: %s is not a loopback address: the page would be served\n"
				"over plain HTTP to anyone who can reach it. Reach it through an SSH tunnel\n"
				"instead (ssh -L 8080:127.0.0.1:8080 SERVER), or pass --i-know-its-exposed.\n",
			a);
		return 2;
	}
	if (conf_load(admin_dir, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "ckq-admin web: %s\n", err);
		return 1;
	}
	/* As admin_getopt(): the users files are in ckqd's group (or its user's). */
	if (daemon_owner(&uid, &gid) > 0) {
		file_trust_uid(uid);
		file_trust_gid(gid);
	}
	addr_to_sockaddr(&addr, port, &ss);
	if (addr.family == CKQ_AF_INET) {
		snprintf(web.base, sizeof(web.base), "http://%s:%u", a, port);
	} else {
		snprintf(web.base, sizeof(web.base), "http://[%s]:%u", a, port);
		flags |= MHD_USE_IPv6;
	}
	/* The server's thread inherits this mask: the signals come to sigwait. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	d = MHD_start_daemon(flags, port, NULL, NULL, handle, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)32,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "ckq-admin web: cannot listen on %s: %s\n", listen, strerror(errno));
		return 1;
	}
	if (exposed && !web_addr_loopback(&addr))
		fprintf(stderr, "ckq-admin web: warning: serving plain HTTP on %s, not loopback\n", a);
	printf("ckq-admin web: serving %s on %s%s%s\n", admin_dir, web.base,
	       web.log_file ? ", decisions from " : "", web.log_file ? web.log_file : "");
	pthread_mutex_lock(&web.lock);
	token_new();
	pthread_mutex_unlock(&web.lock);
	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig != SIGUSR1)
			break;
		pthread_mutex_lock(&web.lock);
		token_new();
		pthread_mutex_unlock(&web.lock);
	}
	MHD_stop_daemon(d);
	pthread_mutex_lock(&web.lock);
	wipe(web.token, sizeof(web.token));
	memset(web.s, 0, sizeof(web.s));
	pthread_mutex_unlock(&web.lock);
	printf("ckq-admin web: stopped\n");
	return 0;
}
