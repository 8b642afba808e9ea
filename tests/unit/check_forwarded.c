/* Unit tests for forwarded: the client behind trusted proxies, from
 * X-Forwarded-For and Forwarded (RFC 7239) field lines: the rightmost untrusted
 * address, the stops at invalid or hidden entries, spoofed prefixes, several
 * field lines, the grammar of Forwarded, the hop bound. */
#include "autoconfig.h"

#include "forwarded.h"

#include "check_run.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const trusted_networks[] = {"10.0.0.0/8", "fd00::/8", "127.0.0.1"};

static struct netmask_list trusted_list(void)
{
	struct netmask_list list;
	char err[200];
	netmask_list_init(&list);
	for (size_t i = 0; i < ARRAY_LEN(trusted_networks); i++)
		ck_assert_int_eq(netmask_list_add(&list, trusted_networks[i], err, sizeof err), 0);
	return list;
}

/* "1.2.3.4" or "::1" as a sockaddr with port 5555: a peer. */
static struct sockaddr_storage peer_address(const char *text, socklen_t *len)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(5555);
		*len = sizeof *sin;
	} else {
		ck_assert_msg(inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1, "bad peer %s",
		              text);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(5555);
		*len = sizeof *sin6;
	}
	return ss;
}

/* "address port" */
static const char *address_text(const struct sockaddr_storage *ss, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		port = ntohs(sin6->sin6_port);
	}
	snprintf(out, size, "%s %u", host, port);
	return out;
}

enum { MAX_LINES = 3 };

struct walk_case {
	enum forwarded_syntax syntax;
	const char *peer;
	const char *lines[MAX_LINES]; /* NULL-terminated when shorter */
	const char *client;           /* "address port" */
	bool from_header;
};

#define XFF FORWARDED_XFF
#define FWD FORWARDED_RFC7239
#define PEER "10.0.0.1"
#define PEER_IS "10.0.0.1 5555"

