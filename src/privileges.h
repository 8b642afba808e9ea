/* privileges — chroot and the drop to an unprivileged user, after the sockets
 * are bound and the logs are open. */
#ifndef SWITCHBOARD_PRIVILEGES_H
#define SWITCHBOARD_PRIVILEGES_H

#include <stddef.h>

struct config;

/* Started as root: give the log files this process created to the user (so
 * that SIGUSR1 can reopen them after a rotation), chroot (when configured),
 * then drop supplementary groups, the group and the user, and verify that root
 * cannot be regained. "user root" keeps root, with a warning. Not started as
 * root: nothing to do. Returns 0, or -1 with the reason in err. */
int privileges_drop(const struct config *cfg, char *err, size_t err_size);

#endif
