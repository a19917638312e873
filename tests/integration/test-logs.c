/*
 * test-logs.c -- what becomes of a job's output on disk: rotation by size
 * at line boundaries with every byte kept (and no more than log_backups
 * old files), a line longer than a file split at the limit, timestamps
 * (one per line, however the line arrives), stderr merged in the order
 * written, files reopened after a mv or an rm (reopen-logs, SIGUSR1),
 * `corralctl logs` with -n, --stderr and -f, and a full disk holding the
 * job back instead of losing its output.
 *
 * Jobs that write numbered lines make loss, duplication and reordering
 * visible: the log must read 1, 2, 3 ... with nothing missing or twice.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "xmalloc.h"

/* The most backups any test here looks for. */
#define LOGS_MAX_BACKUPS	100

/* "2026-12-03T19:58:54.123456Z ": what log_timestamps puts before a line. */
#define LOGS_STAMP_LEN		28
#define LOGS_STAMP_RE		"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:" \
				"[0-9]{2}\\.[0-9]{6}Z "

static char	*seq_text(u_int, u_int, size_t *);
static char	*pad_text(size_t, char);
static char	*padded_lines(u_int, u_int, const char *, size_t *);
static char	*backup_path(const char *, int);
static int	 backups_present(const char *, int);
static char	*log_concat(const char *, int, size_t *);
static off_t	 log_total_size(const char *, int);
static size_t	 count_lines(const char *, size_t);
static size_t	 file_lines(const char *);
static int	 lines_consecutive(const char *, size_t, long *, long *,
		     const char **);
static int	 ends_with(const char *, size_t, const char *);
static void	 assert_exited(struct harness *, const char *);
static void	 wait_lines(const char *, size_t);
static void	 wait_two_lines(const char *, const char *, size_t);
static void	 wait_number(const char *, long);
static void	 wait_log_total(const char *, int, off_t);
static void	 wait_log_ends(const char *, const char *);
static pid_t	 follow_from(struct harness *, struct bg_proc *,
		     const char *, const char *, const char *);
static unsigned long long daemon_rchar(struct harness *);
static const char *unshare_path(void);
static int	 tmpfs_usable(struct harness *, const char *);
static int	 daemon_start_tmpfs(struct harness *, const char *,
		     const char *);
static int	 open_stdout_pipe(pid_t);

/* ---- text ---- */

/* The lines "from\n" .. "to\n", as seq prints them (to be freed). */
static char *
seq_text(u_int from, u_int to, size_t *lenp)
{
	char	*text, *p;
	u_int	 i;

	text = xmalloc((to >= from ? (size_t)(to - from + 1) : 0) * 12 + 1);
	for (i = from, p = text; i <= to; i++)
		p += sprintf(p, "%u\n", i);
	*p = '\0';
	*lenp = (size_t)(p - text);
	return (text);
}

/* len copies of c, NUL-terminated (to be freed). */
static char *
pad_text(size_t len, char c)
{
	char	*pad;

	pad = xmalloc(len + 1);
	memset(pad, c, len);
	pad[len] = '\0';
	return (pad);
}

/* Lines as the jobs below print them: printf '%05d %s\n' $i $pad. */
static char *
padded_lines(u_int from, u_int to, const char *pad, size_t *lenp)
{
	char	*text, *p;
	size_t	 each = strlen(pad) + 16;
	u_int	 i;

	text = xmalloc((to >= from ? (size_t)(to - from + 1) : 0) * each + 1);
	for (i = from, p = text; i <= to; i++)
		p += sprintf(p, "%05u %s\n", i, pad);
	*p = '\0';
	*lenp = (size_t)(p - text);
	return (text);
}

/* ---- log files ---- */

/* Where backup n of the log at path lives; path itself for 0. */
static char *
backup_path(const char *path, int n)
{
	char	*name;

	if (n == 0)
		return (xstrdup(path));
	xasprintf(&name, "%s.%d", path, n);
	return (name);
}

/*
 * How many backups of path there are.  Rotation shifts them all by one,
 * so they must be numbered 1..n without a hole.
 */
static int
backups_present(const char *path, int max)
{
	char	*name;
	int	 n, i, there;

	for (n = 0; n < max; n++) {
		name = backup_path(path, n + 1);
		there = file_exists(name);
		free(name);
		if (!there)
			break;
	}
	for (i = n + 2; i <= max; i++) {
		name = backup_path(path, i);
		there = file_exists(name);
		ck_assert_msg(!there, "%s exists, but not %s.%d", name, path,
		    n + 1);
		free(name);
	}
	return (n);
}

/* The whole log, oldest first: FILE.n .. FILE.1, FILE (to be freed). */
static char *
log_concat(const char *path, int n, size_t *lenp)
{
	char	*all, *name, *part;
	size_t	 len = 0, plen;
	int	 i;

	all = xmalloc(1);
	for (i = n; i >= 0; i--) {
		name = backup_path(path, i);
		part = file_read(name, &plen);
		ck_assert_msg(part != NULL, "%s: cannot read", name);
		all = xreallocarray(all, len + plen + 1, 1);
		memcpy(all + len, part, plen);
		len += plen;
		free(part);
		free(name);
	}
	all[len] = '\0';
	*lenp = len;
	return (all);
}

/* The size of FILE and of its backups 1..n together. */
static off_t
log_total_size(const char *path, int n)
{
	char	*name;
	off_t	 total = 0, size;
	int	 i;

	for (i = 0; i <= n; i++) {
		name = backup_path(path, i);
		if ((size = file_size(name)) > 0)
			total += size;
		free(name);
	}
	return (total);
}

static size_t
count_lines(const char *buf, size_t len)
{
	size_t	 n = 0, i;

	for (i = 0; i < len; i++) {
		if (buf[i] == '\n')
			n++;
	}
	return (n);
}

/* Lines in the file: 0 if it does not exist. */
static size_t
file_lines(const char *path)
{
	char	*buf;
	size_t	 len, n;

	if ((buf = file_read(path, &len)) == NULL)
		return (0);
	n = count_lines(buf, len);
	free(buf);
	return (n);
}

/*
 * Is buf a run of lines each holding one number, each one more than the
 * one before?  *first and *last get the ends; *bad where it goes wrong.
 */
static int
lines_consecutive(const char *buf, size_t len, long *first, long *last,
    const char **bad)
{
	const char	*p = buf, *end = buf + len;
	char		*stop;
	long		 v, prev = 0;
	int		 n = 0;

	*bad = buf;
	*first = *last = -1;
	while (p < end) {
		v = strtol(p, &stop, 10);
		if (stop == p || stop >= end || *stop != '\n' ||
		    (n > 0 && v != prev + 1)) {
			*bad = p;
			return (0);
		}
		if (n++ == 0)
			*first = v;
		prev = v;
		p = stop + 1;
	}
	*last = prev;
	return (n > 0);
}

/* Does buf end with the whole line tail (at its start or after a '\n')? */
static int
ends_with(const char *buf, size_t len, const char *tail)
{
	size_t	 tlen = strlen(tail);

	if (len < tlen || memcmp(buf + len - tlen, tail, tlen) != 0)
		return (0);
	return (len == tlen || buf[len - tlen - 1] == '\n');
}

/* ---- jobs ---- */

/* The job ended by itself, with exit 0. */
static void
assert_exited(struct harness *h, const char *job)
{
	char	*out = NULL;

	assert_state(h, job, "EXITED", HARNESS_WAIT);
	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", job, NULL), 0);
	ck_assert_str_eq(out, "exit 0\n");
	free(out);
}

struct lines_cond {
	const char	*path;
	size_t		 n;
};

static int
lines_pred(void *arg)
{
	struct lines_cond	*lc = arg;

	return (file_lines(lc->path) >= lc->n);
}

