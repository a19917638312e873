/*
 * job.c -- a job's life: its states, its runs, the restart policy and the
 * timers that drive them.
 *
 * Every change of state goes through job_set_state(), which checks that the
 * transition is one the machine allows, logs it and wakes whatever waits on
 * jobs (control clients, shutdown).  A run ends when every one of its
 * processes has been reaped, the spawn report pipe is closed, and (with
 * kill_group) no member of its process group is left; only then does the
 * policy decide what comes next.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/pidfd.h>
#include <sys/wait.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corrald.h"

/* Two spawns of one job are never closer than this: no tight crash loop. */
#define JOB_MIN_RESPAWN		1.0

/* A group that outlives its leader is polled at this interval at most. */
#define JOB_GROUP_POLL_MAX_MS	200

static void	job_spawn(struct job *);
static void	job_run_ended(struct job *);
static void	job_check_run_end(struct job *);
static void	job_arm(struct event *, double);
static void	job_state_timer_cb(int, short, void *);
static void	job_group_timer_cb(int, short, void *);
static int	job_group_has_members(struct job *);
static void	job_send_stop(struct job *);
static void	job_close_logs(struct job *);
static void	job_close_stdio(struct job *);
static void	job_schedule(void);
static void	job_schedule_cb(int, short, void *);
static int	job_deps_running(const struct job *);

static const char *job_state_names[] = {
	"STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED",
	"FATAL"
};

const char *
job_state_name(enum job_state state)
{
	return (job_state_names[state]);
}

static double
job_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Seconds since the epoch, to the microsecond, for the history. */
static double
job_wallclock(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((double)ts.tv_sec + (double)(ts.tv_nsec / 1000) / 1e6);
}

static double
job_elapsed(const struct job *job)
{
	return (job_now() - ((double)job->started.tv_sec +
	    (double)job->started.tv_nsec / 1e9));
}

/*
 * The delay before retry number `failures` (1, 2, ...): 1 s, 2 s, 4 s, ...
 * capped at max.  Pure, for the unit tests.
 */
double
job_backoff_delay(u_int failures, double max)
{
	double	 delay;

	if (failures == 0)
		return (0);
	if (failures > 62)
		return (max);
	delay = ldexp(1.0, (int)failures - 1);
	return (delay < max ? delay : max);
}

/* Is a wait status a success by the job's success_exit_codes? */
int
job_status_is_success(const struct job_spec *spec, int status)
{
	u_int	 i;

	if (!WIFEXITED(status))
		return (0);
	for (i = 0; i < spec->nsuccess_codes; i++) {
		if (spec->success_codes[i] == WEXITSTATUS(status))
			return (1);
	}
	return (0);
}

/* "exit 3" or "signal 9 (KILL)". */
void
job_result_string(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d (%s)", WTERMSIG(status),
		    sig_name(WTERMSIG(status)));
	else
		snprintf(buf, len, "status %#x", status);
}

struct job *
job_find(const char *name)
{
	struct job	*job;

	TAILQ_FOREACH(job, &cd->jobs, entry) {
		if (!job->removing && strcmp(job->name, name) == 0)
			return (job);
	}
	return (NULL);
}

/* A new job in STOPPED, owning spec, added to the daemon's list. */
struct job *
job_create(struct job_spec *spec)
{
	struct job	*job;

	job = xcalloc(1, sizeof *job);
	job->spec = spec;
	job->name = spec->name;
	job->state = JOB_STOPPED;
	job->report_fd = -1;
	job->notify_fd = -1;
	job->stdio_fds[0] = job->stdio_fds[1] = job->stdio_fds[2] = -1;
	job->ev_state = evtimer_new(cd->base, job_state_timer_cb, job);
	job->ev_group = evtimer_new(cd->base, job_group_timer_cb, job);
	TAILQ_INSERT_TAIL(&cd->jobs, job, entry);
	return (job);
}

