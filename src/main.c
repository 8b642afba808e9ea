/* switchboard — a small, fast, careful HTTP static-file server. */
#include "autoconfig.h"

#include "config.h"
#include "config_show.h"
#include "daemon.h"
#include "log.h"
#include "privileges.h"
#include "server.h"
#include "supervisor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <stdbool.h>
#include <sysexits.h>
#include <unistd.h>

/* Raise the soft descriptor limit as far as the connection limit needs (the hard
 * limit permitting), so that accept() does not fail first. */
static void raise_fd_limit(const struct config *cfg)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)(cfg->max_connections + CONFIG_FD_RESERVED);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rlim_t old = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		rl.rlim_cur = old;
	if (rl.rlim_cur < want)
		log_warn("open file limit is %llu (hard limit %llu), below the %llu that "
		         "%zu connections need: new connections will be shed when it is reached",
		         (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
		         (unsigned long long)want, cfg->max_connections);
}

/* -t: everything that can be checked without touching anything. */
static int test_config(const struct config *cfg)
{
	if (config_check(cfg, stderr) > 0)
		return EX_CONFIG;
	config_describe_sites(cfg, stdout);
	printf("configuration OK\n");
	config_show(cfg, stdout);
	return 0;
}

/* Bind, open the logs, detach, write the pidfile, then chroot and drop
 * privileges, and only then open the root as the user that will serve it. */
static int start(struct server *srv, struct config *cfg, int argc, char **argv, char **pidfile)
{
	char err[512];
	bool started_as_root = geteuid() == 0;
	if (server_init(srv, cfg, argc, argv, err, sizeof err) < 0) {
		log_error("%s", err);
		return 1;
	}
	/* Before anything is written: a second instance says why it stops. */
	if (cfg->pidfile != NULL) {
		if (pidfile_lock(cfg->pidfile, err, sizeof err) < 0) {
			log_error("%s", err);
			return 1;
		}
		*pidfile = strdup(cfg->pidfile);
	}
	if (cfg->daemon && daemon_detach(err, sizeof err) < 0) {
		log_error("%s", err);
		return 1;
	}
	if (cfg->pidfile != NULL && pidfile_write(cfg->pidfile, err, sizeof err) < 0) {
		log_error("%s", err);
		return 1;
	}
	if (privileges_drop(cfg, err, sizeof err) < 0) {
		log_error("%s", err);
		return 1;
	}
	/* With several workers, each opens the root for itself. */
	if (cfg->workers == 1 && server_open_site(srv, err, sizeof err) < 0) {
		if (started_as_root && strcmp(cfg->user, "root") != 0)
			log_error("%s (as user %s, who must be able to read it; see --user)", err,
			          cfg->user);
		else
			log_error("%s", err);
		return 1;
	}
	return 0;
}

/* What config_load and config_check wrote to err. A start's configuration
 * errors go to the error log, as one error line each, like those of a reload:
 * both read the same, and under systemd both reach the journal as errors. The
 * output of -t, usage errors and --help stay as they are. */
static void show_config_messages(const struct config *cfg, enum config_result r, char *text)
{
	if (text == NULL || text[0] == '\0')
		return;
	if (cfg->test_only || r == CONFIG_USAGE_ERROR) {
		fputs(text, stderr);
		return;
	}
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_error("%s", line);
}

/* Load the configuration and check it. Returns -1 to go on, or the exit status. */
static int load_config(struct config *cfg, int argc, char **argv)
{
	char *text = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&text, &len);
	if (err == NULL)
		return EX_OSERR;
	enum config_result r = config_load(cfg, argc, argv, stdout, err);
	bool bad = r == CONFIG_OK && !cfg->test_only && config_check(cfg, err) > 0;
	fclose(err);
	show_config_messages(cfg, r, text);
	free(text);
	switch (r) {
	case CONFIG_OK:
		break;
	case CONFIG_EXIT_SUCCESS:
		return 0;
	case CONFIG_USAGE_ERROR:
		return EX_USAGE;
	case CONFIG_FILE_ERROR:
		return EX_CONFIG;
	}
	if (cfg->test_only)
		return test_config(cfg);
	return bad ? EX_CONFIG : -1;
}

int main(int argc, char **argv)
{
	struct config *cfg = calloc(1, sizeof *cfg);
	if (cfg == NULL)
		return EX_OSERR;
	int early = load_config(cfg, argc, argv);
	if (early >= 0) {
		config_free(cfg);
		free(cfg);
		return early;
	}

	raise_fd_limit(cfg);
	struct server srv;
	char *pidfile = NULL; /* set once locked: removed on the way out */
	int status = start(&srv, cfg, argc, argv, &pidfile);
	if (status == 0)
		status = cfg->workers > 1 ? supervisor_run(&srv, (unsigned)cfg->workers)
		                          : server_run(&srv);
	server_free(&srv);
	pidfile_remove(pidfile);
	free(pidfile);
	log_close();
	return status;
}