/* Wait until the file holds at least n lines. */
static void
wait_lines(const char *path, size_t n)
{
	struct lines_cond	 lc = { path, n };

	ck_assert_msg(wait_until(lines_pred, &lc, HARNESS_WAIT),
	    "%s: %zu lines, not %zu", path, file_lines(path), n);
}

struct two_lines_cond {
	const char	*a;
	const char	*b;
	size_t		 n;
};

static int
two_lines_pred(void *arg)
{
	struct two_lines_cond	*tc = arg;

	return (file_lines(tc->a) + file_lines(tc->b) >= tc->n);
}

/* Wait until two files hold at least n lines between them. */
static void
wait_two_lines(const char *a, const char *b, size_t n)
{
	struct two_lines_cond	 tc = { a, b, n };

	ck_assert_msg(wait_until(two_lines_pred, &tc, HARNESS_WAIT),
	    "%s and %s: %zu lines, not %zu", a, b,
	    file_lines(a) + file_lines(b), n);
}

struct number_cond {
	const char	*path;
	long		 n;
};

static int
number_pred(void *arg)
{
	struct number_cond	*nc = arg;

	return (file_number(nc->path) >= nc->n);
}

/* Wait until the job has written a number of at least n to path. */
static void
wait_number(const char *path, long n)
{
	struct number_cond	 nc = { path, n };

	ck_assert_msg(wait_until(number_pred, &nc, HARNESS_WAIT),
	    "%s: %ld, not %ld", path, file_number(path), n);
}

struct total_cond {
	const char	*path;
	int		 backups;
	off_t		 size;
};

static int
total_pred(void *arg)
{
	struct total_cond	*tc = arg;

	return (log_total_size(tc->path, tc->backups) >= tc->size);
}

/*
 * Wait until the log and its backups hold size bytes: what a job wrote
 * reaches its log a little after it exited.
 */
static void
wait_log_total(const char *path, int backups, off_t size)
{
	struct total_cond	 tc = { path, backups, size };

	ck_assert_msg(wait_until(total_pred, &tc, HARNESS_WAIT),
	    "%s and its backups: %lld bytes, not %lld", path,
	    (long long)log_total_size(path, backups), (long long)size);
}

struct ends_cond {
	const char	*path;
	const char	*tail;
};

static int
ends_pred(void *arg)
{
	struct ends_cond	*ec = arg;
	char			*buf;
	size_t			 len;
	int			 yes;

	if ((buf = file_read(ec->path, &len)) == NULL)
		return (0);
	yes = ends_with(buf, len, ec->tail);
	free(buf);
	return (yes);
}

/* Wait until the file's last line(s) are tail. */
static void
wait_log_ends(const char *path, const char *tail)
{
	struct ends_cond	 ec = { path, tail };

	ck_assert_msg(wait_until(ends_pred, &ec, HARNESS_WAIT),
	    "%s does not end with [%s]", path, tail);
}

/*
 * Once job's log holds text, start `corralctl logs -f job` and wait
 * until it has printed that much of the tail; the job's pid.
 */
static pid_t
follow_from(struct harness *h, struct bg_proc *follower, const char *job,
    const char *log, const char *text)
{
	pid_t	 pid;

	ck_assert(wait_file_contains(log, text, HARNESS_WAIT));
	pid = job_pid(h, job);
	ck_assert_int_gt(pid, 0);
	ctl_start(h, follower, "logs", "-f", job, NULL);
	ck_assert_msg(wait_file_contains(follower->out_path, text,
	    HARNESS_WAIT), "logs -f %s printed no tail", job);
	return (pid);
}

/* ---- rotation ---- */

/*
 * log_max_bytes: the log is rotated before it would grow past the limit,
 * at a line boundary, and FILE.N .. FILE.1, FILE read in turn are exactly
 * what the job wrote.  With log_backups = 3 the oldest files go, and
 * what is left is the end of the output, in order.  The job writes each
 * line with a write of its own, so every read corrald makes ends a line.
 */
START_TEST(test_rotate_keeps_every_byte)
{
	struct harness	*h;
	const u_int	 nlines = 35000;
	const size_t	 max = 10240;
	char		*want, *got, *path, *name, *part, *body, *first;
	size_t		 len, got_len, plen, prev_first = 0;
	int		 n, i;

	xasprintf(&body, "jobs = (\n"
	    "  { name = \"many\"; restart = \"no\"; log_max_bytes = %zu;"
	    " log_backups = 40;\n"
	    "    shell = \"i=0; while [ $i -lt %u ]; do i=$((i + 1));"
	    " echo $i; done\"; },\n"
	    "  { name = \"few\"; restart = \"no\"; log_max_bytes = %zu;"
	    " log_backups = 3;\n"
	    "    shell = \"i=0; while [ $i -lt %u ]; do i=$((i + 1));"
	    " echo $i; done\"; }\n"
	    ");\n", max, nlines, max, nlines);
	h = harness_new(body);
	free(body);
	want = seq_text(1, nlines, &len);
	ck_assert_uint_gt(len, 190 * 1024);
	assert_exited(h, "many");
	assert_exited(h, "few");

	/* Nothing dropped: fewer backups were needed than allowed. */
	path = harness_path(h, "log/many.out");
	wait_log_total(path, 40, (off_t)len);
	n = backups_present(path, 40);
	ck_assert_msg(n >= (int)(len / max) && n < 40, "%d backups", n);
	got = log_concat(path, n, &got_len);
	ck_assert_msg(got_len == len && memcmp(got, want, len) == 0,
	    "many.out and its %d backups: %zu bytes, not the %zu written", n,
	    got_len, len);
	free(got);
	for (i = 0; i <= n; i++) {
		name = backup_path(path, i);
		part = file_read(name, &plen);
		ck_assert_msg(plen > 0 && plen <= max, "%s: %zu bytes", name,
		    plen);
		if (i > 0) {
			ck_assert_msg(part[plen - 1] == '\n',
			    "%s does not end a line", name);
			/* Rotated because the next line did not fit. */
			ck_assert_msg(plen + prev_first > max,
			    "%s: %zu bytes, and the next line (%zu) fit",
			    name, plen, prev_first);
		}
		first = memchr(part, '\n', plen);
		prev_first = first != NULL ? (size_t)(first - part) + 1 : plen;
		free(part);
		free(name);
	}
	free(path);

	/* Three backups: the last bytes written, and nothing older. */
	path = harness_path(h, "log/few.out");
	wait_log_ends(path, "35000\n");
	n = backups_present(path, LOGS_MAX_BACKUPS);
	ck_assert_int_eq(n, 3);
	got = log_concat(path, 3, &got_len);
	ck_assert_uint_gt(got_len, 3 * (max - 16));
	ck_assert_msg(got_len < len && memcmp(got, want + len - got_len,
	    got_len) == 0 && want[len - got_len - 1] == '\n',
	    "few.out.3 .. few.out are not the last %zu bytes written",
	    got_len);
	free(got);
	for (i = 0; i <= 3; i++) {
		name = backup_path(path, i);
		part = file_read(name, &plen);
		ck_assert_msg(plen > 0 && plen <= max, "%s: %zu bytes", name,
		    plen);
		ck_assert_msg(part[plen - 1] == '\n', "%s does not end a line",
		    name);
		free(part);
		free(name);
	}
	free(path);
	free(want);
	harness_free(h);
}
END_TEST

/*
 * A line longer than log_max_bytes cannot go whole into any file: it is
 * cut at the limit, each piece filling a file, and no byte is lost.  The
 * line is written with one write (cat of a file), so corrald reads it
 * whole; the lines around it are written on their own.
 */
