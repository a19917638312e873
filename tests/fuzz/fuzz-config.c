/*
 * fuzz-config.c -- libFuzzer target for the config loader: any bytes as a
 * config file must give a config or FILE:LINE: errors, never a crash.
 */

#include "config.h"

#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "corrald.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*config;
	char		 path[64], *cause = NULL;
	int		 fd;

	if ((fd = memfd_create("fuzz.conf", MFD_CLOEXEC)) == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	config = config_load(path, &cause);
	if (config == NULL && cause == NULL)
		abort();	/* a failure must say why */
	config_free(config);
	free(cause);
	close(fd);
	return (0);
}
