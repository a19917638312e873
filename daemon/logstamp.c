/*
 * logstamp.c -- the timestamp prefix of log lines (log_timestamps), as a
 * pure transformation from the bytes a job wrote to the bytes written to
 * its log, so that it can be tested without a job.
 *
 * Each line gets one prefix, taken when its first byte was read, however
 * many reads the line is split over; a line longer than LOGSTAMP_PIECE is
 * cut into pieces that each get one, so no line needs unbounded memory.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "corrald.h"

/* "2026-12-03T19:58:54.123456Z ": RFC 3339, UTC, microseconds. */
size_t
logstamp_format(const struct timespec *ts, char *buf, size_t len)
{
	struct tm	 tm;
	size_t		 n;

	if (gmtime_r(&ts->tv_sec, &tm) == NULL || len < LOGSTAMP_LEN + 1)
		return (0);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06ldZ ", ts->tv_nsec / 1000);
	return (n + 9);
}

/* The most bytes logstamp_apply() can make of len bytes. */
size_t
logstamp_bound(size_t len, size_t stamplen)
{
	/* Worst case: every byte a newline, each then starting a line. */
	return (len * (stamplen + 1) + stamplen + 1);
}

/*
 * Prefix the lines of in[0..len) with stamp, into out (which holds
 * logstamp_bound(len, stamplen) bytes).  st carries where the previous
 * call left off.  Returns the bytes written to out.
 */
size_t
logstamp_apply(struct logstamp *st, const char *stamp, size_t stamplen,
    const char *in, size_t len, char *out)
{
	const char	*nl;
	size_t		 o = 0, room, take;

	while (len > 0) {
		if (!st->mid_line) {
			memcpy(out + o, stamp, stamplen);
			o += stamplen;
			st->mid_line = 1;
			st->line_len = 0;
		}
		room = LOGSTAMP_PIECE - st->line_len;
		take = len < room ? len : room;
		if ((nl = memchr(in, '\n', take)) != NULL) {
			take = (size_t)(nl - in) + 1;
			memcpy(out + o, in, take);
			o += take;
			st->mid_line = 0;
		} else if (take == room) {
			/* A piece of an over-long line: it ends here. */
			memcpy(out + o, in, take);
			o += take;
			out[o++] = '\n';
			st->mid_line = 0;
		} else {
			memcpy(out + o, in, take);
			o += take;
			st->line_len += take;
		}
		in += take;
		len -= take;
	}
	return (o);
}

/* "FILE.N": where the Nth backup of a rotated log lives. */
char *
logstamp_backup_name(const char *path, int n)
{
	char	*name;

	if (n == 0)
		return (xstrdup(path));
	xasprintf(&name, "%s.%d", path, n);
	return (name);
}
