#include "autoconfig.h"

#include "filecache.h"

#include "hash.h"

#include "check_run.h"

#include <check.h>
#include <errno.h>
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

/* A moment well after the file's last change: its bytes may be kept. */
static time_t settled(const struct stat *st)
{
	return st->st_ctim.tv_sec + 10;
}

START_TEST(test_put_then_get_within_the_second)
{
	struct filecache *fc = filecache_new(1 << 20, 1 << 16);
	struct stat st;
	int fd = make_file("a.txt", "hello", &st);
	time_t now = settled(&st);
	const struct cached_file *put = filecache_put(fc, "a.txt", 5, "a.txt", fd, &st, now);
	ck_assert_ptr_nonnull(put);
	ck_assert_uint_eq(put->len, 5);
	ck_assert_mem_eq(put->bytes, "hello", 5);
	const struct cached_file *got = filecache_get(fc, "a.txt", 5, now);
	ck_assert_ptr_eq(got, put);
	/* A second later it must be checked again. */
	ck_assert_ptr_null(filecache_get(fc, "a.txt", 5, now + 1));
	ck_assert_ptr_null(filecache_get(fc, "b.txt", 5, now));
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
	time_t now = settled(&st);
	const struct cached_file *first = filecache_put(fc, "k", 1, "a.txt", fd, &st, now);
	/* Same identity: the same entry, only revalidated. */
	const struct cached_file *again = filecache_put(fc, "k", 1, "a.txt", fd, &st, now + 1);
	ck_assert_ptr_eq(again, first);
	ck_assert_ptr_eq(filecache_get(fc, "k", 1, now + 1), first);
	filecache_release(first);
	/* Changed: new bytes; the old entry stays valid for its holders. */
	struct stat st2;
	close(fd);
	fd = make_file("a.txt", "two!", &st2);
	const struct timespec times[2] = {{0, UTIME_OMIT}, {st.st_mtim.tv_sec - 5, 0}};
	ck_assert_int_eq(futimens(fd, times), 0); /* make sure it differs */
	ck_assert_int_eq(fstat(fd, &st2), 0);
	const struct cached_file *changed =
	    filecache_put(fc, "k", 1, "a.txt", fd, &st2, settled(&st2));
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

/* A head kept with an entry lives as long as that version of the file: the
 * same file revalidated keeps it, a changed file's new entry starts without
 * one, and a read for one response only is not a kept entry. */
START_TEST(test_head_lives_with_its_entry)
{
	struct filecache *fc = filecache_new(1 << 20, 1 << 16);
	struct stat st;
	int fd = make_file("a.txt", "one", &st);
	time_t now = settled(&st);
	const struct cached_file *first = filecache_put(fc, "k", 1, "a.txt", fd, &st, now);
	ck_assert(filecache_is_kept(first));
	ck_assert_ptr_null(first->head);
	struct response_prepared *head = malloc(16); /* opaque to the cache */
	ck_assert_ptr_nonnull(head);
	filecache_keep_head(first, head);
	const struct cached_file *again = filecache_put(fc, "k", 1, "a.txt", fd, &st, now + 1);
	ck_assert_ptr_eq(again, first);
	ck_assert_ptr_eq(again->head, head);
	/* A reference of its own: the entry outlives the other holders. */
	const struct cached_file *held = filecache_hold(first);
	filecache_release(first);
	filecache_release(again);
	struct stat st2;
	close(fd);
	fd = make_file("a.txt", "two!", &st2);
	const struct cached_file *changed =
	    filecache_put(fc, "k", 1, "a.txt", fd, &st2, settled(&st2));
	ck_assert_ptr_ne(changed, first);
	ck_assert_ptr_null(changed->head);
	ck_assert_ptr_eq(held->head, head); /* still there for its holder */
	filecache_release(held);
	const struct cached_file *once = filecache_snapshot(fd, "a.txt", 1 << 16, now);
	ck_assert_ptr_nonnull(once);
	ck_assert(!filecache_is_kept(once));
	filecache_release(once);
	filecache_release(changed);
	filecache_free(fc);
	close(fd);
}
END_TEST

/* New bytes of the same size, the modification time put back (cp -p,
 * unzip -o): only the change time tells, and it is enough. */
START_TEST(test_preserved_mtime_copy_is_another_version)
{
	struct filecache *fc = filecache_new(1 << 20, 1 << 16);
	struct stat st, moved;
	int fd = make_file("a.txt", "one", &st);
	const struct cached_file *first = filecache_put(fc, "k", 1, "a.txt", fd, &st, settled(&st));
	const struct timespec times[2] = {st.st_atim, st.st_mtim};
	/* Until the clock has ticked: a change within the same tick keeps the
	 * change time (a file is never kept that young, see above). */
	for (int i = 0; i < 1000; i++) {
		ck_assert_int_eq(pwrite(fd, "two", 3, 0), 3);
		ck_assert_int_eq(futimens(fd, times), 0);
		ck_assert_int_eq(fstat(fd, &moved), 0);
		if (moved.st_ctim.tv_sec != st.st_ctim.tv_sec ||
		    moved.st_ctim.tv_nsec != st.st_ctim.tv_nsec)
			break;
		usleep(1000);
	}
	ck_assert(moved.st_mtim.tv_nsec == st.st_mtim.tv_nsec && moved.st_size == st.st_size);
	const struct cached_file *again =
	    filecache_put(fc, "k", 1, "a.txt", fd, &moved, settled(&moved));
	ck_assert_ptr_nonnull(again);
	ck_assert_ptr_ne(again, first);
	ck_assert_mem_eq(again->bytes, "two", 3);
	ck_assert_uint_ne(again->hash, first->hash);
	filecache_release(first);
	filecache_release(again);
	filecache_free(fc);
	close(fd);
}
END_TEST

START_TEST(test_limits_and_eviction)
{
	struct filecache *fc = filecache_new(10, 8);
	struct stat st;
	int big = make_file("big", "123456789", &st);
	time_t now = settled(&st);
	ck_assert_ptr_null(filecache_put(fc, "big", 3, "big", big, &st, now)); /* over max_file */
	struct stat sa, sb;
	int a = make_file("a", "aaaaaa", &sa);
	int b = make_file("b", "bbbbbb", &sb);
	const struct cached_file *ea = filecache_put(fc, "a", 1, "a", a, &sa, now);
	filecache_release(ea);
	const struct cached_file *eb = filecache_put(fc, "b", 1, "b", b, &sb, now);
	filecache_release(eb);
	/* 6 + 6 > 10: the least recently used (a) went. */
	ck_assert_ptr_null(filecache_get(fc, "a", 1, now));
	const struct cached_file *still = filecache_get(fc, "b", 1, now);
	ck_assert_ptr_nonnull(still);
	filecache_release(still);
	filecache_free(fc);
	close(big);
	close(a);
	close(b);
}
END_TEST

/* Shrunk since the caller's fstat: the entry holds the file as it is now. */
START_TEST(test_shrunk_file_is_kept_as_it_is)
{
	struct filecache *fc = filecache_new(1 << 20, 1 << 16);
	struct stat st;
	int fd = make_file("a.txt", "hello", &st);
	time_t now = settled(&st);
	ck_assert_int_eq(ftruncate(fd, 2), 0); /* st still says 5 */
	const struct cached_file *e = filecache_put(fc, "a.txt", 5, "a.txt", fd, &st, now);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->len, 2);
	ck_assert_int_eq(e->st.st_size, 2);
	ck_assert_mem_eq(e->bytes, "he", 2);
	filecache_release(e);
	filecache_free(fc);
	close(fd);
}
END_TEST

