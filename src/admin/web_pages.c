/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "admin.h"
#include "conf.h"
#include "crypto.h"
#include "err.h"
#include "grant.h"
#include "stats.h"
#include "user.h"
#include "util.h"
#include "web.h"

static const struct {
	const char *name;
	size_t max;
} form_fields[F_N] = {
	[F_CSRF] = { "csrf", WEB_TOKEN_HEX },
	[F_NAME] = { "name", WEB_FIELD_MAX },
	[F_PORTS] = { "ports", WEB_FIELD_MAX },
	[F_KEY] = { "key", WEB_KEY_MAX },
	[F_KEYFILE] = { "keyfile", WEB_KEY_MAX },
	[F_EXPIRES] = { "expires", WEB_FIELD_MAX },
	[F_ALLOW] = { "allow_from", WEB_FIELD_MAX },
	[F_MAX_GRANT] = { "max_grant", WEB_FIELD_MAX },
	[F_NAT] = { "nat", WEB_FIELD_MAX },
	[F_SET] = { "set", WEB_FIELD_MAX },
	[F_ADDR] = { "addr", WEB_FIELD_MAX },
	[F_USER] = { "user", WEB_FIELD_MAX },
};

void form_init(struct form *fm)
{
	int i;

	memset(fm, 0, sizeof(*fm));
	for (i = 0; i < F_N; i++) {
		fm->f[i].name = form_fields[i].name;
		fm->f[i].max = form_fields[i].max;
	}
}

void form_free(struct form *fm)
{
	int i;

	/* A pasted private key, by mistake, must not linger. */
	for (i = 0; i < F_N; i++) {
		if (fm->f[i].v) {
			wipe(fm->f[i].v, fm->f[i].max + 1);
			free(fm->f[i].v);
		}
	}
	memset(fm, 0, sizeof(*fm));
}

const char *form_get(const struct form *fm, int field)
{
	return fm && fm->f[field].v ? fm->f[field].v : "";
}

/* --- the frame of every page ------------------------------------------------ */

void page_head(struct page *pg, const struct web_ctx *c, const char *title, const char *cur)
{
	static const struct {
		const char *path, *label;
	} nav[] = {
		{ "/users", "Users" }, { "/register", "Register" }, { "/activity", "Activity" },
	};
	long pid = daemon_pid();
	size_t i;

	page_fmt(pg, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		 "<title>%s \xe2\x80\x94 ckq</title>"
		 "<link rel=\"stylesheet\" href=\"/static/app.css\">"
		 "<script src=\"/static/app.js\" defer></script></head>\n<body>"
		 "<header><span class=\"brand\">ckq</span><nav>", title);
	for (i = 0; c && i < sizeof(nav) / sizeof(nav[0]); i++) {
		page_fmt(pg, "<a href=\"%s\"", nav[i].path);
		if (cur && !strcmp(cur, nav[i].path))
			page_raw(pg, " class=\"cur\" aria-current=\"page\"");
		page_fmt(pg, ">%s</a>", nav[i].label);
	}
	page_raw(pg, "</nav>");
	if (c) {
		if (pid)
			page_fmt(pg, "<span class=\"daemon up\" id=\"daemon\">ckqd running (pid %ld)</span>",
				 pid);
		else
			page_raw(pg, "<span class=\"daemon down\" id=\"daemon\">ckqd not running</span>");
		page_fmt(pg, "<form method=\"post\" action=\"/logout\" class=\"logout\">"
			 "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
			 "<button type=\"submit\">Log out</button></form>", c->csrf);
	}
	page_fmt(pg, "</header>\n<main><h1>%s</h1>\n", title);
	if (c && c->flash && *c->flash)
		page_fmt(pg, "<p class=\"flash %s\" role=\"status\" id=\"flash\">%s</p>\n",
			 c->flash_err ? "err" : "ok", c->flash);
}

void page_foot(struct page *pg)
{
	page_fmt(pg, "</main>\n<footer>ckq-admin web \xc2\xb7 %s</footer></body></html>\n", admin_dir);
}

void web_error_page(struct web_reply *r, unsigned int status, const char *title, const char *msg)
{
	page_free(&r->body);
	r->status = status;
	page_head(&r->body, NULL, title, NULL);
	if (status >= 400)
		page_fmt(&r->body, "<p class=\"flash err\" id=\"error\">%s</p>\n", msg);
	else
		page_fmt(&r->body, "<p class=\"flash ok\" id=\"flash\">%s</p>\n", msg);
	page_foot(&r->body);
}

