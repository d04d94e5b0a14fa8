/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "web.h"

/*
 * Served from the program itself: nothing to install beside it, nothing
 * fetched from elsewhere, and the CSP allows scripts and styles from 'self'
 * only, so no page carries inline code.
 */
static const char app_js[] =
	"/* SPDX-License-Identifier: GPL-2.0-or-later */\n"
	"/* The countdowns of the users page: the seconds each grant had left when\n"
	"   the page was made, counted down by the browser's own monotonic clock. */\n"
	"'use strict';\n"
	"(function () {\n"
	"\tvar start = performance.now();\n"
	"\tvar els = document.querySelectorAll('.countdown[data-left]');\n"
	"\tfunction fmt(s) {\n"
	"\t\tvar m = Math.floor(s / 60), r = s % 60;\n"
	"\t\treturn m + ':' + (r < 10 ? '0' : '') + r;\n"
	"\t}\n"
	"\tfunction tick() {\n"
	"\t\tvar gone = (performance.now() - start) / 1000;\n"
	"\t\tels.forEach(function (e) {\n"
	"\t\t\tvar left = Math.max(0, Math.ceil(Number(e.dataset.left) - gone));\n"
	"\t\t\tvar li = e.closest('.grant');\n"
	"\t\t\tif (left > 0) {\n"
	"\t\t\t\te.textContent = fmt(left);\n"
	"\t\t\t} else {\n"
	"\t\t\t\te.textContent = 'expired';\n"
	"\t\t\t\tif (li)\n"
	"\t\t\t\t\tli.classList.add('expired');\n"
	"\t\t\t}\n"
	"\t\t});\n"
	"\t}\n"
	"\tif (els.length) {\n"
	"\t\ttick();\n"
	"\t\tsetInterval(tick, 1000);\n"
	"\t}\n"
	"\tdocument.documentElement.classList.add('js');\n"
	"})();\n";

static const char app_css[] =
	"/* SPDX-License-Identifier: GPL-2.0-or-later */\n"
	":root { --fg: #1d2329; --muted: #5b6670; --line: #d8dee4; --bg: #f6f8fa; --accent: #0b5cad;\n"
	"  --ok: #1a7f37; --okbg: #e6f4ea; --err: #b42318; --errbg: #fdecea; --warn: #8a5a00; --warnbg: #fff5db; }\n"
	"* { box-sizing: border-box; }\n"
	"body { margin: 0; font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: var(--fg); background: #fff; }\n"
	"header { display: flex; align-items: center; gap: 1.2em; padding: .6em 1.5em; background: #14202b; color: #fff; }\n"
	"header .brand { font-weight: 700; font-size: 1.2em; letter-spacing: .05em; }\n"
	"header nav { display: flex; gap: .3em; flex: 1; }\n"
	"header nav a { color: #cfd8e0; text-decoration: none; padding: .3em .7em; border-radius: 4px; }\n"
	"header nav a.cur, header nav a:hover { background: #2b3a48; color: #fff; }\n"
	".daemon { font-size: .85em; padding: .15em .6em; border-radius: 1em; }\n"
	".daemon.up { background: #1f4d2e; color: #c9f2d4; }\n"
	".daemon.down { background: #5c1f1a; color: #ffd9d4; }\n"
	"header form.logout button { background: transparent; color: #cfd8e0; border: 1px solid #4a5a68; }\n"
	"main { max-width: 72em; margin: 0 auto; padding: 1em 1.5em 3em; }\n"
	"h1 { font-size: 1.5em; margin: .6em 0; }\n"
	"h2 { font-size: 1.15em; margin: 1.6em 0 .5em; }\n"
	"footer { color: var(--muted); font-size: .8em; text-align: center; padding: 1em; }\n"
	"code { font: .9em ui-monospace, 'DejaVu Sans Mono', monospace; background: var(--bg); padding: .05em .3em; border-radius: 3px; }\n"
	"table { border-collapse: collapse; width: 100%; margin: .5em 0; }\n"
	"th, td { text-align: left; vertical-align: top; padding: .5em .6em; border-bottom: 1px solid var(--line); }\n"
	"thead th { background: var(--bg); font-size: .85em; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }\n"
	"table.counters { width: auto; } table.counters th { font-weight: 500; color: var(--muted); }\n"
	"ul.ports, ul.grants { list-style: none; margin: 0; padding: 0; }\n"
	"ul.ports li, .port, time { white-space: nowrap; }\n"
	"table.users td.status { min-width: 22em; }\n"
	"table.users td.actions { white-space: nowrap; }\n"
	"ul.grants li { margin: .15em 0; }\n"
	".svc { color: var(--muted); font-size: .85em; }\n"
	".fp { font-size: .75em; word-break: break-all; display: inline-block; max-width: 17em; }\n"
	"small { color: var(--muted); }\n"
	".st { display: inline-block; font-size: .8em; font-weight: 600; padding: .05em .55em; border-radius: 1em; }\n"
	".st.open, .st.granted { background: var(--okbg); color: var(--ok); }\n"
	".st.closed { background: var(--bg); color: var(--muted); }\n"
	".st.revoked, .st.refused, .st.failed { background: var(--errbg); color: var(--err); }\n"
	"li.grant.expired { opacity: .5; text-decoration: line-through; }\n"
	".countdown { font-variant-numeric: tabular-nums; font-weight: 600; }\n"
	"form.inline { display: inline; margin-left: .4em; }\n"
	"button, a.button { font: inherit; font-size: .9em; padding: .3em .9em; border: 1px solid var(--line); border-radius: 4px;\n"
	"  background: #fff; color: var(--fg); cursor: pointer; text-decoration: none; display: inline-block; }\n"
	"button.small { font-size: .8em; padding: .1em .6em; }\n"
	"button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }\n"
	"button.danger, a.button.danger { color: var(--err); border-color: #f0b8b2; }\n"
	"form.confirm button.danger { background: var(--err); color: #fff; border-color: var(--err); }\n"
	".flash { padding: .6em .9em; border-radius: 4px; border: 1px solid; }\n"
	".flash.ok { background: var(--okbg); border-color: #b7dfc2; color: #14532d; }\n"
	".flash.err { background: var(--errbg); border-color: #f0b8b2; color: var(--err); }\n"
	".flash.warn { background: var(--warnbg); border-color: #f1d48a; color: var(--warn); }\n"
	".src { color: var(--muted); font-size: .9em; }\n"
	"form.register { max-width: 40em; display: flex; flex-direction: column; gap: .3em; }\n"
	"form.register label { font-weight: 600; margin-top: .7em; }\n"
	"form.register label.check { font-weight: 400; }\n"
	"form.register input:not([type=checkbox]), form.register textarea { font: inherit; padding: .4em .5em;\n"
	"  border: 1px solid var(--line); border-radius: 4px; width: 100%; }\n"
	"form.register textarea { font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-size: .85em; }\n"
	"form.register .hint { margin: 0; color: var(--muted); font-size: .85em; }\n"
	"form.register details { margin: .8em 0; } form.register button.primary { align-self: flex-start; margin-top: 1em; }\n"
	".enrol .qr svg { width: 16em; height: 16em; border: 1px solid var(--line); }\n"
	".uri { display: block; word-break: break-all; padding: .5em; }\n"
	"table.log td { font-size: .9em; }\n";

static const struct web_static files[] = {
	{ "/static/app.js", "text/javascript; charset=utf-8", app_js },
	{ "/static/app.css", "text/css; charset=utf-8", app_css },
};

const struct web_static *web_static_find(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!strcmp(path, files[i].path))
			return &files[i];
	return NULL;
}
