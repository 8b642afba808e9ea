#include "autoconfig.h"

#include "supervisor.h"

#include "config.h"
#include "container.h"
#include "daemon.h"
#include "metrics.h"
#include "log.h"
#include "loop.h"
#include "readiness.h"
#include "server.h"
#include "service.h"
#include "signals.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 64
/* A worker that dies sooner than this after its start is replaced only after
 * this long, so that a worker that cannot run does not become a fork loop. */
#define RESTART_DELAY_MS 1000
/* After the graceful timeout, workers get this long before SIGKILL. */
#define KILL_GRACE_MS 5000

struct supervisor;

struct worker {
	struct supervisor *sv;
	pid_t pid;           /* 0: none running */
	int64_t started_ms;  /* 0: never started */
	int report_fd;       /* our end of its readiness channel; -1: none */
	bool serving;        /* it said so since it started */
	bool reload_pending; /* told to reload, has not said how it went */
};

struct supervisor {
	struct server *srv;
	struct loop *loop;
	struct worker workers[MAX_WORKERS];
	unsigned count;
	unsigned running;
	bool stopping;
	bool announced; /* every worker served: the start-up line and READY=1 are out */
	bool reloading; /* waiting for the workers' word on a reload */
	char reload_failure[READINESS_TEXT_MAX + 1]; /* the first worker's reason, or "" */
	char root[READINESS_TEXT_MAX + 1];           /* the root as the workers report it */
	int status;                                  /* the exit status to return */
	struct loop_timer restart_timer;
	struct loop_timer kill_timer;
};

/* ---------------------------------------------------------- a worker's side */

/* Die with the supervisor: a supervisor killed outright (SIGKILL) must not
 * leave workers holding the port. It may have died before the prctl took
 * effect, hence the look at the parent after it. */
static void follow_supervisor(pid_t supervisor)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
		log_warn("PR_SET_PDEATHSIG: %s", strerror(errno));
	if (getppid() != supervisor)
		_exit(1);
}

/* In the new process: serve, then leave without running the supervisor's code. */
static void run_worker(struct supervisor *sv, int report_fd, pid_t supervisor)
{
	struct server *srv = sv->srv;
	follow_supervisor(supervisor);
	/* The other workers' channels are the supervisor's business. */
	for (unsigned i = 0; i < sv->count; i++)
		if (sv->workers[i].report_fd >= 0)
			close(sv->workers[i].report_fd);
	loop_free(sv->loop);
	signals_reset(); /* the supervisor's pipe; server_run makes its own */
	daemon_forget_ready();
	unsetenv("NOTIFY_SOCKET"); /* the supervisor speaks to the service manager */
	srv->report_fd = report_fd;
	char err[512];
	int status = 1;
	if (server_open_site(srv, err, sizeof err) < 0)
		log_error("%s", err);
	else
		status = server_run(srv);
	server_free(srv);
	_exit(status);
}

/* ---------------------------------------------------------- what workers report */

static void forget_channel(struct worker *w)
{
	if (w->report_fd < 0)
		return;
	loop_remove(w->sv->loop, w->report_fd);
	close(w->report_fd);
	w->report_fd = -1;
}

/* Once every worker serves, for the first time: one start-up line, READY=1,
 * and the waiting parent of -d may go. */
static void announce_when_all_serve(struct supervisor *sv)
{
	if (sv->announced || sv->stopping)
		return;
	for (unsigned i = 0; i < sv->count; i++)
		if (sv->workers[i].pid == 0 || !sv->workers[i].serving)
			return;
	sv->announced = true;
	char extra[32];
	snprintf(extra, sizeof extra, " (%u workers)", sv->count);
	server_announce(sv->srv, sv->root, extra);
}

