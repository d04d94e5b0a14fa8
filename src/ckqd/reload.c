/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ckqd's reloads: ckqd.conf and the users read again on SIGHUP, swapped in
 * under the workers' lock, and reload.state telling ckq-admin when a change
 * is in force.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ckqd.h"
#include "err.h"
#include "util.h"

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * The reload generations ckq-admin waits for (conf_reload_file): started
 * before a reload reads anything, done once its result is in force.
 */
static uint64_t reload_started, reload_done;
static char reload_error[CKQ_ERRBUF];

#define RELOAD_BROKEN_MAX 1000

void reload_state_write(struct ckqd *d)
{
	char path[PATH_MAX], *buf;
	size_t cap = 256 + sizeof(reload_error), used, i, listed = 0;
	const struct userdb *db = d->users;

	if (db)
		cap += (db->broken < RELOAD_BROKEN_MAX ? db->broken : RELOAD_BROKEN_MAX) *
		       (CKQ_USER_MAX + CKQ_ERRBUF + 16);
	buf = malloc(cap);
	if (!buf)
		return;
	used = (size_t)snprintf(buf, cap,
				"# ckqd's reloads, for ckq-admin: a change is in force once done\n"
				"# passes the started it read after making the change\n"
				"pid = %ld\nstarted = %llu\ndone = %llu\n", (long)getpid(),
				(unsigned long long)reload_started, (unsigned long long)reload_done);
	if (reload_error[0])
		used += (size_t)snprintf(buf + used, cap - used, "error = %s\n", reload_error);
	for (i = 0; db && i < db->n && listed < RELOAD_BROKEN_MAX; i++) {
		if (!db->users[i].load_error)
			continue;
		used += (size_t)snprintf(buf + used, cap - used, "broken = %s: %s\n",
					 db->users[i].name, db->users[i].load_error);
		listed++;
	}
	if (db && db->broken > listed)
		used += (size_t)snprintf(buf + used, cap - used, "truncated = yes\n");
	conf_reload_file(&d->conf, path, sizeof(path));
	if (file_write_atomic(path, buf, used, 0644) < 0)
		log_rl(&d->rl_error, LOG_WARNING,
		       "cannot write %s: %s (ckq-admin cannot tell that ckqd reloaded)", path,
		       strerror(errno));
	free(buf);
}

/*
 * users/ itself cannot be read: nobody's knock is taken until it can be,
 * rather than everyone's as it was before the change we could not see.
 */
static struct userdb *userdb_refuse_all(const struct userdb *old, const char *why)
{
	struct userdb *db = calloc(1, sizeof(*db));
	size_t i;

	if (!db)
		return NULL;
	if (old && old->n) {
		db->users = calloc(old->n, sizeof(*db->users));
		if (!db->users) {
			free(db);
			return NULL;
		}
	}
	for (i = 0; old && i < old->n; i++) {
		struct ckq_user *u = &db->users[db->n];

		memcpy(u->name, old->users[i].name, sizeof(u->name));
		u->revoked = true;
		u->load_error = strdup(why);
		if (!u->load_error)
			break;
		db->n++;
		db->broken++;
	}
	return db;
}

/*
 * Users and settings that can change without a restart. The files are
 * read and the keys parsed without any lock; the workers wait only for the
 * swap of two pointers' worth, and the old database is freed after it.
 */
int reload_users(struct ckqd *d, bool initial, uint64_t hup_ms)
{
	char err[CKQ_ERRBUF] = "";
	struct ckqd_conf conf;
	struct userdb *db, *old;
	uint64_t lock_us[3];
	uid_t uid;
	gid_t gid;
	size_t i;
	int ret;

	reload_error[0] = '\0';
	ret = conf_load(d->dir, &conf, err, sizeof(err));
	if (ret < 0) {
		log_err("%s", err[0] ? err : ckq_strerror(ret));
		if (initial)
			return ret;
		/* The users still reload: a typo in ckqd.conf must not keep a revoked key. */
		log_warn("keeping the settings of the last good ckqd.conf");
		conf = d->conf;
	}
	/*
	 * ckq-admin makes the users files root's, readable by our group (older
	 * versions gave them to our user); we read them as root first.
	 */
	if (initial && conf_user_lookup(conf.user, &uid, &gid, err, sizeof(err)) == 0) {
		file_trust_uid(uid);
		file_trust_gid(gid);
	}
	err[0] = '\0';
	ret = userdb_load_failsafe(d->dir, &db, err, sizeof(err));
	if (ret < 0) {
		log_err("%s", err[0] ? err : ckq_strerror(ret));
		if (initial)
			return ret;
		snprintf(reload_error, sizeof(reload_error), "%s", err[0] ? err : ckq_strerror(ret));
		db = userdb_refuse_all(d->users, reload_error);
		if (!db) {
			/* Not even that: stop, and the kernel drops the knocks (fail closed). */
			log_err("out of memory to refuse the users: exiting");
			d->failed = true;
			return CKQ_ERR_NOMEM;
		}
		log_err("refusing every user's knock until %s/users can be read", d->dir);
	}
	for (i = 0; i < db->n; i++)
		if (db->users[i].load_error && !(ret < 0))
			log_err("user %s is refused until their files load: %s", db->users[i].name,
				db->users[i].load_error);
	if (!initial) {
		char kept[512];

		if (conf_keep_restart_only(&conf, &d->conf, kept, sizeof(kept)))
			log_warn("%s change only on restart: still as ckqd started", kept);
	}
	/*
	 * The swap. Workers change TOTP steps only while they hold the read
	 * lock, so under the write lock the steps carried over are the last.
	 */
	lock_us[0] = mono_us();
	pthread_rwlock_wrlock(&d->users_lock);
	lock_us[1] = mono_us();
	for (i = 0; d->users && i < db->n; i++) {
		struct ckq_user *was = userdb_find(d->users, db->users[i].name);

		if (was)
			db->users[i].totp_last_step = was->totp_last_step;
	}
	old = d->users;
	d->users = db;
	d->conf = conf;
	pthread_rwlock_unlock(&d->users_lock);
	lock_us[2] = mono_us();

	/* Whoever is gone, newly revoked or unreadable loses their open grants now. */
	for (i = 0; !initial && old && i < old->n; i++) {
		const struct ckq_user *was = &old->users[i];
		const struct ckq_user *now = userdb_find(db, was->name);

		if (!was->revoked && (!now || now->revoked))
			engine_close_user(d, was->name);
	}
	userdb_free(old);
	log_set_level(d->debug ? LOG_DEBUG : conf.log_level);
	if (initial)
		log_info("loaded %zu user%s from %s/users", db->n, db->n == 1 ? "" : "s", d->dir);
	else
		log_info("reloaded %zu user%s from %s/users, %zu refused as unreadable, "
			 "in force %llu ms after the signal (the workers' lock: %llu us to get, "
			 "held %llu us)", db->n, db->n == 1 ? "" : "s", d->dir, db->broken,
			 (unsigned long long)(mono_ms() - hup_ms),
			 (unsigned long long)(lock_us[1] - lock_us[0]),
			 (unsigned long long)(lock_us[2] - lock_us[1]));
	return ret < 0 ? ret : 0;
}

void reload_signalled(struct ckqd *d, uint64_t hup_ms)
{
	reload_started++;
	reload_state_write(d);
	reload_users(d, false, hup_ms);
	reload_done = reload_started;
	reload_state_write(d);
}
