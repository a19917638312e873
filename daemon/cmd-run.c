/*
 * cmd-run.c -- "run": Popen's call() over the socket.  The client sends
 * its own stdin, stdout and stderr with SCM_RIGHTS along with the request;
 * corrald starts the command as a transient job in a session of its own,
 * with exactly those descriptors as 0, 1 and 2 (nothing is copied through
 * the daemon), answers once it has exec'd (or could not be), and again
 * with how it ended; then the job is forgotten.
 *
 * A client other than root runs the job as itself: the uid, gid and
 * groups the kernel reports for the connection, never more.  If the
 * client goes away first, the job's group gets SIGHUP, as from a terminal
 * that hung up.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corrald.h"

/* Variables the client may set with -e. */
#define CMD_RUN_MAX_ENV		256

static enum cmd_retval	cmd_run_exec(struct cmd_ctx *);
static int		cmd_run_check(struct waiter *);

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.flags = 0,
	.exec = cmd_run_exec,
	.check = cmd_run_check
};

/* [A-Za-z0-9_.@-]{1,64}, as for a job in a config file. */
static int
cmd_run_name_ok(const char *name)
{
	size_t	 len = strlen(name);

	if (len == 0 || len > 64 || strcmp(name, "all") == 0)
		return (0);
	return (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
	    "vwxyz0123456789_.@-") == len);
}

/* An array of strings (non-empty if nonempty), NULL-terminated copy. */
static char **
cmd_run_strings(json_t *array, int nonempty, size_t max)
{
	json_t	*v;
	char	**out;
	size_t	 i;

	if (!json_is_array(array) || json_array_size(array) > max ||
	    (nonempty && json_array_size(array) == 0))
		return (NULL);
	json_array_foreach(array, i, v) {
		if (!json_is_string(v) || (i == 0 && nonempty &&
		    *json_string_value(v) == '\0'))
			return (NULL);
	}
	out = xcalloc(json_array_size(array) + 1, sizeof *out);
	json_array_foreach(array, i, v)
		out[i] = xstrdup(json_string_value(v));
	return (out);
}

/*
 * The job's environment: a clean default for the uid it runs as (PATH,
 * HOME, USER, LOGNAME), with the client's -e on top.
 */
static void
cmd_run_environment(struct job_spec *spec, uid_t uid, char **extra)
{
	struct passwd	*pw = getpwuid(uid);
	char		**env;
	u_int		 n = 0, i, j;

	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		n++;
	env = xcalloc(n + 5, sizeof *env);
	n = 0;
	xasprintf(&env[n++], "PATH=%s", uid == 0 ?
	    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" :
	    "/usr/local/bin:/usr/bin:/bin");
	if (pw != NULL) {
		xasprintf(&env[n++], "HOME=%s", pw->pw_dir);
		xasprintf(&env[n++], "USER=%s", pw->pw_name);
		xasprintf(&env[n++], "LOGNAME=%s", pw->pw_name);
	}
	for (i = 0; extra != NULL && extra[i] != NULL; i++) {
		/* A later K=V replaces an earlier one. */
		size_t	 klen = strcspn(extra[i], "=");

		for (j = 0; j < n; j++) {
			if (strncmp(env[j], extra[i], klen + 1) == 0) {
				free(env[j]);
				env[j] = env[--n];
			}
		}
		env[n++] = xstrdup(extra[i]);
	}
	spec->environment = env;
	spec->nenvironment = n;
	spec->clear_environment = 1;
}

/* A client other than root gets exactly its own ids and groups. */
static void
cmd_run_credentials(struct job_spec *spec, struct client *c)
{
	gid_t		 groups[256];
	socklen_t	 len = sizeof groups;

	if (c->uid == 0)
		return;
	xasprintf(&spec->user, "%lu", (u_long)c->uid);
	xasprintf(&spec->group, "%lu", (u_long)c->gid);
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == -1)
		len = 0;
	spec->ngroups = (int)(len / sizeof groups[0]);
	spec->groups = xcalloc((size_t)spec->ngroups + 1, sizeof *spec->groups);
	memcpy(spec->groups, groups, len);
}

