/*
 * test-signals.c -- signals and the ends of runs, as seen by the job:
 * terminate, kill and signal reach the leader only, killpg the whole
 * session; how a run ended, as `wait` and `status` report it, and the
 * restart that follows; the group left behind by a leader, killed with
 * kill_group and reaped by corrald (a child subreaper) without it; start,
 * restart and stop, with stop's escalation to SIGKILL; and shutdown, by
 * SIGTERM, SIGINT or corralctl, leaving no job process behind, answering
 * whoever waits, and telling systemd.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "xmalloc.h"

static int		 session_has_pred(void *);
static void		 assert_session_has(pid_t, const char *, u_int);
static u_int		 session_children(pid_t, pid_t *, u_int);
static pid_t		 read_pid_file(struct harness *, const char *);
static struct harness	*shutdown_setup(pid_t *);
static void		 assert_sessions_gone(const pid_t *);

/* Does session sid hold n live processes running comm (and others)? */
struct session_cond {
	pid_t		 sid;
	const char	*comm;
	u_int		 n;
};

static int
session_has_pred(void *arg)
{
	struct session_cond	*sc = arg;
	struct proc_stat	 st;
	pid_t			 pids[64];
	u_int			 n, i, found = 0;

	n = proc_list_session(sc->sid, pids, 64);
	for (i = 0; i < n && i < 64; i++) {
		if (proc_read_stat(pids[i], &st) == 0 && st.state != 'Z' &&
		    strcmp(st.comm, sc->comm) == 0)
			found++;
	}
	return (found >= sc->n);
}

/* Wait until session sid holds n processes running comm. */
static void
assert_session_has(pid_t sid, const char *comm, u_int n)
{
	struct session_cond	 sc = { sid, comm, n };

	ck_assert_msg(wait_until(session_has_pred, &sc, HARNESS_WAIT),
	    "session %ld never held %u %s processes", (long)sid, n, comm);
}

/* The members of session sid other than its leader. */
static u_int
session_children(pid_t sid, pid_t *out, u_int max)
{
	pid_t	 pids[64];
	u_int	 n, i, k = 0;

	n = proc_list_session(sid, pids, 64);
	for (i = 0; i < n && i < 64; i++) {
		if (pids[i] != sid && k < max)
			out[k++] = pids[i];
	}
	return (k);
}

/* A pid written by the job into a file of the test directory. */
static pid_t
read_pid_file(struct harness *h, const char *name)
{
	char	*path, *text;
	pid_t	 pid;

	path = harness_path(h, name);
	ck_assert_msg(wait_file_contains(path, "\n", HARNESS_WAIT),
	    "%s was never written", name);
	text = file_read(path, NULL);
	pid = (pid_t)atol(text);
	free(text);
	free(path);
	ck_assert_int_gt(pid, 1);
	return (pid);
}

/*
 * terminate (and signal) reach the leader only.  The leader traps TERM and
 * USR1 and carries on; its two children keep the default actions, so had
 * either been sent the signal it would be dead or have it pending.
 */
START_TEST(test_terminate_leader_only)
{
	struct harness	*h;
	char		*path;
	pid_t		 pid, kids[8];
	u_int		 nkids, i;

	h = harness_new("jobs = ( { name = \"trapper\"; start_seconds = 0;\n"
	    "  shell = \"trap 'echo got TERM' TERM; trap 'echo got USR1' USR1;"
	    " sleep 1000 & sleep 1000 & echo ready;"
	    " while :; do wait; done\"; } );\n");
	assert_state(h, "trapper", "RUNNING", HARNESS_WAIT);
	pid = job_pid(h, "trapper");
	ck_assert_int_gt(pid, 1);
	path = harness_path(h, "log/trapper.out");
	assert_file_text(path, "ready\n");
	assert_session_has(pid, "sleep", 2);
	nkids = session_children(pid, kids, 8);
	ck_assert_uint_eq(nkids, 2);

	ck_assert_int_eq(ctl_run(h, NULL, NULL, "terminate", "trapper", NULL),
	    0);
	assert_file_text(path, "ready\ngot TERM\n");
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "signal", "USR1", "trapper",
	    NULL), 0);
	assert_file_text(path, "ready\ngot TERM\ngot USR1\n");
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "signal", "SIGTERM",
	    "trapper", NULL), 0);
	assert_file_text(path, "ready\ngot TERM\ngot USR1\ngot TERM\n");
	free(path);

	ck_assert(proc_alive(pid));
	for (i = 0; i < nkids; i++) {
		ck_assert_msg(proc_alive(kids[i]),
		    "child %ld of the leader died", (long)kids[i]);
		ck_assert_msg(proc_signal_pending(kids[i], SIGTERM) == 0,
		    "child %ld of the leader was sent TERM", (long)kids[i]);
		ck_assert_msg(proc_signal_pending(kids[i], SIGUSR1) == 0,
		    "child %ld of the leader was sent USR1", (long)kids[i]);
	}
	assert_state(h, "trapper", "RUNNING", 0);
	ck_assert_uint_eq(proc_count_session(pid), 3);
	harness_free(h);
}
END_TEST

