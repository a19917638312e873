/*
 * snapshot.c -- the daemon's whole state as one JSON document, for
 * re-executing in place (reexec.c): every job's definition, state,
 * processes and pidfds, history, counters, timers (as time left), log
 * pipes and files, notify sockets, and the listening socket; and, if any,
 * what the requester sent after its request, and the sessions of jobs an
 * earlier reexec could not take over (state.c's strays).
 *
 * Reading is in two steps: snapshot_check() validates the document
 * without touching anything (no descriptor is used, nothing allocated
 * outlives it), so it can be fed anything (tests/fuzz); only a document
 * that passes is then applied by snapshot_apply().  The format is
 * described in corrald(8); SNAPSHOT_VERSION changes with it.
 */

#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "confpath.h"
#include "corrald.h"

/* Limits a snapshot must keep to be read at all. */
#define SNAPSHOT_MAX_JOBS	100000
#define SNAPSHOT_MAX_FD		(1 << 20)

/* ---- writing ---------------------------------------------------------- */

static json_t *
snapshot_strv(char **v, u_int n)
{
	json_t	*a = json_array();
	u_int	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return (a);
}

static json_t *
snapshot_str(const char *s)
{
	return (s != NULL ? json_string(s) : json_null());
}

/* A job's definition, every field. */
static json_t *
snapshot_spec(const struct job_spec *s)
{
	json_t	*o, *stages, *codes, *limits, *groups;
	u_int	 i, n;

	stages = json_array();
	for (i = 0; i < s->nstages; i++) {
		for (n = 0; s->argvs[i][n] != NULL; n++)
			;
		json_array_append_new(stages, snapshot_strv(s->argvs[i], n));
	}
	codes = json_array();
	for (i = 0; i < s->nsuccess_codes; i++)
		json_array_append_new(codes, json_integer(s->success_codes[i]));
	limits = json_array();
	for (i = 0; i < s->nlimits; i++)
		json_array_append_new(limits, json_pack("[i,I]",
		    s->limits[i].resource, (json_int_t)(s->limits[i].value ==
		    RLIM_INFINITY ? -1 : (json_int_t)s->limits[i].value)));
	groups = json_null();
	if (s->groups != NULL) {
		groups = json_array();
		for (i = 0; i < (u_int)s->ngroups; i++)
			json_array_append_new(groups,
			    json_integer(s->groups[i]));
	}
	o = json_pack("{s:s,s:s,s:i,s:o,s:b,s:b,s:b,s:o,s:s,s:o,s:b}",
	    "name", s->name, "file", s->file, "line", s->line,
	    "stages", stages, "is_shell", s->is_shell,
	    "is_pipeline", s->is_pipeline, "pipefail", s->pipefail,
	    "executable", snapshot_str(s->executable),
	    "directory", s->directory,
	    "environment", snapshot_strv(s->environment, s->nenvironment),
	    "clear_environment", s->clear_environment);
	json_object_update_new(o, json_pack("{s:o,s:b,s:i,s:o,s:i,s:o}",
	    "stdin", snapshot_str(s->stdin_path),
	    "stdin_passed", s->stdin_passed,
	    "stdout_target", (int)s->stdout_target,
	    "stdout", snapshot_str(s->stdout_path),
	    "stderr_target", (int)s->stderr_target,
	    "stderr", snapshot_str(s->stderr_path)));
	json_object_update_new(o, json_pack("{s:b,s:i,s:o,s:f,s:i,s:f,s:i,"
	    "s:f,s:b}",
	    "autostart", s->autostart, "restart", (int)s->restart,
	    "success_exit_codes", codes, "start_seconds", s->start_seconds,
	    "start_retries", s->start_retries, "backoff_max", s->backoff_max,
	    "stop_signal", s->stop_signal, "stop_timeout", s->stop_timeout,
	    "kill_group", s->kill_group));
	json_object_update_new(o, json_pack("{s:I,s:i,s:b,s:i,s:o,s:o,s:o,"
	    "s:i,s:o,s:o}",
	    "log_max_bytes", (json_int_t)s->log_max_bytes,
	    "log_backups", s->log_backups,
	    "log_timestamps", s->log_timestamps, "ready", (int)s->ready,
	    "after", snapshot_strv(s->after, s->nafter),
	    "user", snapshot_str(s->user), "group", snapshot_str(s->group),
	    "umask", s->umask, "limits", limits, "groups", groups));
	return (o);
}

/* Seconds left on a timer, or null if it is not armed. */
static json_t *
snapshot_timer(struct event *ev)
{
	struct timeval	 when, now;
	double		 left;

	if (ev == NULL || !evtimer_pending(ev, &when))
		return (json_null());
	event_base_gettimeofday_cached(cd->base, &now);
	left = (double)(when.tv_sec - now.tv_sec) +
	    (double)(when.tv_usec - now.tv_usec) / 1e6;
	return (json_real(left > 0 ? left : 0));
}

