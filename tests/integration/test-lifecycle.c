/*
 * test-lifecycle.c -- keeping jobs alive: restart policies and exit codes,
 * back-off that is seen in the runs' start times and ends FATAL, a running
 * job that dies coming back at once, `after` ordering, readiness from the
 * job itself (ready = "notify"), reload that leaves unchanged jobs alone,
 * the event stream, and what corrald tells systemd (READY, RELOADING,
 * STOPPING, WATCHDOG) or takes from it (socket activation).
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "xmalloc.h"

/* The start times of the runs in a job's history; returns how many. */
static size_t
history_starts(struct harness *h, const char *job, double *starts,
    size_t max)
{
	json_t	*st = job_status(h, job), *run;
	size_t	 i, n = 0;

	ck_assert_ptr_nonnull(st);
	json_array_foreach(json_object_get(st, "history"), i, run) {
		if (n < max)
			starts[n++] = json_number_value(json_object_get(run,
			    "start"));
	}
	json_decref(st);
	return (n);
}

/* Wait until the job's restart count reaches n. */
struct restarts_cond {
	struct harness	*h;
	const char	*job;
	long long	 n;
};

static int
restarts_pred(void *arg)
{
	struct restarts_cond	*rc = arg;

	return (status_int(rc->h, rc->job, "restarts") >= rc->n);
}

static void
assert_restarts(struct harness *h, const char *job, long long n,
    double timeout)
{
	struct restarts_cond	 rc = { h, job, n };

	ck_assert_msg(wait_until(restarts_pred, &rc, timeout),
	    "%s: %lld restarts, not %lld, after %g s", job,
	    status_int(h, job, "restarts"), n, timeout);
}

/* A datagram socket at dir/name for corrald's sd_notify messages. */
static int
notify_listen(struct harness *h, const char *name)
{
	struct sockaddr_un	 sun;
	char			*path = harness_path(h, name);
	int			 fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_ne(fd, -1);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof sun.sun_path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	harness_setenv(h, "NOTIFY_SOCKET", path);
	free(path);
	return (fd);
}

/* Wait for a message containing want; returns 1 if it came. */
static int
notify_expect(int fd, const char *want, double timeout)
{
	char	 buf[4096];
	double	 deadline = now_mono() + timeout;
	ssize_t	 n;

	while (now_mono() < deadline) {
		if ((n = recv(fd, buf, sizeof buf - 1, 0)) <= 0) {
			pause_ms(5);
			continue;
		}
		buf[n] = '\0';
		if (contains(buf, want))
			return (1);
	}
	return (0);
}

/* restart = "always" starts a job again each time it ends. */
START_TEST(test_restart_always)
{
	struct harness	*h;

	h = harness_new("jobs = ( { name = \"again\"; restart = \"always\";"
	    " start_seconds = 0.1; shell = \"sleep 0.2; exit 0\"; } );\n");
	assert_restarts(h, "again", 2, HARNESS_WAIT);
	harness_free(h);
}
END_TEST

/*
 * restart = "on-failure": a clean exit is EXITED for good, a failure is
 * restarted; success_exit_codes says what is clean.
 */
START_TEST(test_on_failure)
{
	struct harness	*h;

	h = harness_new("jobs = (\n"
	    "  { name = \"clean\"; start_seconds = 0.1;"
	    " shell = \"sleep 0.2; exit 0\"; },\n"
	    "  { name = \"three\"; start_seconds = 0.1;"
	    " success_exit_codes = [0, 3]; shell = \"sleep 0.2; exit 3\"; },\n"
	    "  { name = \"four\"; start_seconds = 0.1;"
	    " success_exit_codes = [0, 3]; shell = \"sleep 0.2; exit 4\"; }\n"
	    ");\n");
	assert_restarts(h, "four", 1, HARNESS_WAIT);
	assert_state(h, "clean", "EXITED", HARNESS_WAIT);
	assert_state(h, "three", "EXITED", HARNESS_WAIT);
	ck_assert_int_eq(status_int(h, "clean", "restarts"), 0);
	ck_assert_int_eq(status_int(h, "three", "restarts"), 0);
	harness_free(h);
}
END_TEST

