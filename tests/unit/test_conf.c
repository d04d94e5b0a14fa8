/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "log.h"
#include "tap.h"
#include "util.h"

static int parse(const char *text, struct ckqd_conf *c, char *err)
{
	conf_defaults(c);
	return conf_parse(text, strlen(text), "ckqd.conf", c, err, CKQ_ERRBUF);
}

static void test_conf(void)
{
	struct ckqd_conf c;
	char err[CKQ_ERRBUF];

	is_int(parse("", &c, err), 0, "empty file: defaults");
	is_int(c.knock_port, 8888, "default knock port");
	is_int(c.freshness, 30, "default freshness");
	is_int(parse("# comment\n\n  knock_port = 9999 \nfreshness=2m\nmax_grant = 2h\n"
		     "default_grant = 90s\nlog_level = debug\nqueue = 3\r\n", &c, err), 0,
	       "every kind of value parses");
	is_int(c.knock_port, 9999, "knock_port read");
	is_int(c.freshness, 120, "freshness in minutes");
	is_int(c.max_grant, 7200, "max_grant in hours");
	is_int(c.default_grant, 90, "default_grant with s");
	is_int(c.log_level, LOG_DEBUG, "log_level read");
	is_int(c.queue, 3, "queue read, CR ignored");

	is_int(parse("knock_port = 9999\nbogus = 1\n", &c, err), CKQ_ERR_CONFIG, "unknown keyword");
	ok(!strcmp(err, "ckqd.conf line 2: unknown keyword 'bogus'"), "message names file and line: %s", err);
	is_int(parse("knock_port = 70000\n", &c, err), CKQ_ERR_CONFIG, "port out of range");
	ok(strstr(err, "line 1") && strstr(err, "70000"), "message quotes the value: %s", err);
	is_int(parse("knock_port = 0\n", &c, err), CKQ_ERR_CONFIG, "port 0 refused");
	is_int(parse("freshness = 1\n", &c, err), CKQ_ERR_CONFIG, "freshness below 5 s refused");
	is_int(parse("freshness = 30x\n", &c, err), CKQ_ERR_CONFIG, "bad unit refused");
	is_int(parse("just words\n", &c, err), CKQ_ERR_CONFIG, "line without '='");
	ok(strstr(err, "line 1") != NULL, "malformed line numbered: %s", err);
	is_int(parse("log_level = loud\n", &c, err), CKQ_ERR_CONFIG, "unknown log level");
	is_int(parse("pid_file = relative\n", &c, err), CKQ_ERR_CONFIG, "relative pid_file refused");
	is_int(parse("default_grant = 2h\nmax_grant = 1h\n", &c, err), CKQ_ERR_CONFIG,
	       "default above max refused");
	is_int(parse("queue = 99999999999999999999\n", &c, err), CKQ_ERR_CONFIG, "overflow refused");
	is_int(parse("", &c, err), 0, "defaults again");
	is_int(c.grants, GRANT_IPSET, "grants default to ipset");
	is_int(parse("grants = nft\n", &c, err), 0, "grants = nft");
	is_int(c.grants, GRANT_NFT, "... selects the nftables sets");
	is_int(parse("grants = nft\ngrants = ipset\n", &c, err), 0, "grants = ipset");
	is_int(c.grants, GRANT_IPSET, "... the last line wins");
	is_int(parse("grants = iptables\n", &c, err), CKQ_ERR_CONFIG, "grants = iptables refused");
	ok(!strcmp(err, "ckqd.conf line 1: grants must be ipset or nft"), "saying what it takes: %s", err);
	is_int(parse("grants = NFT\n", &c, err), CKQ_ERR_CONFIG, "grants is case-sensitive");
	{
		char nul[] = "queue = 1\0 = 2\n";
		conf_defaults(&c);
		is_int(conf_parse(nul, sizeof(nul) - 1, "f", &c, err, sizeof(err)), CKQ_ERR_CONFIG,
		       "NUL byte inside a line refused");
	}
	is_int(parse("seccomp = no\n", &c, err), 0, "seccomp = no");
	ok(!c.seccomp, "... turns the filter off");
	is_int(parse("seccomp = no\nseccomp = yes\n", &c, err), 0, "seccomp = yes");
	ok(c.seccomp, "... turns it on");
	is_int(parse("seccomp = off\n", &c, err), CKQ_ERR_CONFIG, "seccomp = off refused");
	ok(!strcmp(err, "ckqd.conf line 1: seccomp must be yes or no"), "saying what it takes: %s", err);
	is_int(parse("seccomp = YES\n", &c, err), CKQ_ERR_CONFIG, "yes is case-sensitive");
	is_int(parse("user = ckq-d_1.x\n", &c, err), 0, "user of A-Z a-z 0-9 . _ -");
	ok(!strcmp(c.user, "ckq-d_1.x"), "user read: %s", c.user);
	is_int(parse("user = -ckqd\n", &c, err), CKQ_ERR_CONFIG, "user starting with - refused");
	is_int(parse("user = ck qd\n", &c, err), CKQ_ERR_CONFIG, "user with a space refused");
	is_int(parse("user = ck/qd\n", &c, err), CKQ_ERR_CONFIG, "user with a slash refused");
	{
		char line[sizeof(c.user) + 16];

		snprintf(line, sizeof(line), "user = %0*d\n", (int)sizeof(c.user), 0);
		is_int(parse(line, &c, err), CKQ_ERR_CONFIG, "user with no room for its NUL refused");
		snprintf(line, sizeof(line), "user = %0*d\n", (int)sizeof(c.user) - 1, 0);
		is_int(parse(line, &c, err), 0, "user one shorter accepted");
	}
}

