/*
 * cmd-events.c -- "events": the client becomes a listener, and every
 * change of a job's state is sent to it as one JSON line until it goes
 * away.  A listener that stops reading is dropped once its unread lines
 * pass a bound: it never slows the daemon or the other listeners.
 */

#include "config.h"

#include <stdlib.h>
#include <sys/time.h>

#include "corrald.h"

/* Unread event lines a listener may have before it is dropped. */
#define CMD_EVENTS_BACKLOG	(1024 * 1024)

static enum cmd_retval	cmd_events_exec(struct cmd_ctx *);

const struct cmd_entry cmd_events_entry = {
	.name = "events",
	.flags = 0,
	.exec = cmd_events_exec
};

static enum cmd_retval
cmd_events_exec(struct cmd_ctx *ctx)
{
	ctx->client->listening = 1;
	cd->nlisteners++;
	log_debug("client pid %ld uid %ld listening for events",
	    (long)ctx->client->pid, (long)ctx->client->uid);
	control_send_ok(ctx->client, json_pack("{s:b}", "streaming", 1));
	return (CMD_DONE);
}

/* One event line about job going from old to its current state. */
static json_t *
cmd_events_object(const struct job *job, enum job_state old)
{
	const struct run_record	*rec;
	struct timeval		 tv;
	json_t			*obj;
	char			 how[64];

	gettimeofday(&tv, NULL);
	obj = json_pack("{s:s,s:s,s:s,s:s,s:f}", "event", "state",
	    "job", job->name, "from", job_state_name(old),
	    "to", job_state_name(job->state),
	    "time", (double)tv.tv_sec + (double)tv.tv_usec / 1e6);
	if (job->nprocs > 0 && job->procs[0].pid > 0)
		json_object_set_new(obj, "pid",
		    json_integer(job->procs[0].pid));
	if (!job_is_active(job) && job->run_serial > 0 &&
	    (old == JOB_STARTING || old == JOB_RUNNING ||
	    old == JOB_STOPPING)) {
		rec = &job->history[(job->run_serial - 1) % JOB_HISTORY];
		if (rec->spawn_failed)
			snprintf(how, sizeof how, "spawn failed");
		else
			job_result_string(rec->status, how, sizeof how);
		json_object_set_new(obj, "result", json_string(how));
	}
	if (job->state == JOB_FATAL && job->fatal_reason != NULL)
		json_object_set_new(obj, "error",
		    json_string(job->fatal_reason));
	return (obj);
}

/* Send one event to every listener; obj is consumed. */
static void
cmd_events_send(json_t *obj)
{
	struct client	*c, *next;
	char		*line;
	size_t		 len;

	line = proto_encode(obj, PROTO_ANSWER_MAX, &len);
	json_decref(obj);
	if (line == NULL)
		return;
	TAILQ_FOREACH_SAFE(c, &cd->clients, entry, next) {
		if (!c->listening || c->dead)
			continue;
		if (evbuffer_get_length(c->out) + len > CMD_EVENTS_BACKLOG) {
			log_warnx("event listener pid %ld uid %ld is not "
			    "reading: dropping it", (long)c->pid, (long)c->uid);
			control_client_done(c);
			continue;
		}
		control_send_line(c, line, len);
	}
	free(line);
}

/* Tell every listener that job went from old to its current state. */
void
cmd_events_publish(const struct job *job, enum job_state old)
{
	if (cd->nlisteners > 0)
		cmd_events_send(cmd_events_object(job, old));
}

/*
 * Tell every listener that a run of job has ended, and how: a run that is
 * followed by a restart at once shows no state of its own in between.
 */
void
cmd_events_ended(const struct job *job)
{
	const struct run_record	*rec;
	struct timeval		 tv;
	json_t			*obj;
	char			 how[64];

	if (cd->nlisteners == 0 || job->run_serial == 0)
		return;
	rec = &job->history[(job->run_serial - 1) % JOB_HISTORY];
	if (rec->spawn_failed)
		snprintf(how, sizeof how, "spawn failed");
	else
		job_result_string(rec->status, how, sizeof how);
	gettimeofday(&tv, NULL);
	obj = json_pack("{s:s,s:s,s:s,s:f}", "event", "ended", "job",
	    job->name, "result", how,
	    "time", (double)tv.tv_sec + (double)tv.tv_usec / 1e6);
	if (job->nprocs > 0 && job->procs[0].pid > 0)
		json_object_set_new(obj, "pid",
		    json_integer(job->procs[0].pid));
	cmd_events_send(obj);
}