/* Every worker told to reload has answered (or is gone): say how it went. */
static void finish_reload_when_answered(struct supervisor *sv)
{
	if (!sv->reloading)
		return;
	for (unsigned i = 0; i < sv->count; i++)
		if (sv->workers[i].reload_pending)
			return;
	sv->reloading = false;
	const char *failure = sv->reload_failure[0] != '\0' ? sv->reload_failure : NULL;
	if (failure != NULL) {
		metrics->reloads_failed++;
		log_error("reload failed in a worker: %s", failure);
	} else {
		metrics->reloads_ok++;
		log_info("every worker reloaded: serving %s", sv->root);
	}
	server_notify_status(sv->srv, sv->root, failure);
}

static void on_report(struct worker *w, enum readiness_kind kind, const char *text)
{
	struct supervisor *sv = w->sv;
	switch (kind) {
	case READINESS_SERVING:
		w->serving = true;
		snprintf(sv->root, sizeof sv->root, "%s", text);
		announce_when_all_serve(sv);
		return;
	case READINESS_RELOADED:
	case READINESS_RELOAD_FAILED:
		if (!w->reload_pending)
			return;
		w->reload_pending = false;
		if (kind == READINESS_RELOADED)
			snprintf(sv->root, sizeof sv->root, "%s", text);
		else if (sv->reload_failure[0] == '\0')
			snprintf(sv->reload_failure, sizeof sv->reload_failure, "%s", text);
		finish_reload_when_answered(sv);
		return;
	}
	log_warn("worker %ld sent an unknown report (%d)", (long)w->pid, (int)kind);
}

static void on_channel_readable(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct worker *w = arg;
	(void)loop;
	(void)events;
	char text[READINESS_TEXT_MAX + 1];
	enum readiness_kind kind;
	int got;
	while ((got = readiness_receive(fd, &kind, text, sizeof text)) > 0)
		on_report(w, kind, text);
	if (got == 0) /* the worker is ending: its exit is reaped apart */
		forget_channel(w);
}

/* ---------------------------------------------------------- starting workers */