/* A file changed within the last second or two may still be being written:
 * served as read, not kept; an empty file is not kept either. */
START_TEST(test_recent_or_empty_file_is_not_kept)
{
	struct filecache *fc = filecache_new(1 << 20, 1 << 16);
	struct stat st;
	int fd = make_file("a.txt", "hello", &st);
	time_t now = st.st_ctim.tv_sec + 1;
	const struct cached_file *e = filecache_put(fc, "k", 1, "a.txt", fd, &st, now);
	ck_assert_ptr_nonnull(e);
	ck_assert_mem_eq(e->bytes, "hello", 5);
	ck_assert_ptr_null(filecache_get(fc, "k", 1, now));
	filecache_release(e);
	/* Old enough now. */
	e = filecache_put(fc, "k", 1, "a.txt", fd, &st, now + 1);
	ck_assert_ptr_eq(filecache_get(fc, "k", 1, now + 1), e);
	filecache_release(e);
	filecache_release(e);

	struct stat empty;
	int efd = make_file("empty", "", &empty);
	e = filecache_put(fc, "e", 1, "empty", efd, &empty, settled(&empty));
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->len, 0);
	ck_assert_ptr_null(filecache_get(fc, "e", 1, settled(&empty)));
	filecache_release(e);
	filecache_free(fc);
	close(fd);
	close(efd);
}
END_TEST

