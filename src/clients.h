/* clients — live connections counted per client address.
 *
 * It serves the per-client cap and, when the server is full, finds the address
 * that holds the most slots. IPv6 clients are counted per /64 (one host owns a
 * whole /64 and can pick any address in it); IPv4-mapped IPv6 addresses count
 * as the IPv4 address they map. */
#ifndef SWITCHBOARD_CLIENTS_H
#define SWITCHBOARD_CLIENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct client_key {
	uint8_t family; /* 4 or 6; 0 for an address of another kind (counted together) */
	uint8_t bytes[8];
};

/* Open addressing with linear probing: room for twice the connections select()
 * can watch, so a probe sequence stays short. */
#define CLIENTS_SLOTS 2048

struct clients {
	struct {
		struct client_key key;
		unsigned count; /* 0: free slot */
	} slot[CLIENTS_SLOTS];
	unsigned used;
};

void client_key_from(const struct sockaddr_storage *ss, struct client_key *key);
bool client_key_equal(const struct client_key *a, const struct client_key *b);

void clients_init(struct clients *t);
/* Count one more connection of key; returns its new count (0 if the table is full). */
unsigned clients_add(struct clients *t, const struct client_key *key);
void clients_remove(struct clients *t, const struct client_key *key);
unsigned clients_count(const struct clients *t, const struct client_key *key);
/* The key holding the most connections, and how many (0 when the table is empty). */
unsigned clients_top(const struct clients *t, struct client_key *key);

#endif