/* Forget a job that has no process left: its logs are drained first. */
void
job_free(struct job *job)
{
	u_int	 i;

	cmd_forget_job(job);
	TAILQ_REMOVE(&cd->jobs, job, entry);
	event_free(job->ev_state);
	event_free(job->ev_group);
	if (job->ev_report != NULL) {
		event_free(job->ev_report);
		close(job->report_fd);
		cd->nspawning--;
	}
	for (i = 0; i < job->nprocs; i++) {
		if (job->procs[i].pidfd != -1)
			close(job->procs[i].pidfd);
	}
	free(job->procs);
	job_close_logs(job);
	notify_job_close(job);
	job_close_stdio(job);
	free(job->status_text);
	free(job->spawn_error);
	free(job->fatal_reason);
	job_spec_free(job->next_spec);
	job_spec_free(job->spec);
	free(job);
}

/*
 * A `run` job's copies of its client's descriptors: closed once every
 * process has them, so that a reader of the client's stdout sees EOF when
 * the job is done, not when corrald lets go.
 */
static void
job_close_stdio(struct job *job)
{
	int	 i;

	for (i = 0; i < 3; i++) {
		if (job->stdio_fds[i] != -1)
			close(job->stdio_fds[i]);
		job->stdio_fds[i] = -1;
	}
}

/* Write out what the pipes hold and close the log files. */
static void
job_close_logs(struct job *job)
{
	if (job->out != NULL) {
		logfile_drain(job->out);
		logfile_close(job->out);
		job->out = NULL;
	}
	if (job->err != NULL) {
		logfile_drain(job->err);
		logfile_close(job->err);
		job->err = NULL;
	}
}

/* Do two specs send output to the same places? */
static int
job_same_outputs(const struct job_spec *a, const struct job_spec *b)
{
	if (a->stdout_target != b->stdout_target ||
	    a->stderr_target != b->stderr_target)
		return (0);
	if (a->stdout_target == STREAM_FILE &&
	    strcmp(a->stdout_path, b->stdout_path) != 0)
		return (0);
	if (a->stderr_target == STREAM_FILE &&
	    strcmp(a->stderr_path, b->stderr_path) != 0)
		return (0);
	return (1);
}

/* Between runs: take up the definition a reload left for the next one. */
static void
job_take_next_spec(struct job *job)
{
	struct job_spec	*old = job->spec;

	if (job->next_spec == NULL)
		return;
	if (!job_same_outputs(old, job->next_spec))
		job_close_logs(job);	/* opened anew at the next spawn */
	job->spec = job->next_spec;
	job->name = job->spec->name;
	job->next_spec = NULL;
	job_spec_free(old);
}

/* A reload found the same definition: keep everything, take the copy. */
void
job_replace_spec(struct job *job, struct job_spec *spec)
{
	if (job->next_spec != NULL) {
		job_spec_free(job->next_spec);
		job->next_spec = spec;
		return;
	}
	job_spec_free(job->spec);
	job->spec = spec;
	job->name = spec->name;
}

/*
 * A reload changed the definition: a running job is restarted with it,
 * one backing off starts with it now, any other takes it for its next
 * start.
 */
void
job_change_spec(struct job *job, struct job_spec *spec)
{
	job_spec_free(job->next_spec);
	job->next_spec = spec;
	switch (job->state) {
	case JOB_STARTING:
	case JOB_RUNNING:
		job_stop(job, AFTER_RESTART);
		break;
	case JOB_STOPPING:
		/* Taken when the run ends; after says what follows. */
		if (job->after == AFTER_POLICY)
			job->after = AFTER_RESTART;
		break;
	case JOB_BACKOFF:
		job_take_next_spec(job);
		job_stop(job, AFTER_RESTART);
		break;
	case JOB_STOPPED:
	case JOB_EXITED:
	case JOB_FATAL:
		job_take_next_spec(job);
		break;
	}
}

/* A reload dropped the job: stop it, then forget it. */
void
job_remove(struct job *job)
{
	job->removing = 1;
	cmd_forget_job(job);
	if (job_is_active(job)) {
		job_stop(job, AFTER_REMOVE);
		return;
	}
	job_free(job);
}

/* Is any process of the current run, or its group, still there? */
int
job_is_active(const struct job *job)
{
	return (job->state == JOB_STARTING || job->state == JOB_RUNNING ||
	    job->state == JOB_STOPPING);
}

