/*
 * test-reexec.c -- `corralctl reexec` and SIGUSR2: corrald replaces its
 * program in place and every job carries on as if nothing had happened.
 * Seen from outside: the job's pid, session and kernel start time are the
 * same, its log has every line once and in order, back-off timers and
 * readiness survive, an operator's stop stays done, descriptors are not
 * leaked, a socket from systemd is kept, connected clients are told, and
 * an exec that fails, or a program that is not corrald, changes nothing.
 * A new image that cannot read the state goes back to the old program;
 * a state no image can read leaves the jobs' processes alone, never
 * killed and never started twice.
 *
 * The daemon's command line shows whether it was re-executed: the new
 * image is given --restore=FD.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "xmalloc.h"

/* Reexecs in a row in the busy-writer test, and in the descriptor one. */
#define REEXEC_BUSY_COUNT	20
#define REEXEC_FD_COUNT		5

/* Most descriptors of corrald's listed on a failure. */
#define REEXEC_MAX_FDS		256

/* ---- helpers ---- */

/* The lines "1\n" .. "last\n" (to be freed). */
static char *
seq_text(long last, size_t *lenp)
{
	char	*text, *p;
	long	 i;

	text = xmalloc((size_t)(last > 0 ? last : 0) * 21 + 1);
	for (i = 1, p = text; i <= last; i++)
		p += sprintf(p, "%ld\n", i);
	*lenp = (size_t)(p - text);
	return (text);
}

/* How many runs a job's history holds. */
static size_t
history_len(struct harness *h, const char *job)
{
	json_t	*st = job_status(h, job);
	size_t	 n;

	ck_assert_ptr_nonnull(st);
	n = json_array_size(json_object_get(st, "history"));
	json_decref(st);
	return (n);
}

/* A member ("start", "end") of run i of the job's history, or NAN. */
static double
history_time(struct harness *h, const char *job, size_t i, const char *key)
{
	json_t	*st = job_status(h, job), *run;
	double	 v = NAN;

	ck_assert_ptr_nonnull(st);
	run = json_array_get(json_object_get(st, "history"), i);
	if (json_is_number(json_object_get(run, key)))
		v = json_number_value(json_object_get(run, key));
	json_decref(st);
	return (v);
}

/* The kernel's start time of pid (clock ticks since boot), or 0. */
static unsigned long long
proc_start_time(pid_t pid)
{
	char			 path[64], *buf, *p;
	unsigned long long	 start = 0;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((buf = file_read(path, NULL)) == NULL)
		return (0);
	/* After the comm: state ppid ... starttime is field 22. */
	if ((p = strrchr(buf, ')')) != NULL && sscanf(p + 1, " %*c %*d %*d"
	    " %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d"
	    " %llu", &start) != 1)
		start = 0;
	free(buf);
	return (start);
}

/* How many times corrald's command line holds --restore=. */
static int
daemon_restores(struct harness *h)
{
	char	*cmd, *p;
	int	 n = 0;

	if ((cmd = proc_cmdline(h->daemon_pid)) == NULL)
		return (-1);
	for (p = cmd; (p = strstr(p, "--restore=")) != NULL; p++)
		n++;
	free(cmd);
	return (n);
}

struct log_count_cond {
	struct harness	*h;
	const char	*text;
	int		 n;
};

static int
log_count_pred(void *arg)
{
	struct log_count_cond	*lc = arg;

	return (harness_daemon_log_count(lc->h, lc->text) >= lc->n);
}

/* Wait until text is in corrald's stderr n times. */
static void
wait_log_count(struct harness *h, const char *text, int n)
{
	struct log_count_cond	 lc = { h, text, n };

	ck_assert_msg(wait_until(log_count_pred, &lc, HARNESS_WAIT),
	    "[%s] is in corrald's log %d times, not %d", text,
	    harness_daemon_log_count(h, text), n);
}

/* corrald is still the process the fixture started, and still running. */
static void
check_daemon_same(struct harness *h)
{
	ck_assert_msg(harness_daemon_wait_exit(h, 0) == -1,
	    "corrald exited: %d", harness_daemon_wait_exit(h, 0));
	ck_assert(proc_alive(h->daemon_pid));
}

/* `corralctl reexec`, which must succeed and name both versions. */
static void
reexec_ok(struct harness *h)
{
	char	*out = NULL, *err = NULL;
	int	 rc;

	rc = ctl_run(h, &out, &err, "reexec", NULL);
	ck_assert_msg(rc == 0, "reexec: exit %d: %s", rc, err);
	ck_assert_msg(contains(out, "corrald " PACKAGE_VERSION
	    " replaced by corrald " PACKAGE_VERSION), "reexec printed [%s]",
	    out);
	free(out);
	free(err);
	check_daemon_same(h);
}

/* `corralctl reexec --binary path`, which must fail saying want. */
static void
reexec_fails(struct harness *h, const char *path, const char *want)
{
	char	*err = NULL;
	int	 rc;

	rc = ctl_run(h, NULL, &err, "reexec", "--binary", path, NULL);
	ck_assert_msg(rc == 1, "reexec --binary %s: exit %d, not 1 [%s]",
	    path, rc, err);
	ck_assert_msg(contains(err, want), "reexec --binary %s said [%s], "
	    "not [%s]", path, err, want);
	free(err);
	check_daemon_same(h);
}

/* What /proc/PID/fd/N points to, for each N of corrald's, sorted. */
static u_int
daemon_fds(struct harness *h, char **links, u_int max)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[512], target[256];
	ssize_t		 len;
	u_int		 n = 0;

	snprintf(path, sizeof path, "/proc/%ld/fd", (long)h->daemon_pid);
	if ((d = opendir(path)) == NULL)
		ck_abort_msg("opendir %s: %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/%ld/fd/%s",
		    (long)h->daemon_pid, de->d_name);
		if ((len = readlink(path, target, sizeof target - 1)) == -1)
			continue;
		target[len] = '\0';
		if (links != NULL && n < max)
			xasprintf(&links[n], "%s -> %s", de->d_name, target);
		n++;
	}
	closedir(d);
	return (n);
}

static void
daemon_fds_free(char **links, u_int n)
{
	u_int	 i;

	for (i = 0; i < n && i < REEXEC_MAX_FDS; i++)
		free(links[i]);
}

/* Every descriptor of corrald's, one a line (to be freed). */
static char *
daemon_fds_text(struct harness *h)
{
	char	*links[REEXEC_MAX_FDS], *text = xstrdup(""), *tmp;
	u_int	 n, i;

	n = daemon_fds(h, links, REEXEC_MAX_FDS);
	for (i = 0; i < n && i < REEXEC_MAX_FDS; i++) {
		xasprintf(&tmp, "%s  %s\n", text, links[i]);
		free(text);
		text = tmp;
	}
	daemon_fds_free(links, n);
	return (text);
}

