// SPDX-License-Identifier: GPL-2.0-or-later
//
// ckq-admin web in headless Chromium, driven by Playwright: log in with the
// one-time URL, register users (refused uploads first), read the QR page,
// have the client namespace knock with the secret it showed, watch the
// grant and its countdown on the users page, close it, revoke the user
// (through the confirmation page), read the activity page, and check what
// must be refused: no session, no or a wrong CSRF token, another origin or
// Host, a used login URL, a body over 64 KiB. Run by web.sh inside the
// server's network namespace, where the server listens on 127.0.0.1; prints
// "ok - ..." / "not ok - ..." lines that web.sh numbers as TAP.
'use strict';

const { chromium } = require('playwright-core');
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { execFileSync } = require('child_process');

function env(name) {
	const v = process.env[name];
	if (!v)
		throw new Error(`${name} is not set: run tests/web/web.sh`);
	return v;
}

const BASE = env('CKQ_WEB_BASE');
const LOGIN = env('CKQ_WEB_URL');
const TMP = env('CKQ_WEB_TMP');
const ETC = env('CKQ_WEB_ETC');
const SH = env('CKQ_WEB_SH');
const CL_IP = env('CKQ_WEB_CLIENT_IP');
const WEB_OUT = env('CKQ_WEB_OUT');
const WEB_PID = Number(env('CKQ_WEB_PID'));
const LOG = env('CKQ_WEB_LOG');
const JOURNAL = env('CKQ_WEB_JOURNAL');
const STATS = env('CKQ_WEB_STATS');
const SHOTS = process.env.CKQ_WEB_SHOTS || '';
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

let failures = 0;

function ok(cond, desc, diag) {
	console.log(`${cond ? 'ok' : 'not ok'} - ${desc}`);
	if (!cond) {
		failures++;
		if (diag !== undefined)
			for (const l of String(diag).split('\n').slice(0, 25))
				console.log(`# ${l}`);
	}
	return cond;
}

function is(got, want, desc) {
	return ok(got === want, desc, `got:      ${JSON.stringify(got)}\nexpected: ${JSON.stringify(want)}`);
}

// "web.sh hook CMD ...": acts from the client namespace with tests/netns/lib.sh.
function hook(...args) {
	try {
		const out = execFileSync('bash', [SH, 'hook', ...args],
			{ encoding: 'utf8', timeout: 90000, stdio: ['ignore', 'pipe', 'pipe'] });
		return { rc: 0, out };
	} catch (e) {
		return { rc: e.status ?? 99, out: `${e.stdout || ''}${e.stderr || ''}${e.message}` };
	}
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

async function until(seconds, fn) {
	const end = Date.now() + seconds * 1000;
	for (;;) {
		const v = await fn();
		if (v || Date.now() > end)
			return v;
		await sleep(200);
	}
}

function count(file, re) {
	try {
		return fs.readFileSync(file, 'utf8').split('\n').filter(l => re.test(l)).length;
	} catch {
		return 0;
	}
}

// What a browser would not send: raw requests with chosen headers and body.
function request(method, urlPath, { headers = {}, body } = {}) {
	const u = new URL(BASE);
	return new Promise((resolve, reject) => {
		const req = http.request({ host: u.hostname, port: u.port, path: urlPath, method, headers,
			timeout: 10000 }, res => {
			let data = '';
			res.setEncoding('utf8');
			res.on('data', d => { data += d; });
			res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
		});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', e => {
			// The server cut the connection: status -1.
			if (e.code === 'EPIPE' || e.code === 'ECONNRESET')
				resolve({ status: -1, headers: {}, body: e.code });
			else
				reject(e);
		});
		if (body !== undefined)
			req.write(body);
		req.end();
	});
}

const form = o => new URLSearchParams(o).toString();
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

async function shot(page, name) {
	if (!SHOTS)
		return;
	fs.mkdirSync(SHOTS, { recursive: true });
	await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
	console.log(`# screenshot ${path.join(SHOTS, `${name}.png`)}`);
}

function publicPem(bits) {
	return crypto.generateKeyPairSync('rsa', { modulusLength: bits })
		.publicKey.export({ type: 'spki', format: 'pem' });
}