/* The one place a job changes state. */
void
job_set_state(struct job *job, enum job_state state)
{
	enum job_state	 old = job->state;

	if (old == state)
		return;
	/* Only a run can be stopping, and only a stopped run can back off. */
	if ((state == JOB_STOPPING && !job_is_active(job)) ||
	    (state == JOB_RUNNING && old != JOB_STARTING))
		fatalx("%s: bad transition %s -> %s", job->name,
		    job_state_names[old], job_state_names[state]);
	job->state = state;
	log_debug("%s: %s -> %s", job->name, job_state_names[old],
	    job_state_names[state]);
	cmd_events_publish(job, old);
	state_changed();
	job_schedule();
	cmd_check_waiters();
	notify_status();
	corrald_check_shutdown();
}

static void
job_arm(struct event *ev, double seconds)
{
	struct timeval	 tv;

	if (seconds < 0)
		seconds = 0;
	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	evtimer_add(ev, &tv);
}

/* A timer kept across a re-execution, with the time it had left. */
void
job_arm_timer(struct job *job, struct event *ev, double seconds)
{
	(void)job;
	job_arm(ev, seconds);
}

/* Open the job's log files if they are not open yet. */
static int
job_open_logs(struct job *job, char **cause)
{
	const struct job_spec	*spec = job->spec;

	if (job->out == NULL && spec->stdout_target == STREAM_FILE) {
		job->out = logfile_open(job, "stdout", spec->stdout_path,
		    cause);
		if (job->out == NULL)
			return (-1);
	}
	if (job->err == NULL && spec->stderr_target == STREAM_FILE) {
		job->err = logfile_open(job, "stderr", spec->stderr_path,
		    cause);
		if (job->err == NULL)
			return (-1);
	}
	return (0);
}

/* Clear the previous run's processes and result. */
static void
job_reset_run(struct job *job)
{
	u_int	 i;

	for (i = 0; i < job->nprocs; i++) {
		if (job->procs[i].pidfd != -1)
			close(job->procs[i].pidfd);
	}
	free(job->procs);
	job->nprocs = job->spec->nstages;
	job->procs = xcalloc(job->nprocs, sizeof *job->procs);
	for (i = 0; i < job->nprocs; i++)
		job->procs[i].pidfd = -1;
	job->pgid = 0;
	job->group_live = 0;
	job->result_known = 0;
	job->result_status = 0;
	job->reached_running = 0;
	job->exec_done = 0;
	job->ready_received = 0;
	job->group_polls = 0;
	free(job->status_text);
	job->status_text = NULL;
	free(job->spawn_error);
	job->spawn_error = NULL;
}

/* The history slot of run number serial (1-based). */
static struct run_record *
job_record(struct job *job, uint64_t serial)
{
	return (&job->history[(serial - 1) % JOB_HISTORY]);
}

/* Start a new run now. */
static void
job_spawn(struct job *job)
{
	struct run_record	*rec;
	char			*cause = NULL;

	evtimer_del(job->ev_state);
	job_reset_run(job);
	job->after = AFTER_POLICY;
	job->run_serial++;
	if (job->run_serial > 1)
		job->restarts++;
	rec = job_record(job, job->run_serial);
	memset(rec, 0, sizeof *rec);
	rec->start = job_wallclock();
	clock_gettime(CLOCK_MONOTONIC, &job->started);

	/* Never two instances of a job, even one corrald lost track of. */
	if (state_stray_running(job->name, &cause) == -1)
		goto failed;
	if (job->spec->ready == READY_NOTIFY) {
		if (notify_job_open(job, &cause) == -1)
			goto failed;
	} else
		notify_job_close(job);
	if (job_open_logs(job, &cause) == -1 || spawn_run(job, &cause) == -1) {
failed:
		log_warnx("%s: %s", job->name, cause);
		rec->end = rec->start;
		rec->spawn_failed = 1;
		rec->status = W_EXITCODE(127, 0);	/* as a shell says */
		free(job->fatal_reason);
		job->fatal_reason = cause;
		job_set_state(job, JOB_FATAL);
		return;
	}
	log_info("%s: started, pid %ld", job->name, (long)job->pgid);
	job_close_stdio(job);
	free(job->fatal_reason);
	job->fatal_reason = NULL;
	job_set_state(job, JOB_STARTING);
	job_arm(job->ev_state, job->spec->start_seconds);
}

/*
 * STARTING becomes RUNNING once every process has exec'd and the job has
 * stayed up start_seconds.
 */
