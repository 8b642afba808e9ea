/* Fuzz target for htpasswd_parse.
 *
 * Input: a user file. A file taken has at least one user; every user is
 * non-empty, without a colon or a control byte, appears once and is found
 * by htpasswd_find; every hash is of a strong kind. A file refused says
 * "LINE: ..." and keeps nothing. Any broken rule aborts. */
#include "htpasswd.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_htpasswd: %s\n", what);
		abort();
	}
}

static int strong(const char *hash)
{
	return strncmp(hash, "$2y$", 4) == 0 || strncmp(hash, "$2b$", 4) == 0 ||
	       strncmp(hash, "$6$", 3) == 0 || strncmp(hash, "$y$", 3) == 0;
}

static void check_user(const struct htpasswd *h, const struct htpasswd_entry *e)
{
	size_t len = strlen(e->user);
	check(len > 0 && len <= HTPASSWD_USER_MAX, "user length");
	for (size_t i = 0; i < len; i++)
		check(e->user[i] != ':' && (unsigned char)e->user[i] >= 0x20 && e->user[i] != 0x7f,
		      "colon or control byte in a user");
	check(htpasswd_find(h, e->user, len) == e, "user not found, or found twice");
	check(strong(e->hash), "a weak hash taken");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct htpasswd h;
	char err[512];
	char *text = malloc(size > 0 ? size : 1); /* exactly sized, for the sanitizers */
	check(text != NULL, "out of memory");
	if (size > 0)
		memcpy(text, data, size);
	int rc = htpasswd_parse(text, size, &h, err, sizeof err);
	free(text);
	if (rc == 0) {
		check(h.count >= 1, "a file taken without users");
		for (size_t i = 0; i < h.count; i++)
			check_user(&h, &h.entries[i]);
		htpasswd_free(&h);
		return 0;
	}
	size_t digits = strspn(err, "0123456789");
	check(digits > 0 && strncmp(err + digits, ": ", 2) == 0, "a refusal without its line");
	check(h.entries == NULL && h.count == 0, "a refused file kept entries");
	return 0;
}