/*
 * A job that fails at once backs off 1 s, then 2 s, and after
 * start_retries more tries is FATAL with the reason; `start` clears it.
 */
START_TEST(test_backoff_then_fatal)
{
	struct harness	*h;
	json_t		*st;
	double		 s[8];
	size_t		 n;
	char		*err = NULL;

	h = harness_new("jobs = ( { name = \"bad\"; start_retries = 2;"
	    " command = [\"false\"]; } );\n");
	assert_state(h, "bad", "FATAL", HARNESS_WAIT);
	st = job_status(h, "bad");
	ck_assert_str_eq(json_string_value(json_object_get(st, "error")),
	    "exited too quickly: exit 1, 3 times");
	json_decref(st);
	n = history_starts(h, "bad", s, 8);
	ck_assert_uint_eq(n, 3);
	ck_assert_msg(s[1] - s[0] >= 0.9 && s[1] - s[0] < 1.6,
	    "first retry after %.3f s, not 1 s", s[1] - s[0]);
	ck_assert_msg(s[2] - s[1] >= 1.9 && s[2] - s[1] < 2.6,
	    "second retry after %.3f s, not 2 s", s[2] - s[1]);

	/* start clears FATAL and tries again (and fails again). */
	ck_assert_int_eq(ctl_run(h, NULL, &err, "start", "bad", NULL), 1);
	ck_assert_msg(contains(err, "exited too quickly"), "[%s]", err);
	free(err);
	ck_assert_uint_eq(history_starts(h, "bad", s, 8), 6);
	harness_free(h);
}
END_TEST

/* backoff_max caps the delay; a crash loop never spins. */
START_TEST(test_backoff_capped)
{
	struct harness	*h;
	double		 s[8];
	size_t		 n, i;

	h = harness_new("jobs = ( { name = \"loop\"; start_retries = 100;"
	    " backoff_max = 1; command = [\"false\"]; } );\n");
	assert_restarts(h, "loop", 4, HARNESS_WAIT);
	n = history_starts(h, "loop", s, 8);
	ck_assert_uint_ge(n, 5);
	for (i = 1; i < n; i++)
		ck_assert_msg(s[i] - s[i - 1] >= 0.9 &&
		    s[i] - s[i - 1] < 1.6, "retry %zu after %.3f s", i,
		    s[i] - s[i - 1]);
	harness_free(h);
}
END_TEST

/* A job that was RUNNING and dies is back at once (within a second). */
struct new_pid_cond {
	struct harness	*h;
	pid_t		 old;
};

static int
new_pid_pred(void *arg)
{
	struct new_pid_cond	*nc = arg;
	pid_t			 pid = job_pid(nc->h, "svc");

	return (pid > 0 && pid != nc->old);
}

