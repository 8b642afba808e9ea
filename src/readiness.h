/* readiness — how a worker tells its supervisor that it is serving, and how
 * each reload went.
 *
 * One SOCK_SEQPACKET socket pair per worker: every report is one record (a
 * kind byte and a short text), so a reason never arrives cut in two or glued
 * to the next one. The supervisor alone speaks to the service manager and to
 * the waiting parent of -d, from what its workers report. */
#ifndef SWITCHBOARD_READINESS_H
#define SWITCHBOARD_READINESS_H

#include <stddef.h>

enum readiness_kind {
	READINESS_SERVING = 'S',       /* text: the document root being served */
	READINESS_RELOADED = 'R',      /* text: the document root now served */
	READINESS_RELOAD_FAILED = 'F', /* text: why; the previous configuration stays */
};

/* The longest text a report carries (longer ones are cut). */
#define READINESS_TEXT_MAX 1024

/* A pair of connected record sockets, close-on-exec: fds[0] for the
 * supervisor (non-blocking), fds[1] for the worker. Returns 0 or -1 (errno). */
int readiness_channel(int fds[2]);

/* Send one report; best effort (a supervisor that is gone reads nothing). */
void readiness_send(int fd, enum readiness_kind kind, const char *text);

/* Receive one report: 1 with *kind and text set, 0 when the worker's end is
 * closed, -1 when none is waiting (or on error). */
int readiness_receive(int fd, enum readiness_kind *kind, char *text, size_t text_size);

#endif
