#include "autoconfig.h"

#include "auth.h"

#include "urlpath.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

/* A user file larger than this is refused: it is read whole, at start. */
#define USER_FILE_MAX ((long)4 * 1024 * 1024)

/* ------------------------------------------------------------ rules */

static bool realm_acceptable(const char *realm)
{
	size_t len = strlen(realm);
	if (len == 0 || len > AUTH_REALM_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (realm[i] < 0x20 || realm[i] > 0x7e || realm[i] == '"' || realm[i] == '\\')
			return false;
	return true;
}

/* The size of the open user file in *size, and NULL; or why it is refused. */
static const char *user_file_size(FILE *f, size_t *size)
{
	struct stat st;
	if (fstat(fileno(f), &st) < 0)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (st.st_size > USER_FILE_MAX)
		return "larger than 4 MiB";
	*size = (size_t)st.st_size;
	return NULL;
}

/* The whole file into a NUL-terminated buffer (*len bytes), or NULL with err.
 * Sized by fstat: a regular file of at most USER_FILE_MAX bytes. */
static char *read_user_file(const char *path, size_t *len, char *err, size_t err_size)
{
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return NULL;
	}
	size_t size = 0;
	const char *why = user_file_size(f, &size);
	char *text = why == NULL ? malloc(size + 1) : NULL;
	if (why == NULL && text == NULL)
		why = "out of memory";
	if (text != NULL && (fread(text, 1, size, f) != size || ferror(f)))
		why = "cannot be read whole (did it change?)";
	fclose(f);
	if (why != NULL) {
		snprintf(err, err_size, "%s: %s", path, why);
		free(text);
		return NULL;
	}
	text[size] = '\0';
	*len = size;
	return text;
}

int auth_rule_parse(const char *prefix, const char *realm, const char *user_file,
                    struct auth_rule *out, char *err, size_t err_size)
{
	memset(out, 0, sizeof *out);
	char path[1024];
	struct urlpath up;
	if (prefix[0] != '/' || strchr(prefix, '?') != NULL || strlen(prefix) >= sizeof path ||
	    urlpath_resolve(prefix, strlen(prefix), URLPATH_ALLOW_HIDDEN, path, sizeof path, &up) !=
	        0) {
		snprintf(err, err_size, "invalid path prefix '%s' for auth_basic (a path from '/')",
		         prefix);
		return -1;
	}
	if (!realm_acceptable(realm)) {
		snprintf(err, err_size,
		         "invalid realm for auth_basic (1 to %d printable ASCII characters, "
		         "no '\"' or '\\')",
		         AUTH_REALM_MAX);
		return -1;
	}
	size_t len = 0;
	char *text = read_user_file(user_file, &len, err, err_size);
	if (text == NULL)
		return -1;
	char why[400];
	int rc = htpasswd_parse(text, len, &out->users, why, sizeof why);
	free(text);
	if (rc < 0) {
		snprintf(err, err_size, "%s:%s", user_file, why);
		return -1;
	}
	out->prefix = strdup(prefix);
	out->path = strndup(up.path, up.len);
	out->realm = strdup(realm);
	out->user_file = strdup(user_file);
	if (out->prefix == NULL || out->path == NULL || out->realm == NULL ||
	    out->user_file == NULL) {
		auth_rule_free(out);
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	return 0;
}

void auth_rule_free(struct auth_rule *rule)
{
	free(rule->prefix);
	free(rule->path);
	free(rule->realm);
	free(rule->user_file);
	htpasswd_free(&rule->users);
	memset(rule, 0, sizeof *rule);
}

/* Does the rule's path cover path: the same, or a segment boundary after it? */
static bool covers(const char *rule_path, size_t rule_len, const char *path, size_t len)
{
	if (rule_len == 0)
		return true;
	return len >= rule_len && memcmp(path, rule_path, rule_len) == 0 &&
	       (len == rule_len || path[rule_len] == '/');
}

const struct auth_rule *auth_rule_for(const struct auth_rule *rules, size_t count, const char *path,
                                      size_t len)
{
	const struct auth_rule *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < count; i++) {
		size_t rule_len = strlen(rules[i].path);
		if (covers(rules[i].path, rule_len, path, len) &&
		    (best == NULL || rule_len > best_len)) {
			best = &rules[i];
			best_len = rule_len;
		}
	}
	return best;
}

/* ------------------------------------------------------------ the cache */

/* SipHash-2-4 (Aumasson and Bernstein): a keyed hash that no one without the
 * key can predict, so the cache holds nothing a password can be found from. */
static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13) ^ v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17) ^ v[2];
	v[2] = rotl(v[2], 32);
}

static void sip_absorb(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
}

static uint64_t load_le64(const unsigned char *p, size_t n)
{
	uint64_t m = 0;
	for (size_t i = 0; i < n; i++)
		m |= (uint64_t)p[i] << (8 * i);
	return m;
}