START_TEST(test_running_job_back_at_once)
{
	struct harness		*h;
	struct new_pid_cond	 nc;
	pid_t			 pid;

	h = harness_new("jobs = ( { name = \"svc\"; restart = \"always\";"
	    " start_seconds = 0.2; command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "svc", "RUNNING", HARNESS_WAIT);
	/* Past the one second corrald keeps between two spawns of a job. */
	wait_uptime(h, "svc", 1.0);
	pid = job_pid(h, "svc");
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	nc.h = h;
	nc.old = pid;
	ck_assert_msg(wait_until(new_pid_pred, &nc, 1.0),
	    "not restarted within 1 s");
	ck_assert_int_eq(status_int(h, "svc", "restarts"), 1);
	harness_free(h);
}
END_TEST

/* after: a job starts once the jobs it names are RUNNING, stops first. */
START_TEST(test_after_order)
{
	struct harness	*h;
	json_t		*web, *db;
	double		 web_start, db_start, web_end, db_end;

	h = harness_new("jobs = (\n"
	    "  { name = \"web\"; after = [\"db\"]; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; },\n"
	    "  { name = \"db\"; start_seconds = 0.5;"
	    " command = [\"sleep\", \"1000\"]; }\n"
	    ");\n");
	assert_state(h, "web", "RUNNING", HARNESS_WAIT);
	web = job_status(h, "web");
	db = job_status(h, "db");
	web_start = json_number_value(json_object_get(json_array_get(
	    json_object_get(web, "history"), 0), "start"));
	db_start = json_number_value(json_object_get(json_array_get(
	    json_object_get(db, "history"), 0), "start"));
	json_decref(web);
	json_decref(db);
	ck_assert_msg(web_start - db_start >= 0.45,
	    "web started %.3f s after db, before db was RUNNING",
	    web_start - db_start);

	ck_assert_int_eq(ctl_run(h, NULL, NULL, "stop", "all", NULL), 0);
	web = job_status(h, "web");
	db = job_status(h, "db");
	web_end = json_number_value(json_object_get(json_object_get(web,
	    "last"), "end"));
	db_end = json_number_value(json_object_get(json_object_get(db,
	    "last"), "end"));
	json_decref(web);
	json_decref(db);
	ck_assert_msg(web_end > 0 && db_end >= web_end,
	    "db ended at %.6f, before web at %.6f", db_end, web_end);
	harness_free(h);
}
END_TEST

/* A job waiting for its `after` says so, and `start` waits with it. */
START_TEST(test_after_waiting)
{
	struct harness	*h;
	char		*out = NULL;

	h = harness_new("jobs = (\n"
	    "  { name = \"web\"; after = [\"db\"]; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; },\n"
	    "  { name = \"db\"; autostart = false; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; }\n"
	    ");\n");
	ck_assert_int_eq(ctl_run(h, &out, NULL, "status", "web", NULL), 0);
	ck_assert_msg(contains(out, "waiting for db"), "[%s]", out);
	free(out);
	check_state(h, "web", "STOPPED");
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "start", "db", NULL), 0);
	assert_state(h, "web", "RUNNING", HARNESS_WAIT);
	harness_free(h);
}
END_TEST

/* Does web's status say it waits for db? */
static int
waiting_for_db_pred(void *arg)
{
	json_t	*st = job_status(arg, "web");
	int	 yes;

	yes = st != NULL && json_array_size(json_object_get(st,
	    "waiting_for")) == 1;
	json_decref(st);
	return (yes);
}

/*
 * stop all and shutdown end even when a job that comes after another is
 * not running (it stops at once, and so may the one it needs); restart
 * and start honour `after` too.
 */
START_TEST(test_after_stop_and_restart)
{
	struct harness	*h;
	struct bg_proc	 starter;

	h = harness_new("jobs = (\n"
	    "  { name = \"db\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; },\n"
	    "  { name = \"web\"; after = [\"db\"]; autostart = false;"
	    " start_seconds = 0; command = [\"sleep\", \"1000\"]; }\n"
	    ");\n");
	assert_state(h, "db", "RUNNING", HARNESS_WAIT);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "stop", "all", NULL), 0);
	check_state(h, "db", "STOPPED");

	/* db is down: restarting web waits for it, then runs. */
	ctl_start(h, &starter, "restart", "web", NULL);
	ck_assert_msg(wait_until(waiting_for_db_pred, h, HARNESS_WAIT),
	    "web is not waiting for db");
	check_state(h, "web", "STOPPED");
	ck_assert(bg_running(&starter));
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "start", "db", NULL), 0);
	ck_assert_int_eq(bg_finish(&starter, HARNESS_WAIT, NULL, NULL), 0);
	check_state(h, "web", "RUNNING");
	ck_assert_int_eq(harness_daemon_stop(h, HARNESS_WAIT), 0);
	harness_free(h);
}
END_TEST

/*
 * ready = "notify": STARTING until a process of the job sends READY=1 on
 * its own NOTIFY_SOCKET (systemd-notify from a child of the job), RUNNING
 * after, with its STATUS= text in status.
 */
