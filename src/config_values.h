/* config_values — the kinds of value a directive takes, read from text:
 * durations, sizes, counts and choices. Pure: no settings, no files. */
#ifndef SWITCHBOARD_CONFIG_VALUES_H
#define SWITCHBOARD_CONFIG_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest duration: a year. */
#define CONFIG_MAX_DURATION_MS (INT64_C(365) * 24 * 3600 * 1000)

/* "10s", "500ms", "2m", "1h", or plain seconds. Returns false when invalid. */
bool config_parse_duration(const char *text, int64_t *ms);

/* "16m", "512k", "1g", plain bytes (at most 2^40 before the unit), or "off"
 * (0). Returns false when invalid. */
bool config_parse_size(const char *text, uint64_t *bytes);

/* Decimal digits only, from 0 to max. Returns false when invalid. */
bool config_parse_count(const char *text, size_t max, size_t *out);

/* The position of text in a NULL-terminated list of choices, or -1. */
int config_choice_index(const char *const *choices, const char *text);

/* "a, b, c": the choices, for a message (cut to fit size). */
void config_list_choices(const char *const *choices, char *out, size_t size);

/* Does s hold a control byte (below 0x20, or DEL)? */
bool config_has_control_byte(const char *s);

#endif