static json_t *
snapshot_logfile(const struct logfile *lf)
{
	json_t	*o;
	char	*pending;

	if (lf == NULL)
		return (json_null());
	pending = base64_encode(lf->pending != NULL ? lf->pending : "",
	    lf->npending);
	o = json_pack("{s:s,s:i,s:i,s:i,s:I,s:o,s:s,s:b,s:I,s:b}",
	    "path", lf->path, "fd", lf->fd, "pipe_rd", lf->pipe_rd,
	    "pipe_wr", lf->pipe_wr, "size", (json_int_t)lf->size,
	    "error", snapshot_str(lf->error), "pending", pending,
	    "mid_line", lf->stamp.mid_line,
	    "line_len", (json_int_t)lf->stamp.line_len,
	    "no_splice", lf->no_splice);
	free(pending);
	return (o);
}

static json_t *
snapshot_job(const struct job *job)
{
	json_t	*o, *procs, *history;
	u_int	 i;

	procs = json_array();
	for (i = 0; i < job->nprocs; i++)
		json_array_append_new(procs, json_pack("{s:I,s:i,s:b,s:i}",
		    "pid", (json_int_t)job->procs[i].pid,
		    "pidfd", job->procs[i].pidfd,
		    "reaped", job->procs[i].reaped,
		    "status", job->procs[i].status));
	history = json_array();
	for (i = 0; i < JOB_HISTORY; i++)
		json_array_append_new(history, json_pack("{s:f,s:f,s:i,s:b}",
		    "start", job->history[i].start, "end", job->history[i].end,
		    "status", job->history[i].status,
		    "spawn_failed", job->history[i].spawn_failed));
	o = json_pack("{s:o,s:o,s:i,s:i,s:b,s:b,s:b,s:i}",
	    "spec", snapshot_spec(job->spec),
	    "next_spec", job->next_spec != NULL ?
	    snapshot_spec(job->next_spec) : json_null(),
	    "state", (int)job->state, "after", (int)job->after,
	    "removing", job->removing, "waiting_deps", job->waiting_deps,
	    "stop_queued", job->stop_queued,
	    "queued_after", (int)job->queued_after);
	json_object_update_new(o, json_pack("{s:o,s:I,s:b,s:i,s:b,s:b,s:b,"
	    "s:o,s:I,s:I,s:I}",
	    "procs", procs, "pgid", (json_int_t)job->pgid,
	    "group_live", job->group_live,
	    "result_status", job->result_status,
	    "result_known", job->result_known, "exec_done", job->exec_done,
	    "reached_running", job->reached_running,
	    "spawn_error", snapshot_str(job->spawn_error),
	    "started_sec", (json_int_t)job->started.tv_sec,
	    "started_nsec", (json_int_t)job->started.tv_nsec,
	    "run_serial", (json_int_t)job->run_serial));
	json_object_update_new(o, json_pack("{s:i,s:o,s:b,s:o,s:o,s:o,s:I,"
	    "s:I,s:o,s:o,s:o,s:I,s:I,s:o}",
	    "notify_fd", job->notify_fd,
	    "notify_env", snapshot_str(job->notify_env),
	    "ready_received", job->ready_received,
	    "status_text", snapshot_str(job->status_text),
	    "out", snapshot_logfile(job->out), "err", snapshot_logfile(job->err),
	    "failures", (json_int_t)job->failures,
	    "restarts", (json_int_t)job->restarts,
	    "fatal_reason", snapshot_str(job->fatal_reason),
	    "timer_state", snapshot_timer(job->ev_state),
	    "timer_group", snapshot_timer(job->ev_group),
	    "retry_sec", (json_int_t)job->retry_at.tv_sec,
	    "retry_nsec", (json_int_t)job->retry_at.tv_nsec,
	    "history", history));
	return (o);
}

/*
 * The whole state.  requester_fd is the connection that asked for the
 * re-execution, to be answered by the new image, or -1.
 */