static const struct walk_case walk_cases[] = {
    /* X-Forwarded-For */
    {XFF, "192.0.2.9", {"203.0.113.1"}, "192.0.2.9 5555", false}, /* untrusted peer */
    {XFF, PEER, {"203.0.113.1"}, "203.0.113.1 0", true},
    {XFF, PEER, {"198.51.100.7, 203.0.113.1"}, "203.0.113.1 0", true},
    {XFF, PEER, {"203.0.113.1, 10.0.0.2"}, "203.0.113.1 0", true},
    {XFF, PEER, {"127.0.0.1, 203.0.113.1"}, "203.0.113.1 0", true}, /* spoofed start */
    {XFF, PEER, {"10.0.0.3, 10.0.0.2"}, "10.0.0.3 0", true},        /* all trusted */
    {XFF, PEER, {"203.0.113.1, garbage, 10.0.0.2"}, "10.0.0.2 0", true},
    {XFF, PEER, {"203.0.113.1, garbage"}, PEER_IS, false},
    {XFF, PEER, {"203.0.113.1:8080"}, PEER_IS, false},
    {XFF, PEER, {"[2001:db8::1]"}, PEER_IS, false},
    {XFF, PEER, {"unknown"}, PEER_IS, false},
    {XFF, PEER, {"203.0.113.01"}, PEER_IS, false},
    {XFF, PEER, {"2001:db8::1"}, "2001:db8::1 0", true},
    {XFF, "fd00::1", {"fe80::1%eth0"}, "fd00::1 5555", false},
    {XFF, "fd00::1", {"203.0.113.1, fd00::2"}, "203.0.113.1 0", true},
    {XFF, "::ffff:10.0.0.1", {"203.0.113.1"}, "203.0.113.1 0", true}, /* mapped peer */
    {XFF, PEER, {"  203.0.113.1\t,\t10.0.0.2  "}, "203.0.113.1 0", true},
    {XFF, PEER, {"203.0.113.1,,10.0.0.2,"}, "203.0.113.1 0", true},
    {XFF, PEER, {""}, PEER_IS, false},
    {XFF, PEER, {" , "}, PEER_IS, false},
    {XFF, PEER, {"198.51.100.7", "203.0.113.1, 10.0.0.2"}, "203.0.113.1 0", true},
    {XFF, PEER, {"203.0.113.1", "10.0.0.2"}, "203.0.113.1 0", true},
    {XFF, PEER, {"10.0.0.5", ""}, "10.0.0.5 0", true},
    {XFF, PEER, {"203.0.113.1", "garbage", "10.0.0.2"}, "10.0.0.2 0", true},
    /* Forwarded */
    {FWD, "192.0.2.9", {"for=203.0.113.1"}, "192.0.2.9 5555", false},
    {FWD, PEER, {"for=203.0.113.1"}, "203.0.113.1 0", true},
    {FWD, PEER, {"for=203.0.113.1;proto=https;by=10.0.0.1"}, "203.0.113.1 0", true},
    {FWD, PEER, {"proto=https;FOR=203.0.113.1"}, "203.0.113.1 0", true},
    {FWD, PEER, {"for=\"[2001:db8::17]:4711\""}, "2001:db8::17 4711", true},
    {FWD, PEER, {"for=\"[2001:db8::17]\""}, "2001:db8::17 0", true},
    {FWD, PEER, {"for=\"203.0.113.1:8080\""}, "203.0.113.1 8080", true},
    {FWD, PEER, {"for=\"203.0.113.1:_abc\""}, "203.0.113.1 0", true},  /* hidden port */
    {FWD, PEER, {"for=\"\\[2001:db8::1\\]\""}, "2001:db8::1 0", true}, /* quoted-pairs */
    {FWD, PEER, {"for=198.51.100.7, for=203.0.113.1"}, "203.0.113.1 0", true},
    {FWD, PEER, {"for=203.0.113.1, for=10.0.0.2"}, "203.0.113.1 0", true},
    {FWD, PEER, {"for=10.0.0.3,for=\"[fd00::2]:80\""}, "10.0.0.3 0", true},
    {FWD, PEER, {"for=203.0.113.1, for=_hidden, for=10.0.0.2"}, "10.0.0.2 0", true},
    {FWD, PEER, {"for=203.0.113.1, for=unknown"}, PEER_IS, false},
    {FWD, PEER, {"for=_abc"}, PEER_IS, false},
    {FWD, PEER, {"for=203.0.113.1, proto=https"}, PEER_IS, false}, /* no for= */
    {FWD, PEER, {"for=203.0.113.1;for=198.51.100.7"}, PEER_IS, false},
    {FWD, PEER, {"for=\"2001:db8::1\""}, PEER_IS, false},   /* IPv6 without brackets */
    {FWD, PEER, {"for=\"[203.0.113.1]\""}, PEER_IS, false}, /* IPv4 in brackets */
    {FWD, PEER, {"for=\"203.0.113.1:99999\""}, PEER_IS, false},
    {FWD, PEER, {"for=\"[2001:db8::1]:\""}, PEER_IS, false},
    {FWD, PEER, {"for=\"[2001:db8::1\""}, PEER_IS, false},
    {FWD, PEER, {"for=\"\""}, PEER_IS, false},
    {FWD, PEER, {"for=203.0.113.1 ; proto=http"}, "203.0.113.1 0", true},
    {FWD, PEER, {"for=203.0.113.1;"}, "203.0.113.1 0", true},
    {FWD, PEER, {" , for=203.0.113.1 ,"}, "203.0.113.1 0", true},
    /* grammar errors: the whole line is one invalid entry */
    {FWD, PEER, {"for=[2001:db8::1]"}, PEER_IS, false}, /* unquoted brackets */
    {FWD, PEER, {"for = 203.0.113.1"}, PEER_IS, false},
    {FWD, PEER, {"for=\"203.0.113.1"}, PEER_IS, false}, /* unterminated */
    {FWD, PEER, {"for"}, PEER_IS, false},
    {FWD, PEER, {"for="}, PEER_IS, false},
    {FWD, PEER, {"for=203.0.113.1 by=10.0.0.1"}, PEER_IS, false},
    {FWD, PEER, {"for=\"a\x01\""}, PEER_IS, false},
    {FWD,
     PEER,
     {"for=\"unterminated, for=203.0.113.1", "for=198.51.100.7"},
     "198.51.100.7 0",
     true},
    {FWD, PEER, {"for=198.51.100.7", "for=\"broken"}, PEER_IS, false},
    {FWD, PEER, {"for=198.51.100.7", "for=10.0.0.9, for=\"broken"}, PEER_IS, false},
    {FWD, PEER, {"for=\"broken", "for=10.0.0.9"}, "10.0.0.9 0", true},
};

START_TEST(test_walk)
{
	const struct walk_case *c = &walk_cases[_i];
	struct netmask_list trusted = trusted_list();
	struct forwarded_field fields[MAX_LINES];
	size_t n = 0;
	socklen_t peer_len;
	struct sockaddr_storage peer = peer_address(c->peer, &peer_len), client;
	char got[80];

	while (n < MAX_LINES && c->lines[n] != NULL) {
		fields[n].value = c->lines[n];
		fields[n].len = strlen(c->lines[n]);
		n++;
	}
	bool from_header = forwarded_client(c->syntax, fields, n, &trusted,
	                                    (struct sockaddr *)&peer, peer_len, &client);
	address_text(&client, got, sizeof got);
	ck_assert_msg(strcmp(got, c->client) == 0 && from_header == c->from_header,
	              "%s from %s with \"%s\"...: %s (%s), expected %s (%s)",
	              c->syntax == XFF ? "X-Forwarded-For" : "Forwarded", c->peer, c->lines[0], got,
	              from_header ? "header" : "peer", c->client,
	              c->from_header ? "header" : "peer");
}
END_TEST

