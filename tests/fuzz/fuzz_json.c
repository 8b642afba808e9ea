/* Fuzz target for json_append_string.
 *
 * Input: the bytes of a file name (any bytes). The output must be one JSON
 * string (RFC 8259): quoted, no raw control byte inside, only the escapes
 * \" \\ and \u00XX, and valid UTF-8 (no overlong form, no surrogate, nothing
 * past U+10FFFF), checked here by decoding code points, not by the table the
 * writer uses. Decoded again, it gives back the input exactly when the input
 * is valid UTF-8; otherwise it holds at least one U+FFFD more than the input
 * did, and no more than one per input byte. Any broken rule aborts. */
#include "json.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_json: %s\n", what);
		abort();
	}
}

/* The code point at s[*i] (advancing *i), or -1 when the bytes there are not
 * the shortest UTF-8 form of a scalar value. */
static long next_code_point(const uint8_t *s, size_t len, size_t *i)
{
	uint8_t c = s[*i];
	int extra = c < 0x80             ? 0
	            : (c & 0xe0) == 0xc0 ? 1
	            : (c & 0xf0) == 0xe0 ? 2
	            : (c & 0xf8) == 0xf0 ? 3
	                                 : -1;
	if (extra < 0 || *i + (size_t)extra >= len)
		return -1;
	long cp = extra == 0 ? c : c & (0x3f >> extra);
	for (int k = 1; k <= extra; k++) {
		if (*i + (size_t)k >= len || (s[*i + k] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[*i + k] & 0x3f);
	}
	static const long least[] = {0, 0x80, 0x800, 0x10000};
	if (cp < least[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += (size_t)extra + 1;
	return cp;
}

static bool is_utf8(const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < len;)
		if (next_code_point(s, len, &i) < 0)
			return false;
	return true;
}

static int hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The string's value (the bytes between the quotes, escapes undone) into
 * out; its length. */
static size_t decode(const uint8_t *s, size_t len, uint8_t *out)
{
	check(len >= 2 && s[0] == '"' && s[len - 1] == '"', "not quoted");
	size_t n = 0;
	for (size_t i = 1; i < len - 1; i++) {
		check(s[i] >= 0x20, "a raw control byte");
		check(s[i] != '"', "an unescaped quote inside");
		if (s[i] != '\\') {
			out[n++] = s[i];
			continue;
		}
		check(i + 1 < len - 1, "a lone backslash at the end");
		uint8_t e = s[++i];
		if (e == '"' || e == '\\') {
			out[n++] = e;
			continue;
		}
		check(e == 'u' && i + 4 < len - 1 && s[i + 1] == '0' && s[i + 2] == '0',
		      "an escape other than \\\" \\\\ \\u00XX");
		int high = hex_value(s[i + 3]), low = hex_value(s[i + 4]);
		check(high >= 0 && low >= 0 && (high << 4 | low) < 0x20,
		      "\\u00XX for a byte >= 0x20");
		out[n++] = (uint8_t)(high << 4 | low);
		i += 4;
	}
	return n;
}

static size_t count_replacements(const uint8_t *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i + 3 <= len; i++)
		if (memcmp(s + i, "\xef\xbf\xbd", 3) == 0)
			n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;
	check(json_append_string(&out, (const char *)data, size) == 0, "out of memory");
	const uint8_t *text = (const uint8_t *)buf_head(&out);
	size_t len = buf_len(&out);
	check(is_utf8(text, len), "the JSON text is not valid UTF-8");
	uint8_t *value = malloc(len + 1);
	check(value != NULL, "out of memory");
	size_t n = decode(text, len, value);
	if (is_utf8(data, size)) {
		check(n == size && memcmp(value, data, size) == 0,
		      "valid UTF-8 did not round-trip");
	} else {
		size_t before = count_replacements(data, size),
		       after = count_replacements(value, n);
		check(after > before && after - before <= size,
		      "ill-formed input, but not one U+FFFD per part");
	}
	free(value);
	buf_free(&out);
	return 0;
}
