/* httpchars — the character classes of HTTP's grammar (RFC 9110 section 5.6),
 * shared by every parser of header fields, media types and configuration
 * values, so that "token" means one thing everywhere.
 *
 * A table lookup per byte: the parsers call these in their inner loops. */
#ifndef SWITCHBOARD_HTTPCHARS_H
#define SWITCHBOARD_HTTPCHARS_H

#include <stdbool.h>
#include <stddef.h>

enum {
	HTTP_CHAR_TCHAR = 1u << 0, /* token: methods, field names, media types */
	HTTP_CHAR_OWS = 1u << 1,   /* optional whitespace: SP, HTAB */
	HTTP_CHAR_VALUE = 1u << 2, /* field-value: VCHAR, SP, HTAB, obs-text */
	HTTP_CHAR_VCHAR = 1u << 3, /* visible ASCII: the bytes of a request-target */
	HTTP_CHAR_HOST = 1u << 4,  /* unreserved, sub-delims: reg-name bytes (RFC 3986) */
	HTTP_CHAR_HEX = 1u << 5,   /* HEXDIG, either case */
	HTTP_CHAR_DIGIT = 1u << 6, /* DIGIT */
};

extern const unsigned char http_char_class[256];

static inline bool http_is_tchar(unsigned char c)
{
	return (http_char_class[c] & HTTP_CHAR_TCHAR) != 0;
}

static inline bool http_is_ows(unsigned char c)
{
	return (http_char_class[c] & HTTP_CHAR_OWS) != 0;
}

static inline bool http_is_field_value_byte(unsigned char c)
{
	return (http_char_class[c] & HTTP_CHAR_VALUE) != 0;
}

static inline bool http_is_vchar(unsigned char c)
{
	return (http_char_class[c] & HTTP_CHAR_VCHAR) != 0;
}

static inline bool http_is_host_byte(unsigned char c)
{
	return (http_char_class[c] & HTTP_CHAR_HOST) != 0;
}

static inline bool http_is_hex(unsigned char c)
{
	return (http_char_class[c] & HTTP_CHAR_HEX) != 0;
}

static inline bool http_is_digit(unsigned char c)
{
	return (http_char_class[c] & HTTP_CHAR_DIGIT) != 0;
}

/* A non-empty NUL-terminated run of tchar. */
bool http_is_token(const char *s);

#endif
