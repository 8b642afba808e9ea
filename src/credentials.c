#include "autoconfig.h"

#include "credentials.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

static int base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long credentials_base64_decode(const char *in, size_t len, unsigned char *out, size_t out_size)
{
	if (len == 0 || len % 4 != 0)
		return -1;
	size_t pad = in[len - 1] == '=' ? (in[len - 2] == '=' ? 2 : 1) : 0;
	size_t n = len / 4 * 3 - pad;
	if (n > out_size)
		return -1;
	size_t w = 0;
	for (size_t i = 0; i < len; i += 4) {
		bool last = i + 4 == len;
		uint32_t bits = 0;
		for (size_t j = 0; j < 4; j++) {
			int v = last && j >= 4 - pad ? 0 : base64_value(in[i + j]);
			if (v < 0)
				return -1;
			bits = bits << 6 | (uint32_t)v;
		}
		/* Canonical only: the bits the padding leaves unused are zero. */
		if (last && (pad == 2   ? (bits & 0xffff) != 0
		             : pad == 1 ? (bits & 0xff) != 0
		                        : false))
			return -1;
		unsigned char group[3] = {(unsigned char)(bits >> 16), (unsigned char)(bits >> 8),
		                          (unsigned char)bits};
		size_t take = last ? 3 - pad : 3;
		memcpy(out + w, group, take);
		w += take;
	}
	return (long)w;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

enum credentials_parse credentials_parse_basic(const char *value, size_t len,
                                               struct credentials *out)
{
	memset(out, 0, sizeof *out);
	while (len > 0 && is_space(value[len - 1]))
		len--;
	size_t scheme_len = 0;
	while (scheme_len < len && !is_space(value[scheme_len]))
		scheme_len++;
	if (scheme_len != 5 || strncasecmp(value, "basic", 5) != 0)
		return CREDENTIALS_OTHER_SCHEME;
	size_t at = scheme_len;
	while (at < len && value[at] == ' ')
		at++;
	if (at == scheme_len || len - at > CREDENTIALS_MAX)
		return CREDENTIALS_MALFORMED;
	unsigned char decoded[CREDENTIALS_MAX / 4 * 3];
	long n = credentials_base64_decode(value + at, len - at, decoded, sizeof decoded);
	const unsigned char *colon = n > 0 ? memchr(decoded, ':', (size_t)n) : NULL;
	enum credentials_parse result = CREDENTIALS_MALFORMED;
	if (colon != NULL && memchr(decoded, '\0', (size_t)n) == NULL) {
		size_t user_len = (size_t)(colon - decoded);
		size_t password_len = (size_t)n - user_len - 1;
		if (user_len <= HTPASSWD_USER_MAX && password_len <= CREDENTIALS_PASSWORD_MAX) {
			memcpy(out->user, decoded, user_len);
			out->user_len = user_len;
			memcpy(out->password, colon + 1, password_len);
			out->password_len = password_len;
			result = CREDENTIALS_OK;
		}
	}
	explicit_bzero(decoded, sizeof decoded);
	return result;
}