START_TEST(test_rotate_long_line)
{
	struct harness	*h;
	char		*path, *line, *xs, *want;

	h = harness_new_stopped(NULL);
	path = harness_path(h, "line");
	line = pad_text(5000, 'x');
	xasprintf(&want, "%s\n", line);
	file_write(path, want);
	free(want);
	free(path);
	harness_write_config(h, "jobs = ( { name = \"long\"; restart = \"no\";"
	    " log_max_bytes = 2048; log_backups = 10;\n"
	    "  shell = \"echo before; cat line; echo after\"; } );\n");
	ck_assert_int_eq(harness_daemon_start(h), 0);
	assert_exited(h, "long");

	path = harness_path(h, "log/long.out");
	wait_log_total(path, 10, 7 + 5001 + 6);
	ck_assert_int_eq(backups_present(path, 10), 3);
	free(path);
	path = harness_path(h, "log/long.out.3");
	assert_file_text(path, "before\n");
	free(path);
	xs = pad_text(2048, 'x');
	path = harness_path(h, "log/long.out.2");
	assert_file_text(path, xs);
	free(path);
	path = harness_path(h, "log/long.out.1");
	assert_file_text(path, xs);
	free(path);
	free(xs);
	path = harness_path(h, "log/long.out");
	xasprintf(&want, "%s\nafter\n", line + 2 * 2048);
	assert_file_text(path, want);
	free(want);
	free(path);
	free(line);
	harness_free(h);
}
END_TEST

/*
 * A line that reaches corrald in two reads is still a line: if it fits a
 * file, rotation puts all of it in the new file rather than cutting it
 * where the first read happened to end.  The job writes the start of the
 * line, waits until corrald has written it to the log, then the rest.
 */
START_TEST(test_rotate_line_across_writes)
{
	struct harness	*h;
	char		*path, *lines, *first, *xs, *got;
	size_t		 i, len;

	h = harness_new_stopped(NULL);
	/* Ten lines of 100 bytes, then 20 bytes of an 27-byte line. */
	xs = pad_text(99, 'x');
	lines = xmalloc(10 * 100 + 1);
	for (i = 0; i < 10; i++)
		sprintf(lines + i * 100, "%s\n", xs);
	free(xs);
	xasprintf(&first, "%sabcdefghijklmnopqrst", lines);
	path = harness_path(h, "part1");
	file_write(path, first);
	free(path);
	path = harness_path(h, "part2");
	file_write(path, "uvwxyz\n");
	free(path);
	harness_write_config(h, "jobs = ( { name = \"split\";"
	    " restart = \"no\"; log_max_bytes = 1024; log_backups = 5;\n"
	    "  shell = \"cat part1; while [ ! -e go ]; do sleep 0.01; done;"
	    " cat part2\"; } );\n");
	ck_assert_int_eq(harness_daemon_start(h), 0);
	path = harness_path(h, "log/split.out");
	assert_file_text(path, first);
	free(path);
	path = harness_path(h, "go");
	file_write(path, "");
	free(path);
	assert_exited(h, "split");

	path = harness_path(h, "log/split.out");
	wait_log_total(path, 5, 1027);
	ck_assert_int_eq(backups_present(path, 5), 1);
	free(path);
	path = harness_path(h, "log/split.out.1");
	got = file_read(path, &len);
	ck_assert_msg(len > 0 && got[len - 1] == '\n', "split.out.1 ends "
	    "[...%s] (%zu bytes): the line was cut where a read ended, "
	    "though all 27 bytes of it fit a file", got + len - 20, len);
	ck_assert_str_eq(got, lines);
	free(got);
	free(path);
	path = harness_path(h, "log/split.out");
	assert_file_text(path, "abcdefghijklmnopqrstuvwxyz\n");
	free(path);
	free(first);
	free(lines);
	harness_free(h);
}
END_TEST

/* ---- timestamps ---- */

/*
 * log_timestamps: every line starts with an RFC 3339 UTC time to the
 * microsecond and a space, taken when corrald read it (so within this
 * test's run, never going back), and the line follows intact.  A line
 * written in two halves with a pause between gets one prefix, not two.
 */
START_TEST(test_timestamps)
{
	struct harness	*h;
	regex_t		 re;
	struct tm	 tm;
	struct timespec	 t0, t1;
	char		*path, *go, *log, *line, *next, *want[211];
	char		 prev[LOGS_STAMP_LEN + 1] = "", stamp[LOGS_STAMP_LEN + 1];
	const char	*rest;
	time_t		 when;
	size_t		 len, n = 0, i;

	clock_gettime(CLOCK_REALTIME, &t0);
	h = harness_new("jobs = ( { name = \"ts\"; restart = \"no\";"
	    " log_timestamps = true;\n"
	    "  shell = \"seq 1 200; printf hel;"
	    " while [ ! -e go ]; do sleep 0.01; done;"
	    " printf 'lo\\\\n'; seq 201 210\"; } );\n");
	path = harness_path(h, "log/ts.out");
	/* The first half is in the log, with its prefix, before the rest. */
	ck_assert(wait_file_contains(path, "Z hel", HARNESS_WAIT));
	go = harness_path(h, "go");
	file_write(go, "");
	free(go);
	assert_exited(h, "ts");
	ck_assert(wait_file_contains(path, "Z 210\n", HARNESS_WAIT));
	clock_gettime(CLOCK_REALTIME, &t1);

	for (i = 0; i < 200; i++)
		xasprintf(&want[i], "%zu", i + 1);
	want[200] = xstrdup("hello");
	for (i = 201; i < 211; i++)
		xasprintf(&want[i], "%zu", i);

	ck_assert_int_eq(regcomp(&re, LOGS_STAMP_RE, REG_EXTENDED | REG_NOSUB),
	    0);
	log = file_read(path, &len);
	ck_assert_ptr_nonnull(log);
	ck_assert_msg(len > 0 && log[len - 1] == '\n', "log ends mid-line");
	for (line = log; line < log + len; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		ck_assert_msg(n < 211, "extra line [%s]", line);
		ck_assert_msg(regexec(&re, line, 0, NULL, 0) == 0,
		    "line %zu has no timestamp: [%s]", n + 1, line);
		rest = line + LOGS_STAMP_LEN;
		ck_assert_msg(strcmp(rest, want[n]) == 0,
		    "line %zu: [%s] after the stamp, not [%s]", n + 1, rest,
		    want[n]);

		/* A time of this run, and never earlier than the last. */
		memcpy(stamp, line, LOGS_STAMP_LEN);
		stamp[LOGS_STAMP_LEN] = '\0';
		memset(&tm, 0, sizeof tm);
		ck_assert_ptr_nonnull(strptime(stamp, "%Y-%m-%dT%H:%M:%S",
		    &tm));
		when = timegm(&tm);
		ck_assert_msg(when >= t0.tv_sec - 1 && when <= t1.tv_sec + 1,
		    "stamp %s is not the time of this test", stamp);
		ck_assert_msg(strcmp(prev, stamp) <= 0, "stamp %s after %s",
		    stamp, prev);
		memcpy(prev, stamp, sizeof prev);
		n++;
	}
	ck_assert_uint_eq(n, 211);
	regfree(&re);
	for (i = 0; i < 211; i++)
		free(want[i]);
	free(log);
	free(path);
	harness_free(h);
}
END_TEST

/* ---- merged stderr ---- */

/*
 * stderr = "stdout": a job that alternates writes to 1 and 2 finds them in
 * one file in exactly that order, and `logs --stderr` reads that file.
 */
