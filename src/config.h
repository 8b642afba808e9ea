/* config — the server's settings: built-in defaults, then the command line. */
#ifndef SWITCHBOARD_CONFIG_H
#define SWITCHBOARD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "listener.h"

#define CONFIG_MAX_LISTEN 16
/* select() watches at most FD_SETSIZE descriptors; keep room for listeners,
 * the signal pipe, the reserve descriptor, open files and logs. */
#define CONFIG_FD_RESERVED 24

struct config {
	const char *root;
	struct listen_addr listen[CONFIG_MAX_LISTEN];
	size_t listen_count;
	size_t max_connections;
	int64_t header_timeout_ms;
	int64_t keepalive_timeout_ms;
	int64_t send_timeout_ms;
	int64_t linger_timeout_ms;
	int64_t graceful_timeout_ms;
	uint64_t max_discard_body; /* request bodies up to this are read and dropped */
	const char *mime_types_path;
	const char *default_type;
};

enum config_result {
	CONFIG_OK,
	CONFIG_EXIT_SUCCESS, /* --help or --version was answered */
	CONFIG_USAGE_ERROR,  /* reported on err; exit with EX_USAGE */
};

void config_defaults(struct config *cfg);

/* Apply the command line over cfg. Writes help/version to out and errors
 * (with the usage) to err. */
enum config_result config_parse_args(struct config *cfg, int argc, char **argv, FILE *out,
				     FILE *err);

/* "10s", "500ms", "2m", "1h", or plain seconds. Returns false when invalid. */
bool config_parse_duration(const char *text, int64_t *ms);

#endif