static void start_worker(struct supervisor *sv, struct worker *w)
{
	int channel[2];
	if (readiness_channel(channel) < 0) {
		log_error("socketpair: %s; will try again", strerror(errno));
		loop_timer_set(sv->loop, &sv->restart_timer, loop_now(sv->loop) + RESTART_DELAY_MS);
		return;
	}
	pid_t supervisor = getpid();
	/* A signal for the new worker waits until its own handlers are in place
	 * (server_run's signals_init) instead of finding the default action. */
	signals_block();
	pid_t pid = fork();
	if (pid != 0)
		signals_unblock();
	if (pid == 0) {
		close(channel[0]);
		/* Slot 0 is the supervisor's; a replacement counts on in its slot. */
		metrics_use_slot((unsigned)(w - sv->workers) + 1);
		run_worker(sv, channel[1], supervisor);
	}
	close(channel[1]);
	if (pid < 0 || loop_add(sv->loop, channel[0], LOOP_READ, on_channel_readable, w) < 0) {
		log_error("%s: %s; will try again", pid < 0 ? "fork" : "watching a worker",
		          strerror(errno));
		close(channel[0]);
		if (pid > 0)
			kill(pid, SIGKILL); /* reaped as any dead worker */
		loop_timer_set(sv->loop, &sv->restart_timer, loop_now(sv->loop) + RESTART_DELAY_MS);
		if (pid < 0)
			return;
		channel[0] = -1;
	}
	if (w->started_ms != 0) /* a replacement for one that ended */
		metrics->worker_restarts++;
	w->pid = pid;
	w->started_ms = loop_now(sv->loop);
	w->report_fd = channel[0];
	w->serving = false;
	w->reload_pending = false;
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

/* ---------------------------------------------------------- stopping */

static void stop(void *arg, const char *why)
{
	struct supervisor *sv = arg;
	if (sv->stopping)
		return;
	sv->stopping = true;
	service_notify("STOPPING=1");
	log_info("%s: stopping %u worker(s)", why, sv->running);
	/* Our copies of the listening sockets would keep them listening while the
	 * workers finish: new connections would wait in the backlog and then be
	 * reset. Closed, a new connection is refused at once. */
	for (size_t i = 0; i < sv->srv->listener_count; i++)
		listener_close(&sv->srv->listeners[i]);
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

/* ---------------------------------------------------------- dead workers */

static void describe_exit(int wstatus, char *out, size_t size)
{
	if (WIFSIGNALED(wstatus))
		snprintf(out, size, "was killed by signal %d", WTERMSIG(wstatus));
	else
		snprintf(out, size, "exited with status %d", WEXITSTATUS(wstatus));
}

/* A worker is gone. Returns true when its slot should be filled after the
 * restart delay rather than now. */
static bool worker_exited(struct supervisor *sv, struct worker *w, int wstatus)
{
	pid_t pid = w->pid;
	w->pid = 0;
	w->serving = false;
	sv->running--;
	forget_channel(w);
	if (w->reload_pending) {
		w->reload_pending = false;
		finish_reload_when_answered(sv);
	}
	if (sv->stopping) {
		if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
			sv->status = 1;
		return false;
	}
	char how[64];
	describe_exit(wstatus, how, sizeof how);
	if (!sv->announced) {
		/* Not every worker has served yet: the server cannot start. */
		log_error("worker %ld %s before serving: the server cannot start", (long)pid, how);
		sv->status = 1;
		stop(sv, "start-up failed");
		return false;
	}
	log_error("worker %ld %s: starting another", (long)pid, how);
	if (loop_now(sv->loop) - w->started_ms < RESTART_DELAY_MS)
		return true;
	start_worker(sv, w);
	return false;
}

static void reap(struct supervisor *sv)
{
	int wstatus;
	pid_t pid;
	bool delayed = false;
	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0)
		for (unsigned i = 0; i < sv->count; i++)
			if (sv->workers[i].pid == pid)
				delayed |= worker_exited(sv, &sv->workers[i], wstatus);
	if (delayed && !sv->stopping)
		loop_timer_set(sv->loop, &sv->restart_timer, loop_now(sv->loop) + RESTART_DELAY_MS);
	if (sv->stopping && sv->running == 0)
		loop_stop(sv->loop);
}

static void on_child_exited(void *arg)
{
	reap(arg);
}

/* ---------------------------------------------------------- reload, logs */

/* The supervisor reads the configuration first: a broken one stays with us,
 * and the workers are not disturbed. A good one becomes ours (logs, graceful
 * timeout, and what every worker started from now on runs with), then each
 * worker reloads and reports how it went. */
static void on_reload(void *arg)
{
	struct supervisor *sv = arg;
	if (sv->stopping)
		return;
	service_notify_reloading();
	log_info("SIGHUP: reloading the configuration");
	char reason[512];
	struct config *next = server_load_config(sv->srv, reason, sizeof reason);
	if (next == NULL) {
		metrics->reloads_failed++;
		log_error("reload failed: still serving with the previous configuration");
		server_notify_status(sv->srv, sv->root, reason);
		return;
	}
	server_adopt_config(sv->srv, next);
	sv->reloading = true;
	sv->reload_failure[0] = '\0';
	for (unsigned i = 0; i < sv->count; i++)
		sv->workers[i].reload_pending = sv->workers[i].pid != 0;
	log_info("reloading %u worker(s)", sv->running);
	forward(sv, SIGHUP);
	finish_reload_when_answered(sv);
}

static void on_reopen_logs(void *arg)
{
	server_reopen_logs();
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
	for (unsigned i = 0; i < MAX_WORKERS; i++) {
		sv.workers[i].sv = &sv;
		sv.workers[i].report_fd = -1;
	}
	snprintf(sv.root, sizeof sv.root, "%s", srv->cfg->root);
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
	int rc = loop_run(sv.loop) < 0 ? 1 : sv.status;
	for (unsigned i = 0; i < sv.count; i++)
		forget_channel(&sv.workers[i]);
	loop_remove(sv.loop, signal_fd);
	signals_reset();
	loop_free(sv.loop);
	log_info("stopped");
	return rc;
}
