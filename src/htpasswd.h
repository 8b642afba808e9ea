/* htpasswd — a user file for Basic authentication: "user:hash" lines.
 *
 * Only hashes that libcrypt verifies at a cost chosen to be slow are taken:
 * bcrypt ("$2y$", "$2b$"), yescrypt ("$y$") and sha512-crypt ("$6$"). Every
 * other kind is refused with its line: plaintext, MD5 ("$apr1$", "$1$"),
 * SHA1 ("{SHA}"), DES crypt (13 characters) and schemes we do not know. A file
 * with a weak entry is refused whole, so that no account silently stops
 * working (or silently keeps a weak hash).
 *
 * Empty lines and lines starting with '#' are skipped; a CR before the LF is
 * dropped. Pure: text in, entries out; the caller reads the file. */
#ifndef SWITCHBOARD_HTPASSWD_H
#define SWITCHBOARD_HTPASSWD_H

#include <stddef.h>

/* A user name longer than this is refused (in the file, and in a request). */
#define HTPASSWD_USER_MAX 255
/* The longest hash line we take: yescrypt with large parameters fits. */
#define HTPASSWD_HASH_MAX 255

struct htpasswd_entry {
	char *user;
	char *hash;
};

struct htpasswd {
	struct htpasswd_entry *entries;
	size_t count;
};

/* Parse text[0..len). Returns 0, or -1 with "LINE: what is wrong" in err
 * (nothing is kept then). A file without any user is refused too. */
int htpasswd_parse(const char *text, size_t len, struct htpasswd *out, char *err, size_t err_size);

void htpasswd_free(struct htpasswd *h);

/* The entry of user[0..len), or NULL. */
const struct htpasswd_entry *htpasswd_find(const struct htpasswd *h, const char *user, size_t len);

#endif