/* killpg reaches every member of the session: none is left. */
START_TEST(test_killpg_whole_session)
{
	struct harness	*h;
	char		*out = NULL;
	pid_t		 pid;

	/* Without kill_group, only killpg itself can empty the group. */
	h = harness_new("jobs = ( { name = \"grp\"; start_seconds = 0;"
	    " restart = \"no\"; kill_group = false;\n"
	    "  shell = \"sleep 1000 & sleep 1000 & wait\"; } );\n");
	assert_state(h, "grp", "RUNNING", HARNESS_WAIT);
	pid = job_pid(h, "grp");
	ck_assert_int_gt(pid, 1);
	assert_session_has(pid, "sleep", 2);
	ck_assert_uint_eq(proc_count_session(pid), 3);

	ck_assert_int_eq(ctl_run(h, NULL, NULL, "killpg", "TERM", "grp",
	    NULL), 0);
	ck_assert_msg(wait_session_empty(pid, HARNESS_WAIT),
	    "session %ld still has %u members after killpg TERM", (long)pid,
	    proc_count_session(pid));
	assert_state(h, "grp", "EXITED", HARNESS_WAIT);
	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", "grp", NULL),
	    128 + SIGTERM);
	ck_assert_str_eq(out, "signal 15 (TERM)\n");
	free(out);
	harness_free(h);
}
END_TEST

/* kill: SIGKILL to the leader; wait exits 137, status says how. */
START_TEST(test_kill_then_wait)
{
	struct harness	*h;
	struct bg_proc	 waiter;
	char		*out = NULL, *err = NULL;
	json_t		*obj, *last;
	pid_t		 pid;
	int		 rc;

	h = harness_new("jobs = ( { name = \"victim\"; start_seconds = 0;"
	    " restart = \"no\";\n"
	    "  command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "victim", "RUNNING", HARNESS_WAIT);
	pid = job_pid(h, "victim");
	ck_assert_int_gt(pid, 1);

	/* A wait started while the job runs blocks until it ends. */
	ctl_start(h, &waiter, "wait", "victim", NULL);
	ck_assert_msg(bg_running(&waiter), "wait returned while running");
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "kill", "victim", NULL), 0);
	rc = bg_finish(&waiter, HARNESS_WAIT, &out, &err);
	ck_assert_msg(rc == 137, "wait: %d [%s] [%s]", rc, out, err);
	ck_assert_str_eq(out, "signal 9 (KILL)\n");
	free(out);
	free(err);

	assert_state(h, "victim", "EXITED", HARNESS_WAIT);
	ck_assert(wait_proc_gone(pid, HARNESS_WAIT));
	/* A wait after the end answers with the last run. */
	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", "victim", NULL), 137);
	ck_assert_str_eq(out, "signal 9 (KILL)\n");
	free(out);
	ck_assert_int_eq(ctl_run(h, &out, NULL, "status", "victim", NULL), 0);
	ck_assert_msg(contains(out, "signal 9 (KILL)"), "status: [%s]", out);
	ck_assert_msg(contains(out, "EXITED"), "status: [%s]", out);
	free(out);
	obj = job_status(h, "victim");
	ck_assert_ptr_nonnull(obj);
	last = json_object_get(obj, "last");
	ck_assert_str_eq(json_string_value(json_object_get(last, "result")),
	    "signal 9 (KILL)");
	ck_assert_int_eq(json_integer_value(json_object_get(last, "signal")),
	    9);
	ck_assert(json_is_null(json_object_get(obj, "pid")));
	json_decref(obj);
	harness_free(h);
}
END_TEST

/* A job's exit code is wait's exit code. */
START_TEST(test_exit_code)
{
	struct harness	*h;
	struct bg_proc	 waiter;
	char		*out = NULL, *err = NULL, *path;
	int		 rc;

	h = harness_new("jobs = (\n"
	    "  { name = \"three\"; restart = \"no\";"
	    " command = [\"sh\", \"-c\", \"exit 3\"]; },\n"
	    "  { name = \"later\"; restart = \"no\"; start_seconds = 0;\n"
	    "    shell = \"while [ ! -e go ]; do sleep 0.01; done;"
	    " exit 42\"; }\n"
	    ");\n");
	assert_state(h, "three", "EXITED", HARNESS_WAIT);
	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", "three", NULL), 3);
	ck_assert_str_eq(out, "exit 3\n");
	free(out);
	ck_assert_int_eq(ctl_run(h, &out, NULL, "status", "three", NULL), 0);
	ck_assert_msg(contains(out, "exit 3"), "status: [%s]", out);
	free(out);

	assert_state(h, "later", "RUNNING", HARNESS_WAIT);
	ctl_start(h, &waiter, "wait", "later", NULL);
	path = harness_path(h, "go");
	file_write(path, "");
	free(path);
	rc = bg_finish(&waiter, HARNESS_WAIT, &out, &err);
	ck_assert_msg(rc == 42, "wait: %d [%s] [%s]", rc, out, err);
	ck_assert_str_eq(out, "exit 42\n");
	free(out);
	free(err);
	harness_free(h);
}
END_TEST