struct fds_cond {
	struct harness	*h;
	u_int		 n;
};

static int
fds_pred(void *arg)
{
	struct fds_cond	*fc = arg;

	return (daemon_fds(fc->h, NULL, 0) == fc->n);
}

/*
 * corrald holds n descriptors (once the clients that just went away are
 * closed), none of them the snapshot's memfd.
 */
static void
check_daemon_fds(struct harness *h, u_int n, const char *when)
{
	struct fds_cond	 fc = { h, n };
	char		*text;

	if (!wait_until(fds_pred, &fc, 2.0)) {
		text = daemon_fds_text(h);
		ck_abort_msg("%s: corrald holds %u descriptors, not %u:\n%s",
		    when, daemon_fds(h, NULL, 0), n, text);
	}
	text = daemon_fds_text(h);
	ck_assert_msg(!contains(text, "memfd:"), "%s: a memfd is left "
	    "open:\n%s", when, text);
	free(text);
}

/* The same process as before: pid, session, parent and start time. */
struct job_id {
	pid_t			 pid;
	pid_t			 session;
	unsigned long long	 start;
};

static void
job_id_get(struct harness *h, const char *job, struct job_id *id)
{
	struct proc_stat	 st;

	id->pid = job_pid(h, job);
	ck_assert_msg(id->pid > 0, "%s has no pid", job);
	ck_assert_int_eq(proc_read_stat(id->pid, &st), 0);
	ck_assert_int_eq(st.ppid, h->daemon_pid);
	id->session = st.session;
	ck_assert_int_eq(id->session, id->pid);
	id->start = proc_start_time(id->pid);
	ck_assert(id->start > 0);
}

static void
job_id_check(struct harness *h, const char *job, const struct job_id *id)
{
	struct job_id	 now;

	job_id_get(h, job, &now);
	ck_assert_msg(now.pid == id->pid && now.session == id->session &&
	    now.start == id->start, "%s: pid %ld session %ld start %llu, "
	    "was pid %ld session %ld start %llu", job, (long)now.pid,
	    (long)now.session, now.start, (long)id->pid, (long)id->session,
	    id->start);
	ck_assert_msg(proc_alive(id->pid), "%s: pid %ld is not running", job,
	    (long)id->pid);
}

/* An executable file at dir/name holding text (to be freed: its path). */
static char *
write_program(struct harness *h, const char *name, const char *text)
{
	char	*path = harness_path(h, name);

	file_write(path, text);
	ck_assert_int_eq(chmod(path, 0755), 0);
	return (path);
}

/* Count the live processes whose command line is cmd. */
static u_int
count_processes(const char *cmd)
{
	struct dirent	*de;
	DIR		*d;
	char		*line, *end;
	long		 pid;
	u_int		 n = 0;

	ck_assert_ptr_nonnull(d = opendir("/proc"));
	while ((de = readdir(d)) != NULL) {
		pid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 0 || !proc_alive((pid_t)pid))
			continue;
		if ((line = proc_cmdline((pid_t)pid)) == NULL)
			continue;
		if (strcmp(line, cmd) == 0)
			n++;
		free(line);
	}
	closedir(d);
	return (n);
}

struct count_cond {
	const char	*cmd;
	u_int		 n;
};

static int
count_pred(void *arg)
{
	struct count_cond	*cc = arg;

	return (count_processes(cc->cmd) == cc->n);
}

/* Wait until n live processes have the command line cmd. */
static int
wait_until_count(const char *cmd, u_int n)
{
	struct count_cond	 cc = { cmd, n };

	return (wait_until(count_pred, &cc, HARNESS_WAIT));
}

/* ---- the tests ---- */

/*
 * A job that writes numbered lines without a pause goes through twenty
 * re-executions in a row: afterwards it is the same process in the same
 * session, started once, never restarted, and its log holds every line it
 * wrote, once and in order.
 */
START_TEST(test_busy_writer)
{
	struct harness	*h;
	struct job_id	 id;
	char		*log, *stop, *lastp, *want, *got;
	double		 start0, t0, up0;
	off_t		 size0, size1;
	size_t		 len, got_len, off;
	long		 last;
	int		 i;

	h = harness_new("jobs = ( { name = \"count\"; restart = \"no\";"
	    " start_seconds = 0;\n"
	    "  shell = \"i=0; while [ ! -e stop ]; do i=$((i + 1)); echo $i;"
	    " done; echo $i > last\"; } );\n");
	log = harness_path(h, "log/count.out");
	stop = harness_path(h, "stop");
	lastp = harness_path(h, "last");
	assert_state(h, "count", "RUNNING", HARNESS_WAIT);
	job_id_get(h, "count", &id);
	ck_assert(wait_file_size(log, 100000, HARNESS_WAIT));
	start0 = history_time(h, "count", 0, "start");
	up0 = status_num(h, "count", "uptime");
	t0 = now_mono();
	size0 = file_size(log);

	for (i = 0; i < REEXEC_BUSY_COUNT; i++)
		reexec_ok(h);
	ck_assert_int_eq(daemon_restores(h), 1);
	wait_log_count(h, "re-executed: corrald", REEXEC_BUSY_COUNT);

	/* The same process, never restarted, up all along. */
	check_state(h, "count", "RUNNING");
	job_id_check(h, "count", &id);
	ck_assert_int_eq(status_int(h, "count", "restarts"), 0);
	ck_assert_uint_eq(history_len(h, "count"), 1);
	ck_assert(history_time(h, "count", 0, "start") == start0);
	ck_assert_msg(status_num(h, "count", "uptime") >=
	    up0 + (now_mono() - t0) - 0.05, "uptime went back");
	/* It kept writing all the while, and its log kept growing. */
	size1 = file_size(log);
	ck_assert_msg(size1 > size0, "the log stopped at %lld bytes",
	    (long long)size1);

	/* Every line it wrote, once, in order. */
	file_write(stop, "");
	assert_state(h, "count", "EXITED", HARNESS_WAIT);
	ck_assert(wait_until(file_exists_pred, lastp, HARNESS_WAIT));
	last = file_number(lastp);
	ck_assert_int_gt(last, 10000);
	want = seq_text(last, &len);
	if (!wait_file_equals(log, want, len, HARNESS_WAIT)) {
		got = file_read(log, &got_len);
		for (off = 0; off < got_len && off < len &&
		    got[off] == want[off]; off++)
			;
		while (off > 0 && got[off - 1] != '\n')
			off--;
		ck_abort_msg("count.out: %zu bytes, not lines 1..%ld (%zu "
		    "bytes); from byte %zu it reads [%.40s], not [%.40s]",
		    got_len, last, len, off, got + off, want + off);
	}
	free(want);
	ck_assert_uint_eq(history_len(h, "count"), 1);
	free(log);
	free(stop);
	free(lastp);
	harness_free(h);
}
END_TEST

