/*
 * cmd-status.c -- "status": every job named (all by default) as JSON, the
 * way Popen.poll() tells whether a process is still there and how it ended.
 */

#include "config.h"

#include <unistd.h>

#include "corrald.h"

static enum cmd_retval	cmd_status_exec(struct cmd_ctx *);

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.flags = CMD_JOBS_ANY,
	.exec = cmd_status_exec
};

static enum cmd_retval
cmd_status_exec(struct cmd_ctx *ctx)
{
	json_t	*jobs;
	u_int	 i;

	jobs = json_array();
	for (i = 0; i < ctx->njobs; i++)
		json_array_append_new(jobs, job_to_json(ctx->jobs[i]));
	control_send_ok(ctx->client, json_pack("{s:o,s:{s:I,s:s}}",
	    "jobs", jobs, "daemon", "pid", (json_int_t)getpid(),
	    "version", PACKAGE_VERSION));
	return (CMD_DONE);
}
