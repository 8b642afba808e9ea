/* Fuzz target for the X-Forwarded-For and Forwarded walker.
 *
 * Input: a control byte (bit 0: Forwarded rather than X-Forwarded-For; bit 1:
 * an untrusted peer; bit 2: an IPv6 peer), then the field bytes, one field
 * line per '\n' (at most MAX_LINES). Each line is handed over in a buffer of
 * exactly its size. The rules:
 *  - an untrusted peer is the client, whatever the fields say;
 *  - what a client writes cannot move the answer: a line put before the
 *    others (an address, or a line that breaks the grammar) leaves an
 *    untrusted client found in the fields as it was;
 *  - a trusted proxy that appends itself changes nothing: the client found in
 *    the fields stays (unless the fields had so many entries that the new one
 *    pushes the client out of the FORWARDED_MAX_HOPS looked at), and when the
 *    fields gave none, the proxy is the client.
 * Any broken rule aborts. */
#include "forwarded.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_LINES = 4 };

static const char *const trusted_networks[] = {"10.0.0.0/8", "fd00::/8", "127.0.0.1"};

struct answer {
	bool from_header;
	struct sockaddr_storage client;
};

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_forwarded: %s\n", what);
	abort();
}

static void check(int ok, const char *what)
{
	if (!ok)
		fail(what);
}

static struct sockaddr_storage address(const char *text)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(5555);
	} else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(5555);
	} else {
		fail("bad address in the target");
	}
	return ss;
}

static socklen_t address_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

static bool same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return a->ss_family == b->ss_family && memcmp(a, b, address_len(a)) == 0;
}

/* The walk over lines[0..n), each in an exactly sized copy. */
static struct answer walk(enum forwarded_syntax syntax, const char *const *lines,
                          const size_t *lens, size_t n, const struct netmask_list *trusted,
                          const struct sockaddr_storage *peer)
{
	struct forwarded_field fields[MAX_LINES + 2];
	char *copies[MAX_LINES + 2];
	struct answer a;

	for (size_t i = 0; i < n; i++) {
		copies[i] = malloc(lens[i] > 0 ? lens[i] : 1);
		if (copies[i] == NULL)
			fail("out of memory");
		if (lens[i] > 0)
			memcpy(copies[i], lines[i], lens[i]);
		fields[i].value = copies[i];
		fields[i].len = lens[i];
	}
	a.from_header = forwarded_client(syntax, fields, n, trusted, (const struct sockaddr *)peer,
	                                 address_len(peer), &a.client);
	for (size_t i = 0; i < n; i++)
		free(copies[i]);
	if (a.from_header)
		check(a.client.ss_family == AF_INET || a.client.ss_family == AF_INET6,
		      "a client of another family");
	else
		check(same_address(&a.client, peer), "not from the header, yet not the peer");
	return a;
}

/* A bound on the entries of the fields: each line has at most one more than
 * its commas. */
static size_t entries_at_most(const uint8_t *bytes, size_t len, size_t lines)
{
	size_t commas = 0;
	for (size_t i = 0; i < len; i++)
		commas += bytes[i] == ',';
	return commas + lines;
}

static bool same_answer(const struct answer *a, const struct answer *b)
{
	return a->from_header == b->from_header && same_address(&a->client, &b->client);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum forwarded_syntax syntax = data[0] & 1 ? FORWARDED_RFC7239 : FORWARDED_XFF;
	bool untrusted_peer = data[0] & 2;
	bool v6_peer = data[0] & 4;
	const char *peer_text = v6_peer ? (untrusted_peer ? "2001:db8::9" : "fd00::1")
	                                : (untrusted_peer ? "192.0.2.9" : "10.0.0.1");
	struct sockaddr_storage peer = address(peer_text);
	struct netmask_list trusted;
	char err[128];

	netmask_list_init(&trusted);
	for (size_t i = 0; i < sizeof trusted_networks / sizeof trusted_networks[0]; i++)
		if (netmask_list_add(&trusted, trusted_networks[i], err, sizeof err) != 0)
			fail(err);

	/* lines[1..n]: the input; lines[0] and lines[n + 1]: room for the rules */
	const char *lines[MAX_LINES + 2];
	size_t lens[MAX_LINES + 2];
	size_t n = 0, from = 1;
	while (from <= size && n < MAX_LINES) {
		const uint8_t *nl = memchr(data + from, '\n', size - from);
		size_t end = nl != NULL && n + 1 < MAX_LINES ? (size_t)(nl - data) : size;
		lines[1 + n] = (const char *)data + from;
		lens[1 + n] = end - from;
		n++;
		from = end + 1;
	}

	struct answer plain = walk(syntax, lines + 1, lens + 1, n, &trusted, &peer);
	if (untrusted_peer)
		check(!plain.from_header, "an untrusted peer's fields were believed");

	/* A line before the others, written by the client. */
	static const char *const spoof_xff[] = {"203.0.113.66", "127.0.0.1, 10.9.9.9", "x\"y"};
	static const char *const spoof_fwd[] = {"for=203.0.113.66", "for=127.0.0.1", "for=\"x"};
	const char *const *spoof = syntax == FORWARDED_XFF ? spoof_xff : spoof_fwd;
	bool untrusted_client =
	    plain.from_header &&
	    !netmask_list_contains(&trusted, (const struct sockaddr *)&plain.client);
	for (size_t k = 0; k < 3 && untrusted_client; k++) {
		lines[0] = spoof[k];
		lens[0] = strlen(spoof[k]);
		struct answer spoofed = walk(syntax, lines, lens, n + 1, &trusted, &peer);
		check(same_answer(&spoofed, &plain), "a line before the others moved the answer");
	}

	/* A trusted proxy appends itself. */
	if (!untrusted_peer) {
		const char *proxy = syntax == FORWARDED_XFF ? "10.0.0.2" : "for=10.0.0.2";
		struct sockaddr_storage proxy_addr = address("10.0.0.2");
		((struct sockaddr_in *)&proxy_addr)->sin_port = 0;
		lines[n + 1] = proxy;
		lens[n + 1] = strlen(proxy);
		struct answer appended = walk(syntax, lines + 1, lens + 1, n + 1, &trusted, &peer);
		check(appended.from_header, "an appended trusted hop was not walked");
		if (plain.from_header) {
			/* unless the hop pushed out the entry the walk stopped at */
			if (entries_at_most(data + 1, size - 1, n) < FORWARDED_MAX_HOPS)
				check(same_answer(&appended, &plain),
				      "an appended trusted hop moved the answer");
		} else
			check(same_address(&appended.client, &proxy_addr),
			      "an appended trusted hop after nothing valid is not the client");
	}
	return 0;
}
