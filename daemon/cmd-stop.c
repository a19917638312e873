/*
 * cmd-stop.c -- "stop": stop_signal to each job (its whole group with
 * kill_group), SIGKILL after stop_timeout; answered once none is running.
 */

#include "config.h"

#include "corrald.h"

static enum cmd_retval	cmd_stop_exec(struct cmd_ctx *);
static int		cmd_stop_check(struct waiter *);

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.flags = CMD_JOBS,
	.exec = cmd_stop_exec,
	.check = cmd_stop_check
};

static enum cmd_verdict
cmd_stop_judge(struct waiter *w, u_int i, char **msg)
{
	(void)msg;
	if (w->jobs[i]->stop_queued)
		return (VERDICT_PENDING);
	switch (w->jobs[i]->state) {
	case JOB_STOPPED:
	case JOB_EXITED:
	case JOB_FATAL:
		return (VERDICT_OK);
	default:
		return (VERDICT_PENDING);
	}
}

static enum cmd_retval
cmd_stop_exec(struct cmd_ctx *ctx)
{
	u_int	 i;

	for (i = 0; i < ctx->njobs; i++) {
		cmd_log_request(ctx, "%s: stop", ctx->jobs[i]->name);
		job_stop_ordered(ctx->jobs[i], AFTER_STOP);
	}
	cmd_wait(ctx);
	return (CMD_WAIT);
}

static int
cmd_stop_check(struct waiter *w)
{
	return (cmd_answer_when_settled(w, cmd_stop_judge));
}