json_t *
snapshot_build(int requester_fd)
{
	struct job	*job;
	json_t		*jobs, *o;

	jobs = json_array();
	TAILQ_FOREACH(job, &cd->jobs, entry)
		json_array_append_new(jobs, snapshot_job(job));
	o = json_pack("{s:i,s:s,s:s,s:o,s:i,s:b,s:o,s:i,s:I,s:I,s:o}",
	    "version", SNAPSHOT_VERSION, "corrald_version", PACKAGE_VERSION,
	    "config_path", cd->config_path,
	    "socket_path", snapshot_str(cd->socket_path),
	    "socket_fd", cd->socket_fd,
	    "socket_activated", cd->socket_activated,
	    "socket_group", snapshot_str(cd->config->socket_group),
	    "requester_fd", requester_fd,
	    "nofile_cur", (json_int_t)cd->nofile.rlim_cur,
	    "nofile_max", (json_int_t)cd->nofile.rlim_max, "jobs", jobs);
	json_object_set_new(o, "log_dir", json_string(cd->config->log_dir));
	/* Sessions an earlier reexec lost track of stay known (state.c). */
	if (cd->strays != NULL && json_array_size(cd->strays) > 0)
		json_object_set(o, "strays", cd->strays);
	json_object_set_new(o, "socket_mode",
	    json_integer(cd->config->socket_mode));
	return (o);
}

/* Every descriptor the snapshot names, for clearing close-on-exec. */
void
snapshot_fds(int requester_fd, void (*fn)(int, int), int on)
{
	struct job	*job;
	u_int		 i;

	fn(cd->socket_fd, on);
	if (requester_fd != -1)
		fn(requester_fd, on);
	TAILQ_FOREACH(job, &cd->jobs, entry) {
		for (i = 0; i < job->nprocs; i++) {
			if (job->procs[i].pidfd != -1)
				fn(job->procs[i].pidfd, on);
		}
		if (job->notify_fd != -1)
			fn(job->notify_fd, on);
		if (job->out != NULL) {
			fn(job->out->fd, on);
			fn(job->out->pipe_rd, on);
			fn(job->out->pipe_wr, on);
		}
		if (job->err != NULL) {
			fn(job->err->fd, on);
			fn(job->err->pipe_rd, on);
			fn(job->err->pipe_wr, on);
		}
	}
}

/* ---- reading: checks ------------------------------------------------- */

/* Checks collect the first problem into *cause and go on failing. */
struct snapshot_ck {
	char	*cause;
	const char *where;
};

static struct logfile *snapshot_logfile_parse(struct snapshot_ck *, json_t *,
		    struct job *, const char *);

static void
ck_fail(struct snapshot_ck *ck, const char *what)
{
	if (ck->cause == NULL)
		xasprintf(&ck->cause, "%s: %s", ck->where, what);
}

static json_t *
ck_get(struct snapshot_ck *ck, json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);
	char	*msg;

	if (v == NULL) {
		xasprintf(&msg, "no \"%s\"", key);
		ck_fail(ck, msg);
		free(msg);
	}
	return (v);
}

static long long
ck_int(struct snapshot_ck *ck, json_t *o, const char *key, long long lo,
    long long hi)
{
	json_t		*v = ck_get(ck, o, key);
	long long	 n;
	char		*msg;

	if (v == NULL)
		return (lo);
	if (!json_is_integer(v)) {
		xasprintf(&msg, "\"%s\" is not an integer", key);
		ck_fail(ck, msg);
		free(msg);
		return (lo);
	}
	n = json_integer_value(v);
	if (n < lo || n > hi) {
		xasprintf(&msg, "\"%s\" out of range", key);
		ck_fail(ck, msg);
		free(msg);
		return (lo);
	}
	return (n);
}

static int
ck_bool(struct snapshot_ck *ck, json_t *o, const char *key)
{
	json_t	*v = ck_get(ck, o, key);

	if (v != NULL && !json_is_boolean(v))
		ck_fail(ck, "a flag is not a boolean");
	return (json_is_true(v));
}

static double
ck_num(struct snapshot_ck *ck, json_t *o, const char *key, double lo,
    double hi)
{
	json_t	*v = ck_get(ck, o, key);
	double	 d;

	if (v == NULL)
		return (lo);
	if (!json_is_number(v)) {
		ck_fail(ck, "a number is not a number");
		return (lo);
	}
	d = json_number_value(v);
	if (!(d >= lo && d <= hi)) {
		ck_fail(ck, "a number is out of range");
		return (lo);
	}
	return (d);
}

/* A string or, if nullable, null; NULL either way when missing. */
static const char *
ck_str(struct snapshot_ck *ck, json_t *o, const char *key, int nullable)
{
	json_t	*v = ck_get(ck, o, key);

	if (v == NULL)
		return (NULL);
	if (nullable && json_is_null(v))
		return (NULL);
	if (!json_is_string(v)) {
		ck_fail(ck, "a string is not a string");
		return (NULL);
	}
	return (json_string_value(v));
}

