#include "autoconfig.h"

#include "response.h"

#include "httpdate.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for the longest error page: a fixed text around two reason phrases. */
#define ERROR_PAGE_MAX 256

void response_init(struct response *r)
{
	/* Everything but the storage that extra_count and text_used describe. */
	memset(r, 0, offsetof(struct response, extra));
}

void response_release(struct response *r)
{
	if (r->body.kind != BODY_NONE)
		body_release(&r->body);
	if (r->prepared_owner.kind != BODY_NONE)
		body_release(&r->prepared_owner);
	r->prepared = NULL;
	if (r->location_owned != NULL) {
		free(r->location_owned);
		r->location_owned = NULL;
		r->location = NULL;
	}
}

const char *response_keep(struct response *r, const char *s, size_t len)
{
	if (len >= sizeof r->text - r->text_used)
		return NULL;
	char *copy = r->text + r->text_used;
	memcpy(copy, s, len);
	copy[len] = '\0';
	r->text_used += len + 1;
	return copy;
}

const char *response_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 206:
		return "Partial Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 307:
		return "Temporary Redirect";
	case 308:
		return "Permanent Redirect";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 408:
		return "Request Timeout";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 416:
		return "Range Not Satisfiable";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

const char *response_date_now(void)
{
	return response_date(time(NULL));
}

const char *response_date(time_t now)
{
	static time_t cached_at = -1;
	static char date[HTTPDATE_LEN + 1];
	if (now != cached_at) {
		httpdate_format(now, date);
		cached_at = now;
	}
	return date;
}

/* Last-Modified of the file served last: one file served over and over is
 * the common case, and formatting a date is not free. */
static const char *last_modified_text(time_t t)
{
	static time_t formatted = -1;
	static char text[HTTPDATE_LEN + 1];
	if (t != formatted) {
		httpdate_format(t, text);
		formatted = t;
	}
	return text;
}

/* "Name: value\r\n" */
static int append_field(struct buf *out, const char *name, const char *value)
{
	int rc = buf_append_str(out, name);
	rc |= buf_append(out, ": ", 2);
	rc |= buf_append_str(out, value);
	return rc | buf_append(out, "\r\n", 2);
}

static int append_content_range(struct buf *out, const struct response *r)
{
	int rc = buf_append_str(out, "Content-Range: bytes ");
	if (r->range == RESPONSE_RANGE_PARTIAL) {
		rc |= buf_append_u64(out, r->range_first);
		rc |= buf_append(out, "-", 1);
		rc |= buf_append_u64(out, r->range_first + r->content_length - 1);
	} else {
		rc |= buf_append(out, "*", 1);
	}
	rc |= buf_append(out, "/", 1);
	rc |= buf_append_u64(out, r->complete_length);
	return rc | buf_append(out, "\r\n", 2);
}

/* One Vary field for every request field the answer depends on. */
static int append_vary(struct buf *out, const struct response *r)
{
	const char *parts[3];
	size_t n = 0;
	if (r->vary_accept_encoding)
		parts[n++] = "Accept-Encoding";
	if (r->vary_accept)
		parts[n++] = "Accept";
	if (r->vary_cors != NULL)
		parts[n++] = r->vary_cors;
	if (n == 0)
		return 0;
	int rc = buf_append_str(out, "Vary: ");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			rc |= buf_append(out, ", ", 2);
		rc |= buf_append_str(out, parts[i]);
	}
	return rc | buf_append(out, "\r\n", 2);
}

/* The status line and the fields that a prepared head holds: everything up
 * to Accept-Ranges. *date_at: where the Date value begins in out. */
