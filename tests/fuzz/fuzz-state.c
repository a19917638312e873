/*
 * fuzz-state.c -- libFuzzer target for the re-execution snapshot check:
 * whatever the bytes, snapshot_check() must accept or refuse them with a
 * cause, never crash, and never use a descriptor they name.
 */

#include "config.h"

#include <stdlib.h>

#include "corrald.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t	 jerr;
	json_t		*o;
	char		*cause = NULL;

	o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL)
		return (0);
	if (snapshot_check(o, &cause) == -1 && cause == NULL)
		abort();	/* a refusal must say why */
	free(cause);
	json_decref(o);
	return (0);
}
