/*
 * cmd-start.c -- "start" and "restart": answered once every job named is
 * RUNNING, or has failed to get there (FATAL, or exited with a failure).
 */

#include "config.h"

#include <stdlib.h>
#include <sys/wait.h>

#include "corrald.h"

static enum cmd_retval	cmd_start_exec(struct cmd_ctx *);
static enum cmd_retval	cmd_restart_exec(struct cmd_ctx *);
static int		cmd_start_check(struct waiter *);
static int		cmd_restart_check(struct waiter *);

const struct cmd_entry cmd_start_entry = {
	.name = "start",
	.flags = CMD_JOBS,
	.exec = cmd_start_exec,
	.check = cmd_start_check
};

const struct cmd_entry cmd_restart_entry = {
	.name = "restart",
	.flags = CMD_JOBS,
	.exec = cmd_restart_exec,
	.check = cmd_restart_check
};

/* Has job i reached RUNNING, or failed on the way? */
static enum cmd_verdict
cmd_start_judge(struct waiter *w, u_int i, char **msg)
{
	struct job		*job = w->jobs[i];
	const struct run_record	*rec;
	char			 how[64];

	/* Whatever its last run did, it will start once its after-jobs do. */
	if (job->waiting_deps)
		return (VERDICT_PENDING);
	switch (job->state) {
	case JOB_RUNNING:
		return (VERDICT_OK);
	case JOB_STARTING:
	case JOB_BACKOFF:
	case JOB_STOPPING:
		return (VERDICT_PENDING);
	case JOB_FATAL:
		xasprintf(msg, "%s: %s", job->name, job->fatal_reason ?
		    job->fatal_reason : "could not be started");
		return (VERDICT_FAILED);
	case JOB_EXITED:
		rec = &job->history[(job->run_serial - 1) % JOB_HISTORY];
		job_result_string(rec->status, how, sizeof how);
		xasprintf(msg, "%s: exited: %s", job->name, how);
		if (job_status_is_success(job->spec, rec->status))
			return (VERDICT_OK);
		return (VERDICT_FAILED);
	case JOB_STOPPED:
		xasprintf(msg, "%s: stopped before it was running", job->name);
		return (VERDICT_FAILED);
	}
	return (VERDICT_PENDING);
}

/* For restart: the old run must be over before the new one is judged. */
static enum cmd_verdict
cmd_restart_judge(struct waiter *w, u_int i, char **msg)
{
	if (w->jobs[i]->run_serial == w->serials[i] &&
	    w->jobs[i]->state == JOB_STOPPING)
		return (VERDICT_PENDING);
	return (cmd_start_judge(w, i, msg));
}

static enum cmd_retval
cmd_start_exec(struct cmd_ctx *ctx)
{
	char	*cause = NULL;
	u_int	 i;

	for (i = 0; i < ctx->njobs; i++) {
		cmd_log_request(ctx, "%s: start", ctx->jobs[i]->name);
		job_start(ctx->jobs[i], &cause);
	}
	cmd_wait(ctx);
	return (CMD_WAIT);
}

static enum cmd_retval
cmd_restart_exec(struct cmd_ctx *ctx)
{
	u_int	 i;

	for (i = 0; i < ctx->njobs; i++) {
		cmd_log_request(ctx, "%s: restart", ctx->jobs[i]->name);
		job_stop(ctx->jobs[i], AFTER_RESTART);
	}
	cmd_wait(ctx);
	return (CMD_WAIT);
}

static int
cmd_start_check(struct waiter *w)
{
	return (cmd_answer_when_settled(w, cmd_start_judge));
}

static int
cmd_restart_check(struct waiter *w)
{
	return (cmd_answer_when_settled(w, cmd_restart_judge));
}