async function main() {
	const profile = fs.mkdtempSync(path.join(TMP, 'chromium-'));
	const ctx = await chromium.launchPersistentContext(profile, {
		executablePath: '/usr/bin/chromium',
		headless: true,
		viewport: { width: 1280, height: 800 },
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	ctx.setDefaultTimeout(15000);
	const page = ctx.pages()[0] || await ctx.newPage();
	const cspErrors = [];
	page.on('console', m => { if (/Content Security Policy|Refused to/.test(m.text())) cspErrors.push(m.text()); });
	page.on('pageerror', e => cspErrors.push(String(e)));

	try {
		await run(ctx, page, cspErrors);
	} finally {
		await ctx.close();
	}
}

async function run(ctx, page, cspErrors) {
	// --- refused without a session -------------------------------------------
	let r = await request('GET', '/users');
	is(r.status, 403, 'GET /users without a session is refused (403)');
	r = await request('POST', '/close', { headers: FORM, body: form({ set: 'ckq-tcp-22', addr: CL_IP }) });
	is(r.status, 403, 'POST /close without a session is refused (403)');
	r = await request('GET', '/login?token=' + '00'.repeat(32));
	is(r.status, 403, 'a wrong login token is refused (403)');
	r = await request('GET', '/static/app.js');
	ok(r.status === 200 && /^text\/javascript/.test(r.headers['content-type']) && /countdown/.test(r.body),
		'the countdown script is served by the app, as text/javascript');

	// --- log in -------------------------------------------------------------------
	const resp = await page.goto(LOGIN);
	is(new URL(page.url()).pathname, '/users', 'the login URL leads to the users page');
	const login = resp.request().redirectedFrom();
	const loginResp = login && await login.response();
	ok(loginResp && loginResp.status() === 303, 'the login answer is a 303 redirect');
	const cookieHdr = loginResp ? (await loginResp.headersArray())
		.filter(h => h.name.toLowerCase() === 'set-cookie').map(h => h.value).join('\n') : '';
	ok(/^ckq_session=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict$/.test(cookieHdr),
		'the session cookie is HttpOnly, SameSite=Strict, Path=/, 256 random bits', cookieHdr);
	const cookies = await ctx.cookies(BASE);
	const sess = cookies.find(c => c.name === 'ckq_session');
	ok(sess && sess.httpOnly && sess.sameSite === 'Strict' && sess.path === '/',
		'the browser stored it so', JSON.stringify(cookies));
	const h = resp.headers();
	is(h['content-security-policy'], CSP, 'the strict Content-Security-Policy is sent');
	is(h['x-content-type-options'], 'nosniff', 'X-Content-Type-Options: nosniff');
	is(h['referrer-policy'], 'no-referrer', 'Referrer-Policy: no-referrer');
	is(h['cache-control'], 'no-store', 'pages are not cached');
	r = await request('GET', new URL(LOGIN).pathname + new URL(LOGIN).search);
	is(r.status, 403, 'the login URL works once: used again it is refused (403)');

	const cookie = `ckq_session=${sess ? sess.value : ''}`;
	const csrf = await page.inputValue('form.logout input[name=csrf]');
	ok(/^[0-9a-f]{64}$/.test(csrf), 'each form carries a 256-bit CSRF token');

	// --- state changes need the CSRF token, our origin and our Host -------------
	r = await request('POST', '/close', { headers: { ...FORM, Cookie: cookie },
		body: form({ set: 'ckq-tcp-22', addr: CL_IP }) });
	is(r.status, 403, 'POST /close with a session but no CSRF token is refused (403)');
	r = await request('POST', '/close', { headers: { ...FORM, Cookie: cookie },
		body: form({ csrf: csrf.replace(/.$/, c => (c === '0' ? '1' : '0')), set: 'ckq-tcp-22', addr: CL_IP }) });
	is(r.status, 403, 'a CSRF token wrong in its last digit is refused (403)');
	r = await request('POST', '/revoke', { headers: { ...FORM, Cookie: cookie, Origin: 'http://evil.example' },
		body: form({ csrf, user: 'nobody' }) });
	is(r.status, 403, 'a form posted from another origin is refused (403), even with the token');
	r = await request('POST', '/revoke', { headers: { ...FORM, Cookie: cookie, 'Sec-Fetch-Site': 'same-site' },
		body: form({ csrf, user: 'nobody' }) });
	is(r.status, 403, 'so is one the browser says came from another site of ours (Sec-Fetch-Site)');
	r = await request('GET', '/users', { headers: { Cookie: cookie, Host: 'evil.example:8080' } });
	is(r.status, 403, 'a request for another Host name is refused (403): no DNS rebinding');
	r = await request('GET', '/close', { headers: { Cookie: cookie } });
	is(r.status, 405, 'GET of an action is refused (405)');
	const big = form({ csrf, name: 'big', ports: 'tcp/22', key: 'A'.repeat(100 * 1024) });
	r = await request('POST', '/register', { headers: { ...FORM, Cookie: cookie,
		'Content-Length': String(Buffer.byteLength(big)) }, body: big });
	is(r.status, 413, 'a body announced over 64 KiB is refused before it is read (413)');
	r = await request('POST', '/register', { headers: { ...FORM, Cookie: cookie }, body: big });
	is(r.status, -1, 'a chunked one is cut off when it passes 64 KiB');

	// --- register: refused uploads, each saying why ---------------------------------
	const carolPem = fs.readFileSync(path.join(TMP, 'client/carol/keys/carol.pub'), 'utf8');
	await page.click('nav a[href="/register"]');
	is(await page.textContent('h1'), 'Register a user', 'the register page');
	const tryRegister = async (fields, want, desc) => {
		await page.goto(BASE + '/register');
		for (const [k, v] of Object.entries(fields))
			await page.fill(`#${k}`, v);
		await page.click('form.register button[type=submit]');
		const err = await page.locator('#error').textContent().catch(() => '');
		return ok(want.test(err), desc, err);
	};
	await tryRegister({ name: 'carol', key: 'hello, this is not a key', ports: 'tcp/22' },
		/not a PEM public key/, 'text that is not a key is refused: "not a PEM public key"');
	await tryRegister({ name: 'carol', key: publicPem(1024), ports: 'tcp/22' },
		/RSA key of 1024 bits, too small: ckq takes 2048 to 4096 bits/, 'a 1024-bit key is refused as too small');
	const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
	await tryRegister({ name: 'carol', key: ec, ports: 'tcp/22' },
		/is a EC key: ckq takes RSA keys of 2048 to 4096 bits and Ed25519 keys/,
		'an EC key is refused: RSA and Ed25519 only');
	const sshDir = path.join(TMP, 'ssh-web');
	fs.mkdirSync(sshDir, { recursive: true });
	execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', path.join(sshDir, 'rsa')]);
	await tryRegister({ name: 'carol', key: fs.readFileSync(path.join(sshDir, 'rsa.pub'), 'utf8'), ports: 'tcp/22' },
		/OpenSSH ssh-rsa key: ckq takes ssh-ed25519 and sk-ssh-ed25519 keys; for RSA use the PEM key of 'ckq keygen'/,
		'an OpenSSH ssh-rsa line is refused, saying which keys are taken');
	const priv = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
	await tryRegister({ name: 'carol', key: priv, ports: 'tcp/22' },
		/PRIVATE key: only the public key/, 'a private key is refused, and said to be one');
	await tryRegister({ name: 'carol', key: carolPem, ports: 'tcp/22,ssh' },
		/ports: 'ssh' is not a port: write tcp\/22, udp\/53 or 22/, 'an unknown port syntax is refused, naming the item');
	await tryRegister({ name: 'carol', key: carolPem, ports: 'tcp/70000' },
		/'tcp\/70000' is not a port/, 'a port over 65535 is refused');
	await tryRegister({ name: 'carol', key: '', ports: 'tcp/22' },
		/no public key/, 'no key at all is refused');
	const evil = '<img src=x onerror=alert(1)>';
	await tryRegister({ name: evil, key: carolPem, ports: 'tcp/22' },
		/'<img src=x onerror=alert\(1\)>' is not a valid name/, 'a bad name is refused, shown as text');
	is(await page.locator('#error img').count(), 0, 'the name did not become an element: it was escaped');
	is(await page.inputValue('#name'), evil, 'and it is given back in the form intact');
	ok(!fs.existsSync(path.join(ETC, 'users/carol.conf')), 'none of that wrote a user file');

	// --- register carol (pasted), see the QR code once ----------------------------------
	await page.goto(BASE + '/register');
	await page.fill('#name', 'carol');
	await page.fill('#key', carolPem);
	await page.fill('#ports', 'tcp/22,tcp/443');
	await shot(page, 'register');
	const reloads = count(LOG, /reloaded \d+ users? from /);
	const [regResp] = await Promise.all([
		page.waitForResponse(res => res.url().endsWith('/register') && res.request().method() === 'POST'),
		page.click('form.register button[type=submit]'),
	]);
	is(regResp.status(), 200, 'registering carol succeeds');
	is(regResp.headers()['cache-control'], 'no-store', 'the QR page is not stored');
	is(await page.locator('#qr svg').count(), 1, 'the QR page shows an SVG QR code');
	const svg = await page.locator('#qr svg').evaluate(e => e.outerHTML);
	ok(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="qr" viewBox="0 0 (\d+) \1"/.test(svg) &&
		/<path fill="#000" d="(M\d+ \d+h\d+v1h-\d+z)+"/.test(svg), 'made of one path of module runs');
	const uri = (await page.textContent('#otpauth')) || '';
	const m = /^otpauth:\/\/totp\/ckq:carol\?secret=([A-Z2-7]{32})&issuer=ckq&algorithm=SHA1&digits=6&period=30$/.exec(uri);
	ok(m, 'the otpauth:// URI carries a 160-bit base32 secret', uri);
	const secret = m ? m[1] : 'NONE';
	const conf = fs.readFileSync(path.join(ETC, 'users/carol.conf'), 'utf8');
	ok(conf.includes(`totp_secret = ${secret}`), "it is the secret of carol's user file");
	ok(/There is no ipset ckq-tcp-443 yet/.test(await page.textContent('main')),
		'it warns that tcp/443 has no ipset yet');
	ok(/reloaded its users/.test(await page.textContent('#flash')), 'and says ckqd reloaded');
	ok(await until(5, () => count(LOG, /reloaded \d+ users? from /) > reloads), 'ckqd did reload (its log)');
	ok(fs.readFileSync(path.join(ETC, 'users/carol.pub'), 'utf8') === crypto.createPublicKey(carolPem)
		.export({ type: 'spki', format: 'pem' }), 'carol.pub holds her key, as OpenSSL writes it');
	await shot(page, 'qr');
	fs.writeFileSync(path.join(TMP, 'otp/carol.secret'), secret + '\n');

	// --- dave, uploaded as a file ---------------------------------------------------------
	await page.goto(BASE + '/register');
	await page.fill('#name', 'dave');
	await page.setInputFiles('#keyfile', path.join(TMP, 'client/dave/keys/dave.pub'));
	await page.fill('#ports', '22');
	await page.click('form.register button[type=submit]');
	ok(/dave is registered/.test(await page.textContent('#flash')), 'dave registers with an uploaded .pub file');
	await page.goto(BASE + '/register');
	await page.fill('#name', 'dave');
	await page.fill('#key', carolPem);
	await page.fill('#ports', '22');
	await page.click('form.register button[type=submit]');
	ok(/user dave exists/.test(await page.locator('#error').textContent()), 'registering dave again is refused');

	// --- erin, an Ed25519 SSH key pasted as a line of authorized_keys (suite 2) ---------
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'erin@laptop', '-f', path.join(sshDir, 'erin')]);
	const erinLine = fs.readFileSync(path.join(sshDir, 'erin.pub'), 'utf8');
	const erinFp = execFileSync('ssh-keygen', ['-lf', path.join(sshDir, 'erin.pub')], { encoding: 'utf8' }).split(' ')[1];
	await page.goto(BASE + '/register');
	await page.fill('#name', 'erin');
	await page.fill('#key', `no-pty,from="192.0.2.0/24" ${erinLine}`);
	await page.fill('#ports', '22');
	await page.click('form.register button[type=submit]');
	const erinFlash = (await page.textContent('#flash').catch(() => '')) || '';
	ok(erinFlash.includes(`erin is registered with the ssh-ed25519 key ${erinFp}`),
		'erin registers with an authorized_keys line: the page says ssh-ed25519 and the fingerprint ssh-keygen -lf gives', erinFlash);
	is(fs.readFileSync(path.join(ETC, 'users/erin.pub'), 'utf8'), erinLine,
		'erin.pub is her OpenSSH line, the options gone, the comment kept');

	// --- a knock with the secret the page showed, seen on the users page ---------------
	let k = hook('knock', 'open', 'carol');
	is(k.rc, 0, 'the client namespace knocks as carol with that secret: granted');
	if (k.rc)
		console.log(k.out.replace(/^/gm, '# '));
	await page.goto(BASE + '/users');
	const row = page.locator('#user-carol');
	const status = (await row.locator('td.status').textContent()) || '';
	ok(new RegExp(`open tcp/22 ssh for ${CL_IP.replace(/\./g, '\\.')} until \\d\\d:\\d\\d:\\d\\d`).test(status),
		"carol's row shows tcp/22 open for the client's address, until when", status);
	ok(/tcp\/22 ssh/.test(await row.locator('ul.ports').textContent()) &&
		/tcp\/443 https/.test(await row.locator('ul.ports').textContent()), 'her ports, with their service names');
	ok(/^SHA256:[A-Za-z0-9+/]{43}$/.test(await row.locator('code.fp').textContent()), 'her key fingerprint');
	is(await row.locator('.keytype').textContent(), 'rsa-2048', 'her key type');
	is(await page.locator('#user-erin code.fp').textContent(), erinFp,
		"erin's row: her fingerprint, as ssh-keygen -lf shows it");
	is(await page.locator('#user-erin .keytype').textContent(), 'ssh-ed25519', 'and her key type');
	const c1 = await row.locator('.countdown').textContent();
	await sleep(2200);
	const c2 = await row.locator('.countdown').textContent();
	ok(/^\d+:\d\d$/.test(c1) && /^\d+:\d\d$/.test(c2) && c1 !== c2,
		`the countdown runs (the external script, under the CSP): ${c1} then ${c2}`);
	ok(/closed/.test(await page.locator('#user-dave td.status').textContent()), "dave's row says closed");
	const users = await page.content();
	ok(!users.includes(secret), 'the users page does not show the TOTP secret');
	await shot(page, 'users');

	// --- the activity page --------------------------------------------------------------
	await until(10, async () => {
		await page.goto(BASE + '/activity');
		return /granted/.test(await page.locator('#log').textContent().catch(() => '')) &&
			/granted\s*[1-9]/.test(await page.locator('#counters').textContent().catch(() => ''));
	});
	const logRow = page.locator('#log tbody tr', { hasText: 'carol' }).first();
	const logText = (await logRow.textContent().catch(() => '')) || '';
	ok(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(logText) && /granted/.test(logText) &&
		logText.includes(CL_IP) && /tcp\/22/.test(logText) && /for 300 s/.test(logText),
		'the activity page lists the grant to carol: time, address, port, duration', logText);
	ok((await page.textContent('#log-src')).includes(JOURNAL), 'and says which file the decisions come from');
	const counters = await page.locator('main').textContent();
	ok(/From \S+ \(stats_file in ckqd.conf\)/.test(counters) && counters.includes(STATS),
		'and where its counters come from', counters);
	ok(/granted\s*[1-9]/.test(await page.locator('#counters').textContent().catch(() => '')),
		"ckqd's counters show the grant", counters);
	ok(!(await page.content()).includes(secret), 'nor does the activity page show the secret');

	// --- close the grant ----------------------------------------------------------------------
	await page.goto(BASE + '/users');
	await page.locator('#user-carol li.grant button', { hasText: 'Close' }).click();
	is(new URL(page.url()).pathname, '/users', 'closing leads back to the users page');
	is(await page.textContent('#flash'), `Closed tcp/22 for ${CL_IP} (carol).`, 'which says what it closed');
	ok(/closed/.test(await page.locator('#user-carol td.status').textContent()), "carol's row says closed");
	is(hook('not_in_set', CL_IP).rc, 0, 'the address is gone from the ipset');
	is(hook('cannot_connect').rc, 0, 'and the client cannot connect');

	// --- revoke, through the confirmation page ---------------------------------------------
	k = hook('knock', 'open', 'carol');
	is(k.rc, 0, 'carol knocks again');
	await page.goto(BASE + '/users');
	await page.locator('#user-carol a', { hasText: 'Revoke' }).click();
	is(await page.textContent('h1'), 'Revoke carol?', 'Revoke asks first, on a page of its own');
	ok(/1 open grant closes at once/.test(await page.textContent('main')), 'saying her open grant will close');
	ok(!/revoked = yes/.test(fs.readFileSync(path.join(ETC, 'users/carol.conf'), 'utf8')),
		'asking changed nothing yet');
	const reloads2 = count(LOG, /reloaded \d+ users? from /);
	await page.click('#confirm');
	is(await page.textContent('#flash'), 'Revoked carol and closed 1 grant. ckqd reloaded its users.',
		'confirmed, it revokes her and closes the grant');
	ok(/revoked/.test(await page.locator('#user-carol td.status').textContent()), "carol's row says revoked");
	is(await page.locator('#user-carol a', { hasText: 'Revoke' }).count(), 0, 'and offers no second revoke');
	ok(/^revoked = yes$/m.test(fs.readFileSync(path.join(ETC, 'users/carol.conf'), 'utf8')),
		"carol's user file says revoked = yes");
	is(hook('not_in_set', CL_IP).rc, 0, 'her grant is gone from the ipset');
	ok(await until(5, () => count(LOG, /reloaded \d+ users? from /) > reloads2), 'ckqd reloaded');
	k = hook('knock', 'open', 'carol', '--attempts', '2', '--timeout', '500');
	is(k.rc, 1, "carol's next knock is refused");
	ok(await until(10, async () => {
		await page.goto(BASE + '/activity');
		return /refused\s*carol[\s\S]*revoked: the user is revoked/.test(await page.locator('#log').textContent().catch(() => ''));
	}), 'the activity page shows the refusal and why: revoked');
	ok(await until(10, async () => {
		await page.goto(BASE + '/activity');
		return /refused\s*[1-9]/.test(await page.locator('#counters').textContent().catch(() => '')) &&
			/revoked/.test(await page.locator('#reasons').textContent().catch(() => ''));
	}), "ckqd's counters count it, by reason");
	await shot(page, 'activity');

	is(cspErrors.length, 0, 'no page broke the Content-Security-Policy or threw', cspErrors.join('\n'));

	// --- log out; a new login URL on SIGUSR1 ----------------------------------------------------
	await page.goto(BASE + '/users');
	await page.click('form.logout button');
	is(await page.textContent('h1'), 'Logged out', 'Log out');
	r = await request('GET', '/users', { headers: { Cookie: cookie } });
	is(r.status, 403, 'the old session cookie is refused afterwards (403)');
	const before = fs.readFileSync(WEB_OUT, 'utf8').split('\n').filter(l => l.startsWith('Log in at ')).length;
	process.kill(WEB_PID, 'SIGUSR1');
	const next = await until(5, () => {
		const l = fs.readFileSync(WEB_OUT, 'utf8').split('\n').filter(x => x.startsWith('Log in at '));
		return l.length > before ? l[l.length - 1].slice('Log in at '.length) : '';
	});
	ok(next && next !== LOGIN, 'SIGUSR1 prints a new login URL');
	if (next) {
		await page.goto(next);
		is(new URL(page.url()).pathname, '/users', 'which logs in');
	}
}

main().then(() => {
	console.log(`# ${failures} failed`);
	process.exit(failures ? 1 : 0);
}, e => {
	console.log(`not ok - the browser test ran to its end`);
	for (const l of String(e && e.stack || e).split('\n'))
		console.log(`# ${l}`);
	process.exit(1);
});
