/*
 * cmd-logs.c -- "logs": the last lines of a job's stdout (or stderr) log,
 * read from the end of the file without reading all of it, and with
 * "follow" every byte written to it from then on, across rotations and
 * reopens, until the client goes away.  Log bytes travel as base64.
 */

#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "corrald.h"

/* At most this much of a log's end is sent, however long its lines. */
#define CMD_LOGS_MAX_TAIL	(4 * 1024 * 1024)

/* Lines asked for at most. */
#define CMD_LOGS_MAX_LINES	100000

static enum cmd_retval	cmd_logs_exec(struct cmd_ctx *);

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.flags = CMD_ONE_JOB,
	.exec = cmd_logs_exec
};

/*
 * Where the last n lines of fd (size bytes) start: scan back from the end
 * a block at a time, counting newlines (the file's final newline ends its
 * last line and is not counted), never further back than
 * CMD_LOGS_MAX_TAIL.  -1 on a read error.
 */
static off_t
cmd_logs_tail_start(int fd, off_t size, long n)
{
	char	 block[65536];
	off_t	 pos = size, floor;
	size_t	 got, i;
	long	 lines = 0;

	floor = size > CMD_LOGS_MAX_TAIL ? size - CMD_LOGS_MAX_TAIL : 0;
	if (n == 0)
		return (size);
	while (pos > floor) {
		got = (size_t)(pos - floor < (off_t)sizeof block ?
		    pos - floor : (off_t)sizeof block);
		if (pread(fd, block, got, pos - (off_t)got) != (ssize_t)got)
			return (-1);
		for (i = got; i > 0; i--) {
			if (block[i - 1] != '\n' ||
			    pos - (off_t)got + (off_t)i == size)
				continue;
			if (++lines == n)
				return (pos - (off_t)got + (off_t)i);
		}
		pos -= (off_t)got;
	}
	return (floor);
}

/*
 * The last n lines of the file at path, without reading the rest of it.
 * NULL with *cause on error; a file that does not exist yet is empty.
 */
static char *
cmd_logs_tail(const char *path, long n, size_t *lenp, char **cause)
{
	struct stat	 sb;
	char		*buf;
	off_t		 start;
	size_t		 len;
	int		 fd;

	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return (xstrdup(""));
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &sb) == -1 ||
	    (start = cmd_logs_tail_start(fd, sb.st_size, n)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		close(fd);
		return (NULL);
	}
	len = (size_t)(sb.st_size - start);
	buf = xmalloc(len + 1);
	if (len > 0 && pread(fd, buf, len, start) != (ssize_t)len) {
		xasprintf(cause, "%s: read failed", path);
		free(buf);
		close(fd);
		return (NULL);
	}
	close(fd);
	*lenp = len;
	return (buf);
}

static enum cmd_retval
cmd_logs_exec(struct cmd_ctx *ctx)
{
	struct job		*job = ctx->jobs[0];
	const struct job_spec	*spec = job->spec;
	json_t			*lines = json_object_get(ctx->request, "lines");
	json_t			*stream = json_object_get(ctx->request,
				    "stream");
	struct logfile		*lf;
	const char		*path;
	char			*text, *data, *cause;
	size_t			 len;
	long			 n = 10;
	int			 want_err = 0, follow;

	follow = json_is_true(json_object_get(ctx->request, "follow"));
	if (lines != NULL) {
		if (!json_is_integer(lines) || json_integer_value(lines) < 0 ||
		    json_integer_value(lines) > CMD_LOGS_MAX_LINES) {
			control_send_error(ctx->client, PROTO_E_BAD_REQUEST,
			    "\"lines\" must be an integer from 0 to %d",
			    CMD_LOGS_MAX_LINES);
			return (CMD_DONE);
		}
		n = (long)json_integer_value(lines);
	}
	if (stream != NULL && (!json_is_string(stream) ||
	    (strcmp(json_string_value(stream), "stdout") != 0 &&
	    strcmp(json_string_value(stream), "stderr") != 0))) {
		control_send_error(ctx->client, PROTO_E_BAD_REQUEST,
		    "\"stream\" must be \"stdout\" or \"stderr\"");
		return (CMD_DONE);
	}
	if (stream != NULL && strcmp(json_string_value(stream), "stderr") == 0)
		want_err = 1;

	if (want_err && spec->stderr_target == STREAM_STDOUT)
		want_err = 0;	/* merged: stderr is in stdout's log */
	if ((want_err ? spec->stderr_target : spec->stdout_target) !=
	    STREAM_FILE) {
		control_send_error(ctx->client, PROTO_E_FAILED,
		    "%s: %s is not logged (it goes to %s)", job->name,
		    want_err ? "stderr" : "stdout", job->transient ?
		    "the client that ran it" : "/dev/null");
		return (CMD_DONE);
	}
	path = want_err ? spec->stderr_path : spec->stdout_path;
	lf = want_err ? job->err : job->out;
	/* What the pipe holds now belongs before the tail's end. */
	if (lf != NULL)
		logfile_drain(lf);
	if ((text = cmd_logs_tail(path, n, &len, &cause)) == NULL) {
		control_send_error(ctx->client, PROTO_E_FAILED, "%s: %s",
		    job->name, cause);
		free(cause);
		return (CMD_DONE);
	}
	data = base64_encode(text, len);
	free(text);
	if (follow && lf == NULL) {
		/* No log is open before the job first starts. */
		free(data);
		control_send_error(ctx->client, PROTO_E_NOT_RUNNING,
		    "%s: has never run: nothing to follow", job->name);
		return (CMD_DONE);
	}
	control_send_ok(ctx->client, json_pack("{s:s,s:s,s:b}", "path", path,
	    "data", data, "following", follow));
	free(data);
	if (follow)
		logfile_follow(lf, ctx->client);
	return (CMD_DONE);
}
