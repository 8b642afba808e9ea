/* Unit tests for accesslog's lines: the Combined Log Format with the user
 * (%u) a request named, escaped so that no byte of it can end the field. */
#include "autoconfig.h"

#include "accesslog.h"

#include "check_run.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* The line for a GET / from 192.0.2.1 at the epoch, with the user given. */
static void render_with_user(const char *user, size_t user_len, char *out, size_t size)
{
	struct sockaddr_storage peer;
	memset(&peer, 0, sizeof peer);
	struct sockaddr_in *in = (struct sockaddr_in *)&peer;
	in->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &in->sin_addr);
	struct accesslog_fields f = {
	    .peer = &peer,
	    .when = 0,
	    .request_line = "GET / HTTP/1.1",
	    .request_line_len = 14,
	    .status = 401,
	    .user = user,
	    .user_len = user_len,
	};
	struct buf line = BUF_INIT, whole = BUF_INIT;
	size_t split = 0;
	ck_assert_int_eq(accesslog_begin(&line, &f, &split), 0);
	ck_assert_int_eq(accesslog_render(&whole, &line, split, 12), 0);
	ck_assert_uint_lt(buf_len(&whole), size);
	memcpy(out, buf_head(&whole), buf_len(&whole));
	out[buf_len(&whole)] = '\0';
	buf_free(&line);
	buf_free(&whole);
}

START_TEST(test_no_user_is_a_dash)
{
	char text[512];
	render_with_user(NULL, 0, text, sizeof text);
	ck_assert_str_eq(
	    text, "192.0.2.1 - - [01/Jan/1970:00:00:00 +0000] \"GET / HTTP/1.1\" 401 12 \"-\" "
	          "\"-\"\n");
}
END_TEST

START_TEST(test_user_written)
{
	char text[512];
	render_with_user("alice", 5, text, sizeof text);
	ck_assert_str_eq(text, "192.0.2.1 - alice [01/Jan/1970:00:00:00 +0000] \"GET / HTTP/1.1\" "
	                       "401 12 \"-\" \"-\"\n");
}
END_TEST

START_TEST(test_user_escaped_space_included)
{
	char text[512];
	const char user[] = "a b\"c\\d\n\x01\xff";
	render_with_user(user, sizeof user - 1, text, sizeof text);
	ck_assert_str_eq(text, "192.0.2.1 - a\\x20b\\\"c\\\\d\\x0a\\x01\\xff [01/Jan/1970:00:00:00 "
	                       "+0000] \"GET / HTTP/1.1\" 401 12 \"-\" \"-\"\n");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("accesslog");
	TCase *tc = tcase_create("lines");
	tcase_add_test(tc, test_no_user_is_a_dash);
	tcase_add_test(tc, test_user_written);
	tcase_add_test(tc, test_user_escaped_space_included);
	suite_add_tcase(s, tc);
	return check_run(s);
}
