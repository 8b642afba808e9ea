#include "autoconfig.h"

#include "address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>

static int parse_port(const char *s, in_port_t *port)
{
	if (*s == '\0' || strlen(s) > 5)
		return -1;
	unsigned long v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return -1;
	*port = htons((in_port_t)v);
	return 0;
}

static int parse_ipv4(const char *host, in_port_t port, struct listen_addr *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
	memset(out, 0, sizeof *out);
	sin->sin_family = AF_INET;
	sin->sin_port = port;
	out->len = sizeof *sin;
	if (strcmp(host, "*") == 0) {
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if (strcmp(host, "localhost") == 0) {
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return 0;
	}
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

static int parse_ipv6(const char *host, in_port_t port, struct listen_addr *out)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;
	memset(out, 0, sizeof *out);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = port;
	out->len = sizeof *sin6;
	return inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1 ? 0 : -1;
}

/* "unix:/run/switchboard/http.sock": an absolute path that fits sun_path. */
static int parse_unix(const char *spec, struct listen_addr *out, char *err, size_t err_size)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&out->ss;
	const char *path = spec + 5;
	size_t len = strlen(path);
	memset(out, 0, sizeof *out);
	if (path[0] != '/' || len >= sizeof sun->sun_path) {
		snprintf(
		    err, err_size,
		    "invalid listen address '%s' (unix: and an absolute path of at most %zu bytes)",
		    spec, sizeof sun->sun_path - 1);
		return -1;
	}
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len + 1);
	out->unix_mode = 0666; /* who may connect is the directory's business */
	out->unix_group = (gid_t)-1;
	out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	return 0;
}

int listen_addr_parse(const char *spec, struct listen_addr *out, char *err, size_t err_size)
{
	char host[INET6_ADDRSTRLEN + 2];
	if (strncmp(spec, "unix:", 5) == 0)
		return parse_unix(spec, out, err, err_size);
	const char *port_text;
	bool ipv6 = false;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL || close[1] != ':' || (size_t)(close - spec - 1) >= sizeof host) {
			snprintf(err, err_size,
			         "invalid listen address '%s' (expected [IPV6]:PORT)", spec);
			return -1;
		}
		memcpy(host, spec + 1, (size_t)(close - spec - 1));
		host[close - spec - 1] = '\0';
		port_text = close + 2;
		ipv6 = true;
	} else {
		const char *colon = strrchr(spec, ':');
		if (colon == NULL) {
			strcpy(host, "127.0.0.1");
			port_text = spec;
		} else if ((size_t)(colon - spec) >= sizeof host ||
		           memchr(spec, ':', (size_t)(colon - spec))) {
			snprintf(err, err_size,
			         "invalid listen address '%s' (IPv6 addresses go in brackets: "
			         "[::1]:8080)",
			         spec);
			return -1;
		} else {
			memcpy(host, spec, (size_t)(colon - spec));
			host[colon - spec] = '\0';
			port_text = colon + 1;
		}
	}

	in_port_t port;
	if (parse_port(port_text, &port) < 0) {
		snprintf(err, err_size, "invalid port '%s' in listen address '%s'", port_text,
		         spec);
		return -1;
	}
	if ((ipv6 ? parse_ipv6 : parse_ipv4)(host, port, out) < 0) {
		snprintf(err, err_size, "invalid %s address '%s' in listen address '%s'",
		         ipv6 ? "IPv6" : "IPv4", host, spec);
		return -1;
	}
	return 0;
}

void address_text(const struct sockaddr_storage *ss, char *out, size_t size)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		if (inet_ntop(AF_INET6, &sin6->sin6_addr, out, (socklen_t)size) != NULL)
			return;
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		if (inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)size) != NULL)
			return;
	}
	snprintf(out, size, "-");
}

void listen_addr_url(const struct sockaddr *sa, char *out, size_t out_size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa->sa_family == AF_UNIX) {
		snprintf(out, out_size, "unix:%s", ((const struct sockaddr_un *)sa)->sun_path);
		return;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		port = ntohs(sin6->sin6_port);
		snprintf(out, out_size, "http://[%s]:%u/", host, port);
		return;
	}
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
	port = ntohs(sin->sin_port);
	snprintf(out, out_size, "http://%s:%u/", host, port);
}
