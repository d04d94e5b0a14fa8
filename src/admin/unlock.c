/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "admin.h"
#include "conf.h"
#include "err.h"
#include "util.h"

static const char usage[] =
	"Usage: ckq-admin [-c DIR] unlock USER\n"
	"Clears the lock ckqd puts on USER's key after too many wrong TOTP codes\n"
	"signed with it (logged as \"wrong TOTP codes signed with the user's key\",\n"
	"refusals reason=otp_locked). Do it only once you know who sent them: the\n"
	"lock is there because someone who holds the user's private key is\n"
	"guessing codes. ckqd takes the request at the user's next knock (a file\n"
	"unlock.USER in its state_dir); no reload is needed. Replacing the user's\n"
	"key (del-user, then add-user) starts the new key without a lock.\n";

int unlock_main(int argc, char *argv[])
{
	char err[CKQ_ERRBUF] = "", path[PATH_MAX];
	struct ckqd_conf conf;
	struct stat st;
	const char *user;
	int i, ret = 0;

	i = admin_getopt(argc, argv, usage, &ret);
	if (i < 0)
		return ret;
	if (argc - i != 1) {
		fputs(usage, stderr);
		return 2;
	}
	user = argv[i];
	if (!user_name_valid(user, strlen(user))) {
		fprintf(stderr, "ckq-admin: invalid user name '%s'\n", user);
		return 2;
	}
	if (conf_load(admin_dir, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "ckq-admin: %s\n", err[0] ? err : "cannot read ckqd.conf");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/users/%s.conf", admin_dir, user);
	if (stat(path, &st) < 0) {
		fprintf(stderr, "ckq-admin: no user %s (%s: %s)\n", user, path, strerror(errno));
		return 1;
	}
	if (stat(conf.state_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		printf("ckqd has no state directory %s yet: nothing is locked\n", conf.state_dir);
		return 0;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/unlock.%s", conf.state_dir, user) >=
	    sizeof(path) || file_write_atomic(path, "", 0, 0600) < 0) {
		fprintf(stderr, "ckq-admin: cannot write %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("asked ckqd to clear %s's wrong-code lock: it takes effect at %s's next knock\n",
	       user, user);
	return 0;
}