/*
 * With kill_group (the default), a child the leader left in its group is
 * killed, and reaped, before the job is reported EXITED.
 */
START_TEST(test_kill_group_cleans_up)
{
	struct harness		*h;
	struct proc_stat	 st;
	char			*out = NULL;
	pid_t			 leader, child;

	h = harness_new("jobs = ( { name = \"leaver\"; restart = \"no\";\n"
	    "  shell = \"sleep 1000 & echo $! > child.pid; echo $$ > "
	    "leader.pid; exit 0\"; } );\n");
	assert_state(h, "leaver", "EXITED", HARNESS_WAIT);
	child = read_pid_file(h, "child.pid");
	leader = read_pid_file(h, "leader.pid");
	harness_track(h, leader);
	ck_assert_msg(!proc_alive(child), "the leader's child %ld survived "
	    "it: state %c", (long)child, proc_read_stat(child, &st) == 0 ?
	    st.state : '?');
	ck_assert_msg(wait_proc_gone(child, HARNESS_WAIT),
	    "the leader's child %ld was never reaped", (long)child);
	ck_assert_uint_eq(proc_count_session(leader), 0);
	/* The run's result is the leader's. */
	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", "leaver", NULL), 0);
	ck_assert_str_eq(out, "exit 0\n");
	free(out);
	harness_free(h);
}
END_TEST

/*
 * Without kill_group the child outlives the leader, comes back to corrald
 * (a child subreaper), and is reaped by it when it ends: no zombie.
 */
START_TEST(test_no_kill_group_orphan_reaped)
{
	struct harness		*h;
	struct proc_stat	 st;
	pid_t			 leader, child;

	h = harness_new("jobs = ( { name = \"leaver\"; restart = \"no\";"
	    " kill_group = false;\n"
	    "  shell = \"sleep 1000 & echo $! > child.pid; echo $$ > "
	    "leader.pid; exit 0\"; } );\n");
	assert_state(h, "leaver", "EXITED", HARNESS_WAIT);
	child = read_pid_file(h, "child.pid");
	leader = read_pid_file(h, "leader.pid");
	harness_track(h, leader);
	ck_assert(wait_proc_gone(leader, HARNESS_WAIT));

	ck_assert_msg(proc_alive(child), "the child did not outlive the "
	    "leader with kill_group = false");
	ck_assert_int_eq(proc_read_stat(child, &st), 0);
	ck_assert_str_eq(st.comm, "sleep");
	ck_assert_int_eq(st.session, leader);
	ck_assert_int_eq(st.pgrp, leader);
	ck_assert_msg(st.ppid == h->daemon_pid, "orphan's parent is %ld, not "
	    "corrald %ld", (long)st.ppid, (long)h->daemon_pid);
	assert_state(h, "leaver", "EXITED", 0);

	ck_assert_int_eq(kill(child, SIGKILL), 0);
	ck_assert_msg(wait_proc_gone(child, HARNESS_WAIT),
	    "orphan %ld not reaped: state %c", (long)child,
	    proc_read_stat(child, &st) == 0 ? st.state : '?');
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", NULL), 0);
	harness_free(h);
}
END_TEST

/*
 * With kill_group, a child left behind that ignores TERM is killed with
 * SIGKILL after stop_timeout, and only then is the job EXITED.
 */
START_TEST(test_kill_group_escalates)
{
	struct harness	*h;
	char		*out = NULL;
	pid_t		 leader, child;
	double		 t0, took;

	h = harness_new("jobs = ( { name = \"leaver\"; restart = \"no\";"
	    " stop_timeout = 0.5; autostart = false;\n"
	    "  shell = \"trap '' TERM; sleep 1000 & echo $! > child.pid;"
	    " echo $$ > leader.pid; exit 0\"; } );\n");
	t0 = now_mono();
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "start", "leaver", NULL), 0);
	child = read_pid_file(h, "child.pid");
	leader = read_pid_file(h, "leader.pid");
	harness_track(h, leader);
	assert_state(h, "leaver", "EXITED", HARNESS_WAIT);
	took = now_mono() - t0;
	ck_assert_msg(!proc_alive(child), "the child that ignores TERM "
	    "survived");
	ck_assert_msg(took >= 0.45, "EXITED after %.3f s, before the "
	    "stop_timeout of the left-over group", took);
	ck_assert(wait_proc_gone(child, HARNESS_WAIT));
	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", "leaver", NULL), 0);
	ck_assert_str_eq(out, "exit 0\n");
	free(out);
	harness_free(h);
}
END_TEST

