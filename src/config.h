/* config — the server's settings: built-in defaults, then the config file
 * (-c FILE), then the command line.
 *
 * One table of directives (name, kind of value, default, whether a reload can
 * change it) drives all three, and --list-directives prints it so that the
 * documentation can be checked against it. */
#ifndef SWITCHBOARD_CONFIG_H
#define SWITCHBOARD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "address.h"

#define CONFIG_MAX_LISTEN 16
#define CONFIG_MAX_INDEX 8
#define CONFIG_MAX_HEADERS 32
#define CONFIG_MAX_ERROR_PAGES 16
/* select() watches at most FD_SETSIZE descriptors; keep room for listeners,
 * the signal pipe, the reserve descriptor, open files and logs. */
#define CONFIG_FD_RESERVED 24

enum follow_symlinks { FOLLOW_NEVER, FOLLOW_INSIDE_ROOT, FOLLOW_ALWAYS };

/* add_header NAME VALUE [SCOPE]: SCOPE is "/prefix" or "*.ext"; none: every path. */
struct header_rule {
	char *scope; /* NULL: every success response */
	char *line;  /* "Name: value\r\n", ready to send */
};

/* error_page STATUS PATH: the body of STATUS responses, a file below the root. */
struct error_page {
	int status;
	char *path;
};

struct config {
	char *file; /* the config file, NULL when none */

	struct listen_addr listen[CONFIG_MAX_LISTEN];
	size_t listen_count;
	char *root;
	char *index[CONFIG_MAX_INDEX];
	size_t index_count;

	char *user;
	char *group;
	char *chroot;
	char *pidfile;

	char *access_log; /* a path, "syslog" or "off" */
	char *error_log;  /* a path, "syslog" or "stderr" */
	int log_level;    /* enum log_level */

	size_t workers;
	size_t max_connections;
	size_t max_connections_per_client;
	int64_t header_timeout_ms;
	int64_t keepalive_timeout_ms;
	int64_t send_timeout_ms;
	int64_t graceful_timeout_ms;
	bool keepalive;
	size_t max_keepalive_requests;

	int hidden_files; /* 0 deny, 1 allow */
	int follow_symlinks;
	char *mime_types;
	char *default_type;
	char *charset;       /* appended to text types; "off" */
	uint64_t file_cache; /* bytes of small files kept in memory; 0: off */
	bool precompressed;
	bool listing;
	struct header_rule headers[CONFIG_MAX_HEADERS];
	size_t header_count;
	struct error_page error_pages[CONFIG_MAX_ERROR_PAGES];
	size_t error_page_count;

	/* Fixed policies, not directives. */
	int64_t linger_timeout_ms;
	uint64_t max_discard_body; /* request bodies up to this are read and dropped */

	/* Command line only. */
	bool daemon;
	bool test_only;

	/* Where each directive was last set: 0 default, -1 command line, else a
	 * line of the config file. Indexed like the directive table. */
	int origin[32];
};

enum config_result {
	CONFIG_OK,
	CONFIG_EXIT_SUCCESS, /* --help, --version or --list-directives was answered */
	CONFIG_USAGE_ERROR,  /* a bad command line: exit 64 (EX_USAGE) */
	CONFIG_FILE_ERROR,   /* a bad config file: exit 78 (EX_CONFIG) */
};

/* Defaults, then the file named by -c, then the rest of the command line.
 * Help and version go to out; every error goes to err ("FILE:LINE: what"). */
enum config_result config_load(struct config *cfg, int argc, char **argv, FILE *out, FILE *err);

/* Built-in defaults only. */
void config_defaults(struct config *cfg);

/* Read a config file over cfg. Returns the number of errors reported on err. */
int config_parse_file(struct config *cfg, const char *path, FILE *err);

/* Checks that need the system: the root is a directory, the user and group
 * exist, log files can be opened, the pidfile's directory exists. Touches
 * nothing. Returns the number of errors reported on err. */
int config_check(const struct config *cfg, FILE *err);

/* The part of config_check a reload repeats: the root (seen from inside the
 * chroot once the server is in it) and an explicit mime_types file. */
int config_check_site(const struct config *cfg, bool inside_chroot, FILE *err);

/* Was this directive given (in the file or on the command line)? */
bool config_is_set(const struct config *cfg, const char *directive);

/* "FILE:LINE", "command line" or "default": where a directive's value came from. */
void config_origin(const struct config *cfg, const char *directive, char *out, size_t size);

/* Directives whose new value a reload cannot apply: written to out, joined by ", ". */
void config_restart_needed(const struct config *old, const struct config *new_cfg, char *out,
                           size_t size);

/* After a reload: what needs a restart stays as it runs (so that the next
 * reload compares against what is really in force). */
void config_keep_restart_values(struct config *next, const struct config *running);

void config_free(struct config *cfg);

/* "10s", "500ms", "2m", "1h", or plain seconds. Returns false when invalid. */
bool config_parse_duration(const char *text, int64_t *ms);

#endif