static void test_restart_only(void)
{
	struct ckqd_conf run, c;
	char err[CKQ_ERRBUF], kept[512];

	is_int(parse("pid_file = /run/x/a-much-longer-name.pid\npid_file = /run/ckqd/ckqd.pid\n"
		     "freshness = 1m\n", &run, err), 0, "the settings ckqd started with");
	is_int(parse("freshness = 2m\nlog_level = debug\nmax_grant = 2h\n", &c, err), 0,
	       "a reload's ckqd.conf");
	is_int(conf_keep_restart_only(&c, &run, kept, sizeof(kept)), 0,
	       "only reloadable settings changed: nothing kept (a path equal to the default "
	       "after a longer one is the same path)");
	ok(!kept[0], "and none named: '%s'", kept);
	ok(c.freshness == 120 && c.log_level == LOG_DEBUG && c.max_grant == 7200,
	   "the reloadable ones take their new values");
	is_int(parse("knock_port = 9999\nqueue_maxlen = 64\nstate_dir = /srv/ckq\n"
		     "user = root\nseccomp = no\ngrants = nft\nsource_rate = 9\n"
		     "freshness = 10\n", &c, err), 0, "a reload changing settings of every kind");
	is_int(conf_keep_restart_only(&c, &run, kept, sizeof(kept)), 7, "seven restart-only changes");
	ok(!strcmp(kept, "knock_port, queue_maxlen, user, state_dir, source_rate, seccomp, grants"),
	   "named in the table's order: %s", kept);
	ok(c.knock_port == run.knock_port && c.queue_maxlen == run.queue_maxlen &&
	   !strcmp(c.state_dir, run.state_dir) && !strcmp(c.user, run.user) && c.seccomp &&
	   c.grants == GRANT_IPSET && c.source_rate == run.source_rate,
	   "each put back to what ckqd started with");
	is_int(c.freshness, 10, "while freshness changes");
	is_int(conf_keep_restart_only(&c, &run, kept, 8), 0, "kept again: nothing differs now");
	c.queues = 4;
	c.max_pending = 7;
	is_int(conf_keep_restart_only(&c, &run, kept, 8), 2, "a short buffer still counts them all");
	ok(strlen(kept) < 8 && c.queues == run.queues && c.max_pending == run.max_pending,
	   "and puts them back: '%s'", kept);
}