START_TEST(test_stderr_merged_order)
{
	struct harness	*h;
	char		*path, *want, *p, *out = NULL;
	u_int		 i;

	h = harness_new("jobs = ( { name = \"mix\"; restart = \"no\";"
	    " stderr = \"stdout\";\n"
	    "  shell = \"i=0; while [ $i -lt 1000 ]; do echo out$i;"
	    " echo err$i >&2; i=$((i + 1)); done\"; } );\n");
	assert_exited(h, "mix");
	want = xmalloc(1000 * 16 + 1);
	for (i = 0, p = want; i < 1000; i++)
		p += sprintf(p, "out%u\nerr%u\n", i, i);
	path = harness_path(h, "log/mix.out");
	ck_assert(wait_file_size(path, (off_t)(p - want), HARNESS_WAIT));
	assert_file_text(path, want);
	free(path);
	free(want);
	path = harness_path(h, "log/mix.err");
	ck_assert_msg(!file_exists(path), "mix.err exists with merged stderr");
	free(path);

	ck_assert_int_eq(ctl_run(h, &out, NULL, "logs", "--stderr", "-n", "2",
	    "mix", NULL), 0);
	ck_assert_str_eq(out, "out999\nerr999\n");
	free(out);
	harness_free(h);
}
END_TEST

/* ---- reopening ---- */

/* A job that prints 1, 2, 3 ... every 10 ms while the file "run" exists. */
#define LOGS_TICKER \
	"jobs = ( { name = \"tick\"; restart = \"no\"; start_seconds = 0;\n" \
	"  shell = \"i=0; while [ -e run ]; do i=$((i + 1)); echo $i;" \
	" sleep 0.01; done; echo $i > last\"; } );\n"

/*
 * After `mv x.out x.out.moved`, `corralctl reopen-logs x` sends what
 * follows to a new x.out: the two files together hold every line once,
 * in order, the old one up to some line and the new one from the next.
 * A `logs -f` started before goes on across the reopen, with no gap.
 */
START_TEST(test_reopen_after_mv)
{
	struct harness	*h;
	struct bg_proc	 follower;
	char		*run, *log, *moved, *lastp, *a, *b, *all, *tail;
	const char	*bad;
	size_t		 alen, blen;
	long		 last, first, end;

	h = harness_new_stopped(LOGS_TICKER);
	run = harness_path(h, "run");
	file_write(run, "");
	ck_assert_int_eq(harness_daemon_start(h), 0);
	log = harness_path(h, "log/tick.out");
	moved = harness_path(h, "log/tick.out.moved");
	lastp = harness_path(h, "last");
	wait_lines(log, 5);
	ctl_start(h, &follower, "logs", "-f", "tick", NULL);
	wait_lines(follower.out_path, 1);

	ck_assert_int_eq(rename(log, moved), 0);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "reopen-logs", "tick", NULL),
	    0);
	wait_lines(log, 5);
	ck_assert_int_eq(unlink(run), 0);
	assert_exited(h, "tick");
	ck_assert(wait_until(file_exists_pred, lastp, HARNESS_WAIT));
	last = file_number(lastp);
	ck_assert_int_ge(last, 10);
	wait_two_lines(moved, log, (size_t)last);

	/* The follower: from where its tail began to the last line. */
	xasprintf(&tail, "%ld\n", last);
	wait_log_ends(follower.out_path, tail);
	free(tail);
	ck_assert_int_eq(kill(follower.pid, SIGTERM), 0);
	bg_finish(&follower, HARNESS_WAIT, NULL, NULL);
	a = file_read(follower.out_path, &alen);
	ck_assert_ptr_nonnull(a);
	ck_assert_msg(lines_consecutive(a, alen, &first, &end, &bad),
	    "logs -f across the reopen breaks the sequence at [%.20s]", bad);
	ck_assert_int_eq(end, last);
	free(a);

	/* Both files together: 1 .. last, once each, in order. */
	a = file_read(moved, &alen);
	b = file_read(log, &blen);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_msg(alen > 0 && blen > 0, "moved: %zu bytes, new: %zu",
	    alen, blen);
	xasprintf(&all, "%s%s", a, b);
	ck_assert_msg(lines_consecutive(all, alen + blen, &first, &end, &bad),
	    "moved + new log break the sequence at [%.20s]", bad);
	ck_assert_int_eq(first, 1);
	ck_assert_int_eq(end, last);
	free(all);
	free(a);
	free(b);
	free(run);
	free(log);
	free(moved);
	free(lastp);
	harness_free(h);
}
END_TEST

/*
 * After `rm` of the live log, SIGUSR1 to corrald makes a new one, which
 * gets the lines from then on: whatever went to the removed file is gone
 * with it, but the new file continues the sequence to its end, with no
 * gap and nothing twice.
 */
START_TEST(test_reopen_after_rm)
{
	struct harness	*h;
	char		*run, *log, *lastp, *buf;
	const char	*bad;
	size_t		 len;
	long		 last, first, end, before, ignored;

	h = harness_new_stopped(LOGS_TICKER);
	run = harness_path(h, "run");
	file_write(run, "");
	ck_assert_int_eq(harness_daemon_start(h), 0);
	log = harness_path(h, "log/tick.out");
	lastp = harness_path(h, "last");
	wait_lines(log, 5);
	buf = file_read(log, &len);
	ck_assert_msg(lines_consecutive(buf, len, &ignored, &before, &bad),
	    "tick.out: [%.20s]", bad);
	free(buf);

	ck_assert_int_eq(unlink(log), 0);
	ck_assert_int_eq(kill(h->daemon_pid, SIGUSR1), 0);
	wait_lines(log, 5);
	ck_assert_int_eq(unlink(run), 0);
	assert_exited(h, "tick");
	ck_assert(wait_until(file_exists_pred, lastp, HARNESS_WAIT));
	last = file_number(lastp);
	buf = NULL;
	xasprintf(&buf, "%ld\n", last);
	wait_log_ends(log, buf);
	free(buf);

	buf = file_read(log, &len);
	ck_assert_msg(lines_consecutive(buf, len, &first, &end, &bad),
	    "the new tick.out breaks the sequence at [%.20s]", bad);
	ck_assert_msg(first > before, "the new log starts at %ld, but %ld "
	    "was in the removed one", first, before);
	ck_assert_int_eq(end, last);
	free(buf);
	free(run);
	free(log);
	free(lastp);
	harness_free(h);
}
END_TEST

/* ---- corralctl logs ---- */

/*
 * `corralctl logs`: the last 10 lines, or -n N of them (all if there are
 * fewer, none for 0, a last line without a newline counts), --stderr
 * reads the .err log; stdout = "null" has no log, which is an error; a
 * log of several megabytes is answered from its end: corrald reads far
 * less than the file (its rchar in /proc), at once.
 */