/*
 * A job in BACKOFF keeps its retry time: status shows the same time left
 * (less what went by) after a re-execution, and the retry comes when it
 * would have, not a whole delay after the reexec.
 */
START_TEST(test_backoff_kept)
{
	struct harness	*h;
	double		 r0, r1, t0, t1, gap, expect;
	long long	 restarts;

	h = harness_new("jobs = ( { name = \"flaky\"; start_retries = 10;"
	    " command = [\"false\"]; } );\n");
	/* The second failure: a 2 s delay before the third run. */
	for (t0 = now_mono(); history_len(h, "flaky") < 2 ||
	    !(status_num(h, "flaky", "retry_in") > 1.0); ) {
		ck_assert_msg(now_mono() - t0 < HARNESS_WAIT,
		    "flaky: no second back-off");
		pause_ms(5);
	}
	/* Half-way through it. */
	while ((r0 = status_num(h, "flaky", "retry_in")) > 1.1)
		pause_ms(5);
	ck_assert_msg(!isnan(r0), "flaky: no longer in BACKOFF");
	t0 = now_mono();
	ck_assert_uint_eq(history_len(h, "flaky"), 2);
	restarts = status_int(h, "flaky", "restarts");

	reexec_ok(h);
	r1 = status_num(h, "flaky", "retry_in");
	t1 = now_mono();
	check_state(h, "flaky", "BACKOFF");
	ck_assert_int_eq(status_int(h, "flaky", "restarts"), restarts);
	expect = r0 - (t1 - t0);
	ck_assert_msg(fabs(r1 - expect) < 0.25, "retry in %.3f s after the "
	    "reexec, not %.3f s", r1, expect);

	/* And the retry came on time: 2 s after the second run ended. */
	for (t0 = now_mono(); history_len(h, "flaky") < 3; ) {
		ck_assert_msg(now_mono() - t0 < HARNESS_WAIT,
		    "flaky: no third run");
		pause_ms(5);
	}
	gap = history_time(h, "flaky", 2, "start") -
	    history_time(h, "flaky", 1, "end");
	ck_assert_msg(gap >= 1.9 && gap < 2.4, "third run %.3f s after the "
	    "second, not 2 s", gap);
	harness_free(h);
}
END_TEST

/*
 * ready = "notify": a job that is RUNNING by its READY=1 stays RUNNING,
 * with its STATUS= text, and its notify socket still works afterwards;
 * one still STARTING becomes RUNNING by a READY=1 sent after the reexec.
 */
START_TEST(test_notify_kept)
{
	struct harness	*h;
	struct job_id	 n_id, late_id;
	char		*go, *text;
	double		 t0;

	if (access("/usr/bin/systemd-notify", X_OK) != 0) {
		fprintf(stderr, "skipped: no /usr/bin/systemd-notify\n");
		return;
	}
	h = harness_new("jobs = ( { name = \"n\"; ready = \"notify\";"
	    " start_seconds = 0;\n"
	    "  shell = \"systemd-notify --ready --status=before;"
	    " while [ ! -e go ]; do sleep 0.02; done;"
	    " systemd-notify --status=after; exec sleep 1000\"; },\n"
	    " { name = \"late\"; ready = \"notify\"; start_seconds = 0;\n"
	    "  shell = \"while [ ! -e go ]; do sleep 0.02; done;"
	    " systemd-notify --ready --status=late-ready;"
	    " exec sleep 1000\"; } );\n");
	assert_state(h, "n", "RUNNING", HARNESS_WAIT);
	assert_state(h, "late", "STARTING", HARNESS_WAIT);
	text = status_str(h, "n", "status_text");
	ck_assert_str_eq(text != NULL ? text : "(none)", "before");
	free(text);
	job_id_get(h, "n", &n_id);
	job_id_get(h, "late", &late_id);

	reexec_ok(h);
	check_state(h, "n", "RUNNING");
	check_state(h, "late", "STARTING");
	text = status_str(h, "n", "status_text");
	ck_assert_str_eq(text != NULL ? text : "(none)", "before");
	free(text);
	job_id_check(h, "n", &n_id);
	job_id_check(h, "late", &late_id);

	/* Both notify sockets work in the new image. */
	go = harness_path(h, "go");
	file_write(go, "");
	free(go);
	assert_state(h, "late", "RUNNING", HARNESS_WAIT);
	for (t0 = now_mono(); ; pause_ms(5)) {
		text = status_str(h, "n", "status_text");
		if (text != NULL && strcmp(text, "after") == 0)
			break;
		ck_assert_msg(now_mono() - t0 < HARNESS_WAIT,
		    "n: status text [%s], not [after]", text ? text : "");
		free(text);
	}
	free(text);
	text = status_str(h, "late", "status_text");
	ck_assert_str_eq(text != NULL ? text : "(none)", "late-ready");
	free(text);
	check_state(h, "n", "RUNNING");
	job_id_check(h, "n", &n_id);
	job_id_check(h, "late", &late_id);
	ck_assert_int_eq(status_int(h, "n", "restarts"), 0);
	harness_free(h);
}
END_TEST

/*
 * What an operator did stays done: an autostart job stopped with
 * `corralctl stop` is still STOPPED after a reexec (and after a reload
 * following it), one that ended stays EXITED, and neither is run again.
 */
START_TEST(test_operator_stop_kept)
{
	struct harness	*h;
	double		 up;

	h = harness_new("jobs = ( { name = \"svc\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; },\n"
	    " { name = \"once\"; restart = \"no\"; start_seconds = 0;"
	    " command = [\"true\"]; },\n"
	    " { name = \"manual\"; autostart = false;"
	    " command = [\"sleep\", \"1000\"]; },\n"
	    " { name = \"clock\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "svc", "RUNNING", HARNESS_WAIT);
	assert_state(h, "once", "EXITED", HARNESS_WAIT);
	assert_state(h, "clock", "RUNNING", HARNESS_WAIT);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "stop", "svc", NULL), 0);
	check_state(h, "svc", "STOPPED");

	reexec_ok(h);
	check_state(h, "svc", "STOPPED");
	check_state(h, "once", "EXITED");
	check_state(h, "manual", "STOPPED");
	/* A while later: nothing started any of them. */
	up = status_num(h, "clock", "uptime");
	wait_uptime(h, "clock", up + 0.5);
	check_state(h, "svc", "STOPPED");
	check_state(h, "once", "EXITED");
	check_state(h, "manual", "STOPPED");
	ck_assert_int_eq(status_int(h, "svc", "pid"), -1);
	ck_assert_uint_eq(history_len(h, "svc"), 1);
	ck_assert_uint_eq(history_len(h, "once"), 1);
	ck_assert_uint_eq(history_len(h, "manual"), 0);

	/* A reload in the new image knows the stop was the operator's. */
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "reload", NULL), 0);
	up = status_num(h, "clock", "uptime");
	wait_uptime(h, "clock", up + 0.3);
	check_state(h, "svc", "STOPPED");
	ck_assert_uint_eq(history_len(h, "svc"), 1);

	/* And it starts again when asked. */
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "start", "svc", NULL), 0);
	check_state(h, "svc", "RUNNING");
	harness_free(h);
}
END_TEST

