/*
 * cmd.c -- the table of control commands, and what they share: finding a
 * command by name, checking its job list and signal, and answering
 * requests that wait for jobs to reach a state.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "corrald.h"

extern const struct cmd_entry cmd_events_entry;
extern const struct cmd_entry cmd_kill_entry;
extern const struct cmd_entry cmd_killpg_entry;
extern const struct cmd_entry cmd_logs_entry;
extern const struct cmd_entry cmd_pid_entry;
extern const struct cmd_entry cmd_reexec_entry;
extern const struct cmd_entry cmd_reload_entry;
extern const struct cmd_entry cmd_reopen_logs_entry;
extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_restart_entry;
extern const struct cmd_entry cmd_shutdown_entry;
extern const struct cmd_entry cmd_signal_entry;
extern const struct cmd_entry cmd_start_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_stop_entry;
extern const struct cmd_entry cmd_terminate_entry;
extern const struct cmd_entry cmd_wait_entry;

static const struct cmd_entry *cmd_table[] = {
	&cmd_events_entry,
	&cmd_kill_entry,
	&cmd_killpg_entry,
	&cmd_logs_entry,
	&cmd_pid_entry,
	&cmd_reexec_entry,
	&cmd_reload_entry,
	&cmd_reopen_logs_entry,
	&cmd_run_entry,
	&cmd_restart_entry,
	&cmd_shutdown_entry,
	&cmd_signal_entry,
	&cmd_start_entry,
	&cmd_status_entry,
	&cmd_stop_entry,
	&cmd_terminate_entry,
	&cmd_wait_entry,
	NULL
};

static void	cmd_waiters_cb(int, short, void *);

static const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry	**entry;

	for (entry = cmd_table; *entry != NULL; entry++) {
		if (strcmp((*entry)->name, name) == 0)
			return (*entry);
	}
	return (NULL);
}

/* Add job to list unless it is there already. */
static void
cmd_add_job(struct cmd_ctx *ctx, struct job *job)
{
	u_int	 i;

	for (i = 0; i < ctx->njobs; i++) {
		if (ctx->jobs[i] == job)
			return;
	}
	ctx->jobs = xreallocarray(ctx->jobs, ctx->njobs + 1,
	    sizeof *ctx->jobs);
	ctx->jobs[ctx->njobs++] = job;
}

/* Every job, but those a reload dropped that are still stopping. */
static void
cmd_add_all(struct cmd_ctx *ctx)
{
	struct job	*job;

	TAILQ_FOREACH(job, &cd->jobs, entry) {
		if (!job->removing)
			cmd_add_job(ctx, job);
	}
}

/* Resolve the request's "jobs" as the command's flags say. */
static int
cmd_resolve_jobs(struct cmd_ctx *ctx)
{
	const struct cmd_entry	*entry = ctx->entry;
	const char		**names;
	char			*cause;
	size_t			 n, i;
	struct job		*job;

	if (proto_get_jobs(ctx->request, &names, &n, &cause) == -1) {
		control_send_error(ctx->client, PROTO_E_BAD_REQUEST, "%s",
		    cause);
		free(cause);
		return (-1);
	}
	if (n == 0 && (entry->flags & (CMD_JOBS | CMD_ONE_JOB))) {
		control_send_error(ctx->client, PROTO_E_BAD_REQUEST,
		    "%s: no job given", entry->name);
		return (-1);
	}
	if (n != 1 && (entry->flags & CMD_ONE_JOB)) {
		free(names);
		control_send_error(ctx->client, PROTO_E_BAD_REQUEST,
		    "%s takes exactly one job", entry->name);
		return (-1);
	}
	if (n == 0 && (entry->flags & CMD_JOBS_ANY)) {
		cmd_add_all(ctx);
		return (0);
	}
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], "all") == 0 &&
		    !(entry->flags & CMD_ONE_JOB)) {
			cmd_add_all(ctx);
			continue;
		}
		if ((job = job_find(names[i])) == NULL) {
			control_send_error(ctx->client, PROTO_E_NO_SUCH_JOB,
			    "no such job: %s", names[i]);
			free(names);
			return (-1);
		}
		cmd_add_job(ctx, job);
	}
	free(names);
	return (0);
}

