#include "autoconfig.h"

#include "daemon.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int ready_fd = -1;

/* The original process: wait for the word from the detached one. */
static void wait_for_ready(int fd)
{
	char status = 1;
	ssize_t n;
	do
		n = read(fd, &status, 1);
	while (n < 0 && errno == EINTR);
	_exit(n == 1 && status == 0 ? 0 : 1);
}

int daemon_detach(char *err, size_t err_size)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(err, err_size, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, err_size, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(fds[1]);
		wait_for_ready(fds[0]);
	}
	close(fds[0]);
	/* A new session without a controlling terminal, then a second fork so that
	 * the daemon, not being a session leader, can never acquire one. */
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	umask(022);
	if (chdir("/") < 0)
		_exit(1);
	ready_fd = fds[1];
	return 0;
}

void daemon_ready(void)
{
	if (ready_fd < 0)
		return;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	char ok = 0;
	ssize_t ignored = write(ready_fd, &ok, 1);
	(void)ignored;
	close(ready_fd);
	ready_fd = -1;
}

void daemon_forget_ready(void)
{
	if (ready_fd >= 0)
		close(ready_fd);
	ready_fd = -1;
}

int pidfile_write(const char *path, char *err, size_t err_size)
{
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	if (tmp == NULL) {
		snprintf(err, err_size, "%s: out of memory", path);
		return -1;
	}
	snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	int rc = -1;
	if (fd >= 0) {
		char line[32];
		int len = snprintf(line, sizeof line, "%ld\n", (long)getpid());
		bool written = write(fd, line, (size_t)len) == len;
		if (close(fd) == 0 && written && rename(tmp, path) == 0)
			rc = 0;
	}
	if (rc < 0) {
		snprintf(err, err_size, "pidfile %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

void pidfile_remove(const char *path)
{
	if (path != NULL)
		unlink(path);
}
