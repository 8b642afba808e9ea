/* credentials — the Authorization field of HTTP Basic authentication
 * (RFC 7617): "Basic", then base64 of "user:password".
 *
 * Strict: the scheme in any case, one or more spaces, then canonical base64
 * (RFC 4648 section 4: padded, no whitespace inside, the bits the padding
 * leaves unused all zero); the user ends at the first colon; a NUL byte in
 * either part, or a part too long, is malformed. Pure: bytes in, the user and
 * password out. */
#ifndef SWITCHBOARD_CREDENTIALS_H
#define SWITCHBOARD_CREDENTIALS_H

#include <stddef.h>

#include "htpasswd.h" /* HTPASSWD_USER_MAX */

/* The credentials a request may send: more base64 than this is refused (400). */
#define CREDENTIALS_MAX 1024
#define CREDENTIALS_PASSWORD_MAX 512
/* Strict base64 (RFC 4648 section 4, padded, no whitespace, unused bits 0)
 * into out. Returns the length decoded, or -1 when malformed or too long. */
long credentials_base64_decode(const char *in, size_t len, unsigned char *out, size_t out_size);

struct credentials {
	char user[HTPASSWD_USER_MAX + 1];
	size_t user_len;
	char password[CREDENTIALS_PASSWORD_MAX + 1]; /* NUL-terminated for crypt */
	size_t password_len;
};

enum credentials_parse {
	CREDENTIALS_OK,
	CREDENTIALS_OTHER_SCHEME, /* not Basic (or no field at all): challenge */
	CREDENTIALS_MALFORMED,    /* Basic, but not base64 of "user:password" */
};

/* An Authorization value: "Basic" (any case), spaces, token68. The user ends
 * at the first colon; a NUL in either part, or a part too long, is malformed. */
enum credentials_parse credentials_parse_basic(const char *value, size_t len,
                                               struct credentials *out);

#endif
