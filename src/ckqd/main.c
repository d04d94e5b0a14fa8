/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ckqd.h"
#include "config.h"
#include "err.h"
#include "grant.h"
#include "nfq.h"
#include "pkt.h"
#include "replay.h"
#include "sandbox.h"
#include "srclimit.h"
#include "stats.h"
#include "util.h"

/* ckq-admin stats calls the file stale after 30 s. */
#define STATS_INTERVAL_MS 5000

static volatile sig_atomic_t want_reload, want_exit;

static volatile uint64_t hup_ms;

/* Workers read want_exit and may set it: atomic, and lock-free in a signal handler. */
#define EXITING() __atomic_load_n(&want_exit, __ATOMIC_ACQUIRE)
#define SET_EXIT() __atomic_store_n(&want_exit, 1, __ATOMIC_RELEASE)

static void on_signal(int sig)
{
	if (sig == SIGHUP) {
		hup_ms = mono_ms();
		want_reload = 1;
	} else {
		SET_EXIT();
	}
}

static uint64_t wall_now(void)
{
	return (uint64_t)time(NULL);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ckqd [-f] [-t] [-c DIR] [-v]\n"
		"The ckq knock daemon: verdicts the knock packets that the NFQUEUE rule\n"
		"sends it and grants access by adding addresses to per-port ipsets.\n\n"
		"  -c DIR     configuration directory (default " CKQ_CONF_DIR ")\n"
		"  -f         stay in the foreground and log to stderr\n"
		"  -t         check the configuration, keys and users, then exit\n"
		"  -v         log debug messages too\n"
		"  -h         this help;  -V  the version\n\n"
		"Signals: SIGHUP reloads ckqd.conf and the users; SIGTERM and SIGINT exit.\n"
		"To use every core, set queues = N in ckqd.conf and spread the knock port\n"
		"over the queues with --queue-balance in the NFQUEUE rule (ckqd.conf(5)).\n");
}

/*
 * A directory ckqd needs to write in after dropping privileges: created if
 * missing, and then given to its user. An existing directory is given to it
 * only when `dedicated` (the state directory); the pid file's may be /run.
 */
static void prepare_dir(const char *path, mode_t mode, bool dedicated, uid_t uid, gid_t gid)
{
	struct stat st;
	bool created = mkdir(path, mode) == 0;

	if ((created || dedicated) && lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_uid != uid || st.st_gid != gid) && chown(path, uid, gid) < 0)
		log_warn("cannot give %s to uid %u: %s", path, (unsigned int)uid, strerror(errno));
}

static int write_pid(const char *path, uid_t uid, gid_t gid)
{
	char buf[32], dir[256];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	/* The default /run/ckqd is systemd's RuntimeDirectory=, or ours. */
	snprintf(dir, sizeof(dir), "%s", path);
	prepare_dir(dirname(dir), 0755, false, uid, gid);
	return file_write_atomic(path, buf, (size_t)n, 0644);
}

/*
 * Packets the kernel dropped because our queue was full: its own count, in
 * the queue_dropped column; /proc/self/net is our network namespace's.
 */
static int queue_proc = -1;

/*
 * The file is root's (0440): opened before the privilege drop and reread
 * from the start each time, as an open file is not checked again. Read
 * with read(), not stdio, whose rewind() would serve the first reading
 * again from its buffer.
 */
static void queue_proc_open(void)
{
	queue_proc = open("/proc/self/net/netfilter/nfnetlink_queue", O_RDONLY | O_CLOEXEC);
	if (queue_proc < 0)
		log_warn("cannot open /proc/self/net/netfilter/nfnetlink_queue: %s (knock packets "
			 "the kernel drops with the queue full will not be reported)", strerror(errno));
}