/* Field values are spans: the bytes after len are never read. */
START_TEST(test_spans)
{
	struct netmask_list trusted = trusted_list();
	static const char value[] = "203.0.113.1, 10.0.0.2garbage";
	struct forwarded_field f = {value, strlen("203.0.113.1, 10.0.0.2")};
	socklen_t peer_len;
	struct sockaddr_storage peer = peer_address(PEER, &peer_len), client;
	char got[80];
	ck_assert(forwarded_client(FORWARDED_XFF, &f, 1, &trusted, (struct sockaddr *)&peer,
	                           peer_len, &client));
	ck_assert_str_eq(address_text(&client, got, sizeof got), "203.0.113.1 0");

	static const char fwd[] = "for=203.0.113.1, for=\"x";
	f.value = fwd;
	f.len = strlen("for=203.0.113.1");
	ck_assert(forwarded_client(FORWARDED_RFC7239, &f, 1, &trusted, (struct sockaddr *)&peer,
	                           peer_len, &client));
	ck_assert_str_eq(address_text(&client, got, sizeof got), "203.0.113.1 0");
}
END_TEST

/* More hops than are kept, all trusted: the walk stops at the last one kept. */
START_TEST(test_hop_bound)
{
	struct netmask_list trusted = trusted_list();
	char value[2048];
	size_t o = (size_t)snprintf(value, sizeof value, "203.0.113.1");
	for (int i = FORWARDED_MAX_HOPS + 8; i >= 1; i--)
		o += (size_t)snprintf(value + o, sizeof value - o, ", 10.0.0.%d", i);
	struct forwarded_field f = {value, o};
	socklen_t peer_len;
	struct sockaddr_storage peer = peer_address(PEER, &peer_len), client;
	char got[80], want[80];

	ck_assert(forwarded_client(FORWARDED_XFF, &f, 1, &trusted, (struct sockaddr *)&peer,
	                           peer_len, &client));
	snprintf(want, sizeof want, "10.0.0.%d 0", FORWARDED_MAX_HOPS);
	ck_assert_str_eq(address_text(&client, got, sizeof got), want);

	/* within the bound, the untrusted client is found */
	o = (size_t)snprintf(value, sizeof value, "203.0.113.1");
	for (int i = FORWARDED_MAX_HOPS - 1; i >= 1; i--)
		o += (size_t)snprintf(value + o, sizeof value - o, ", 10.0.0.%d", i);
	f.len = o;
	ck_assert(forwarded_client(FORWARDED_XFF, &f, 1, &trusted, (struct sockaddr *)&peer,
	                           peer_len, &client));
	ck_assert_str_eq(address_text(&client, got, sizeof got), "203.0.113.1 0");
}
END_TEST

/* A peer on a Unix socket is a proxy on this host, let in by the socket
 * file's mode: trusted, so the header names the client. */
START_TEST(test_unix_peer)
{
	struct netmask_list trusted = trusted_list();
	struct sockaddr_un un;
	struct sockaddr_storage client;
	char got[64];
	struct forwarded_field f = {"203.0.113.1, 10.0.0.1", 21};
	memset(&un, 0, sizeof un);
	un.sun_family = AF_UNIX;
	memcpy(un.sun_path, "/run/sb.sock", 12);
	ck_assert(forwarded_client(FORWARDED_XFF, &f, 1, &trusted, (struct sockaddr *)&un,
	                           sizeof un, &client));
	ck_assert_str_eq(address_text(&client, got, sizeof got), "203.0.113.1 0");
	/* With nothing in the field, the socket stays the client. */
	ck_assert(!forwarded_client(FORWARDED_XFF, &f, 0, &trusted, (struct sockaddr *)&un,
	                            sizeof un, &client));
	ck_assert_int_eq(client.ss_family, AF_UNIX);
	ck_assert_str_eq(((struct sockaddr_un *)&client)->sun_path, "/run/sb.sock");
}
END_TEST

static Suite *forwarded_suite(void)
{
	Suite *s = suite_create("forwarded");
	TCase *tc = tcase_create("forwarded");
	tcase_add_loop_test(tc, test_walk, 0, (int)ARRAY_LEN(walk_cases));
	tcase_add_test(tc, test_spans);
	tcase_add_test(tc, test_hop_bound);
	tcase_add_test(tc, test_unix_peer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(forwarded_suite());
}
