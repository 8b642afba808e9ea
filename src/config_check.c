#include "autoconfig.h"

#include "config_check.h"

#include "config_sites.h"

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int check_fail(const struct config *cfg, FILE *err, const char *directive, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

static int check_fail(const struct config *cfg, FILE *err, const char *directive, const char *fmt,
                      ...)
{
	char where[4200];
	config_origin(cfg, directive, where, sizeof where);
	fprintf(err, "%s: ", where);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputc('\n', err);
	return 1;
}

static int check_directory(const struct config *cfg, FILE *err, const char *directive,
                           const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return check_fail(cfg, err, directive, "%s '%s': %s", directive, path,
		                  errno == ENOENT ? "no such directory" : strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return check_fail(cfg, err, directive, "%s '%s': not a directory", directive, path);
	return 0;
}

/* Can path be opened for appending, without creating or touching it? */
static int check_log_path(const struct config *cfg, FILE *err, const char *directive,
                          const char *path)
{
	if (strcmp(path, "off") == 0 || strcmp(path, "syslog") == 0 || strcmp(path, "stderr") == 0)
		return 0;
	if (access(path, F_OK) == 0) {
		if (access(path, W_OK) < 0)
			return check_fail(cfg, err, directive, "%s '%s': %s", directive, path,
			                  strerror(errno));
		return 0;
	}
	char *copy = strdup(path);
	if (copy == NULL)
		return check_fail(cfg, err, directive, "out of memory");
	const char *dir = dirname(copy);
	int rc = 0;
	if (access(dir, W_OK | X_OK) < 0)
		rc = check_fail(cfg, err, directive, "%s '%s': cannot create it in '%s': %s",
		                directive, path, dir, strerror(errno));
	free(copy);
	return rc;
}

static int check_root(const struct config *cfg, bool inside_chroot, FILE *err)
{
	if (cfg->chroot == NULL || inside_chroot)
		return check_directory(cfg, err, "root", cfg->root);
	/* Under chroot the root is a path inside the new root directory. */
	if (check_directory(cfg, err, "chroot", cfg->chroot) != 0)
		return 1;
	size_t n = strlen(cfg->chroot) + strlen(cfg->root) + 2;
	char *inside = malloc(n);
	if (inside == NULL)
		return check_fail(cfg, err, "root", "out of memory");
	snprintf(inside, n, "%s/%s", cfg->chroot, cfg->root);
	int rc = check_directory(cfg, err, "root", inside);
	free(inside);
	return rc;
}

static int check_identity(const struct config *cfg, FILE *err)
{
	int errors = 0;
	if (geteuid() != 0) {
		/* Nothing to drop: only the current user can be asked for. */
		struct passwd *me = getpwuid(geteuid());
		if (config_is_set(cfg, "user") &&
		    (me == NULL || strcmp(me->pw_name, cfg->user) != 0))
			errors += check_fail(cfg, err, "user",
			                     "user '%s': switching users needs to start as root",
			                     cfg->user);
		if (cfg->chroot != NULL)
			errors += check_fail(cfg, err, "chroot", "chroot needs to start as root");
		return errors;
	}
	if (getpwnam(cfg->user) == NULL)
		errors += check_fail(cfg, err, "user", "user '%s': no such user", cfg->user);
	if (getgrnam(cfg->group) == NULL)
		errors += check_fail(cfg, err, "group", "group '%s': no such group", cfg->group);
	return errors;
}

/* The root of each site block that has one of its own. */
static int check_site_roots(const struct config *cfg, bool inside_chroot, FILE *err)
{
	int errors = 0;
	for (size_t i = 0; i < config_site_count(cfg); i++) {
		const struct config *site = config_site_settings(cfg, i);
		if (site != NULL && strcmp(site->root, cfg->root) != 0)
			errors += check_root(site, inside_chroot, err);
	}
	return errors;
}

int config_check_site(const struct config *cfg, bool inside_chroot, FILE *err)
{
	int errors =
	    check_root(cfg, inside_chroot, err) + check_site_roots(cfg, inside_chroot, err);
	if (config_is_set(cfg, "mime_types") && access(cfg->mime_types, R_OK) < 0)
		errors += check_fail(cfg, err, "mime_types", "mime_types '%s': %s", cfg->mime_types,
		                     strerror(errno));
	return errors;
}

int config_check(const struct config *cfg, FILE *err)
{
	int errors = config_check_site(cfg, false, err) + check_identity(cfg, err);
	errors += check_log_path(cfg, err, "access_log", cfg->access_log);
	errors += check_log_path(cfg, err, "error_log", cfg->error_log);
	if (cfg->pidfile != NULL)
		errors += check_log_path(cfg, err, "pidfile", cfg->pidfile);
	if (cfg->unix_socket_group != NULL && getgrnam(cfg->unix_socket_group) == NULL)
		errors += check_fail(cfg, err, "unix_socket_group", "group '%s': no such group",
		                     cfg->unix_socket_group);
	return errors;
}

void config_describe_sites(const struct config *cfg, FILE *out)
{
	if (config_site_count(cfg) == 0)
		return;
	fprintf(out, "default site: root %s\n", cfg->root);
	for (size_t i = 0; i < config_site_count(cfg); i++) {
		const struct config_site *site = config_site(cfg, i);
		fprintf(out, "site");
		for (size_t j = 0; j < site->name_count; j++)
			fprintf(out, " %s", site->names[j]);
		fprintf(out, " (%s:%d): root %s\n", cfg->file, site->line,
		        site->cfg != NULL ? site->cfg->root : cfg->root);
	}
}
