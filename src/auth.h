/* auth — HTTP Basic authentication (RFC 7617) for path prefixes.
 *
 * `auth_basic PREFIX REALM USERFILE`: requests whose decoded, normalised path
 * is PREFIX or lies below it ("/private" covers "/private" and "/private/x",
 * not "/privateer") need a user and password from USERFILE (htpasswd.h); the
 * longest matching prefix wins.
 *
 * The decision for one request: no rule, granted, challenged (401: no
 * credentials, another scheme, an unknown user or a wrong password),
 * malformed credentials (400), or deferred. Checking a password costs one
 * crypt(3) of a deliberately slow hash, and the server is one select() loop:
 *  - verified credentials are cached for AUTH_CACHE_TTL seconds, keyed by
 *    the user's entry and a keyed hash (SipHash-2-4, a random key made at
 *    start) of the password, never the password itself; a reload empties it;
 *  - at most AUTH_CRYPT_PER_TURN verifications run per turn of the loop
 *    (auth_turn_begin starts a turn): a request past that is deferred, and
 *    its connection asks again on a later turn.
 * An unknown user costs one crypt as well (against the file's first hash,
 * whose answer is then ignored), so the time taken does not tell which users
 * exist. Passwords are never logged or kept. */
#ifndef SWITCHBOARD_AUTH_H
#define SWITCHBOARD_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "credentials.h"
#include "htpasswd.h"

#define AUTH_REALM_MAX 128
#define AUTH_CACHE_SIZE 64
#define AUTH_CACHE_TTL 60 /* seconds */
#define AUTH_CRYPT_PER_TURN 1

struct auth_rule {
	char *prefix;    /* as written: "/private" */
	char *path;      /* normalised as a request path is: "private" ("" for "/") */
	char *realm;     /* printable ASCII, no '"' or '\' */
	char *user_file; /* as written, for messages */
	struct htpasswd users;
};

/* From the directive's values: checks them and reads the user file (before
 * any chroot or privilege drop, as the configuration is read). 0, or -1 with
 * what is wrong in err ("USERFILE:LINE: ..." for the file's faults). */
int auth_rule_parse(const char *prefix, const char *realm, const char *user_file,
                    struct auth_rule *out, char *err, size_t err_size);
void auth_rule_free(struct auth_rule *rule);

/* The rule for a normalised path (urlpath.h: no leading '/'), or NULL. */
const struct auth_rule *auth_rule_for(const struct auth_rule *rules, size_t count, const char *path,
                                      size_t len);

struct auth_cache_entry {
	const struct htpasswd_entry *entry; /* NULL: free */
	uint64_t tag;                       /* the keyed hash of the password */
	time_t verified;
};

struct auth_cache {
	struct auth_cache_entry entries[AUTH_CACHE_SIZE];
	uint64_t key[2];
	bool keyed; /* false: no random key could be made; nothing is cached */
};

/* A random key, and nothing cached. */
void auth_cache_init(struct auth_cache *c);
void auth_cache_clear(struct auth_cache *c);
uint64_t auth_cache_tag(const struct auth_cache *c, const char *password, size_t len);
bool auth_cache_lookup(const struct auth_cache *c, const struct htpasswd_entry *e, uint64_t tag,
                       time_t now);
/* Replaces a free or expired entry, else the oldest. */
void auth_cache_store(struct auth_cache *c, const struct htpasswd_entry *e, uint64_t tag,
                      time_t now);

/* What every site's rules share in a process: the cache of verified
 * credentials and this turn's budget of verifications. */
struct auth {
	struct auth_cache cache;
	unsigned budget;
	uint64_t crypt_calls; /* verifications run, for the tests and the curious */
};

/* At start, once: a random key for the cache (auth_cache_init). Then at start
 * and on every reload (the rules the cache's entries point into change): an
 * empty cache. */
void auth_reset(struct auth *a);

/* A new turn of the loop: its budget of verifications. Inline: it runs
 * every turn, with or without rules. */
static inline void auth_turn_begin(struct auth *a)
{
	a->budget = AUTH_CRYPT_PER_TURN;
}

enum auth_verdict {
	AUTH_OPEN,      /* no rule covers the path */
	AUTH_GRANTED,   /* the user is known and the password right */
	AUTH_CHALLENGE, /* 401 with the rule's realm */
	AUTH_MALFORMED, /* 400: the credentials are not Basic's syntax */
	AUTH_DEFERRED,  /* this turn's verifications are spent: ask again later */
};

struct auth_decision {
	const struct auth_rule *rule; /* the rule that applied (NULL: AUTH_OPEN) */
	char user[HTPASSWD_USER_MAX + 1];
	size_t user_len; /* the user the request named (0: none), for the log */
};

/* The decision under rules (a site's, count of them) for a request-target
 * (as received) and its Authorization value (len 0: none). now: the wall
 * clock, for the cache. */
enum auth_verdict auth_decide(struct auth *a, const struct auth_rule *rules, size_t count,
                              const char *target, size_t target_len, const char *authorization,
                              size_t authorization_len, time_t now, struct auth_decision *out);

/* The WWW-Authenticate field line (with its CRLF) for rule into out; its
 * length, or 0 when it does not fit. */
size_t auth_challenge_line(const struct auth_rule *rule, char *out, size_t size);

#endif