static void
job_check_started(struct job *job)
{
	double	 left;

	if (job->state != JOB_STARTING || !job->exec_done ||
	    job->spawn_error != NULL)
		return;
	/* A job that says when it is ready is RUNNING when it says so. */
	if (job->spec->ready == READY_NOTIFY) {
		if (!job->ready_received)
			return;
		goto running;
	}
	/*
	 * libevent measures timeouts from the time cached when the loop
	 * woke, so the timer may fire a little before start_seconds have
	 * passed by our clock: wait for the rest.
	 */
	left = job->spec->start_seconds - job_elapsed(job);
	if (left > 0) {
		job_arm(job->ev_state, left);
		return;
	}
running:
	job->reached_running = 1;
	job->failures = 0;
	job_set_state(job, JOB_RUNNING);
}

/* The job sent READY=1 on its notify socket. */
void
job_notify_ready(struct job *job)
{
	if (job->ready_received)
		return;
	job->ready_received = 1;
	log_info("%s: ready", job->name);
	job_check_started(job);
}

/* Is job listed in other's `after`? */
int
job_depends_on(const struct job *other, const struct job *job)
{
	u_int	 i;

	for (i = 0; i < other->spec->nafter; i++) {
		if (strcmp(other->spec->after[i], job->name) == 0)
			return (1);
	}
	return (0);
}

/* Are all the jobs job must start after RUNNING? */
static int
job_deps_running(const struct job *job)
{
	struct job	*dep;
	u_int		 i;

	for (i = 0; i < job->spec->nafter; i++) {
		dep = job_find(job->spec->after[i]);
		if (dep != NULL && dep->state != JOB_RUNNING)
			return (0);
	}
	return (1);
}

/*
 * Stop job once every job that starts after it and is being stopped too
 * has stopped: on shutdown and `stop all`, dependents go first.
 */
void
job_stop_ordered(struct job *job, enum job_after after)
{
	job->stop_queued = 1;
	job->queued_after = after;
	job->waiting_deps = 0;
	job_schedule();
}

/* After the current callback: act on `after` ordering. */
static void
job_schedule(void)
{
	if (cd->ev_schedule == NULL)
		cd->ev_schedule = event_new(cd->base, -1, 0, job_schedule_cb,
		    NULL);
	event_active(cd->ev_schedule, 0, 0);
}

/* Is a job that starts after job still up while being stopped? */
static int
job_dependents_stopping(const struct job *job)
{
	struct job	*other;

	TAILQ_FOREACH(other, &cd->jobs, entry) {
		if (other == job || !job_depends_on(other, job))
			continue;
		if (other->stop_queued || (other->state == JOB_STOPPING &&
		    other->after != AFTER_POLICY))
			return (1);
	}
	return (0);
}

static void
job_schedule_cb(int fd, short events, void *arg)
{
	struct job	*job, *next;
	int		 progress;

	(void)fd;
	(void)events;
	(void)arg;
	/*
	 * A queued job that was not running stops without a change of
	 * state, which would not bring us back here: go round until no
	 * queued job can be stopped.
	 */
	do {
		progress = 0;
		TAILQ_FOREACH_SAFE(job, &cd->jobs, entry, next) {
			if (job->stop_queued && !job_dependents_stopping(job)) {
				job->stop_queued = 0;
				job_stop(job, job->queued_after);
				progress = 1;
			}
		}
	} while (progress);
	TAILQ_FOREACH_SAFE(job, &cd->jobs, entry, next) {
		if (job->waiting_deps && job_deps_running(job)) {
			job->waiting_deps = 0;
			job->failures = 0;
			job_spawn(job);
		}
	}
}

/*
 * Spawn now, or, if the jobs it comes after are not RUNNING, once they
 * are (a start or restart asked for; not a restart by policy).
 */
static void
job_spawn_when_ready(struct job *job)
{
	job->failures = 0;
	if (!job_deps_running(job)) {
		evtimer_del(job->ev_state);
		if (job->state == JOB_BACKOFF)
			job_set_state(job, JOB_STOPPED);
		job->waiting_deps = 1;
		cmd_check_waiters();
		return;
	}
	job_spawn(job);
}