START_TEST(test_logs_tail)
{
	struct harness	*h;
	char		*out = NULL, *err = NULL, *want, *path;
	size_t		 len, biglen;
	double		 t0, took;
	unsigned long long before, after;

	h = harness_new("jobs = (\n"
	    "  { name = \"t\"; restart = \"no\";"
	    " shell = \"seq 1 100; seq 101 105 >&2\"; },\n"
	    "  { name = \"partial\"; restart = \"no\";"
	    " shell = \"printf 'a\\\\nb\\\\nc'\"; },\n"
	    "  { name = \"quiet\"; restart = \"no\"; stdout = \"null\";"
	    " shell = \"echo hidden\"; },\n"
	    "  { name = \"big\"; restart = \"no\";"
	    " shell = \"seq 1 1000000\"; }\n"
	    ");\n");
	assert_exited(h, "t");
	assert_exited(h, "partial");
	assert_exited(h, "quiet");

	ck_assert_int_eq(ctl_run(h, &out, NULL, "logs", "-n", "3", "t", NULL),
	    0);
	ck_assert_str_eq(out, "98\n99\n100\n");
	free(out);

	ck_assert_int_eq(ctl_run(h, &out, NULL, "logs", "t", NULL), 0);
	want = seq_text(91, 100, &len);
	ck_assert_str_eq(out, want);
	free(want);
	free(out);

	ck_assert_int_eq(ctl_run(h, &out, NULL, "logs", "-n", "0", "t", NULL),
	    0);
	ck_assert_str_eq(out, "");
	free(out);

	ck_assert_int_eq(ctl_run(h, &out, NULL, "logs", "-n", "1000", "t",
	    NULL), 0);
	want = seq_text(1, 100, &len);
	ck_assert_str_eq(out, want);
	free(want);
	free(out);

	ck_assert_int_eq(ctl_run(h, &out, NULL, "logs", "--stderr", "-n", "2",
	    "t", NULL), 0);
	ck_assert_str_eq(out, "104\n105\n");
	free(out);

	ck_assert_int_eq(ctl_run(h, &out, NULL, "logs", "-n", "2", "partial",
	    NULL), 0);
	ck_assert_str_eq(out, "b\nc");
	free(out);

	ck_assert_int_eq(ctl_run(h, &out, &err, "logs", "quiet", NULL), 1);
	ck_assert_str_eq(out, "");
	ck_assert_msg(contains(err, "quiet: stdout is not logged"), "[%s]",
	    err);
	free(out);
	free(err);

	/* Seven megabytes: only the end is read. */
	assert_exited(h, "big");
	want = seq_text(1, 1000000, &biglen);
	free(want);
	path = harness_path(h, "log/big.out");
	ck_assert(wait_file_size(path, (off_t)biglen, HARNESS_WAIT));
	free(path);
	before = daemon_rchar(h);
	t0 = now_mono();
	ck_assert_int_eq(ctl_run(h, &out, NULL, "logs", "-n", "3", "big",
	    NULL), 0);
	took = now_mono() - t0;
	after = daemon_rchar(h);
	ck_assert_str_eq(out, "999998\n999999\n1000000\n");
	ck_assert_msg(after - before < biglen / 8,
	    "logs -n 3 of %zu bytes read %llu", biglen, after - before);
	ck_assert_msg(took < 1.0, "logs -n 3 of 7 MB took %.3f s", took);
	free(out);
	harness_free(h);
}
END_TEST

/*
 * `logs` of a job that writes without a pause, faster than corrald can
 * timestamp its output (three writers of empty lines, each line given a
 * 28-byte prefix): the answer comes, with the tail of the log as it is
 * then, and corrald goes on answering others.  Rotation without backups bounds the disk use
 * (and, in megabytes, the lines corrald logs about it).
 */
START_TEST(test_logs_busy_job)
{
	struct harness	*h;
	char		*out = NULL;
	char		*args[] = { (char *)"logs", (char *)"-n", (char *)"1",
			    (char *)"y", NULL };
	char		*status[] = { (char *)"status", (char *)"y", NULL };
	char		*path;
	int		 rc;

	h = harness_new("jobs = ( { name = \"y\"; start_seconds = 0;"
	    " log_timestamps = true; log_max_bytes = 67108864;"
	    " log_backups = 0;\n"
	    "  shell = \"yes '' & yes '' & exec yes ''\"; } );\n");
	assert_state(h, "y", "RUNNING", HARNESS_WAIT);
	harness_track(h, job_pid(h, "y"));
	path = harness_path(h, "log/y.out");
	ck_assert(wait_file_size(path, 1, HARNESS_WAIT));
	free(path);

	rc = ctl_runv(h, 3.0, &out, NULL, args);
	ck_assert_msg(rc == 0, "logs of a busy job: no answer in 3 s (%d)",
	    rc);
	ck_assert_msg(strlen(out) == LOGS_STAMP_LEN + 1 &&
	    strcmp(out + LOGS_STAMP_LEN - 2, "Z \n") == 0, "[%s]", out);
	free(out);
	ck_assert_int_eq(ctl_runv(h, 3.0, NULL, NULL, status), 0);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "stop", "y", NULL), 0);
	harness_free(h);
}
END_TEST

/*
 * `logs -f` sees what is written after it started, across rotations, in
 * order and with nothing missing; killed in the middle of the stream it
 * harms nothing: the job and corrald carry on.
 *
 * The job prints three lines, then 100-byte lines every 10 ms while the
 * file "go" exists (its count in "count"), says where it stopped in
 * "paused" when go is removed, and ends at "stop" ("last" then holds its
 * final count).  With log_max_bytes = 1024 a file holds ten lines.
 */
START_TEST(test_logs_follow)
{
	struct harness	*h;
	struct bg_proc	 follower;
	char		*pad, *body, *log, *go, *count, *paused, *stop, *lastp;
	char		*want, *got, *name;
	size_t		 len, got_len;
	long		 c1, last;
	pid_t		 pid;
	int		 n;

	pad = pad_text(93, 'p');
	xasprintf(&body, "jobs = ( { name = \"f\"; restart = \"no\";"
	    " start_seconds = 0; log_max_bytes = 1024; log_backups = %d;\n"
	    "  shell = \"p=%s; i=0; w=0;"
	    " while [ $i -lt 3 ]; do i=$((i + 1));"
	    " printf '%%05d %%s\\\\n' $i $p; done;"
	    " while [ ! -e stop ]; do"
	    " if [ -e go ]; then i=$((i + 1));"
	    " printf '%%05d %%s\\\\n' $i $p; echo $i > count; w=1;"
	    " elif [ $w = 1 ]; then echo $i > paused; w=0; fi;"
	    " sleep 0.01; done; echo $i > last\"; } );\n", LOGS_MAX_BACKUPS,
	    pad);
	h = harness_new(body);
	free(body);
	log = harness_path(h, "log/f.out");
	go = harness_path(h, "go");
	count = harness_path(h, "count");
	paused = harness_path(h, "paused");
	stop = harness_path(h, "stop");
	lastp = harness_path(h, "last");

	/* Once the tail (lines 1..3) is out, it follows. */
	pid = follow_from(h, &follower, "f", log, "00003 ");
	file_write(go, "");
	wait_number(count, 40);
	ck_assert_int_eq(unlink(go), 0);
	ck_assert(wait_until(file_exists_pred, paused, HARNESS_WAIT));
	wait_number(paused, 40);
	c1 = file_number(paused);

	want = padded_lines(1, (u_int)c1, pad, &len);
	if (!wait_file_equals(follower.out_path, want, len, HARNESS_WAIT)) {
		got = file_read(follower.out_path, &got_len);
		ck_abort_msg("logs -f: %zu bytes, not lines 1..%ld (%zu bytes)"
		    "; it ends [%s]", got_len, c1, len,
		    got_len > 110 ? got + got_len - 110 : got);
	}
	free(want);
	/* All of that went through rotations (ten lines to a file). */
	n = backups_present(log, LOGS_MAX_BACKUPS);
	ck_assert_msg(n >= 3, "%d rotations while following", n);

	/* Killed mid-stream. */
	ck_assert_int_eq(unlink(paused), 0);
	file_write(go, "");
	wait_number(count, c1 + 10);
	ck_assert_int_eq(kill(follower.pid, SIGKILL), 0);
	ck_assert_int_eq(bg_finish(&follower, HARNESS_WAIT, NULL, NULL),
	    128 + SIGKILL);
	wait_number(count, c1 + 30);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", "f", NULL), 0);
	ck_assert_int_eq(job_pid(h, "f"), pid);
	check_state(h, "f", "RUNNING");
	ck_assert_int_eq(harness_daemon_wait_exit(h, 0), -1);

	/* And the log itself has every line, once. */
	file_write(stop, "");
	assert_exited(h, "f");
	ck_assert(wait_until(file_exists_pred, lastp, HARNESS_WAIT));
	last = file_number(lastp);
	ck_assert_int_ge(last, c1 + 30);
	want = padded_lines(1, (u_int)last, pad, &len);
	wait_log_total(log, LOGS_MAX_BACKUPS, (off_t)len);
	n = backups_present(log, LOGS_MAX_BACKUPS);
	got = log_concat(log, n, &got_len);
	ck_assert_msg(got_len == len && memcmp(got, want, len) == 0,
	    "f.out and its %d backups: %zu bytes, not lines 1..%ld", n,
	    got_len, last);
	free(got);
	free(want);
	name = backup_path(log, n);
	ck_assert(file_exists(name));
	free(name);
	free(pad);
	free(log);
	free(go);
	free(count);
	free(paused);
	free(stop);
	free(lastp);
	harness_free(h);
}
END_TEST

