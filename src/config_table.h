/* config_table — the server's settings (struct config), the directives that
 * set them, their built-in defaults, and where each value came from.
 *
 * One table of directives (name, the function that checks and stores its
 * values, default, whether a reload can change it) drives the defaults, the
 * config file and the command line alike. */
#ifndef SWITCHBOARD_CONFIG_TABLE_H
#define SWITCHBOARD_CONFIG_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "address.h"
#include "cors.h"
#include "fallback.h"
#include "auth.h"
#include "log.h"
#include "redirect.h"
#include "static.h" /* header_rule, error_page */

#define CONFIG_MAX_LISTEN 16
#define CONFIG_MAX_INDEX 8
#define CONFIG_MAX_HEADERS 32
#define CONFIG_MAX_ERROR_PAGES 16
#define CONFIG_MAX_NETWORKS 16
#define CONFIG_MAX_REDIRECTS 64
#define CONFIG_MAX_AUTH_RULES 16
/* select() watches at most FD_SETSIZE descriptors; keep room for listeners,
 * the signal pipe, the reserve descriptor, open files and logs. */
#define CONFIG_FD_RESERVED 24

enum follow_symlinks { FOLLOW_NEVER, FOLLOW_INSIDE_ROOT, FOLLOW_ALWAYS };
enum hidden_files { HIDDEN_FILES_DENY, HIDDEN_FILES_ALLOW };
/* The request header field in which trusted HTTP proxies name the client. */
enum real_client_header { REAL_CLIENT_OFF, REAL_CLIENT_X_FORWARDED_FOR, REAL_CLIENT_FORWARDED };
/* When a body from a file goes out by sendfile(2): always, never (read and
 * sent), or only to peers on other hosts. */
enum sendfile_use { SENDFILE_ON, SENDFILE_OFF, SENDFILE_REMOTE };

/* Every directive, in the order of the table (and of --list-directives). The
 * table has exactly one row for each: a static assertion holds it to that. */
enum directive_id {
	DIRECTIVE_LISTEN,
	DIRECTIVE_ROOT,
	DIRECTIVE_INDEX,
	DIRECTIVE_USER,
	DIRECTIVE_GROUP,
	DIRECTIVE_CHROOT,
	DIRECTIVE_PIDFILE,
	DIRECTIVE_ACCESS_LOG,
	DIRECTIVE_ERROR_LOG,
	DIRECTIVE_LOG_LEVEL,
	DIRECTIVE_WORKERS,
	DIRECTIVE_MAX_CONNECTIONS,
	DIRECTIVE_MAX_CONNECTIONS_PER_CLIENT,
	DIRECTIVE_HEADER_TIMEOUT,
	DIRECTIVE_KEEPALIVE_TIMEOUT,
	DIRECTIVE_SEND_TIMEOUT,
	DIRECTIVE_GRACEFUL_TIMEOUT,
	DIRECTIVE_KEEPALIVE,
	DIRECTIVE_MAX_KEEPALIVE_REQUESTS,
	DIRECTIVE_HIDDEN_FILES,
	DIRECTIVE_FOLLOW_SYMLINKS,
	DIRECTIVE_MIME_TYPES,
	DIRECTIVE_DEFAULT_TYPE,
	DIRECTIVE_CHARSET,
	DIRECTIVE_PRECOMPRESSED,
	DIRECTIVE_LISTING,
	DIRECTIVE_FILE_CACHE,
	DIRECTIVE_SENDFILE,
	DIRECTIVE_ADD_HEADER,
	DIRECTIVE_ERROR_PAGE,
	DIRECTIVE_HEALTH_PATH,
	DIRECTIVE_HEALTH_LOG,
	DIRECTIVE_METRICS_PATH,
	DIRECTIVE_METRICS_ALLOW,
	DIRECTIVE_PROXY_TRUSTED,
	DIRECTIVE_DRAIN_DELAY,
	DIRECTIVE_DEFER_ACCEPT,
	DIRECTIVE_REDIRECT,
	DIRECTIVE_UNIX_SOCKET_MODE,
	DIRECTIVE_UNIX_SOCKET_GROUP,
	DIRECTIVE_ACCESS_LOG_PROXY,
	DIRECTIVE_REAL_CLIENT_HEADER,
	DIRECTIVE_CORS_ORIGINS,
	DIRECTIVE_CORS_HEADERS,
	DIRECTIVE_CORS_EXPOSE_HEADERS,
	DIRECTIVE_CORS_MAX_AGE,
	DIRECTIVE_FALLBACK,
	DIRECTIVE_AUTH_BASIC,
	DIRECTIVE_COUNT
};

