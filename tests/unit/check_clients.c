#include "autoconfig.h"

#include "clients.h"

#include "check_run.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct client_key v4(const char *text)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	memset(&ss, 0, sizeof ss);
	sin->sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, text, &sin->sin_addr), 1);
	struct client_key key;
	client_key_from(&ss, &key);
	return key;
}

static struct client_key v6(const char *text)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	memset(&ss, 0, sizeof ss);
	sin6->sin6_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
	struct client_key key;
	client_key_from(&ss, &key);
	return key;
}

START_TEST(test_keys)
{
	struct client_key a = v4("10.1.2.3"), b = v4("10.1.2.4");
	ck_assert(!client_key_equal(&a, &b));
	struct client_key mapped = v6("::ffff:10.1.2.3");
	ck_assert(client_key_equal(&a, &mapped));
	/* One /64 is one client. */
	struct client_key x = v6("2001:db8:1:2::1"), y = v6("2001:db8:1:2:ffff::9");
	struct client_key z = v6("2001:db8:1:3::1");
	ck_assert(client_key_equal(&x, &y));
	ck_assert(!client_key_equal(&x, &z));
}
END_TEST

START_TEST(test_count_and_top)
{
	static struct clients t;
	clients_init(&t);
	struct client_key a = v4("127.0.0.1"), b = v4("127.0.0.2"), top;
	ck_assert_uint_eq(clients_top(&t, &top), 0);
	ck_assert_uint_eq(clients_add(&t, &a), 1);
	ck_assert_uint_eq(clients_add(&t, &b), 1);
	ck_assert_uint_eq(clients_add(&t, &b), 2);
	ck_assert_uint_eq(clients_top(&t, &top), 2);
	ck_assert(client_key_equal(&top, &b));
	clients_remove(&t, &b);
	clients_remove(&t, &b);
	ck_assert_uint_eq(clients_count(&t, &b), 0);
	ck_assert_uint_eq(clients_count(&t, &a), 1);
	clients_remove(&t, &b); /* absent: no effect */
	ck_assert_uint_eq(clients_count(&t, &a), 1);
}
END_TEST

/* Against a plain array model, through many adds and removes of colliding keys:
 * deletion must never hide a key that is still counted. */
START_TEST(test_matches_model)
{
	enum { KEYS = 1500, STEPS = 200000 };
	static struct clients t;
	static unsigned model[KEYS];
	static struct client_key keys[KEYS];
	clients_init(&t);
	memset(model, 0, sizeof model);
	for (unsigned i = 0; i < KEYS; i++) {
		char text[32];
		snprintf(text, sizeof text, "10.%u.%u.%u", i / 65536, (i / 256) % 256, i % 256);
		keys[i] = v4(text);
	}
	srand(7);
	for (unsigned step = 0; step < STEPS; step++) {
		unsigned k = (unsigned)rand() % KEYS;
		if (rand() % 2 && model[k] > 0) {
			clients_remove(&t, &keys[k]);
			model[k]--;
		} else if (model[k] < 5) {
			ck_assert_uint_eq(clients_add(&t, &keys[k]), model[k] + 1);
			model[k]++;
		}
		if (step % 997 == 0)
			for (unsigned i = 0; i < KEYS; i++)
				ck_assert_uint_eq(clients_count(&t, &keys[i]), model[i]);
	}
}
END_TEST

START_TEST(test_full_table_refuses)
{
	static struct clients t;
	clients_init(&t);
	unsigned added = 0;
	for (unsigned i = 0; i < CLIENTS_SLOTS + 10; i++) {
		char text[32];
		snprintf(text, sizeof text, "10.0.%u.%u", i / 256, i % 256);
		struct client_key k = v4(text);
		if (clients_add(&t, &k) != 0)
			added++;
	}
	ck_assert_uint_eq(added, CLIENTS_SLOTS - 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("clients");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_count_and_top);
	tcase_add_test(tc, test_matches_model);
	tcase_add_test(tc, test_full_table_refuses);
	suite_add_tcase(s, tc);
	return check_run(s);
}