/*
 * A follower that stops reading never holds the job back: corrald keeps
 * at most 1 MiB for it, then drops it with a message, and meanwhile the
 * job writes 16 MiB as fast as it can, all of it reaches the log, and
 * status answers.  What the follower did get is the log's beginning,
 * byte for byte.
 */
#define LOGS_SLOW_LINE		"0123456789abcdef0123456789abcdef" \
				"0123456789abcdef012345678901234"
#define LOGS_SLOW_BYTES		(16 * 1024 * 1024)

START_TEST(test_slow_follower_dropped)
{
	struct harness	*h;
	struct bg_proc	 follower;
	char		*log, *go, *wrote, *want, *got, *out, *err;
	size_t		 len, got_len, out_len, i;
	pid_t		 pid;

	h = harness_new("jobs = ( { name = \"loud\"; restart = \"no\";"
	    " start_seconds = 0; shell = \"echo ready;"
	    " while [ ! -e go ]; do sleep 0.01; done;"
	    " yes " LOGS_SLOW_LINE " | head -c 16777216;"
	    " echo > wrote; exec sleep 1000\"; } );\n");
	log = harness_path(h, "log/loud.out");
	go = harness_path(h, "go");
	wrote = harness_path(h, "wrote");

	/* Following (it has printed the tail), then reading no more. */
	pid = follow_from(h, &follower, "loud", log, "ready\n");
	ck_assert_int_eq(kill(follower.pid, SIGSTOP), 0);

	file_write(go, "");
	ck_assert_msg(wait_until(file_exists_pred, wrote, HARNESS_WAIT),
	    "the job was held back by a follower that does not read");
	len = strlen("ready\n") + LOGS_SLOW_BYTES;
	want = xmalloc(len);
	memcpy(want, "ready\n", 6);
	for (i = 6; i < len; i += 64)
		memcpy(want + i, LOGS_SLOW_LINE "\n", 64);
	ck_assert(wait_file_size(log, (off_t)len, HARNESS_WAIT));
	got = file_read(log, &got_len);
	ck_assert_msg(got_len == len && memcmp(got, want, len) == 0,
	    "loud.out: %zu bytes, not the job's %zu", got_len, len);
	free(got);
	check_status_prompt(h, 5);
	ck_assert_int_eq(job_pid(h, "loud"), pid);
	check_state(h, "loud", "RUNNING");

	/* Awake again, the follower reads what was kept, then the drop. */
	ck_assert_int_eq(kill(follower.pid, SIGCONT), 0);
	ck_assert_int_eq(bg_finish(&follower, HARNESS_WAIT, &out, &err), 1);
	ck_assert_msg(strstr(err, "too slow to follow this log: dropped") !=
	    NULL, "logs -f said [%s]", err);
	out_len = strlen(out);
	ck_assert_msg(out_len < len / 2 && memcmp(out, want, out_len) == 0,
	    "logs -f printed %zu bytes, not a short start of the log",
	    out_len);
	free(out);
	free(err);
	free(want);
	free(log);
	free(go);
	free(wrote);
	harness_free(h);
}
END_TEST

/* ---- a full disk ---- */

/* Where unshare(1) is, or NULL. */
static const char *
unshare_path(void)
{
	const char	*paths[] = { "/usr/bin/unshare", "/bin/unshare", NULL };
	u_int		 i;

	for (i = 0; paths[i] != NULL; i++) {
		if (access(paths[i], X_OK) == 0)
			return (paths[i]);
	}
	return (NULL);
}

/*
 * Can a tmpfs be mounted in a mount namespace of our own?  Not without
 * CAP_SYS_ADMIN, nor in every container.
 */
static int
tmpfs_usable(struct harness *h, const char *unshare)
{
	char	*dir, *err = NULL;
	char	*argv[] = { (char *)unshare, (char *)"-m", (char *)"sh",
		    (char *)"-c", (char *)"mount -t tmpfs -o size=1m tmpfs "
		    "\"$1\" && umount \"$1\"", (char *)"sh", NULL, NULL };
	int	 rc;

	dir = harness_path(h, "probe");
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	argv[6] = dir;
	rc = run_argv(argv, HARNESS_WAIT, NULL, &err);
	if (rc != 0)
		fprintf(stderr, "skipped: cannot mount a tmpfs in a mount "
		    "namespace (%d): %s", rc, err);
	free(err);
	rmdir(dir);
	free(dir);
	return (rc == 0);
}

/*
 * As harness_daemon_start(), but corrald runs in a mount namespace of its
 * own where log_dir is a tmpfs of the given size; its jobs are in it too.
 * unshare and sh each exec the next, so the pid is corrald's, and the test
 * reaches the tmpfs through /proc/PID/root.  The namespace goes when
 * corrald does.  Returns -1 if corrald did not come up.
 */
static int
daemon_start_tmpfs(struct harness *h, const char *unshare, const char *size)
{
	char	*opts;
	double	 deadline;
	pid_t	 pid, parent = getpid();
	int	 fd, status;

	xasprintf(&opts, "size=%s", size);
	if (mkdir(h->log_dir, 0755) == -1 && errno != EEXIST)
		ck_abort_msg("mkdir %s: %s", h->log_dir, strerror(errno));
	fflush(NULL);
	if ((pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		/* What harness_daemon_spawn() does, and for the same reasons. */
		setpgid(0, 0);
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
		    getppid() != parent)
			_exit(127);
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, 0);
		if ((fd = open(h->daemon_err, O_WRONLY | O_CREAT | O_APPEND,
		    0644)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		close_range(3, ~0U, 0);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_IGN);
		umask(022);
		setenv(HARNESS_TAG_VAR, h->dir, 1);
		unsetenv("CORRAL_SOCKET");
		unsetenv("NOTIFY_SOCKET");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_PID");
		unsetenv("WATCHDOG_USEC");
		execl(unshare, "unshare", "-m", "sh", "-c",
		    "mount -t tmpfs -o \"$1\" tmpfs \"$2\" &&"
		    " exec \"$3\" -v -c \"$4\"", "sh", opts, h->log_dir,
		    CORRALD_BIN, h->config, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", unshare, strerror(errno));
		_exit(127);
	}
	free(opts);
	h->daemon_pid = pid;
	deadline = now_mono() + HARNESS_WAIT;
	while (ctl_run(h, NULL, NULL, "status", NULL) != 0) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			h->daemon_status = status;
			h->daemon_pid = -1;
			return (-1);
		}
		if (now_mono() > deadline)
			return (-1);
		pause_ms(5);
	}
	return (0);
}

/* The two jobs of the disk-full test, and how far they have come. */
struct blocked_cond {
	const char	*progress[2];	/* where each keeps its count */
	int		 pipes[2];	/* its stdout, opened through /proc */
	long		 seen[2];
	double		 since;		/* when seen[] last changed */
};