/* The request into a spec; NULL with an error sent. */
static struct job_spec *
cmd_run_spec(struct cmd_ctx *ctx)
{
	json_t		*req = ctx->request, *v;
	struct job_spec	*spec;
	const char	*dir, *shell;
	char		**argv = NULL, **env = NULL, *name;
	static u_int	 serial;
	u_int		 i;

	v = json_object_get(req, "name");
	if (v != NULL) {
		if (!json_is_string(v) || !cmd_run_name_ok(json_string_value(v)))
			goto bad_name;
		name = xstrdup(json_string_value(v));
	} else {
		/* run-1, run-2, ...: the first free one from here. */
		for (;;) {
			xasprintf(&name, "run-%u", ++serial);
			if (job_find(name) == NULL)
				break;
			free(name);
		}
	}
	if (job_find(name) != NULL) {
		control_send_error(ctx->client, PROTO_E_FAILED,
		    "a job named %s exists already", name);
		free(name);
		return (NULL);
	}
	shell = json_string_value(json_object_get(req, "shell"));
	if (json_object_get(req, "argv") != NULL &&
	    (argv = cmd_run_strings(json_object_get(req, "argv"), 1,
	    65536)) == NULL) {
		control_send_error(ctx->client, PROTO_E_BAD_REQUEST,
		    "\"argv\" must be a non-empty array of strings");
		goto fail;
	}
	if ((argv == NULL) == (shell == NULL)) {
		control_send_error(ctx->client, PROTO_E_BAD_REQUEST,
		    "run needs exactly one of \"argv\" and \"shell\"");
		goto fail;
	}
	dir = json_string_value(json_object_get(req, "directory"));
	if (dir == NULL || dir[0] != '/') {
		control_send_error(ctx->client, PROTO_E_BAD_REQUEST,
		    "\"directory\" must be an absolute path");
		goto fail;
	}
	v = json_object_get(req, "environment");
	if (v != NULL && (env = cmd_run_strings(v, 0,
	    CMD_RUN_MAX_ENV)) == NULL)
		goto bad_env;
	for (i = 0; env != NULL && env[i] != NULL; i++) {
		if (env[i][0] == '=' || strchr(env[i], '=') == NULL)
			goto bad_env;
	}

	spec = xcalloc(1, sizeof *spec);
	spec->name = name;
	spec->file = xstrdup("(run)");
	spec->nstages = 1;
	spec->argvs = xcalloc(1, sizeof *spec->argvs);
	if (shell != NULL) {
		spec->is_shell = 1;
		spec->argvs[0] = xcalloc(4, sizeof **spec->argvs);
		spec->argvs[0][0] = xstrdup("/bin/sh");
		spec->argvs[0][1] = xstrdup("-c");
		spec->argvs[0][2] = xstrdup(shell);
	} else
		spec->argvs[0] = argv;
	spec->directory = xstrdup(dir);
	spec->stdin_passed = 1;
	spec->stdout_target = STREAM_PASSED;
	spec->stderr_target = STREAM_PASSED;
	spec->restart = RESTART_NO;
	spec->success_codes = xcalloc(1, sizeof *spec->success_codes);
	spec->nsuccess_codes = 1;
	spec->stop_signal = SIGTERM;
	spec->stop_timeout = 10;
	spec->kill_group = 1;
	spec->umask = -1;
	spec->log_backups = 5;
	cmd_run_environment(spec, ctx->client->uid, env);
	cmd_run_credentials(spec, ctx->client);
	for (i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
	return (spec);

bad_name:
	control_send_error(ctx->client, PROTO_E_BAD_REQUEST,
	    "\"name\" must match [A-Za-z0-9_.@-]{1,64} and not be \"all\"");
	return (NULL);
bad_env:
	control_send_error(ctx->client, PROTO_E_BAD_REQUEST,
	    "\"environment\" must be an array of NAME=value strings");
fail:
	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
	for (i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
	free(name);
	return (NULL);
}

static enum cmd_retval
cmd_run_exec(struct cmd_ctx *ctx)
{
	struct client	*c = ctx->client;
	struct job_spec	*spec;
	struct job	*job;
	u_int		 i;

	if (c->npassed != 3) {
		control_send_error(c, PROTO_E_BAD_REQUEST, "run needs the "
		    "client's stdin, stdout and stderr, sent with the "
		    "request (SCM_RIGHTS)");
		return (CMD_DONE);
	}
	if ((spec = cmd_run_spec(ctx)) == NULL)
		return (CMD_DONE);
	job = job_create(spec);
	job->transient = 1;
	for (i = 0; i < 3; i++)
		job->stdio_fds[i] = c->passed[i];
	c->npassed = 0;
	cmd_log_request(ctx, "%s: run %s as uid %ld", job->name,
	    spec->argvs[0][spec->is_shell ? 2 : 0], (long)c->uid);
	ctx->jobs = xcalloc(1, sizeof *ctx->jobs);
	ctx->jobs[0] = job;
	ctx->njobs = 1;
	job_start(job, NULL);
	cmd_wait(ctx);
	return (CMD_WAIT);
}

/* Add how the run ended to obj, as `wait` says it. */
static void
cmd_run_result(json_t *obj, const struct job *job)
{
	const struct run_record	*rec;
	char			 how[64];

	rec = &job->history[(job->run_serial - 1) % JOB_HISTORY];
	job_result_string(rec->status, how, sizeof how);
	json_object_set_new(obj, "name", json_string(job->name));
	json_object_set_new(obj, "result", json_string(how));
	if (WIFEXITED(rec->status))
		json_object_set_new(obj, "exit_code",
		    json_integer(WEXITSTATUS(rec->status)));
	else if (WIFSIGNALED(rec->status))
		json_object_set_new(obj, "signal",
		    json_integer(WTERMSIG(rec->status)));
}

/*
 * First answer: started (with the pid), or could not be (with the cause
 * and exit code 127 or 126, as a shell would).  Last answer: how it ended.
 */
static int
cmd_run_check(struct waiter *w)
{
	struct client	*c = w->client;
	struct job	*job;
	json_t		*obj;

	if (w->njobs == 0) {
		cmd_waiter_answer(w, proto_error(PROTO_E_FAILED,
		    "the job was removed"));
		return (1);
	}
	job = w->jobs[0];
	if (job->spawn_error != NULL || (job->run_serial > 0 &&
	    job->history[(job->run_serial - 1) % JOB_HISTORY].spawn_failed &&
	    !job_is_active(job))) {
		if (job_is_active(job))
			return (0);	/* its exit code is still to come */
		/* The child's 127 or 126, as a shell's, or 127 if no child. */
		obj = proto_error(PROTO_E_FAILED, job->fatal_reason != NULL ?
		    job->fatal_reason : "could not be started");
		cmd_run_result(obj, job);
		goto last;
	}
	if (w->progress == 0) {
		if (job->state == JOB_STARTING && !job->exec_done)
			return (0);
		control_send_ok(c, json_pack("{s:s,s:I}", "name", job->name,
		    "pid", (json_int_t)(job->nprocs > 0 ?
		    job->procs[0].pid : 0)));
		w->progress = 1;
	}
	if (job_is_active(job))
		return (0);
	obj = proto_ok();
	cmd_run_result(obj, job);
	json_object_set_new(obj, "done", json_true());
last:
	cmd_waiter_answer(w, obj);
	c->closing = 1;
	event_add(c->ev_write, NULL);
	job_free(job);
	return (1);
}

/* The client went away: hang up on the job, and forget it once ended. */
void
cmd_run_client_gone(struct waiter *w)
{
	struct job	*job;
	char		*cause;

	if (w->njobs == 0)
		return;
	job = w->jobs[0];
	if (!job_is_active(job)) {
		job_free(job);
		return;
	}
	job->run_orphaned = 1;
	log_info("%s: its client went away: SIGHUP to its group", job->name);
	if (job_signal_group(job, SIGHUP, &cause) == -1) {
		log_debug("%s", cause);
		free(cause);
	}
}
