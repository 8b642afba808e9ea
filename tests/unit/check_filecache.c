#include "autoconfig.h"

#include "filecache.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/var/tmp/check_filecache.XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/var/tmp/check_filecache.XXXXXX");
}

/* Write text to name in the test directory; returns an open descriptor and its stat. */
static int make_file(const char *name, const char *text, struct stat *st)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fstat(fd, st), 0);
	return fd;
}

START_TEST(test_put_then_get_within_the_second)
{
	struct filecache *fc = filecache_new(1 << 20, 1 << 16);
	struct stat st;
	int fd = make_file("a.txt", "hello", &st);
	const struct cached_file *put = filecache_put(fc, "a.txt", 5, "a.txt", fd, &st, 100);
	ck_assert_ptr_nonnull(put);
	ck_assert_uint_eq(put->len, 5);
	ck_assert_mem_eq(put->bytes, "hello", 5);
	const struct cached_file *got = filecache_get(fc, "a.txt", 5, 100);
	ck_assert_ptr_eq(got, put);
	/* A second later it must be checked again. */
	ck_assert_ptr_null(filecache_get(fc, "a.txt", 5, 101));
	ck_assert_ptr_null(filecache_get(fc, "b.txt", 5, 100));
	filecache_release(got);
	filecache_release(put);
	filecache_free(fc);
	close(fd);
}
END_TEST

START_TEST(test_same_file_is_not_read_again_changed_file_is)
{
	struct filecache *fc = filecache_new(1 << 20, 1 << 16);
	struct stat st;
	int fd = make_file("a.txt", "one", &st);
	const struct cached_file *first = filecache_put(fc, "k", 1, "a.txt", fd, &st, 100);
	/* Same identity: the same entry, only revalidated. */
	const struct cached_file *again = filecache_put(fc, "k", 1, "a.txt", fd, &st, 101);
	ck_assert_ptr_eq(again, first);
	ck_assert_ptr_eq(filecache_get(fc, "k", 1, 101), first);
	filecache_release(first);
	/* Changed: new bytes; the old entry stays valid for its holders. */
	struct stat st2;
	close(fd);
	fd = make_file("a.txt", "two!", &st2);
	st2.st_mtim.tv_nsec = st.st_mtim.tv_nsec + 1; /* make sure it differs */
	const struct cached_file *changed = filecache_put(fc, "k", 1, "a.txt", fd, &st2, 102);
	ck_assert_ptr_nonnull(changed);
	ck_assert_ptr_ne(changed, first);
	ck_assert_mem_eq(changed->bytes, "two!", 4);
	ck_assert_mem_eq(first->bytes, "one", 3); /* still held by a response */
	filecache_release(first);
	filecache_release(again);
	filecache_release(changed);
	filecache_free(fc);
	close(fd);
}
END_TEST

START_TEST(test_limits_and_eviction)
{
	struct filecache *fc = filecache_new(10, 8);
	struct stat st;
	int big = make_file("big", "123456789", &st);
	ck_assert_ptr_null(filecache_put(fc, "big", 3, "big", big, &st, 1)); /* over max_file */
	struct stat sa, sb;
	int a = make_file("a", "aaaaaa", &sa);
	int b = make_file("b", "bbbbbb", &sb);
	const struct cached_file *ea = filecache_put(fc, "a", 1, "a", a, &sa, 1);
	filecache_release(ea);
	const struct cached_file *eb = filecache_put(fc, "b", 1, "b", b, &sb, 1);
	filecache_release(eb);
	/* 6 + 6 > 10: the least recently used (a) went. */
	ck_assert_ptr_null(filecache_get(fc, "a", 1, 1));
	const struct cached_file *still = filecache_get(fc, "b", 1, 1);
	ck_assert_ptr_nonnull(still);
	filecache_release(still);
	filecache_free(fc);
	close(big);
	close(a);
	close(b);
}
END_TEST

START_TEST(test_shrunk_file_is_not_kept)
{
	struct filecache *fc = filecache_new(1 << 20, 1 << 16);
	struct stat st;
	int fd = make_file("a.txt", "hello", &st);
	ck_assert_int_eq(ftruncate(fd, 2), 0); /* st still says 5 */
	ck_assert_ptr_null(filecache_put(fc, "a.txt", 5, "a.txt", fd, &st, 1));
	filecache_free(fc);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("filecache");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_put_then_get_within_the_second);
	tcase_add_test(tc, test_same_file_is_not_read_again_changed_file_is);
	tcase_add_test(tc, test_limits_and_eviction);
	tcase_add_test(tc, test_shrunk_file_is_not_kept);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