/*
 * The pipe that is pid's stdout, opened through /proc.  The shell puts a
 * file there for a moment for each `echo > file`: that is not it.
 */
static int
open_stdout_pipe(pid_t pid)
{
	struct stat	 sb;
	double		 deadline = now_mono() + HARNESS_WAIT;
	char		*path;
	int		 fd;

	xasprintf(&path, "/proc/%ld/fd/1", (long)pid);
	for (;;) {
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		ck_assert_msg(fd != -1, "%s: %s", path, strerror(errno));
		if (fstat(fd, &sb) == 0 && S_ISFIFO(sb.st_mode))
			break;
		close(fd);
		ck_assert_msg(now_mono() < deadline, "%s is no pipe", path);
		pause_ms(1);
	}
	free(path);
	return (fd);
}

/*
 * Is every page of both jobs' pipes taken, so that they cannot write
 * another line?  Lines of 1 KiB fill pages exactly, so that is when a
 * pipe holds more than its size less a page (its first page may have
 * been read in part).
 */
static int
pipes_full_pred(void *arg)
{
	struct blocked_cond	*bc = arg;
	long			 page = sysconf(_SC_PAGESIZE);
	int			 queued, size;
	u_int			 i;

	for (i = 0; i < 2; i++) {
		if (ioctl(bc->pipes[i], FIONREAD, &queued) == -1 ||
		    (size = fcntl(bc->pipes[i], F_GETPIPE_SZ)) == -1)
			ck_abort_msg("job's pipe: %s", strerror(errno));
		if (queued <= size - page)
			return (0);
	}
	return (1);
}

/* Has either job written a line since seen[] was taken? */
static int
progress_moved_pred(void *arg)
{
	struct blocked_cond	*bc = arg;
	long			 v;
	u_int			 i;

	for (i = 0; i < 2; i++) {
		/* -1: caught between truncate and write, not a value. */
		if ((v = file_number(bc->progress[i])) != -1 &&
		    v != bc->seen[i])
			return (1);
	}
	return (0);
}

/*
 * Has neither job counted a line for 200 ms?  Once its pipe is full a job
 * still writes the count of the line that filled it, then blocks.
 */
static int
progress_settled_pred(void *arg)
{
	struct blocked_cond	*bc = arg;
	long			 v;
	u_int			 i;

	for (i = 0; i < 2; i++) {
		if ((v = file_number(bc->progress[i])) != -1 &&
		    v != bc->seen[i]) {
			bc->seen[i] = v;
			bc->since = now_mono();
		}
	}
	return (bc->seen[0] > 0 && bc->seen[1] > 0 &&
	    now_mono() - bc->since >= 0.2);
}

struct log_error_cond {
	struct harness	*h;
	const char	*job;
	const char	*want;		/* NULL: no error */
};

static int
log_error_pred(void *arg)
{
	struct log_error_cond	*lc = arg;
	char			*err;
	int			 yes;

	err = status_str(lc->h, lc->job, "log_error");
	if (lc->want == NULL)
		yes = err == NULL;
	else
		yes = err != NULL && strcmp(err, lc->want) == 0;
	free(err);
	return (yes);
}

/*
 * A full disk holds the job back instead of losing its output: corrald
 * stops reading the pipe, so the job blocks in write(2) once the pipe is
 * full, status says why, and when space comes back everything held is
 * written and the job carries on: the log has every line, once.
 *
 * corrald runs in a mount namespace of its own with log_dir on a 16 MiB
 * tmpfs, nearly filled up with a file put there beforehand.  Two jobs
 * write 3000 numbered lines of 1 KiB, one logged by splice(2) (no
 * rotation, no timestamps), the other through corrald's buffer
 * (log_max_bytes set, never reached); each keeps its count in a file
 * outside the tmpfs.  Neither fits in the space left plus its pipe.
 */
