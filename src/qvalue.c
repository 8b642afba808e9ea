#include "autoconfig.h"

#include "qvalue.h"
#include "httpchars.h"

int http_qvalue(const char *s, size_t len)
{
	if (len == 0 || (s[0] != '0' && s[0] != '1') || (len > 1 && s[1] != '.') || len > 5)
		return -1;
	int value = (s[0] - '0') * 1000, scale = 100;
	for (size_t i = 2; i < len; i++, scale /= 10) {
		if (!http_is_digit((unsigned char)s[i]))
			return -1;
		value += (s[i] - '0') * scale;
	}
	return value > 1000 ? -1 : value;
}