/* Bytes that changed with no time stamp moving (a write through a mapping
 * already dirty) are found when the entry's trust runs out. */
START_TEST(test_bytes_are_read_again_after_the_trust_bound)
{
	struct filecache *fc = filecache_new(1 << 20, 1 << 16);
	struct stat st;
	int fd = make_file("a.txt", "old!", &st);
	time_t now = settled(&st);
	const struct cached_file *first = filecache_put(fc, "k", 1, "a.txt", fd, &st, now);
	filecache_release(first);
	/* Same bytes, trust ran out: read again, the same entry kept. */
	const struct cached_file *same =
	    filecache_put(fc, "k", 1, "a.txt", fd, &st, now + FILECACHE_TRUST_SECONDS);
	ck_assert_ptr_eq(same, first);
	filecache_release(same);
	/* New bytes, and the caller's stat (the metadata) says nothing moved. */
	ck_assert_int_eq(pwrite(fd, "new!", 4, 0), 4);
	struct stat now_st;
	ck_assert_int_eq(fstat(fd, &now_st), 0);
	now = settled(&now_st) > now + FILECACHE_TRUST_SECONDS ? settled(&now_st)
	                                                       : now + FILECACHE_TRUST_SECONDS;
	const struct cached_file *trusted = filecache_put(fc, "k", 1, "a.txt", fd, &st, now + 1);
	ck_assert_mem_eq(trusted->bytes, "old!", 4); /* within the bound: not read */
	filecache_release(trusted);
	const struct cached_file *fresh =
	    filecache_put(fc, "k", 1, "a.txt", fd, &st, now + 1 + FILECACHE_TRUST_SECONDS);
	ck_assert_mem_eq(fresh->bytes, "new!", 4);
	filecache_release(fresh);
	filecache_free(fc);
	close(fd);
}
END_TEST

/* The hash is FNV-1a 64 of the bytes kept (vectors of the FNV reference). */
START_TEST(test_hash_of_the_bytes)
{
	ck_assert_uint_eq(hash_fnv1a64(HASH_FNV1A64_INIT, "", 0), 0xcbf29ce484222325u);
	ck_assert_uint_eq(hash_fnv1a64(HASH_FNV1A64_INIT, "a", 1), 0xaf63dc4c8601ec8cu);
	ck_assert_uint_eq(hash_fnv1a64(HASH_FNV1A64_INIT, "foobar", 6), 0x85944171f73967e8u);
	struct filecache *fc = filecache_new(1 << 20, 1 << 16);
	struct stat st;
	int fd = make_file("a.txt", "foobar", &st);
	const struct cached_file *e = filecache_put(fc, "k", 1, "a.txt", fd, &st, settled(&st));
	ck_assert_uint_eq(e->hash, 0x85944171f73967e8u);
	const struct cached_file *snap = filecache_snapshot(fd, "a.txt", 1 << 16, settled(&st));
	ck_assert_uint_eq(snap->hash, e->hash);
	ck_assert_mem_eq(snap->bytes, "foobar", 6);
	filecache_release(snap);
	filecache_release(e);
	/* A snapshot is never larger than asked. */
	ck_assert_ptr_null(filecache_snapshot(fd, "a.txt", 5, settled(&st)));
	ck_assert_int_eq(errno, EFBIG);
	filecache_free(fc);
	close(fd);
}
END_TEST

/* The root moved to another release: nothing kept is found again, what is
 * in flight stays valid. */
START_TEST(test_flush)
{
	struct filecache *fc = filecache_new(1 << 20, 1 << 16);
	struct stat st;
	int fd = make_file("a.txt", "hello", &st);
	time_t now = settled(&st);
	const struct cached_file *held = filecache_put(fc, "k", 1, "a.txt", fd, &st, now);
	filecache_flush(fc);
	ck_assert_ptr_null(filecache_get(fc, "k", 1, now));
	ck_assert_mem_eq(held->bytes, "hello", 5);
	filecache_release(held);
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
	tcase_add_test(tc, test_head_lives_with_its_entry);
	tcase_add_test(tc, test_preserved_mtime_copy_is_another_version);
	tcase_add_test(tc, test_limits_and_eviction);
	tcase_add_test(tc, test_shrunk_file_is_kept_as_it_is);
	tcase_add_test(tc, test_recent_or_empty_file_is_not_kept);
	tcase_add_test(tc, test_bytes_are_read_again_after_the_trust_bound);
	tcase_add_test(tc, test_hash_of_the_bytes);
	tcase_add_test(tc, test_flush);
	suite_add_tcase(s, tc);
	return check_run(s);
}
