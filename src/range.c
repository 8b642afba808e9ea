#include "autoconfig.h"

#include "range.h"

#include <stdbool.h>
#include <strings.h>

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* 1*DIGIT; a value too large for 64 bits saturates (it is past any file). */
static bool parse_number(const char *s, size_t len, size_t *i, uint64_t *out)
{
	size_t start = *i;
	uint64_t n = 0;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		unsigned digit = (unsigned)(s[*i] - '0');
		n = n > (UINT64_MAX - digit) / 10 ? UINT64_MAX : n * 10 + digit;
		(*i)++;
	}
	*out = n;
	return *i > start;
}

/* One range-spec in s[0..len): int-range "first-[last]" or suffix-range "-n". */
static enum range_result parse_spec(const char *s, size_t len, uint64_t size,
				    struct byte_range *out)
{
	size_t i = 0;
	uint64_t first, last;
	if (len > 0 && s[0] == '-') {
		i = 1;
		if (!parse_number(s, len, &i, &last) || i != len)
			return RANGE_IGNORE;
		if (last == 0 || size == 0)
			return RANGE_UNSATISFIABLE;
		out->length = last < size ? last : size;
		out->first = size - out->length;
		return RANGE_SATISFIABLE;
	}
	if (!parse_number(s, len, &i, &first) || i == len || s[i] != '-')
		return RANGE_IGNORE;
	i++;
	if (i == len) {
		last = UINT64_MAX;
	} else if (!parse_number(s, len, &i, &last) || i != len || last < first) {
		return RANGE_IGNORE;
	}
	if (first >= size)
		return RANGE_UNSATISFIABLE;
	if (last >= size)
		last = size - 1;
	out->first = first;
	out->length = last - first + 1;
	return RANGE_SATISFIABLE;
}

enum range_result range_parse(const char *value, size_t len, uint64_t size,
			      struct byte_range *out)
{
	/* ranges-specifier = range-unit "=" range-set; the unit is case-insensitive. */
	if (len < 6 || strncasecmp(value, "bytes=", 6) != 0)
		return RANGE_IGNORE;
	size_t i = 6, specs = 0;
	enum range_result result = RANGE_IGNORE;
	while (i < len) {
		while (i < len && (is_ows(value[i]) || value[i] == ','))
			i++;
		size_t start = i;
		while (i < len && value[i] != ',' && !is_ows(value[i]))
			i++;
		size_t end = i;
		while (i < len && is_ows(value[i]))
			i++;
		if (i < len && value[i] != ',')
			return RANGE_IGNORE; /* whitespace inside a range-spec */
		if (end == start)
			continue;
		if (++specs > 1)
			return RANGE_IGNORE;
		result = parse_spec(value + start, end - start, size, out);
		if (result == RANGE_IGNORE)
			return RANGE_IGNORE;
	}
	return result;
}