START_TEST(test_disk_full)
{
	struct harness		*h;
	struct blocked_cond	 bc;
	struct log_error_cond	 lc;
	const char		*unshare, *jobs[] = { "plain", "held" };
	const char		*enospc = "log: No space left on device";
	char			*pad, *body, *root, *filler, *path, *buf;
	char			*want, *got, *msg, *dlog;
	const size_t		 fs_size = 16 << 20, room = 512 << 10;
	size_t			 done, len, got_len;
	ssize_t			 n;
	int			 fd, flapped[2];
	u_int			 i;

	if ((unshare = unshare_path()) == NULL) {
		fprintf(stderr, "skipped: no unshare(1)\n");
		return;
	}
	h = harness_new_stopped(NULL);
	if (!tmpfs_usable(h, unshare)) {
		harness_free(h);
		return;
	}
	pad = pad_text(1017, 'p');
	xasprintf(&body, "jobs = (\n"
	    "  { name = \"plain\"; autostart = false; restart = \"no\";"
	    " start_seconds = 0;\n"
	    "    shell = \"p=%s; i=0; while [ $i -lt 3000 ]; do"
	    " i=$((i + 1)); printf '%%05d %%s\\\\n' $i $p;"
	    " echo $i > progress-plain; done\"; },\n"
	    "  { name = \"held\"; autostart = false; restart = \"no\";"
	    " start_seconds = 0; log_max_bytes = 1073741824;\n"
	    "    shell = \"p=%s; i=0; while [ $i -lt 3000 ]; do"
	    " i=$((i + 1)); printf '%%05d %%s\\\\n' $i $p;"
	    " echo $i > progress-held; done\"; }\n"
	    ");\n", pad, pad);
	harness_write_config(h, body);
	free(body);
	ck_assert_msg(daemon_start_tmpfs(h, unshare, "16m") == 0,
	    "corrald did not start on a tmpfs");
	xasprintf(&root, "/proc/%ld/root%s", (long)h->daemon_pid,
	    h->log_dir);

	/* Leave room for about half a megabyte of logs. */
	xasprintf(&filler, "%s/filler", root);
	fd = open(filler, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_msg(fd != -1, "%s: %s", filler, strerror(errno));
	buf = xcalloc(1, 65536);
	for (done = 0; done < fs_size - room; done += (size_t)n) {
		n = write(fd, buf, 65536);
		ck_assert_msg(n > 0, "%s: %s", filler, strerror(errno));
	}
	close(fd);
	free(buf);

	ck_assert_int_eq(ctl_run(h, NULL, NULL, "start", "plain", "held",
	    NULL), 0);
	harness_track(h, job_pid(h, "plain"));
	harness_track(h, job_pid(h, "held"));
	for (i = 0; i < 2; i++) {
		lc.h = h;
		lc.job = jobs[i];
		lc.want = enospc;
		ck_assert_msg(wait_until(log_error_pred, &lc, HARNESS_WAIT),
		    "%s: no \"log_error\": \"%s\" in status", jobs[i],
		    enospc);
	}

	/* The jobs stop where the pipes are full, well short of the end. */
	memset(&bc, 0, sizeof bc);
	for (i = 0; i < 2; i++) {
		xasprintf(&path, "progress-%s", jobs[i]);
		bc.progress[i] = harness_path(h, path);
		free(path);
		bc.pipes[i] = open_stdout_pipe(job_pid(h, jobs[i]));
		bc.seen[i] = -1;
	}
	ck_assert_msg(wait_until(pipes_full_pred, &bc, HARNESS_WAIT),
	    "the jobs' pipes did not fill up: corrald kept reading");
	bc.since = now_mono();
	ck_assert(wait_until(progress_settled_pred, &bc, HARNESS_WAIT));
	for (i = 0; i < 2; i++)
		ck_assert_msg(bc.seen[i] < 3000, "%s wrote all it had (%ld "
		    "lines) to a full disk", jobs[i], bc.seen[i]);
	/* And stay there, past a retry or two. */
	ck_assert_msg(!wait_until(progress_moved_pred, &bc, 2.2),
	    "a job moved on while the disk was full");
	ck_assert_msg(pipes_full_pred(&bc), "corrald took from a pipe while "
	    "the disk was full");
	for (i = 0; i < 2; i++)
		close(bc.pipes[i]);
	for (i = 0; i < 2; i++) {
		check_state(h, jobs[i], "RUNNING");
		lc.job = jobs[i];
		lc.want = enospc;
		ck_assert_msg(wait_until(log_error_pred, &lc, HARNESS_WAIT),
		    "%s: log_error gone while the disk is full", jobs[i]);
	}
	/* A failed retry is no recovery; it is kept for the end. */
	dlog = harness_daemon_log(h);
	for (i = 0; i < 2; i++) {
		xasprintf(&msg, "%s: stdout %s/%s.out: writing again",
		    jobs[i], h->log_dir, jobs[i]);
		flapped[i] = contains(dlog, msg);
		free(msg);
	}
	free(dlog);
	/* Said once, not at every retry. */
	for (i = 0; i < 2; i++) {
		xasprintf(&msg, "%s: stdout %s/%s.out: No space left on "
		    "device; holding output", jobs[i], h->log_dir, jobs[i]);
		ck_assert_msg(harness_daemon_log_count(h, msg) == 1,
		    "[%s] is in corrald's log %d times", msg,
		    harness_daemon_log_count(h, msg));
		free(msg);
	}

	/* Space again: everything held is written, and the jobs finish. */
	ck_assert_int_eq(unlink(filler), 0);
	want = padded_lines(1, 3000, pad, &len);
	for (i = 0; i < 2; i++) {
		assert_exited(h, jobs[i]);
		xasprintf(&path, "%s/%s.out", root, jobs[i]);
		ck_assert_msg(wait_file_size(path, (off_t)len, HARNESS_WAIT),
		    "%s: %lld bytes, not %zu", path,
		    (long long)file_size(path), len);
		got = file_read(path, &got_len);
		ck_assert_msg(got != NULL && got_len == len &&
		    memcmp(got, want, len) == 0,
		    "%s.out: not lines 1..3000 once each", jobs[i]);
		free(got);
		free(path);
		lc.job = jobs[i];
		lc.want = NULL;
		ck_assert_msg(wait_until(log_error_pred, &lc, HARNESS_WAIT),
		    "%s: log_error stays", jobs[i]);
	}
	free(want);
	for (i = 0; i < 2; i++)
		ck_assert_msg(!flapped[i], "%s: corrald said \"writing again\""
		    " while the disk was still full", jobs[i]);
	free((char *)bc.progress[0]);
	free((char *)bc.progress[1]);
	free(filler);
	free(root);
	free(pad);
	harness_free(h);
}
END_TEST

/* Bytes corrald has taken in through read(2) and the like: rchar. */
static unsigned long long
daemon_rchar(struct harness *h)
{
	unsigned long long	 v = 0;
	char			*path, *text, *p;

	xasprintf(&path, "/proc/%ld/io", (long)h->daemon_pid);
	text = file_read(path, NULL);
	ck_assert_msg(text != NULL, "%s: %s", path, strerror(errno));
	ck_assert((p = strstr(text, "rchar: ")) != NULL);
	v = strtoull(p + 7, NULL, 10);
	free(text);
	free(path);
	return (v);
}

/* fs.pipe-max-size: the largest pipe an unprivileged process may ask. */
static long
pipe_max_size(void)
{
	char	*text;
	long	 v;

	if ((text = file_read("/proc/sys/fs/pipe-max-size", NULL)) == NULL)
		return (-1);
	v = strtol(text, NULL, 10);
	free(text);
	return (v);
}

struct pipe_full_cond {
	int	 fd;
};

static int
pipe_full_pred(void *arg)
{
	struct pipe_full_cond	*pc = arg;
	long			 page = sysconf(_SC_PAGESIZE);
	int			 queued, size;

	if (ioctl(pc->fd, FIONREAD, &queued) == -1 ||
	    (size = fcntl(pc->fd, F_GETPIPE_SZ)) == -1)
		ck_abort_msg("job's pipe: %s", strerror(errno));
	return (queued > size - page);
}

/*
 * A backlog -- a full pipe, the job ahead of corrald, here because corrald
 * was stopped -- goes to the file by splice, not through corrald's reads
 * (its rchar grows by less than the log), and every byte is there, in
 * order, reads and splices mixed.  The pipe was enlarged to 1 MiB for a
 * burst to wait in (where fs.pipe-max-size or root allows it).
 */
START_TEST(test_backlog_spliced)
{
	struct harness		*h;
	struct pipe_full_cond	 pc;
	unsigned long long	 before, after;
	char			*go, *log, *want, *got;
	size_t			 len, got_len;
	pid_t			 pid;

	h = harness_new("jobs = ( { name = \"b\"; start_seconds = 0;"
	    " restart = \"no\";\n"
	    "  shell = \"while [ ! -e go ]; do sleep 0.01; done;"
	    " seq 1 400000\"; directory = \"log\"; } );\n");
	assert_state(h, "b", "RUNNING", HARNESS_WAIT);
	pid = job_pid(h, "b");
	go = harness_path(h, "log/go");
	log = harness_path(h, "log/b.out");
	pc.fd = open_stdout_pipe(pid);
	if (getuid() == 0 || pipe_max_size() >= 1024 * 1024)
		ck_assert_int_eq(fcntl(pc.fd, F_GETPIPE_SZ), 1024 * 1024);
	before = daemon_rchar(h);

	ck_assert_int_eq(kill(h->daemon_pid, SIGSTOP), 0);
	file_write(go, "");
	ck_assert_msg(wait_until(pipe_full_pred, &pc, HARNESS_WAIT),
	    "the job's pipe did not fill up");
	ck_assert_int_eq(kill(h->daemon_pid, SIGCONT), 0);
	close(pc.fd);

	assert_exited(h, "b");
	want = seq_text(1, 400000, &len);
	ck_assert(wait_file_size(log, (off_t)len, HARNESS_WAIT));
	got = file_read(log, &got_len);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(got_len == len && memcmp(got, want, len) == 0,
	    "the log is not seq 1 400000 (%zu bytes, want %zu)", got_len, len);
	after = daemon_rchar(h);
	/* At least the part of the full pipe past the first read. */
	ck_assert_msg(after - before + 512 * 1024 < len, "corrald read %llu "
	    "bytes of a %zu-byte log: no splice", after - before, len);
	free(got);
	free(want);
	free(log);
	free(go);
	harness_free(h);
}
END_TEST

Suite *
suite_logs(void)
{
	Suite	*s = suite_create("logs");
	TCase	*tc = harness_tcase("logs");

	tcase_add_test(tc, test_rotate_keeps_every_byte);
	tcase_add_test(tc, test_rotate_long_line);
	tcase_add_test(tc, test_rotate_line_across_writes);
	tcase_add_test(tc, test_timestamps);
	tcase_add_test(tc, test_stderr_merged_order);
	tcase_add_test(tc, test_reopen_after_mv);
	tcase_add_test(tc, test_reopen_after_rm);
	tcase_add_test(tc, test_logs_tail);
	tcase_add_test(tc, test_logs_busy_job);
	tcase_add_test(tc, test_logs_follow);
	tcase_add_test(tc, test_slow_follower_dropped);
	tcase_add_test(tc, test_disk_full);
	tcase_add_test(tc, test_backlog_spliced);
	suite_add_tcase(s, tc);
	return (s);
}
