/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/capability.h>

#include "conf.h"
#include "err.h"
#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif

static const cap_value_t kept_caps[] = { CAP_NET_ADMIN };
#define N_KEPT ((int)(sizeof(kept_caps) / sizeof(kept_caps[0])))

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t err_len, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return code;
}

static bool cap_kept(cap_value_t c)
{
	int i;

	for (i = 0; i < N_KEPT; i++)
		if (kept_caps[i] == c)
			return true;
	return false;
}

static void cap_name(cap_value_t c, char *out, size_t len)
{
	char *name = cap_to_name(c);

	snprintf(out, len, "%s", name ? name : "a capability");
	cap_free(name);
}

/* Exactly the kept capabilities, permitted and effective; nothing inheritable. */
static cap_t caps_wanted(void)
{
	cap_t c = cap_init();

	if (c && (cap_set_flag(c, CAP_PERMITTED, N_KEPT, kept_caps, CAP_SET) < 0 ||
		  cap_set_flag(c, CAP_EFFECTIVE, N_KEPT, kept_caps, CAP_SET) < 0)) {
		cap_free(c);
		c = NULL;
	}
	return c;
}

static int drop(uid_t uid, gid_t gid, char *err, size_t err_len)
{
	cap_value_t c, max = cap_max_bits();
	char name[64];
	cap_t want;
	int r;

	/* Else setresuid() would empty the permitted set with the rest. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return fail(err, err_len, CKQ_ERR_IO, "PR_SET_KEEPCAPS: %s", strerror(errno));
	/* Dropping from the bounding set needs CAP_SETPCAP: before setresuid(). */
	for (c = 0; c < max; c++) {
		if (cap_kept(c) || cap_get_bound(c) <= 0)
			continue;
		if (cap_drop_bound(c) < 0) {
			cap_name(c, name, sizeof(name));
			return fail(err, err_len, CKQ_ERR_IO,
				    "cannot drop %s from the bounding set: %s "
				    "(ckqd must start with CAP_SETPCAP)", name, strerror(errno));
		}
	}
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() < 0)
		return fail(err, err_len, CKQ_ERR_IO, "cannot clear the ambient capabilities: %s",
			    strerror(errno));
	if (setgroups(0, NULL) < 0)
		return fail(err, err_len, CKQ_ERR_IO, "cannot clear the supplementary groups: %s",
			    strerror(errno));
	if (setresgid(gid, gid, gid) < 0)
		return fail(err, err_len, CKQ_ERR_IO, "cannot change to gid %u: %s",
			    (unsigned int)gid, strerror(errno));
	if (setresuid(uid, uid, uid) < 0)
		return fail(err, err_len, CKQ_ERR_IO, "cannot change to uid %u: %s",
			    (unsigned int)uid, strerror(errno));
	want = caps_wanted();
	if (!want)
		return fail(err, err_len, CKQ_ERR_NOMEM, "out of memory for capabilities");
	r = cap_set_proc(want);
	cap_free(want);
	if (r < 0)
		return fail(err, err_len, CKQ_ERR_IO, "cannot keep only " SANDBOX_CAPS ": %s",
			    strerror(errno));
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return fail(err, err_len, CKQ_ERR_IO, "PR_SET_KEEPCAPS: %s", strerror(errno));
	return 0;
}

