#include "autoconfig.h"

#include "service.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

/* ------------------------------------------------------------ socket activation */

/* The names handed out by the last service_listen_fds(), NUL-separated in one allocation
 * that lives until the next call (so callers need not free anything). */
static char *fdnames_copy;

static void unset_listen_env(void)
{
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

/* The variables as found, for error messages: they are unset before anyone reports. */
static void describe_listen_env(char *out, size_t out_size)
{
	const char *pid = getenv("LISTEN_PID");
	const char *fds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	snprintf(out, out_size, "LISTEN_PID=%.20s LISTEN_FDS=%.20s%s%.60s", pid ? pid : "(unset)",
	         fds ? fds : "(unset)", names ? " LISTEN_FDNAMES=" : "", names ? names : "");
}

/* Point names[0..n) at the NUL-separated strings in fdnames_copy. */
static void hand_out_names(const char **names, int n)
{
	const char *p = fdnames_copy;
	for (int i = 0; i < n; i++) {
		names[i] = p;
		p += strlen(p) + 1;
	}
}

#ifdef HAVE_LIBSYSTEMD

/* Copy libsystemd's array into one allocation, so that the caller has nothing to free. */
static int keep_names(char **list, int n)
{
	size_t total = 0;
	for (int i = 0; i < n; i++)
		total += strlen(list[i]) + 1;
	fdnames_copy = malloc(total > 0 ? total : 1);
	if (fdnames_copy == NULL)
		return -1;
	char *p = fdnames_copy;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(list[i]) + 1;
		memcpy(p, list[i], len);
		p += len;
	}
	return 0;
}

static void free_strv(char **list)
{
	if (list == NULL)
		return;
	for (char **p = list; *p != NULL; p++)
		free(*p);
	free(list);
}

/* libsystemd parses, checks LISTEN_PID, sets FD_CLOEXEC and unsets the variables. */
static int passed_fds(bool want_names, char *err, size_t err_size, const char *vars)
{
	char **list = NULL;
	int n = sd_listen_fds_with_names(1, want_names ? &list : NULL);
	if (n < 0) {
		snprintf(err, err_size, "socket activation (%s): %s", vars, strerror(-n));
		return -1;
	}
	if (n > 0 && want_names && keep_names(list, n) < 0) {
		snprintf(err, err_size, "socket activation: %s", strerror(errno));
		n = -1;
	}
	free_strv(list);
	return n;
}

#else /* !HAVE_LIBSYSTEMD */

/* Mark the passed descriptors close-on-exec; a descriptor that is not open means the
 * variables do not describe this process's descriptor table. */