/*
 * A reexec that cannot happen -- no such binary, one that is not
 * executable, one the kernel cannot run -- says why, exits 1, and changes
 * nothing: the same daemon (never re-executed), the same jobs, the same
 * descriptors, a `logs -f` client still following.
 */
START_TEST(test_failed_exec_changes_nothing)
{
	struct harness	*h;
	struct job_id	 id;
	struct bg_proc	 follower;
	char		*noexec, *garbage, *go, *rugpull, *out = NULL;
	u_int		 nfds;
	int		 stalled;

	h = harness_new("jobs = ( { name = \"a\"; start_seconds = 0;"
	    " shell = \"i=0; while :; do i=$((i + 1)); echo $i;"
	    " if [ -e go ]; then echo go; rm go; fi; sleep 0.05; done\"; },"
	    "\n { name = \"loud\"; autostart = false; start_seconds = 0;"
	    " shell = \"yes 0123456789abcdef0123456789abcdef\"; } );\n");
	assert_state(h, "a", "RUNNING", HARNESS_WAIT);
	job_id_get(h, "a", &id);
	noexec = harness_path(h, "noexec");
	file_write(noexec, "#!/bin/sh\nexit 0\n");
	garbage = write_program(h, "garbage", "this is no program\n");
	go = harness_path(h, "go");
	/* A stopped job keeps its log files: loud's count from now on. */
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "start", "loud", NULL), 0);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "stop", "loud", NULL), 0);
	check_daemon_fds(h, daemon_fds(h, NULL, 0), "at first");
	nfds = daemon_fds(h, NULL, 0);

	ctl_start(h, &follower, "logs", "-f", "a", NULL);
	ck_assert(wait_file_size(follower.out_path, 1, HARNESS_WAIT));

	reexec_fails(h, "/nonexistent/corrald",
	    "exec /nonexistent/corrald: No such file or directory");
	reexec_fails(h, noexec, "Permission denied");
	reexec_fails(h, garbage, garbage);
	ck_assert_int_eq(daemon_restores(h), 0);
	job_id_check(h, "a", &id);
	check_state(h, "a", "RUNNING");
	ck_assert_int_eq(status_int(h, "a", "restarts"), 0);

	/* The follower is still served, by the same image. */
	ck_assert(bg_running(&follower));
	file_write(go, "");
	ck_assert_msg(wait_file_contains(follower.out_path, "\ngo\n",
	    HARNESS_WAIT), "logs -f stopped following");
	ck_assert_int_eq(kill(follower.pid, SIGTERM), 0);
	bg_finish(&follower, HARNESS_WAIT, NULL, NULL);
	check_daemon_fds(h, nfds, "after the failed reexecs");

	/*
	 * A program that passes for corrald when asked, then cannot be
	 * exec'd: the exec itself fails, after every client was flushed.
	 * Those go back to non-blocking, or one that does not read (here a
	 * `logs -f` of a job that writes all it can) would stall corrald.
	 */
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "start", "loud", NULL), 0);
	stalled = raw_connect(h);
	raw_send_str(stalled, "{\"v\":1,\"cmd\":\"logs\",\"jobs\":"
	    "[\"loud\"],\"follow\":true}\n");
	rugpull = write_program(h, "rugpull", "#!/bin/sh\n"
	    "case $1 in --snapshot-version)\n"
	    "  chmod a-x \"$0\"; exec " CORRALD_BIN " \"$1\";;\n"
	    "esac\n"
	    "exit 1\n");
	reexec_fails(h, rugpull, "Permission denied");
	/* Behind a client that does not read. */
	check_status_prompt(h, 10);
	close(stalled);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "stop", "loud", NULL), 0);
	ck_assert_int_eq(daemon_restores(h), 0);
	job_id_check(h, "a", &id);
	check_daemon_fds(h, nfds, "after the exec that failed");

	/* And a real reexec still works after them. */
	reexec_ok(h);
	job_id_check(h, "a", &id);
	check_daemon_fds(h, nfds, "after the reexec");
	free(rugpull);
	free(out);
	free(noexec);
	free(garbage);
	free(go);
	harness_free(h);
}
END_TEST

