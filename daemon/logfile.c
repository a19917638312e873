/*
 * logfile.c -- capture of a job's output: a pipe whose write end the job
 * gets as stdout or stderr, read by the event loop and written to a file.
 *
 * The daemon keeps the write end open for the life of the job, so the pipe
 * survives restarts and a process left behind by a run can keep writing
 * without ever seeing EPIPE.
 *
 * Bytes go through a large buffer: timestamps are added there (logstamp.c)
 * and the file is rotated by the writer when the next write would take it
 * past log_max_bytes, at a line boundary when the line fits.  A backlog
 * beyond one buffer goes pipe -> file by splice(2) when nothing needs to
 * see the bytes (no timestamps, no rotation, no follower); why not always,
 * see logfile_read_cb().  Followers (`corralctl logs -f`) get the bytes as
 * they are written.
 *
 * A failed write (disk full, EIO) never loses bytes silently: what was
 * read but not written is held, reading from the pipe stops (so the job
 * blocks on its own writes: back-pressure), the error shows in status and
 * is logged once, and a timer retries until writing works again.
 *
 * Files are opened without O_APPEND, which splice refuses; instead each
 * batch seeks to the end first, so a file truncated by someone else
 * (logrotate's copytruncate) is written from its new end, as with
 * O_APPEND.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "corrald.h"

/* One read from a pipe moves at most this much. */
#define LOGFILE_CHUNK		(256 * 1024)

/* One splice moves at most this much; a callback does a few. */
#define LOGFILE_SPLICE_CHUNK	(1024 * 1024)
#define LOGFILE_SPLICES		4

/* Pipe buffer asked for: a burst need not wait for the loop. */
#define LOGFILE_PIPE_SIZE	(1024 * 1024)

/* Retry interval after a failed write. */
#define LOGFILE_RETRY_SEC	1

/* Unsent bytes a follower may have before it is dropped. */
#define LOGFILE_FOLLOW_BACKLOG	(1024 * 1024)

static void	logfile_read_cb(int, short, void *);
static void	logfile_line_track(struct logfile *, const char *, size_t);
static void	logfile_retry_cb(int, short, void *);
static int	logfile_open_file(struct logfile *, int);