/* An array of strings (at most max), as a NULL-terminated copy. */
static char **
ck_strv(struct snapshot_ck *ck, json_t *a, size_t max, u_int *np)
{
	json_t	*v;
	char	**out;
	size_t	 i;

	if (!json_is_array(a) || json_array_size(a) > max) {
		ck_fail(ck, "a list of strings is not one");
		return (NULL);
	}
	json_array_foreach(a, i, v) {
		if (!json_is_string(v)) {
			ck_fail(ck, "a list of strings is not one");
			return (NULL);
		}
	}
	out = xcalloc(json_array_size(a) + 1, sizeof *out);
	json_array_foreach(a, i, v)
		out[i] = xstrdup(json_string_value(v));
	if (np != NULL)
		*np = (u_int)json_array_size(a);
	return (out);
}

static char *
dup_or_null(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

/* A job's definition from the snapshot; NULL (with ck->cause) if bad. */
static struct job_spec *
snapshot_spec_parse(struct snapshot_ck *ck, json_t *o)
{
	struct job_spec	*s;
	json_t		*stages, *v, *codes, *limits, *groups;
	const char	*name;
	size_t		 i;

	if (!json_is_object(o)) {
		ck_fail(ck, "a job definition is not an object");
		return (NULL);
	}
	s = xcalloc(1, sizeof *s);
	name = ck_str(ck, o, "name", 0);
	s->name = xstrdup(name != NULL && *name != '\0' ? name : "?");
	s->file = dup_or_null(ck_str(ck, o, "file", 0));
	s->line = (int)ck_int(ck, o, "line", 0, INT32_MAX);
	stages = ck_get(ck, o, "stages");
	if (!json_is_array(stages) || json_array_size(stages) == 0 ||
	    json_array_size(stages) > 1024)
		ck_fail(ck, "\"stages\" is not a list of argvs");
	else {
		s->argvs = xcalloc(json_array_size(stages), sizeof *s->argvs);
		json_array_foreach(stages, i, v) {
			s->argvs[i] = ck_strv(ck, v, 65536, NULL);
			s->nstages++;
			if (s->argvs[i] == NULL || s->argvs[i][0] == NULL) {
				ck_fail(ck, "an argv is empty");
				break;
			}
		}
	}
	s->is_shell = ck_bool(ck, o, "is_shell");
	s->is_pipeline = ck_bool(ck, o, "is_pipeline");
	s->pipefail = ck_bool(ck, o, "pipefail");
	s->executable = dup_or_null(ck_str(ck, o, "executable", 1));
	s->directory = dup_or_null(ck_str(ck, o, "directory", 0));
	if ((v = ck_get(ck, o, "environment")) != NULL)
		s->environment = ck_strv(ck, v, 65536, &s->nenvironment);
	s->clear_environment = ck_bool(ck, o, "clear_environment");
	s->stdin_path = dup_or_null(ck_str(ck, o, "stdin", 1));
	s->stdin_passed = ck_bool(ck, o, "stdin_passed");
	s->stdout_target = (enum stream_target)ck_int(ck, o, "stdout_target",
	    STREAM_FILE, STREAM_PASSED);
	s->stdout_path = dup_or_null(ck_str(ck, o, "stdout", 1));
	s->stderr_target = (enum stream_target)ck_int(ck, o, "stderr_target",
	    STREAM_FILE, STREAM_PASSED);
	s->stderr_path = dup_or_null(ck_str(ck, o, "stderr", 1));
	if ((s->stdout_target == STREAM_FILE && s->stdout_path == NULL) ||
	    (s->stderr_target == STREAM_FILE && s->stderr_path == NULL) ||
	    s->stdout_target == STREAM_STDOUT || s->directory == NULL)
		ck_fail(ck, "a job's paths do not fit its targets");
	s->autostart = ck_bool(ck, o, "autostart");
	s->restart = (enum restart_policy)ck_int(ck, o, "restart", RESTART_NO,
	    RESTART_ALWAYS);
	codes = ck_get(ck, o, "success_exit_codes");
	if (!json_is_array(codes) || json_array_size(codes) > 256)
		ck_fail(ck, "bad \"success_exit_codes\"");
	else {
		s->success_codes = xcalloc(json_array_size(codes) + 1,
		    sizeof *s->success_codes);
		json_array_foreach(codes, i, v) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 255) {
				ck_fail(ck, "bad \"success_exit_codes\"");
				break;
			}
			s->success_codes[s->nsuccess_codes++] =
			    (int)json_integer_value(v);
		}
	}
	s->start_seconds = ck_num(ck, o, "start_seconds", 0, 1e9);
	s->start_retries = (int)ck_int(ck, o, "start_retries", 0, INT32_MAX);
	s->backoff_max = ck_num(ck, o, "backoff_max", 0, 1e9);
	s->stop_signal = (int)ck_int(ck, o, "stop_signal", 1, SIGRTMAX);
	s->stop_timeout = ck_num(ck, o, "stop_timeout", 0, 1e9);
	s->kill_group = ck_bool(ck, o, "kill_group");
	s->log_max_bytes = ck_int(ck, o, "log_max_bytes", 0, INT64_MAX);
	s->log_backups = (int)ck_int(ck, o, "log_backups", 0, 1000);
	s->log_timestamps = ck_bool(ck, o, "log_timestamps");
	s->ready = (enum ready_mode)ck_int(ck, o, "ready", READY_STARTED,
	    READY_NOTIFY);
	if ((v = ck_get(ck, o, "after")) != NULL)
		s->after = ck_strv(ck, v, 65536, &s->nafter);
	s->user = dup_or_null(ck_str(ck, o, "user", 1));
	s->group = dup_or_null(ck_str(ck, o, "group", 1));
	s->umask = (int)ck_int(ck, o, "umask", -1, 0777);
	limits = ck_get(ck, o, "limits");
	if (!json_is_array(limits) || json_array_size(limits) > JOB_MAX_LIMITS)
		ck_fail(ck, "bad \"limits\"");
	else {
		json_array_foreach(limits, i, v) {
			if (!json_is_array(v) || json_array_size(v) != 2 ||
			    !json_is_integer(json_array_get(v, 0)) ||
			    !json_is_integer(json_array_get(v, 1)) ||
			    json_integer_value(json_array_get(v, 0)) < 0 ||
			    json_integer_value(json_array_get(v, 0)) >=
			    RLIM_NLIMITS ||
			    json_integer_value(json_array_get(v, 1)) < -1) {
				ck_fail(ck, "bad \"limits\"");
				break;
			}
			s->limits[i].resource = (int)json_integer_value(
			    json_array_get(v, 0));
			s->limits[i].value = json_integer_value(json_array_get(v,
			    1)) == -1 ? RLIM_INFINITY : (rlim_t)
			    json_integer_value(json_array_get(v, 1));
			s->nlimits++;
		}
	}
	groups = ck_get(ck, o, "groups");
	if (json_is_array(groups) && json_array_size(groups) <= 65536) {
		s->groups = xcalloc(json_array_size(groups) + 1,
		    sizeof *s->groups);
		json_array_foreach(groups, i, v) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > UINT32_MAX - 1) {
				ck_fail(ck, "bad \"groups\"");
				break;
			}
			s->groups[s->ngroups++] = (gid_t)json_integer_value(v);
		}
	} else if (groups != NULL && !json_is_null(groups))
		ck_fail(ck, "bad \"groups\"");
	if (ck->cause != NULL) {
		job_spec_free(s);
		return (NULL);
	}
	return (s);
}

