#include "autoconfig.h"

#include "managed_headers.h"

#include <stddef.h>
#include <strings.h>

static const char *const managed_fields[] = {
    "accept-ranges",  "allow",         "connection",        "content-encoding",
    "content-length", "content-range", "content-type",      "date",
    "etag",           "keep-alive",    "last-modified",     "location",
    "server",         "trailer",       "transfer-encoding", "upgrade",
    "vary",
};

bool response_field_is_managed(const char *name)
{
	for (size_t i = 0; i < sizeof managed_fields / sizeof managed_fields[0]; i++)
		if (strcasecmp(name, managed_fields[i]) == 0)
			return true;
	return false;
}
