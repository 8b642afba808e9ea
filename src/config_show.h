/* config_show — what -t prints, after "configuration OK", of the settings
 * that change the answers rather than the files opened: the CORS policy and
 * the fallback, as the server will apply them (normalised origins, the
 * max-age in seconds). Nothing is printed for what is off. */
#ifndef SWITCHBOARD_CONFIG_SHOW_H
#define SWITCHBOARD_CONFIG_SHOW_H

#include <stdio.h>

#include "config_table.h"

void config_show(const struct config *cfg, FILE *out);

#endif