/* Open path for job's stream: the file, and the pipe that feeds it. */
struct logfile *
logfile_open(struct job *job, const char *stream, const char *path,
    char **cause)
{
	struct logfile	*lf;
	int		 fds[2];

	lf = xcalloc(1, sizeof *lf);
	lf->job = job;
	lf->stream = stream;
	lf->path = xstrdup(path);
	lf->fd = lf->pipe_rd = lf->pipe_wr = -1;
	if (logfile_open_file(lf, 0) == -1) {
		xasprintf(cause, "open %s log %s: %s", stream, path,
		    strerror(errno));
		goto fail;
	}
	if (pipe2(fds, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		goto fail;
	}
	lf->pipe_rd = fds[0];
	lf->pipe_wr = fds[1];
	/* Only our end is non-blocking: the job's writes block as usual. */
	if (fcntl(lf->pipe_rd, F_SETFL, O_NONBLOCK) == -1) {
		xasprintf(cause, "fcntl: %s", strerror(errno));
		goto fail;
	}
	/* Not fatal: the kernel may cap it (fs.pipe-max-size). */
	fcntl(lf->pipe_rd, F_SETPIPE_SZ, LOGFILE_PIPE_SIZE);
	lf->ev_read = event_new(cd->base, lf->pipe_rd, EV_READ | EV_PERSIST,
	    logfile_read_cb, lf);
	lf->ev_retry = evtimer_new(cd->base, logfile_retry_cb, lf);
	event_add(lf->ev_read, NULL);
	return (lf);

fail:
	logfile_close(lf);
	return (NULL);
}

/*
 * Open lf->path (truncated if trunc) as lf->fd, closing any previous one.
 * Returns -1 with errno.
 */
static int
logfile_open_file(struct logfile *lf, int trunc)
{
	off_t	 end;
	int	 fd, flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
		    O_NOCTTY;

	if (trunc)
		flags |= O_TRUNC;
	if ((fd = open(lf->path, flags, 0640)) == -1)
		return (-1);
	if ((end = lseek(fd, 0, SEEK_END)) == -1) {
		close(fd);
		return (-1);
	}
	if (lf->fd != -1)
		close(lf->fd);
	lf->fd = fd;
	lf->size = end;
	lf->partial = 0;	/* a file of someone else's making: unknown */
	return (0);
}

/* Write from the file's current end, wherever someone else left it. */
static int
logfile_seek_end(struct logfile *lf)
{
	off_t	 end;

	if ((end = lseek(lf->fd, 0, SEEK_END)) == -1)
		return (-1);
	lf->size = end;
	return (0);
}

/*
 * FILE.N-1 -> FILE.N ... FILE -> FILE.1, and a new FILE; with no backups
 * the file is just emptied.  Returns -1 with errno.
 */
static int
logfile_rotate(struct logfile *lf)
{
	int	 backups = lf->job->spec->log_backups, i;
	char	*from, *to;

	log_debug("%s: rotating %s", lf->job->name, lf->path);
	if (backups == 0) {
		if (ftruncate(lf->fd, 0) == -1)
			return (-1);
		lf->partial = 0;
		return (logfile_seek_end(lf));
	}
	for (i = backups; i >= 1; i--) {
		from = logstamp_backup_name(lf->path, i - 1);
		to = logstamp_backup_name(lf->path, i);
		if (rename(from, to) == -1 && errno != ENOENT) {
			log_warn("%s: rename %s to %s", lf->job->name, from,
			    to);
			free(from);
			free(to);
			return (-1);
		}
		free(from);
		free(to);
	}
	return (logfile_open_file(lf, 1));
}

/* Bytes went to the file: after a failure, say it works again. */
static void
logfile_wrote(struct logfile *lf, size_t n)
{
	lf->size += (off_t)n;
	if (lf->error != NULL && n > 0) {
		log_info("%s: %s %s: writing again", lf->job->name,
		    lf->stream, lf->path);
		free(lf->error);
		lf->error = NULL;
	}
}

/* Write buf[0..len); *done says how much went.  -1 with errno. */
static int
logfile_write_all(struct logfile *lf, const char *buf, size_t len,
    size_t *done)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(lf->fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		logfile_line_track(lf, buf, (size_t)n);
		buf += n;
		len -= (size_t)n;
		*done += (size_t)n;
		logfile_wrote(lf, (size_t)n);
	}
	return (0);
}

/* The bytes of buf up to and with its first newline (all, if none). */
static size_t
logfile_line_rest(const char *buf, size_t len)
{
	const char	*nl = memchr(buf, '\n', len);

	return (nl != NULL ? (size_t)(nl - buf) + 1 : len);
}

/* Keep count of the bytes of the file's last line (no newline yet). */
static void
logfile_line_track(struct logfile *lf, const char *buf, size_t n)
{
	const char	*nl = memrchr(buf, '\n', n);

	if (nl != NULL)
		lf->partial = (size_t)(buf + n - (nl + 1));
	else
		lf->partial += n;
}

/*
 * Rotate, taking the start of a line that is in the file but not ended
 * (a line written over two reads) to the new file with the rest of it,
 * if all of it fits there: lines are not cut where a read happened to
 * end.  Returns -1 with errno.
 */
static int
logfile_rotate_line(struct logfile *lf, size_t rest)
{
	long long	 max = lf->job->spec->log_max_bytes;
	char		*carry;
	size_t		 n = lf->partial, done = 0;
	off_t		 keep = lf->size - (off_t)n;

	if (n == 0 || keep <= 0 || n > LOGSTAMP_PIECE ||
	    (long long)(n + rest) > max)
		return (logfile_rotate(lf));
	carry = xmalloc(n);
	if (pread(lf->fd, carry, n, keep) != (ssize_t)n ||
	    ftruncate(lf->fd, keep) == -1) {
		free(carry);
		return (logfile_rotate(lf));
	}
	if (logfile_rotate(lf) == -1 ||
	    logfile_write_all(lf, carry, n, &done) == -1) {
		free(carry);
		return (-1);
	}
	free(carry);
	return (0);
}

