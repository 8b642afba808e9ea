/* urlpath — from an HTTP request-target to a safe path below the document root.
 *
 * The target is read once, left to right, one raw segment (between raw '/') at a
 * time. Each segment is percent-decoded exactly once and classified before any of
 * it is written, so "." and ".." never reach the output, not even for a moment:
 * out needs room for the longest path seen along the way (in "/a/bb/../c" that
 * is "a/bb"), never for a dot segment, and never more than target_len + 1.
 *
 * Policies beyond the header:
 *   - A segment that is "." or ".." (after decoding) names a directory, so a
 *     target whose last segment is one of them sets trailing_slash, like a
 *     target that ends in '/'. Hence the root ("" as path) always has
 *     trailing_slash set, and "/sub/.." means the root directory itself.
 *   - Absolute-form needs a non-empty authority without userinfo ('@'):
 *     RFC 9110 (4.2.1, 4.2.4) says to reject both as invalid.
 *   - Raw control bytes and DEL are refused anywhere in the target, including
 *     the authority and the query, because the query is handed on undecoded.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "urlpath.h"

#include "httpchars.h"

#include <string.h>

enum { BAD_REQUEST = 400, NOT_FOUND = 404 };

static const char WELL_KNOWN[] = ".well-known";

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7F;
}

static unsigned char ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool has_prefix_nocase(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ascii_lower((unsigned char)s[i]) != (unsigned char)prefix[i])
			return false;
	return true;
}

/* Rejected anywhere in the target: fragments are never sent by clients, and
 * control bytes have no business in a path, a host or a logged query. */
static bool target_has_forbidden_byte(const char *target, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)target[i];
		if (c == '#' || is_control(c))
			return true;
	}
	return false;
}

/* Find where the path starts and ends (before any '?'). An absolute-form target
 * without a path, like "http://host" or "http://host?q", has the path "/",
 * reported here as an empty span. Returns 0 or 400. */
static int locate_path(const char *target, size_t len, size_t *path_begin, size_t *path_end)
{
	size_t pos;

	if (len > 0 && target[0] == '/') {
		pos = 0;
	} else {
		static const char *const schemes[] = {"http://", "https://"};
		size_t authority = 0;

		for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
			if (has_prefix_nocase(target, len, schemes[i]))
				authority = strlen(schemes[i]);
		if (authority == 0)
			return BAD_REQUEST;
		pos = authority;
		while (pos < len && target[pos] != '/' && target[pos] != '?') {
			if (target[pos] == '@')
				return BAD_REQUEST;
			pos++;
		}
		if (pos == authority)
			return BAD_REQUEST;
	}
	*path_begin = pos;
	while (pos < len && target[pos] != '?')
		pos++;
	*path_end = pos;
	return 0;
}

/* Bytes a decoded path may not hold: NUL would cut it short, a decoded '/'
 * would smuggle a separator past the segment logic, and control bytes have no
 * business in a file name that is logged and shown. */
static bool is_refused_in_path(unsigned char c)
{
	return c == '\0' || c == '/' || is_control(c);
}

/* Decode the byte at *pos of a raw segment, advancing *pos past it. */
static int decode_byte(const char *seg, size_t seg_len, size_t *pos, unsigned char *byte)
{
	unsigned char c = (unsigned char)seg[*pos];

	if (c == '%') {
		if (seg_len - *pos < 3)
			return BAD_REQUEST;
		int high = http_hex_value((unsigned char)seg[*pos + 1]);
		int low = http_hex_value((unsigned char)seg[*pos + 2]);
		if (high < 0 || low < 0)
			return BAD_REQUEST;
		c = (unsigned char)(high << 4 | low);
		*pos += 3;
	} else {
		*pos += 1;
	}
	if (is_refused_in_path(c))
		return BAD_REQUEST;
	*byte = c;
	return 0;
}

enum segment_kind { SEGMENT_EMPTY, SEGMENT_DOT, SEGMENT_DOT_DOT, SEGMENT_NAME };

/* Validate a raw segment and learn what it decodes to without writing it. */
static int classify_segment(const char *seg, size_t seg_len, enum segment_kind *kind,
                            size_t *decoded_len)
{
	size_t pos = 0, n = 0, dots = 0;

	while (pos < seg_len) {
		unsigned char c;
		int status = decode_byte(seg, seg_len, &pos, &c);
		if (status != 0)
			return status;
		if (c == '.')
			dots++;
		n++;
	}
	*decoded_len = n;
	if (n == 0)
		*kind = SEGMENT_EMPTY;
	else if (n == 1 && dots == 1)
		*kind = SEGMENT_DOT;
	else if (n == 2 && dots == 2)
		*kind = SEGMENT_DOT_DOT;
	else
		*kind = SEGMENT_NAME;
	return 0;
}

/* Append an already validated raw segment, decoded, to out. */
static void write_segment(const char *seg, size_t seg_len, char *out)
{
	size_t pos = 0, n = 0;

	while (pos < seg_len) {
		unsigned char c = 0;
		(void)decode_byte(seg, seg_len, &pos, &c);
		out[n++] = (char)c;
	}
}