static void test_duration_ports(void)
{
	struct port_spec p[CKQ_MAX_PORTS];
	char out[128];
	uint32_t v = 0;
	size_t n = 0;

	is_int(parse_duration("45", &v), 0, "bare seconds");
	is_int(v, 45, "45 s");
	is_int(parse_duration("1d", &v), 0, "days");
	is_int(v, 86400, "1 d");
	ok(parse_duration("", &v) < 0 && parse_duration("m", &v) < 0 &&
	   parse_duration("-5", &v) < 0 && parse_duration("5 m", &v) < 0 &&
	   parse_duration("99999999d", &v) < 0, "bad durations refused");

	is_int(ports_parse("tcp/22, udp/53,80", p, CKQ_MAX_PORTS, &n), 0, "port list");
	is_int(n, 3, "three ports");
	ok(p[0].proto == CKQ_PROTO_TCP && p[0].port == 22 && p[1].proto == CKQ_PROTO_UDP &&
	   p[1].port == 53 && p[2].proto == CKQ_PROTO_TCP && p[2].port == 80, "ports decoded");
	is_int(ports_format(p, n, out, sizeof(out)), 0, "format");
	ok(!strcmp(out, "tcp/22,udp/53,tcp/80"), "canonical form: %s", out);
	is_int(ports_parse("tcp/22,tcp/22", p, CKQ_MAX_PORTS, &n), 0, "duplicates");
	is_int(n, 1, "duplicates folded");
	ok(ports_parse("", p, CKQ_MAX_PORTS, &n) < 0 && ports_parse("sctp/1", p, CKQ_MAX_PORTS, &n) < 0 &&
	   ports_parse("tcp/0", p, CKQ_MAX_PORTS, &n) < 0 && ports_parse("tcp/65536", p, CKQ_MAX_PORTS, &n) < 0 &&
	   ports_parse("tcp/2x", p, CKQ_MAX_PORTS, &n) < 0, "bad port lists refused");
	is_int(ports_parse("1,2,3", p, 2, &n), CKQ_ERR_RANGE, "too many ports");
}

static void test_user(void)
{
	struct ckq_user u;
	char err[CKQ_ERRBUF], *text = NULL;
	size_t len = 0;
	const char *good = "ports = tcp/22,tcp/443\ntotp_secret = GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n"
			   "revoked = no\nmax_grant = 10m\n";

	memset(&u, 0, sizeof(u));
	is_int(user_parse(good, strlen(good), "alice.conf", &u, err, sizeof(err)), 0, "user file parses");
	is_int(u.nports, 2, "two ports");
	is_int(u.totp_len, 20, "20-byte secret");
	ok(!memcmp(u.totp, "12345678901234567890", 20), "secret decoded");
	is_int(u.max_grant, 600, "max_grant");
	ok(user_may(&u, CKQ_PROTO_TCP, 443) && !user_may(&u, CKQ_PROTO_UDP, 443) &&
	   !user_may(&u, CKQ_PROTO_TCP, 23), "user_may");
	memcpy(u.name, "alice", 6);
	is_int(user_format(&u, &text, &len), 0, "user_format");
	{
		struct ckq_user v;

		memset(&v, 0, sizeof(v));
		is_int(user_parse(text, len, "again", &v, err, sizeof(err)), 0, "formatted file parses back");
		ok(v.nports == u.nports && v.totp_len == u.totp_len &&
		   !memcmp(v.totp, u.totp, u.totp_len) && v.max_grant == u.max_grant && !v.revoked,
		   "round trip keeps every field");
		user_clear(&v);
	}
	free(text);
	user_clear(&u);

	/* A file that fails half-read still leaves u for user_clear(). */
	memset(&u, 0, sizeof(u));
	is_int(user_parse("ports = tcp/22\n", 15, "u.conf", &u, err, sizeof(err)), CKQ_ERR_CONFIG,
	       "missing secret");
	ok(strstr(err, "totp_secret") != NULL, "says what is missing: %s", err);
	user_clear(&u);
	memset(&u, 0, sizeof(u));
	is_int(user_parse("ports = tcp/22\ntotp_secret = MZXW6===\n", 38, "u.conf", &u, err,
			  sizeof(err)), CKQ_ERR_CONFIG, "too short a secret");
	ok(strstr(err, "u.conf line 2") != NULL, "short secret: file and line: %s", err);
	user_clear(&u);
	memset(&u, 0, sizeof(u));
	is_int(user_parse("revoked = maybe\n", 16, "u.conf", &u, err, sizeof(err)), CKQ_ERR_CONFIG,
	       "revoked must be yes/no");
	user_clear(&u);
	memset(&u, 0, sizeof(u));
	is_int(user_parse("nat = 1\n", 8, "u.conf", &u, err, sizeof(err)), CKQ_ERR_CONFIG,
	       "nat must be yes/no");
	ok(!strcmp(err, "u.conf line 1: nat must be yes or no"), "saying so: %s", err);
	user_clear(&u);
	memset(&u, 0, sizeof(u));
	{
		const char *twice = "ports = tcp/22\nports = udp/53,tcp/1\n"
				    "totp_secret = GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n";

		is_int(user_parse(twice, strlen(twice), "u.conf", &u, err, sizeof(err)), 0,
		       "a repeated ports line parses");
	}
	ok(u.nports == 2 && user_may(&u, CKQ_PROTO_UDP, 53) && !user_may(&u, CKQ_PROTO_TCP, 22),
	   "and the last one counts, sized to it");
	user_clear(&u);
}

