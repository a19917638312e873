/*
 * log.h -- the daemon's and the client's diagnostics.  Messages go to
 * stderr; when stderr is the systemd journal each line carries an <N>
 * priority prefix instead of a timestamp.
 */

#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

void	log_init(const char *, int);
void	log_set_verbose(int);
int	log_get_verbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn, format(printf, 1, 2)))
void	fatal(const char *, ...);
__attribute__((noreturn, format(printf, 1, 2)))
void	fatalx(const char *, ...);

#endif /* LOG_H */
