#include "autoconfig.h"

#include "privileges.h"

#include "accesslog.h"
#include "config.h"
#include "log.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(char *err, size_t err_size, const char *what, const char *name)
{
	snprintf(err, err_size, "%s '%s': %s", what, name, strerror(errno));
	return -1;
}

int privileges_drop(const struct config *cfg, char *err, size_t err_size)
{
	if (geteuid() != 0)
		return 0;
	/* Look the names up before chroot hides /etc. */
	errno = ENOENT;
	struct passwd *pw = getpwnam(cfg->user);
	if (pw == NULL)
		return fail(err, err_size, "user", cfg->user);
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	if (config_is_set(cfg, "group") || uid != 0) {
		errno = ENOENT;
		struct group *gr = getgrnam(cfg->group);
		if (gr == NULL)
			return fail(err, err_size, "group", cfg->group);
		gid = gr->gr_gid;
	}

	/* Log files made by us become the user's, so that it can open them again
	 * after a rotation (SIGUSR1). */
	if (uid != 0) {
		log_give_to(uid, gid);
		accesslog_give_to(uid, gid);
	}

	if (cfg->chroot != NULL) {
		if (chroot(cfg->chroot) < 0 || chdir("/") < 0)
			return fail(err, err_size, "chroot", cfg->chroot);
	}
	if (setgroups(1, &gid) < 0)
		return fail(err, err_size, "setgroups for group", cfg->group);
	if (setgid(gid) < 0)
		return fail(err, err_size, "setgid to group", cfg->group);
	if (uid == 0) {
		log_warn("serving as root (user root): every file root can read is at risk "
		         "of a bug");
		return 0;
	}
	if (setuid(uid) < 0)
		return fail(err, err_size, "setuid to user", cfg->user);
	/* Trust, but verify: a drop that can be undone is no drop. */
	if (setuid(0) == 0 || seteuid(0) == 0) {
		snprintf(err, err_size,
		         "user '%s': root privileges could be regained after the drop", cfg->user);
		return -1;
	}
	return 0;
}
