/*
 * base64.c -- RFC 4648 base64, with padding, no line breaks.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "xmalloc.h"

static const char base64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* A NUL-terminated encoding of in[0..len). */
char *
base64_encode(const void *in, size_t len)
{
	const unsigned char	*p = in;
	char			*out, *o;
	uint32_t		 v;
	size_t			 i;

	o = out = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = base64_chars[v >> 18];
		*o++ = base64_chars[(v >> 12) & 63];
		*o++ = base64_chars[(v >> 6) & 63];
		*o++ = base64_chars[v & 63];
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		*o++ = base64_chars[v >> 18];
		*o++ = base64_chars[(v >> 12) & 63];
		*o++ = i + 1 < len ? base64_chars[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return (out);
}

static int
base64_value(char c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(base64_chars, c)) == NULL)
		return (-1);
	return ((int)(p - base64_chars));
}

/*
 * Decode in[0..len); NULL if it is not base64 (with padding).  The result
 * has *outlen bytes and a NUL after them.
 */
void *
base64_decode(const char *in, size_t len, size_t *outlen)
{
	unsigned char	*out;
	size_t		 i, o = 0, pad = 0;
	int		 v[4], j;

	if (len % 4 != 0)
		return (NULL);
	if (len > 0 && in[len - 1] == '=')
		pad++;
	if (len > 1 && in[len - 2] == '=')
		pad++;
	out = xmalloc(len / 4 * 3 + 1);
	for (i = 0; i < len; i += 4) {
		for (j = 0; j < 4; j++) {
			if (i + 4 == len && j >= 4 - (int)pad)
				v[j] = 0;
			else if ((v[j] = base64_value(in[i + j])) == -1) {
				free(out);
				return (NULL);
			}
		}
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	o -= pad;
	out[o] = '\0';
	*outlen = o;
	return (out);
}
