#include "autoconfig.h"

#include "accept.h"
#include "httpchars.h"
#include "qvalue.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* The end of the element starting at i: the next ',' outside a
 * quoted-string (a parameter's value may hold one). */
static size_t element_end(const char *value, size_t len, size_t i)
{
	bool quoted = false;
	for (; i < len; i++) {
		if (quoted && value[i] == '\\' && i + 1 < len)
			i++;
		else if (value[i] == '"')
			quoted = !quoted;
		else if (value[i] == ',' && !quoted)
			break;
	}
	return i;
}

/* Is the parameter p[0..n) "q=..."? */
static bool is_weight(const char *p, size_t n)
{
	return n >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=';
}

/* The q parameter among the element's parameters s[0..len) (each
 * "; name=value"), 1000 without one; -1 when its value is not a qvalue. */
static int weight_of(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && s[i] != ';')
			i++;
		if (i == len)
			break;
		i++;
		while (i < len && http_is_ows((unsigned char)s[i]))
			i++;
		size_t start = i;
		while (i < len && s[i] != ';')
			i++;
		size_t end = i;
		while (end > start && http_is_ows((unsigned char)s[end - 1]))
			end--;
		if (is_weight(s + start, end - start))
			return http_qvalue(s + start + 2, end - start - 2);
	}
	return 1000;
}

/* How specifically the range s[0..len) names type: 3 the type itself, 2
 * its major type with the subtype "*", 1 any type, 0 not at all. */
static int specificity(const char *s, size_t len, const char *type)
{
	const char *slash = strchr(type, '/');
	size_t major = (size_t)(slash - type);
	if (len == strlen(type) && strncasecmp(s, type, len) == 0)
		return 3;
	if (len == major + 2 && strncasecmp(s, type, major + 1) == 0 && s[len - 1] == '*')
		return 2;
	if (len == 3 && memcmp(s, "*/*", 3) == 0)
		return 1;
	return 0;
}

int accept_weight(const char *value, size_t len, const char *type)
{
	if (len == 0)
		return 1000;
	int best_specificity = 0, weight = 0;
	for (size_t i = 0; i < len;) {
		while (i < len && (value[i] == ',' || http_is_ows((unsigned char)value[i])))
			i++;
		size_t end = element_end(value, len, i);
		size_t range_end = i;
		while (range_end < end && value[range_end] != ';' &&
		       !http_is_ows((unsigned char)value[range_end]))
			range_end++;
		int s = specificity(value + i, range_end - i, type);
		int q = s > 0 ? weight_of(value + range_end, end - range_end) : -1;
		if (q >= 0 && (s > best_specificity || (s == best_specificity && q > weight))) {
			best_specificity = s;
			weight = q;
		}
		i = end;
	}
	return weight;
}