static void test_files(void)
{
	char dir[] = "/tmp/ckq-test-conf-XXXXXX", path[256], why[CKQ_ERRBUF], *buf = NULL;
	size_t len = 0;

	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	snprintf(path, sizeof(path), "%s/secret", dir);
	is_int(file_write_atomic(path, "s3cret\n", 7, 0600), 0, "atomic write");
	is_int(file_read(path, true, &buf, &len, why, sizeof(why)), 0, "0600 secret readable");
	ok(len == 7 && !memcmp(buf, "s3cret\n", 7), "content intact");
	free(buf);
	chmod(path, 0644);
	is_int(file_read(path, true, &buf, &len, why, sizeof(why)), CKQ_ERR_PERM,
	       "world-readable secret refused");
	ok(strstr(why, path) && strstr(why, "0644"), "says which file and why: %s", why);
	chmod(path, 0640);
	is_int(file_read(path, true, &buf, &len, why, sizeof(why)), CKQ_ERR_PERM,
	       "group-readable secret refused");
	/* ckq-admin's users files: root's, readable by ckqd's group. */
	file_trust_gid(getegid());
	is_int(file_read(path, true, &buf, &len, why, sizeof(why)), 0,
	       "readable by the trusted group: taken");
	free(buf);
	chmod(path, 0660);
	is_int(file_read(path, true, &buf, &len, why, sizeof(why)), CKQ_ERR_PERM,
	       "writable by the trusted group: refused");
	chmod(path, 0604);
	is_int(file_read(path, true, &buf, &len, why, sizeof(why)), CKQ_ERR_PERM,
	       "world-readable: refused whatever the group");
	file_trust_gid(getegid() + 1);
	chmod(path, 0640);
	is_int(file_read(path, true, &buf, &len, why, sizeof(why)), CKQ_ERR_PERM,
	       "readable by a group not trusted: refused");
	file_trust_gid((gid_t)-1);
	snprintf(path, sizeof(path), "%s/link", dir);
	ok(symlink("secret", path) == 0, "make a symlink");
	is_int(file_read(path, false, &buf, &len, why, sizeof(why)), CKQ_ERR_IO, "symlink refused");
	ok(strstr(why, "symbolic") != NULL, "says so: %s", why);
	snprintf(path, sizeof(path), "%s/none", dir);
	is_int(file_read(path, false, &buf, &len, why, sizeof(why)), CKQ_ERR_NOENT, "missing file");

	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		printf("# could not remove %s\n", dir);
}

static void put(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/users/%s", dir, name);
	if (file_write_atomic(path, text, strlen(text), mode) < 0)
		bail_out("cannot write a users file");
}