/* Start a job on request or at start-up. */
int
job_start(struct job *job, char **cause)
{
	(void)cause;
	job->stop_queued = 0;
	switch (job->state) {
	case JOB_STARTING:
	case JOB_RUNNING:
		return (0);
	case JOB_STOPPING:
		/* Start again once the stop is over. */
		if (job->after != AFTER_REMOVE)
			job->after = AFTER_RESTART;
		return (0);
	case JOB_STOPPED:
	case JOB_EXITED:
	case JOB_FATAL:
	case JOB_BACKOFF:
		job_spawn_when_ready(job);
		return (0);
	}
	return (0);
}

/* Send the stop signal as the job's spec says. */
static void
job_send_stop(struct job *job)
{
	int	 sig = job->spec->stop_signal;
	u_int	 i;

	if (job->spec->kill_group && job_group_has_members(job)) {
		if (killpg(job->pgid, sig) == -1 && errno != ESRCH)
			log_warn("%s: killpg %ld", job->name, (long)job->pgid);
		return;
	}
	for (i = 0; i < job->nprocs; i++) {
		if (job_proc_signal(&job->procs[i], sig) == -1 &&
		    errno != ESRCH)
			log_warn("%s: signal %s to pid %ld", job->name,
			    sig_name(sig), (long)job->procs[i].pid);
	}
}

/* Stop the job; `after` says what follows once its run has ended. */
void
job_stop(struct job *job, enum job_after after)
{
	if (after != AFTER_RESTART)
		job->waiting_deps = 0;
	switch (job->state) {
	case JOB_STARTING:
	case JOB_RUNNING:
		job->after = after;
		job_set_state(job, JOB_STOPPING);
		job_send_stop(job);
		job_arm(job->ev_state, job->spec->stop_timeout);
		job_check_run_end(job);
		break;
	case JOB_STOPPING:
		if (job->after != AFTER_REMOVE)
			job->after = after;
		if (!evtimer_pending(job->ev_state, NULL)) {
			/* It was cleaning up after its leader: stop in earnest. */
			job_arm(job->ev_state, job->spec->stop_timeout);
		}
		break;
	case JOB_BACKOFF:
		evtimer_del(job->ev_state);
		if (after == AFTER_RESTART)
			job_spawn_when_ready(job);
		else
			job_set_state(job, JOB_STOPPED);
		break;
	case JOB_STOPPED:
	case JOB_EXITED:
	case JOB_FATAL:
		if (after == AFTER_RESTART)
			job_spawn_when_ready(job);
		else if (after == AFTER_STOP)
			job_set_state(job, JOB_STOPPED);
		break;
	}
}

/* The leader of the current run, or -1 if it has ended. */
pid_t
job_leader_pid(const struct job *job)
{
	if (!job_is_active(job) || job->nprocs == 0 || job->procs[0].reaped ||
	    job->procs[0].pid <= 0)
		return (-1);
	return (job->procs[0].pid);
}

/*
 * Signal one process of a run: through its pidfd, so a reused pid is
 * never hit.  Without one (a kernel, or valgrind, that has no
 * pidfd_open) by pid, which is as safe here: the process is our child,
 * and a child's pid is not reused before we reap it.
 */
int
job_proc_signal(struct proc *proc, int sig)
{
	if (proc->reaped || proc->pid <= 1) {
		errno = ESRCH;
		return (-1);
	}
	if (proc->pidfd != -1)
		return (pidfd_send_signal(proc->pidfd, sig, NULL, 0));
	return (kill(proc->pid, sig));
}