/* Reads everything back: a drop that half failed must not pass for done. */
static int verify(uid_t uid, gid_t gid, char *err, size_t err_len)
{
	cap_value_t c, max = cap_max_bits();
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	cap_t want, have;
	char name[64];
	int same;

	if (getresuid(&ru, &eu, &su) < 0 || ru != uid || eu != uid || su != uid)
		return fail(err, err_len, CKQ_ERR_INTERNAL, "uids are %u/%u/%u, not %u",
			    (unsigned int)ru, (unsigned int)eu, (unsigned int)su,
			    (unsigned int)uid);
	if (getresgid(&rg, &eg, &sg) < 0 || rg != gid || eg != gid || sg != gid)
		return fail(err, err_len, CKQ_ERR_INTERNAL, "gids are %u/%u/%u, not %u",
			    (unsigned int)rg, (unsigned int)eg, (unsigned int)sg,
			    (unsigned int)gid);
	if (getgroups(0, NULL) != 0)
		return fail(err, err_len, CKQ_ERR_INTERNAL, "supplementary groups remain");
	want = caps_wanted();
	have = cap_get_proc();
	same = want && have && cap_compare(want, have) == 0;
	if (!same) {
		char *text = have ? cap_to_text(have, NULL) : NULL;

		fail(err, err_len, CKQ_ERR_INTERNAL, "capabilities are '%s', not only " SANDBOX_CAPS,
		     text ? text : "unknown");
		cap_free(text);
	}
	cap_free(want);
	cap_free(have);
	if (!same)
		return CKQ_ERR_INTERNAL;
	for (c = 0; c < max; c++) {
		bool bound = cap_get_bound(c) == 1;
		bool ambient = CAP_AMBIENT_SUPPORTED() && cap_get_ambient(c) > 0;

		if (bound == cap_kept(c) && !ambient)
			continue;
		cap_name(c, name, sizeof(name));
		return fail(err, err_len, CKQ_ERR_INTERNAL, "%s is %s", name,
			    ambient ? "still ambient" :
			    bound ? "still in the bounding set" : "not in the bounding set");
	}
	/* The proof that counts: the way back to root is closed. */
	if (uid != 0 && setresuid(0, 0, 0) != -1)
		return fail(err, err_len, CKQ_ERR_INTERNAL, "could become uid 0 again");
	if (gid != 0 && setresgid(0, 0, 0) != -1)
		return fail(err, err_len, CKQ_ERR_INTERNAL, "could become gid 0 again");
	return 0;
}

/* A 32-bit argument: the upper half of its register is not defined. */
#define ARG_EQ32(i, v) \
	{ .arg = (i), .op = SCMP_CMP_MASKED_EQ, .datum_a = 0xffffffffu, .datum_b = (v) }
#define ARG_CLEAR(i, bits) \
	{ .arg = (i), .op = SCMP_CMP_MASKED_EQ, .datum_a = (bits), .datum_b = 0 }

struct rule {
	int nr;
	unsigned int argc;
	struct scmp_arg_cmp arg[2];
};

static int rule_add(scmp_filter_ctx ctx, const struct rule *r, char *err, size_t err_len)
{
	int ret = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, r->nr, r->argc, r->arg);
	char *name;

	if (ret == 0)
		return 0;
	name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, r->nr);
	fail(err, err_len, CKQ_ERR_INTERNAL, "seccomp: cannot allow %s: %s",
	     name ? name : "a system call", strerror(-ret));
	free(name);
	return CKQ_ERR_INTERNAL;
}

/*
 * Every system call ckqd makes once the sandbox is on, in each path: the
 * poll loop, verdicts, grants, answers, SIGHUP reloads, logging, exit.
 * A name the native architecture lacks (poll on arm64) is skipped.
 */