static int set_cloexec_all(int n, char *err, size_t err_size, const char *vars)
{
	for (int fd = SERVICE_LISTEN_FDS_START; fd < SERVICE_LISTEN_FDS_START + n; fd++) {
		int flags = fcntl(fd, F_GETFD);
		if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
			snprintf(err, err_size, "socket activation (%s): descriptor %d: %s", vars,
			         fd, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* A plain decimal number: strtol alone would also take " 12", "+12" and "12abc". */
static bool parse_count(const char *text, long max, long *out)
{
	if (*text < '0' || *text > '9')
		return false;
	errno = 0;
	char *end;
	long v = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

/* LISTEN_FDNAMES split at each ':', empty names kept (an empty variable is one empty name).
 * Returns the number of names, or -1. */
static int split_names(const char *text)
{
	fdnames_copy = strdup(text);
	if (fdnames_copy == NULL)
		return -1;
	int count = 1;
	for (char *p = fdnames_copy; *p != '\0'; p++) {
		if (*p == ':') {
			*p = '\0';
			count++;
		}
	}
	return count;
}

/* "unknown" for each descriptor, as the protocol says when the manager named none. */
static int unknown_names(int n)
{
	static const char unknown[] = "unknown";
	fdnames_copy = malloc(sizeof unknown * (size_t)n);
	if (fdnames_copy == NULL)
		return -1;
	for (int i = 0; i < n; i++)
		memcpy(fdnames_copy + sizeof unknown * (size_t)i, unknown, sizeof unknown);
	return n;
}

static int parsed_names(int n, char *err, size_t err_size, const char *vars)
{
	const char *text = getenv("LISTEN_FDNAMES");
	int count = text != NULL ? split_names(text) : unknown_names(n);
	if (count < 0) {
		snprintf(err, err_size, "socket activation: %s", strerror(errno));
		return -1;
	}
	if (count != n) {
		snprintf(err, err_size, "socket activation (%s): %d name(s) for %d descriptor(s)",
		         vars, count, n);
		return -1;
	}
	return n;
}

/* LISTEN_PID and LISTEN_FDS as sd_listen_fds(3) describes them. */
static int parsed_count(char *err, size_t err_size, const char *vars)
{
	const char *pid_text = getenv("LISTEN_PID");
	const char *fds_text = getenv("LISTEN_FDS");
	long pid, n;
	if (pid_text == NULL)
		return 0;
	if (!parse_count(pid_text, INT_MAX, &pid) || pid == 0) {
		snprintf(err, err_size, "socket activation (%s): LISTEN_PID is not a process id",
		         vars);
		return -1;
	}
	if (pid != (long)getpid() || fds_text == NULL)
		return 0; /* meant for another process, which passed its environment on */
	/* A manager that passes nothing sets nothing: LISTEN_FDS=0 is as wrong as "two". */
	if (!parse_count(fds_text, INT_MAX - SERVICE_LISTEN_FDS_START, &n) || n == 0) {
		snprintf(err, err_size, "socket activation (%s): LISTEN_FDS is not a count", vars);
		return -1;
	}
	return (int)n;
}

static int passed_fds(bool want_names, char *err, size_t err_size, const char *vars)
{
	int n = parsed_count(err, err_size, vars);
	if (n > 0 && set_cloexec_all(n, err, err_size, vars) < 0)
		return -1;
	if (n > 0 && want_names)
		return parsed_names(n, err, err_size, vars);
	return n;
}

#endif /* HAVE_LIBSYSTEMD */

int service_listen_fds(int *fds, const char **names, int max, char *err, size_t err_size)
{
	char vars[160];
	free(fdnames_copy);
	fdnames_copy = NULL;
	describe_listen_env(vars, sizeof vars);
	int n = passed_fds(names != NULL, err, err_size, vars);
	unset_listen_env();
	if (n <= 0)
		return n;
	if (n > max) {
		snprintf(err, err_size,
		         "socket activation (%s): %d sockets passed, at most %d usable", vars, n,
		         max);
		return -1;
	}
	for (int i = 0; i < n; i++)
		fds[i] = SERVICE_LISTEN_FDS_START + i;
	if (names != NULL)
		hand_out_names(names, n);
	return n;
}

/* ------------------------------------------------------------ notification */

#ifndef HAVE_LIBSYSTEMD

/* $NOTIFY_SOCKET as an address: a path, or an abstract name when it starts with '@' (the
 * '@' stands for the leading NUL, and the name is not NUL-terminated). */
static int notify_address(const char *name, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = strlen(name);
	bool abstract = name[0] == '@';
	if ((!abstract && name[0] != '/') || n < 2) {
		errno = EINVAL;
		return -1;
	}
	if (n + !abstract > sizeof sa->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name, n);
	if (abstract)
		sa->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + !abstract);
	return 0;
}

/* One datagram from a fresh socket: notifications are rare, and a kept socket would be one
 * more descriptor to hide from everything else. */
static int send_datagram(const struct sockaddr_un *sa, socklen_t sa_len, const char *msg)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	size_t len = strlen(msg);
	ssize_t sent;
	do
		sent = sendto(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		              (const struct sockaddr *)sa, sa_len);
	while (sent < 0 && errno == EINTR);
	int saved = errno;
	close(fd);
	if (sent < 0) {
		errno = saved;
		return -1;
	}
	if ((size_t)sent != len) { /* datagrams are all or nothing; be sure anyway */
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

#endif /* !HAVE_LIBSYSTEMD */

int service_notify(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	if (name == NULL || *name == '\0')
		return 0;
#ifdef HAVE_LIBSYSTEMD
	int r = sd_notify(0, state);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
#else
	struct sockaddr_un sa;
	socklen_t sa_len;
	if (notify_address(name, &sa, &sa_len) < 0)
		return -1;
	return send_datagram(&sa, sa_len, state);
#endif
}

int service_notifyf(const char *fmt, ...)
{
	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0; /* nobody listens: do not even format */
	char small[512];
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	int r;
	if (n < 0) {
		r = -1;
	} else if ((size_t)n < sizeof small) {
		r = service_notify(small);
	} else {
		char *big = malloc((size_t)n + 1);
		r = -1;
		if (big != NULL) {
			vsnprintf(big, (size_t)n + 1, fmt, again);
			r = service_notify(big);
		}
		free(big);
	}
	va_end(again);
	return r;
}

int service_notify_reloading(void)
{
	struct timespec now;
	if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		return -1;
	unsigned long long usec =
	    (unsigned long long)now.tv_sec * 1000000ULL + (unsigned long long)now.tv_nsec / 1000;
	return service_notifyf("RELOADING=1\nMONOTONIC_USEC=%llu", usec);
}
