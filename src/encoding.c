#include "autoconfig.h"

#include "encoding.h"
#include "httpchars.h"
#include "qvalue.h"

#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	const char *alias; /* RFC 9110 section 8.4.1.3: x-gzip is gzip */
	const char *suffix;
} codings[CODING_COUNT] = {
    [CODING_BR] = {"br", NULL, ".br"},
    [CODING_ZSTD] = {"zstd", NULL, ".zst"},
    [CODING_GZIP] = {"gzip", "x-gzip", ".gz"},
    [CODING_IDENTITY] = {"identity", NULL, ""},
};

const char *encoding_name(enum content_coding c)
{
	return c == CODING_IDENTITY ? NULL : codings[c].name;
}

const char *encoding_suffix(enum content_coding c)
{
	return codings[c].suffix;
}

bool encoding_mark_etag(char *etag, size_t cap, const char *coding)
{
	if (coding == NULL)
		return true;
	size_t len = strlen(etag), name_len = strlen(coding);
	if (len < 2 || etag[len - 1] != '"' || len + 1 + name_len + 1 > cap)
		return false;
	etag[len - 1] = '-';
	memcpy(etag + len, coding, name_len);
	etag[len + name_len] = '"';
	etag[len + name_len + 1] = '\0';
	return true;
}

static bool token_is(const char *s, size_t len, const char *word)
{
	return word != NULL && strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* One element: coding *( OWS ";" OWS "q=" qvalue ); q defaults to 1. */
static bool parse_element(const char *s, size_t len, size_t *name_len, int *q)
{
	size_t i = 0;
	while (i < len && !http_is_ows((unsigned char)s[i]) && s[i] != ';')
		i++;
	*name_len = i;
	*q = 1000;
	while (i < len && http_is_ows((unsigned char)s[i]))
		i++;
	if (i == len)
		return *name_len > 0;
	if (s[i] != ';')
		return false;
	i++;
	while (i < len && http_is_ows((unsigned char)s[i]))
		i++;
	/* cppcheck-suppress knownConditionTrueFalse ; "gzip;q=1": len - i == 3 */
	if (len - i < 2 || (s[i] != 'q' && s[i] != 'Q') || s[i + 1] != '=')
		return false;
	size_t end = len;
	while (end > i && http_is_ows((unsigned char)s[end - 1]))
		end--;
	*q = http_qvalue(s + i + 2, end - i - 2);
	return *name_len > 0 && *q >= 0;
}

/* The weight the field gives each coding (-1: not named) and "*" (star).
 * False when the field is malformed. */
static bool read_weights(const char *value, size_t len, int q[CODING_COUNT], int *star)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && (http_is_ows((unsigned char)value[i]) || value[i] == ','))
			i++;
		size_t start = i;
		while (i < len && value[i] != ',')
			i++;
		size_t end = i;
		while (end > start && http_is_ows((unsigned char)value[end - 1]))
			end--;
		if (end == start)
			continue;
		size_t name_len;
		int weight;
		if (!parse_element(value + start, end - start, &name_len, &weight))
			return false;
		if (token_is(value + start, name_len, "*"))
			*star = weight;
		for (int c = 0; c < CODING_COUNT; c++)
			if (token_is(value + start, name_len, codings[c].name) ||
			    token_is(value + start, name_len, codings[c].alias))
				q[c] = weight;
	}
	return true;
}

size_t encoding_preferences(const char *value, size_t len, enum content_coding order[CODING_COUNT])
{
	int q[CODING_COUNT], star = -1; /* -1: not named */
	for (int c = 0; c < CODING_COUNT; c++)
		q[c] = -1;
	if (!read_weights(value, len, q, &star)) {
		order[0] = CODING_IDENTITY;
		return 1;
	}
	for (int c = 0; c < CODING_COUNT; c++)
		if (q[c] < 0)
			q[c] = star; /* "*" speaks for the codings not named */
	/* Acceptable unless refused, but last: a client that names codings
	 * without identity wants one of them ("gzip;q=0.5" still gets gzip). */
	if (q[CODING_IDENTITY] < 0)
		q[CODING_IDENTITY] = 1;
	size_t n = 0;
	/* Insertion by weight; equal weights keep the enum's (preference) order. */
	for (int c = 0; c < CODING_COUNT; c++) {
		if (q[c] <= 0)
			continue;
		size_t at = n++;
		while (at > 0 && q[order[at - 1]] < q[c]) {
			order[at] = order[at - 1];
			at--;
		}
		order[at] = (enum content_coding)c;
	}
	return n;
}