static uint64_t siphash24(const uint64_t key[2], const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t v[4] = {key[0] ^ 0x736f6d6570736575ULL, key[1] ^ 0x646f72616e646f6dULL,
	                 key[0] ^ 0x6c7967656e657261ULL, key[1] ^ 0x7465646279746573ULL};
	size_t whole = len & ~(size_t)7;
	for (size_t i = 0; i < whole; i += 8)
		sip_absorb(v, load_le64(p + i, 8));
	sip_absorb(v, load_le64(p + whole, len - whole) | (uint64_t)(len & 0xff) << 56);
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

void auth_cache_init(struct auth_cache *c)
{
	auth_cache_clear(c);
	c->keyed = getrandom(c->key, sizeof c->key, 0) == (ssize_t)sizeof c->key;
}

void auth_cache_clear(struct auth_cache *c)
{
	memset(c->entries, 0, sizeof c->entries);
}

uint64_t auth_cache_tag(const struct auth_cache *c, const char *password, size_t len)
{
	return siphash24(c->key, password, len);
}

static bool fresh(const struct auth_cache_entry *e, time_t now)
{
	return e->entry != NULL && now >= e->verified && now - e->verified < AUTH_CACHE_TTL;
}

bool auth_cache_lookup(const struct auth_cache *c, const struct htpasswd_entry *e, uint64_t tag,
                       time_t now)
{
	if (!c->keyed)
		return false;
	for (size_t i = 0; i < AUTH_CACHE_SIZE; i++) {
		const struct auth_cache_entry *slot = &c->entries[i];
		if (slot->entry == e && slot->tag == tag && fresh(slot, now))
			return true;
	}
	return false;
}

void auth_cache_store(struct auth_cache *c, const struct htpasswd_entry *e, uint64_t tag,
                      time_t now)
{
	if (!c->keyed)
		return;
	struct auth_cache_entry *victim = &c->entries[0];
	for (size_t i = 0; i < AUTH_CACHE_SIZE; i++) {
		struct auth_cache_entry *slot = &c->entries[i];
		if (!fresh(slot, now) || slot->entry == e) {
			victim = slot; /* free, expired, or this user's older password */
			break;
		}
		if (slot->verified < victim->verified)
			victim = slot;
	}
	*victim = (struct auth_cache_entry){e, tag, now};
}

/* ------------------------------------------------------------ the decision */

void auth_reset(struct auth *a)
{
	auth_cache_clear(&a->cache);
	a->budget = AUTH_CRYPT_PER_TURN;
}

/* Equal strings, in a time that depends on their lengths only. */
static bool same_secret(const char *a, const char *b)
{
	size_t len = strlen(a);
	if (len != strlen(b))
		return false;
	unsigned char diff = 0;
	for (size_t i = 0; i < len; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static bool verify(const char *password, const char *hash)
{
	static struct crypt_data work;
	const char *result = crypt_rn(password, hash, &work, (int)sizeof work);
	bool ok = result != NULL && result[0] != '*' && same_secret(result, hash);
	explicit_bzero(&work, sizeof work);
	return ok;
}

/* The path the static files are found by, or NULL when the target has none
 * (the static handler answers such a target with its own 400). */
static const char *normalised_path(const char *target, size_t len, size_t *path_len)
{
	static char path[8192 + 16];
	struct urlpath up;
	if (len >= sizeof path ||
	    urlpath_resolve(target, len, URLPATH_ALLOW_HIDDEN, path, sizeof path, &up) != 0)
		return NULL;
	*path_len = up.len;
	return up.path;
}

/* Credentials of a well-formed Basic field, against the rule's users. */
static enum auth_verdict check_password(struct auth *a, const struct auth_rule *rule,
                                        const struct credentials *cred, time_t now)
{
	const struct htpasswd_entry *entry =
	    htpasswd_find(&rule->users, cred->user, cred->user_len);
	uint64_t tag = auth_cache_tag(&a->cache, cred->password, cred->password_len);
	if (entry != NULL && auth_cache_lookup(&a->cache, entry, tag, now))
		return AUTH_GRANTED;
	if (a->budget == 0)
		return AUTH_DEFERRED;
	a->budget--;
	a->crypt_calls++;
	/* An unknown user costs what a known one does; the answer is ignored. */
	bool right =
	    verify(cred->password, entry != NULL ? entry->hash : rule->users.entries[0].hash);
	if (entry == NULL || !right)
		return AUTH_CHALLENGE;
	auth_cache_store(&a->cache, entry, tag, now);
	return AUTH_GRANTED;
}

enum auth_verdict auth_decide(struct auth *a, const struct auth_rule *rules, size_t count,
                              const char *target, size_t target_len, const char *authorization,
                              size_t authorization_len, time_t now, struct auth_decision *out)
{
	out->rule = NULL;
	out->user_len = 0;
	if (count == 0) /* the common case: nothing to normalise the path for */
		return AUTH_OPEN;
	size_t path_len = 0;
	const char *path = normalised_path(target, target_len, &path_len);
	if (path == NULL)
		return AUTH_OPEN;
	out->rule = auth_rule_for(rules, count, path, path_len);
	if (out->rule == NULL)
		return AUTH_OPEN;
	struct credentials cred;
	enum credentials_parse parsed =
	    credentials_parse_basic(authorization, authorization_len, &cred);
	if (parsed != CREDENTIALS_OK)
		return parsed == CREDENTIALS_MALFORMED ? AUTH_MALFORMED : AUTH_CHALLENGE;
	memcpy(out->user, cred.user, cred.user_len);
	out->user_len = cred.user_len;
	enum auth_verdict verdict = check_password(a, out->rule, &cred, now);
	explicit_bzero(&cred, sizeof cred);
	return verdict;
}

size_t auth_challenge_line(const struct auth_rule *rule, char *out, size_t size)
{
	int n = snprintf(out, size, "WWW-Authenticate: Basic realm=\"%s\", charset=\"UTF-8\"\r\n",
	                 rule->realm);
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}
