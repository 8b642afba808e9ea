#include "autoconfig.h"

#include "range.h"
#include "httpchars.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

struct number {
	uint64_t value; /* saturated at UINT64_MAX: past any file */
	const char *digits;
	size_t ndigits;
};

/* 1*DIGIT at s[*i]. */
static bool parse_number(const char *s, size_t len, size_t *i, struct number *out)
{
	size_t start = *i;
	uint64_t n = 0;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		unsigned digit = (unsigned)(s[*i] - '0');
		n = n > (UINT64_MAX - digit) / 10 ? UINT64_MAX : n * 10 + digit;
		(*i)++;
	}
	out->value = n;
	out->digits = s + start;
	out->ndigits = *i - start;
	while (out->ndigits > 1 && out->digits[0] == '0') {
		out->digits++;
		out->ndigits--;
	}
	return *i > start;
}

/* a < b, exactly, even where both saturated. */
static bool number_less(const struct number *a, const struct number *b)
{
	if (a->value != b->value)
		return a->value < b->value;
	if (a->ndigits != b->ndigits)
		return a->ndigits < b->ndigits;
	return memcmp(a->digits, b->digits, a->ndigits) < 0;
}

/* One range-spec in s[0..len): int-range "first-[last]" or suffix-range "-n". */
static enum range_result parse_spec(const char *s, size_t len, uint64_t size,
                                    struct byte_range *out)
{
	size_t i = 0;
	struct number first, last;
	if (len > 0 && s[0] == '-') {
		i = 1;
		if (!parse_number(s, len, &i, &last) || i != len)
			return RANGE_IGNORE;
		if (last.value == 0 || size == 0)
			return RANGE_UNSATISFIABLE;
		out->length = last.value < size ? last.value : size;
		out->first = size - out->length;
		return RANGE_SATISFIABLE;
	}
	if (!parse_number(s, len, &i, &first) || i == len || s[i] != '-')
		return RANGE_IGNORE;
	i++;
	uint64_t last_pos = UINT64_MAX;
	if (i < len) {
		if (!parse_number(s, len, &i, &last) || i != len || number_less(&last, &first))
			return RANGE_IGNORE;
		last_pos = last.value;
	}
	if (first.value >= size)
		return RANGE_UNSATISFIABLE;
	if (last_pos >= size)
		last_pos = size - 1;
	out->first = first.value;
	out->length = last_pos - first.value + 1;
	return RANGE_SATISFIABLE;
}

enum range_result range_parse(const char *value, size_t len, uint64_t size, struct byte_range *out)
{
	/* ranges-specifier = range-unit "=" range-set; the unit is case-insensitive. */
	if (len < 6 || strncasecmp(value, "bytes=", 6) != 0)
		return RANGE_IGNORE;
	size_t i = 6, specs = 0;
	enum range_result result = RANGE_IGNORE;
	while (i < len) {
		while (i < len && (http_is_ows((unsigned char)value[i]) || value[i] == ','))
			i++;
		size_t start = i;
		while (i < len && value[i] != ',' && !http_is_ows((unsigned char)value[i]))
			i++;
		size_t end = i;
		while (i < len && http_is_ows((unsigned char)value[i]))
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