/*
 * Write buf[0..len) to the file, rotating when a write would take it past
 * log_max_bytes: at the last line boundary that fits, or, for a line that
 * cannot fit even a new file, at the limit.  *done says how much went.
 */
static int
logfile_emit(struct logfile *lf, const char *buf, size_t len, size_t *done)
{
	long long	 max = lf->job->spec->log_max_bytes;
	size_t		 take, room;
	const char	*nl;

	*done = 0;
	while (len > 0) {
		take = len;
		if (max > 0 && (long long)(lf->size + len) > max) {
			room = lf->size < max ? (size_t)(max - lf->size) : 0;
			if (room > len)
				room = len;
			nl = room > 0 ? memrchr(buf, '\n', room) : NULL;
			if (nl != NULL)
				take = (size_t)(nl - buf) + 1;
			else if (lf->size == 0)
				take = room;	/* longer than a whole file */
			else
				take = 0;	/* the line may fit a new file */
		}
		if (take > 0 && logfile_write_all(lf, buf, take, done) == -1)
			return (-1);
		buf += take;
		len -= take;
		if (len > 0 && max > 0 && (long long)(lf->size + len) > max &&
		    logfile_rotate_line(lf, logfile_line_rest(buf, len)) == -1)
			return (-1);
	}
	return (0);
}

/* Send bytes just written to whoever follows this log. */
static void
logfile_feed_followers(struct logfile *lf, const char *buf, size_t len)
{
	struct client	*c, *next;
	json_t		*obj;
	char		*data;

	if (lf->nfollowers == 0 || len == 0)
		return;
	data = base64_encode(buf, len);
	obj = json_pack("{s:s}", "data", data);
	free(data);
	TAILQ_FOREACH_SAFE(c, &cd->clients, entry, next) {
		if (c->follow != lf || c->dead)
			continue;
		if (evbuffer_get_length(c->out) > LOGFILE_FOLLOW_BACKLOG) {
			control_send(c, proto_error(PROTO_E_FAILED,
			    "too slow to follow this log: dropped"));
			c->closing = 1;
			logfile_unfollow(c);
			continue;
		}
		control_send(c, json_incref(obj));
	}
	json_decref(obj);
}

/* Writing failed: keep what was not written, stop reading, retry later. */
static void
logfile_hold(struct logfile *lf, const char *buf, size_t len, int err)
{
	struct timeval	 tv = { LOGFILE_RETRY_SEC, 0 };
	char		*msg;

	xasprintf(&msg, "log: %s", strerror(err));
	/* Said once per kind of failure, not once per retry. */
	if (lf->error == NULL || strcmp(lf->error, msg) != 0)
		log_warnx("%s: %s %s: %s; holding output until it can be "
		    "written", lf->job->name, lf->stream, lf->path,
		    strerror(err));
	free(lf->error);
	lf->error = msg;
	if (len > 0) {
		lf->pending = xreallocarray(lf->pending, len, 1);
		memmove(lf->pending, buf, len);
	}
	lf->npending = len;
	event_del(lf->ev_read);
	evtimer_add(lf->ev_retry, &tv);
}

/* Write out (already timestamped) bytes, holding them on failure. */
static int
logfile_output(struct logfile *lf, const char *buf, size_t len)
{
	size_t	 done;
	int	 rc, err;

	if (logfile_seek_end(lf) == -1) {
		logfile_hold(lf, buf, len, errno);
		return (-1);
	}
	rc = logfile_emit(lf, buf, len, &done);
	err = errno;
	logfile_feed_followers(lf, buf, done);
	if (rc == -1) {
		logfile_hold(lf, buf + done, len - done, err);
		return (-1);
	}
	return (0);
}