static int write_fixed_fields(struct buf *out, const struct response *r, const char *date,
                              size_t *date_at)
{
	int rc = buf_append_str(out, "HTTP/1.1 ");
	rc |= buf_append_u64(out, (uint64_t)r->status);
	rc |= buf_append(out, " ", 1);
	rc |= buf_append_str(out, response_reason(r->status));
	rc |= buf_append_str(out, "\r\nServer: " PACKAGE_NAME "/" PACKAGE_VERSION "\r\nDate: ");
	*date_at = out->end;
	rc |= buf_append_str(out, date);
	rc |= buf_append(out, "\r\n", 2);
	if (r->content_type != NULL)
		rc |= append_field(out, "Content-Type", r->content_type);
	/* A 304 has no content; its length would be the 200's, so it is left out.
	 * A 204 never has one (RFC 9110 section 8.6). */
	if (r->framing == FRAMING_CHUNKED) {
		rc |= buf_append_str(out, "Transfer-Encoding: chunked\r\n");
	} else if (r->framing == FRAMING_LENGTH && r->status != 304 && r->status != 204) {
		rc |= buf_append_str(out, "Content-Length: ");
		rc |= buf_append_u64(out, r->content_length);
		rc |= buf_append(out, "\r\n", 2);
	}
	if (r->has_last_modified)
		rc |= append_field(out, "Last-Modified", last_modified_text(r->last_modified));
	if (r->content_encoding != NULL)
		rc |= append_field(out, "Content-Encoding", r->content_encoding);
	rc |= append_vary(out, r);
	if (r->etag != NULL)
		rc |= append_field(out, "ETag", r->etag);
	if (r->accept_ranges)
		rc |= buf_append_str(out, "Accept-Ranges: bytes\r\n");
	return rc;
}

/* The fields after Accept-Ranges, which may differ from one response to the
 * next, and the empty line. */
static int write_varying_fields(struct buf *out, const struct response *r)
{
	int rc = 0;
	if (r->range != RESPONSE_RANGE_NONE)
		rc |= append_content_range(out, r);
	if (r->location != NULL)
		rc |= append_field(out, "Location", r->location);
	if (r->allow != NULL)
		rc |= append_field(out, "Allow", r->allow);
	if (r->cors_origin != NULL)
		rc |= buf_append_str(out, r->cors_origin);
	if (r->cors_fields != NULL)
		rc |= buf_append_str(out, r->cors_fields);
	for (size_t i = 0; i < r->extra_count; i++)
		rc |= buf_append_str(out, r->extra[i]);
	if (r->connection == RESPONSE_CLOSE)
		rc |= buf_append_str(out, "Connection: close\r\n");
	else if (r->connection == RESPONSE_KEEP_ALIVE_HTTP10)
		rc |= buf_append_str(out, "Connection: keep-alive\r\n");
	return rc | buf_append(out, "\r\n", 2);
}

bool response_prepared_fits(const struct response_prepared *p, const struct response *r)
{
	return r->status == p->status && r->content_length == p->content_length &&
	       r->framing == FRAMING_LENGTH && r->range == RESPONSE_RANGE_NONE &&
	       r->accept_ranges && r->content_type == p->content_type &&
	       r->content_encoding == p->content_encoding &&
	       r->vary_accept_encoding == p->vary_accept_encoding &&
	       r->vary_accept == p->vary_accept && r->vary_cors == p->vary_cors;
}

/* The prepared bytes, with this second's date in place. */
static int copy_prepared(struct buf *out, const struct response_prepared *p, const char *date)
{
	if (buf_reserve(out, p->len) < 0)
		return -1;
	char *at = out->data + out->end;
	memcpy(at, p->bytes, p->len);
	memcpy(at + p->date_at, date, HTTPDATE_LEN);
	out->end += p->len;
	return 0;
}

int response_write_head(struct buf *out, const struct response *r, const char *date)
{
	int rc;
	if (r->prepared != NULL && response_prepared_fits(r->prepared, r)) {
		rc = copy_prepared(out, r->prepared, date);
	} else {
		size_t date_at;
		rc = write_fixed_fields(out, r, date, &date_at);
	}
	rc |= write_varying_fields(out, r);
	return rc < 0 ? -1 : 0;
}

/* Any IMF-fixdate: a prepared head's Date is overwritten each time it is sent. */
#define DATE_PLACEHOLDER "Thu, 01 Jan 1970 00:00:00 GMT"
_Static_assert(sizeof DATE_PLACEHOLDER - 1 == HTTPDATE_LEN, "dates have one length");