/*
 * A job killed from outside is restarted by the default policy
 * (on-failure): a new leader in a new session, one restart counted.
 */
START_TEST(test_restart_after_kill)
{
	struct harness	*h;
	json_t		*obj;
	pid_t		 first, second;

	h = harness_new("jobs = ( { name = \"phoenix\"; start_seconds = 0;\n"
	    "  command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "phoenix", "RUNNING", HARNESS_WAIT);
	first = job_pid(h, "phoenix");
	ck_assert_int_gt(first, 1);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "kill", "phoenix", NULL), 0);
	ck_assert(wait_proc_gone(first, HARNESS_WAIT));
	second = -1;
	{
		double	 deadline = now_mono() + HARNESS_WAIT;

		while (now_mono() < deadline) {
			second = job_pid(h, "phoenix");
			if (second > 1 && second != first)
				break;
			pause_ms(10);
		}
	}
	ck_assert_msg(second > 1 && second != first, "not restarted");
	assert_state(h, "phoenix", "RUNNING", HARNESS_WAIT);
	obj = job_status(h, "phoenix");
	ck_assert_ptr_nonnull(obj);
	ck_assert_int_eq(json_integer_value(json_object_get(obj, "restarts")),
	    1);
	ck_assert_uint_eq(json_array_size(json_object_get(obj, "history")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(obj, "history"), 0), "result")), "signal 9 (KILL)");
	json_decref(obj);
	harness_free(h);
}
END_TEST

/* wait answers for the run it waited on, though the job restarts. */
START_TEST(test_wait_across_restart)
{
	struct harness	*h;
	struct bg_proc	 waiter;
	char		*path, *out = NULL, *err = NULL;
	int		 rc;

	h = harness_new("jobs = ( { name = \"cycle\"; start_seconds = 0;"
	    " restart = \"always\";\n"
	    "  shell = \"while [ ! -e go ]; do sleep 0.01; done; rm go;"
	    " exit 7\"; } );\n");
	assert_state(h, "cycle", "RUNNING", HARNESS_WAIT);
	ctl_start(h, &waiter, "wait", "cycle", NULL);
	path = harness_path(h, "go");
	file_write(path, "");
	free(path);
	rc = bg_finish(&waiter, HARNESS_WAIT, &out, &err);
	ck_assert_msg(rc == 7, "wait: %d [%s] [%s]", rc, out, err);
	ck_assert_str_eq(out, "exit 7\n");
	free(out);
	free(err);
	harness_free(h);
}
END_TEST

/*
 * While a job's leftover group is being stopped (its leader has ended),
 * the job has no leader to signal or report, but killpg still reaches the
 * group, and ends the run as soon as the group is empty.
 */
START_TEST(test_killpg_after_leader_ended)
{
	struct harness	*h;
	char		*out = NULL;
	json_t		*obj;
	pid_t		 leader, child;
	double		 t0;

	h = harness_new("jobs = ( { name = \"leaver\"; restart = \"no\";"
	    " stop_timeout = 20;\n"
	    "  shell = \"trap '' TERM; sleep 1000 & echo $! > child.pid;"
	    " echo $$ > leader.pid; exit 0\"; } );\n");
	child = read_pid_file(h, "child.pid");
	leader = read_pid_file(h, "leader.pid");
	harness_track(h, leader);
	ck_assert(wait_proc_gone(leader, HARNESS_WAIT));
	assert_state(h, "leaver", "STOPPING", HARNESS_WAIT);
	ck_assert(proc_alive(child));

	obj = job_status(h, "leaver");
	ck_assert_ptr_nonnull(obj);
	ck_assert(json_is_null(json_object_get(obj, "pid")));
	json_decref(obj);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "pid", "leaver", NULL), 1);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "terminate", "leaver", NULL),
	    1);

	t0 = now_mono();
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "killpg", "KILL", "leaver",
	    NULL), 0);
	ck_assert(wait_proc_gone(child, HARNESS_WAIT));
	assert_state(h, "leaver", "EXITED", HARNESS_WAIT);
	ck_assert_msg(now_mono() - t0 < 10.0, "the run ended by stop_timeout,"
	    " not when its group was empty");
	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", "leaver", NULL), 0);
	ck_assert_str_eq(out, "exit 0\n");
	free(out);
	harness_free(h);
}
END_TEST

