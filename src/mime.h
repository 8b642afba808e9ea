/* mime — media types by file name extension.
 *
 * Types come from a mime.types file (the system's /etc/mime.types by default),
 * with a small built-in table behind it for the common web types. */
#ifndef SWITCHBOARD_MIME_H
#define SWITCHBOARD_MIME_H

#include <stddef.h>

struct mime_types;

/* Load a mime.types file ("type ext ext ..." lines, '#' comments).
 * path == NULL: built-in table only. A path that cannot be opened is an error:
 * returns NULL and writes "PATH: reason" into err. Later lines override
 * earlier ones for the same extension. */
struct mime_types *mime_types_load(const char *path, char *err, size_t err_size);

/* The media type for a file name (the last path segment is used; the extension is
 * what follows its last '.', compared case-insensitively), looked up first in the
 * loaded file, then in the built-in table. NULL when unknown or no extension.
 * Leading dots do not start an extension (".bashrc" has none). mt == NULL
 * means the built-in table alone. Never allocates; safe to call concurrently. */
const char *mime_types_lookup(const struct mime_types *mt, const char *name, size_t len);

void mime_types_free(struct mime_types *mt);

#endif
