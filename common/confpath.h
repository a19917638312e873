/*
 * confpath.h -- paths in config files, which are relative to the file's own
 * directory, and the client's way of finding the control socket in one.
 */

#ifndef CONFPATH_H
#define CONFPATH_H

char	*confpath_dir(const char *);
char	*confpath_resolve(const char *, const char *);
char	*confpath_socket(const char *, char **);

#endif /* CONFPATH_H */
