/*
 * cmd-wait.c -- "wait": Popen.wait() for the job's current run.  Answered
 * when the run has ended (its group too, with kill_group) with how it
 * ended; for a job that is not running, at once with its last run.
 */

#include "config.h"

#include <sys/wait.h>

#include "corrald.h"

static enum cmd_retval	cmd_wait_exec(struct cmd_ctx *);
static int		cmd_wait_check(struct waiter *);

const struct cmd_entry cmd_wait_entry = {
	.name = "wait",
	.flags = CMD_ONE_JOB,
	.exec = cmd_wait_exec,
	.check = cmd_wait_check
};

/* Answer with how run number serial of job ended. */
static json_t *
cmd_wait_result(struct job *job, uint64_t serial)
{
	const struct run_record	*rec;
	char			 how[64];
	json_t			*obj;

	rec = &job->history[(serial - 1) % JOB_HISTORY];
	if (rec->spawn_failed) {
		return (proto_error(PROTO_E_FAILED, job->fatal_reason ?
		    job->fatal_reason : "could not be started"));
	}
	job_result_string(rec->status, how, sizeof how);
	obj = proto_ok();
	json_object_set_new(obj, "name", json_string(job->name));
	json_object_set_new(obj, "result", json_string(how));
	if (WIFEXITED(rec->status))
		json_object_set_new(obj, "exit_code",
		    json_integer(WEXITSTATUS(rec->status)));
	else if (WIFSIGNALED(rec->status)) {
		json_object_set_new(obj, "signal",
		    json_integer(WTERMSIG(rec->status)));
		json_object_set_new(obj, "signal_name",
		    json_string(sig_name(WTERMSIG(rec->status))));
	}
	return (obj);
}

static enum cmd_retval
cmd_wait_exec(struct cmd_ctx *ctx)
{
	struct job	*job = ctx->jobs[0];

	if (job_is_active(job)) {
		cmd_wait(ctx);
		return (CMD_WAIT);
	}
	if (job->run_serial == 0) {
		control_send_error(ctx->client, PROTO_E_NOT_RUNNING,
		    "%s: has never run", job->name);
		return (CMD_DONE);
	}
	control_send(ctx->client, cmd_wait_result(job, job->run_serial));
	return (CMD_DONE);
}

static int
cmd_wait_check(struct waiter *w)
{
	struct job	*job;

	if (w->njobs == 0) {
		cmd_waiter_answer(w, proto_error(PROTO_E_NO_SUCH_JOB,
		    "the job was removed"));
		return (1);
	}
	job = w->jobs[0];
	if (job->run_serial == w->serials[0] && job_is_active(job))
		return (0);
	cmd_waiter_answer(w, cmd_wait_result(job, w->serials[0]));
	return (1);
}