/* Drop the last segment of out[0..*len), if any. */
static bool pop_segment(const char *out, size_t *len)
{
	if (*len == 0)
		return false;
	const char *slash = memrchr(out, '/', *len);
	*len = slash ? (size_t)(slash - out) : 0;
	return true;
}

static bool is_well_known_at_root(const char *seg, size_t seg_len, bool first)
{
	return first && seg_len == sizeof(WELL_KNOWN) - 1 && memcmp(seg, WELL_KNOWN, seg_len) == 0;
}

/* Any segment of the normalised path that starts with '.' is hidden. */
static bool has_forbidden_hidden_segment(const char *path, size_t len)
{
	size_t begin = 0;

	while (begin < len) {
		const char *slash = memchr(path + begin, '/', len - begin);
		size_t end = slash ? (size_t)(slash - path) : len;
		if (path[begin] == '.' &&
		    !is_well_known_at_root(path + begin, end - begin, begin == 0))
			return true;
		begin = end + 1;
	}
	return false;
}

/* Decode and normalise the raw path span into out. The path span always begins
 * with '/' unless it is empty, so every segment follows a raw '/'. */
static int normalise_path(const char *raw, size_t raw_len, char *out, size_t out_size,
                          size_t *out_len, bool *trailing_slash)
{
	size_t len = 0, pos = 0;
	enum segment_kind last = SEGMENT_EMPTY;

	while (pos < raw_len) {
		size_t seg_begin = pos + 1; /* skip the '/' */
		const char *slash = memchr(raw + seg_begin, '/', raw_len - seg_begin);
		size_t seg_end = slash ? (size_t)(slash - raw) : raw_len;
		size_t seg_len = seg_end - seg_begin, decoded_len;
		int status = classify_segment(raw + seg_begin, seg_len, &last, &decoded_len);

		if (status != 0)
			return status;
		if (last == SEGMENT_DOT_DOT && !pop_segment(out, &len))
			return BAD_REQUEST; /* would climb above the root */
		if (last == SEGMENT_NAME) {
			size_t separator = len > 0 ? 1 : 0;
			/* Room for the separator, the segment and the final NUL. */
			if (out_size - len <= separator + decoded_len)
				return BAD_REQUEST;
			if (separator)
				out[len++] = '/';
			write_segment(raw + seg_begin, seg_len, out + len);
			len += decoded_len;
		}
		pos = seg_end;
	}
	out[len] = '\0';
	*out_len = len;
	*trailing_slash = last != SEGMENT_NAME;
	return 0;
}

int urlpath_resolve(const char *target, size_t target_len, unsigned flags, char *out,
                    size_t out_size, struct urlpath *res)
{
	size_t path_begin, path_end, len;
	bool trailing_slash;
	int status;

	memset(res, 0, sizeof(*res));
	if (out_size == 0 || target_has_forbidden_byte(target, target_len))
		return BAD_REQUEST;
	status = locate_path(target, target_len, &path_begin, &path_end);
	if (status == 0)
		status = normalise_path(target + path_begin, path_end - path_begin, out, out_size,
		                        &len, &trailing_slash);
	if (status == 0 && !(flags & URLPATH_ALLOW_HIDDEN) &&
	    has_forbidden_hidden_segment(out, len))
		status = NOT_FOUND;
	if (status != 0) {
		out[0] = '\0';
		return status;
	}
	res->path = out;
	res->len = len;
	res->trailing_slash = trailing_slash;
	if (path_end < target_len) {
		res->query = target + path_end + 1;
		res->query_len = target_len - path_end - 1;
	}
	return 0;
}

bool urlpath_name_servable(const char *name, size_t len)
{
	if (len == 0 || (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.'))))
		return false;
	for (size_t i = 0; i < len; i++)
		if (is_refused_in_path((unsigned char)name[i]))
			return false;
	return true;
}

/* RFC 3986: unreserved, plus '/' and the characters a path segment may hold
 * unescaped (sub-delims, ':' and '@'). */
static bool is_safe_in_path(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("-._~/!$&'()*+,;=:@", c) != NULL;
}

size_t urlpath_encode(const char *path, size_t len, char *out, size_t out_size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t needed = 0, written = 0;
	bool truncated = false;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		char unit[3] = {(char)c, 0, 0};
		size_t unit_len = 1;

		if (!is_safe_in_path(c)) {
			unit[0] = '%';
			unit[1] = hex[c >> 4];
			unit[2] = hex[c & 0x0F];
			unit_len = 3;
		}
		needed += unit_len;
		/* Truncate only between whole units: never a dangling "%4". */
		if (!truncated && out_size > written + unit_len) {
			memcpy(out + written, unit, unit_len);
			written += unit_len;
		} else {
			truncated = true;
		}
	}
	if (out_size > 0)
		out[written] = '\0';
	return needed;
}
