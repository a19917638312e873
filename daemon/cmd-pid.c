/*
 * cmd-pid.c -- "pid": the leader's pid, as Popen.pid.
 */

#include "config.h"

#include "corrald.h"

static enum cmd_retval	cmd_pid_exec(struct cmd_ctx *);

const struct cmd_entry cmd_pid_entry = {
	.name = "pid",
	.flags = CMD_ONE_JOB,
	.exec = cmd_pid_exec
};

static enum cmd_retval
cmd_pid_exec(struct cmd_ctx *ctx)
{
	struct job	*job = ctx->jobs[0];
	pid_t		 pid = job_leader_pid(job);

	if (pid == -1) {
		control_send_error(ctx->client, PROTO_E_NOT_RUNNING,
		    "%s: not running", job->name);
		return (CMD_DONE);
	}
	control_send_ok(ctx->client, json_pack("{s:I}", "pid",
	    (json_int_t)pid));
	return (CMD_DONE);
}
