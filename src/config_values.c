#include "autoconfig.h"

#include "config_values.h"

#include <stdio.h>
#include <string.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool config_parse_duration(const char *text, int64_t *ms)
{
	static const struct {
		const char *suffix;
		int64_t ms;
	} units[] = {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	const char *p = text;
	int64_t n = 0;
	if (!is_digit(*p))
		return false;
	for (; is_digit(*p); p++) {
		n = n * 10 + (*p - '0');
		if (n > CONFIG_MAX_DURATION_MS)
			return false;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(p, units[i].suffix) == 0) {
			if (n > CONFIG_MAX_DURATION_MS / units[i].ms)
				return false;
			*ms = n * units[i].ms;
			return true;
		}
	}
	return false;
}

bool config_parse_size(const char *text, uint64_t *bytes)
{
	if (strcmp(text, "off") == 0) {
		*bytes = 0;
		return true;
	}
	uint64_t n = 0;
	const char *p = text;
	if (!is_digit(*p))
		return false;
	for (; is_digit(*p); p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > (UINT64_C(1) << 40))
			return false;
	}
	static const char units[] = "kmg";
	const char *unit = *p != '\0' ? strchr(units, *p) : NULL;
	if (unit != NULL && p[1] == '\0')
		n <<= 10 * (unit - units + 1);
	else if (*p != '\0')
		return false;
	*bytes = n;
	return true;
}

bool config_parse_count(const char *text, size_t max, size_t *out)
{
	size_t n = 0;
	if (*text == '\0')
		return false;
	for (const char *p = text; *p; p++) {
		if (!is_digit(*p))
			return false;
		n = n * 10 + (size_t)(*p - '0');
		if (n > max)
			return false;
	}
	*out = n;
	return true;
}

int config_choice_index(const char *const *choices, const char *text)
{
	for (int i = 0; choices[i] != NULL; i++)
		if (strcmp(text, choices[i]) == 0)
			return i;
	return -1;
}

void config_list_choices(const char *const *choices, char *out, size_t size)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; choices[i] != NULL && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i == 0 ? "" : ", ", choices[i]);
}

bool config_has_control_byte(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}