/*
 * Without kill_group a stop goes to every process of the run through its
 * pidfd: each pipeline stage gets it, not only the leader.
 */
START_TEST(test_stop_pipeline_without_kill_group)
{
	struct harness	*h;
	pid_t		 stages[4];
	double		 t0;
	int		 rc;

	h = harness_new("jobs = ( { name = \"pipe\"; start_seconds = 0;"
	    " kill_group = false; stop_timeout = 20;\n"
	    "  pipeline = ([\"sleep\", \"1000\"], [\"sleep\", \"1000\"]);"
	    " } );\n");
	assert_state(h, "pipe", "RUNNING", HARNESS_WAIT);
	ck_assert_uint_eq(job_stage_pids(h, "pipe", stages, 4), 2);
	harness_track(h, stages[0]);
	t0 = now_mono();
	rc = ctl_run(h, NULL, NULL, "stop", "pipe", NULL);
	ck_assert_msg(rc == 0, "stop: %d after %.3f s", rc, now_mono() - t0);
	ck_assert_msg(now_mono() - t0 < 5.0, "stop took %.3f s: a stage was "
	    "left to stop_timeout", now_mono() - t0);
	ck_assert(wait_proc_gone(stages[0], HARNESS_WAIT));
	ck_assert(wait_proc_gone(stages[1], HARNESS_WAIT));
	assert_state(h, "pipe", "STOPPED", 0);
	harness_free(h);
}
END_TEST

/* stop: stop_signal, then SIGKILL to the group after stop_timeout. */
START_TEST(test_stop_escalates)
{
	struct harness	*h;
	char		*path, *err = NULL;
	json_t		*obj, *last;
	double		 t0, took;
	pid_t		 pid;
	int		 rc;

	h = harness_new("jobs = ( { name = \"stubborn\"; start_seconds = 0;"
	    " stop_timeout = 0.5;\n"
	    "  shell = \"trap '' TERM; echo ready; while :; do sleep 1; done\";"
	    " } );\n");
	assert_state(h, "stubborn", "RUNNING", HARNESS_WAIT);
	pid = job_pid(h, "stubborn");
	ck_assert_int_gt(pid, 1);
	path = harness_path(h, "log/stubborn.out");
	assert_file_text(path, "ready\n");
	free(path);
	assert_session_has(pid, "sleep", 1);

	t0 = now_mono();
	rc = ctl_run(h, NULL, &err, "stop", "stubborn", NULL);
	took = now_mono() - t0;
	ck_assert_msg(rc == 0, "stop: %d [%s]", rc, err);
	free(err);
	ck_assert_msg(took >= 0.45, "stop returned after %.3f s, before "
	    "stop_timeout", took);
	ck_assert_msg(took < 5.0, "stop took %.3f s", took);
	assert_state(h, "stubborn", "STOPPED", 0);
	ck_assert_msg(wait_session_empty(pid, HARNESS_WAIT),
	    "session %ld not empty after stop", (long)pid);

	obj = job_status(h, "stubborn");
	ck_assert_ptr_nonnull(obj);
	last = json_object_get(obj, "last");
	ck_assert_str_eq(json_string_value(json_object_get(last, "result")),
	    "signal 9 (KILL)");
	json_decref(obj);
	harness_free(h);
}
END_TEST

/* Jobs of every kind, for the shutdown tests. */
static const char *shutdown_config =
    "jobs = (\n"
    "  { name = \"plain\"; start_seconds = 0;"
    " command = [\"sleep\", \"1000\"]; },\n"
    "  { name = \"pipe\"; start_seconds = 0;\n"
    "    pipeline = ([\"sleep\", \"1000\"], [\"cat\"], [\"cat\"]); },\n"
    "  { name = \"family\"; start_seconds = 0;\n"
    "    shell = \"sleep 1000 & sleep 1000 & echo ready; wait\"; },\n"
    "  { name = \"stubborn\"; start_seconds = 0; stop_timeout = 0.5;\n"
    "    shell = \"trap '' TERM; echo ready; while :; do sleep 1; done\"; },\n"
    "  { name = \"loose\"; start_seconds = 0; stop_timeout = 0.5;"
    " kill_group = false;\n"
    "    shell = \"sleep 1000 & echo ready; wait\"; }\n"
    ");\n";

static const char *shutdown_jobs[] = {
	"plain", "pipe", "family", "stubborn", "loose"
};
#define SHUTDOWN_NJOBS	5