START_TEST(test_ready_notify)
{
	struct harness	*h;
	json_t		*st;
	char		*go;

	if (access("/usr/bin/systemd-notify", X_OK) != 0) {
		fprintf(stderr, "skipped: no /usr/bin/systemd-notify\n");
		return;
	}
	h = harness_new("jobs = ( { name = \"n\"; ready = \"notify\";"
	    " start_seconds = 0;\n"
	    "  shell = \"while [ ! -e go ]; do sleep 0.02; done;"
	    " systemd-notify --ready --status=serving; exec sleep 1000\"; }"
	    " );\n");
	assert_state(h, "n", "STARTING", HARNESS_WAIT);
	wait_uptime(h, "n", 0.5);
	check_state(h, "n", "STARTING");
	go = harness_path(h, "go");
	file_write(go, "");
	free(go);
	assert_state(h, "n", "RUNNING", HARNESS_WAIT);
	st = job_status(h, "n");
	ck_assert_str_eq(json_string_value(json_object_get(st,
	    "status_text")), "serving");
	json_decref(st);
	harness_free(h);
}
END_TEST

/* The NOTIFY_SOCKET corrald gave pid, from its environment. */
static char *
job_notify_socket(pid_t pid)
{
	char	 path[64], *env, *p, *found = NULL;
	size_t	 len;

	snprintf(path, sizeof path, "/proc/%ld/environ", (long)pid);
	ck_assert_ptr_nonnull(env = file_read(path, &len));
	for (p = env; p < env + len; p += strlen(p) + 1) {
		if (strncmp(p, "NOTIFY_SOCKET=", 14) == 0)
			found = xstrdup(p + 14);
	}
	free(env);
	return (found);
}

/* READY=1 from outside the job's session, or with descriptors: dropped. */
START_TEST(test_ready_notify_strangers)
{
	struct harness		*h;
	struct sockaddr_un	 sun;
	struct msghdr		 msg;
	struct iovec		 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}			 cmsgbuf;
	struct cmsghdr		*cmsg;
	char			*name, payload[] = "READY=1";
	socklen_t		 len;
	pid_t			 pid;
	int			 fd, passed;

	h = harness_new("jobs = ( { name = \"n\"; ready = \"notify\";"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "n", "STARTING", HARNESS_WAIT);
	pid = job_pid(h, "n");
	name = job_notify_socket(pid);
	ck_assert_msg(name != NULL && name[0] == '@', "NOTIFY_SOCKET=%s",
	    name ? name : "(none)");
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path + 1, name + 1, strlen(name + 1));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(name + 1));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(fd, -1);

	/* The test is no process of the job's session. */
	ck_assert_int_eq(sendto(fd, payload, strlen(payload), 0,
	    (struct sockaddr *)&sun, len), (ssize_t)strlen(payload));
	/* Empty. */
	ck_assert_int_eq(sendto(fd, "", 0, 0, (struct sockaddr *)&sun, len),
	    0);
	/* With a descriptor. */
	passed = open("/dev/null", O_RDONLY | O_CLOEXEC);
	memset(&msg, 0, sizeof msg);
	iov.iov_base = payload;
	iov.iov_len = strlen(payload);
	msg.msg_name = &sun;
	msg.msg_namelen = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof cmsgbuf.buf;
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &passed, sizeof(int));
	ck_assert_int_eq(sendmsg(fd, &msg, 0), (ssize_t)strlen(payload));
	close(passed);
	close(fd);

	ck_assert(wait_file_contains(h->daemon_err,
	    "not of the job's session", HARNESS_WAIT));
	wait_uptime(h, "n", 0.5);
	check_state(h, "n", "STARTING");
	free(name);
	harness_free(h);
}
END_TEST

/*
 * reload: unchanged jobs keep their pid, changed ones restart with the
 * new definition, removed ones stop and go, new ones start, and a job the
 * operator stopped stays stopped.
 */