/* The request's "signal": a name ("TERM", "SIGTERM") or a number. */
static int
cmd_resolve_signal(struct cmd_ctx *ctx)
{
	json_t		*sig = json_object_get(ctx->request, "signal");
	json_int_t	 n;

	if (json_is_string(sig) &&
	    sig_parse(json_string_value(sig), &ctx->signo) == 0)
		return (0);
	if (json_is_integer(sig)) {
		n = json_integer_value(sig);
		if (n > 0 && n <= SIGRTMAX) {
			ctx->signo = (int)n;
			return (0);
		}
	}
	if (json_is_string(sig))
		control_send_error(ctx->client, PROTO_E_BAD_SIGNAL,
		    "bad signal: %s", json_string_value(sig));
	else
		control_send_error(ctx->client, PROTO_E_BAD_SIGNAL,
		    "\"signal\" must be a signal name or number");
	return (-1);
}

/* Serve one decoded request. */
void
cmd_dispatch(struct client *c, json_t *req)
{
	struct cmd_ctx	 ctx;
	const char	*name = json_string_value(json_object_get(req, "cmd"));

	memset(&ctx, 0, sizeof ctx);
	ctx.client = c;
	ctx.request = req;
	if ((ctx.entry = cmd_find(name)) == NULL) {
		control_send_error(c, PROTO_E_UNKNOWN_CMD,
		    "unknown command: %s", name);
		return;
	}
	if (cd->shutting_down && ctx.entry != &cmd_status_entry &&
	    ctx.entry != &cmd_wait_entry && ctx.entry != &cmd_shutdown_entry) {
		control_send_error(c, PROTO_E_SHUTTING_DOWN,
		    "corrald is shutting down");
		return;
	}
	if (cmd_resolve_jobs(&ctx) == -1)
		goto out;
	if ((ctx.entry->flags & CMD_SIGNAL) && cmd_resolve_signal(&ctx) == -1)
		goto out;
	ctx.entry->exec(&ctx);
out:
	/* Descriptors are for `run` alone; no other request keeps any. */
	control_close_passed(c);
	free(ctx.jobs);
}

/* Log a request that acts on jobs, with who asked: the kernel's word. */
void
cmd_log_request(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	log_info("%s (asked by uid %ld pid %ld)", msg, (long)ctx->client->uid,
	    (long)ctx->client->pid);
	free(msg);
}

/*
 * Make the request wait: its command's check() answers it once the jobs
 * it names have settled.  The job list moves into the waiter.
 */
struct waiter *
cmd_wait(struct cmd_ctx *ctx)
{
	struct waiter	*w;
	u_int		 i;

	w = xcalloc(1, sizeof *w);
	w->client = ctx->client;
	w->cmd = ctx->entry;
	w->request = json_incref(ctx->request);
	w->jobs = ctx->jobs;
	w->njobs = ctx->njobs;
	ctx->jobs = NULL;
	ctx->njobs = 0;
	w->serials = xcalloc(w->njobs ? w->njobs : 1, sizeof *w->serials);
	for (i = 0; i < w->njobs; i++)
		w->serials[i] = w->jobs[i]->run_serial;
	ctx->client->waiter = w;
	cmd_check_waiters();
	return (w);
}

void
cmd_waiter_free(struct waiter *w)
{
	json_decref(w->request);
	free(w->jobs);
	free(w->serials);
	free(w);
}

/* Answer a waiter and let its client go on with further requests. */
void
cmd_waiter_answer(struct waiter *w, json_t *obj)
{
	struct client	*c = w->client;

	c->waiter = NULL;
	control_send(c, obj);
	cmd_waiter_free(w);
}