/* Origins or header names for CORS (cors.h), checked when read. */
#define CONFIG_MAX_CORS_LIST 16
_Static_assert(CORS_MAX_ORIGINS <= CONFIG_MAX_CORS_LIST && CORS_MAX_HEADERS <= CONFIG_MAX_CORS_LIST,
               "a CORS list holds the most values its directive takes");
struct config_cors_list {
	char *items[CONFIG_MAX_CORS_LIST];
	size_t count;
};

struct config_sites;

/* Networks as written ("10.0.0.0/8", "::1"), checked when read. */
struct config_networks {
	char *items[CONFIG_MAX_NETWORKS];
	size_t count;
};

struct config {
	char *file; /* the config file, NULL when none */

	struct listen_addr listen[CONFIG_MAX_LISTEN];
	size_t listen_count;
	unsigned unix_socket_mode; /* for unix: listen addresses */
	char *unix_socket_group;   /* NULL: the server's own */
	char *root;
	char *index[CONFIG_MAX_INDEX];
	size_t index_count;

	char *user;
	char *group;
	char *chroot;
	char *pidfile;

	char *access_log; /* a path, "syslog" or "off" */
	char *error_log;  /* a path, "syslog" or "stderr" */
	enum log_level log_level;

	size_t workers;
	size_t max_connections;
	size_t max_connections_per_client;
	int64_t header_timeout_ms;
	int64_t keepalive_timeout_ms;
	int64_t send_timeout_ms;
	int64_t graceful_timeout_ms;
	int64_t drain_delay_ms;  /* SIGTERM: serve this long with health at 503 first */
	int64_t defer_accept_ms; /* TCP_DEFER_ACCEPT on the listeners; 0: off */
	bool keepalive;
	size_t max_keepalive_requests;

	enum hidden_files hidden_files;
	enum follow_symlinks follow_symlinks;
	char *mime_types;
	char *default_type;
	char *charset;       /* appended to text types; "off" */
	uint64_t file_cache; /* bytes of small files kept in memory; 0: off */
	enum sendfile_use sendfile;
	bool precompressed;
	bool listing;
	char *health_path;                    /* the health route, "off" for none */
	bool health_log;                      /* health checks written to the access log */
	bool access_log_proxy;                /* the access log names each connection's proxy */
	char *metrics_path;                   /* the metrics route, "off" for none */
	struct config_networks metrics_allow; /* who may read it */
	struct config_networks proxy_trusted; /* who may send a PROXY header or name the client */
	enum real_client_header real_client_header; /* trusted proxies' header naming the client */
	struct header_rule headers[CONFIG_MAX_HEADERS];
	size_t header_count;
	struct error_page error_pages[CONFIG_MAX_ERROR_PAGES];
	size_t error_page_count;
	struct redirect_rule redirects[CONFIG_MAX_REDIRECTS];
	size_t redirect_count;
	struct config_cors_list cors_origins;        /* normalised; none: CORS is off */
	struct config_cors_list cors_headers;        /* request headers a preflight may ask for */
	struct config_cors_list cors_expose_headers; /* response headers a page may read */
	int64_t cors_max_age_ms;                     /* a preflight's answer kept this long */
	struct fallback_rule fallback;               /* the page for paths that name nothing */

	/* Virtual hosts: the site blocks, each with settings of its own
	 * (config_sites.h); the top level is the default site. NULL: none. */
	struct config_sites *sites;
	struct auth_rule auth_rules[CONFIG_MAX_AUTH_RULES]; /* with their user files, read */
	size_t auth_rule_count;

	/* Fixed policies, not directives. */
	int64_t linger_timeout_ms;
	uint64_t max_discard_body; /* request bodies up to this are read and dropped */

	/* Command line only. */
	bool daemon;
	bool test_only;

	/* Where each directive was last set: 0 default, -1 command line, else a
	 * line of the config file. Indexed by enum directive_id. */
	int origin[DIRECTIVE_COUNT];
};

/* Built-in defaults only. */
void config_defaults(struct config *cfg);

/* Frees what the settings hold; cfg may be freed twice. */
void config_free(struct config *cfg);

/* Was this directive given (in the file or on the command line)? */
bool config_is_set(const struct config *cfg, const char *directive);

/* "FILE:LINE", "command line" or "default": where a directive's value came from. */
void config_origin(const struct config *cfg, const char *directive, char *out, size_t size);

#endif
