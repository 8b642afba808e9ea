/* address — listen addresses: parsed from text, written as URLs.
 *
 * Pure: no socket is opened here, so the configuration can check an address
 * without the listener and its loop. */
#ifndef SWITCHBOARD_ADDRESS_H
#define SWITCHBOARD_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

struct listen_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	/* Connections begin with a PROXY protocol header (from a trusted proxy). */
	bool proxy_protocol;
	/* A Unix-domain socket's file: its mode, and its group ((gid_t)-1: ours). */
	mode_t unix_mode;
	gid_t unix_group;
};

/* "127.0.0.1:8080", "[::1]:8080", "*:8080" (every IPv4 address), "[::]:8080"
 * (every IPv6 address), "localhost:8080", a bare port "8080" (127.0.0.1), or
 * "unix:/run/switchboard/http.sock" (a Unix-domain socket).
 * Port 0 asks the kernel for a free port. Returns 0, or -1 with a message in err. */
int listen_addr_parse(const char *spec, struct listen_addr *out, char *err, size_t err_size);

/* A peer's address as text, without its port: "192.0.2.1", "2001:db8::1";
 * "-" for another family (a Unix-domain socket's peer). */
void address_text(const struct sockaddr_storage *ss, char *out, size_t size);

/* "http://127.0.0.1:8080/", "http://[::1]:8080/" or "unix:/path". */
void listen_addr_url(const struct sockaddr *sa, char *out, size_t out_size);

#endif
