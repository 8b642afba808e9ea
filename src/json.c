#include "autoconfig.h"

#include "json.h"

#include <stdbool.h>

/* U+FFFD in UTF-8. */
static const char replacement[] = "\xef\xbf\xbd";

/* The length of the well-formed UTF-8 sequence at s[0..len) (Unicode's
 * table 3-7), or 0 when it is ill-formed; then *bad is the length of its
 * maximal ill-formed subsequence (at least 1), which one U+FFFD replaces. */
static size_t utf8_sequence(const unsigned char *s, size_t len, size_t *bad)
{
	unsigned char c = s[0];
	size_t need;
	unsigned char low = 0x80, high = 0xbf; /* the second byte's range */
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		if (c == 0xe0)
			low = 0xa0; /* no overlong forms */
		else if (c == 0xed)
			high = 0x9f; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		if (c == 0xf0)
			low = 0x90;
		else if (c == 0xf4)
			high = 0x8f; /* nothing past U+10FFFF */
	} else {
		*bad = 1; /* a continuation byte, C0, C1, F5 to FF */
		return 0;
	}
	for (size_t i = 1; i < need; i++) {
		unsigned char lo = i == 1 ? low : 0x80, hi = i == 1 ? high : 0xbf;
		if (i >= len || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
	}
	return need;
}

/* What stands for the ASCII byte c in a JSON string; NULL when it stands
 * for itself. */
static const char *escape_of(unsigned char c, char unit[7])
{
	static const char hex[] = "0123456789abcdef";
	if (c == '"')
		return "\\\"";
	if (c == '\\')
		return "\\\\";
	if (c >= 0x20)
		return NULL;
	unit[0] = '\\';
	unit[1] = 'u';
	unit[2] = '0';
	unit[3] = '0';
	unit[4] = hex[c >> 4];
	unit[5] = hex[c & 0x0f];
	unit[6] = '\0';
	return unit;
}

int json_append_string(struct buf *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	int rc = buf_append(out, "\"", 1);
	size_t run = 0, i = 0; /* s[run..i) is written as it is */
	while (i < len) {
		size_t bad = 0, n = utf8_sequence(u + i, len - i, &bad);
		char unit[7];
		const char *esc = n == 1 ? escape_of(u[i], unit) : NULL;
		if (n > 1 || (n == 1 && esc == NULL)) {
			i += n;
			continue;
		}
		rc |= buf_append(out, s + run, i - run);
		rc |= buf_append_str(out, esc != NULL ? esc : replacement);
		i += n == 1 ? 1 : bad;
		run = i;
	}
	rc |= buf_append(out, s + run, len - run);
	rc |= buf_append(out, "\"", 1);
	return rc < 0 ? -1 : 0;
}