/* ckqd's load: a broken user is kept, refused, with why; the rest load. */
static void test_userdb_failsafe(void)
{
	static const char good[] = "ports = tcp/22\ntotp_secret = JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n";
	char dir[] = "/tmp/ckq-test-userdb-XXXXXX", path[512], err[CKQ_ERRBUF] = "";
	struct ckq_key *key = NULL;
	struct userdb *db = NULL;
	struct ckq_user *u;
	char *pem = NULL;
	size_t len = 0;

	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	snprintf(path, sizeof(path), "%s/users", dir);
	if (mkdir(path, 0700) < 0 || key_generate(2048, &key) < 0 ||
	    key_to_pem(key, false, &pem, &len) < 0)
		bail_out("cannot set up the users directory and key");
	put(dir, "alice.conf", good, 0600);
	put(dir, "alice.pub", pem, 0644);
	put(dir, "bob.conf", "ports = tcp/banana\ntotp_secret = JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n",
	    0600);
	put(dir, "bob.pub", pem, 0644);
	put(dir, "carol.conf", good, 0600);	/* no carol.pub */
	put(dir, "dave.conf", good, 0644);	/* a secret others may read */
	put(dir, "dave.pub", pem, 0644);

	ok(userdb_load(dir, &db, err, sizeof(err)) < 0 && strstr(err, "/users/"),
	   "userdb_load: one broken file fails the whole load (%s)", err);
	err[0] = '\0';
	is_int(userdb_load_failsafe(dir, &db, err, sizeof(err)), 0, "userdb_load_failsafe loads");
	ok(db && db->n == 4 && db->broken == 3, "four users, three of them broken (%zu, %zu)",
	   db ? db->n : 0, db ? db->broken : 0);
	u = userdb_find(db, "alice");
	ok(u && !u->revoked && !u->load_error && u->pub && u->nports == 1, "alice loads whole");
	u = userdb_find(db, "bob");
	ok(u && u->revoked && u->load_error && strstr(u->load_error, "bob.conf line 1") &&
	   !u->pub && !u->nports, "bob: refused, and why names the file and line (%s)",
	   u && u->load_error ? u->load_error : "-");
	u = userdb_find(db, "carol");
	ok(u && u->revoked && u->load_error && strstr(u->load_error, "carol.pub"),
	   "carol without her key: refused, and why names carol.pub");
	u = userdb_find(db, "dave");
	ok(u && u->revoked && u->load_error && strstr(u->load_error, "0644"),
	   "dave's world-readable file: refused");
	userdb_free(db);

	/* A file ckqd's user cannot read: tests/netns/reload.sh (we are root here). */
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		printf("# could not remove %s\n", dir);
	free(pem);
	key_free(key);
}

static char *slurp(const char *rel)
{
	const char *src = getenv("CKQ_SRCDIR");
	char path[512], why[CKQ_ERRBUF], *text = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/tests/data/%s", src ? src : ".", rel);
	if (file_read(path, false, &text, &len, why, sizeof(why)) < 0)
		bail_out(why);
	return text;
}

