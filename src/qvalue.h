/* qvalue — the weight a client gives an alternative in Accept and
 * Accept-Encoding (RFC 9110 section 12.4.2). */
#ifndef SWITCHBOARD_QVALUE_H
#define SWITCHBOARD_QVALUE_H

#include <stddef.h>

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) as thousandths
 * (0 to 1000), or -1 when s[0..len) is not one. */
int http_qvalue(const char *s, size_t len);

#endif
