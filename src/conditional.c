#include "autoconfig.h"

#include "conditional.h"
#include "httpchars.h"

#include "httpdate.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static char *put_hex(char *w, uint64_t n)
{
	static const char hex[] = "0123456789abcdef";
	char digits[16];
	size_t i = sizeof digits;
	do {
		digits[--i] = hex[n & 15];
		n >>= 4;
	} while (n != 0);
	memcpy(w, digits + i, sizeof digits - i);
	return w + (sizeof digits - i);
}

/* All 16 digits, so that every hash tag of one size has the same length. */
static char *put_hex16(char *w, uint64_t n)
{
	static const char hex[] = "0123456789abcdef";
	for (int shift = 60; shift >= 0; shift -= 4)
		*w++ = hex[(n >> shift) & 15];
	return w;
}

/* By hand: one is made for every file response. At most 2 + 3 * 16 + 2 bytes. */
void etag_from_content(uint64_t size, uint64_t hash, char out[ETAG_MAX])
{
	char *w = out;
	*w++ = '"';
	w = put_hex(w, size);
	*w++ = '-';
	w = put_hex16(w, hash);
	*w++ = '"';
	*w = '\0';
}

void etag_from_stat(const struct stat *st, char out[ETAG_MAX])
{
	char *w = out;
	*w++ = '"';
	w = put_hex(w, (uint64_t)st->st_size);
	*w++ = '-';
	w = put_hex(w, (uint64_t)st->st_mtim.tv_sec);
	*w++ = '.';
	w = put_hex(w, (uint64_t)st->st_mtim.tv_nsec);
	*w++ = '"';
	*w = '\0';
}

/* entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; returns its end, or 0 if malformed. */
static size_t scan_entity_tag(const char *s, size_t len, size_t i, bool *is_weak,
                              size_t *opaque_start)
{
	*is_weak = len - i >= 2 && s[i] == 'W' && s[i + 1] == '/';
	if (*is_weak)
		i += 2;
	if (i >= len || s[i] != '"')
		return 0;
	*opaque_start = i;
	for (i++; i < len && s[i] != '"'; i++)
		if ((unsigned char)s[i] < 0x21 || s[i] == 0x7f)
			return 0;
	return i < len ? i + 1 : 0;
}

/* #entity-tag with OWS around the commas (RFC 9110 section 5.6.1). Calls match for each
 * tag; false when the list is malformed anywhere. */
static bool scan_etag_list(const char *list, size_t len, const char *etag, bool weak, bool *matched)
{
	size_t etag_len = strlen(etag);
	size_t i = 0;
	bool need_comma = false;
	*matched = false;
	while (i < len) {
		if (http_is_ows((unsigned char)list[i])) {
			i++;
			continue;
		}
		if (list[i] == ',') {
			need_comma = false;
			i++;
			continue;
		}
		if (need_comma)
			return false; /* two tags with no comma between them */
		bool is_weak;
		size_t opaque;
		size_t next = scan_entity_tag(list, len, i, &is_weak, &opaque);
		if (next == 0)
			return false;
		/* Our own tags are always strong. */
		if ((weak || !is_weak) && next - opaque == etag_len &&
		    memcmp(list + opaque, etag, etag_len) == 0)
			*matched = true;
		i = next;
		need_comma = true;
	}
	return true;
}

static bool is_star(const char *list, size_t len)
{
	size_t i = 0, end = len;
	while (i < end && http_is_ows((unsigned char)list[i]))
		i++;
	while (end > i && http_is_ows((unsigned char)list[end - 1]))
		end--;
	/* cppcheck-suppress knownConditionTrueFalse ; "*" alone: i == 0, end == 1 */
	return end - i == 1 && list[i] == '*';
}

bool etag_list_matches(const char *list, size_t len, const char *etag, bool weak)
{
	if (is_star(list, len))
		return true;
	bool matched;
	/* A malformed list matches nothing, wherever the fault is. */
	return scan_etag_list(list, len, etag, weak, &matched) && matched;
}

static bool span_date(const char *data, struct http_span s, time_t *t)
{
	return s.len > 0 && httpdate_parse(http_span_ptr(data, s), s.len, t);
}

enum conditional_result conditional_evaluate(const struct http_request *req, const char *data,
                                             const char *etag, time_t mtime)
{
	time_t date;
	if (req->if_match.len > 0) {
		if (!etag_list_matches(http_span_ptr(data, req->if_match), req->if_match.len, etag,
		                       false))
			return CONDITIONAL_PRECONDITION_FAILED;
	} else if (span_date(data, req->if_unmodified_since, &date) && mtime > date) {
		return CONDITIONAL_PRECONDITION_FAILED;
	}
	if (req->if_none_match.len > 0) {
		if (etag_list_matches(http_span_ptr(data, req->if_none_match),
		                      req->if_none_match.len, etag, true))
			return CONDITIONAL_NOT_MODIFIED;
	} else if (span_date(data, req->if_modified_since, &date) && mtime <= date) {
		return CONDITIONAL_NOT_MODIFIED;
	}
	return CONDITIONAL_PROCEED;
}

enum conditional_result conditional_evaluate_untagged(const struct http_request *req,
                                                      const char *data)
{
	if (req->if_match.len > 0 &&
	    !is_star(http_span_ptr(data, req->if_match), req->if_match.len))
		return CONDITIONAL_PRECONDITION_FAILED;
	if (req->if_none_match.len > 0 &&
	    is_star(http_span_ptr(data, req->if_none_match), req->if_none_match.len))
		return CONDITIONAL_NOT_MODIFIED;
	return CONDITIONAL_PROCEED;
}

bool conditional_range_allowed(const struct http_request *req, const char *data, const char *etag,
                               time_t mtime)
{
	if (req->if_range.len == 0)
		return true;
	const char *value = http_span_ptr(data, req->if_range);
	size_t len = req->if_range.len;
	time_t date;
	/* If-Range = entity-tag / HTTP-date: one tag filling the whole value, which
	 * must match strongly; "Wed, ..." is a date, not a weak tag. */
	if (value[0] == '"' || (len >= 2 && value[0] == 'W' && value[1] == '/')) {
		bool is_weak;
		size_t opaque;
		size_t end = scan_entity_tag(value, len, 0, &is_weak, &opaque);
		return end == len && !is_weak && end - opaque == strlen(etag) &&
		       memcmp(value + opaque, etag, end - opaque) == 0;
	}
	return httpdate_parse(value, len, &date) && date == mtime;
}
