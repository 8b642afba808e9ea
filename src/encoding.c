#include "autoconfig.h"

#include "encoding.h"
#include "httpchars.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	const char *alias; /* RFC 9110 section 8.4.1.3: x-gzip is gzip */
	const char *suffix;
} codings[CODING_COUNT] = {
    [CODING_BR] = {"br", NULL, ".br"},
    [CODING_GZIP] = {"gzip", "x-gzip", ".gz"},
};

const char *encoding_name(enum content_coding c)
{
	return codings[c].name;
}

const char *encoding_suffix(enum content_coding c)
{
	return codings[c].suffix;
}

static bool token_is(const char *s, size_t len, const char *word)
{
	return word != NULL && strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), as thousandths. */
static bool parse_qvalue(const char *s, size_t len, int *q)
{
	if (len == 0 || (s[0] != '0' && s[0] != '1') || (len > 1 && s[1] != '.') || len > 5)
		return false;
	int value = (s[0] - '0') * 1000, scale = 100;
	for (size_t i = 2; i < len; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		value += (s[i] - '0') * scale;
	}
	if (value > 1000)
		return false;
	*q = value;
	return true;
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
	return *name_len > 0 && parse_qvalue(s + i + 2, end - i - 2, q);
}

size_t encoding_preferences(const char *value, size_t len, enum content_coding order[CODING_COUNT])
{
	int q[CODING_COUNT] = {-1, -1}; /* -1: not mentioned */
	int star = -1;
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
			return 0;
		if (token_is(value + start, name_len, "*"))
			star = weight;
		for (int c = 0; c < CODING_COUNT; c++)
			if (token_is(value + start, name_len, codings[c].name) ||
			    token_is(value + start, name_len, codings[c].alias))
				q[c] = weight;
	}
	size_t n = 0;
	for (int c = 0; c < CODING_COUNT; c++) {
		if (q[c] < 0)
			q[c] = star; /* "*" speaks for the codings not named */
		if (q[c] > 0)
			order[n++] = (enum content_coding)c;
	}
	if (n == 2 && q[order[1]] > q[order[0]]) {
		enum content_coding first = order[1];
		order[1] = order[0];
		order[0] = first;
	}
	return n;
}