/*
 * Ask judge about every job of w; once none is pending, answer with each
 * job's outcome: {"ok":true,"jobs":[...]} if all went well, else an error
 * whose message joins the failures.  Returns 1 if answered.
 */
int
cmd_answer_when_settled(struct waiter *w,
    enum cmd_verdict (*judge)(struct waiter *, u_int, char **))
{
	enum cmd_verdict	*verdicts;
	char			**messages, *joined = NULL, *tmp;
	json_t			*list, *item, *obj;
	u_int			 i, failed = 0;

	verdicts = xcalloc(w->njobs ? w->njobs : 1, sizeof *verdicts);
	messages = xcalloc(w->njobs ? w->njobs : 1, sizeof *messages);
	for (i = 0; i < w->njobs; i++) {
		verdicts[i] = judge(w, i, &messages[i]);
		if (verdicts[i] == VERDICT_PENDING) {
			for (i = 0; i < w->njobs; i++)
				free(messages[i]);
			free(messages);
			free(verdicts);
			return (0);
		}
	}
	list = json_array();
	for (i = 0; i < w->njobs; i++) {
		item = json_pack("{s:s,s:s,s:b}", "name", w->jobs[i]->name,
		    "state", job_state_name(w->jobs[i]->state),
		    "ok", verdicts[i] == VERDICT_OK);
		if (messages[i] != NULL) {
			json_object_set_new(item, "message",
			    json_string(messages[i]));
		}
		json_array_append_new(list, item);
		if (verdicts[i] != VERDICT_FAILED)
			continue;
		failed++;
		if (joined == NULL)
			joined = xstrdup(messages[i]);
		else {
			xasprintf(&tmp, "%s; %s", joined, messages[i]);
			free(joined);
			joined = tmp;
		}
	}
	if (failed > 0) {
		obj = proto_error(PROTO_E_FAILED, joined);
		json_object_set_new(obj, "jobs", list);
	} else {
		obj = proto_ok();
		json_object_set_new(obj, "jobs", list);
	}
	for (i = 0; i < w->njobs; i++)
		free(messages[i]);
	free(messages);
	free(verdicts);
	free(joined);
	cmd_waiter_answer(w, obj);
	return (1);
}

/*
 * A job changed state: look at every waiter once the current callback is
 * over, so no waiter sees a job half-way through a transition.
 */
void
cmd_check_waiters(void)
{
	if (cd->ev_waiters == NULL)
		cd->ev_waiters = event_new(cd->base, -1, 0, cmd_waiters_cb,
		    NULL);
	event_active(cd->ev_waiters, 0, 0);
}

static void
cmd_waiters_cb(int fd, short events, void *arg)
{
	struct client	*c, *next;
	int		 answered;

	(void)fd;
	(void)events;
	(void)arg;
	TAILQ_FOREACH_SAFE(c, &cd->clients, entry, next) {
		if (c->waiter == NULL || c->dead)
			continue;
		answered = c->waiter->cmd->check(c->waiter);
		if (answered && !c->dead)
			control_process_pending(c);
	}
}

/* A job is going away: requests waiting on it answer without it. */
void
cmd_forget_job(struct job *job)
{
	struct client	*c;
	struct waiter	*w;
	u_int		 i;

	TAILQ_FOREACH(c, &cd->clients, entry) {
		if ((w = c->waiter) == NULL)
			continue;
		for (i = 0; i < w->njobs; i++) {
			if (w->jobs[i] != job)
				continue;
			memmove(&w->jobs[i], &w->jobs[i + 1],
			    (w->njobs - i - 1) * sizeof *w->jobs);
			memmove(&w->serials[i], &w->serials[i + 1],
			    (w->njobs - i - 1) * sizeof *w->serials);
			w->njobs--;
			i--;
		}
	}
	cmd_check_waiters();
}
