/* managed_headers — the response header fields switchboard writes itself.
 *
 * One list, so that the configuration (add_header refuses them: a second copy
 * would contradict the server) and the response code agree on it. */
#ifndef SWITCHBOARD_MANAGED_HEADERS_H
#define SWITCHBOARD_MANAGED_HEADERS_H

#include <stdbool.h>

/* Is name (any case) a field the server sets on its responses? */
bool response_field_is_managed(const char *name);

#endif
