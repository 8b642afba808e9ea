#include "autoconfig.h"

#include "clients.h"

#include "hash.h"

#include <netinet/in.h>
#include <string.h>

void client_key_from(const struct sockaddr_storage *ss, struct client_key *key)
{
	memset(key, 0, sizeof *key);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		key->family = 4;
		memcpy(key->bytes, &sin->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		const uint8_t *a = sin6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			key->family = 4;
			memcpy(key->bytes, a + 12, 4);
		} else {
			key->family = 6;
			memcpy(key->bytes, a, 8); /* the /64 */
		}
	}
}

bool client_key_equal(const struct client_key *a, const struct client_key *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}

/* FNV-1a over the key: cheap, and good enough for addresses (no secret seed is
 * needed: a client can only choose addresses it owns). */
static unsigned hash_key(const struct client_key *key)
{
	uint32_t h = hash_fnv1a(HASH_FNV1A_INIT ^ key->family, key->bytes, sizeof key->bytes);
	return h % CLIENTS_SLOTS;
}

void clients_init(struct clients *t)
{
	memset(t, 0, sizeof *t);
}

/* The slot holding key, or else the free slot where it would go. */
static unsigned find_slot(const struct clients *t, const struct client_key *key)
{
	unsigned i = hash_key(key);
	while (t->slot[i].count != 0 && !client_key_equal(&t->slot[i].key, key))
		i = (i + 1) % CLIENTS_SLOTS;
	return i;
}

unsigned clients_add(struct clients *t, const struct client_key *key)
{
	unsigned i = find_slot(t, key);
	if (t->slot[i].count == 0) {
		if (t->used + 1 >= CLIENTS_SLOTS) /* always keep a free slot: probes end */
			return 0;
		t->slot[i].key = *key;
		t->used++;
	}
	return ++t->slot[i].count;
}

/* Deletion in a linear-probing table: move later entries of the cluster back
 * into the hole when their home slot allows, so lookups never stop early. */
static void delete_slot(struct clients *t, unsigned hole)
{
	unsigned i = hole;
	t->slot[hole].count = 0;
	for (;;) {
		i = (i + 1) % CLIENTS_SLOTS;
		if (t->slot[i].count == 0)
			return;
		unsigned home = hash_key(&t->slot[i].key);
		/* Does home lie cyclically in (hole, i]? Then the entry stays. */
		bool stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
		if (!stays) {
			t->slot[hole] = t->slot[i];
			t->slot[i].count = 0;
			hole = i;
		}
	}
}

void clients_remove(struct clients *t, const struct client_key *key)
{
	unsigned i = find_slot(t, key);
	if (t->slot[i].count == 0)
		return;
	if (--t->slot[i].count == 0) {
		t->used--;
		delete_slot(t, i);
	}
}

unsigned clients_count(const struct clients *t, const struct client_key *key)
{
	return t->slot[find_slot(t, key)].count;
}

unsigned clients_top(const struct clients *t, struct client_key *key)
{
	unsigned best = 0;
	for (unsigned i = 0; i < CLIENTS_SLOTS; i++) {
		if (t->slot[i].count > best) {
			best = t->slot[i].count;
			*key = t->slot[i].key;
		}
	}
	return best;
}
