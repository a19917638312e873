/*
 * signame.h -- signal names and numbers, both ways, for configs, the
 * protocol and messages ("signal 9 (KILL)").
 */

#ifndef SIGNAME_H
#define SIGNAME_H

int		 sig_parse(const char *, int *);
const char	*sig_name(int);

#endif /* SIGNAME_H */