/* SIGUSR2 re-executes corrald, as `corralctl reexec` does. */
START_TEST(test_sigusr2)
{
	struct harness	*h;
	struct job_id	 id;

	h = harness_new("jobs = ( { name = \"a\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "a", "RUNNING", HARNESS_WAIT);
	job_id_get(h, "a", &id);
	ck_assert_int_eq(daemon_restores(h), 0);

	ck_assert_int_eq(kill(h->daemon_pid, SIGUSR2), 0);
	wait_log_count(h, "re-executed: corrald", 1);
	ck_assert_int_eq(daemon_restores(h), 1);
	check_daemon_same(h);
	check_state(h, "a", "RUNNING");
	job_id_check(h, "a", &id);

	/* Again: still one --restore, the new one. */
	ck_assert_int_eq(kill(h->daemon_pid, SIGUSR2), 0);
	wait_log_count(h, "re-executed: corrald", 2);
	ck_assert_int_eq(daemon_restores(h), 1);
	check_daemon_same(h);
	job_id_check(h, "a", &id);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", NULL), 0);
	ck_assert_int_eq(harness_daemon_stop(h, HARNESS_WAIT), 0);
	ck_assert(wait_proc_gone(id.pid, HARNESS_WAIT) || !proc_alive(id.pid));
	harness_free(h);
}
END_TEST

/* Copy the program at from to a new file at to, mode 0755. */
static void
copy_program(const char *from, const char *to)
{
	char	 buf[65536];
	ssize_t	 n;
	int	 in, out;

	in = open(from, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(in != -1, "%s: %s", from, strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	ck_assert_msg(out != -1, "%s: %s", to, strerror(errno));
	while ((n = read(in, buf, sizeof buf)) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	ck_assert_int_eq(n, 0);
	close(in);
	ck_assert_int_eq(close(out), 0);
}

/* What /proc/PID/exe of corrald reads, allocated. */
static char *
daemon_exe(struct harness *h)
{
	char	 path[64], target[HARNESS_PATH_MAX + 32];
	ssize_t	 n;

	snprintf(path, sizeof path, "/proc/%ld/exe", (long)h->daemon_pid);
	n = readlink(path, target, sizeof target - 1);
	ck_assert_msg(n > 0, "readlink %s: %s", path, strerror(errno));
	target[n] = '\0';
	return (xstrdup(target));
}

/*
 * A package upgrade renames a new corrald over the installed one: a plain
 * `reexec` (and SIGUSR2) runs the new file at that path, not the old
 * program the running image was loaded from.
 */
START_TEST(test_upgrade_runs_new_file)
{
	struct harness	*h;
	struct job_id	 id;
	char		*sbin, *bin, *staged, *exe, *gone;

	h = harness_new_stopped("jobs = ( { name = \"a\";"
	    " start_seconds = 0; command = [\"sleep\", \"1000\"]; } );\n");
	sbin = harness_path(h, "sbin");
	ck_assert_int_eq(mkdir(sbin, 0755), 0);
	bin = harness_path(h, "sbin/corrald");
	staged = harness_path(h, "sbin/corrald.new");
	copy_program(CORRALD_BIN, bin);
	h->daemon_bin = bin;
	ck_assert_int_eq(harness_daemon_start(h), 0);
	assert_state(h, "a", "RUNNING", HARNESS_WAIT);
	job_id_get(h, "a", &id);
	exe = daemon_exe(h);
	ck_assert_str_eq(exe, bin);
	free(exe);

	/* The upgrade, as dpkg does it. */
	copy_program(CORRALD_BIN, staged);
	ck_assert_int_eq(rename(staged, bin), 0);
	xasprintf(&gone, "%s (deleted)", bin);
	exe = daemon_exe(h);
	ck_assert_str_eq(exe, gone);
	free(exe);

	reexec_ok(h);
	exe = daemon_exe(h);
	ck_assert_str_eq(exe, bin);
	free(exe);
	job_id_check(h, "a", &id);

	/* Again, by SIGUSR2. */
	copy_program(CORRALD_BIN, staged);
	ck_assert_int_eq(rename(staged, bin), 0);
	ck_assert_int_eq(kill(h->daemon_pid, SIGUSR2), 0);
	wait_log_count(h, "re-executed: corrald", 2);
	exe = daemon_exe(h);
	ck_assert_str_eq(exe, bin);
	free(exe);
	job_id_check(h, "a", &id);
	harness_free(h);
	free(gone);
	free(staged);
	free(bin);
	free(sbin);
}
END_TEST

/*
 * Signals that come while corrald re-executes itself are not lost, and
 * do not find the default action (which for SIGUSR1 would end corrald):
 * a storm of SIGUSR1 (reopen the logs) through ten reexecs.
 */
START_TEST(test_signals_during_reexec)
{
	struct harness	*h;
	struct job_id	 id;
	pid_t		 storm;
	int		 i;

	h = harness_new("jobs = ( { name = \"a\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "a", "RUNNING", HARNESS_WAIT);
	job_id_get(h, "a", &id);
	fflush(NULL);
	if ((storm = fork()) == 0) {
		for (;;) {
			if (kill(h->daemon_pid, SIGUSR1) == -1)
				_exit(1);
			pause_ms(1);
		}
	}
	ck_assert_int_ne(storm, -1);
	for (i = 0; i < 10; i++)
		reexec_ok(h);
	kill(storm, SIGKILL);
	ck_assert_int_eq(wait_child_exit(storm, HARNESS_WAIT), 128 + SIGKILL);
	check_daemon_same(h);
	job_id_check(h, "a", &id);
	ck_assert_int_gt(harness_daemon_log_count(h, "received SIGUSR1"), 10);
	/* And one SIGTERM, at any time, still stops it all. */
	ck_assert_int_eq(harness_daemon_stop(h, HARNESS_WAIT), 0);
	ck_assert(!proc_alive(id.pid));
	harness_free(h);
}
END_TEST

/* A listening socket at path, for socket activation. */
static int
listen_at(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(fd, -1);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof sun.sun_path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	ck_assert_int_eq(listen(fd, 64), 0);
	return (fd);
}

/* The socket corrald's descriptor fd is ("socket:[N]"), to be freed. */
static char *
daemon_fd_target(struct harness *h, int fd)
{
	char	 path[64], target[128];
	ssize_t	 len;

	snprintf(path, sizeof path, "/proc/%ld/fd/%d", (long)h->daemon_pid,
	    fd);
	if ((len = readlink(path, target, sizeof target - 1)) == -1)
		return (xstrdup("(none)"));
	target[len] = '\0';
	return (xstrdup(target));
}

/*
 * A socket-activated corrald keeps systemd's socket across a reexec: the
 * very socket (descriptor 3, same inode) is listened on, and it is still
 * systemd's, so corrald leaves the file in place when it exits.
 */
START_TEST(test_socket_activation_kept)
{
	struct harness	*h;
	struct job_id	 id;
	char		*before, *after;

	h = harness_new_stopped("jobs = ( { name = \"a\";"
	    " start_seconds = 0; command = [\"sleep\", \"1000\"]; } );\n");
	h->listen_fd = listen_at(h->socket);
	ck_assert_int_eq(harness_daemon_start(h), 0);
	ck_assert(wait_file_contains(h->daemon_err,
	    "using the control socket passed by systemd", HARNESS_WAIT));
	assert_state(h, "a", "RUNNING", HARNESS_WAIT);
	job_id_get(h, "a", &id);
	/* Only corrald is to listen on it now. */
	close(h->listen_fd);
	before = daemon_fd_target(h, 3);
	ck_assert_msg(strncmp(before, "socket:", 7) == 0, "fd 3 is %s",
	    before);

	reexec_ok(h);
	reexec_ok(h);
	after = daemon_fd_target(h, 3);
	ck_assert_str_eq(after, before);
	ck_assert_int_eq(daemon_restores(h), 1);
	job_id_check(h, "a", &id);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "shutdown", NULL), 0);
	ck_assert_int_eq(harness_daemon_wait_exit(h, HARNESS_WAIT), 0);
	ck_assert_msg(file_exists(h->socket), "corrald removed systemd's "
	    "socket");
	free(before);
	free(after);
	harness_free(h);
}
END_TEST

/*
 * corrald holds as many descriptors after five reexecs as before, with
 * every kind of job: a pipeline, stderr apart, timestamps, ready=notify,
 * one that ended and one that is FATAL.
 */
START_TEST(test_no_fd_leak)
{
	struct harness	*h;
	u_int		 nfds, i;
	char		*when;

	h = harness_new("jobs = ( { name = \"plain\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; },\n"
	    " { name = \"pipe\"; start_seconds = 0;"
	    " pipeline = ([\"sleep\", \"1000\"], [\"cat\"], [\"cat\"]); },\n"
	    " { name = \"split\"; start_seconds = 0; log_timestamps = true;"
	    " shell = \"echo out; echo err >&2; exec sleep 1000\"; },\n"
	    " { name = \"merged\"; start_seconds = 0; stderr = \"stdout\";"
	    " shell = \"echo out; echo err >&2; exec sleep 1000\"; },\n"
	    " { name = \"n\"; ready = \"notify\";"
	    " command = [\"sleep\", \"1000\"]; },\n"
	    " { name = \"once\"; restart = \"no\"; start_seconds = 0;"
	    " command = [\"true\"]; },\n"
	    " { name = \"bad\"; start_retries = 0;"
	    " command = [\"false\"]; } );\n");
	assert_state(h, "plain", "RUNNING", HARNESS_WAIT);
	assert_state(h, "pipe", "RUNNING", HARNESS_WAIT);
	assert_state(h, "split", "RUNNING", HARNESS_WAIT);
	assert_state(h, "merged", "RUNNING", HARNESS_WAIT);
	assert_state(h, "n", "STARTING", HARNESS_WAIT);
	assert_state(h, "once", "EXITED", HARNESS_WAIT);
	assert_state(h, "bad", "FATAL", HARNESS_WAIT);
	nfds = daemon_fds(h, NULL, 0);
	check_daemon_fds(h, nfds, "at first");
	nfds = daemon_fds(h, NULL, 0);

	for (i = 1; i <= REEXEC_FD_COUNT; i++) {
		reexec_ok(h);
		xasprintf(&when, "after reexec %u", i);
		check_daemon_fds(h, nfds, when);
		free(when);
	}
	ck_assert_int_eq(daemon_restores(h), 1);
	check_state(h, "plain", "RUNNING");
	check_state(h, "pipe", "RUNNING");
	check_state(h, "n", "STARTING");
	check_state(h, "bad", "FATAL");
	harness_free(h);
}
END_TEST

/*
 * Clients connected during a reexec -- `logs -f`, `wait`, `events`, an
 * idle connection, one with half a request -- are each told that corrald
 * re-executed itself and closed: the corralctl ones exit 1 with that
 * message.  A client that connects meanwhile is answered.
 */
START_TEST(test_clients_told)
{
	struct harness	*h;
	struct bg_proc	 follower, waiter, events;
	json_t		*notice;
	char		*err = NULL, *line;
	int		 idle, half, late, rc;

	h = harness_new("jobs = ( { name = \"talk\"; start_seconds = 0;"
	    " shell = \"while :; do echo hello; sleep 0.05; done\"; },\n"
	    " { name = \"s\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "talk", "RUNNING", HARNESS_WAIT);
	assert_state(h, "s", "RUNNING", HARNESS_WAIT);

	ctl_start(h, &follower, "logs", "-f", "talk", NULL);
	ck_assert(wait_file_contains(follower.out_path, "hello\n",
	    HARNESS_WAIT));
	ctl_start(h, &events, "events", NULL);
	xasprintf(&line, "client pid %ld uid %ld listening for events",
	    (long)events.pid, (long)getuid());
	ck_assert(wait_file_contains(h->daemon_err, line, HARNESS_WAIT));
	free(line);
	ctl_start(h, &waiter, "wait", "s", NULL);
	xasprintf(&line, "client pid %ld uid %ld connected",
	    (long)waiter.pid, (long)getuid());
	ck_assert(wait_file_contains(h->daemon_err, line, HARNESS_WAIT));
	free(line);
	idle = raw_connect(h);
	half = raw_connect(h);
	raw_send_str(half, "{\"v\":1,\"cmd\":\"sta");
	/* Both are known to corrald once a later client is served. */
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", NULL), 0);

	reexec_ok(h);

	/* The streams end, saying why. */
	rc = bg_finish(&follower, HARNESS_WAIT, NULL, &err);
	ck_assert_msg(rc == 1 && contains(err, "re-executed"),
	    "logs -f: exit %d [%s]", rc, err);
	free(err);
	rc = bg_finish(&events, HARNESS_WAIT, NULL, &err);
	ck_assert_msg(rc == 1 && contains(err, "re-executed"),
	    "events: exit %d [%s]", rc, err);
	free(err);
	rc = bg_finish(&waiter, HARNESS_WAIT, NULL, &err);
	ck_assert_msg(rc == 1 && contains(err, "re-executed"),
	    "wait: exit %d [%s]", rc, err);
	free(err);
	/* Raw connections get the notice, then EOF. */
	notice = raw_recv(idle);
	ck_assert_str_eq(json_string_value(json_object_get(notice, "error")),
	    "reexec");
	ck_assert(json_is_false(json_object_get(notice, "ok")));
	json_decref(notice);
	ck_assert(raw_closed(idle));
	notice = raw_recv(half);
	ck_assert_str_eq(json_string_value(json_object_get(notice, "error")),
	    "reexec");
	json_decref(notice);
	ck_assert(raw_closed(half));
	close(idle);
	close(half);

	/*
	 * A client connecting while corrald re-executes itself: queued on
	 * the listening socket (which is never closed), then served by the
	 * new image -- or served by the old one, or told; never left hanging.
	 */
	idle = raw_connect(h);
	raw_send_str(idle, "{\"v\":1,\"cmd\":\"reexec\"}\n");
	late = raw_connect(h);
	raw_send_str(late, "{\"v\":1,\"cmd\":\"status\"}\n");
	notice = raw_recv(idle);
	ck_assert(json_is_true(json_object_get(notice, "ok")));
	json_decref(notice);
	notice = raw_recv(late);
	ck_assert_msg(json_is_true(json_object_get(notice, "ok")) ||
	    strcmp(json_string_value(json_object_get(notice, "error")),
	    "reexec") == 0, "a client connecting during a reexec got no "
	    "answer");
	json_decref(notice);
	close(idle);
	close(late);

	/* New clients are served as ever. */
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", NULL), 0);
	check_state(h, "s", "RUNNING");
	harness_free(h);
}
END_TEST

/*
 * The connection that asked for the reexec is a client of the new image
 * like any other: it is answered, may go on with requests, and one that
 * then stops reading its `logs -f` does not slow anyone else.
 */
START_TEST(test_requester_nonblocking)
{
	struct harness	*h;
	json_t		*answer;
	int		 fd;

	h = harness_new("jobs = ( { name = \"loud\"; start_seconds = 0;"
	    " shell = \"yes 0123456789abcdef0123456789abcdef\"; } );\n");
	assert_state(h, "loud", "RUNNING", HARNESS_WAIT);
	fd = raw_connect(h);
	/* A request sent behind the reexec is served by the new image. */
	raw_send_str(fd, "{\"v\":1,\"cmd\":\"reexec\"}\n"
	    "{\"v\":1,\"cmd\":\"pid\",\"jobs\":[\"loud\"]}\n");
	answer = raw_recv(fd);
	ck_assert(json_is_true(json_object_get(answer, "ok")));
	ck_assert_str_eq(json_string_value(json_object_get(answer,
	    "version")), PACKAGE_VERSION);
	json_decref(answer);
	answer = raw_recv(fd);
	ck_assert(json_is_true(json_object_get(answer, "ok")));
	ck_assert_int_eq(json_integer_value(json_object_get(answer, "pid")),
	    job_pid(h, "loud"));
	json_decref(answer);
	ck_assert_int_eq(daemon_restores(h), 1);
	raw_send_str(fd, "{\"v\":1,\"cmd\":\"status\"}\n");
	answer = raw_recv(fd);
	ck_assert(json_is_true(json_object_get(answer, "ok")));
	json_decref(answer);
	/* Follow a job that writes as fast as it can, and never read. */
	raw_send_str(fd, "{\"v\":1,\"cmd\":\"logs\",\"jobs\":[\"loud\"],"
	    "\"follow\":true}\n");
	/* Behind a client that does not read. */
	check_status_prompt(h, 10);
	close(fd);
	harness_free(h);
}
END_TEST

/*
 * A program that is not corrald -- /bin/false, a script -- cannot take
 * over: the reexec is refused before corrald's image is replaced, and
 * nothing changes.
 */
START_TEST(test_not_corrald_refused)
{
	struct harness	*h;
	struct job_id	 id;
	char		*script;

	h = harness_new("jobs = ( { name = \"a\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "a", "RUNNING", HARNESS_WAIT);
	job_id_get(h, "a", &id);
	script = write_program(h, "fake", "#!/bin/sh\necho corrald 9.9\n"
	    "exit 0\n");

	reexec_fails(h, "/bin/false", "/bin/false");
	reexec_fails(h, script, script);
	ck_assert_int_eq(daemon_restores(h), 0);
	job_id_check(h, "a", &id);
	check_state(h, "a", "RUNNING");
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", NULL), 0);
	/* And SIGUSR2 with nothing wrong still works. */
	ck_assert_int_eq(kill(h->daemon_pid, SIGUSR2), 0);
	wait_log_count(h, "re-executed: corrald", 1);
	job_id_check(h, "a", &id);
	free(script);
	harness_free(h);
}
END_TEST

/*
 * A program that does not answer when asked what it is: refused after
 * five seconds, it and what it started killed, and in the meantime
 * corrald serves everyone as usual.  Another reexec meanwhile is refused.
 */
START_TEST(test_silent_program_refused)
{
	struct harness	*h;
	struct job_id	 id;
	struct bg_proc	 req;
	char		*slow, *err = NULL, *line;
	int		 rc;

	h = harness_new("jobs = ( { name = \"a\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "a", "RUNNING", HARNESS_WAIT);
	job_id_get(h, "a", &id);
	slow = write_program(h, "slow", "#!/bin/sh\nsleep 31.5 &\nwait\n");
	ctl_start(h, &req, "reexec", "--binary", slow, NULL);
	xasprintf(&line, "asking %s --snapshot-version", slow);
	ck_assert(wait_file_contains(h->daemon_err, line, HARNESS_WAIT));
	free(line);
	ck_assert(wait_until_count("sleep 31.5", 1));
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", NULL), 0);
	rc = ctl_run(h, NULL, &err, "reexec", NULL);
	ck_assert_msg(rc == 1 && contains(err, "already under way"),
	    "a second reexec: exit %d [%s]", rc, err);
	free(err);
	ck_assert(bg_running(&req));

	rc = bg_finish(&req, HARNESS_WAIT, NULL, &err);
	ck_assert_msg(rc == 1 && contains(err, "did not answer "
	    "--snapshot-version within 5 s"), "reexec: exit %d [%s]", rc,
	    err);
	free(err);
	ck_assert(wait_until_count("sleep 31.5", 0));
	check_daemon_same(h);
	ck_assert_int_eq(daemon_restores(h), 0);
	job_id_check(h, "a", &id);
	reexec_ok(h);
	free(slow);
	harness_free(h);
}
END_TEST

/*
 * corrald shuts down while a reexec is under way: the reexec is called
 * off, and its requester told so.
 */
START_TEST(test_shutdown_cancels_reexec)
{
	struct harness	*h;
	struct bg_proc	 req;
	char		*slow, *err = NULL, *line;
	int		 rc;

	h = harness_new("jobs = ( { name = \"a\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "a", "RUNNING", HARNESS_WAIT);
	slow = write_program(h, "slow", "#!/bin/sh\nsleep 32.5 &\nwait\n");
	ctl_start(h, &req, "reexec", "--binary", slow, NULL);
	xasprintf(&line, "asking %s --snapshot-version", slow);
	ck_assert(wait_file_contains(h->daemon_err, line, HARNESS_WAIT));
	free(line);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "shutdown", NULL), 0);
	rc = bg_finish(&req, HARNESS_WAIT, NULL, &err);
	ck_assert_msg(rc == 1 && contains(err, "shutting down"),
	    "reexec: exit %d [%s]", rc, err);
	free(err);
	ck_assert_int_eq(harness_daemon_wait_exit(h, HARNESS_WAIT), 0);
	ck_assert(wait_until_count("sleep 32.5", 0));
	free(slow);
	harness_free(h);
}
END_TEST

/*
 * A wrapper that is corrald for every purpose but one: before the new
 * image starts, it does what is in the shell snippet act (with $n the
 * descriptor of the state), e.g. reads the state away or overwrites it.
 */
static char *
write_wrapper(struct harness *h, const char *name, const char *act)
{
	char	*text, *path;

	/* bash: dash takes no descriptor above 9 in a redirection. */
	xasprintf(&text, "#!/bin/bash\n"
	    "for a do\n"
	    "  shift\n"
	    "  case $a in\n"
	    "  --restore=*) n=${a#--restore=};;\n"
	    "  esac\n"
	    "  set -- \"$@\" \"$a\"\n"
	    "done\n"
	    "if [ -n \"$n\" ]; then %s; fi\n"
	    "exec %s \"$@\"\n", act, CORRALD_BIN);
	path = write_program(h, name, text);
	free(text);
	return (path);
}

/*
 * The new image cannot read the state (here a wrapper has read it away
 * first): the old image takes over again, and nothing has changed -- the
 * same jobs with the same processes, logs still written, the requester
 * told why it failed.
 */
START_TEST(test_unreadable_state_rolls_back)
{
	struct harness	*h;
	struct job_id	 id;
	char		*wrapper, *err = NULL, *log, *go;
	int		 rc;

	h = harness_new("jobs = ( { name = \"a\"; start_seconds = 0;"
	    " shell = \"while :; do if [ -e go ]; then echo go; rm go; fi;"
	    " sleep 0.02; done\"; } );\n");
	assert_state(h, "a", "RUNNING", HARNESS_WAIT);
	job_id_get(h, "a", &id);
	wrapper = write_wrapper(h, "eat-state",
	    "cat <&$n >/dev/null");
	log = harness_path(h, "log/a.out");
	go = harness_path(h, "go");

	rc = ctl_run(h, NULL, &err, "reexec", "--binary", wrapper, NULL);
	ck_assert_msg(rc == 1 && contains(err, "could not take over"),
	    "reexec: exit %d [%s]", rc, err);
	free(err);
	check_daemon_same(h);
	wait_log_count(h, "cannot use the state", 1);
	check_state(h, "a", "RUNNING");
	job_id_check(h, "a", &id);
	ck_assert_int_eq(status_int(h, "a", "restarts"), 0);
	file_write(go, "");
	ck_assert(wait_file_contains(log, "go\n", HARNESS_WAIT));
	/* Fully itself again: it can be re-executed for real. */
	reexec_ok(h);
	job_id_check(h, "a", &id);
	ck_assert_int_eq(harness_daemon_stop(h, HARNESS_WAIT), 0);
	ck_assert(!proc_alive(id.pid));
	free(wrapper);
	free(log);
	free(go);
	harness_free(h);
}
END_TEST

/*
 * The state is unreadable by any image (a wrapper overwrote it): corrald
 * serves its socket with the config's jobs STOPPED, and leaves the old
 * processes alone -- never killed, never started a second time -- and the
 * requester and the other clients are told.
 */
START_TEST(test_bad_state_leaves_jobs_alone)
{
	struct harness	*h;
	struct job_id	 id;
	struct bg_proc	 follower;
	char		*wrapper, *err = NULL, *cmd;
	double		 up;
	int		 rc;

	h = harness_new("jobs = ( { name = \"a\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1001\"]; } );\n");
	assert_state(h, "a", "RUNNING", HARNESS_WAIT);
	job_id_get(h, "a", &id);
	cmd = proc_cmdline(id.pid);
	ck_assert_uint_eq(count_processes(cmd), 1);
	wrapper = write_wrapper(h, "spoil-state",
	    "echo garbage > /proc/self/fd/$n");
	ctl_start(h, &follower, "logs", "-f", "a", NULL);
	xasprintf(&err, "client pid %ld uid %ld connected",
	    (long)follower.pid, (long)getuid());
	ck_assert(wait_file_contains(h->daemon_err, err, HARNESS_WAIT));
	free(err);
	err = NULL;

	rc = ctl_run(h, NULL, &err, "reexec", "--binary", wrapper, NULL);
	ck_assert_msg(rc == 1 && contains(err, "state"),
	    "reexec: exit %d [%s]", rc, err);
	free(err);
	rc = bg_finish(&follower, HARNESS_WAIT, NULL, &err);
	ck_assert_msg(rc == 1 && contains(err, "state"),
	    "logs -f: exit %d [%s]", rc, err);
	free(err);
	check_daemon_same(h);
	wait_log_count(h, "the state could not be used", 1);

	/* Served, the job STOPPED, its process left running, once. */
	check_state(h, "a", "STOPPED");
	ck_assert(proc_alive(id.pid));
	up = now_mono();
	while (now_mono() - up < 0.5) {
		ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", NULL), 0);
		pause_ms(50);
	}
	check_state(h, "a", "STOPPED");
	ck_assert(proc_alive(id.pid));
	ck_assert_uint_eq(count_processes(cmd), 1);

	/* It cannot be started beside its old session. */
	rc = ctl_run(h, NULL, &err, "start", "a", NULL);
	ck_assert_msg(rc == 1 && contains(err, "still running"),
	    "start: exit %d [%s]", rc, err);
	free(err);
	ck_assert_uint_eq(count_processes(cmd), 1);
	ck_assert(proc_alive(id.pid));
	/* Nor after a reexec that works: the old session is still known. */
	reexec_ok(h);
	rc = ctl_run(h, NULL, &err, "start", "a", NULL);
	ck_assert_msg(rc == 1 && contains(err, "still running"),
	    "start after a reexec: exit %d [%s]", rc, err);
	free(err);
	ck_assert_uint_eq(count_processes(cmd), 1);

	/* corrald stops, the process runs on ... */
	ck_assert_int_eq(harness_daemon_stop(h, HARNESS_WAIT), 0);
	ck_assert(proc_alive(id.pid));
	ck_assert_uint_eq(count_processes(cmd), 1);
	/*
	 * ... until a corrald starts afresh: the state file still names the
	 * old session, which it stops before it starts the job, once.
	 */
	ck_assert_int_eq(harness_daemon_start(h), 0);
	assert_state(h, "a", "RUNNING", HARNESS_WAIT);
	ck_assert(!proc_alive(id.pid));
	ck_assert_int_ne(job_pid(h, "a"), id.pid);
	ck_assert_uint_eq(count_processes(cmd), 1);
	free(cmd);
	free(wrapper);
	harness_free(h);
}
END_TEST

Suite *
suite_reexec(void)
{
	Suite	*s = suite_create("reexec");
	TCase	*tc = harness_tcase("reexec");

	/*
	 * Under valgrind, /proc/self/exe is valgrind's own tool, which a
	 * reexec refuses (it does not answer as a corrald), and a program
	 * exec'd is no longer under memcheck.
	 */
	if (getenv("CORRAL_TEST_VALGRIND") != NULL) {
		fprintf(stderr, "reexec: skipped under CORRAL_TEST_VALGRIND\n");
		suite_add_tcase(s, tc);
		return (s);
	}
	tcase_add_test(tc, test_busy_writer);
	tcase_add_test(tc, test_backoff_kept);
	tcase_add_test(tc, test_notify_kept);
	tcase_add_test(tc, test_operator_stop_kept);
	tcase_add_test(tc, test_failed_exec_changes_nothing);
	tcase_add_test(tc, test_sigusr2);
	tcase_add_test(tc, test_upgrade_runs_new_file);
	tcase_add_test(tc, test_signals_during_reexec);
	tcase_add_test(tc, test_socket_activation_kept);
	tcase_add_test(tc, test_no_fd_leak);
	tcase_add_test(tc, test_clients_told);
	tcase_add_test(tc, test_requester_nonblocking);
	tcase_add_test(tc, test_not_corrald_refused);
	tcase_add_test(tc, test_silent_program_refused);
	tcase_add_test(tc, test_shutdown_cancels_reexec);
	tcase_add_test(tc, test_unreadable_state_rolls_back);
	tcase_add_test(tc, test_bad_state_leaves_jobs_alone);
	suite_add_tcase(s, tc);
	return (s);
}