START_TEST(test_reload)
{
	struct harness	*h;
	pid_t		 a, b, c;
	char		*out = NULL, *cmdline;

	h = harness_new("jobs = (\n"
	    "  { name = \"a\"; start_seconds = 0; command = [\"sleep\", \"1000\"]; },\n"
	    "  { name = \"b\"; start_seconds = 0; command = [\"sleep\", \"1001\"]; },\n"
	    "  { name = \"c\"; start_seconds = 0; command = [\"sleep\", \"1002\"]; },\n"
	    "  { name = \"d\"; start_seconds = 0; command = [\"sleep\", \"1003\"]; }\n"
	    ");\n");
	assert_state(h, "a", "RUNNING", HARNESS_WAIT);
	assert_state(h, "b", "RUNNING", HARNESS_WAIT);
	assert_state(h, "c", "RUNNING", HARNESS_WAIT);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "stop", "d", NULL), 0);
	a = job_pid(h, "a");
	b = job_pid(h, "b");
	c = job_pid(h, "c");
	harness_track(h, c);

	harness_write_config(h, "jobs = (\n"
	    "  { name = \"e\"; start_seconds = 0; command = [\"sleep\", \"1004\"]; },\n"
	    "  { name = \"a\"; start_seconds = 0; command = [\"sleep\", \"1000\"]; },\n"
	    "  { name = \"b\"; start_seconds = 0; command = [\"sleep\", \"2001\"]; },\n"
	    "  { name = \"d\"; start_seconds = 0; command = [\"sleep\", \"1003\"]; }\n"
	    ");\n");
	ck_assert_int_eq(ctl_run(h, &out, NULL, "reload", NULL), 0);
	ck_assert_str_eq(out, "added: e\nremoved: c\nrestarted: b\n"
	    "unchanged: 2\n");
	free(out);

	assert_state(h, "e", "RUNNING", HARNESS_WAIT);
	assert_state(h, "b", "RUNNING", HARNESS_WAIT);
	ck_assert_int_eq(job_pid(h, "a"), a);
	ck_assert_int_ne(job_pid(h, "b"), b);
	cmdline = proc_cmdline(job_pid(h, "b"));
	ck_assert_str_eq(cmdline, "sleep 2001");
	free(cmdline);
	check_state(h, "d", "STOPPED");
	ck_assert(wait_proc_gone(c, HARNESS_WAIT));
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", "c", NULL), 1);
	ck_assert_int_eq(status_int(h, "a", "restarts"), 0);
	harness_free(h);
}
END_TEST