/* A descriptor number: -1 (none) if allowed, else 0 .. SNAPSHOT_MAX_FD. */
static int
ck_fd(struct snapshot_ck *ck, json_t *o, const char *key, int none_ok)
{
	return ((int)ck_int(ck, o, key, none_ok ? -1 : 0, SNAPSHOT_MAX_FD));
}

/* Check one job entry; with apply, also build the job. */
static struct job *
snapshot_job_parse(struct snapshot_ck *ck, json_t *o, int apply)
{
	struct job_spec	*spec, *next = NULL;
	struct job	*job = NULL;
	json_t		*procs, *p, *history, *h, *lf_o;
	struct logfile	*lfs[2] = { NULL, NULL };
	const char	*str, *streams[] = { "out", "err" };
	size_t		 i;
	u_int		 k;

	if ((spec = snapshot_spec_parse(ck, ck_get(ck, o, "spec"))) == NULL)
		return (NULL);
	if (!json_is_null(json_object_get(o, "next_spec")) &&
	    (next = snapshot_spec_parse(ck, json_object_get(o,
	    "next_spec"))) == NULL)
		goto fail;
	procs = ck_get(ck, o, "procs");
	history = ck_get(ck, o, "history");
	if (!json_is_array(procs) || json_array_size(procs) > spec->nstages ||
	    (json_array_size(procs) != 0 &&
	    json_array_size(procs) != spec->nstages))
		ck_fail(ck, "\"procs\" does not fit the job's stages");
	if (!json_is_array(history) || json_array_size(history) != JOB_HISTORY)
		ck_fail(ck, "bad \"history\"");
	if (ck->cause != NULL)
		goto fail;

	if (apply) {
		job = job_create(spec);
		job->next_spec = next;
		spec = next = NULL;
	}
	/* Every value is checked; with apply it is also kept. */
#define SET(field, value) do {						\
	__typeof__(job->field) v_ = (value);				\
	if (apply)							\
		job->field = v_;					\
} while (0)
	SET(state, (enum job_state)ck_int(ck, o, "state", JOB_STOPPED,
	    JOB_FATAL));
	SET(after, (enum job_after)ck_int(ck, o, "after", AFTER_POLICY,
	    AFTER_REMOVE));
	SET(removing, ck_bool(ck, o, "removing"));
	SET(waiting_deps, ck_bool(ck, o, "waiting_deps"));
	SET(stop_queued, ck_bool(ck, o, "stop_queued"));
	SET(queued_after, (enum job_after)ck_int(ck, o, "queued_after",
	    AFTER_POLICY, AFTER_REMOVE));
	SET(pgid, (pid_t)ck_int(ck, o, "pgid", 0, INT32_MAX));
	SET(group_live, ck_bool(ck, o, "group_live"));
	SET(result_status, (int)ck_int(ck, o, "result_status", INT32_MIN,
	    INT32_MAX));
	SET(result_known, ck_bool(ck, o, "result_known"));
	SET(exec_done, ck_bool(ck, o, "exec_done"));
	SET(reached_running, ck_bool(ck, o, "reached_running"));
	str = ck_str(ck, o, "spawn_error", 1);
	if (apply)
		job->spawn_error = dup_or_null(str);
	SET(started.tv_sec, (time_t)ck_int(ck, o, "started_sec", 0,
	    INT64_MAX));
	SET(started.tv_nsec, (long)ck_int(ck, o, "started_nsec", 0,
	    999999999));
	SET(run_serial, (uint64_t)ck_int(ck, o, "run_serial", 0, INT64_MAX));
	SET(notify_fd, ck_fd(ck, o, "notify_fd", 1));
	str = ck_str(ck, o, "notify_env", 1);
	if (apply)
		job->notify_env = dup_or_null(str);
	SET(ready_received, ck_bool(ck, o, "ready_received"));
	str = ck_str(ck, o, "status_text", 1);
	if (apply)
		job->status_text = dup_or_null(str);
	SET(failures, (u_int)ck_int(ck, o, "failures", 0, UINT32_MAX));
	SET(restarts, (u_int)ck_int(ck, o, "restarts", 0, UINT32_MAX));
	str = ck_str(ck, o, "fatal_reason", 1);
	if (apply)
		job->fatal_reason = dup_or_null(str);
	SET(retry_at.tv_sec, (time_t)ck_int(ck, o, "retry_sec", 0,
	    INT64_MAX));
	SET(retry_at.tv_nsec, (long)ck_int(ck, o, "retry_nsec", 0,
	    999999999));
	(void)ck_get(ck, o, "timer_state");
	(void)ck_get(ck, o, "timer_group");

	if (apply && json_array_size(procs) > 0) {
		job->nprocs = (u_int)json_array_size(procs);
		job->procs = xcalloc(job->nprocs, sizeof *job->procs);
	}
	json_array_foreach(procs, i, p) {
		if (!json_is_object(p)) {
			ck_fail(ck, "a process is not an object");
			break;
		}
		SET(procs[i].pid, (pid_t)ck_int(ck, p, "pid", 0, INT32_MAX));
		SET(procs[i].pidfd, ck_fd(ck, p, "pidfd", 1));
		SET(procs[i].reaped, ck_bool(ck, p, "reaped"));
		SET(procs[i].status, (int)ck_int(ck, p, "status", INT32_MIN,
		    INT32_MAX));
	}
	json_array_foreach(history, i, h) {
		if (!json_is_object(h)) {
			ck_fail(ck, "a history entry is not an object");
			break;
		}
		SET(history[i].start, ck_num(ck, h, "start", 0, 1e12));
		SET(history[i].end, ck_num(ck, h, "end", 0, 1e12));
		SET(history[i].status, (int)ck_int(ck, h, "status", INT32_MIN,
		    INT32_MAX));
		SET(history[i].spawn_failed, ck_bool(ck, h, "spawn_failed"));
	}
