/* Unit tests for auth: the choice of the rule by prefix, the cache (keyed, expiring, emptied), the
 * decision with real crypt(3) hashes, the budget of verifications per turn, and user files with
 * weak hashes refused with their file and line. */
#include "autoconfig.h"

#include "auth.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* "secret", bcrypt at cost 4 (fast enough to verify many times here). */
#define ALICE_HASH "$2b$04$W73itq7llVcfKoPX0RNfoO8hsAnx8jamatX4zUC5BJ3iMrni8sSIG"
/* "secret" too, sha512-crypt with 1000 rounds. */
#define BOB_HASH                                                                                   \
	"$6$rounds=1000$3X2SApfC7qWZfxcU$xAfm3BxpgSCcqXmimFjPlDh/"                                 \
	"Gd7QGKMioh7Guq4DuUfwlC71ADxsrrLCijp"                                                      \
	"JA9CNjiLW0hJsGadg7h0xSxppp0"

/* ------------------------------------------------------------ rules */

static char *user_file(const char *text)
{
	char *path = strdup("/tmp/check_auth_XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

static const char users_text[] = "alice:" ALICE_HASH "\nbob:" BOB_HASH "\n";

static struct auth_rule make_rule(const char *prefix, const char *realm)
{
	char *path = user_file(users_text);
	struct auth_rule r;
	char err[512];
	ck_assert_msg(auth_rule_parse(prefix, realm, path, &r, err, sizeof err) == 0, "%s", err);
	unlink(path);
	free(path);
	return r;
}

struct prefix_case {
	const char *path; /* normalised: no leading '/' */
	int rule;         /* index in the rules below; -1: none */
};

static const struct prefix_case prefix_cases[] = {
    {"private", 0},
    {"private/a.html", 0},
    {"privateer", -1},
    {"privat", -1},
    {"", -1},
    {"index.html", -1},
    {"private/inner", 1},
    {"private/inner/x", 1},
    {"private/innerx", 0},
    {"docs/team/x", 2},
    {"docs/team", 2},
    {"docs/teams", -1},
};

START_TEST(test_prefix_choice)
{
	struct auth_rule rules[3] = {make_rule("/private", "r0"),
	                             make_rule("/private/inner/", "r1"),
	                             make_rule("/docs/./team", "r2")};
	const struct prefix_case *c = &prefix_cases[_i];
	const struct auth_rule *found = auth_rule_for(rules, 3, c->path, strlen(c->path));
	if (c->rule < 0)
		ck_assert_msg(found == NULL, "%s: %s", c->path, found ? found->prefix : "");
	else
		ck_assert_msg(found == &rules[c->rule], "%s: %s", c->path,
		              found ? found->prefix : "none");
	for (size_t i = 0; i < 3; i++)
		auth_rule_free(&rules[i]);
}
END_TEST

START_TEST(test_root_prefix_covers_all)
{
	struct auth_rule r = make_rule("/", "everything");
	ck_assert_ptr_eq(auth_rule_for(&r, 1, "", 0), &r);
	ck_assert_ptr_eq(auth_rule_for(&r, 1, "a/b", 3), &r);
	auth_rule_free(&r);
}
END_TEST

struct bad_rule {
	const char *prefix, *realm;
	const char *users; /* the file's text; NULL: a file that does not exist */
	const char *err;   /* a part of the message */
};

static const struct bad_rule bad_rules[] = {
    {"private", "r", users_text, "invalid path prefix"},
    {"/a/../../b", "r", users_text, "invalid path prefix"},
    {"/a?b", "r", users_text, "invalid path prefix"},
    {"/private", "", users_text, "invalid realm"},
    {"/private", "say \"hi\"", users_text, "invalid realm"},
    {"/private", "tab\there", users_text, "invalid realm"},
    {"/private", "r", NULL, "No such file"},
    {"/private", "r", "alice:" ALICE_HASH "\n#\nbob:$apr1$eD45PqbO$FjXKpOTtbs2NsTF8vG.km1\n",
     ":3: user 'bob': MD5 hash refused"},
    {"/private", "r", "carol:plain\n", ":1: user 'carol': plaintext password refused"},
    {"/private", "r", "dan:oSr.FUzo.4esk\n", ":1: user 'dan': DES crypt hash refused"},
    {"/private", "r", "eve:{SHA}EfatjsUqKYSrqv18O1FlA3hcIHI=\n", ":1: user 'eve': SHA1"},
};

START_TEST(test_bad_rule)
{
	const struct bad_rule *c = &bad_rules[_i];
	char *path = c->users != NULL ? user_file(c->users) : strdup("/nonexistent/users");
	struct auth_rule r;
	char err[512];
	ck_assert_int_eq(auth_rule_parse(c->prefix, c->realm, path, &r, err, sizeof err), -1);
	ck_assert_msg(strstr(err, c->err) != NULL, "%s", err);
	/* The file's own faults name the file. */
	if (c->err[0] == ':')
		ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "%s", err);
	if (c->users != NULL)
		unlink(path);
	free(path);
}
END_TEST

START_TEST(test_user_file_not_regular)
{
	struct auth_rule r;
	char err[512];
	ck_assert_int_eq(auth_rule_parse("/private", "r", "/tmp", &r, err, sizeof err), -1);
	ck_assert_str_eq(err, "/tmp: not a regular file");
}
END_TEST

START_TEST(test_challenge_line)
{
	struct auth_rule r = make_rule("/private", "Team files");
	char line[256];
	size_t n = auth_challenge_line(&r, line, sizeof line);
	ck_assert_str_eq(line,
	                 "WWW-Authenticate: Basic realm=\"Team files\", charset=\"UTF-8\"\r\n");
	ck_assert_uint_eq(n, strlen(line));
	ck_assert_uint_eq(auth_challenge_line(&r, line, 20), 0);
	auth_rule_free(&r);
}
END_TEST

/* ------------------------------------------------------------ the cache */

START_TEST(test_cache_expiry_and_clear)
{
	struct auth_cache c;
	auth_cache_init(&c);
	ck_assert(c.keyed);
	struct htpasswd_entry alice = {"alice", ALICE_HASH}, bob = {"bob", BOB_HASH};
	uint64_t right = auth_cache_tag(&c, "secret", 6), wrong = auth_cache_tag(&c, "secreT", 6);
	ck_assert(right != wrong);
	time_t t = 1000000;
	ck_assert(!auth_cache_lookup(&c, &alice, right, t));
	auth_cache_store(&c, &alice, right, t);
	ck_assert(auth_cache_lookup(&c, &alice, right, t));
	ck_assert(auth_cache_lookup(&c, &alice, right, t + AUTH_CACHE_TTL - 1));
	ck_assert(!auth_cache_lookup(&c, &alice, right, t + AUTH_CACHE_TTL));
	ck_assert(!auth_cache_lookup(&c, &alice, wrong, t));
	ck_assert(!auth_cache_lookup(&c, &bob, right, t));
	/* A clock set back does not make an entry live longer. */
	ck_assert(!auth_cache_lookup(&c, &alice, right, t - 1));
	auth_cache_clear(&c);
	ck_assert(!auth_cache_lookup(&c, &alice, right, t));
}
END_TEST

START_TEST(test_cache_key_is_random)
{
	struct auth_cache a, b;
	auth_cache_init(&a);
	auth_cache_init(&b);
	ck_assert(auth_cache_tag(&a, "secret", 6) != auth_cache_tag(&b, "secret", 6));
}
END_TEST

START_TEST(test_cache_bounded)
{
	struct auth_cache c;
	auth_cache_init(&c);
	static struct htpasswd_entry users[AUTH_CACHE_SIZE + 1];
	time_t t = 5000;
	/* The first is the oldest by a second; the others are all as old. */
	for (size_t i = 0; i <= AUTH_CACHE_SIZE; i++)
		auth_cache_store(&c, &users[i], 42, i == 0 ? t - 1 : t);
	/* Full: the oldest made way for the last. */
	ck_assert(!auth_cache_lookup(&c, &users[0], 42, t));
	for (size_t i = 1; i <= AUTH_CACHE_SIZE; i++)
		ck_assert(auth_cache_lookup(&c, &users[i], 42, t));
}
END_TEST

/* ------------------------------------------------------------ decisions */

static struct auth_rule decide_rule;
static struct auth policy;

static void setup_policy(void)
{
	decide_rule = make_rule("/private", "Team");
	auth_cache_init(&policy.cache);
	auth_reset(&policy);
}

static void teardown_policy(void)
{
	auth_rule_free(&decide_rule);
}

static enum auth_verdict decide(const char *target, const char *field, time_t now,
                                struct auth_decision *d)
{
	auth_turn_begin(&policy);
	return auth_decide(&policy, &decide_rule, 1, target, strlen(target), field,
	                   field ? strlen(field) : 0, now, d);
}

#define ALICE_RIGHT "Basic YWxpY2U6c2VjcmV0" /* alice:secret */
#define ALICE_WRONG "Basic YWxpY2U6c2VjcmVU" /* alice:secreT */
#define BOB_RIGHT "Basic Ym9iOnNlY3JldA=="   /* bob:secret */
#define MALLORY "Basic bWFsbG9yeTpzZWNyZXQ=" /* mallory:secret */

START_TEST(test_decide)
{
	struct auth_decision d;
	time_t t = 2000000;
	ck_assert_int_eq(decide("/public/a.html", NULL, t, &d), AUTH_OPEN);
	ck_assert_int_eq(decide("/privateer", NULL, t, &d), AUTH_OPEN);
	ck_assert_int_eq(decide("/private/a.html", NULL, t, &d), AUTH_CHALLENGE);
	ck_assert_ptr_eq(d.rule, &decide_rule);
	ck_assert_uint_eq(d.user_len, 0);
	ck_assert_int_eq(decide("/private/a.html", "Bearer x", t, &d), AUTH_CHALLENGE);
	ck_assert_int_eq(decide("/private/a.html", "Basic !!", t, &d), AUTH_MALFORMED);
	/* Encoded, dotted or with a query: the same path as the file's. */
	ck_assert_int_eq(decide("/%70rivate/a.html", NULL, t, &d), AUTH_CHALLENGE);
	ck_assert_int_eq(decide("/x/../private?q", NULL, t, &d), AUTH_CHALLENGE);
	ck_assert_int_eq(decide("//private//a", NULL, t, &d), AUTH_CHALLENGE);
	ck_assert_int_eq(decide("/private/a.html", ALICE_RIGHT, t, &d), AUTH_GRANTED);
	ck_assert_uint_eq(d.user_len, 5);
	ck_assert(memcmp(d.user, "alice", 5) == 0);
	ck_assert_int_eq(decide("/private/a.html", ALICE_WRONG, t, &d), AUTH_CHALLENGE);
	ck_assert(memcmp(d.user, "alice", 5) == 0);
	ck_assert_int_eq(decide("/private", BOB_RIGHT, t, &d), AUTH_GRANTED);
	ck_assert_int_eq(decide("/private", MALLORY, t, &d), AUTH_CHALLENGE);
	ck_assert(memcmp(d.user, "mallory", 7) == 0);
}
END_TEST

START_TEST(test_unknown_user_costs_a_crypt)
{
	struct auth_decision d;
	uint64_t before = policy.crypt_calls;
	ck_assert_int_eq(decide("/private", MALLORY, 1, &d), AUTH_CHALLENGE);
	ck_assert_uint_eq(policy.crypt_calls, before + 1);
	/* The first user's password does not let an unknown user in. */
	ck_assert_int_eq(decide("/private", MALLORY, 1, &d), AUTH_CHALLENGE);
	ck_assert_uint_eq(policy.crypt_calls, before + 2);
}
END_TEST

START_TEST(test_cache_spares_crypt)
{
	struct auth_decision d;
	time_t t = 3000000;
	ck_assert_int_eq(decide("/private", ALICE_RIGHT, t, &d), AUTH_GRANTED);
	uint64_t after_first = policy.crypt_calls;
	ck_assert_int_eq(decide("/private/x", ALICE_RIGHT, t + 30, &d), AUTH_GRANTED);
	ck_assert_uint_eq(policy.crypt_calls, after_first);
	/* A wrong password is never answered from the cache. */
	ck_assert_int_eq(decide("/private", ALICE_WRONG, t + 30, &d), AUTH_CHALLENGE);
	ck_assert_uint_eq(policy.crypt_calls, after_first + 1);
	/* Expired: verified again. */
	ck_assert_int_eq(decide("/private", ALICE_RIGHT, t + AUTH_CACHE_TTL, &d), AUTH_GRANTED);
	ck_assert_uint_eq(policy.crypt_calls, after_first + 2);
	/* A reload empties it. */
	auth_reset(&policy);
	ck_assert_int_eq(decide("/private", ALICE_RIGHT, t + AUTH_CACHE_TTL, &d), AUTH_GRANTED);
	ck_assert_uint_eq(policy.crypt_calls, after_first + 3);
}
END_TEST

START_TEST(test_budget_per_turn)
{
	struct auth_decision d;
	time_t t = 4000000;
	auth_turn_begin(&policy);
	const char *target = "/private";
	ck_assert_int_eq(auth_decide(&policy, &decide_rule, 1, target, 8, ALICE_WRONG,
	                             strlen(ALICE_WRONG), t, &d),
	                 AUTH_CHALLENGE);
	uint64_t calls = policy.crypt_calls;
	/* The turn's verification is spent: the next one waits. */
	ck_assert_int_eq(
	    auth_decide(&policy, &decide_rule, 1, target, 8, BOB_RIGHT, strlen(BOB_RIGHT), t, &d),
	    AUTH_DEFERRED);
	ck_assert_int_eq(
	    auth_decide(&policy, &decide_rule, 1, target, 8, MALLORY, strlen(MALLORY), t, &d),
	    AUTH_DEFERRED);
	ck_assert_uint_eq(policy.crypt_calls, calls);
	/* What needs no verification is not held up. */
	ck_assert_int_eq(auth_decide(&policy, &decide_rule, 1, "/public", 7, NULL, 0, t, &d),
	                 AUTH_OPEN);
	ck_assert_int_eq(auth_decide(&policy, &decide_rule, 1, target, 8, NULL, 0, t, &d),
	                 AUTH_CHALLENGE);
	auth_turn_begin(&policy);
	ck_assert_int_eq(
	    auth_decide(&policy, &decide_rule, 1, target, 8, BOB_RIGHT, strlen(BOB_RIGHT), t, &d),
	    AUTH_GRANTED);
	/* Cached now: granted even with the turn's budget spent. */
	ck_assert_int_eq(
	    auth_decide(&policy, &decide_rule, 1, target, 8, BOB_RIGHT, strlen(BOB_RIGHT), t, &d),
	    AUTH_GRANTED);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("rules");
	tcase_add_loop_test(tc, test_prefix_choice, 0, (int)ARRAY_LEN(prefix_cases));
	tcase_add_test(tc, test_root_prefix_covers_all);
	tcase_add_loop_test(tc, test_bad_rule, 0, (int)ARRAY_LEN(bad_rules));
	tcase_add_test(tc, test_user_file_not_regular);
	tcase_add_test(tc, test_challenge_line);
	suite_add_tcase(s, tc);
	TCase *cache = tcase_create("cache");
	tcase_add_test(cache, test_cache_expiry_and_clear);
	tcase_add_test(cache, test_cache_key_is_random);
	tcase_add_test(cache, test_cache_bounded);
	suite_add_tcase(s, cache);
	TCase *decisions = tcase_create("decisions");
	tcase_add_checked_fixture(decisions, setup_policy, teardown_policy);
	tcase_add_test(decisions, test_decide);
	tcase_add_test(decisions, test_unknown_user_costs_a_crypt);
	tcase_add_test(decisions, test_cache_spares_crypt);
	tcase_add_test(decisions, test_budget_per_turn);
	suite_add_tcase(s, decisions);
	return check_run(s);
}
