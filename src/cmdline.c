#include "autoconfig.h"

#include "cmdline.h"

#include "config_directive.h"
#include "config_file.h"
#include "config_sites.h"
#include "config_values.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: switchboard [options] [DOCROOT]\n"
	    "Serve the files below DOCROOT (default: the current directory) over HTTP.\n"
	    "\n"
	    "  -c, --config FILE          read settings from FILE (see switchboard.conf(5))\n"
	    "  -t, --test                 check the configuration and exit\n"
	    "  -r, --root DIR             directory to serve (same as DOCROOT)\n"
	    "  -l, --listen ADDR:PORT     address to listen on, repeatable (default "
	    "127.0.0.1:8080);\n"
	    "                             [::1]:PORT for IPv6, *:PORT / [::]:PORT for every "
	    "address\n"
	    "  -p, --port PORT            shorthand for --listen 127.0.0.1:PORT\n"
	    "  -u, --user USER            user to run as when started as root (default nobody)\n"
	    "  -d, --daemon               detach from the terminal and run in the background\n"
	    "      --max-connections N    connections served at once (default 1000, at most %zu)\n"
	    "      --workers N            worker processes, each with its own loop (default 1)\n"
	    "      --max-connections-per-client N\n"
	    "                             connections one client address may hold (default 256)\n"
	    "      --header-timeout T     time to receive a request head (default 10s)\n"
	    "      --keepalive-timeout T  idle time allowed between requests (default 15s)\n"
	    "      --send-timeout T       time a client may accept no bytes (default 30s)\n"
	    "      --defer-accept T       time the kernel holds a new connection until its\n"
	    "                             client sends (default 1s; 0: none)\n"
	    "      --listing              list directories that have no index file\n"
	    "      --list-directives      list the config file directives (and which a site\n"
	    "                             block may hold) and exit\n"
	    "  -h, --help                 show this help and exit\n"
	    "  -V, --version              show the version and exit\n"
	    "\n"
	    "Durations take a unit: ms, s, m or h (no unit: seconds).\n"
	    "Precedence: built-in defaults, then the config file, then the command line.\n",
	    config_directive(DIRECTIVE_MAX_CONNECTIONS)->max);
}

enum {
	OPT_MAX_CONNECTIONS = 256,
	OPT_MAX_PER_CLIENT,
	OPT_WORKERS,
	OPT_HEADER_TIMEOUT,
	OPT_KEEPALIVE_TIMEOUT,
	OPT_SEND_TIMEOUT,
	OPT_DEFER_ACCEPT,
	OPT_LISTING,
	OPT_LIST_DIRECTIVES,
};

static const struct option long_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"test", no_argument, NULL, 't'},
    {"root", required_argument, NULL, 'r'},
    {"listen", required_argument, NULL, 'l'},
    {"port", required_argument, NULL, 'p'},
    {"user", required_argument, NULL, 'u'},
    {"daemon", no_argument, NULL, 'd'},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"max-connections-per-client", required_argument, NULL, OPT_MAX_PER_CLIENT},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT},
    {"keepalive-timeout", required_argument, NULL, OPT_KEEPALIVE_TIMEOUT},
    {"send-timeout", required_argument, NULL, OPT_SEND_TIMEOUT},
    {"defer-accept", required_argument, NULL, OPT_DEFER_ACCEPT},
    {"listing", no_argument, NULL, OPT_LISTING},
    {"list-directives", no_argument, NULL, OPT_LIST_DIRECTIVES},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Options that set a directive, applied over the config file. */
static const struct {
	int opt;
	enum directive_id directive;
} option_directives[] = {
    {'r', DIRECTIVE_ROOT},
    {'l', DIRECTIVE_LISTEN},
    {'p', DIRECTIVE_LISTEN},
    {'u', DIRECTIVE_USER},
    {OPT_MAX_CONNECTIONS, DIRECTIVE_MAX_CONNECTIONS},
    {OPT_MAX_PER_CLIENT, DIRECTIVE_MAX_CONNECTIONS_PER_CLIENT},
    {OPT_WORKERS, DIRECTIVE_WORKERS},
    {OPT_HEADER_TIMEOUT, DIRECTIVE_HEADER_TIMEOUT},
    {OPT_KEEPALIVE_TIMEOUT, DIRECTIVE_KEEPALIVE_TIMEOUT},
    {OPT_SEND_TIMEOUT, DIRECTIVE_SEND_TIMEOUT},
    {OPT_DEFER_ACCEPT, DIRECTIVE_DEFER_ACCEPT},
    {OPT_LISTING, DIRECTIVE_LISTING},
};