#undef SET
	for (k = 0; k < 2; k++) {
		lf_o = ck_get(ck, o, streams[k]);
		if (lf_o == NULL || json_is_null(lf_o))
			continue;
		if (!json_is_object(lf_o)) {
			ck_fail(ck, "a log is not an object");
			break;
		}
		lfs[k] = snapshot_logfile_parse(ck, lf_o, apply ? job : NULL,
		    streams[k]);
	}
	if (ck->cause != NULL) {
		for (k = 0; k < 2; k++) {
			if (lfs[k] != NULL)
				logfile_close(lfs[k]);
		}
		goto fail;
	}
	if (apply) {
		job->out = lfs[0];
		job->err = lfs[1];
	}
	/* Only checking: what was parsed is not kept. */
	job_spec_free(spec);
	job_spec_free(next);
	return (job);

fail:
	if (job != NULL) {
		/* Its descriptors are not its to close: forget them. */
		for (k = 0; k < job->nprocs; k++)
			job->procs[k].pidfd = -1;
		job->notify_fd = -1;
		job_free(job);
	}
	job_spec_free(spec);
	job_spec_free(next);
	return (NULL);
}

/*
 * Is job j's name one seen already?  Only jobs that are staying count: a
 * job a reload dropped may share its name with the one that replaced it.
 */
