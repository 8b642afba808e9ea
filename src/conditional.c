#include "autoconfig.h"

#include "conditional.h"

#include "httpdate.h"

#include <stdio.h>
#include <string.h>

void etag_format(const struct stat *st, char out[ETAG_MAX])
{
	snprintf(out, ETAG_MAX, "\"%llx-%llx-%llx.%lx\"", (unsigned long long)st->st_ino,
		 (unsigned long long)st->st_size, (unsigned long long)st->st_mtim.tv_sec,
		 (unsigned long)st->st_mtim.tv_nsec);
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
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

bool etag_list_matches(const char *list, size_t len, const char *etag, bool weak)
{
	size_t i = 0;
	while (i < len && is_ows(list[i]))
		i++;
	size_t end = len;
	while (end > i && is_ows(list[end - 1]))
		end--;
	if (end - i == 1 && list[i] == '*')
		return true;
	size_t etag_len = strlen(etag);
	while (i < end) {
		while (i < end && (is_ows(list[i]) || list[i] == ','))
			i++;
		if (i == end)
			break;
		bool is_weak;
		size_t opaque;
		size_t next = scan_entity_tag(list, end, i, &is_weak, &opaque);
		if (next == 0)
			return false; /* a malformed list matches nothing */
		/* Our own tags are always strong. */
		if ((weak || !is_weak) && next - opaque == etag_len &&
		    memcmp(list + opaque, etag, etag_len) == 0)
			return true;
		i = next;
	}
	return false;
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

bool conditional_range_allowed(const struct http_request *req, const char *data,
			       const char *etag, time_t mtime)
{
	if (req->if_range.len == 0)
		return true;
	const char *value = http_span_ptr(data, req->if_range);
	time_t date;
	if (value[0] == '"' || value[0] == 'W')
		return etag_list_matches(value, req->if_range.len, etag, false);
	return httpdate_parse(value, req->if_range.len, &date) && date == mtime;
}