/* Start the shutdown config; fill the jobs' sessions. */
static struct harness *
shutdown_setup(pid_t *sessions)
{
	struct harness	*h;
	char		*path, *name;
	u_int		 i;

	h = harness_new(shutdown_config);
	for (i = 0; i < SHUTDOWN_NJOBS; i++) {
		assert_state(h, shutdown_jobs[i], "RUNNING", HARNESS_WAIT);
		sessions[i] = job_pid(h, shutdown_jobs[i]);
		ck_assert_int_gt(sessions[i], 1);
	}
	for (i = 2; i < SHUTDOWN_NJOBS; i++) {
		xasprintf(&name, "log/%s.out", shutdown_jobs[i]);
		path = harness_path(h, name);
		assert_file_text(path, "ready\n");
		free(path);
		free(name);
	}
	assert_session_has(sessions[1], "cat", 2);
	assert_session_has(sessions[2], "sleep", 2);
	assert_session_has(sessions[3], "sleep", 1);
	assert_session_has(sessions[4], "sleep", 1);
	return (h);
}

/* Nothing of any job is alive; and soon, nothing at all. */
static void
assert_sessions_gone(const pid_t *sessions)
{
	u_int	 i;

	for (i = 0; i < SHUTDOWN_NJOBS; i++) {
		ck_assert_msg(proc_count_alive_session(sessions[i]) == 0,
		    "%s: %u processes of session %ld outlived corrald",
		    shutdown_jobs[i], proc_count_alive_session(sessions[i]),
		    (long)sessions[i]);
		ck_assert_msg(wait_session_empty(sessions[i], HARNESS_WAIT),
		    "%s: session %ld never emptied", shutdown_jobs[i],
		    (long)sessions[i]);
	}
}

/* SIGTERM: every job stopped, then corrald exits 0. */
START_TEST(test_shutdown_sigterm)
{
	struct harness	*h;
	pid_t		 sessions[SHUTDOWN_NJOBS];
	int		 rc;

	h = shutdown_setup(sessions);
	ck_assert_int_eq(kill(h->daemon_pid, SIGTERM), 0);
	rc = harness_daemon_wait_exit(h, HARNESS_WAIT);
	ck_assert_msg(rc == 0, "corrald exited %d after SIGTERM", rc);
	assert_sessions_gone(sessions);
	ck_assert_msg(!file_exists(h->socket), "socket left behind");
	harness_free(h);
}
END_TEST

/* SIGINT does the same. */
START_TEST(test_shutdown_sigint)
{
	struct harness	*h;
	pid_t		 pid;
	int		 rc;

	h = harness_new("jobs = ( { name = \"plain\"; start_seconds = 0;"
	    " shell = \"sleep 1000 & wait\"; } );\n");
	assert_state(h, "plain", "RUNNING", HARNESS_WAIT);
	pid = job_pid(h, "plain");
	ck_assert_int_eq(kill(h->daemon_pid, SIGINT), 0);
	rc = harness_daemon_wait_exit(h, HARNESS_WAIT);
	ck_assert_msg(rc == 0, "corrald exited %d after SIGINT", rc);
	ck_assert_uint_eq(proc_count_alive_session(pid), 0);
	harness_free(h);
}
END_TEST

/*
 * corralctl shutdown returns once every job has stopped; corrald exits 0.
 */
START_TEST(test_shutdown_ctl)
{
	struct harness	*h;
	pid_t		 sessions[SHUTDOWN_NJOBS];
	char		*out = NULL, *err = NULL;
	u_int		 i;
	int		 rc;

	h = shutdown_setup(sessions);
	rc = ctl_run(h, &out, &err, "shutdown", NULL);
	ck_assert_msg(rc == 0, "shutdown: %d [%s] [%s]", rc, out, err);
	free(out);
	free(err);
	/* Stopped by the time the answer came. */
	for (i = 0; i < SHUTDOWN_NJOBS; i++)
		ck_assert_msg(proc_count_alive_session(sessions[i]) == 0,
		    "%s: still running when shutdown returned",
		    shutdown_jobs[i]);
	rc = harness_daemon_wait_exit(h, HARNESS_WAIT);
	ck_assert_msg(rc == 0, "corrald exited %d after shutdown", rc);
	assert_sessions_gone(sessions);
	harness_free(h);
}
END_TEST

/*
 * A client waiting on a job when shutdown comes gets its answer (the job
 * ended by the stop signal) before corrald exits.
 */