/*
 * A backlog on the plain path: pipe to file in the kernel.  Returns 0, or
 * -1 if splice cannot be used here (from then on this log is only read).
 */
static int
logfile_splice(struct logfile *lf)
{
	ssize_t	 n;
	int	 i;

	if (logfile_seek_end(lf) == -1) {
		logfile_hold(lf, NULL, 0, errno);
		return (0);
	}
	for (i = 0; i < LOGFILE_SPLICES; i++) {
		n = splice(lf->pipe_rd, NULL, lf->fd, NULL,
		    LOGFILE_SPLICE_CHUNK, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			/* Unseen bytes: where their last line ends is unknown,
			 * and nothing needs it without rotation. */
			logfile_wrote(lf, (size_t)n);
			continue;
		}
		if (n == 0 || errno == EAGAIN)
			return (0);
		if (errno == EINTR) {
			i--;
			continue;
		}
		if (errno == EINVAL || errno == ENOSYS) {
			lf->no_splice = 1;
			return (-1);
		}
		/* Nothing left the pipe: nothing to hold but the error. */
		logfile_hold(lf, NULL, 0, errno);
		return (0);
	}
	return (0);
}

/* Move one chunk from the pipe.  Returns bytes read, 0 if none. */
static ssize_t
logfile_move(struct logfile *lf)
{
	static char		 in[LOGFILE_CHUNK];
	static char		*out;
	static size_t		 outsize;
	const struct job_spec	*spec = lf->job->spec;
	struct timespec		 ts;
	char			 stamp[64];
	size_t			 stamplen, len, need;
	ssize_t			 n;

	do
		n = read(lf->pipe_rd, in, sizeof in);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return (0);
	if (!spec->log_timestamps) {
		logfile_output(lf, in, (size_t)n);
		return (n);
	}
	/* The time a line's first byte was read: one clock read per chunk. */
	clock_gettime(CLOCK_REALTIME, &ts);
	stamplen = logstamp_format(&ts, stamp, sizeof stamp);
	need = logstamp_bound((size_t)n, stamplen);
	if (need > outsize) {
		out = xreallocarray(out, need, 1);
		outsize = need;
	}
	len = logstamp_apply(&lf->stamp, stamp, stamplen, in, (size_t)n, out);
	logfile_output(lf, out, len);
	return (n);
}

/*
 * Bytes waiting: read first, splice second.  A splice into a file holds
 * the pipe's lock through the whole file write, so a job writing as fast
 * as it can waits at each of its writes for ours to end: measured with
 * tests/bench/log-throughput (Linux 6.18, ext4, 2 cores), splice alone
 * ran at about 60 % of `producer | cat > file`, a 256 KiB read and a write
 * at par with it.  A read that fills the whole buffer, though, says the
 * job is ahead of us and its pipe holds more: that backlog goes on by
 * splice, pipe to file in the kernel, in a few calls and no copy through
 * here -- where nothing needs to see the bytes (no timestamps, no
 * rotation, no follower) and the kernel allows it.
 */
static void
logfile_read_cb(int fd, short events, void *arg)
{
	struct logfile		*lf = arg;
	const struct job_spec	*spec = lf->job->spec;

	(void)fd;
	(void)events;
	if (logfile_move(lf) != LOGFILE_CHUNK)
		return;
	/* Reading stopped (a write failed): the retry timer has it now. */
	if (!event_pending(lf->ev_read, EV_READ, NULL))
		return;
	if (!lf->no_splice && !spec->log_timestamps &&
	    spec->log_max_bytes == 0 && lf->nfollowers == 0)
		logfile_splice(lf);
}

