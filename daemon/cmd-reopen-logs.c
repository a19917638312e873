/*
 * cmd-reopen-logs.c -- "reopen-logs": as SIGUSR1, for the jobs named (all
 * by default): each log file is opened again by its path, for logrotate's
 * `create` mode or after a `mv` or `rm` of a live file.
 */

#include "config.h"

#include "corrald.h"

static enum cmd_retval	cmd_reopen_logs_exec(struct cmd_ctx *);

const struct cmd_entry cmd_reopen_logs_entry = {
	.name = "reopen-logs",
	.flags = CMD_JOBS_ANY,
	.exec = cmd_reopen_logs_exec
};

static enum cmd_retval
cmd_reopen_logs_exec(struct cmd_ctx *ctx)
{
	struct job	*job;
	u_int		 i;

	for (i = 0; i < ctx->njobs; i++) {
		job = ctx->jobs[i];
		if (job->out != NULL)
			logfile_reopen(job->out);
		if (job->err != NULL)
			logfile_reopen(job->err);
	}
	cmd_log_request(ctx, "reopen-logs of %u job%s", ctx->njobs,
	    ctx->njobs == 1 ? "" : "s");
	control_send_ok(ctx->client, NULL);
	return (CMD_DONE);
}