struct response_prepared *response_prepare(const struct response *r)
{
	if (r->status != 200 || r->framing != FRAMING_LENGTH || r->range != RESPONSE_RANGE_NONE ||
	    !r->accept_ranges || r->etag == NULL)
		return NULL;
	size_t etag_len = strlen(r->etag);
	if (etag_len >= RESPONSE_ETAG_MAX)
		return NULL;
	struct buf head = BUF_INIT;
	size_t date_at;
	if (write_fixed_fields(&head, r, DATE_PLACEHOLDER, &date_at) < 0) {
		buf_free(&head);
		return NULL;
	}
	size_t type_len = r->content_type != NULL ? strlen(r->content_type) + 1 : 0;
	struct response_prepared *p = malloc(sizeof *p + buf_len(&head) + type_len);
	if (p != NULL) {
		p->status = r->status;
		p->content_length = r->content_length;
		p->content_encoding = r->content_encoding;
		p->vary_accept_encoding = r->vary_accept_encoding;
		p->vary_accept = r->vary_accept;
		p->vary_cors = r->vary_cors;
		p->date_at = date_at - head.start;
		p->len = buf_len(&head);
		memcpy(p->bytes, buf_head(&head), p->len);
		memset(p->etag, 0, sizeof p->etag); /* copied whole by its users */
		memcpy(p->etag, r->etag, etag_len + 1);
		p->content_type = NULL;
		if (r->content_type != NULL)
			p->content_type = memcpy(p->bytes + p->len, r->content_type, type_len);
	}
	buf_free(&head);
	return p;
}

/* The whole page for an error status; the text is fixed, so it always fits. */
static size_t format_error_page(int status, char *page, size_t size)
{
	const char *reason = response_reason(status);
	int n = snprintf(page, size,
	                 "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>\n"
	                 "<body><h1>%d %s</h1></body></html>\n",
	                 status, reason, status, reason);
	return n < 0 ? 0 : (size_t)n;
}

void response_error(struct response *r, int status)
{
	char page[ERROR_PAGE_MAX];
	r->status = status;
	r->content_type = "text/html; charset=utf-8";
	r->content_length = format_error_page(status, page, sizeof page);
	r->has_last_modified = false;
	r->content_encoding = NULL; /* the page is ours, never a precompressed file */
	body_release(&r->body);
	r->error_page = true;
}

int response_append_error_body(struct buf *out, int status)
{
	char page[ERROR_PAGE_MAX];
	return buf_append(out, page, format_error_page(status, page, sizeof page));
}

int response_write(struct buf *out, const struct response *r, const char *date, size_t *head_len)
{
	size_t before = buf_len(out);
	if (response_write_head(out, r, date) < 0)
		return -1;
	*head_len = buf_len(out) - before;
	if (r->error_page && !r->head_only)
		return response_append_error_body(out, r->status);
	return 0;
}

int response_render_closing_error(struct buf *out, int status)
{
	struct response r;
	response_init(&r);
	response_error(&r, status);
	r.connection = RESPONSE_CLOSE;
	size_t head_len;
	return response_write(out, &r, response_date_now(), &head_len);
}

/* A chunk's size is written once its data is in the buffer: room is kept for
 * a fixed-width size (eight hex digits cover any piece we produce). */
#define CHUNK_SIZE_DIGITS 8

int response_generate(struct buf *out, struct body *b, bool chunked, size_t budget)
{
	size_t size_at = out->end;
	if (chunked && buf_append(out, "00000000\r\n", CHUNK_SIZE_DIGITS + 2) < 0)
		return -1;
	size_t data_at = out->end;
	int more = b->gen->next(b->gen_state, out, budget);
	if (more < 0)
		return -1;
	if (chunked) {
		size_t n = out->end - data_at;
		char size[CHUNK_SIZE_DIGITS + 1];
		snprintf(size, sizeof size, "%08zx", n);
		memcpy(out->data + size_at, size, CHUNK_SIZE_DIGITS);
		if (n == 0) /* no empty chunk: that would end the body */
			out->end = size_at;
		else if (buf_append(out, "\r\n", 2) < 0)
			return -1;
		if (!more && buf_append(out, "0\r\n\r\n", 5) < 0)
			return -1;
	}
	if (!more)
		body_release(b);
	return more;
}
