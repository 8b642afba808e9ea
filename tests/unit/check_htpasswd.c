/* Unit tests for htpasswd: the strong hashes taken, every weak kind refused
 * with its line, and the file's small syntax (comments, CRLF, duplicates). */
#include "autoconfig.h"

#include "htpasswd.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Hashes of "secret", made with libxcrypt (crypt_gensalt) and htpasswd -B. */
#define BCRYPT_2B "$2b$04$W73itq7llVcfKoPX0RNfoO8hsAnx8jamatX4zUC5BJ3iMrni8sSIG"
#define BCRYPT_2Y "$2y$05$sdfc9YIoDIKjQD4heSr4kOnWGGiMEFrYFXlVFa8Fjr40s3WmF/nLe"
#define YESCRYPT "$y$j9T$Rs93k1cfZygwylO1JrRo./$nYaY3nk/7c/Am9Yx0tWEb9nTNzggDSLe4p.NFktKYvC"
#define SHA512_ROUNDS                                                                              \
	"$6$rounds=1000$3X2SApfC7qWZfxcU$xAfm3BxpgSCcqXmimFjPlDh/"                                 \
	"Gd7QGKMioh7Guq4DuUfwlC71ADxsrrLCijp"                                                      \
	"JA9CNjiLW0hJsGadg7h0xSxppp0"
#define SHA512                                                                                     \
	"$6$nz00cnaABZhkHVsM$HFOe0uDl319hoJVfnEr2JWJwrocinDaN6legp5OH6ihqSY4/gQQz88dePDYYxHwJFbOt" \
	"W74iSakvwR6IN4aBn0"

static const char *const strong[] = {BCRYPT_2B, BCRYPT_2Y, YESCRYPT, SHA512_ROUNDS, SHA512};

START_TEST(test_strong_hash_taken)
{
	char text[256], err[256];
	snprintf(text, sizeof text, "alice:%s\n", strong[_i]);
	struct htpasswd h;
	ck_assert_msg(htpasswd_parse(text, strlen(text), &h, err, sizeof err) == 0, "%s: %s",
	              strong[_i], err);
	ck_assert_uint_eq(h.count, 1);
	ck_assert_str_eq(h.entries[0].user, "alice");
	ck_assert_str_eq(h.entries[0].hash, strong[_i]);
	htpasswd_free(&h);
}
END_TEST

struct refusal {
	const char *hash;
	const char *why; /* a part of the message */
};

static const struct refusal refusals[] = {
    {"$apr1$eD45PqbO$FjXKpOTtbs2NsTF8vG.km1", "MD5"},
    {"$1$abcdefgh$0123456789abcdefghijkl", "MD5"},
    {"{SHA}EfatjsUqKYSrqv18O1FlA3hcIHI=", "SHA1"},
    {"oSr.FUzo.4esk", "DES"},
    {"secret", "plaintext"},
    {"$5$saltsalt$0123456789012345678901234567890123456789012", "unknown hash scheme"},
    {"$2a$04$W73itq7llVcfKoPX0RNfoO8hsAnx8jamatX4zUC5BJ3iMrni8sSIG", "unknown hash scheme"},
    /* The strong kinds, cut short or broken. */
    {"$2b$04$W73itq7llVcfKoPX0RNfoO8hsAnx8jamatX4zUC5BJ3iMrni8sSI", "malformed bcrypt"},
    {"$2y$xx$W73itq7llVcfKoPX0RNfoO8hsAnx8jamatX4zUC5BJ3iMrni8sSIG", "malformed bcrypt"},
    {"$y$j9T$Rs93k1cfZygwylO1JrRo./$nYaY3nk", "malformed yescrypt"},
    {"$y$j9T$nYaY3nk/7c/Am9Yx0tWEb9nTNzggDSLe4p.NFktKYvC", "malformed yescrypt"},
    {"$6$nz00cnaABZhkHVsM$HFOe0uDl", "malformed sha512"},
    {"$6$rounds=$nz00cnaABZhkHVsM$HFOe0uDl", "malformed sha512"},
};

START_TEST(test_weak_hash_refused_with_line)
{
	char text[512], err[512];
	/* Line 3: a comment and a good user come first. */
	snprintf(text, sizeof text, "# users\nalice:%s\nbob:%s\n", BCRYPT_2Y, refusals[_i].hash);
	struct htpasswd h;
	ck_assert_int_eq(htpasswd_parse(text, strlen(text), &h, err, sizeof err), -1);
	ck_assert_msg(strncmp(err, "3: user 'bob': ", 15) == 0, "%s", err);
	ck_assert_msg(strstr(err, refusals[_i].why) != NULL, "%s: %s", refusals[_i].hash, err);
	ck_assert_ptr_null(h.entries);
	ck_assert_uint_eq(h.count, 0);
}
END_TEST

struct bad_file {
	const char *text;
	const char *err; /* the message's start */
};

static const struct bad_file bad_files[] = {
    {"", "0: no users"},
    {"# nobody\n\n", "2: no users"},
    {"alice\n", "1: not \"user:hash\""},
    {":" BCRYPT_2Y "\n", "1: empty user name"},
    {"alice:\n", "1: user 'alice': missing or malformed hash"},
    {"alice:" BCRYPT_2Y "\nalice:" YESCRYPT "\n", "2: user 'alice' appears twice"},
    {"al\tice:" BCRYPT_2Y "\n", "1: user name too long"},
};

START_TEST(test_bad_file)
{
	const struct bad_file *c = &bad_files[_i];
	char err[512];
	struct htpasswd h;
	ck_assert_int_eq(htpasswd_parse(c->text, strlen(c->text), &h, err, sizeof err), -1);
	ck_assert_msg(strncmp(err, c->err, strlen(c->err)) == 0, "'%s': %s", c->text, err);
}
END_TEST

START_TEST(test_crlf_comments_and_find)
{
	const char *text = "# the team\r\n\r\nalice:" BCRYPT_2Y "\r\nbob:" YESCRYPT;
	char err[256];
	struct htpasswd h;
	ck_assert_msg(htpasswd_parse(text, strlen(text), &h, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(h.count, 2);
	ck_assert_str_eq(htpasswd_find(&h, "alice", 5)->hash, BCRYPT_2Y);
	ck_assert_str_eq(htpasswd_find(&h, "bob", 3)->hash, YESCRYPT);
	ck_assert_ptr_null(htpasswd_find(&h, "ali", 3));
	ck_assert_ptr_null(htpasswd_find(&h, "alice2", 6));
	htpasswd_free(&h);
	ck_assert_uint_eq(h.count, 0);
}
END_TEST

START_TEST(test_nul_byte_refused)
{
	const char text[] = "alice:" BCRYPT_2Y "\nb\0b:" BCRYPT_2Y "\n";
	char err[256];
	struct htpasswd h;
	ck_assert_int_eq(htpasswd_parse(text, sizeof text - 1, &h, err, sizeof err), -1);
	ck_assert_str_eq(err, "2: NUL byte in the line");
}
END_TEST

static Suite *htpasswd_suite(void)
{
	Suite *s = suite_create("htpasswd");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_strong_hash_taken, 0, (int)ARRAY_LEN(strong));
	tcase_add_loop_test(tc, test_weak_hash_refused_with_line, 0, (int)ARRAY_LEN(refusals));
	tcase_add_loop_test(tc, test_bad_file, 0, (int)ARRAY_LEN(bad_files));
	tcase_add_test(tc, test_crlf_comments_and_find);
	tcase_add_test(tc, test_nul_byte_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(htpasswd_suite());
}
