/* daemon — the classic detach for setups without a service manager, and the
 * pidfile. */
#ifndef SWITCHBOARD_DAEMON_H
#define SWITCHBOARD_DAEMON_H

#include <stddef.h>

/* Double fork and setsid. Returns in the detached process; the original process
 * waits until daemon_ready() (exit 0) or until the detached one exits without
 * it (the detached process's failure status). -1 with err on failure. */
int daemon_detach(char *err, size_t err_size);

/* Tell the waiting parent that the server is serving, and point stdin, stdout
 * and stderr at /dev/null. A no-op without daemon_detach(). */
void daemon_ready(void);

/* In a child process that must not speak for the daemon: drop the pipe.
 * Its daemon_ready() then only points its stdio at /dev/null. */
void daemon_forget_ready(void);

/* Open path (created if need be) and lock it (flock): -1 with a message when
 * another live instance holds it, so that a second one refuses to start
 * rather than overwrite, and later delete, the first one's pidfile. The lock
 * is held until pidfile_remove() or the end of the process (and of the
 * workers, which inherit it). */
int pidfile_lock(const char *path, char *err, size_t err_size);

/* Write our pid into the locked pidfile (path is for messages). */
int pidfile_write(const char *path, char *err, size_t err_size);

/* Unlink path if it is still the file we locked (never another instance's),
 * and let the lock go. */
void pidfile_remove(const char *path);

#endif