static void redirect(struct web_reply *r, const char *to, bool err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void redirect(struct web_reply *r, const char *to, bool err, const char *fmt, ...)
{
	va_list ap;

	r->status = 303;
	snprintf(r->location, sizeof(r->location), "%s", to);
	va_start(ap, fmt);
	vsnprintf(r->flash, sizeof(r->flash), fmt, ap);
	va_end(ap);
	r->flash_err = err;
}

static void reload_note(char *out, size_t len, int reloaded, const char *why)
{
	if (reloaded < 0)
		snprintf(out, len, "But it is not confirmed in force: %s.", why);
	else
		snprintf(out, len, "%s", reloaded > 0 ? "ckqd reloaded its users." :
			 "ckqd is not running: it reads the users when it starts.");
}

static void csrf_input(struct page *pg, const struct web_ctx *c)
{
	page_fmt(pg, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", c->csrf);
}

static void port_label(struct page *pg, uint8_t proto, uint16_t port)
{
	const char *svc = service_name(proto, port);

	page_fmt(pg, "<span class=\"port\">%s/%u", proto_name(proto), port);
	if (svc)
		page_fmt(pg, " <span class=\"svc\">%s</span>", svc);
	page_raw(pg, "</span>");
}

static void grant_item(struct page *pg, const struct web_ctx *c, const struct grant_entry *g)
{
	char a[CKQ_ADDR_STRLEN], until[16];
	time_t t = time(NULL) + g->timeout_left;
	uint8_t family, proto;
	uint16_t port;
	struct tm tm;

	addr_str(&g->addr, a, sizeof(a));
	localtime_r(&t, &tm);
	strftime(until, sizeof(until), "%H:%M:%S", &tm);
	page_raw(pg, "<li class=\"grant\"><span class=\"st open\">open</span> ");
	if (grant_set_parse(g->set, &family, &proto, &port) == 0)
		port_label(pg, proto, port);
	else
		page_text(pg, g->set);
	page_fmt(pg, " for <span class=\"addr\">%s</span>", a);
	if (g->timeout_left)
		page_fmt(pg, " until <time>%s</time> (<span class=\"countdown\" data-left=\"%u\">%u:%02u</span> left)",
			 until, g->timeout_left, g->timeout_left / 60, g->timeout_left % 60);
	page_raw(pg, "<form method=\"post\" action=\"/close\" class=\"inline\">");
	csrf_input(pg, c);
	page_fmt(pg, "<input type=\"hidden\" name=\"set\" value=\"%s\">"
		 "<input type=\"hidden\" name=\"addr\" value=\"%s\">"
		 "<button type=\"submit\" class=\"small\">Close</button></form></li>", g->set, a);
}

/* --- Users: the paper's Figure 5 ------------------------------------------- */

static void page_users(const struct web_ctx *c, struct web_reply *r)
{
	struct page *pg = &r->body;
	char err[CKQ_ERRBUF] = "", now_s[16];
	struct grant_entries ge = { 0 };
	struct userdb *db = NULL;
	struct grant *gs;
	bool grants_ok = false, *claimed = NULL;
	uint64_t now = (uint64_t)time(NULL);
	time_t tnow = (time_t)now;
	size_t i, j, open = 0, others = 0;
	struct tm tm;

	page_head(pg, c, "Users", "/users");
	if (userdb_load(admin_dir, &db, err, sizeof(err)) < 0) {
		page_fmt(pg, "<p class=\"flash err\">The users cannot be read: %s</p>", err);
		page_foot(pg);
		r->status = 500;
		return;
	}
	gs = admin_grant_open();
	if (gs && grant_entries_read(gs, NULL, &ge) == 0)
		grants_ok = true;
	if (ge.n) {
		claimed = calloc(ge.n, sizeof(*claimed));
		if (!claimed) {
			ge.n = 0;
			pg->failed = true;
		}
	}
	localtime_r(&tnow, &tm);
	strftime(now_s, sizeof(now_s), "%H:%M:%S", &tm);
	page_fmt(pg, "<p class=\"src\">%zu user%s in %s/users. ", db->n, db->n == 1 ? "" : "s",
		 admin_dir);
	if (grants_ok)
		page_fmt(pg, "What is open was read from the kernel's ipsets at %s.</p>\n", now_s);
	else
		page_fmt(pg, "</p><p class=\"flash err\">The kernel's ipsets cannot be read%s%s: "
			 "run ckq-admin web as root, with the ip_set module loaded.</p>\n",
			 gs ? ": " : "", gs ? grant_errmsg(gs) : "");
	page_raw(pg, "<table class=\"users\" id=\"users\"><thead><tr><th>User</th><th>Ports</th>"
		 "<th>Key fingerprint</th><th>Status</th><th>Actions</th></tr></thead><tbody>\n");
	for (i = 0; i < db->n; i++) {
		const struct ckq_user *u = &db->users[i];
		char fp[CKQ_FP_STRLEN], day[16], type[32];
		size_t mine = 0;

		key_fp_str(user_key_fp(u), fp);
		user_key_type(u, type, sizeof(type));
		page_fmt(pg, "<tr id=\"user-%s\" data-user=\"%s\"><td class=\"user\">%s", u->name,
			 u->name, u->name);
		if (u->expires) {
			date_format(u->expires, day);
			page_fmt(pg, "<br><small>account through %s</small>", day);
		}
		if (u->nat)
			page_raw(pg, "<br><small>NAT mode allowed</small>");
		for (j = 0; j < u->nallow; j++) {
			char net[CKQ_ADDR_STRLEN + 8];

			page_raw(pg, j ? ", " : "<br><small>from ");
			page_text(pg, cidr_str(&u->allow[j], net, sizeof(net)));
		}
		if (u->nallow)
			page_raw(pg, "</small>");
		page_raw(pg, "</td><td><ul class=\"ports\">");
		for (j = 0; j < u->nports; j++) {
			page_raw(pg, "<li>");
			port_label(pg, u->ports[j].proto, u->ports[j].port);
			page_raw(pg, "</li>");
		}
		page_fmt(pg, "</ul></td><td><code class=\"fp\">%s</code><br><small class=\"keytype\">%s</small></td>"
			 "<td class=\"status\"><ul class=\"grants\">", fp, type);
		for (j = 0; j < ge.n; j++) {
			if (strcmp(ge.e[j].comment, u->name))
				continue;
			grant_item(pg, c, &ge.e[j]);
			claimed[j] = true;
			mine++;
		}
		page_raw(pg, "</ul>");
		if (u->revoked)
			page_raw(pg, "<span class=\"st revoked\">revoked</span>");
		else if (u->expires && now >= u->expires)
			page_raw(pg, "<span class=\"st revoked\">account expired</span>");
		else if (!mine)
			page_raw(pg, "<span class=\"st closed\">closed</span>");
		page_raw(pg, "</td><td class=\"actions\">");
		if (!u->revoked)
			page_fmt(pg, "<a class=\"button danger\" href=\"/revoke?user=%s\">Revoke\xe2\x80\xa6</a>",
				 u->name);
		page_raw(pg, "</td></tr>\n");
		open += mine;
	}
	if (!db->n)
		page_raw(pg, "<tr><td colspan=\"5\">No users yet: <a href=\"/register\">register one</a>.</td></tr>\n");
	page_raw(pg, "</tbody></table>\n");
	for (j = 0; j < ge.n; j++)
		others += !claimed[j];
	if (others) {
		page_raw(pg, "<h2>Other grants</h2><p class=\"src\">In the ckq ipsets, with no user of "
			 "this directory in their comment (added by hand, or the user is gone).</p>"
			 "<ul class=\"grants\" id=\"other-grants\">");
		for (j = 0; j < ge.n; j++) {
			if (claimed[j])
				continue;
			grant_item(pg, c, &ge.e[j]);
			if (ge.e[j].comment[0])
				page_fmt(pg, "<li class=\"note\">comment \"%s\"</li>", ge.e[j].comment);
		}
		page_raw(pg, "</ul>\n");
	}
	page_fmt(pg, "<p class=\"src\">%zu grant%s open for these users. A countdown reaching "
		 "zero means the kernel has removed the entry: reload to see.</p>\n", open,
		 open == 1 ? "" : "s");
	page_foot(pg);
	r->status = 200;
	free(claimed);
	grant_entries_free(&ge);
	grant_close(gs);
	userdb_free(db);
}

/* --- Register ---------------------------------------------------------------- */

static int on_set_name(const char *set, void *arg)
{
	struct page *pg = arg;
	uint8_t family, proto;
	uint16_t port;

	if (grant_set_parse(set, &family, &proto, &port) < 0 || family != CKQ_AF_INET)
		return 0;
	page_raw(pg, " ");
	port_label(pg, proto, port);
	return 0;
}

static void page_register(const struct web_ctx *c, const struct form *fm, const char *error,
			  struct web_reply *r)
{
	struct page *pg = &r->body;
	struct grant *gs;

	page_head(pg, c, "Register a user", "/register");
	page_raw(pg, "<p>The user makes a key pair on their own machine with <code>ckq keygen NAME</code> "
		 "and sends you <code>NAME.pub</code>, the public half, or sends the Ed25519 SSH key "
		 "they already have (<code>~/.ssh/id_ed25519.pub</code>, a security key's "
		 "<code>id_ed25519_sk.pub</code>, or a line of <code>authorized_keys</code>). "
		 "Registering it creates the user's TOTP secret: the next page shows it once, as a "
		 "QR code for their authenticator app.</p>\n");
	if (error)
		page_fmt(pg, "<p class=\"flash err\" role=\"alert\" id=\"error\">%s</p>\n", error);
	page_raw(pg, "<form method=\"post\" action=\"/register\" enctype=\"multipart/form-data\" "
		 "class=\"register\" id=\"register\">");
	csrf_input(pg, c);
	page_fmt(pg, "<label for=\"name\">Name</label>"
		 "<input id=\"name\" name=\"name\" maxlength=\"32\" autocomplete=\"off\" "
		 "spellcheck=\"false\" value=\"%s\" placeholder=\"alice\">"
		 "<p class=\"hint\">1 to 32 of A-Z a-z 0-9 . _ - (the name the user gave "
		 "<code>ckq keygen</code>).</p>", form_get(fm, F_NAME));
	page_fmt(pg, "<label for=\"key\">Public key</label>"
		 "<textarea id=\"key\" name=\"key\" rows=\"8\" spellcheck=\"false\" "
		 "placeholder=\"-----BEGIN PUBLIC KEY-----\">%s</textarea>"
		 "<label for=\"keyfile\">or upload the .pub file</label>"
		 "<input type=\"file\" id=\"keyfile\" name=\"keyfile\" accept=\".pub,.pem,text/plain\">"
		 "<p class=\"hint\">RSA in PEM, 2048 to 4096 bits; or Ed25519: an OpenSSH "
		 "<code>ssh-ed25519</code> or <code>sk-ssh-ed25519@openssh.com</code> line, or PEM.</p>",
		 form_get(fm, F_KEY));
	page_fmt(pg, "<label for=\"ports\">Ports</label>"
		 "<input id=\"ports\" name=\"ports\" spellcheck=\"false\" value=\"%s\" "
		 "placeholder=\"tcp/22,tcp/443\"><p class=\"hint\">Comma-separated: tcp/22, udp/51820; "
		 "a bare 22 is tcp/22. Ports with an ipset now:",
		 fm ? form_get(fm, F_PORTS) : "tcp/22");
	gs = admin_grant_open();
	if (gs) {
		grant_list_sets(gs, on_set_name, pg);
		grant_close(gs);
	}
	page_raw(pg, "</p><details");
	if (*form_get(fm, F_EXPIRES) || *form_get(fm, F_ALLOW) || *form_get(fm, F_MAX_GRANT) ||
	    *form_get(fm, F_NAT))
		page_raw(pg, " open");
	page_fmt(pg, "><summary>Limits (optional)</summary>"
		 "<label for=\"expires\">Account through (UTC)</label>"
		 "<input type=\"date\" id=\"expires\" name=\"expires\" value=\"%s\">"
		 "<label for=\"allow_from\">Knock only from</label>"
		 "<input id=\"allow_from\" name=\"allow_from\" spellcheck=\"false\" value=\"%s\" "
		 "placeholder=\"192.0.2.0/24,2001:db8::/32\">"
		 "<label for=\"max_grant\">Longest grant</label>"
		 "<input id=\"max_grant\" name=\"max_grant\" value=\"%s\" placeholder=\"the server's max_grant\">"
		 "<label class=\"check\"><input type=\"checkbox\" name=\"nat\" value=\"on\"",
		 form_get(fm, F_EXPIRES), form_get(fm, F_ALLOW), form_get(fm, F_MAX_GRANT));
	if (*form_get(fm, F_NAT))
		page_raw(pg, " checked");
	page_raw(pg, "> may ask for the address the server sees (NAT mode: see doc/protocol.md)</label>"
		 "</details>");
	page_raw(pg, "<button type=\"submit\" class=\"primary\">Register</button></form>\n");
	page_foot(pg);
	r->status = error ? 400 : 200;
}

static void page_enrolled(const struct web_ctx *c, const struct add_user_req *req,
			  const struct add_user_result *res, struct web_reply *r)
{
	struct page *pg = &r->body;
	char note[CKQ_ERRBUF + 64], set[GRANT_SETNAME_LEN];
	size_t svg_len = 0, i;
	char *svg;

	page_head(pg, c, "Registered", NULL);
	reload_note(note, sizeof(note), res->reloaded, res->reload_err);
	page_fmt(pg, "<p class=\"flash %s\" id=\"flash\">%s is registered with the %s key <code>%s</code>. "
		 "%s</p>\n", res->reloaded < 0 ? "err" : "ok", req->name, res->type, res->fp, note);
	if (res->no_x25519)
		page_fmt(pg, "<p class=\"flash warn\" id=\"no-x25519\">This server has no X25519 key yet, "
			 "which an Ed25519 key needs (suite 2): run <code>ckq-admin init</code> to add one "
			 "(suite 1 users keep working), restart ckqd, and give %s the new server.pub.</p>\n",
			 req->name);
	for (i = 0; i < res->nmissing; i++) {
		grant_set_name(set, CKQ_AF_INET, res->missing[i].proto, res->missing[i].port);
		page_fmt(pg, "<p class=\"flash warn\">There is no ipset %s yet: grants for %s/%u will "
			 "fail until the ruleset creates it and a rule accepts it (see rules/README).</p>\n",
			 set, proto_name(res->missing[i].proto), res->missing[i].port);
	}
	page_raw(pg, "<section class=\"enrol\"><h2>The TOTP secret</h2><p>Have the user scan this with "
		 "their authenticator app (Google Authenticator and compatible):</p><div class=\"qr\" id=\"qr\">");
	/* Built here, from libqrencode's matrix: only our own markup and numbers. */
	svg = qr_svg(res->uri, &svg_len);
	if (svg) {
		page_raw(pg, svg);
		wipe(svg, svg_len);
		free(svg);
	} else {
		page_raw(pg, "<p class=\"flash err\">The QR code cannot be made: enter the URI below by hand.</p>");
	}
	page_fmt(pg, "</div><p>or enter this URI:</p><p><code class=\"uri\" id=\"otpauth\">%s</code></p>"
		 "<p class=\"flash warn\">It is shown only now: nothing shows this secret again, "
		 "and this page is not kept (no-store). If the user loses it, register them again.</p>"
		 "</section><p><a class=\"button\" href=\"/users\">Done</a></p>\n", res->uri);
	page_foot(pg);
	r->status = 200;
	r->no_store = true;
}

static void do_register(const struct web_ctx *c, const struct form *fm, struct web_reply *r)
{
	const struct form_field *file = &fm->f[F_KEYFILE], *paste = &fm->f[F_KEY];
	struct add_user_req req = { .issuer = "ckq" };
	struct add_user_result res;
	struct cidr allow[CKQ_MAX_ALLOW];
	char err[CKQ_ERRBUF];
	int ret;

	req.name = form_get(fm, F_NAME);
	req.ports = form_get(fm, F_PORTS);
	if (file->too_long || paste->too_long) {
		snprintf(err, sizeof(err), "the %s key is over %d KiB: that is not a public key",
			 file->too_long ? "uploaded" : "pasted", WEB_KEY_MAX / 1024);
		goto bad;
	}
	if (file->len && paste->len) {
		snprintf(err, sizeof(err), "give the key one way: paste it or upload it, not both");
		goto bad;
	}
	if (!file->len && !paste->len) {
		snprintf(err, sizeof(err), "no public key: paste it or upload the user's .pub file");
		goto bad;
	}
	req.pem = file->len ? file->v : paste->v;
	req.pem_len = file->len ? file->len : paste->len;
	req.key_label = file->len ? "the uploaded file" : "the pasted key";
	if (*form_get(fm, F_EXPIRES) && date_parse(form_get(fm, F_EXPIRES), &req.expires) < 0) {
		snprintf(err, sizeof(err), "'%s' is not a date like 2027-01-31", form_get(fm, F_EXPIRES));
		goto bad;
	}
	if (*form_get(fm, F_ALLOW)) {
		if (allow_parse(form_get(fm, F_ALLOW), allow, CKQ_MAX_ALLOW, &req.nallow) < 0) {
			snprintf(err, sizeof(err), "'%s' is not a list of at most %d networks like 10.0.0.0/8,2001:db8::/32",
				 form_get(fm, F_ALLOW), CKQ_MAX_ALLOW);
			goto bad;
		}
		req.allow = allow;
	}
	if (*form_get(fm, F_MAX_GRANT) &&
	    (parse_duration(form_get(fm, F_MAX_GRANT), &req.max_grant) < 0 || !req.max_grant)) {
		snprintf(err, sizeof(err), "'%s' is not a duration like 90s, 15m or 2h",
			 form_get(fm, F_MAX_GRANT));
		goto bad;
	}
	req.nat = !strcmp(form_get(fm, F_NAT), "on");
	ret = admin_add_user(&req, &res, err, sizeof(err));
	if (ret < 0) {
		add_user_result_wipe(&res);
		if (res.exists)
			snprintf(err + strlen(err), sizeof(err) - strlen(err),
				 ": to give them a new key and secret, revoke or delete them first, "
				 "or use ckq-admin add-user --replace");
		page_register(c, fm, err, r);
		if (ret != CKQ_ERR_FORMAT && ret != CKQ_ERR_KEY && ret != CKQ_ERR_RANGE && !res.exists)
			r->status = 500;
		return;
	}
	printf("web: registered %s (key %s)\n", req.name, res.fp);
	fflush(stdout);
	page_enrolled(c, &req, &res, r);
	add_user_result_wipe(&res);
	return;
bad:
	page_register(c, fm, err, r);
}

/* --- close and revoke -------------------------------------------------------- */

static void do_close(const struct form *fm, struct web_reply *r)
{
	const char *set = form_get(fm, F_SET);
	char a[CKQ_ADDR_STRLEN], port[40];
	struct grant_entries ge = { 0 };
	struct ckq_addr addr;
	struct grant *gs;
	size_t i;
	int ret;

	if (!grant_set_family(set) || strlen(set) >= GRANT_SETNAME_LEN ||
	    addr_parse(form_get(fm, F_ADDR), &addr) < 0) {
		web_error_page(r, 400, "Bad request", "That is not a grant of ckq.");
		return;
	}
	gs = admin_grant_open();
	if (!gs || grant_entries_read(gs, NULL, &ge) < 0) {
		redirect(r, "/users", true, "The kernel's ipsets cannot be read%s%s.", gs ? ": " : "",
			 gs ? grant_errmsg(gs) : "");
		goto out;
	}
	for (i = 0; i < ge.n; i++)
		if (!strcmp(ge.e[i].set, set) && addr_equal(&ge.e[i].addr, &addr))
			break;
	addr_str(&addr, a, sizeof(a));
	set_port_str(set, port, sizeof(port));
	if (i == ge.n) {
		redirect(r, "/users", false, "Nothing was open on %s for %s: it expired or was closed already.",
			 port, a);
		goto out;
	}
	ret = grant_del(gs, set, &addr);
	if (ret < 0 && ret != CKQ_ERR_NOENT) {
		redirect(r, "/users", true, "Cannot remove %s from %s: %s.", a, set, grant_errmsg(gs));
		goto out;
	}
	printf("web: closed %s for %s%s%s%s\n", port, a, ge.e[i].comment[0] ? " (" : "",
	       ge.e[i].comment, ge.e[i].comment[0] ? ")" : "");
	fflush(stdout);
	redirect(r, "/users", false, "Closed %s for %s%s%s%s.", port, a, ge.e[i].comment[0] ? " (" : "",
		 ge.e[i].comment, ge.e[i].comment[0] ? ")" : "");
out:
	grant_entries_free(&ge);
	grant_close(gs);
}

static void page_revoke(const struct web_ctx *c, struct web_reply *r)
{
	const char *name = c->query_user ? c->query_user : "";
	char err[CKQ_ERRBUF] = "", title[64];
	struct grant_entries ge = { 0 };
	struct grant *gs;
	struct ckq_user u;
	size_t i, open = 0;

	if (!user_name_valid(name, strlen(name)) || user_load(admin_dir, name, &u, err, sizeof(err)) < 0) {
		web_error_page(r, 404, "No such user", "There is no such user to revoke.");
		return;
	}
	gs = admin_grant_open();
	if (gs && grant_entries_read(gs, NULL, &ge) == 0)
		for (i = 0; i < ge.n; i++)
			open += !strcmp(ge.e[i].comment, name);
	snprintf(title, sizeof(title), "Revoke %s?", name);
	page_head(&r->body, c, title, NULL);
	page_fmt(&r->body, "<p>From now on ckqd refuses every knock of <strong>%s</strong>, and %s%zu "
		 "open grant%s close%s at once. Their record stays on file, shown as revoked; "
		 "connections already established are not cut.</p>"
		 "<p>There is no undo here: to let them in again, register them anew with "
		 "<code>ckq-admin add-user --replace</code> (a new TOTP secret).</p>",
		 name, u.revoked ? "(already revoked) " : "", open, open == 1 ? "" : "s",
		 open == 1 ? "s" : "");
	page_raw(&r->body, "<form method=\"post\" action=\"/revoke\" class=\"confirm\">");
	csrf_input(&r->body, c);
	page_fmt(&r->body, "<input type=\"hidden\" name=\"user\" value=\"%s\">"
		 "<button type=\"submit\" class=\"danger\" id=\"confirm\">Revoke %s</button> "
		 "<a class=\"button\" href=\"/users\">Cancel</a></form>\n", name, name);
	page_foot(&r->body);
	r->status = 200;
	user_clear(&u);
	grant_entries_free(&ge);
	grant_close(gs);
}

static void do_revoke(const struct form *fm, struct web_reply *r)
{
	const char *name = form_get(fm, F_USER);
	struct retire_result res;
	char err[CKQ_ERRBUF], note[CKQ_ERRBUF + 64];
	int ret;

	if (!user_name_valid(name, strlen(name))) {
		web_error_page(r, 400, "Bad request", "That is not a user name.");
		return;
	}
	ret = admin_retire_user(name, false, true, &res, err, sizeof(err));
	if (ret < 0 && ret != CKQ_ERR_IPSET) {
		redirect(r, "/users", true, "%s was not revoked: %s.", name, err);
		return;
	}
	printf("web: revoked %s, closed %d grant%s\n", name, res.closed, res.closed == 1 ? "" : "s");
	fflush(stdout);
	reload_note(note, sizeof(note), res.reloaded, res.reload_err);
	if (ret < 0 || res.reloaded < 0)
		redirect(r, "/users", true, "Revoked %s%s%s. %s", name, ret < 0 ? ", but " : "",
			 ret < 0 ? err : "", note);
	else
		redirect(r, "/users", false, "Revoked %s and closed %d grant%s. %s", name, res.closed,
			 res.closed == 1 ? "" : "s", note);
}

/* --- dispatch ------------------------------------------------------------------ */

void web_get(const char *path, const struct web_ctx *c, struct web_reply *r)
{
	if (!strcmp(path, "/users"))
		page_users(c, r);
	else if (!strcmp(path, "/register"))
		page_register(c, NULL, NULL, r);
	else if (!strcmp(path, "/activity"))
		page_activity(c, r);
	else if (!strcmp(path, "/revoke"))
		page_revoke(c, r);
	else
		web_error_page(r, 404, "Not found", "There is no such page.");
}

void web_post(const char *path, const struct web_ctx *c, const struct form *fm,
	      struct web_reply *r)
{
	if (!strcmp(path, "/register"))
		do_register(c, fm, r);
	else if (!strcmp(path, "/close"))
		do_close(fm, r);
	else if (!strcmp(path, "/revoke"))
		do_revoke(fm, r);
	else
		web_error_page(r, 404, "Not found", "There is no such action.");
}