/* A user's key decides their suite: RSA PEM, or Ed25519 as an OpenSSH line or PEM. */
static void test_userdb_suites(void)
{
	static const char conf[] = "ports = tcp/22\ntotp_secret = JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n";
	static const struct {
		const char *user, *file, *type, *fp;
	} keys[] = {
		{ "alice", "alice.pub", "rsa-2048", NULL },
		{ "bob", "ssh/bob_ed25519.pub", "ssh-ed25519",
		  "SHA256:nV0SCRGe7kukD8Zildj7Fuah7Ng1QXri42tBMwHBmA8" },
		{ "bobsk", "ssh/bob_sk_ed25519.pub", "sk-ssh-ed25519@openssh.com",
		  "SHA256:PyMQNM4AyI4rji+LKc0tANLxpqfHEfAiNc+/IrkR1S8" },
		{ "bobak", "ssh/authorized_keys_line", "ssh-ed25519",
		  "SHA256:nV0SCRGe7kukD8Zildj7Fuah7Ng1QXri42tBMwHBmA8" },
		{ "carol", "ssh/carol_ed25519.pem", "ssh-ed25519",
		  "SHA256:86LJwcFk1fshyFT2ks1kxA7kS3d3MBLrNb+9rH5lCjM" },
	};
	char dir[] = "/tmp/ckq-test-suites-XXXXXX", path[512], err[CKQ_ERRBUF] = "";
	char type[64], fp[CKQ_FP_STRLEN];
	struct userdb *db = NULL;
	struct ckq_user *u;

	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	snprintf(path, sizeof(path), "%s/users", dir);
	if (mkdir(path, 0700) < 0)
		bail_out("mkdir users");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *text = slurp(keys[i].file), fname[32];

		snprintf(fname, sizeof(fname), "%s.conf", keys[i].user);
		put(dir, fname, conf, 0600);
		snprintf(fname, sizeof(fname), "%s.pub", keys[i].user);
		put(dir, fname, text, 0644);
		free(text);
	}
	/* OpenSSH keys of types ckq has no suite for are refused, naming the file. */
	put(dir, "dave.conf", conf, 0600);
	put(dir, "dave.pub", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 dave@x\n", 0644);

	is_int(userdb_load_failsafe(dir, &db, err, sizeof(err)), 0, "users of both suites load");
	for (size_t i = 0; db && i < sizeof(keys) / sizeof(keys[0]); i++) {
		u = userdb_find(db, keys[i].user);
		if (!u || u->load_error) {
			ok(0, "%s loads (%s)", keys[i].user, u && u->load_error ? u->load_error : "-");
			continue;
		}
		user_key_type(u, type, sizeof(type));
		key_fp_str(user_key_fp(u), fp);
		is_int(user_suite(u), i == 0 ? CKQ_SUITE_1 : CKQ_SUITE_2, "%s: suite", keys[i].user);
		ok(!strcmp(type, keys[i].type), "%s: key type %s", keys[i].user, type);
		ok(!keys[i].fp || !strcmp(fp, keys[i].fp),
		   "%s: fingerprint %s is ssh-keygen -lf's", keys[i].user, fp);
		ok(i == 0 ? u->pub && !u->ssh : u->ssh && !u->pub && !u->key,
		   "%s: one key kept, in its suite's form", keys[i].user);
	}
	u = db ? userdb_find(db, "dave") : NULL;
	ok(u && u->revoked && u->load_error && strstr(u->load_error, "dave.pub") &&
	   strstr(u->load_error, "ssh-ed25519"),
	   "an ssh-rsa key is refused, and why says what is taken (%s)",
	   u && u->load_error ? u->load_error : "-");
	userdb_free(db);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		printf("# could not remove %s\n", dir);
}

