/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckqd.h"
#include "err.h"
#include "replay.h"
#include "totp.h"
#include "util.h"

/*
 * The replay cache outlives a restart, or a message 1 captured just before
 * ckqd restarts could be replayed just after it, while still fresh.
 */
/*
 * Each user's last used TOTP step, too: without it a code used just before
 * a restart would work again just after it.
 */
static int steps_load(struct ckqd *d)
{
	char path[PATH_MAX], why[CKQ_ERRBUF], *text = NULL;
	struct kv_iter it;
	size_t len = 0, n = 0;
	/* A code is taken for steps up to now + 1: a later one is not ours. */
	uint64_t ceiling = d->now() / TOTP_STEP + 1;
	int ret, r;

	snprintf(path, sizeof(path), "%s/totp.state", d->conf.state_dir);
	ret = file_read(path, true, &text, &len, why, sizeof(why));
	if (ret == CKQ_ERR_NOENT)
		return 0;
	if (ret < 0) {
		log_warn("%s", why);
		return ret;
	}
	kv_init(&it, text, len);
	while ((r = kv_next(&it)) > 0) {
		struct ckq_user *u = userdb_find(d->users, it.key);
		char *end;
		unsigned long long step = strtoull(it.value, &end, 10);

		if (*end || !it.value[0]) {
			r = CKQ_ERR_FORMAT;
			break;
		}
		if (step > ceiling) {
			/* Kept, it would refuse every code of that user until then. */
			log_warn("%s line %u: %s's last TOTP step %llu is beyond now + 1 (%llu): "
				 "ignored", path, it.line, it.key, step, (unsigned long long)ceiling);
			continue;
		}
		if (u && step > u->totp_last_step) {
			u->totp_last_step = step;
			n++;
		}
	}
	free(text);
	if (r < 0) {
		log_warn("%s line %u: malformed; TOTP steps loaded so far are kept", path, it.line);
		return CKQ_ERR_FORMAT;
	}
	log_info("loaded the last TOTP step of %zu user%s from %s", n, n == 1 ? "" : "s", path);
	return 0;
}

/* Under d->lock: the workers change the steps under it. */
static int steps_format(const struct ckqd *d, char **out, size_t *len)
{
	char *buf;
	size_t i, used = 0, cap = (d->users ? d->users->n : 0) * (CKQ_USER_MAX + 24) + 1;

	buf = malloc(cap);
	if (!buf)
		return CKQ_ERR_NOMEM;
	buf[0] = '\0';
	for (i = 0; d->users && i < d->users->n; i++) {
		const struct ckq_user *u = &d->users->users[i];

		if (u->totp_last_step)
			used += (size_t)snprintf(buf + used, cap - used, "%s = %llu\n", u->name,
						 (unsigned long long)u->totp_last_step);
	}
	*out = buf;
	*len = used;
	return 0;
}

int state_load(struct ckqd *d)
{
	char path[PATH_MAX];
	int fd, ret;

	steps_load(d);
	snprintf(path, sizeof(path), "%s/replay.state", d->conf.state_dir);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		log_err("cannot read %s: %s", path, strerror(errno));
		return CKQ_ERR_IO;
	}
	ret = replay_load(d->replay, fd, d->now());
	close(fd);
	if (ret < 0) {
		/* Refusing to start would let anyone lock us out with one bad file. */
		log_warn("%s: %s: starting with an empty replay cache", path, ckq_strerror(ret));
		return ret;
	}
	log_info("loaded %zu replay-cache entries from %s", replay_count(d->replay), path);
	return 0;
}

/*
 * Called by the workers under d->lock: the main loop writes the files
 * within a second (state_snapshot, state_write), so no knock waits for a
 * disk.
 */
int state_save(struct ckqd *d)
{
	d->state_dirty = true;
	return 0;
}

int state_snapshot(struct ckqd *d, struct state_snap *snap)
{
	int ret;

	memset(snap, 0, sizeof(*snap));
	ret = replay_save_mem(d->replay, d->now(), &snap->replay, &snap->replay_len);
	if (ret == 0)
		ret = steps_format(d, &snap->steps, &snap->steps_len);
	if (ret < 0) {
		state_snap_free(snap);
		return ret;
	}
	d->state_dirty = false;
	return 0;
}

void state_snap_free(struct state_snap *snap)
{
	free(snap->replay);
	free(snap->steps);
	memset(snap, 0, sizeof(*snap));
}

int state_write(struct ckqd *d, struct state_snap *snap)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%s/replay.state", d->conf.state_dir);
	ret = file_write_atomic(path, snap->replay, snap->replay_len, 0600);
	if (ret == 0) {
		snprintf(path, sizeof(path), "%s/totp.state", d->conf.state_dir);
		ret = file_write_atomic(path, snap->steps, snap->steps_len, 0600);
	}
	if (ret < 0)
		log_rl(&d->rl_error, LOG_ERR, "cannot save the replay cache and TOTP steps to %s: %s",
		       path, ret == CKQ_ERR_IO ? strerror(errno) : ckq_strerror(ret));
	state_snap_free(snap);
	return ret;
}