static int load_filter(char *err, size_t err_len)
{
	const struct rule rules[] = {
		/* The main loop; poll() is ppoll() on arm64. */
		{ SCMP_SYS(poll), 0, { { 0 } } },
		{ SCMP_SYS(ppoll), 0, { { 0 } } },
		/*
		 * The queue and the ipset session go through libmnl, which
		 * receives with recvmsg() and sends with sendto(); so does
		 * pkt_raw_send() on the raw sockets.
		 */
		{ SCMP_SYS(recvmsg), 0, { { 0 } } },
		{ SCMP_SYS(recvfrom), 0, { { 0 } } },
		{ SCMP_SYS(sendto), 0, { { 0 } } },
		{ SCMP_SYS(sendmsg), 0, { { 0 } } },
		/*
		 * grant.c opens its ipset socket anew after a failed read:
		 * netfilter netlink only. libmnl binds it and asks the kernel
		 * for the port id; grant.c sets a receive timeout. The queue's
		 * drop count is SO_MEMINFO.
		 */
		{ SCMP_SYS(socket), 2, { ARG_EQ32(0, AF_NETLINK), ARG_EQ32(2, NETLINK_NETFILTER) } },
		{ SCMP_SYS(bind), 0, { { 0 } } },
		{ SCMP_SYS(getsockname), 0, { { 0 } } },
		{ SCMP_SYS(setsockopt), 2, { ARG_EQ32(1, SOL_SOCKET), ARG_EQ32(2, SO_RCVTIMEO) } },
		{ SCMP_SYS(getsockopt), 1, { ARG_EQ32(1, SOL_SOCKET) } },
		/* syslog(3) connects to /dev/log again after syslogd restarts. */
		{ SCMP_SYS(socket), 1, { ARG_EQ32(0, AF_UNIX) } },
		{ SCMP_SYS(connect), 0, { { 0 } } },
		/*
		 * SIGHUP rereads ckqd.conf and users/ (opendir, readdir,
		 * fstat); syslog(3) reads the time zone on its first line.
		 */
		{ SCMP_SYS(openat), 0, { { 0 } } },
		{ SCMP_SYS(read), 0, { { 0 } } },
		{ SCMP_SYS(close), 0, { { 0 } } },
		{ SCMP_SYS(lseek), 0, { { 0 } } },
		{ SCMP_SYS(fstat), 0, { { 0 } } },
		{ SCMP_SYS(newfstatat), 0, { { 0 } } },
		{ SCMP_SYS(statx), 0, { { 0 } } },
		{ SCMP_SYS(getdents64), 0, { { 0 } } },
		/* stdio asks isatty() when a stream is first used. */
		{ SCMP_SYS(ioctl), 1, { ARG_EQ32(1, TCGETS) } },
		{ SCMP_SYS(fcntl), 1, { ARG_EQ32(1, F_GETFD) } },
		{ SCMP_SYS(fcntl), 1, { ARG_EQ32(1, F_SETFD) } },
		{ SCMP_SYS(fcntl), 1, { ARG_EQ32(1, F_GETFL) } },
		{ SCMP_SYS(fcntl), 1, { ARG_EQ32(1, F_SETFL) } },
		/*
		 * The log on stderr, and the replay state, written like
		 * file_write_atomic(): create, fchmod, write, fsync, rename,
		 * fsync the directory; unlink a stale temporary file. glibc
		 * uses unlink and rename on x86_64, the *at forms on arm64.
		 */
		{ SCMP_SYS(write), 0, { { 0 } } },
		{ SCMP_SYS(writev), 0, { { 0 } } },
		{ SCMP_SYS(fsync), 0, { { 0 } } },
		{ SCMP_SYS(fdatasync), 0, { { 0 } } },
		{ SCMP_SYS(fchmod), 0, { { 0 } } },
		{ SCMP_SYS(rename), 0, { { 0 } } },
		{ SCMP_SYS(renameat), 0, { { 0 } } },
		{ SCMP_SYS(renameat2), 0, { { 0 } } },
		{ SCMP_SYS(unlink), 0, { { 0 } } },
		{ SCMP_SYS(unlinkat), 0, { { 0 } } },
		/* malloc(); no mapping may become executable. */
		{ SCMP_SYS(brk), 0, { { 0 } } },
		{ SCMP_SYS(mmap), 1, { ARG_CLEAR(2, PROT_EXEC) } },
		{ SCMP_SYS(mprotect), 1, { ARG_CLEAR(2, PROT_EXEC) } },
		{ SCMP_SYS(munmap), 0, { { 0 } } },
		{ SCMP_SYS(mremap), 0, { { 0 } } },
		{ SCMP_SYS(madvise), 0, { { 0 } } },
		/*
		 * glibc's qsort() asks for the memory size on its first large
		 * sort, which a reload that adds users can be.
		 */
		{ SCMP_SYS(sysinfo), 0, { { 0 } } },
		/*
		 * The queue workers start after the drop (capabilities are per
		 * thread): clone only for threads. clone3 hides its flags from
		 * the filter, so it gets ENOSYS and glibc falls back to clone.
		 * A new thread registers its robust futex list and rseq area.
		 */
		{ SCMP_SYS(clone), 1, { { .arg = 0, .op = SCMP_CMP_MASKED_EQ,
					  .datum_a = CLONE_THREAD, .datum_b = CLONE_THREAD } } },
		{ SCMP_SYS(set_robust_list), 0, { { 0 } } },
		{ SCMP_SYS(rseq), 0, { { 0 } } },
		/* pthread_getattr_np(), which ASan calls in each new thread. */
		{ SCMP_SYS(sched_getaffinity), 0, { { 0 } } },
		/* OpenSSL reseeds its DRBG; glibc and OpenSSL take locks. */
		{ SCMP_SYS(getrandom), 0, { { 0 } } },
		{ SCMP_SYS(futex), 0, { { 0 } } },
		/* Clocks, where the vDSO falls back to the kernel. */
		{ SCMP_SYS(clock_gettime), 0, { { 0 } } },
		{ SCMP_SYS(gettimeofday), 0, { { 0 } } },
		{ SCMP_SYS(time), 0, { { 0 } } },
		/*
		 * SIGHUP, SIGTERM and SIGINT handlers; a poll() interrupted
		 * by SIGSTOP and SIGCONT is resumed with restart_syscall.
		 */
		{ SCMP_SYS(rt_sigaction), 0, { { 0 } } },
		{ SCMP_SYS(rt_sigprocmask), 0, { { 0 } } },
		{ SCMP_SYS(rt_sigreturn), 0, { { 0 } } },
		{ SCMP_SYS(restart_syscall), 0, { { 0 } } },
		/*
		 * file_read() compares owners with geteuid(); the temporary
		 * file's name, syslog and OpenSSL's fork check take getpid().
		 */
		{ SCMP_SYS(getpid), 0, { { 0 } } },
		{ SCMP_SYS(gettid), 0, { { 0 } } },
		{ SCMP_SYS(getuid), 0, { { 0 } } },
		{ SCMP_SYS(geteuid), 0, { { 0 } } },
		{ SCMP_SYS(getgid), 0, { { 0 } } },
		{ SCMP_SYS(getegid), 0, { { 0 } } },
		/* abort() signals itself, and no other process. */
		{ SCMP_SYS(tgkill), 1, { ARG_EQ32(0, (scmp_datum_t)getpid()) } },
		{ SCMP_SYS(exit), 0, { { 0 } } },
		{ SCMP_SYS(exit_group), 0, { { 0 } } },
#ifdef SANDBOX_ASAN
		/*
		 * AddressSanitizer's reports and LeakSanitizer at exit: it
		 * reads /proc/self/maps with raw open(), clones a tracer that
		 * ptraces us, and waits for it.
		 */
		{ SCMP_SYS(open), 0, { { 0 } } },
		{ SCMP_SYS(getdents), 0, { { 0 } } },
		{ SCMP_SYS(readlink), 0, { { 0 } } },
		{ SCMP_SYS(readlinkat), 0, { { 0 } } },
		{ SCMP_SYS(sigaltstack), 0, { { 0 } } },
		{ SCMP_SYS(sched_yield), 0, { { 0 } } },
		{ SCMP_SYS(prctl), 0, { { 0 } } },
		{ SCMP_SYS(clone), 0, { { 0 } } },
		{ SCMP_SYS(ptrace), 0, { { 0 } } },
		{ SCMP_SYS(wait4), 0, { { 0 } } },
		{ SCMP_SYS(pipe2), 0, { { 0 } } },
		{ SCMP_SYS(nanosleep), 0, { { 0 } } },
		{ SCMP_SYS(clock_nanosleep), 0, { { 0 } } },
		{ SCMP_SYS(getppid), 0, { { 0 } } },
		{ SCMP_SYS(kill), 0, { { 0 } } },
#endif
	};
	scmp_filter_ctx ctx;
	size_t i;
	int r;

	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return fail(err, err_len, CKQ_ERR_INTERNAL,
			    "seccomp: cannot create a filter (kernel older than 4.14?)");
	/* The default kills only the thread; a foreign ABI kills it all too. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r < 0) {
		seccomp_release(ctx);
		return fail(err, err_len, CKQ_ERR_INTERNAL, "seccomp: %s", strerror(-r));
	}
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (r < 0 && r != -EDOM) {
		seccomp_release(ctx);
		return fail(err, err_len, CKQ_ERR_INTERNAL, "seccomp: clone3: %s", strerror(-r));
	}
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		r = rule_add(ctx, &rules[i], err, err_len);
		if (r < 0) {
			seccomp_release(ctx);
			return r;
		}
	}
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return fail(err, err_len, CKQ_ERR_IO, "seccomp: cannot load the filter: %s",
			    strerror(-r));
	return 0;
}

int sandbox_enter(const char *user, bool seccomp, char *err, size_t err_len)
{
	uid_t uid;
	gid_t gid;
	int r;

	r = conf_user_lookup(user, &uid, &gid, err, err_len);
	if (r < 0)
		return r;
	r = drop(uid, gid, err, err_len);
	if (r < 0)
		return r;
	r = verify(uid, gid, err, err_len);
	if (r < 0)
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return fail(err, err_len, CKQ_ERR_IO, "cannot set no_new_privs: %s",
			    strerror(errno));
#ifdef SANDBOX_ASAN
	/* setresuid() made us undumpable, and LeakSanitizer must ptrace us. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
	/* Off only by ckqd.conf, for valgrind or strace: their own calls would be killed. */
	return seccomp ? load_filter(err, err_len) : 0;
}
