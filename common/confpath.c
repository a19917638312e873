/*
 * confpath.c -- resolving paths against a config file's directory.
 */

#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confpath.h"
#include "xmalloc.h"

/* The absolute directory holding file. */
char *
confpath_dir(const char *file)
{
	char	*copy, *slash, *cwd, *dir;

	copy = xstrdup(file);
	if ((slash = strrchr(copy, '/')) == NULL)
		dir = xstrdup(".");
	else if (slash == copy)
		dir = xstrdup("/");
	else
		dir = xstrndup(copy, (size_t)(slash - copy));
	free(copy);
	if (dir[0] == '/')
		return (dir);
	if ((cwd = getcwd(NULL, 0)) == NULL)
		return (dir);
	copy = confpath_resolve(cwd, dir);
	free(cwd);
	free(dir);
	return (copy);
}

/* path made absolute against dir; "." components next to the join removed. */
char *
confpath_resolve(const char *dir, const char *path)
{
	char	*out;

	if (path[0] == '/')
		return (xstrdup(path));
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	if (strcmp(path, ".") == 0)
		return (xstrdup(dir));
	if (strcmp(dir, "/") == 0)
		xasprintf(&out, "/%s", path);
	else if (strcmp(dir, ".") == 0)
		out = xstrdup(path);
	else
		xasprintf(&out, "%s/%s", dir, path);
	return (out);
}

/*
 * The control socket a config file names (daemon.socket), absolute, or the
 * default if it names none.  NULL with *cause if the file cannot be read.
 */
char *
confpath_socket(const char *file, char **cause)
{
	config_t	 cfg;
	const char	*s;
	char		*dir, *out;

	config_init(&cfg);
	if (config_read_file(&cfg, file) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			xasprintf(cause, "%s: %s", file, strerror(errno));
		else
			xasprintf(cause, "%s:%d: %s", file,
			    config_error_line(&cfg), config_error_text(&cfg));
		config_destroy(&cfg);
		return (NULL);
	}
	if (config_lookup_string(&cfg, "daemon.socket", &s) != CONFIG_TRUE)
		s = CORRAL_DEFAULT_SOCKET;
	dir = confpath_dir(file);
	out = confpath_resolve(dir, s);
	free(dir);
	config_destroy(&cfg);
	return (out);
}