/* Every option collected as a setting is in option_directives. */
static const struct directive *directive_for_option(int opt)
{
	for (size_t i = 0; i < sizeof option_directives / sizeof option_directives[0]; i++)
		if (option_directives[i].opt == opt)
			return config_directive(option_directives[i].directive);
	return NULL;
}

static void list_directives(FILE *out)
{
	for (int i = 0; i < DIRECTIVE_COUNT; i++) {
		const struct directive *d = config_directive((enum directive_id)i);
		fprintf(out, "%s\t%s\t%s\t%s\n", d->name, d->def != NULL ? d->def : "-",
		        d->reload ? "reload" : "restart", d->site ? "site" : "server");
	}
}

struct cli_setting {
	int opt;
	char *arg;
};

static enum config_result apply_cli_setting(struct config *cfg, const struct cli_setting *s,
                                            FILE *err)
{
	char msg[512], spec[32], on[] = "on";
	char *arg = s->opt == OPT_LISTING ? on : s->arg;
	if (s->opt == 'p') {
		size_t n;
		if (!config_parse_count(arg, 65535, &n) && strcmp(arg, "0") != 0) {
			fprintf(err, "switchboard: invalid port '%s' (0 to 65535)\n", arg);
			usage(err);
			return CONFIG_USAGE_ERROR;
		}
		snprintf(spec, sizeof spec, "127.0.0.1:%s", arg);
		arg = spec;
	}
	const struct directive *d = directive_for_option(s->opt);
	if (config_set_directive(cfg, d, &arg, 1, ORIGIN_COMMAND_LINE, msg, sizeof msg) < 0) {
		fprintf(err, "switchboard: %s\n", msg);
		usage(err);
		return CONFIG_USAGE_ERROR;
	}
	return CONFIG_OK;
}

/* First pass: collect the options, so that the file is read before the rest
 * of the command line is applied over it. */