static uint64_t queue_full_drops(uint16_t queue)
{
	/* A line is under 100 bytes: room for every queue of a busy host. */
	static char text[65536];
	unsigned long long dropped = 0;
	size_t len = 0;
	char *line, *nl;

	if (queue_proc < 0 || lseek(queue_proc, 0, SEEK_SET) < 0)
		return 0;
	while (len < sizeof(text) - 1) {
		ssize_t r = read(queue_proc, text + len, sizeof(text) - 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	text[len] = '\0';
	for (line = text; line < text + len; line = nl + 1) {
		unsigned int num;
		unsigned long long n;

		nl = strchr(line, '\n');
		if (!nl)
			nl = text + len;
		*nl = '\0';
		if (sscanf(line, "%u %*u %*u %*u %*u %llu", &num, &n) == 2 && num == queue) {
			dropped = n;
			break;
		}
	}
	return dropped;
}

/*
 * The counters for ckq-admin stats and node_exporter, replaced whole
 * (temporary file and rename) so that no reader sees half of them.
 */
static void stats_write(struct ckqd *d)
{
	char buf[STATS_TEXT_MAX];
	struct ckq_stats snap;
	int n;

	d->cnt.queue_drops = d->cnt.packets = d->cnt.junk = 0;
	for (size_t i = 0; i < d->nworkers; i++) {
		d->cnt.queue_drops += nfqueue_dropped(d->workers[i].nfq) +
				      queue_full_drops(d->workers[i].queue);
		d->cnt.packets += __atomic_load_n(&d->workers[i].packets, __ATOMIC_RELAXED);
		d->cnt.junk += __atomic_load_n(&d->workers[i].junk, __ATOMIC_RELAXED);
	}
	pthread_mutex_lock(&d->lock);
	d->cnt.pending = d->pending.count;
	d->cnt.replay_entries = replay_count(d->replay);
	pthread_mutex_unlock(&d->lock);
	d->cnt.pending_max = d->pending.cap;
	d->cnt.replay_max = d->conf.replay_capacity;
	d->cnt.users = d->users ? d->users->n : 0;
	d->cnt.priv_ops = crypto_stats_now().priv_ops;
	d->cnt.pub_ops = crypto_stats_now().pub_ops;
	engine_counters(d, &snap);
	n = stats_format(&snap, buf, sizeof(buf));
	if (n >= 0)
		n = file_write_atomic(d->conf.stats_file, buf, (size_t)n, 0600);
	if (n < 0 && !d->stats_failing)
		log_warn("cannot write the counters to %s: %s (ckq-admin stats will say they "
			 "are stale)", d->conf.stats_file,
			 n == CKQ_ERR_IO ? strerror(errno) : ckq_strerror(n));
	else if (n >= 0 && d->stats_failing)
		log_notice("writing the counters to %s again", d->conf.stats_file);
	d->stats_failing = n < 0;
}

/*
 * When we fall behind, the kernel drops knock packets (fail closed); say so,
 * at most every ten seconds, with how many.
 */
static void report_drops(struct ckqd *d, uint64_t now_ms)
{
	static uint64_t reported, last_ms;
	uint64_t dropped = 0;
	size_t i;

	/* Our socket's overruns, and what the kernel dropped with the queue full. */
	for (i = 0; i < d->nworkers; i++)
		dropped += nfqueue_dropped(d->workers[i].nfq) +
			   queue_full_drops(d->workers[i].queue);

	if (dropped > reported && now_ms - last_ms >= 10000) {
		log_warn("the kernel dropped %llu knock packets that ckqd could not take in time",
			 (unsigned long long)(dropped - reported));
		reported = dropped;
		last_ms = now_ms;
	}
}

/*
 * A worker verdicts the packets of its queue. It drains a batch at a time
 * but comes back to poll at most every 64 batches; it holds the user list
 * only while it handles a datagram that passed the pre-check, so reloads
 * are never starved.
 */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct ckqd *d = w->d;

	while (!EXITING()) {
		struct pollfd pfd = { .fd = nfqueue_fd(w->nfq), .events = POLLIN };
		int n = poll(&pfd, 1, 250), r = 0, batches = 0;

		if (n < 0 && errno != EINTR) {
			log_err("queue %u: poll: %s", w->queue, strerror(errno));
			break;
		}
		if (n <= 0)
			continue;
		do
			r = nfqueue_process(w->nfq, engine_packet, w);
		while (r > 0 && ++batches < 64 && !EXITING());
		if (r < 0) {
			log_err("queue %u: receive failed: %s", w->queue, ckq_strerror(r));
			break;
		}
	}
	/* One worker failing stops them all: the kernel then drops (fail closed). */
	if (!EXITING()) {
		__atomic_store_n(&d->failed, true, __ATOMIC_RELAXED);
		SET_EXIT();
	}
	crypto_thread_done();
	return NULL;
}

int main(int argc, char *argv[])
{
	struct ckqd d;
	char err[CKQ_ERRBUF] = "";
	bool foreground = false, check_only = false, debug = false;
	struct sigaction sa;
	uint64_t last_sweep = 0;
	struct state_snap snap;
	bool snapped;
	char stats_dir[sizeof(d.conf.stats_file)];
	sigset_t all, old_mask, wait_mask;
	pthread_rwlockattr_t rwattr;
	uid_t uid;
	gid_t gid;
	size_t i;
	int opt, r, ret = 1;

	/* Under valgrind our name would be memcheck's; ckq-admin looks for ckqd. */
	prctl(PR_SET_NAME, "ckqd", 0, 0, 0);
	memset(&d, 0, sizeof(d));
	pthread_mutex_init(&d.lock, NULL);
	/*
	 * Writers first: with the default, workers overlapping their read locks
	 * under a keyed flood could hold off a reload, and a revocation, for
	 * as long as the flood lasts.
	 */
	pthread_rwlockattr_init(&rwattr);
	pthread_rwlockattr_setkind_np(&rwattr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&d.users_lock, &rwattr);
	pthread_rwlockattr_destroy(&rwattr);
	d.dir = CKQ_CONF_DIR;
	d.raw4 = d.raw6 = -1;
	d.now = wall_now;
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "--version"))) {
		if (argv[1][2] == 'h')
			usage(stdout);
		else
			printf("ckqd %s\n", PACKAGE_VERSION);
		return 0;
	}
	while ((opt = getopt(argc, argv, "c:ftvhV")) != -1) {
		switch (opt) {
		case 'c': d.dir = optarg; break;
		case 'f': foreground = true; break;
		case 't': check_only = true; foreground = true; break;
		case 'v': debug = d.debug = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("ckqd %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_open("ckqd", foreground, debug ? LOG_DEBUG : LOG_INFO);
	d.rl_refuse = (struct ratelimit)RATELIMIT_INIT(20, 5);
	/* Grants need valid credentials, so a stranger cannot push them out of the log. */
	d.rl_grant = (struct ratelimit)RATELIMIT_INIT(50, 20);
	d.rl_junk = (struct ratelimit)RATELIMIT_INIT(5, 1);
	d.rl_error = (struct ratelimit)RATELIMIT_INIT(10, 1);

	if (reload_users(&d, true, 0) < 0)
		goto out;
	if (debug)
		log_set_level(LOG_DEBUG);
	if (server_key_load(d.dir, true, &d.server, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	/* Read as root, like server.key; without it suite 2 is off (doc/protocol.md 11). */
	r = server_x25519_load(d.dir, &d.x25519, err, sizeof(err));
	if (r == 0)
		r = s2_server_init(d.x25519->pub, d.x25519, &d.s2);
	if (r < 0 && r != CKQ_ERR_NOENT) {
		log_err("%s", err[0] ? err : ckq_strerror(r));
		goto out;
	}
	if (conf_user_lookup(d.conf.user, &uid, &gid, err, sizeof(err)) < 0) {
		log_err("%s/ckqd.conf: %s", d.dir, err);
		goto out;
	}
	if (check_only) {
		char fp[CKQ_FP_STRLEN];

		key_fp_str(d.server->fp, fp);
		printf("configuration in %s is valid: knock port udp/%u, queue %u, %zu users, server key %s\n",
		       d.dir, d.conf.knock_port, d.conf.queue, d.users->n, fp);
		if (d.x25519) {
			key_fp_str(d.s2.fp, fp);
			printf("suite 2 on: X25519 key %s\n", fp);
		} else {
			printf("suite 2 off: no %s/" CKQ_SERVER_X25519_KEY "\n", d.dir);
		}
		printf("ckqd runs as user %s (uid %u, gid %u) with only " SANDBOX_CAPS "\n",
		       d.conf.user, (unsigned int)uid, (unsigned int)gid);
		for (i = 0; i < d.users->n; i++)
			if (d.users->users[i].load_error)
				printf("user %s would be refused: %s\n", d.users->users[i].name,
				       d.users->users[i].load_error);
		ret = d.users->broken ? 1 : 0;
		goto out;
	}
	if (pending_init(&d.pending, d.conf.max_pending) < 0 ||
	    !(d.replay = replay_new(d.conf.replay_capacity)) ||
	    !(d.srclimit = srclimit_new(d.conf.source_table, d.conf.source_burst,
					d.conf.source_rate))) {
		log_err("out of memory for the pending, replay and rate-limit tables");
		goto out;
	}
	d.grant = grant_open(d.conf.grants);
	if (!d.grant) {
		log_err(d.conf.grants == GRANT_NFT ?
			"cannot open an nf_tables session (need CAP_NET_ADMIN and nf_tables): %s" :
			"cannot open an ipset session (need CAP_NET_ADMIN and the ip_set module): %s",
			strerror(errno));
		goto out;
	}
	d.raw4 = pkt_raw_open(CKQ_AF_INET);
	if (d.raw4 < 0) {
		log_err("cannot open a raw IPv4 socket: %s (need CAP_NET_RAW)", strerror(errno));
		goto out;
	}
	d.raw6 = pkt_raw_open(CKQ_AF_INET6);
	if (d.raw6 < 0)
		log_warn("no raw IPv6 socket (%s): IPv6 knocks get no answer", strerror(errno));
	/* calloc() would not honour the counters' cache-line alignment. */
	d.workers = aligned_alloc(_Alignof(struct worker), d.conf.queues * sizeof(*d.workers));
	if (!d.workers) {
		log_err("out of memory for the queue workers");
		goto out;
	}
	memset(d.workers, 0, d.conf.queues * sizeof(*d.workers));
	for (d.nworkers = 0; d.nworkers < d.conf.queues; d.nworkers++) {
		struct worker *w = &d.workers[d.nworkers];

		w->d = &d;
		w->queue = (uint16_t)(d.conf.queue + d.nworkers);
		w->knock_port = d.conf.knock_port;
		w->nfq = nfqueue_open(w->queue, d.conf.queue_maxlen);
		if (!w->nfq)
			goto out;	/* nfqueue_open said why */
	}

	if (!foreground && daemon(0, 0) < 0) {
		log_err("cannot become a daemon: %s", strerror(errno));
		goto out;
	}
	prepare_dir(d.conf.state_dir, 0700, true, uid, gid);
	state_load(&d);
	if (write_pid(d.conf.pid_file, uid, gid) < 0)
		log_warn("cannot write %s: %s", d.conf.pid_file, strerror(errno));
	reload_state_write(&d);
	/* Often the pid file's directory; we write in it once we are our user. */
	snprintf(stats_dir, sizeof(stats_dir), "%s", d.conf.stats_file);
	prepare_dir(dirname(stats_dir), 0755, false, uid, gid);
	queue_proc_open();
	if (sandbox_enter(d.conf.user, d.conf.seccomp, err, sizeof(err)) < 0) {
		log_err("cannot drop privileges: %s", err);
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Our signals are taken only inside ppoll(): one arriving between the
	 * check of want_reload and the wait would otherwise wait a second.
	 */
	sigemptyset(&all);
	sigaddset(&all, SIGHUP);
	sigaddset(&all, SIGTERM);
	sigaddset(&all, SIGINT);
	pthread_sigmask(SIG_BLOCK, &all, &wait_mask);

	d.cnt.start_time = d.now();
	stats_write(&d);
	d.stats_saved_ms = mono_ms();

	/* The workers take no signals: the main thread handles them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old_mask);
	for (i = 0; i < d.nworkers; i++) {
		if (pthread_create(&d.workers[i].thread, NULL, worker_main, &d.workers[i]) != 0) {
			log_err("cannot start the worker of queue %u", d.workers[i].queue);
			SET_EXIT();
			d.failed = true;
			break;
		}
		d.workers[i].running = true;
	}
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	if (d.nworkers > 1)
		snprintf(err, sizeof(err), "queues %u-%u", d.conf.queue,
			 (unsigned int)(d.conf.queue + d.nworkers - 1));
	else
		snprintf(err, sizeof(err), "queue %u", d.conf.queue);
	if (!__atomic_load_n(&d.failed, __ATOMIC_RELAXED))
		log_notice("ready: knock port udp/%u on %s, %zu user%s, suite 2 %s",
			   d.conf.knock_port, err, d.users->n, d.users->n == 1 ? "" : "s",
			   d.x25519 ? "on" : "off");
	while (!EXITING()) {
		uint64_t now_ms;

		struct timespec second = { 1, 0 };

		if (!want_reload && !EXITING())
			ppoll(NULL, 0, &second, &wait_mask);	/* a signal ends the wait early */
		if (want_reload) {
			want_reload = 0;
			reload_signalled(&d, hup_ms);
		}
		/* Once a second: a flood must not turn housekeeping into a hot path. */
		now_ms = mono_ms();
		if (now_ms - last_sweep < 1000)
			continue;
		last_sweep = now_ms;
		pthread_mutex_lock(&d.lock);
		pending_expire(&d.pending, last_sweep);
		replay_expire(d.replay, d.now());
		snapped = d.state_dirty && state_snapshot(&d, &snap) == 0;
		pthread_mutex_unlock(&d.lock);
		/* The disk is waited for with the lock free: knocks go on meanwhile. */
		if (snapped && state_write(&d, &snap) < 0) {
			pthread_mutex_lock(&d.lock);
			d.state_dirty = true;
			pthread_mutex_unlock(&d.lock);
		}
		report_drops(&d, last_sweep);
		if (last_sweep - d.stats_saved_ms >= STATS_INTERVAL_MS) {
			d.stats_saved_ms = last_sweep;
			stats_write(&d);
		}
	}
	for (i = 0; i < d.nworkers; i++)
		if (d.workers[i].running)
			pthread_join(d.workers[i].thread, NULL);
	if (d.state_dirty && state_snapshot(&d, &snap) == 0)
		state_write(&d, &snap);
	stats_write(&d);
	log_notice("exiting: %llu packets, %llu granted, %llu closed, %llu refused, %llu junk",
		   (unsigned long long)d.cnt.packets, (unsigned long long)d.cnt.granted,
		   (unsigned long long)d.cnt.closed,
		   (unsigned long long)stats_refused_total(&d.cnt),
		   (unsigned long long)d.cnt.junk);
	unlink(d.conf.pid_file);
	conf_reload_file(&d.conf, stats_dir, sizeof(stats_dir));
	unlink(stats_dir);
	ret = d.failed ? 1 : 0;
out:
	for (i = 0; d.workers && i < d.conf.queues; i++)
		nfqueue_close(d.workers[i].nfq);
	free(d.workers);
	if (d.raw4 >= 0)
		close(d.raw4);
	if (d.raw6 >= 0)
		close(d.raw6);
	if (queue_proc >= 0)
		close(queue_proc);
	grant_close(d.grant);
	engine_free(&d);
	srclimit_free(d.srclimit);
	replay_free(d.replay);
	pending_free(&d.pending);
	userdb_free(d.users);
	key_free(d.server);
	x25519_free(d.x25519);
	wipe(&d.s2, sizeof(d.s2));
	return ret;
}