/* Signal the leader. */
int
job_signal_leader(struct job *job, int sig, char **cause)
{
	if (job_leader_pid(job) == -1) {
		xasprintf(cause, "%s: not running", job->name);
		return (-1);
	}
	if (job_proc_signal(&job->procs[0], sig) == -1) {
		xasprintf(cause, "%s: signal %s: %s", job->name, sig_name(sig),
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Does the run's process group still have members?  While the leader is
 * unreaped its pid (the group's id) cannot be reused, so the group is
 * safely there; after that, once the kernel has said the group is empty,
 * it is never signalled again, as its id may be handed out anew.
 */
static int
job_group_has_members(struct job *job)
{
	if (!job->group_live || job->pgid <= 1 || job->pgid == getpgrp())
		return (0);
	if (job->nprocs > 0 && !job->procs[0].reaped)
		return (1);
	if (kill(-job->pgid, 0) == -1 && errno == ESRCH) {
		job->group_live = 0;
		return (0);
	}
	return (1);
}

/* killpg the run's group, if it has members. */
int
job_signal_group(struct job *job, int sig, char **cause)
{
	if (!job_is_active(job) || !job_group_has_members(job)) {
		xasprintf(cause, "%s: not running", job->name);
		return (-1);
	}
	if (killpg(job->pgid, sig) == -1) {
		xasprintf(cause, "%s: killpg %s: %s", job->name, sig_name(sig),
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* The leader has reported a pipeline stage's pid. */
void
job_stage_reported(struct job *job, u_int stage, pid_t pid)
{
	struct proc	*proc = &job->procs[stage];
	int		 status;

	if (pid <= 0 || proc->pid != 0)
		return;
	proc->pid = pid;
	if (reap_unclaimed_take(pid, &status)) {
		job_proc_reaped(job, proc, status);
		return;
	}
	/* Our child, not yet reaped: its pid cannot have been reused. */
	if ((proc->pidfd = pidfd_open(pid, 0)) == -1 && errno != ENOSYS)
		log_warn("%s: pidfd_open %ld", job->name, (long)pid);
}

/* Every process has exec'd or failed: the report pipe is closed. */
void
job_report_closed(struct job *job)
{
	u_int	 i;

	/* Stages the leader never got to create will never exist. */
	for (i = 1; i < job->nprocs; i++) {
		if (job->procs[i].pid == 0) {
			job->procs[i].reaped = 1;
			job->procs[i].status = W_EXITCODE(127, 0);
		}
	}
	job->exec_done = 1;
	if (job->spawn_error != NULL && job->state == JOB_STARTING) {
		/*
		 * One process could not be started: the run cannot be what
		 * the job asked for, so the others are stopped too and the
		 * job ends FATAL with the cause.
		 */
		job_set_state(job, JOB_STOPPING);
		job_send_stop(job);
		job_arm(job->ev_state, job->spec->stop_timeout);
	}
	job_check_started(job);
	job_check_run_end(job);
}

/* The run's result: the last stage's status, or with pipefail the
 * rightmost failing stage's (like a shell's pipefail). */
static int
job_compute_result(const struct job *job)
{
	u_int	 i;

	if (job->spec->pipefail) {
		for (i = job->nprocs; i > 0; i--) {
			if (job->procs[i - 1].status != 0)
				return (job->procs[i - 1].status);
		}
		return (0);
	}
	return (job->procs[job->nprocs - 1].status);
}

/* A process of the current run was reaped. */
void
job_proc_reaped(struct job *job, struct proc *proc, int status)
{
	char	 how[64];

	proc->reaped = 1;
	proc->status = status;
	if (proc->pidfd != -1) {
		close(proc->pidfd);
		proc->pidfd = -1;
	}
	job_result_string(status, how, sizeof how);
	log_info("%s: pid %ld ended: %s", job->name, (long)proc->pid, how);
	job_check_run_end(job);
}

/*
 * Has the run ended?  Once every process is reaped, a group that outlived
 * its leader is stopped (kill_group) and polled until it is empty.
 */
static void
job_check_run_end(struct job *job)
{
	u_int	 i;

	if (!job_is_active(job) || job->report_fd != -1)
		return;
	for (i = 0; i < job->nprocs; i++) {
		if (!job->procs[i].reaped)
			return;
	}
	if (!job->result_known) {
		job->result_status = job_compute_result(job);
		job->result_known = 1;
	}
	if (job->spec->kill_group || job->after == AFTER_REMOVE) {
		if (job_group_has_members(job)) {
			if (job->state != JOB_STOPPING) {
				log_info("%s: stopping what is left of "
				    "group %ld", job->name, (long)job->pgid);
				job_set_state(job, JOB_STOPPING);
				job_send_stop(job);
				job_arm(job->ev_state, job->spec->stop_timeout);
			}
			if (!evtimer_pending(job->ev_group, NULL))
				job_arm(job->ev_group, 0.005);
			return;
		}
	}
	job_run_ended(job);
}

/* The stop took too long, or a start/back-off delay is over. */
static void
job_state_timer_cb(int fd, short events, void *arg)
{
	struct job	*job = arg;
	u_int		 i;

	(void)fd;
	(void)events;
	switch (job->state) {
	case JOB_STARTING:
		job_check_started(job);
		break;
	case JOB_BACKOFF:
		job_spawn(job);
		break;
	case JOB_STOPPING:
		log_warnx("%s: still running after %g s, sending KILL",
		    job->name, job->spec->stop_timeout);
		if (job_group_has_members(job) &&
		    killpg(job->pgid, SIGKILL) == -1 && errno != ESRCH)
			log_warn("%s: killpg", job->name);
		/* Stages that left the group are killed one by one. */
		for (i = 0; i < job->nprocs; i++)
			(void)job_proc_signal(&job->procs[i], SIGKILL);
		break;
	default:
		break;
	}
}

/* Poll a group whose processes are not all our children. */
static void
job_group_timer_cb(int fd, short events, void *arg)
{
	struct job	*job = arg;
	u_int		 ms;

	(void)fd;
	(void)events;
	if (!job_group_has_members(job)) {
		job_check_run_end(job);
		return;
	}
	job->group_polls++;
	ms = 5U << (job->group_polls < 6 ? job->group_polls : 6);
	if (ms > JOB_GROUP_POLL_MAX_MS)
		ms = JOB_GROUP_POLL_MAX_MS;
	job_arm(job->ev_group, ms / 1000.0);
}

/* The run is over: record it, then follow the operator or the policy. */
static void
job_run_ended(struct job *job)
{
	const struct job_spec	*spec;
	struct run_record	*rec = job_record(job, job->run_serial);
	char			 how[64];
	int			 success;
	double			 wait;

	evtimer_del(job->ev_state);
	evtimer_del(job->ev_group);
	rec->end = job_wallclock();
	rec->status = job->result_status;
	rec->spawn_failed = (job->spawn_error != NULL);
	job_result_string(job->result_status, how, sizeof how);
	cmd_events_ended(job);
	job_take_next_spec(job);
	spec = job->spec;

	/* A `run` job runs once; its client is told, then it is forgotten. */
	if (job->transient) {
		if (job->spawn_error != NULL) {
			free(job->fatal_reason);
			job->fatal_reason = xstrdup(job->spawn_error);
		}
		job_set_state(job, job->spawn_error != NULL ? JOB_FATAL :
		    JOB_EXITED);
		if (job->run_orphaned)
			job_free(job);
		return;
	}

	switch (job->after) {
	case AFTER_STOP:
		job_set_state(job, JOB_STOPPED);
		return;
	case AFTER_REMOVE:
		job_set_state(job, JOB_STOPPED);
		if (job->removing)
			job_free(job);
		return;
	case AFTER_RESTART:
		job_spawn_when_ready(job);
		return;
	case AFTER_POLICY:
		break;
	}

	if (job->spawn_error != NULL) {
		free(job->fatal_reason);
		job->fatal_reason = xstrdup(job->spawn_error);
		job_set_state(job, JOB_FATAL);
		return;
	}
	success = job_status_is_success(spec, job->result_status);
	if (spec->restart == RESTART_NO ||
	    (spec->restart == RESTART_ON_FAILURE && success)) {
		job_set_state(job, JOB_EXITED);
		return;
	}
	if (!job->reached_running) {
		/* It did not stay up: a failed start. */
		job->failures++;
		if (job->failures > (u_int)spec->start_retries) {
			free(job->fatal_reason);
			xasprintf(&job->fatal_reason,
			    "exited too quickly: %s, %u time%s", how,
			    job->failures, job->failures == 1 ? "" : "s");
			log_warnx("%s: %s", job->name, job->fatal_reason);
			job_set_state(job, JOB_FATAL);
			return;
		}
		wait = job_backoff_delay(job->failures, spec->backoff_max);
	} else {
		job->failures = 0;
		wait = JOB_MIN_RESPAWN - job_elapsed(job);
	}
	if (wait <= 0) {
		job_spawn(job);
		return;
	}
	log_info("%s: %s, restarting in %.3g s", job->name, how, wait);
	job_set_state(job, JOB_BACKOFF);
	job_arm(job->ev_state, wait);
	clock_gettime(CLOCK_MONOTONIC, &job->retry_at);
	job->retry_at.tv_sec += (time_t)wait;
	job->retry_at.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
	if (job->retry_at.tv_nsec >= 1000000000L) {
		job->retry_at.tv_sec++;
		job->retry_at.tv_nsec -= 1000000000L;
	}
}

/* One run of the history as JSON. */
static json_t *
job_record_to_json(const struct run_record *rec)
{
	char	 how[64];
	json_t	*obj;

	obj = json_pack("{s:f}", "start", rec->start);
	if (rec->end != 0) {
		json_object_set_new(obj, "end", json_real(rec->end));
		if (rec->spawn_failed)
			snprintf(how, sizeof how, "spawn failed");
		else
			job_result_string(rec->status, how, sizeof how);
		json_object_set_new(obj, "result", json_string(how));
		if (!rec->spawn_failed && WIFEXITED(rec->status))
			json_object_set_new(obj, "exit_code",
			    json_integer(WEXITSTATUS(rec->status)));
		if (!rec->spawn_failed && WIFSIGNALED(rec->status))
			json_object_set_new(obj, "signal",
			    json_integer(WTERMSIG(rec->status)));
	}
	return (obj);
}

/* The job as `status` shows it. */
json_t *
job_to_json(const struct job *job)
{
	const struct run_record	*rec;
	json_t			*obj, *history, *stages, *stage;
	char			 how[64];
	pid_t			 leader = job_leader_pid(job);
	uint64_t		 serial, first;
	struct timespec		 now;
	u_int			 i;

	obj = json_pack("{s:s,s:s,s:I}", "name", job->name,
	    "state", job_state_names[job->state],
	    "restarts", (json_int_t)job->restarts);
	json_object_set_new(obj, "pid",
	    leader > 0 ? json_integer(leader) : json_null());
	if (job_is_active(job)) {
		json_object_set_new(obj, "pgid", json_integer(job->pgid));
		json_object_set_new(obj, "uptime",
		    json_real(job_elapsed(job)));
	}
	if (job->run_serial > 0 && !job_is_active(job)) {
		rec = job_record((struct job *)job, job->run_serial);
		json_object_set_new(obj, "last", job_record_to_json(rec));
	}
	if (job->waiting_deps) {
		json_t	*deps = json_array();

		for (i = 0; i < job->spec->nafter; i++) {
			struct job *dep = job_find(job->spec->after[i]);

			if (dep != NULL && dep->state != JOB_RUNNING)
				json_array_append_new(deps,
				    json_string(dep->name));
		}
		json_object_set_new(obj, "waiting_for", deps);
	}
	if (job->status_text != NULL)
		json_object_set_new(obj, "status_text",
		    json_string(job->status_text));
	if (job->fatal_reason != NULL && job->state == JOB_FATAL)
		json_object_set_new(obj, "error",
		    json_string(job->fatal_reason));
	if (job->out != NULL && job->out->error != NULL)
		json_object_set_new(obj, "log_error",
		    json_string(job->out->error));
	else if (job->err != NULL && job->err->error != NULL)
		json_object_set_new(obj, "log_error",
		    json_string(job->err->error));
	if (job->state == JOB_BACKOFF) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		json_object_set_new(obj, "retry_in", json_real(
		    (double)(job->retry_at.tv_sec - now.tv_sec) +
		    (double)(job->retry_at.tv_nsec - now.tv_nsec) / 1e9));
	}
	if (job->spec->nstages > 1 && job->nprocs > 0) {
		stages = json_array();
		for (i = 0; i < job->nprocs; i++) {
			stage = json_pack("{s:I}", "pid",
			    (json_int_t)job->procs[i].pid);
			if (job->procs[i].reaped) {
				job_result_string(job->procs[i].status, how,
				    sizeof how);
				json_object_set_new(stage, "result",
				    json_string(how));
			}
			json_array_append_new(stages, stage);
		}
		json_object_set_new(obj, "stages", stages);
	}
	history = json_array();
	first = job->run_serial > JOB_HISTORY ?
	    job->run_serial - JOB_HISTORY + 1 : 1;
	for (serial = first; serial <= job->run_serial; serial++) {
		rec = job_record((struct job *)job, serial);
		json_array_append_new(history, job_record_to_json(rec));
	}
	json_object_set_new(obj, "history", history);
	return (obj);
}
