/* Fuzz target for credentials_base64_decode and credentials_parse_basic.
 *
 * Input: an Authorization field value. Base64 is canonical only, so whatever
 * decodes must encode back to exactly the bytes given, and the input's bytes
 * encoded must decode back to themselves. Credentials that parse obey the
 * limits (no colon in the user, no NUL, the sizes) and parse the same once
 * written again as "Basic " and their base64. Any broken rule aborts. */
#include "credentials.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_credentials: %s\n", what);
		abort();
	}
}

/* Base64 of in[0..len) into out (room for 4 * ceil(len / 3) bytes); its length. */
static size_t encode(const unsigned char *in, size_t len, char *out)
{
	size_t w = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[w++] = alphabet[v >> 18 & 63];
		out[w++] = alphabet[v >> 12 & 63];
		out[w++] = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
		out[w++] = i + 2 < len ? alphabet[v & 63] : '=';
	}
	return w;
}

static void check_base64(const uint8_t *data, size_t size)
{
	unsigned char *decoded = malloc(size + 1);
	char *again = malloc(size / 3 * 4 + 8);
	check(decoded != NULL && again != NULL, "out of memory");
	long n = credentials_base64_decode((const char *)data, size, decoded, size + 1);
	if (n >= 0) {
		check((size_t)n <= size / 4 * 3, "decoded more than the input holds");
		size_t len = encode(decoded, (size_t)n, again);
		check(len == size && memcmp(again, data, size) == 0, "not canonical, yet decoded");
	}
	/* The other way: any bytes, encoded, come back unchanged. */
	size_t len = encode(data, size, again);
	n = credentials_base64_decode(again, len, decoded, size + 1);
	check(size == 0 ? n == -1 : n == (long)size, "round trip length");
	check(size == 0 || memcmp(decoded, data, size) == 0, "round trip bytes");
	free(decoded);
	free(again);
}

static void check_basic(const uint8_t *data, size_t size)
{
	struct credentials c, again;
	enum credentials_parse r = credentials_parse_basic((const char *)data, size, &c);
	check(r == CREDENTIALS_OK || r == CREDENTIALS_OTHER_SCHEME || r == CREDENTIALS_MALFORMED,
	      "unknown result");
	if (r != CREDENTIALS_OK)
		return;
	check(c.user_len <= HTPASSWD_USER_MAX, "user too long");
	check(c.password_len <= CREDENTIALS_PASSWORD_MAX, "password too long");
	check(memchr(c.user, ':', c.user_len) == NULL, "colon in the user");
	check(memchr(c.user, '\0', c.user_len) == NULL, "NUL in the user");
	check(strlen(c.password) == c.password_len, "NUL in the password");
	unsigned char raw[HTPASSWD_USER_MAX + 1 + CREDENTIALS_PASSWORD_MAX];
	memcpy(raw, c.user, c.user_len);
	raw[c.user_len] = ':';
	memcpy(raw + c.user_len + 1, c.password, c.password_len);
	char field[6 + sizeof raw / 3 * 4 + 8] = "Basic ";
	size_t len = 6 + encode(raw, c.user_len + 1 + c.password_len, field + 6);
	check(credentials_parse_basic(field, len, &again) == CREDENTIALS_OK,
	      "written again: refused");
	check(again.user_len == c.user_len && memcmp(again.user, c.user, c.user_len) == 0 &&
	          strcmp(again.password, c.password) == 0,
	      "written again: different credentials");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size > 0 ? size : 1); /* exactly sized, for the sanitizers */
	check(copy != NULL, "out of memory");
	if (size > 0)
		memcpy(copy, data, size);
	check_base64(copy, size);
	check_basic(copy, size);
	free(copy);
	return 0;
}