START_TEST(test_shutdown_answers_waiter)
{
	struct harness	*h;
	json_t		*obj;
	int		 fd, rc;

	h = harness_new("jobs = ( { name = \"plain\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "plain", "RUNNING", HARNESS_WAIT);
	fd = raw_connect(h);
	raw_send_str(fd, "{\"v\":1,\"cmd\":\"wait\",\"jobs\":[\"plain\"]}\n");
	/* Served after the wait request, which was sent before it. */
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", NULL), 0);
	rc = ctl_run(h, NULL, NULL, "shutdown", NULL);
	ck_assert_int_eq(rc, 0);
	obj = raw_recv(fd);
	ck_assert_msg(json_is_true(json_object_get(obj, "ok")),
	    "wait answered: %s", json_string_value(json_object_get(obj,
	    "message")));
	ck_assert_str_eq(json_string_value(json_object_get(obj, "result")),
	    "signal 15 (TERM)");
	json_decref(obj);
	close(fd);
	ck_assert_int_eq(harness_daemon_wait_exit(h, HARNESS_WAIT), 0);
	harness_free(h);
}
END_TEST

/* start, restart and stop, each answered once the state is reached. */
START_TEST(test_start_stop_restart)
{
	struct harness	*h;
	char		*out = NULL, *err = NULL;
	json_t		*obj;
	pid_t		 first, second;
	int		 rc;

	h = harness_new("jobs = (\n"
	    "  { name = \"web\"; autostart = false; start_seconds = 0.2;\n"
	    "    command = [\"sleep\", \"1000\"]; },\n"
	    "  { name = \"once\"; autostart = false; restart = \"no\";\n"
	    "    command = [\"sh\", \"-c\", \"exit 3\"]; }\n"
	    ");\n");
	assert_state(h, "web", "STOPPED", 0);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "start", "web", NULL), 0);
	/* Answered once RUNNING, not before. */
	assert_state(h, "web", "RUNNING", 0);
	first = job_pid(h, "web");
	ck_assert_int_gt(first, 1);

	ck_assert_int_eq(ctl_run(h, NULL, NULL, "restart", "web", NULL), 0);
	assert_state(h, "web", "RUNNING", 0);
	second = job_pid(h, "web");
	ck_assert_int_gt(second, 1);
	ck_assert_int_ne(second, first);
	ck_assert(wait_proc_gone(first, HARNESS_WAIT));

	ck_assert_int_eq(ctl_run(h, NULL, NULL, "stop", "web", NULL), 0);
	assert_state(h, "web", "STOPPED", 0);
	ck_assert(wait_proc_gone(second, HARNESS_WAIT));
	obj = job_status(h, "web");
	ck_assert_ptr_nonnull(obj);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(obj,
	    "last"), "result")), "signal 15 (TERM)");
	ck_assert_int_eq(json_integer_value(json_object_get(obj, "restarts")),
	    1);
	json_decref(obj);
	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", "web", NULL),
	    128 + SIGTERM);
	free(out);

	/* A start that ends in a failed exit is a failure, saying so. */
	rc = ctl_run(h, &out, &err, "start", "once", NULL);
	ck_assert_msg(rc == 1, "start once: %d [%s] [%s]", rc, out, err);
	ck_assert_msg(contains(err, "exit 3"), "start once: [%s]", err);
	free(out);
	free(err);
	assert_state(h, "once", "EXITED", 0);
	harness_free(h);
}
END_TEST

/*
 * While corrald shuts down, only status, wait and shutdown are served;
 * other requests get "shutting-down".
 */
START_TEST(test_requests_during_shutdown)
{
	struct harness	*h;
	char		*path, *err = NULL;
	int		 fd, rc;

	h = harness_new("jobs = (\n"
	    "  { name = \"stubborn\"; start_seconds = 0; stop_timeout = 3;\n"
	    "    shell = \"trap '' TERM; echo ready;"
	    " while :; do sleep 1; done\"; },\n"
	    "  { name = \"idle\"; autostart = false;"
	    " command = [\"sleep\", \"1000\"]; }\n"
	    ");\n");
	path = harness_path(h, "log/stubborn.out");
	assert_file_text(path, "ready\n");
	free(path);
	harness_track(h, job_pid(h, "stubborn"));

	ck_assert_int_eq(kill(h->daemon_pid, SIGTERM), 0);
	assert_state(h, "stubborn", "STOPPING", HARNESS_WAIT);
	rc = ctl_run(h, NULL, &err, "start", "idle", NULL);
	ck_assert_msg(rc == 1, "start during shutdown: %d [%s]", rc, err);
	ck_assert_msg(contains(err, "shutting down"), "[%s]", err);
	free(err);
	fd = raw_connect(h);
	raw_expect(fd, "{\"v\":1,\"cmd\":\"stop\",\"jobs\":[\"idle\"]}\n", 0,
	    "shutting-down");
	raw_expect(fd, "{\"v\":1,\"cmd\":\"status\"}\n", 1, NULL);
	close(fd);
	assert_state(h, "idle", "STOPPED", 0);
	ck_assert_int_eq(harness_daemon_wait_exit(h, HARNESS_WAIT), 0);
	harness_free(h);
}
END_TEST

