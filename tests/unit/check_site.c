/* Unit tests for site: the site table built from a configuration with site
 * blocks (each site its own root, settings and file cache; all or none when
 * a root cannot be opened) and the choice of a site for a host. */
#include "autoconfig.h"

#include "config.h"
#include "site.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[] = "/tmp/check_site.XXXXXX";
static char conf[300];

static void make_dir(const char *name)
{
	char path[400];
	snprintf(path, sizeof path, "%s/%s", base, name);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

/* The settings of "-c FILE" with text as the file's content. */
static void load(struct config *cfg, const char *text)
{
	FILE *f = fopen(conf, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	char *argv[] = {"switchboard", "-c", conf, NULL};
	char *out = NULL, *err = NULL;
	size_t out_len = 0, err_len = 0;
	FILE *o = open_memstream(&out, &out_len), *e = open_memstream(&err, &err_len);
	ck_assert_ptr_nonnull(o);
	ck_assert_ptr_nonnull(e);
	enum config_result r = config_load(cfg, 3, argv, o, e);
	ck_assert_int_eq(fclose(o), 0);
	ck_assert_int_eq(fclose(e), 0);
	ck_assert_msg(r == CONFIG_OK, "config_load: %s", err);
	free(out);
	free(err);
}

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(base));
	make_dir("default");
	make_dir("a");
	make_dir("b");
	snprintf(conf, sizeof conf, "%s/switchboard.conf", base);
}

static void teardown(void)
{
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(base, "/tmp/check_site.XXXXXX");
}

static const char *sites_text(char *buf, size_t size, const char *b_root)
{
	snprintf(buf, size,
	         "root %s/default\n"
	         "listing on\n"
	         "site a.test www.a.test {\n  root %s/a\n  file_cache 0\n}\n"
	         "site *.b.test {\n  root %s\n  listing off\n}\n",
	         base, base, b_root);
	return buf;
}

/* The real path of a directory of base, as the site holds its root. */
static void real_dir(const char *name, char *out, size_t size)
{
	char path[400];
	snprintf(path, sizeof path, "%s/%s", base, name);
	char *real = realpath(path, NULL);
	ck_assert_ptr_nonnull(real);
	snprintf(out, size, "%s", real);
	free(real);
}

START_TEST(test_sites_built_from_the_blocks)
{
	char text[2048], b_root[400], want[400];
	snprintf(b_root, sizeof b_root, "%s/b", base);
	struct config cfg;
	load(&cfg, sites_text(text, sizeof text, b_root));
	struct site_table t;
	char err[512] = "";
	ck_assert_msg(site_table_open(&t, &cfg, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(t.count, 3);
	ck_assert(!site_table_single(&t));
	ck_assert_str_eq(t.sites[0].name, "default");
	ck_assert_str_eq(t.sites[1].name, "a.test");
	ck_assert_str_eq(t.sites[2].name, "*.b.test");

	const char *const dirs[] = {"default", "a", "b"};
	for (size_t i = 0; i < 3; i++) {
		real_dir(dirs[i], want, sizeof want);
		ck_assert_str_eq(t.sites[i].files.root_real, want);
		ck_assert_ptr_eq(t.sites[i].files.mime, t.mime);
	}
	/* Inherited, given by the block, and a cache of each site's own. */
	ck_assert(t.sites[0].files.listing);
	ck_assert(t.sites[1].files.listing);
	ck_assert(!t.sites[2].files.listing);
	ck_assert_ptr_nonnull(t.sites[0].files.cache);
	ck_assert_ptr_null(t.sites[1].files.cache);
	ck_assert_ptr_nonnull(t.sites[2].files.cache);
	ck_assert_ptr_ne(t.sites[0].files.cache, t.sites[2].files.cache);

	const struct {
		const char *host;
		size_t site;
	} picks[] = {
	    {"a.test", 1}, {"WWW.A.TEST:80", 1}, {"x.b.test", 2}, {"x.y.b.test", 2}, {"b.test", 0},
	    {"", 0},       {"a.test/..", 0},     {"[::1]", 0},
	};
	for (size_t i = 0; i < sizeof picks / sizeof picks[0]; i++)
		ck_assert_msg(site_table_pick(&t, picks[i].host, strlen(picks[i].host)) ==
		                  &t.sites[picks[i].site],
		              "%s", picks[i].host);
	site_table_close(&t);
	ck_assert_uint_eq(t.count, 0);
	config_free(&cfg);
}
END_TEST

/* One root that cannot be opened: no site at all, and the error names it. */
START_TEST(test_all_or_none)
{
	char text[2048], b_root[400], want[600];
	snprintf(b_root, sizeof b_root, "%s/missing", base);
	struct config cfg;
	load(&cfg, sites_text(text, sizeof text, b_root));
	struct site_table t;
	char err[512] = "";
	ck_assert_int_eq(site_table_open(&t, &cfg, err, sizeof err), -1);
	snprintf(want, sizeof want, "site *.b.test: %s: No such file or directory", b_root);
	ck_assert_str_eq(err, want);
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(t.sites);
	ck_assert_ptr_null(t.mime);
	config_free(&cfg);
}
END_TEST

/* Without blocks: one site, and any host is it. */
START_TEST(test_single_site)
{
	char text[512];
	snprintf(text, sizeof text, "root %s/default\n", base);
	struct config cfg;
	load(&cfg, text);
	struct site_table t;
	char err[512] = "";
	ck_assert_msg(site_table_open(&t, &cfg, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(t.count, 1);
	ck_assert(site_table_single(&t));
	ck_assert_ptr_eq(site_table_pick(&t, "a.test", 6), &t.sites[0]);
	site_table_close(&t);
	config_free(&cfg);
}
END_TEST

static Suite *site_suite(void)
{
	Suite *s = suite_create("site");
	TCase *tc = tcase_create("table");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sites_built_from_the_blocks);
	tcase_add_test(tc, test_all_or_none);
	tcase_add_test(tc, test_single_site);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(site_suite());
}
