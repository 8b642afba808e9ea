/* switchboard — a small, fast, careful HTTP static-file server. */
#include "autoconfig.h"

#include "config.h"
#include "log.h"
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>

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
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
		log_warn("open file limit is %llu (hard limit %llu), below the %llu that "
			 "%zu connections need: new connections will be shed when it is reached",
			 (unsigned long long)(rl.rlim_cur < old ? old : rl.rlim_cur),
			 (unsigned long long)rl.rlim_max, (unsigned long long)want,
			 cfg->max_connections);
}

int main(int argc, char **argv)
{
	struct config cfg;
	config_defaults(&cfg);
	switch (config_parse_args(&cfg, argc, argv, stdout, stderr)) {
	case CONFIG_OK:
		break;
	case CONFIG_EXIT_SUCCESS:
		return 0;
	case CONFIG_USAGE_ERROR:
		return EX_USAGE;
	}

	raise_fd_limit(&cfg);
	struct server srv;
	char err[512];
	if (server_init(&srv, &cfg, err, sizeof err) < 0) {
		log_error("%s", err);
		server_free(&srv);
		return 1;
	}
	int status = server_run(&srv);
	server_free(&srv);
	return status;
}