static int
snapshot_name_repeated(json_t *seen, json_t *j)
{
	const char	*name;

	if (json_is_true(json_object_get(j, "removing")))
		return (0);
	name = json_string_value(json_object_get(json_object_get(j, "spec"),
	    "name"));
	if (name == NULL)
		return (0);
	if (json_object_get(seen, name) != NULL)
		return (1);
	json_object_set_new(seen, name, json_true());
	return (0);
}

/*
 * What the requester sent after its request, if anything (optional): at
 * most as much as a client may have waiting, in base64.
 */
static void
snapshot_check_input(struct snapshot_ck *ck, json_t *v)
{
	const char	*text;
	char		*bytes;
	size_t		 len;

	if (v == NULL)
		return;
	if ((text = json_string_value(v)) == NULL ||
	    strlen(text) > 4 * PROTO_LINE_MAX) {
		ck_fail(ck, "bad \"requester_input\"");
		return;
	}
	if ((bytes = base64_decode(text, strlen(text), &len)) == NULL) {
		ck_fail(ck, "\"requester_input\" is not base64");
		return;
	}
	free(bytes);
}

/* Stray sessions (optional): each a job name and a session id. */
static void
snapshot_check_strays(struct snapshot_ck *ck, json_t *v)
{
	json_t	*j;
	size_t	 i;

	if (v == NULL)
		return;
	if (!json_is_array(v) || json_array_size(v) > SNAPSHOT_MAX_JOBS) {
		ck_fail(ck, "bad \"strays\"");
		return;
	}
	json_array_foreach(v, i, j) {
		if (!json_is_string(json_object_get(j, "name")) ||
		    !json_is_integer(json_object_get(j, "session")) ||
		    json_integer_value(json_object_get(j, "session")) <= 1 ||
		    json_integer_value(json_object_get(j, "session")) >
		    INT32_MAX) {
			ck_fail(ck, "bad \"strays\"");
			return;
		}
	}
}

/*
 * Check the whole document; *cause says what is wrong.  Nothing is used
 * or kept: safe on any input.
 */
int
snapshot_check(json_t *o, char **cause)
{
	struct snapshot_ck	 ck = { NULL, "snapshot" };
	struct job		*dummy;
	json_t			*jobs, *j, *seen;
	size_t			 i;

	if (!json_is_object(o)) {
		*cause = xstrdup("snapshot: not an object");
		return (-1);
	}
	if (ck_int(&ck, o, "version", 0, INT32_MAX) != SNAPSHOT_VERSION &&
	    ck.cause == NULL)
		ck_fail(&ck, "a version this corrald does not read");
	(void)ck_str(&ck, o, "config_path", 0);
	(void)ck_str(&ck, o, "socket_path", 1);
	(void)ck_str(&ck, o, "log_dir", 0);
	(void)ck_str(&ck, o, "socket_group", 1);
	(void)ck_int(&ck, o, "socket_mode", 0, 0777);
	(void)ck_fd(&ck, o, "socket_fd", 0);
	(void)ck_bool(&ck, o, "socket_activated");
	(void)ck_fd(&ck, o, "requester_fd", 1);
	(void)ck_int(&ck, o, "nofile_cur", 0, INT64_MAX);
	(void)ck_int(&ck, o, "nofile_max", 0, INT64_MAX);
	snapshot_check_input(&ck, json_object_get(o, "requester_input"));
	snapshot_check_strays(&ck, json_object_get(o, "strays"));
	jobs = ck_get(&ck, o, "jobs");
	if (jobs != NULL && (!json_is_array(jobs) ||
	    json_array_size(jobs) > SNAPSHOT_MAX_JOBS))
		ck_fail(&ck, "\"jobs\" is not a list");
	seen = json_object();
	if (ck.cause == NULL) {
		json_array_foreach(jobs, i, j) {
			ck.where = "snapshot job";
			if (!json_is_object(j)) {
				ck_fail(&ck, "not an object");
				break;
			}
			dummy = snapshot_job_parse(&ck, j, 0);
			(void)dummy;
			if (ck.cause != NULL)
				break;
			if (snapshot_name_repeated(seen, j)) {
				ck_fail(&ck, "two jobs of one name");
				break;
			}
		}
	}
	json_decref(seen);
	if (ck.cause != NULL) {
		*cause = ck.cause;
		return (-1);
	}
	return (0);
}