/* A config with errors changes nothing, and says FILE:LINE: why. */
START_TEST(test_reload_broken)
{
	struct harness	*h;
	pid_t		 a;
	char		*err = NULL, *want;

	h = harness_new("jobs = ( { name = \"a\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "a", "RUNNING", HARNESS_WAIT);
	a = job_pid(h, "a");
	harness_write_config(h, "jobs = (\n"
	    "  { name = \"a\"; command = [\"sleep\", \"1\"]; bogus = 1; }\n"
	    ");\n");
	ck_assert_int_eq(ctl_run(h, NULL, &err, "reload", NULL), 1);
	xasprintf(&want, "%s:3: job 'a': unknown key 'bogus'", h->config);
	ck_assert_msg(contains(err, want), "[%s] lacks [%s]", err, want);
	free(want);
	free(err);
	ck_assert_int_eq(job_pid(h, "a"), a);
	ck_assert_int_eq(status_int(h, "a", "restarts"), 0);

	/* SIGHUP: the same, in corrald's log. */
	ck_assert_int_eq(kill(h->daemon_pid, SIGHUP), 0);
	ck_assert(wait_file_contains(h->daemon_err,
	    "reload FAILED", HARNESS_WAIT));
	ck_assert_int_eq(job_pid(h, "a"), a);
	harness_free(h);
}
END_TEST

/* SIGHUP reloads; jobs from include_dir come along. */
START_TEST(test_reload_sighup_include_dir)
{
	struct harness	*h;
	char		*dir, *file;

	h = harness_new("jobs = ( { name = \"a\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "a", "RUNNING", HARNESS_WAIT);
	dir = harness_path(h, "jobs.d");
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	xasprintf(&file, "%s/extra.conf", dir);
	file_write(file, "jobs = ( { name = \"x\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1005\"]; } );\n");
	free(file);
	free(dir);
	/* The daemon group is the harness's, with include_dir added. */
	file_write(h->config, "daemon = { socket = \"ctl.sock\";"
	    " log_dir = \"log\"; include_dir = \"jobs.d\"; };\n"
	    "jobs = ( { name = \"a\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	ck_assert_int_eq(kill(h->daemon_pid, SIGHUP), 0);
	assert_state(h, "x", "RUNNING", HARNESS_WAIT);
	ck_assert_int_eq(status_int(h, "a", "restarts"), 0);
	harness_free(h);
}
END_TEST

/* READY=1, RELOADING=1 then READY=1, STOPPING=1, and WATCHDOG=1. */
START_TEST(test_systemd_notify)
{
	struct harness	*h;
	int		 fd;

	h = harness_new_stopped("jobs = ( { name = \"a\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	fd = notify_listen(h, "notify.sock");
	harness_setenv(h, "WATCHDOG_USEC", "200000");
	ck_assert_int_eq(harness_daemon_start(h), 0);
	ck_assert_msg(notify_expect(fd, "READY=1", HARNESS_WAIT),
	    "no READY=1");
	ck_assert_msg(notify_expect(fd, "WATCHDOG=1", HARNESS_WAIT),
	    "no WATCHDOG=1");
	ck_assert_msg(notify_expect(fd, "WATCHDOG=1", HARNESS_WAIT),
	    "no second WATCHDOG=1");
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "reload", NULL), 0);
	ck_assert_msg(notify_expect(fd, "RELOADING=1", HARNESS_WAIT),
	    "no RELOADING=1");
	ck_assert_msg(notify_expect(fd, "READY=1", HARNESS_WAIT),
	    "no READY=1 after the reload");
	ck_assert_int_eq(kill(h->daemon_pid, SIGTERM), 0);
	ck_assert_msg(notify_expect(fd, "STOPPING=1", HARNESS_WAIT),
	    "no STOPPING=1");
	ck_assert_int_eq(harness_daemon_wait_exit(h, HARNESS_WAIT), 0);
	close(fd);
	harness_free(h);
}
END_TEST

/* A control socket passed by systemd is used, and left in place. */
START_TEST(test_socket_activation)
{
	struct harness	*h;
	struct bg_proc	 act;
	char		*sock, *out = NULL;
	char		*argv[] = { (char *)"/usr/bin/systemd-socket-activate",
			    (char *)"-l", NULL, (char *)CORRALD_BIN,
			    (char *)"-c", NULL, NULL };
	char		*ctl[] = { (char *)CORRALCTL_BIN, (char *)"-s", NULL,
			    (char *)"status", NULL };

	if (access(argv[0], X_OK) != 0) {
		fprintf(stderr, "skipped: no %s\n", argv[0]);
		return;
	}
	h = harness_new_stopped("jobs = ( { name = \"a\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	sock = harness_path(h, "activated.sock");
	argv[2] = sock;
	argv[5] = h->config;
	ctl[2] = sock;
	bg_start(h, &act, argv);
	ck_assert(wait_file_contains(act.err_path, "Listening on",
	    HARNESS_WAIT));
	/* The first connection starts corrald, which answers on it. */
	ck_assert_int_eq(run_argv(ctl, HARNESS_WAIT, &out, NULL), 0);
	ck_assert_msg(contains(out, "a "), "[%s]", out);
	free(out);
	ck_assert(wait_file_contains(act.err_path,
	    "using the control socket passed by systemd", HARNESS_WAIT));
	ctl[3] = (char *)"shutdown";
	ck_assert_int_eq(run_argv(ctl, HARNESS_WAIT, NULL, NULL), 0);
	ck_assert_int_eq(bg_finish(&act, HARNESS_WAIT, NULL, NULL), 0);
	/* systemd's socket, not corrald's to remove. */
	ck_assert(file_exists(sock));
	free(sock);
	harness_free(h);
}
END_TEST

/* events: STARTING, RUNNING and EXITED of a job, as JSON lines. */
START_TEST(test_events)
{
	struct harness	*h;
	struct bg_proc	 listener;
	json_t		*ev;
	const char	*want[][2] = {
		{ "STOPPED", "STARTING" }, { "STARTING", "RUNNING" },
		{ NULL, NULL }, { "RUNNING", "EXITED" }
	};
	char		*out = NULL, *line;
	int		 fd;
	size_t		 i;

	h = harness_new("jobs = ( { name = \"once\"; autostart = false;"
	    " restart = \"no\"; start_seconds = 0.1;"
	    " shell = \"sleep 0.3; exit 5\"; } );\n");
	fd = raw_connect(h);
	raw_expect(fd, "{\"v\":1,\"cmd\":\"events\"}\n", 1, NULL);
	/* corralctl events too, once corrald has it listening. */
	ctl_start(h, &listener, "events", NULL);
	xasprintf(&line, "client pid %ld uid %ld listening for events",
	    (long)listener.pid, (long)getuid());
	ck_assert(wait_file_contains(h->daemon_err, line,
	    HARNESS_WAIT));
	free(line);

	ck_assert_int_eq(ctl_run(h, NULL, NULL, "start", "once", NULL), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_ptr_nonnull(ev = raw_recv(fd));
		ck_assert_str_eq(json_string_value(json_object_get(ev, "job")),
		    "once");
		ck_assert(json_integer_value(json_object_get(ev, "pid")) > 0);
		if (want[i][0] == NULL) {
			/* The run's end, before the policy's next state. */
			ck_assert_str_eq(json_string_value(json_object_get(ev,
			    "event")), "ended");
			ck_assert_str_eq(json_string_value(json_object_get(ev,
			    "result")), "exit 5");
			json_decref(ev);
			continue;
		}
		ck_assert_str_eq(json_string_value(json_object_get(ev,
		    "event")), "state");
		ck_assert_str_eq(json_string_value(json_object_get(ev,
		    "from")), want[i][0]);
		ck_assert_str_eq(json_string_value(json_object_get(ev, "to")),
		    want[i][1]);
		if (i == 3)
			ck_assert_str_eq(json_string_value(json_object_get(ev,
			    "result")), "exit 5");
		json_decref(ev);
	}
	close(fd);
	ck_assert_int_eq(harness_daemon_stop(h, HARNESS_WAIT), 0);
	ck_assert_int_eq(bg_finish(&listener, HARNESS_WAIT, &out, NULL), 0);
	ck_assert_msg(contains(out, "\"to\":\"STARTING\"") &&
	    contains(out, "\"to\":\"RUNNING\"") &&
	    contains(out, "\"to\":\"EXITED\",") &&
	    contains(out, "\"result\":\"exit 5\""), "[%s]", out);
	free(out);
	harness_free(h);
}
END_TEST

Suite *
suite_lifecycle(void)
{
	Suite	*s = suite_create("lifecycle");
	TCase	*tc = harness_tcase("lifecycle");

	tcase_add_test(tc, test_restart_always);
	tcase_add_test(tc, test_on_failure);
	tcase_add_test(tc, test_backoff_then_fatal);
	tcase_add_test(tc, test_backoff_capped);
	tcase_add_test(tc, test_running_job_back_at_once);
	tcase_add_test(tc, test_after_order);
	tcase_add_test(tc, test_after_waiting);
	tcase_add_test(tc, test_after_stop_and_restart);
	tcase_add_test(tc, test_ready_notify);
	tcase_add_test(tc, test_ready_notify_strangers);
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_reload_broken);
	tcase_add_test(tc, test_reload_sighup_include_dir);
	tcase_add_test(tc, test_systemd_notify);
	tcase_add_test(tc, test_socket_activation);
	tcase_add_test(tc, test_events);
	suite_add_tcase(s, tc);
	return (s);
}
