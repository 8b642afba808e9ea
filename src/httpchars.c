#include "autoconfig.h"

#include "httpchars.h"

/* Bit 1 (HTTP_CHAR_TCHAR): "!#$%&'*+-.^_`|~", DIGIT, ALPHA.
 * Bit 2 (HTTP_CHAR_OWS): SP, HTAB.
 * Bit 4 (HTTP_CHAR_VALUE): VCHAR, SP, HTAB and obs-text (>= 0x80).
 * Bit 8 (HTTP_CHAR_VCHAR): VCHAR, 0x21 to 0x7e.
 * Bit 16 (HTTP_CHAR_HOST): ALPHA, DIGIT, "-._~" and "!$&'()*+,;=".
 * Bit 32 (HTTP_CHAR_HEX): DIGIT, "A" to "F", "a" to "f".
 * Bit 64 (HTTP_CHAR_DIGIT): DIGIT.
 * Made by a script from those definitions; check_httpchars tests each class
 * against them byte by byte. */
const unsigned char http_char_class[256] = {
    /* 00 */ 0,   0,   0,   0,   0,   0,   0,   0,   0,   6,   0,  0,  0,  0,  0,  0,
    /* 10 */ 0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,  0,  0,  0,  0,  0,
    /* 20 */ 6,   29,  12,  13,  29,  13,  29,  29,  28,  28,  29, 29, 28, 29, 29, 12,
    /* 30 */ 125, 125, 125, 125, 125, 125, 125, 125, 125, 125, 12, 28, 12, 28, 12, 12,
    /* 40 */ 12,  61,  61,  61,  61,  61,  61,  29,  29,  29,  29, 29, 29, 29, 29, 29,
    /* 50 */ 29,  29,  29,  29,  29,  29,  29,  29,  29,  29,  29, 12, 12, 12, 13, 29,
    /* 60 */ 13,  61,  61,  61,  61,  61,  61,  29,  29,  29,  29, 29, 29, 29, 29, 29,
    /* 70 */ 29,  29,  29,  29,  29,  29,  29,  29,  29,  29,  29, 12, 13, 12, 29, 0,
    /* 80 */ 4,   4,   4,   4,   4,   4,   4,   4,   4,   4,   4,  4,  4,  4,  4,  4,
    /* 90 */ 4,   4,   4,   4,   4,   4,   4,   4,   4,   4,   4,  4,  4,  4,  4,  4,
    /* a0 */ 4,   4,   4,   4,   4,   4,   4,   4,   4,   4,   4,  4,  4,  4,  4,  4,
    /* b0 */ 4,   4,   4,   4,   4,   4,   4,   4,   4,   4,   4,  4,  4,  4,  4,  4,
    /* c0 */ 4,   4,   4,   4,   4,   4,   4,   4,   4,   4,   4,  4,  4,  4,  4,  4,
    /* d0 */ 4,   4,   4,   4,   4,   4,   4,   4,   4,   4,   4,  4,  4,  4,  4,  4,
    /* e0 */ 4,   4,   4,   4,   4,   4,   4,   4,   4,   4,   4,  4,  4,  4,  4,  4,
    /* f0 */ 4,   4,   4,   4,   4,   4,   4,   4,   4,   4,   4,  4,  4,  4,  4,  4,
};

bool http_is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!http_is_tchar((unsigned char)*s))
			return false;
	return true;
}
