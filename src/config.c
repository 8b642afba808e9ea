#include "autoconfig.h"

#include "config.h"

#include <getopt.h>
#include <string.h>
#include <sys/select.h>

#define MAX_DURATION_MS (INT64_C(365) * 24 * 3600 * 1000)

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->root = ".";
	listen_addr_parse("127.0.0.1:8080", &cfg->listen[0], NULL, 0);
	cfg->listen_count = 1;
	cfg->max_connections = 1000;
	cfg->header_timeout_ms = 10000;
	cfg->keepalive_timeout_ms = 15000;
	cfg->send_timeout_ms = 30000;
	cfg->linger_timeout_ms = 2000;
	cfg->graceful_timeout_ms = 10000;
	cfg->max_discard_body = 64 * 1024;
	cfg->mime_types_path = "/etc/mime.types";
	cfg->default_type = "application/octet-stream";
}

bool config_parse_duration(const char *text, int64_t *ms)
{
	static const struct {
		const char *suffix;
		int64_t ms;
	} units[] = {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	const char *p = text;
	int64_t n = 0;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > MAX_DURATION_MS)
			return false;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(p, units[i].suffix) == 0) {
			if (n > MAX_DURATION_MS / units[i].ms)
				return false;
			*ms = n * units[i].ms;
			return true;
		}
	}
	return false;
}

static bool parse_count(const char *text, size_t max, size_t *out)
{
	size_t n = 0;
	if (*text == '\0')
		return false;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		n = n * 10 + (size_t)(*p - '0');
		if (n > max)
			return false;
	}
	*out = n;
	return true;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: switchboard [options] [DOCROOT]\n"
		"Serve the files below DOCROOT (default: the current directory) over HTTP.\n"
		"\n"
		"  -r, --root DIR             directory to serve (same as DOCROOT)\n"
		"  -l, --listen ADDR:PORT     address to listen on, repeatable (default 127.0.0.1:8080);\n"
		"                             [::1]:PORT for IPv6, *:PORT / [::]:PORT for every address\n"
		"  -p, --port PORT            shorthand for --listen 127.0.0.1:PORT\n"
		"      --max-connections N    connections served at once (default 1000, at most %d)\n"
		"      --header-timeout T     time to receive a request head (default 10s)\n"
		"      --keepalive-timeout T  idle time allowed between requests (default 15s)\n"
		"      --send-timeout T       time a client may accept no bytes (default 30s)\n"
		"  -h, --help                 show this help and exit\n"
		"  -V, --version              show the version and exit\n"
		"\n"
		"Durations take a unit: ms, s, m or h (no unit: seconds).\n",
		FD_SETSIZE - CONFIG_FD_RESERVED);
}

enum {
	OPT_MAX_CONNECTIONS = 256,
	OPT_HEADER_TIMEOUT,
	OPT_KEEPALIVE_TIMEOUT,
	OPT_SEND_TIMEOUT,
};

static const struct option long_options[] = {
    {"root", required_argument, NULL, 'r'},
    {"listen", required_argument, NULL, 'l'},
    {"port", required_argument, NULL, 'p'},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT},
    {"keepalive-timeout", required_argument, NULL, OPT_KEEPALIVE_TIMEOUT},
    {"send-timeout", required_argument, NULL, OPT_SEND_TIMEOUT},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static enum config_result bad_value(FILE *err, const char *what, const char *value,
				    const char *detail)
{
	fprintf(err, "switchboard: invalid %s '%s'%s%s\n", what, value, detail[0] ? ": " : "",
		detail);
	usage(err);
	return CONFIG_USAGE_ERROR;
}

static enum config_result add_listen(struct config *cfg, const char *spec, FILE *err,
				     bool *replaced_default)
{
	char msg[256];
	if (!*replaced_default) {
		cfg->listen_count = 0;
		*replaced_default = true;
	}
	if (cfg->listen_count == CONFIG_MAX_LISTEN)
		return bad_value(err, "listen address", spec, "too many listen addresses");
	if (listen_addr_parse(spec, &cfg->listen[cfg->listen_count], msg, sizeof msg) < 0) {
		fprintf(err, "switchboard: %s\n", msg);
		usage(err);
		return CONFIG_USAGE_ERROR;
	}
	cfg->listen_count++;
	return CONFIG_OK;
}

static enum config_result set_duration(int64_t *field, const char *what, const char *value,
				       FILE *err)
{
	if (!config_parse_duration(value, field) || *field == 0)
		return bad_value(err, what, value, "expected a positive duration like 10s or 500ms");
	return CONFIG_OK;
}

static enum config_result apply_option(struct config *cfg, int opt, const char *arg, FILE *out,
				       FILE *err, bool *replaced_default)
{
	char spec[32];
	size_t n;
	switch (opt) {
	case 'r':
		cfg->root = arg;
		return CONFIG_OK;
	case 'l':
		return add_listen(cfg, arg, err, replaced_default);
	case 'p':
		if (strchr(arg, ':') != NULL || strlen(arg) > 5)
			return bad_value(err, "port", arg, "expected a number from 0 to 65535");
		snprintf(spec, sizeof spec, "127.0.0.1:%s", arg);
		return add_listen(cfg, spec, err, replaced_default);
	case OPT_MAX_CONNECTIONS:
		if (!parse_count(arg, FD_SETSIZE - CONFIG_FD_RESERVED, &n) || n == 0)
			return bad_value(err, "--max-connections", arg, "expected 1 to 1000");
		cfg->max_connections = n;
		return CONFIG_OK;
	case OPT_HEADER_TIMEOUT:
		return set_duration(&cfg->header_timeout_ms, "--header-timeout", arg, err);
	case OPT_KEEPALIVE_TIMEOUT:
		return set_duration(&cfg->keepalive_timeout_ms, "--keepalive-timeout", arg, err);
	case OPT_SEND_TIMEOUT:
		return set_duration(&cfg->send_timeout_ms, "--send-timeout", arg, err);
	case 'h':
		usage(out);
		return CONFIG_EXIT_SUCCESS;
	case 'V':
		fprintf(out, "%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return CONFIG_EXIT_SUCCESS;
	default: /* getopt has printed what was wrong */
		usage(err);
		return CONFIG_USAGE_ERROR;
	}
}

enum config_result config_parse_args(struct config *cfg, int argc, char **argv, FILE *out,
				     FILE *err)
{
	/* The first --listen replaces the addresses configured so far. */
	bool replaced_default = false;
	int opt;
	optind = 0; /* GNU: start afresh, so the parser can run more than once */
	while ((opt = getopt_long(argc, argv, "+r:l:p:hV", long_options, NULL)) != -1) {
		enum config_result r = apply_option(cfg, opt, optarg, out, err, &replaced_default);
		if (r != CONFIG_OK)
			return r;
	}
	if (optind < argc)
		cfg->root = argv[optind++];
	if (optind < argc) {
		fprintf(err, "switchboard: unexpected argument '%s'\n", argv[optind]);
		usage(err);
		return CONFIG_USAGE_ERROR;
	}
	return CONFIG_OK;
}
