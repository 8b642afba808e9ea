#include "autoconfig.h"

#include "htpasswd.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRONG_SCHEMES "use bcrypt, yescrypt or sha512-crypt (htpasswd -B, mkpasswd -m yescrypt)"

static int line_fail(char *err, size_t err_size, unsigned lineno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int line_fail(char *err, size_t err_size, unsigned lineno, const char *fmt, ...)
{
	int n = snprintf(err, err_size, "%u: ", lineno);
	if (n > 0 && (size_t)n < err_size) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err + n, err_size - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ------------------------------------------------------------ hash kinds */

/* The alphabet crypt(3) writes salts and digests in. */
static bool crypt64(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!(c == '.' || c == '/' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		      (c >= 'a' && c <= 'z')))
			return false;
	}
	return true;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* "$2y$NN$" and 53 characters of salt and digest: 60 in all. */
static bool bcrypt_well_formed(const char *h)
{
	return strlen(h) == 60 && h[4] >= '0' && h[4] <= '3' && h[5] >= '0' && h[5] <= '9' &&
	       h[6] == '$' && crypt64(h + 7, 53);
}

/* "$6$[rounds=N$]SALT$" and an 86-character digest. */
static bool sha512_well_formed(const char *h)
{
	const char *p = h + 3;
	if (starts_with(p, "rounds=")) {
		p += 7;
		size_t digits = strspn(p, "0123456789");
		if (digits == 0 || p[digits] != '$')
			return false;
		p += digits + 1;
	}
	const char *dollar = strchr(p, '$');
	if (dollar == NULL || dollar == p || dollar - p > 16 || !crypt64(p, (size_t)(dollar - p)))
		return false;
	return strlen(dollar + 1) == 86 && crypt64(dollar + 1, 86);
}

/* "$y$PARAMS$SALT$" and a 43-character digest. */
static bool yescrypt_well_formed(const char *h)
{
	const char *p = h + 3;
	for (int field = 0; field < 2; field++) {
		const char *dollar = strchr(p, '$');
		if (dollar == NULL || dollar == p || !crypt64(p, (size_t)(dollar - p)))
			return false;
		p = dollar + 1;
	}
	return strlen(p) == 43 && crypt64(p, 43);
}

/* NULL when hash is one we take; else why it is refused. */
static const char *hash_refusal(const char *hash)
{
	size_t len = strlen(hash);
	if (starts_with(hash, "$2y$") || starts_with(hash, "$2b$"))
		return bcrypt_well_formed(hash) ? NULL : "malformed bcrypt hash";
	if (starts_with(hash, "$6$"))
		return sha512_well_formed(hash) ? NULL : "malformed sha512-crypt hash";
	if (starts_with(hash, "$y$"))
		return yescrypt_well_formed(hash) ? NULL : "malformed yescrypt hash";
	if (starts_with(hash, "$apr1$") || starts_with(hash, "$1$"))
		return "MD5 hash refused";
	if (starts_with(hash, "{SHA}"))
		return "SHA1 hash refused";
	if (hash[0] == '$')
		return "unknown hash scheme refused";
	if (len == 13 && crypt64(hash, len))
		return "DES crypt hash refused";
	return "plaintext password refused";
}

/* ------------------------------------------------------------ lines */

static bool has_control_byte(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

/* One "user:hash" line (without its line end) into h. */
static int parse_entry(const char *line, size_t len, unsigned lineno, struct htpasswd *h, char *err,
                       size_t err_size)
{
	const char *colon = memchr(line, ':', len);
	if (colon == NULL)
		return line_fail(err, err_size, lineno, "not \"user:hash\"");
	size_t user_len = (size_t)(colon - line), hash_len = len - user_len - 1;
	if (user_len == 0)
		return line_fail(err, err_size, lineno, "empty user name");
	if (user_len > HTPASSWD_USER_MAX || has_control_byte(line, user_len))
		return line_fail(err, err_size, lineno,
		                 "user name too long (at most %d bytes) or with control bytes",
		                 HTPASSWD_USER_MAX);
	if (htpasswd_find(h, line, user_len) != NULL)
		return line_fail(err, err_size, lineno, "user '%.*s' appears twice", (int)user_len,
		                 line);
	if (hash_len == 0 || hash_len > HTPASSWD_HASH_MAX || has_control_byte(colon + 1, hash_len))
		return line_fail(err, err_size, lineno, "user '%.*s': missing or malformed hash",
		                 (int)user_len, line);
	struct htpasswd_entry e = {strndup(line, user_len), strndup(colon + 1, hash_len)};
	struct htpasswd_entry *grown = realloc(h->entries, (h->count + 1) * sizeof *grown);
	if (e.user == NULL || e.hash == NULL || grown == NULL) {
		free(e.user);
		free(e.hash);
		if (grown != NULL)
			h->entries = grown;
		return line_fail(err, err_size, lineno, "out of memory");
	}
	h->entries = grown;
	const char *why = hash_refusal(e.hash);
	if (why != NULL) {
		line_fail(err, err_size, lineno, "user '%s': %s; %s", e.user, why, STRONG_SCHEMES);
		free(e.user);
		free(e.hash);
		return -1;
	}
	h->entries[h->count++] = e;
	return 0;
}

int htpasswd_parse(const char *text, size_t len, struct htpasswd *out, char *err, size_t err_size)
{
	*out = (struct htpasswd){NULL, 0};
	unsigned lineno = 0;
	for (size_t at = 0; at < len;) {
		const char *line = text + at;
		const char *lf = memchr(line, '\n', len - at);
		size_t line_len = lf != NULL ? (size_t)(lf - line) : len - at;
		at += line_len + (lf != NULL);
		lineno++;
		if (line_len > 0 && line[line_len - 1] == '\r')
			line_len--;
		if (line_len == 0 || line[0] == '#')
			continue;
		if (memchr(line, '\0', line_len) != NULL) {
			htpasswd_free(out);
			return line_fail(err, err_size, lineno, "NUL byte in the line");
		}
		if (parse_entry(line, line_len, lineno, out, err, err_size) < 0) {
			htpasswd_free(out);
			return -1;
		}
	}
	if (out->count == 0) {
		snprintf(err, err_size, "%u: no users in the file", lineno);
		return -1;
	}
	return 0;
}

void htpasswd_free(struct htpasswd *h)
{
	for (size_t i = 0; i < h->count; i++) {
		free(h->entries[i].user);
		free(h->entries[i].hash);
	}
	free(h->entries);
	*h = (struct htpasswd){NULL, 0};
}

const struct htpasswd_entry *htpasswd_find(const struct htpasswd *h, const char *user, size_t len)
{
	for (size_t i = 0; i < h->count; i++)
		if (strlen(h->entries[i].user) == len && memcmp(h->entries[i].user, user, len) == 0)
			return &h->entries[i];
	return NULL;
}
