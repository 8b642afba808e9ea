/* Unit tests for credentials: strict base64 (canonical only) and the
 * Authorization field of Basic authentication, its limits included. */
#include "autoconfig.h"

#include "credentials.h"

#include "check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ base64 */

struct b64_case {
	const char *in;
	const char *out; /* NULL: refused */
};

static const struct b64_case b64_cases[] = {
    {"YWxpY2U6c2VjcmV0", "alice:secret"},
    {"YTpi", "a:b"},
    {"YTo=", "a:"},
    {"Og==", ":"},
    {"", NULL},
    {"YTo", NULL},      /* not a multiple of 4 */
    {"YTo=YTo=", NULL}, /* padding inside */
    {"Y===", NULL},     /* too much padding */
    {"====", NULL},
    {"YTp=", NULL}, /* unused bits set: not canonical */
    {"Ow==", ";"},
    {"Ox==", NULL},  /* unused bits set */
    {"YT o=", NULL}, /* whitespace */
    {"YTo-", NULL},  /* URL-safe alphabet */
    {"YWxp\nY2U6", NULL},
};

START_TEST(test_base64)
{
	const struct b64_case *c = &b64_cases[_i];
	unsigned char out[64];
	long n = credentials_base64_decode(c->in, strlen(c->in), out, sizeof out);
	if (c->out == NULL) {
		ck_assert_msg(n == -1, "'%s' decoded", c->in);
		return;
	}
	ck_assert_msg(n == (long)strlen(c->out), "'%s': %ld", c->in, n);
	ck_assert(memcmp(out, c->out, (size_t)n) == 0);
}
END_TEST

START_TEST(test_base64_too_long_for_out)
{
	unsigned char out[2];
	ck_assert_int_eq(credentials_base64_decode("YWxp", 4, out, sizeof out), -1);
}
END_TEST

/* ------------------------------------------------------------ the field */

struct field_case {
	const char *value;
	enum credentials_parse result;
	const char *user, *password;
};

static const struct field_case field_cases[] = {
    {"Basic YWxpY2U6c2VjcmV0", CREDENTIALS_OK, "alice", "secret"},
    {"basic YWxpY2U6c2VjcmV0", CREDENTIALS_OK, "alice", "secret"},
    {"BASIC   YWxpY2U6c2VjcmV0  ", CREDENTIALS_OK, "alice", "secret"},
    /* The user ends at the first colon: the password may hold colons. */
    {"Basic YTpiOmM=", CREDENTIALS_OK, "a", "b:c"},
    {"Basic OnB3", CREDENTIALS_OK, "", "pw"},
    {"", CREDENTIALS_OTHER_SCHEME, NULL, NULL},
    {"Bearer abc", CREDENTIALS_OTHER_SCHEME, NULL, NULL},
    {"Basicx YWxpY2U6c2VjcmV0", CREDENTIALS_OTHER_SCHEME, NULL, NULL},
    {"Basic", CREDENTIALS_MALFORMED, NULL, NULL},
    {"BasicYWxpY2U6c2VjcmV0", CREDENTIALS_OTHER_SCHEME, NULL, NULL},
    {"Basic YWxpY2U=", CREDENTIALS_MALFORMED, NULL, NULL},          /* "alice": no colon */
    {"Basic YWxpY2U6c2VjcmV0!", CREDENTIALS_MALFORMED, NULL, NULL}, /* not base64 */
    {"Basic YQA6Yg==", CREDENTIALS_MALFORMED, NULL, NULL},          /* "a\0:b" */
    {"Basic YTpiAA==", CREDENTIALS_MALFORMED, NULL, NULL},          /* "a:b\0" */
    {"Basic YWxpY2U6c2VjcmV0 x", CREDENTIALS_MALFORMED, NULL, NULL},
};

START_TEST(test_field)
{
	const struct field_case *c = &field_cases[_i];
	struct credentials cred;
	enum credentials_parse r = credentials_parse_basic(c->value, strlen(c->value), &cred);
	ck_assert_msg(r == c->result, "'%s': %d", c->value, (int)r);
	if (r != CREDENTIALS_OK)
		return;
	ck_assert_uint_eq(cred.user_len, strlen(c->user));
	ck_assert(memcmp(cred.user, c->user, cred.user_len) == 0);
	ck_assert_str_eq(cred.password, c->password);
}
END_TEST

/* "Basic " and base64 of "user:password" for a password of len bytes. */
static char *basic_field(const char *user, size_t password_len)
{
	size_t raw_len = strlen(user) + 1 + password_len;
	unsigned char *raw = malloc(raw_len);
	memcpy(raw, user, strlen(user));
	raw[strlen(user)] = ':';
	memset(raw + strlen(user) + 1, 'p', password_len);
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(6 + (raw_len + 2) / 3 * 4 + 1);
	strcpy(out, "Basic ");
	char *w = out + 6;
	for (size_t i = 0; i < raw_len; i += 3) {
		unsigned v = (unsigned)raw[i] << 16;
		if (i + 1 < raw_len)
			v |= (unsigned)raw[i + 1] << 8;
		if (i + 2 < raw_len)
			v |= raw[i + 2];
		*w++ = alphabet[v >> 18 & 63];
		*w++ = alphabet[v >> 12 & 63];
		*w++ = i + 1 < raw_len ? alphabet[v >> 6 & 63] : '=';
		*w++ = i + 2 < raw_len ? alphabet[v & 63] : '=';
	}
	*w = '\0';
	free(raw);
	return out;
}

START_TEST(test_field_limits)
{
	struct credentials cred;
	char *at_limit = basic_field("u", CREDENTIALS_PASSWORD_MAX);
	ck_assert_int_eq(credentials_parse_basic(at_limit, strlen(at_limit), &cred),
	                 CREDENTIALS_OK);
	ck_assert_uint_eq(cred.password_len, CREDENTIALS_PASSWORD_MAX);
	char *over = basic_field("u", CREDENTIALS_PASSWORD_MAX + 1);
	ck_assert_int_eq(credentials_parse_basic(over, strlen(over), &cred), CREDENTIALS_MALFORMED);
	char long_user[HTPASSWD_USER_MAX + 2];
	memset(long_user, 'u', sizeof long_user - 1);
	long_user[sizeof long_user - 1] = '\0';
	char *user_over = basic_field(long_user, 1);
	ck_assert_int_eq(credentials_parse_basic(user_over, strlen(user_over), &cred),
	                 CREDENTIALS_MALFORMED);
	long_user[HTPASSWD_USER_MAX] = '\0';
	char *user_at_limit = basic_field(long_user, 1);
	ck_assert_int_eq(credentials_parse_basic(user_at_limit, strlen(user_at_limit), &cred),
	                 CREDENTIALS_OK);
	/* Far too long: refused before decoding. */
	char *huge = basic_field("u", 4000);
	ck_assert_int_eq(credentials_parse_basic(huge, strlen(huge), &cred), CREDENTIALS_MALFORMED);
	free(at_limit);
	free(over);
	free(user_over);
	free(user_at_limit);
	free(huge);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("credentials");
	TCase *tc = tcase_create("credentials");
	tcase_add_loop_test(tc, test_base64, 0, (int)ARRAY_LEN(b64_cases));
	tcase_add_test(tc, test_base64_too_long_for_out);
	tcase_add_loop_test(tc, test_field, 0, (int)ARRAY_LEN(field_cases));
	tcase_add_test(tc, test_field_limits);
	suite_add_tcase(s, tc);
	return check_run(s);
}