/* A log from the snapshot: checked, and with job, adopted. */
static struct logfile *
snapshot_logfile_parse(struct snapshot_ck *ck, json_t *o, struct job *job,
    const char *stream)
{
	struct logstamp	 stamp;
	const char	*path, *error, *pending;
	char		*bytes = NULL;
	size_t		 npending = 0;
	int		 fd, rd, wr, no_splice;
	off_t		 size;
	struct logfile	*lf;

	path = ck_str(ck, o, "path", 0);
	fd = ck_fd(ck, o, "fd", 0);
	rd = ck_fd(ck, o, "pipe_rd", 0);
	wr = ck_fd(ck, o, "pipe_wr", 0);
	size = (off_t)ck_int(ck, o, "size", 0, INT64_MAX);
	error = ck_str(ck, o, "error", 1);
	pending = ck_str(ck, o, "pending", 0);
	stamp.mid_line = ck_bool(ck, o, "mid_line");
	stamp.line_len = (size_t)ck_int(ck, o, "line_len", 0, LOGSTAMP_PIECE);
	no_splice = ck_bool(ck, o, "no_splice");
	if (pending != NULL && (bytes = base64_decode(pending,
	    strlen(pending), &npending)) == NULL)
		ck_fail(ck, "a log's held bytes are not base64");
	if (ck->cause != NULL || job == NULL) {
		free(bytes);
		return (NULL);
	}
	lf = logfile_adopt(job, stream, path, fd, rd, wr);
	lf->size = size;
	lf->error = dup_or_null(error);
	lf->stamp = stamp;
	lf->no_splice = no_splice;
	if (npending > 0) {
		lf->pending = bytes;
		lf->npending = npending;
		logfile_hold_resume(lf);
	} else
		free(bytes);
	return (lf);
}

/* Is fd an open descriptor?  A missing one is forgotten, not used. */
static int
snapshot_fd_ok(int fd)
{
	return (fd >= 0 && fcntl(fd, F_GETFD) != -1);
}

/*
 * Build the daemon's state from a checked snapshot.  Returns 0, with
 * *requester_fd the connection to answer (or -1).
 */
int
snapshot_apply(json_t *o, int *requester_fd, char **cause)
{
	struct snapshot_ck	 ck = { NULL, "snapshot" };
	struct config		*config;
	struct job		*job;
	json_t			*j, *t;
	size_t			 i;
	u_int			 k;

	config = xcalloc(1, sizeof *config);
	config->path = xstrdup(json_string_value(json_object_get(o,
	    "config_path")));
	config->dir = confpath_dir(config->path);
	config->socket_path = dup_or_null(json_string_value(json_object_get(o,
	    "socket_path")));
	if (config->socket_path == NULL)
		config->socket_path = xstrdup("");
	config->socket_mode = (mode_t)json_integer_value(json_object_get(o,
	    "socket_mode"));
	config->socket_group = dup_or_null(json_string_value(
	    json_object_get(o, "socket_group")));
	config->log_dir = xstrdup(json_string_value(json_object_get(o,
	    "log_dir")));
	cd->config = config;
	cd->config_path = config->path;
	cd->nofile.rlim_cur = (rlim_t)json_integer_value(json_object_get(o,
	    "nofile_cur"));
	cd->nofile.rlim_max = (rlim_t)json_integer_value(json_object_get(o,
	    "nofile_max"));
	*requester_fd = (int)json_integer_value(json_object_get(o,
	    "requester_fd"));
	if (*requester_fd != -1 && !snapshot_fd_ok(*requester_fd))
		*requester_fd = -1;

	if (json_is_array(json_object_get(o, "strays")))
		cd->strays = json_deep_copy(json_object_get(o, "strays"));

	control_adopt(json_integer_value(json_object_get(o, "socket_fd")),
	    json_string_value(json_object_get(o, "socket_path")),
	    json_is_true(json_object_get(o, "socket_activated")));

	json_array_foreach(json_object_get(o, "jobs"), i, j) {
		ck.where = "snapshot job";
		if ((job = snapshot_job_parse(&ck, j, 1)) == NULL) {
			*cause = ck.cause;
			return (-1);
		}
		for (k = 0; k < job->nprocs; k++) {
			if (job->procs[k].pidfd == -1)
				continue;
			if (snapshot_fd_ok(job->procs[k].pidfd))
				fcntl(job->procs[k].pidfd, F_SETFD, FD_CLOEXEC);
			else
				job->procs[k].pidfd = -1;
		}
		if (job->notify_fd != -1) {
			if (snapshot_fd_ok(job->notify_fd))
				notify_job_adopt(job);
			else
				job->notify_fd = -1;
		}
		t = json_object_get(j, "timer_state");
		if (json_is_number(t))
			job_arm_timer(job, job->ev_state, json_number_value(t));
		t = json_object_get(j, "timer_group");
		if (json_is_number(t))
			job_arm_timer(job, job->ev_group, json_number_value(t));
	}
	return (0);
}