/* server.pub: the RSA and X25519 public keys as PEM blocks, either alone valid. */
static void test_server_pub(void)
{
	char *rsa = slurp("server.pub"), *x = slurp("keys25519/server_x25519.pub");
	char *ed = slurp("ssh/carol_ed25519.pem"), *xpriv = slurp("keys25519/server_x25519.key");
	char both[8192], dir[] = "/tmp/ckq-test-srvkey-XXXXXX", path[512], err[CKQ_ERRBUF];
	uint8_t want[CKQ_X25519_LEN];
	struct server_pubkeys k;
	struct ckq_x25519 *priv = NULL;
	struct ckq_key *rk = NULL;

	if (x25519_pub_from_pem(x, strlen(x), want) < 0)
		bail_out("the test X25519 key");
	is_int(server_pub_parse(rsa, strlen(rsa), &k), 0, "an RSA key alone (a server from before suite 2)");
	ok(k.rsa && !k.has_x25519, "only the RSA key");
	server_pubkeys_clear(&k);
	is_int(server_pub_parse(x, strlen(x), &k), 0, "an X25519 key alone");
	ok(!k.rsa && k.has_x25519 && !memcmp(k.x25519, want, sizeof(want)), "only the X25519 key");
	server_pubkeys_clear(&k);
	snprintf(both, sizeof(both), "%s\n%s", rsa, x);
	is_int(server_pub_parse(both, strlen(both), &k), 0, "RSA then X25519, a blank line between");
	ok(k.rsa && k.has_x25519 && !memcmp(k.x25519, want, sizeof(want)), "both keys");
	server_pubkeys_clear(&k);
	snprintf(both, sizeof(both), "%s%s", x, rsa);
	is_int(server_pub_parse(both, strlen(both), &k), 0, "X25519 then RSA");
	ok(k.rsa && k.has_x25519, "both keys, either order");
	server_pubkeys_clear(&k);
	snprintf(both, sizeof(both), "%s%s", rsa, rsa);
	ok(server_pub_parse(both, strlen(both), &k) < 0 && !k.rsa, "two RSA keys: refused");
	snprintf(both, sizeof(both), "%s%s", x, x);
	ok(server_pub_parse(both, strlen(both), &k) < 0, "two X25519 keys: refused");
	snprintf(both, sizeof(both), "%s%s", rsa, ed);
	ok(server_pub_parse(both, strlen(both), &k) < 0 && !k.rsa, "an Ed25519 block: refused");
	snprintf(both, sizeof(both), "%sjunk\n%s", rsa, x);
	ok(server_pub_parse(both, strlen(both), &k) < 0, "text between the blocks: refused");
	snprintf(both, sizeof(both), "%s", rsa);
	both[strlen(both) - 10] = '\0';
	ok(server_pub_parse(both, strlen(both), &k) < 0, "a cut block: refused");
	ok(server_pub_parse("\n\n", 2, &k) < 0, "no key at all: refused");

	if (!mkdtemp(dir))
		bail_out("mkdtemp");
	err[0] = '\0';
	is_int(server_x25519_load(dir, &priv, err, sizeof(err)), CKQ_ERR_NOENT,
	       "no server-x25519.key: suite 2 off, said by CKQ_ERR_NOENT");
	snprintf(path, sizeof(path), "%s/" CKQ_SERVER_X25519_KEY, dir);
	if (file_write_atomic(path, xpriv, strlen(xpriv), 0600) < 0)
		bail_out("write the key");
	is_int(server_x25519_load(dir, &priv, err, sizeof(err)), 0, "server-x25519.key loads");
	ok(priv && !memcmp(priv->pub, want, sizeof(want)), "its public half is server.pub's");
	x25519_free(priv);
	priv = NULL;
	chmod(path, 0644);
	ok(server_x25519_load(dir, &priv, err, sizeof(err)) < 0 && !priv,
	   "a world-readable server-x25519.key: refused");
	if (file_write_atomic(path, rsa, strlen(rsa), 0600) < 0)
		bail_out("write the key");
	ok(server_x25519_load(dir, &priv, err, sizeof(err)) < 0 && strstr(err, "X25519"),
	   "another kind of file: refused, saying what is needed (%s)", err);
	snprintf(path, sizeof(path), "%s/server.pub", dir);
	snprintf(both, sizeof(both), "%s%s", rsa, x);
	if (file_write_atomic(path, both, strlen(both), 0644) < 0)
		bail_out("write server.pub");
	is_int(server_key_load(dir, false, &rk, err, sizeof(err)), 0,
	       "server_key_load reads the RSA key of a two-key server.pub");
	key_free(rk);
	rk = NULL;
	if (file_write_atomic(path, x, strlen(x), 0644) < 0)
		bail_out("write server.pub");
	ok(server_key_load(dir, false, &rk, err, sizeof(err)) < 0 && strstr(err, "no RSA"),
	   "... and says when it has none (%s)", err);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		printf("# could not remove %s\n", dir);
	wipe(xpriv, strlen(xpriv));
	free(rsa);
	free(x);
	free(ed);
	free(xpriv);
}

