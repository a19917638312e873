/*
 * base64.h -- log data in protocol messages.  A job's output need not be
 * UTF-8, which JSON strings must be, so its bytes travel as base64.
 */

#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>

char	*base64_encode(const void *, size_t);
void	*base64_decode(const char *, size_t, size_t *);

#endif /* BASE64_H */
