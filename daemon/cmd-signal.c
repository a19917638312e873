/*
 * cmd-signal.c -- Popen's send_signal(), terminate() and kill() for the
 * job's leader, and os.killpg() for its whole process group: "signal",
 * "terminate", "kill" and "killpg".  The leader is reached through its
 * pidfd, the group only while it is known to have members.
 */

#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "corrald.h"

static enum cmd_retval	cmd_signal_exec(struct cmd_ctx *);

const struct cmd_entry cmd_signal_entry = {
	.name = "signal",
	.flags = CMD_JOBS | CMD_SIGNAL,
	.exec = cmd_signal_exec
};

const struct cmd_entry cmd_terminate_entry = {
	.name = "terminate",
	.flags = CMD_JOBS,
	.exec = cmd_signal_exec
};

const struct cmd_entry cmd_kill_entry = {
	.name = "kill",
	.flags = CMD_JOBS,
	.exec = cmd_signal_exec
};

const struct cmd_entry cmd_killpg_entry = {
	.name = "killpg",
	.flags = CMD_JOBS | CMD_SIGNAL,
	.exec = cmd_signal_exec
};

static enum cmd_retval
cmd_signal_exec(struct cmd_ctx *ctx)
{
	const struct cmd_entry	*entry = ctx->entry;
	struct job		*job;
	char			*cause, *joined = NULL, *tmp;
	int			 sig = ctx->signo, group, rc, all_not_running = 1;
	pid_t			 pid;
	u_int			 i;

	if (entry == &cmd_terminate_entry)
		sig = SIGTERM;
	else if (entry == &cmd_kill_entry)
		sig = SIGKILL;
	group = (entry == &cmd_killpg_entry);

	for (i = 0; i < ctx->njobs; i++) {
		job = ctx->jobs[i];
		pid = group ? job->pgid : job_leader_pid(job);
		if (group)
			rc = job_signal_group(job, sig, &cause);
		else
			rc = job_signal_leader(job, sig, &cause);
		if (rc == 0) {
			cmd_log_request(ctx, "%s: %s %s to %s %ld", job->name,
			    group ? "killpg" : "signal", sig_name(sig),
			    group ? "group" : "pid", (long)pid);
			continue;
		}
		if (strstr(cause, ": not running") == NULL)
			all_not_running = 0;
		if (joined == NULL)
			joined = cause;
		else {
			xasprintf(&tmp, "%s; %s", joined, cause);
			free(joined);
			free(cause);
			joined = tmp;
		}
	}
	if (joined != NULL) {
		control_send_error(ctx->client, all_not_running ?
		    PROTO_E_NOT_RUNNING : PROTO_E_FAILED, "%s", joined);
		free(joined);
	} else
		control_send_ok(ctx->client, json_pack("{s:i,s:s}", "signal",
		    sig, "signal_name", sig_name(sig)));
	return (CMD_DONE);
}