static void test_cidr_date_user_extras(void)
{
	struct cidr c;
	struct ckq_addr a;
	struct ckq_user u;
	char err[CKQ_ERRBUF], out[64], *text = NULL;
	uint64_t end = 0;
	size_t len = 0;
	const char *f = "ports = 22\ntotp_secret = GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\nnat = yes\n"
			"allow_from = 192.0.2.0/24, 2001:db8::/32\nexpires = 2027-01-31\n";

	is_int(cidr_parse("10.0.0.0/8", &c), 0, "IPv4 network");
	addr_parse("10.200.1.2", &a);
	ok(cidr_match(&c, &a), "10.200.1.2 in 10.0.0.0/8");
	addr_parse("11.0.0.1", &a);
	ok(!cidr_match(&c, &a), "11.0.0.1 not in it");
	addr_parse("::ffff:10.0.0.1", &a);
	ok(!cidr_match(&c, &a), "another family never matches");
	is_int(cidr_parse("2001:db8::/32", &c), 0, "IPv6 network");
	addr_parse("2001:db8:ffff::1", &a);
	ok(cidr_match(&c, &a), "inside the /32");
	addr_parse("2001:db9::1", &a);
	ok(!cidr_match(&c, &a), "outside the /32");
	is_int(cidr_parse("192.0.2.7", &c), 0, "a bare address");
	is_int(c.bits, 32, "is a /32");
	ok(!strcmp(cidr_str(&c, out, sizeof(out)), "192.0.2.7/32"), "printed back: %s", out);
	is_int(cidr_parse("0.0.0.0/0", &c), 0, "/0");
	addr_parse("203.0.113.1", &a);
	ok(cidr_match(&c, &a), "/0 matches every IPv4 address");
	ok(cidr_parse("10.1.2.3/8", &c) < 0, "host bits set refused");
	ok(cidr_parse("10.0.0.0/33", &c) < 0 && cidr_parse("10.0.0.0/", &c) < 0 &&
	   cidr_parse("10.0.0.0/x", &c) < 0 && cidr_parse("nonsense/8", &c) < 0 &&
	   cidr_parse("::/129", &c) < 0, "bad networks refused");

	is_int(date_parse("2027-01-31", &end), 0, "a date");
	is_int((long long)end, 1801440000LL, "the account ends at the start of 2027-02-01 UTC");
	date_format(end, out);
	ok(!strcmp(out, "2027-01-31"), "formatted back: %s", out);
	ok(date_parse("2027-13-01", &end) < 0 && date_parse("2027-01-31x", &end) < 0 &&
	   date_parse("31/01/2027", &end) < 0 && date_parse("", &end) < 0, "bad dates refused");
	ok(date_parse("2027-02-30", &end) < 0 && date_parse("2027-04-31", &end) < 0 &&
	   date_parse("2027-1-05", &end) < 0 && date_parse(" 2027-01-05", &end) < 0,
	   "days that do not exist and loose formats refused");
	is_int(date_parse("2028-02-29", &end), 0, "a leap day exists");

	memset(&u, 0, sizeof(u));
	is_int(user_parse(f, strlen(f), "u.conf", &u, err, sizeof(err)), 0, "nat, allow_from, expires parse");
	ok(u.nat && u.nallow == 2 && u.expires == 1801440000ULL, "and are read");
	addr_parse("192.0.2.99", &a);
	ok(user_source_ok(&u, &a), "a source inside allow_from is allowed");
	addr_parse("198.51.100.1", &a);
	ok(!user_source_ok(&u, &a), "a source outside allow_from is refused");
	memcpy(u.name, "nat", 4);
	is_int(user_format(&u, &text, &len), 0, "formatted");
	{
		struct ckq_user v;

		memset(&v, 0, sizeof(v));
		is_int(user_parse(text, len, "again", &v, err, sizeof(err)), 0, "and parsed back: %s", err);
		ok(v.nat && v.nallow == 2 && v.expires == u.expires &&
		   cidr_match(&v.allow[1], &u.allow[1].net), "every extra survives the round trip");
		user_clear(&v);
	}
	free(text);
	user_clear(&u);
	memset(&u, 0, sizeof(u));
	ok(user_parse("ports = 22\nallow_from = 10.0.0.1/8\n", 33, "u.conf", &u, err, sizeof(err)) ==
	   CKQ_ERR_CONFIG && strstr(err, "u.conf line 2"), "a bad allow_from names its line: %s", err);
	user_clear(&u);
}

int main(void)
{
	test_conf();
	test_restart_only();
	test_cidr_date_user_extras();
	test_duration_ports();
	test_user();
	test_files();
	test_userdb_failsafe();
	test_userdb_suites();
	test_server_pub();
	return done_testing();
}
