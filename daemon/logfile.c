/*
 * logfile.c -- capture of a job's output: a pipe whose write end the job
 * gets as stdout or stderr, read by the event loop and appended to a file.
 *
 * The daemon keeps the write end open for the life of the job, so the pipe
 * survives restarts and a process left behind by a run can keep writing
 * without ever seeing EPIPE.  A failed write (disk full, EIO) is never
 * silently dropped: reading from the pipe stops, so the job blocks on its
 * own writes (back-pressure), the error shows in status, and a timer
 * retries until writing works again.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corrald.h"

/* One read from a pipe moves at most this much. */
#define LOGFILE_CHUNK		65536

/* Retry interval after a failed write. */
#define LOGFILE_RETRY_SEC	1

static void	logfile_read_cb(int, short, void *);
static void	logfile_retry_cb(int, short, void *);

/* Open path for appending, as the daemon's log file for job's stream. */
struct logfile *
logfile_open(struct job *job, const char *stream, const char *path,
    char **cause)
{
	struct logfile	*lf;
	struct stat	 sb;
	int		 fds[2];

	lf = xcalloc(1, sizeof *lf);
	lf->job = job;
	lf->stream = stream;
	lf->path = xstrdup(path);
	lf->pipe_rd = lf->pipe_wr = -1;
	lf->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW | O_NOCTTY, 0640);
	if (lf->fd == -1) {
		xasprintf(cause, "open %s log %s: %s", stream, path,
		    strerror(errno));
		goto fail;
	}
	if (fstat(lf->fd, &sb) == 0)
		lf->size = sb.st_size;
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
	lf->ev_read = event_new(cd->base, lf->pipe_rd, EV_READ | EV_PERSIST,
	    logfile_read_cb, lf);
	lf->ev_retry = evtimer_new(cd->base, logfile_retry_cb, lf);
	event_add(lf->ev_read, NULL);
	return (lf);

fail:
	logfile_close(lf);
	return (NULL);
}

/* Write all of buf to the file.  Returns -1 on failure, with errno. */
static int
logfile_write_all(struct logfile *lf, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(lf->fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		buf += n;
		len -= (size_t)n;
		lf->size += n;
	}
	return (0);
}

/* Keep what could not be written, stop reading, and retry later. */
static void
logfile_hold(struct logfile *lf, const char *buf, size_t len)
{
	struct timeval	 tv = { LOGFILE_RETRY_SEC, 0 };
	char		*msg;

	xasprintf(&msg, "log: %s", strerror(errno));
	if (lf->error == NULL || strcmp(lf->error, msg) != 0)
		log_warnx("%s: %s %s: %s", lf->job->name, lf->stream, lf->path,
		    msg + 5);
	free(lf->error);
	lf->error = msg;
	lf->pending = xreallocarray(lf->pending, len, 1);
	memmove(lf->pending, buf, len);
	lf->npending = len;
	event_del(lf->ev_read);
	evtimer_add(lf->ev_retry, &tv);
}

/*
 * Move one chunk from the pipe to the file.  Returns the bytes read, 0 at
 * EOF or when the pipe is empty, -1 if writing failed.
 */
static ssize_t
logfile_move(struct logfile *lf)
{
	static char	 buf[LOGFILE_CHUNK];
	ssize_t		 n;

	do
		n = read(lf->pipe_rd, buf, sizeof buf);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return (0);
	if (logfile_write_all(lf, buf, (size_t)n) == -1) {
		logfile_hold(lf, buf, (size_t)n);
		return (-1);
	}
	return (n);
}

static void
logfile_read_cb(int fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	logfile_move(arg);
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
	if (logfile_write_all(lf, held, len) == -1) {
		logfile_hold(lf, held, len);
		free(held);
		return;
	}
	free(held);
	log_info("%s: %s %s: writing again", lf->job->name, lf->stream,
	    lf->path);
	free(lf->error);
	lf->error = NULL;
	event_add(lf->ev_read, NULL);
}

/* Move whatever the pipe holds now into the file (at shutdown). */
void
logfile_drain(struct logfile *lf)
{
	if (lf->npending > 0 &&
	    logfile_write_all(lf, lf->pending, lf->npending) == 0)
		lf->npending = 0;
	if (lf->npending > 0)
		return;
	while (logfile_move(lf) > 0)
		;
}

void
logfile_close(struct logfile *lf)
{
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
 * Open the file at the log's path again (logrotate moved or removed it).
 * Bytes still in the pipe go to the new file; none are lost, since the
 * pipe is read by this same loop.
 */
void
logfile_reopen(struct logfile *lf)
{
	struct stat	 sb;
	int		 fd;

	fd = open(lf->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW | O_NOCTTY, 0640);
	if (fd == -1) {
		log_warn("%s: reopen %s", lf->job->name, lf->path);
		return;
	}
	close(lf->fd);
	lf->fd = fd;
	lf->size = (fstat(fd, &sb) == 0) ? sb.st_size : 0;
}
