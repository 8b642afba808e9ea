#include "autoconfig.h"

#include "supervisor.h"

#include "container.h"
#include "daemon.h"
#include "metrics.h"
#include "log.h"
#include "loop.h"
#include "server.h"
#include "service.h"
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 64
/* A worker that dies sooner than this after its start is replaced only after
 * this long, so that a worker that cannot run does not become a fork loop. */
#define RESTART_DELAY_MS 1000
/* After the graceful timeout, workers get this long before SIGKILL. */
#define KILL_GRACE_MS 5000

struct worker {
	pid_t pid; /* 0: none running */
	int64_t started_ms;
};

struct supervisor {
	struct server *srv;
	struct loop *loop;
	struct worker workers[MAX_WORKERS];
	unsigned count;
	unsigned running;
	bool stopping;
	int status; /* the exit status to return */
	struct loop_timer restart_timer;
	struct loop_timer kill_timer;
};

/* In the new process: serve, then leave without running the supervisor's code. */
static void run_worker(struct server *srv)
{
	char err[512];
	signals_reset(); /* the supervisor's pipe; server_run makes its own */
	daemon_forget_ready();
	unsetenv("NOTIFY_SOCKET"); /* the supervisor speaks to the service manager */
	int status = 1;
	if (server_open_site(srv, err, sizeof err) < 0)
		log_error("%s", err);
	else
		status = server_run(srv);
	server_free(srv);
	_exit(status);
}

static void start_worker(struct supervisor *sv, struct worker *w)
{
	/* A signal for the new worker waits until its own handlers are in place
	 * (server_run's signals_init) instead of finding the default action. */
	signals_block();
	pid_t pid = fork();
	if (pid != 0)
		signals_unblock();
	if (pid < 0) {
		log_error("fork: %s; will try again", strerror(errno));
		loop_timer_set(sv->loop, &sv->restart_timer, loop_now(sv->loop) + RESTART_DELAY_MS);
		return;
	}
	if (pid == 0) {
		loop_free(sv->loop);
		/* Slot 0 is the supervisor's; a replacement counts on in its slot. */
		metrics_use_slot((unsigned)(w - sv->workers) + 1);
		run_worker(sv->srv);
	}
	w->pid = pid;
	w->started_ms = loop_now(sv->loop);
	sv->running++;
}

/* Start every worker slot that is empty (now, or after a crash's delay). */
static void fill_slots(struct supervisor *sv)
{
	for (unsigned i = 0; i < sv->count && !sv->stopping; i++)
		if (sv->workers[i].pid == 0)
			start_worker(sv, &sv->workers[i]);
}

static void on_restart_timer(struct loop *loop, struct loop_timer *t)
{
	struct supervisor *sv = container_of(t, struct supervisor, restart_timer);
	(void)loop;
	fill_slots(sv);
}

static void on_kill_timer(struct loop *loop, struct loop_timer *t)
{
	struct supervisor *sv = container_of(t, struct supervisor, kill_timer);
	(void)loop;
	for (unsigned i = 0; i < sv->count; i++) {
		if (sv->workers[i].pid != 0) {
			log_warn("worker %ld did not stop in time: killing it",
			         (long)sv->workers[i].pid);
			kill(sv->workers[i].pid, SIGKILL);
		}
	}
}

static void forward(struct supervisor *sv, int signo)
{
	for (unsigned i = 0; i < sv->count; i++)
		if (sv->workers[i].pid != 0)
			kill(sv->workers[i].pid, signo);
}

static void describe_exit(int wstatus, char *out, size_t size)
{
	if (WIFSIGNALED(wstatus))
		snprintf(out, size, "was killed by signal %d", WTERMSIG(wstatus));
	else
		snprintf(out, size, "exited with status %d", WEXITSTATUS(wstatus));
}

static void reap(struct supervisor *sv)
{
	int wstatus;
	pid_t pid;
	bool delayed = false;
	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		for (unsigned i = 0; i < sv->count; i++) {
			struct worker *w = &sv->workers[i];
			if (w->pid != pid)
				continue;
			w->pid = 0;
			sv->running--;
			if (sv->stopping) {
				if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
					sv->status = 1;
				break;
			}
			char how[64];
			describe_exit(wstatus, how, sizeof how);
			log_error("worker %ld %s: starting another", (long)pid, how);
			if (loop_now(sv->loop) - w->started_ms < RESTART_DELAY_MS)
				delayed = true;
			else
				start_worker(sv, w);
		}
	}
	if (delayed)
		loop_timer_set(sv->loop, &sv->restart_timer, loop_now(sv->loop) + RESTART_DELAY_MS);
	if (sv->stopping && sv->running == 0)
		loop_stop(sv->loop);
}

static void stop(void *arg, const char *why)
{
	struct supervisor *sv = arg;
	if (sv->stopping)
		return;
	sv->stopping = true;
	service_notify("STOPPING=1");
	log_info("%s: stopping %u worker(s)", why, sv->running);
	loop_timer_cancel(sv->loop, &sv->restart_timer);
	forward(sv, SIGTERM);
	/* Each worker drains, then finishes its responses: wait for both. */
	const struct config *cfg = sv->srv->cfg;
	loop_timer_set(sv->loop, &sv->kill_timer,
	               loop_now(sv->loop) + cfg->drain_delay_ms + cfg->graceful_timeout_ms +
	                   KILL_GRACE_MS);
	if (sv->running == 0)
		loop_stop(sv->loop);
}

static void on_child_exited(void *arg)
{
	reap(arg);
}

/* Each worker reloads, and keeps its old configuration if the new one is
 * broken. */
static void on_reload(void *arg)
{
	struct supervisor *sv = arg;
	service_notify_reloading();
	log_info("SIGHUP: reloading %u worker(s)", sv->running);
	forward(sv, SIGHUP);
	service_notify("READY=1");
}

static void on_reopen_logs(void *arg)
{
	forward(arg, SIGUSR1);
}

static void on_signal(struct loop *loop, int fd, unsigned events, void *arg)
{
	const struct signal_actions actions = {
	    .stop = stop,
	    .reload = on_reload,
	    .reopen_logs = on_reopen_logs,
	    .child_exited = on_child_exited,
	    .arg = arg,
	};
	(void)loop;
	(void)events;
	signals_dispatch(fd, &actions);
}

int supervisor_run(struct server *srv, unsigned workers)
{
	static struct supervisor sv;
	memset(&sv, 0, sizeof sv);
	sv.srv = srv;
	sv.count = workers < MAX_WORKERS ? workers : MAX_WORKERS;
	sv.loop = loop_new();
	loop_timer_init(&sv.restart_timer, on_restart_timer);
	loop_timer_init(&sv.kill_timer, on_kill_timer);
	int signal_fd = signals_init();
	if (sv.loop == NULL || signal_fd < 0 ||
	    loop_add(sv.loop, signal_fd, LOOP_READ, on_signal, &sv) < 0) {
		log_error("cannot set up the supervisor: %s", strerror(errno));
		loop_free(sv.loop);
		return 1;
	}
	fill_slots(&sv);
	log_info("%s %s: %u workers", PACKAGE_NAME, PACKAGE_VERSION, sv.running);
	service_notifyf("READY=1\nSTATUS=%u workers", sv.running);
	daemon_ready();
	int rc = loop_run(sv.loop) < 0 ? 1 : sv.status;
	loop_remove(sv.loop, signal_fd);
	signals_reset();
	loop_free(sv.loop);
	log_info("stopped");
	return rc;
}