/* Try the held bytes again; on success, read the pipe again. */
static void
logfile_retry_cb(int fd, short events, void *arg)
{
	struct logfile	*lf = arg;
	char		*held = lf->pending;
	size_t		 len = lf->npending;

	(void)fd;
	(void)events;
	lf->pending = NULL;
	lf->npending = 0;
	if (logfile_output(lf, held, len) == -1) {
		free(held);
		return;
	}
	free(held);
	/*
	 * Read again; the error stays until a write goes through (with
	 * splice nothing was held, so only the next write can tell).
	 */
	event_add(lf->ev_read, NULL);
}

/*
 * Move what the pipe holds now into the file (before a tail is read, and
 * at shutdown): no more than that, or a job that keeps writing would keep
 * us here for ever.
 */
void
logfile_drain(struct logfile *lf)
{
	ssize_t	 n;
	int	 queued = 0;

	if (lf->npending > 0) {
		evtimer_del(lf->ev_retry);
		logfile_retry_cb(-1, 0, lf);
	}
	if (ioctl(lf->pipe_rd, FIONREAD, &queued) == -1)
		queued = 0;
	while (queued > 0 && lf->npending == 0 &&
	    (n = logfile_move(lf)) > 0)
		queued -= (int)n;
}

/*
 * Open the file at the log's path again (logrotate moved or removed it).
 * Bytes still in the pipe go to the new file; none are lost, since the
 * pipe is read by this same loop.
 */
void
logfile_reopen(struct logfile *lf)
{
	if (logfile_open_file(lf, 0) == -1)
		log_warn("%s: reopen %s", lf->job->name, lf->path);
}

/* Send c the bytes written to lf from now on. */
void
logfile_follow(struct logfile *lf, struct client *c)
{
	c->follow = lf;
	lf->nfollowers++;
}

void
logfile_unfollow(struct client *c)
{
	if (c->follow == NULL)
		return;
	c->follow->nfollowers--;
	c->follow = NULL;
}

void
logfile_close(struct logfile *lf)
{
	struct client	*c, *next;

	/* Followers see the end of the stream. */
	TAILQ_FOREACH_SAFE(c, &cd->clients, entry, next) {
		if (c->follow == lf) {
			logfile_unfollow(c);
			c->closing = 1;
			event_add(c->ev_write, NULL);
		}
	}
	if (lf->ev_read != NULL)
		event_free(lf->ev_read);
	if (lf->ev_retry != NULL)
		event_free(lf->ev_retry);
	if (lf->pipe_rd != -1)
		close(lf->pipe_rd);
	if (lf->pipe_wr != -1)
		close(lf->pipe_wr);
	if (lf->fd != -1)
		close(lf->fd);
	free(lf->pending);
	free(lf->error);
	free(lf->path);
	free(lf);
}

/*
 * A log whose file and pipe are already open (after a re-execution):
 * the descriptors are taken as they are.
 */
struct logfile *
logfile_adopt(struct job *job, const char *stream, const char *path,
    int fd, int pipe_rd, int pipe_wr)
{
	struct logfile	*lf;

	lf = xcalloc(1, sizeof *lf);
	lf->job = job;
	lf->stream = stream;
	lf->path = xstrdup(path);
	lf->fd = fd;
	lf->pipe_rd = pipe_rd;
	lf->pipe_wr = pipe_wr;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(pipe_rd, F_SETFD, FD_CLOEXEC);
	fcntl(pipe_wr, F_SETFD, FD_CLOEXEC);
	lf->ev_read = event_new(cd->base, lf->pipe_rd, EV_READ | EV_PERSIST,
	    logfile_read_cb, lf);
	lf->ev_retry = evtimer_new(cd->base, logfile_retry_cb, lf);
	event_add(lf->ev_read, NULL);
	return (lf);
}

/* Bytes were held when the state was taken: keep retrying them. */
void
logfile_hold_resume(struct logfile *lf)
{
	struct timeval	 tv = { LOGFILE_RETRY_SEC, 0 };

	event_del(lf->ev_read);
	evtimer_add(lf->ev_retry, &tv);
}
