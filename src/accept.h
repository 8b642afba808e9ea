/* accept — how much a client wants a media type (Accept, RFC 9110 section
 * 12.5.1), for the representations switchboard generates itself. */
#ifndef SWITCHBOARD_ACCEPT_H
#define SWITCHBOARD_ACCEPT_H

#include <stddef.h>

/* The weight, in thousandths (0 to 1000), that the field value[0..len)
 * gives the media type type ("application/json", lower case, without
 * parameters): that of the most specific range that matches it (the type
 * itself, then its major type with any subtype, then any type), 0 when none
 * does. No field
 * (len 0) accepts every type at 1000. Elements that do not parse are passed
 * over; parameters other than q are not compared. */
int accept_weight(const char *value, size_t len, const char *type);

#endif
