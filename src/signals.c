#include "autoconfig.h"

#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int pipe_fds[2] = {-1, -1};
static const int routed[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCHLD};

static void record_signal(int signo)
{
	int saved_errno = errno;
	unsigned char byte = (unsigned char)signo;
	/* If the pipe is full the signal is already pending many times over. */
	ssize_t ignored = write(pipe_fds[1], &byte, 1);
	(void)ignored;
	errno = saved_errno;
}

static int set_handler(int signo, void (*handler)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	return sigaction(signo, &sa, NULL);
}

static void routed_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof routed / sizeof routed[0]; i++)
		sigaddset(set, routed[i]);
}

void signals_block(void)
{
	sigset_t set;
	routed_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

void signals_unblock(void)
{
	sigset_t set;
	routed_set(&set);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int signals_init(void)
{
	if (set_handler(SIGPIPE, SIG_IGN) < 0)
		return -1;
	if (pipe_fds[0] < 0 && pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	for (size_t i = 0; i < sizeof routed / sizeof routed[0]; i++)
		if (set_handler(routed[i], record_signal) < 0)
			return -1;
	signals_unblock();
	return pipe_fds[0];
}

static void act(void (*action)(void *), void *arg)
{
	if (action != NULL)
		action(arg);
}

void signals_dispatch(int fd, const struct signal_actions *a)
{
	int signo;
	while ((signo = signals_next(fd)) != 0) {
		switch (signo) {
		case SIGTERM:
			if (a->stop != NULL)
				a->stop(a->arg, "SIGTERM");
			break;
		case SIGINT:
			if (a->interrupt != NULL || a->stop != NULL)
				(a->interrupt != NULL ? a->interrupt : a->stop)(a->arg, "SIGINT");
			break;
		case SIGHUP:
			act(a->reload, a->arg);
			break;
		case SIGUSR1:
			act(a->reopen_logs, a->arg);
			break;
		case SIGCHLD:
			act(a->child_exited, a->arg);
			break;
		default:
			break;
		}
	}
}

int signals_next(int fd)
{
	unsigned char byte;
	ssize_t n;
	do
		n = read(fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? byte : 0;
}

void signals_reset(void)
{
	for (size_t i = 0; i < sizeof routed / sizeof routed[0]; i++)
		set_handler(routed[i], SIG_DFL);
	for (int i = 0; i < 2; i++) {
		if (pipe_fds[i] >= 0)
			close(pipe_fds[i]);
		pipe_fds[i] = -1;
	}
}