static enum config_result collect_options(struct config *cfg, int argc, char **argv,
                                          struct cli_setting *settings, size_t *count, FILE *out,
                                          FILE *err)
{
	int opt;
	optind = 0; /* GNU: start afresh, so that the parser can run more than once */
	opterr = 1;
	while ((opt = getopt_long(argc, argv, "+c:tr:l:p:u:dhV", long_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (config_replace_string(&cfg->file, optarg) < 0)
				return CONFIG_USAGE_ERROR;
			break;
		case 't':
			cfg->test_only = true;
			break;
		case 'd':
			cfg->daemon = true;
			break;
		case 'h':
			usage(out);
			return CONFIG_EXIT_SUCCESS;
		case 'V':
			fprintf(out, "%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return CONFIG_EXIT_SUCCESS;
		case OPT_LIST_DIRECTIVES:
			list_directives(out);
			return CONFIG_EXIT_SUCCESS;
		case '?': /* getopt has said what was wrong */
			usage(err);
			return CONFIG_USAGE_ERROR;
		default:
			settings[(*count)++] = (struct cli_setting){opt, optarg};
			break;
		}
	}
	if (optind < argc)
		settings[(*count)++] = (struct cli_setting){'r', argv[optind++]};
	if (optind < argc) {
		fprintf(err, "switchboard: unexpected argument '%s'\n", argv[optind]);
		usage(err);
		return CONFIG_USAGE_ERROR;
	}
	return CONFIG_OK;
}

/* The directory relative paths are taken from: where switchboard was started,
 * remembered once, so that a daemon (which moves to "/") or a reload reads
 * the same files as the first start. */
static const char *start_directory(void)
{
	static char *cwd;
	if (cwd == NULL)
		cwd = getcwd(NULL, 0);
	return cwd;
}

static int make_absolute(char **path, const char *base)
{
	if (*path == NULL || (*path)[0] == '/' || base == NULL)
		return 0;
	if (strcmp(*path, ".") == 0) /* the base itself, without a "/." */
		return config_replace_string(path, base);
	size_t n = strlen(base) + strlen(*path) + 2;
	char *abs = malloc(n);
	if (abs == NULL)
		return -1;
	snprintf(abs, n, "%s/%s", strcmp(base, "/") == 0 ? "" : base, *path);
	free(*path);
	*path = abs;
	return 0;
}

static bool is_log_keyword(const char *value)
{
	return strcmp(value, "off") == 0 || strcmp(value, "syslog") == 0 ||
	       strcmp(value, "stderr") == 0;
}

/* Every path becomes absolute. Under chroot the root is a path inside it. */
static int absolute_paths(struct config *cfg)
{
	const char *cwd = start_directory();
	int rc = make_absolute(&cfg->file, cwd);
	rc |= make_absolute(&cfg->root, cfg->chroot != NULL ? "/" : cwd);
	rc |= make_absolute(&cfg->chroot, cwd);
	rc |= make_absolute(&cfg->pidfile, cwd);
	rc |= make_absolute(&cfg->mime_types, cwd);
	if (!is_log_keyword(cfg->access_log))
		rc |= make_absolute(&cfg->access_log, cwd);
	if (!is_log_keyword(cfg->error_log))
		rc |= make_absolute(&cfg->error_log, cwd);
	return rc;
}

/* Two endpoints on one path (the second would never be reached), or
 * redirects that send a client round in a loop. */
static bool routes_conflict(const struct config *cfg, FILE *err)
{
	char where[64], why[512];
	if (strcmp(cfg->health_path, "off") != 0 &&
	    strcmp(cfg->health_path, cfg->metrics_path) == 0) {
		config_origin(cfg, "metrics_path", where, sizeof where);
		fprintf(err, "%s: metrics_path '%s' is the health_path too\n", where,
		        cfg->metrics_path);
		return true;
	}
	if (redirect_rules_check(cfg->redirects, cfg->redirect_count, why, sizeof why) < 0) {
		config_origin(cfg, "redirect", where, sizeof where);
		fprintf(err, "%s: %s\n", where, why);
		return true;
	}
	return false;
}

static enum config_result out_of_memory(FILE *err)
{
	fprintf(err, "switchboard: out of memory\n");
	return CONFIG_USAGE_ERROR;
}

/* The settings of the file's site blocks: the defaults, the top level's
 * lines, the command line, then the block's own lines. */
static enum config_result resolve_site(const struct config *cfg, struct config_site *site,
                                       const struct cli_setting *settings, size_t count, FILE *err)
{
	struct config *s = calloc(1, sizeof *s);
	if (s == NULL)
		return out_of_memory(err);
	site->cfg = s; /* freed with cfg */
	config_defaults(s);
	if (config_replace_string(&s->file, cfg->file) < 0)
		return out_of_memory(err);
	/* The lines were checked when the file was read: only memory can fail. */
	if (config_lines_replay(s, &cfg->sites->top, false, err) > 0)
		return CONFIG_FILE_ERROR;
	enum config_result r = CONFIG_OK;
	for (size_t i = 0; r == CONFIG_OK && i < count; i++)
		r = apply_cli_setting(s, &settings[i], err);
	if (r == CONFIG_OK && config_lines_replay(s, &site->lines, true, err) > 0)
		r = CONFIG_FILE_ERROR;
	if (r == CONFIG_OK && routes_conflict(s, err))
		r = CONFIG_FILE_ERROR;
	if (r == CONFIG_OK && absolute_paths(s) < 0)
		r = out_of_memory(err);
	return r;
}

static enum config_result resolve_sites(const struct config *cfg,
                                        const struct cli_setting *settings, size_t count, FILE *err)
{
	enum config_result r = CONFIG_OK;
	for (size_t i = 0; r == CONFIG_OK && i < config_site_count(cfg); i++)
		r = resolve_site(cfg, &cfg->sites->items[i], settings, count, err);
	return r;
}

enum config_result config_load(struct config *cfg, int argc, char **argv, FILE *out, FILE *err)
{
	config_defaults(cfg);
	struct cli_setting *settings = calloc((size_t)argc + 1, sizeof *settings);
	if (settings == NULL) {
		fprintf(err, "switchboard: out of memory\n");
		return CONFIG_USAGE_ERROR;
	}
	size_t count = 0;
	enum config_result r = collect_options(cfg, argc, argv, settings, &count, out, err);
	if (r == CONFIG_OK && cfg->file != NULL && config_parse_file(cfg, cfg->file, err) > 0)
		r = CONFIG_FILE_ERROR;
	for (size_t i = 0; r == CONFIG_OK && i < count; i++)
		r = apply_cli_setting(cfg, &settings[i], err);
	if (r == CONFIG_OK)
		r = resolve_sites(cfg, settings, count, err);
	free(settings);
	if (r == CONFIG_OK && routes_conflict(cfg, err))
		r = CONFIG_FILE_ERROR;
	if (r == CONFIG_OK && absolute_paths(cfg) < 0) {
		fprintf(err, "switchboard: out of memory\n");
		r = CONFIG_USAGE_ERROR;
	}
	return r;
}
