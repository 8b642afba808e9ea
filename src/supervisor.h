/* supervisor — several worker processes, each one thread and one select()
 * loop on the listening sockets they share from this process, which watches
 * over them: a worker that dies is replaced, and signals reach every worker. */
#ifndef SWITCHBOARD_SUPERVISOR_H
#define SWITCHBOARD_SUPERVISOR_H

struct server;

/* Run `workers` workers over srv (its listeners bound, its logs open, its
 * privileges already dropped) until SIGTERM or SIGINT stops them all.
 * Returns the exit status of this, the supervising, process. */
int supervisor_run(struct server *srv, unsigned workers);

#endif