/* Under systemd: READY=1 once up, STOPPING=1 when shutting down. */
START_TEST(test_notify_ready_stopping)
{
	struct harness		*h;
	struct sockaddr_un	 sun;
	char			*path, buf[4096], *all;
	double			 deadline;
	ssize_t			 n;
	int			 fd, ready = 0, stopping = 0;

	h = harness_new_stopped("jobs = ( { name = \"web\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	path = harness_path(h, "notify.sock");
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_ne(fd, -1);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof sun.sun_path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	harness_setenv(h, "NOTIFY_SOCKET", path);
	free(path);
	ck_assert_int_eq(harness_daemon_start(h), 0);

	all = xstrdup("");
	deadline = now_mono() + HARNESS_WAIT;
	while (!ready && now_mono() < deadline) {
		if ((n = recv(fd, buf, sizeof buf - 1, 0)) <= 0) {
			pause_ms(5);
			continue;
		}
		buf[n] = '\0';
		ready = contains(buf, "READY=1");
		free(all);
		all = xstrdup(buf);
	}
	ck_assert_msg(ready, "no READY=1 from corrald; last: [%s]", all);
	ck_assert_int_eq(kill(h->daemon_pid, SIGTERM), 0);
	deadline = now_mono() + HARNESS_WAIT;
	while (!stopping && now_mono() < deadline) {
		if ((n = recv(fd, buf, sizeof buf - 1, 0)) <= 0) {
			pause_ms(5);
			continue;
		}
		buf[n] = '\0';
		stopping = contains(buf, "STOPPING=1");
	}
	ck_assert_msg(stopping, "no STOPPING=1 from corrald");
	free(all);
	close(fd);
	ck_assert_int_eq(harness_daemon_wait_exit(h, HARNESS_WAIT), 0);
	harness_free(h);
}
END_TEST

/* Two shutdown requests, one made while the other is under way: both
 * are answered once every job has stopped. */
START_TEST(test_shutdown_twice)
{
	struct harness	*h;
	json_t		*obj;
	char		*path, *err = NULL;
	pid_t		 pid;
	int		 fd, rc;

	h = harness_new("jobs = ( { name = \"stubborn\"; start_seconds = 0;"
	    " stop_timeout = 2;\n"
	    "  shell = \"trap '' TERM; echo ready;"
	    " while :; do sleep 1; done\"; } );\n");
	path = harness_path(h, "log/stubborn.out");
	assert_file_text(path, "ready\n");
	free(path);
	pid = job_pid(h, "stubborn");
	ck_assert_int_gt(pid, 1);

	fd = raw_connect(h);
	raw_send_str(fd, "{\"v\":1,\"cmd\":\"shutdown\"}\n");
	assert_state(h, "stubborn", "STOPPING", HARNESS_WAIT);
	rc = ctl_run(h, NULL, &err, "shutdown", NULL);
	ck_assert_msg(rc == 0, "second shutdown: %d [%s]", rc, err);
	free(err);
	ck_assert_uint_eq(proc_count_alive_session(pid), 0);
	obj = raw_recv(fd);
	ck_assert(json_is_true(json_object_get(obj, "ok")));
	json_decref(obj);
	close(fd);
	ck_assert_int_eq(harness_daemon_wait_exit(h, HARNESS_WAIT), 0);
	harness_free(h);
}
END_TEST

Suite *
suite_signals(void)
{
	Suite	*s = suite_create("signals");
	TCase	*tc = harness_tcase("signals");

	tcase_add_test(tc, test_terminate_leader_only);
	tcase_add_test(tc, test_killpg_whole_session);
	tcase_add_test(tc, test_kill_then_wait);
	tcase_add_test(tc, test_exit_code);
	tcase_add_test(tc, test_kill_group_cleans_up);
	tcase_add_test(tc, test_no_kill_group_orphan_reaped);
	tcase_add_test(tc, test_kill_group_escalates);
	tcase_add_test(tc, test_restart_after_kill);
	tcase_add_test(tc, test_wait_across_restart);
	tcase_add_test(tc, test_killpg_after_leader_ended);
	tcase_add_test(tc, test_stop_pipeline_without_kill_group);
	tcase_add_test(tc, test_stop_escalates);
	tcase_add_test(tc, test_shutdown_sigterm);
	tcase_add_test(tc, test_shutdown_sigint);
	tcase_add_test(tc, test_shutdown_ctl);
	tcase_add_test(tc, test_shutdown_answers_waiter);
	tcase_add_test(tc, test_shutdown_twice);
	tcase_add_test(tc, test_start_stop_restart);
	tcase_add_test(tc, test_requests_during_shutdown);
	tcase_add_test(tc, test_notify_ready_stopping);
	suite_add_tcase(s, tc);
	return (s);
}
