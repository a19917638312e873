/*
 * test-errors.c -- failures, reported with their cause, that leave corrald
 * working: exec, chdir, stdin and log failures of a job (a pipeline stage's
 * too), config errors as FILE:LINE, corralctl's exit codes, a second
 * daemon on a live socket, a stale socket after a crash; and on the raw
 * protocol, malformed or oversized requests, half a request, and
 * descriptors passed where none are wanted.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "xmalloc.h"

/* The longest request line the daemon takes, newline included. */
#define LINE_MAX_BYTES	65536

static void	assert_fatal(struct harness *, const char *, const char *);
static void	assert_daemon_alive(struct harness *);
static int	check_config(const char *, char **, char **);
static int	has_line_starting(const char *, const char *);
static void	assert_ctl_fails(struct harness *, int, const char *,
		    char *const []);
static char	*padded_request(size_t);

/* Wait for job to go FATAL; its "error" from status must be want. */
static void
assert_fatal(struct harness *h, const char *job, const char *want)
{
	json_t		*obj;
	const char	*error;
	char		*out = NULL;

	assert_state(h, job, "FATAL", HARNESS_WAIT);
	obj = job_status(h, job);
	ck_assert_ptr_nonnull(obj);
	error = json_string_value(json_object_get(obj, "error"));
	ck_assert_msg(error != NULL && strcmp(error, want) == 0,
	    "%s: error [%s], want [%s]", job, error ? error : "(none)", want);
	json_decref(obj);
	/* The table shows it too. */
	ck_assert_int_eq(ctl_run(h, &out, NULL, "status", job, NULL), 0);
	ck_assert_msg(contains(out, want), "status %s: [%s]", job, out);
	free(out);
}

/* corrald is still running and answering. */
static void
assert_daemon_alive(struct harness *h)
{
	ck_assert_msg(harness_daemon_wait_exit(h, 0) == -1,
	    "corrald exited: %d", harness_daemon_wait_exit(h, 0));
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", NULL), 0);
}

/* An exec failure: FATAL with the cause; corrald carries on. */
START_TEST(test_exec_failure)
{
	struct harness	*h;
	char		*path, *out = NULL, *err = NULL;
	int		 rc;

	h = harness_new_stopped(NULL);
	path = harness_path(h, "notexec");
	file_write(path, "#!/bin/sh\necho should not run\n");
	free(path);
	harness_write_config(h, "jobs = (\n"
	    "  { name = \"missing\"; command = [\"/nonexistent/prog\"]; },\n"
	    "  { name = \"unlisted\"; command = [\"no-such-program-xyz\"]; },\n"
	    "  { name = \"noperm\"; command = [\"./notexec\"]; },\n"
	    "  { name = \"good\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; }\n"
	    ");\n");
	ck_assert_int_eq(harness_daemon_start(h), 0);
	assert_fatal(h, "missing",
	    "exec /nonexistent/prog: No such file or directory");
	assert_fatal(h, "unlisted",
	    "exec no-such-program-xyz: No such file or directory");
	assert_fatal(h, "noperm", "exec ./notexec: Permission denied");
	assert_daemon_alive(h);
	assert_state(h, "good", "RUNNING", HARNESS_WAIT);

	/* start tries again and fails the same way, saying why. */
	rc = ctl_run(h, &out, &err, "start", "missing", NULL);
	ck_assert_msg(rc == 1, "start missing: %d [%s] [%s]", rc, out, err);
	ck_assert_msg(contains(err,
	    "exec /nonexistent/prog: No such file or directory"),
	    "start missing: stderr [%s]", err);
	free(out);
	free(err);
	assert_state(h, "missing", "FATAL", 0);

	/* wait about a run that never executed: failed, with the cause. */
	rc = ctl_run(h, &out, &err, "wait", "missing", NULL);
	ck_assert_msg(rc == 1, "wait missing: %d [%s] [%s]", rc, out, err);
	ck_assert_msg(contains(err,
	    "exec /nonexistent/prog: No such file or directory"),
	    "wait missing: stderr [%s]", err);
	free(out);
	free(err);
	assert_daemon_alive(h);
	harness_free(h);
}
END_TEST

/* A failed chdir, stdin or log open is reported as such. */
START_TEST(test_setup_failures)
{
	struct harness	*h;
	char		*want, *path;

	h = harness_new_stopped(NULL);
	/* A log path that is a symbolic link is refused. */
	path = harness_path(h, "log");
	ck_assert_int_eq(mkdir(path, 0755), 0);
	free(path);
	path = harness_path(h, "log/linked.out");
	ck_assert_int_eq(symlink("../target", path), 0);
	free(path);
	harness_write_config(h, "jobs = (\n"
	    "  { name = \"linked\"; command = [\"echo\", \"x\"]; },\n"
	    "  { name = \"nodir\"; directory = \"/nonexistent/dir\";"
	    " command = [\"true\"]; },\n"
	    "  { name = \"noin\"; stdin = \"missing.txt\";"
	    " command = [\"cat\"]; },\n"
	    "  { name = \"nolog\"; stdout = \"nodir/x.out\";"
	    " command = [\"true\"]; }\n"
	    ");\n");
	ck_assert_int_eq(harness_daemon_start(h), 0);
	assert_fatal(h, "nodir",
	    "chdir /nonexistent/dir: No such file or directory");
	xasprintf(&want, "open stdin %s/missing.txt: No such file or directory",
	    h->dir);
	assert_fatal(h, "noin", want);
	free(want);
	xasprintf(&want, "open stdout log %s/nodir/x.out: No such file or "
	    "directory", h->dir);
	assert_fatal(h, "nolog", want);
	free(want);
	xasprintf(&want, "open stdout log %s/log/linked.out: Too many levels "
	    "of symbolic links", h->dir);
	assert_fatal(h, "linked", want);
	free(want);
	path = harness_path(h, "target");
	ck_assert_msg(!file_exists(path), "the log link was followed");
	free(path);
	assert_daemon_alive(h);
	harness_free(h);
}
END_TEST

/*
 * A pipeline one of whose stages cannot be executed could not be started:
 * FATAL with the stage and the cause, and nothing of it left running.
 */
START_TEST(test_pipeline_exec_failure)
{
	struct harness	*h;
	pid_t		 stages[4];

	h = harness_new("jobs = (\n"
	    "  { name = \"late\"; pipeline = ([\"sleep\", \"1000\"],"
	    " [\"/nonexistent/stage\"]); },\n"
	    "  { name = \"early\"; pipeline = ([\"/nonexistent/first\"],"
	    " [\"sleep\", \"1000\"]); }\n"
	    ");\n");
	assert_fatal(h, "late",
	    "stage 2: exec /nonexistent/stage: No such file or directory");
	assert_fatal(h, "early",
	    "stage 1: exec /nonexistent/first: No such file or directory");
	/* The stage that did start, a sleep, was not left running. */
	ck_assert_uint_eq(job_stage_pids(h, "late", stages, 4), 2);
	ck_assert_int_gt(stages[0], 1);
	ck_assert_msg(wait_proc_gone(stages[0], HARNESS_WAIT),
	    "late: stage 1 (pid %ld) left running", (long)stages[0]);
	ck_assert_uint_eq(job_stage_pids(h, "early", stages, 4), 2);
	ck_assert_int_gt(stages[1], 1);
	ck_assert_msg(wait_proc_gone(stages[1], HARNESS_WAIT),
	    "early: stage 2 (pid %ld) left running", (long)stages[1]);
	assert_daemon_alive(h);
	harness_free(h);
}
END_TEST

/* corrald -t -c path: its exit code, stdout and stderr. */
static int
check_config(const char *path, char **outp, char **errp)
{
	char	*argv[] = { (char *)CORRALD_BIN, (char *)"-t", (char *)"-c",
		    (char *)path, NULL };

	return (run_argv(argv, HARNESS_WAIT, outp, errp));
}

/* Does text hold a line starting with prefix? */
static int
has_line_starting(const char *text, const char *prefix)
{
	const char	*p;

	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return (1);
	}
	return (0);
}

/* -t: errors as FILE:LINE: message and exit 1; a good file is "ok". */
START_TEST(test_config_check)
{
	struct harness	*h;
	char		*bad, *syntax, *good, *out, *err, *prefix;
	char		*sock, *ran;
	int		 rc;

	h = harness_new_stopped(NULL);
	bad = harness_path(h, "bad.conf");
	file_write(bad,
	    "daemon = { socket = \"ctl.sock\"; log_dir = \"log\"; };\n"
	    "jobs = (\n"
	    "  { name = \"fine\"; command = [\"true\"]; },\n"
	    "  { name = \"wrong\"; command = [\"true\"]; bogus = 1; }\n"
	    ");\n");
	rc = check_config(bad, &out, &err);
	ck_assert_msg(rc == 1, "corrald -t bad.conf: %d [%s]", rc, err);
	xasprintf(&prefix, "%s:4: ", bad);
	ck_assert_msg(has_line_starting(err, prefix), "no [%s...] in [%s]",
	    prefix, err);
	ck_assert_msg(contains(err, "bogus"), "the key is not named: [%s]",
	    err);
	ck_assert_msg(!contains(out, "ok"), "bad.conf said ok: [%s]", out);
	free(prefix);
	free(out);
	free(err);

	syntax = harness_path(h, "syntax.conf");
	file_write(syntax, "daemon = { socket = \"ctl.sock\"; };\n"
	    "jobs = (\n"
	    "  { name = \"a\"; command = [\"true\"; }\n"
	    ");\n");
	rc = check_config(syntax, &out, &err);
	ck_assert_msg(rc == 1, "corrald -t syntax.conf: %d [%s]", rc, err);
	xasprintf(&prefix, "%s:3: ", syntax);
	ck_assert_msg(has_line_starting(err, prefix), "no [%s...] in [%s]",
	    prefix, err);
	free(prefix);
	free(out);
	free(err);

	/* A good file: "FILE: ok", and nothing is started or bound. */
	good = harness_path(h, "good.conf");
	file_write(good,
	    "daemon = { socket = \"ctl.sock\"; log_dir = \"log\"; };\n"
	    "jobs = ( { name = \"toucher\"; shell = \"touch ran\"; } );\n");
	rc = check_config(good, &out, &err);
	ck_assert_msg(rc == 0, "corrald -t good.conf: %d [%s]", rc, err);
	xasprintf(&prefix, "%s: ok\n", good);
	ck_assert_str_eq(out, prefix);
	ck_assert_str_eq(err, "");
	free(prefix);
	free(out);
	free(err);
	sock = harness_path(h, "ctl.sock");
	ran = harness_path(h, "ran");
	ck_assert_msg(!file_exists(sock), "corrald -t created the socket");
	ck_assert_msg(!file_exists(ran), "corrald -t ran a job");
	free(sock);
	free(ran);
	free(bad);
	free(syntax);
	free(good);
	harness_free(h);
}
END_TEST

/* corrald with a bad config exits 1, saying why, without a socket. */
START_TEST(test_config_error_start)
{
	struct harness	*h;
	char		*out = NULL, *err = NULL, *prefix;
	int		 rc;

	h = harness_new_stopped("jobs = (\n"
	    "  { name = \"dup\"; command = [\"true\"]; },\n"
	    "  { name = \"dup\"; command = [\"true\"]; }\n"
	    ");\n");
	{
		char	*argv[] = { (char *)CORRALD_BIN, (char *)"-c",
			    h->config, NULL };

		rc = run_argv(argv, HARNESS_WAIT, &out, &err);
	}
	ck_assert_msg(rc == 1, "corrald with a bad config: %d [%s] [%s]", rc,
	    out, err);
	xasprintf(&prefix, "%s:4: ", h->config);
	ck_assert_msg(has_line_starting(err, prefix), "no [%s...] in [%s]",
	    prefix, err);
	free(prefix);
	ck_assert_msg(!file_exists(h->socket), "the socket was created");
	free(out);
	free(err);
	harness_free(h);
}
END_TEST

/* Run corralctl; check its exit code and that stderr holds `says`. */
static void
assert_ctl_fails(struct harness *h, int want, const char *says,
    char *const args[])
{
	char	*out = NULL, *err = NULL, *joined = NULL, *tmp;
	u_int	 i;
	int	 rc;

	rc = ctl_runv(h, HARNESS_WAIT, &out, &err, args);
	joined = xstrdup("");
	for (i = 0; args[i] != NULL; i++) {
		xasprintf(&tmp, "%s %s", joined, args[i]);
		free(joined);
		joined = tmp;
	}
	ck_assert_msg(rc == want, "corralctl%s: exit %d, want %d; [%s] [%s]",
	    joined, rc, want, out, err);
	ck_assert_msg(*err != '\0', "corralctl%s: nothing on stderr", joined);
	if (says != NULL)
		ck_assert_msg(contains(err, says), "corralctl%s: [%s] lacks "
		    "[%s]", joined, err, says);
	free(joined);
	free(out);
	free(err);
}

#define CTL_FAILS(h, want, says, ...) do {				\
	char *const args_[] = { __VA_ARGS__, NULL };			\
	assert_ctl_fails((h), (want), (says), args_);			\
} while (0)

/* 1: refused (unknown job, not running); 2: usage. */
START_TEST(test_ctl_exit_codes)
{
	struct harness	*h;

	h = harness_new("jobs = (\n"
	    "  { name = \"web\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; },\n"
	    "  { name = \"idle\"; autostart = false;"
	    " command = [\"sleep\", \"1000\"]; }\n"
	    ");\n");
	assert_state(h, "web", "RUNNING", HARNESS_WAIT);

	CTL_FAILS(h, 1, "nosuch", "status", "nosuch");
	CTL_FAILS(h, 1, "nosuch", "status", "web", "nosuch");
	/* One bad name and nothing is done, even to the good ones. */
	CTL_FAILS(h, 1, "nosuch", "stop", "web", "nosuch");
	CTL_FAILS(h, 1, "nosuch", "start", "idle", "nosuch");
	CTL_FAILS(h, 1, "nosuch", "stop", "nosuch");
	CTL_FAILS(h, 1, "nosuch", "start", "nosuch");
	CTL_FAILS(h, 1, "nosuch", "pid", "nosuch");
	CTL_FAILS(h, 1, "nosuch", "wait", "nosuch");
	CTL_FAILS(h, 1, "nosuch", "terminate", "nosuch");
	CTL_FAILS(h, 1, "nosuch", "killpg", "TERM", "nosuch");
	CTL_FAILS(h, 1, "idle", "pid", "idle");
	CTL_FAILS(h, 1, "idle", "kill", "idle");
	CTL_FAILS(h, 1, "idle", "wait", "idle");

	CTL_FAILS(h, 2, "frobnicate", "frobnicate");
	CTL_FAILS(h, 2, NULL, "start");
	CTL_FAILS(h, 2, NULL, "stop");
	CTL_FAILS(h, 2, NULL, "signal");
	CTL_FAILS(h, 2, NULL, "signal", "TERM");
	CTL_FAILS(h, 2, "BOGUS", "signal", "BOGUS", "web");
	CTL_FAILS(h, 2, NULL, "killpg", "0", "web");
	CTL_FAILS(h, 2, NULL, "killpg", "SIGNOPE", "web");
	CTL_FAILS(h, 2, NULL, "pid", "web", "idle");
	CTL_FAILS(h, 2, NULL, "wait");
	CTL_FAILS(h, 2, NULL, "--no-such-option", "status");

	/* None of that touched the jobs. */
	assert_state(h, "web", "RUNNING", 0);
	assert_state(h, "idle", "STOPPED", 0);
	harness_free(h);
}
END_TEST

/* 3: the daemon cannot be reached, with the socket path in the message. */
START_TEST(test_ctl_unreachable)
{
	struct harness	*h;
	char		*nope, *plain, *out = NULL, *err = NULL;
	int		 rc;

	h = harness_new_stopped(NULL);
	nope = harness_path(h, "nope.sock");
	{
		char	*argv[] = { (char *)CORRALCTL_BIN, (char *)"-s",
			    nope, (char *)"status", NULL };

		rc = run_argv(argv, HARNESS_WAIT, &out, &err);
	}
	ck_assert_msg(rc == 3, "status, no socket: %d [%s] [%s]", rc, out,
	    err);
	ck_assert_msg(contains(err, nope), "[%s] does not name %s", err, nope);
	free(out);
	free(err);

	/* A file that is not a listening socket. */
	plain = harness_path(h, "plain");
	file_write(plain, "");
	{
		char	*argv[] = { (char *)CORRALCTL_BIN, (char *)"-s",
			    plain, (char *)"stop", (char *)"web", NULL };

		rc = run_argv(argv, HARNESS_WAIT, &out, &err);
	}
	ck_assert_msg(rc == 3, "stop, not a socket: %d [%s] [%s]", rc, out,
	    err);
	ck_assert_msg(contains(err, plain), "[%s] does not name %s", err,
	    plain);
	free(out);
	free(err);
	free(nope);
	free(plain);
	harness_free(h);
}
END_TEST

/* A second corrald on a live socket is refused; the first carries on. */
START_TEST(test_second_daemon_refused)
{
	struct harness	*h;
	char		*err_path, *err;
	pid_t		 pid, second;
	int		 rc;

	h = harness_new("jobs = ( { name = \"web\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "web", "RUNNING", HARNESS_WAIT);
	pid = job_pid(h, "web");

	err_path = harness_path(h, "second.stderr");
	second = harness_daemon_spawn(h, h->config, err_path);
	rc = wait_child_exit(second, HARNESS_WAIT);
	err = file_read(err_path, NULL);
	ck_assert_msg(rc == 1, "second corrald: exit %d [%s]", rc, err);
	ck_assert_msg(contains(err, h->socket), "second corrald: [%s] does "
	    "not name the socket", err);
	free(err);
	free(err_path);

	assert_daemon_alive(h);
	ck_assert(file_exists(h->socket));
	assert_state(h, "web", "RUNNING", 0);
	ck_assert_int_eq(job_pid(h, "web"), pid);
	ck_assert(proc_alive(pid));
	harness_free(h);
}
END_TEST

/* The socket file of a corrald killed with SIGKILL is replaced. */
START_TEST(test_stale_socket)
{
	struct harness	*h;
	struct stat	 sb;
	pid_t		 old_job, new_job;
	int		 status;

	h = harness_new("jobs = ( { name = \"web\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "web", "RUNNING", HARNESS_WAIT);
	old_job = job_pid(h, "web");
	ck_assert_int_gt(old_job, 1);

	ck_assert_int_eq(kill(h->daemon_pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(h->daemon_pid, &status, 0), h->daemon_pid);
	h->daemon_pid = -1;
	h->daemon_status = status;
	/* Its orphaned job is not under test here. */
	kill(old_job, SIGKILL);
	ck_assert_int_eq(lstat(h->socket, &sb), 0);
	ck_assert(S_ISSOCK(sb.st_mode));

	ck_assert_msg(harness_daemon_start(h) == 0,
	    "no new corrald over the stale socket: %s",
	    harness_daemon_log(h));
	assert_state(h, "web", "RUNNING", HARNESS_WAIT);
	new_job = job_pid(h, "web");
	ck_assert_int_gt(new_job, 1);
	ck_assert_int_ne(new_job, old_job);
	harness_free(h);
}
END_TEST

/* ---- the raw protocol ---- */

/* A request line of exactly len bytes, newline included. */
static char *
padded_request(size_t len)
{
	const char	*head = "{\"v\":1,\"cmd\":\"status\",\"pad\":\"";
	const char	*tail = "\"}\n";
	char		*line;
	size_t		 fill;

	fill = len - strlen(head) - strlen(tail);
	line = xmalloc(len + 1);
	strcpy(line, head);
	memset(line + strlen(head), 'x', fill);
	strcpy(line + strlen(head) + fill, tail);
	ck_assert_uint_eq(strlen(line), len);
	return (line);
}

/* Malformed requests get an error; the connection stays usable. */
START_TEST(test_raw_bad_requests)
{
	struct harness	*h;
	int		 fd;

	h = harness_new("jobs = (\n"
	    "  { name = \"web\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; },\n"
	    "  { name = \"idle\"; autostart = false;"
	    " command = [\"sleep\", \"1000\"]; }\n"
	    ");\n");
	fd = raw_connect(h);
	raw_expect(fd, "hello\n", 0, "bad-request");
	raw_expect(fd, "{\"v\":1,\"cmd\":\"status\"}\n", 1, NULL);
	raw_expect(fd, "[1, 2, 3]\n", 0, "bad-request");
	raw_expect(fd, "{\"v\":1}\n", 0, "bad-request");
	raw_expect(fd, "{\"v\":1,\"cmd\":42}\n", 0, "bad-request");
	raw_expect(fd, "{\"v\":1,\"cmd\":\"status\"\n", 0, "bad-request");
	raw_expect(fd, "{\"v\":99,\"cmd\":\"status\"}\n", 0, "bad-version");
	raw_expect(fd, "{\"v\":1,\"cmd\":\"frobnicate\"}\n", 0,
	    "unknown-command");
	raw_expect(fd, "{\"v\":1,\"cmd\":\"stop\",\"jobs\":[\"nosuch\"]}\n",
	    0, "no-such-job");
	raw_expect(fd, "{\"v\":1,\"cmd\":\"stop\",\"jobs\":\"web\"}\n", 0,
	    "bad-request");
	raw_expect(fd, "{\"v\":1,\"cmd\":\"killpg\",\"jobs\":[\"web\"],"
	    "\"signal\":\"NOPE\"}\n", 0, "bad-signal");
	raw_expect(fd, "{\"v\":1,\"cmd\":\"killpg\",\"jobs\":[\"web\"],"
	    "\"signal\":0}\n", 0, "bad-signal");
	raw_expect(fd, "{\"v\":1,\"cmd\":\"status\",\"cmd\":\"status\"}\n",
	    0, "bad-request");
	raw_expect(fd, "\n", 0, "bad-request");
	raw_expect(fd, "{\"v\":1,\"cmd\":\"stop\"}\n", 0, "bad-request");
	raw_expect(fd, "{\"v\":1,\"cmd\":\"wait\",\"jobs\":[\"web\","
	    "\"idle\"]}\n", 0, "bad-request");
	raw_expect(fd, "{\"v\":\"1\",\"cmd\":\"status\"}\n", 0,
	    "bad-request");
	raw_expect(fd, "{\"cmd\":\"pid\",\"jobs\":[\"idle\"]}\n", 0,
	    "not-running");
	/* "v" may be left out. */
	raw_expect(fd, "{\"cmd\":\"pid\",\"jobs\":[\"web\"]}\n", 1, NULL);
	/* Still usable, and the job untouched. */
	raw_expect(fd, "{\"v\":1,\"cmd\":\"status\",\"jobs\":[\"web\"]}\n", 1,
	    NULL);
	close(fd);
	assert_state(h, "web", "RUNNING", 0);
	assert_daemon_alive(h);
	harness_free(h);
}
END_TEST

/*
 * A line of 64 KiB is served; a longer one gets "too-long" and the
 * connection is closed, while other clients are served as usual.
 */
START_TEST(test_raw_too_long)
{
	struct harness	*h;
	json_t		*obj;
	char		*line;
	int		 fd;

	h = harness_new("jobs = ( { name = \"web\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");

	fd = raw_connect(h);
	line = padded_request(LINE_MAX_BYTES);
	raw_expect(fd, line, 1, NULL);
	free(line);
	close(fd);

	fd = raw_connect(h);
	line = padded_request(LINE_MAX_BYTES + 1);
	/* The daemon may close before it has read it all. */
	(void)raw_send(fd, line, strlen(line));
	free(line);
	obj = raw_recv(fd);
	ck_assert(json_is_false(json_object_get(obj, "ok")));
	ck_assert_str_eq(json_string_value(json_object_get(obj, "error")),
	    "too-long");
	json_decref(obj);
	ck_assert_msg(raw_closed(fd), "connection left open after too-long");
	close(fd);

	/* Far too long, with no newline at all. */
	fd = raw_connect(h);
	line = padded_request(4 * LINE_MAX_BYTES);
	(void)raw_send(fd, line, strlen(line) - 1);
	free(line);
	obj = raw_recv(fd);
	ck_assert_str_eq(json_string_value(json_object_get(obj, "error")),
	    "too-long");
	json_decref(obj);
	ck_assert_msg(raw_closed(fd), "connection left open after too-long");
	close(fd);

	ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", NULL), 0);
	assert_state(h, "web", "RUNNING", 0);
	harness_free(h);
}
END_TEST

/* Half a request on one connection does not hold up another client. */
START_TEST(test_raw_half_request)
{
	struct harness	*h;
	double		 t0;
	int		 fd;

	h = harness_new("jobs = ( { name = \"web\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	fd = raw_connect(h);
	raw_send_str(fd, "{\"v\":1,\"cmd\":\"sta");
	t0 = now_mono();
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", NULL), 0);
	ck_assert_msg(now_mono() - t0 < 2.0, "status took %.3f s",
	    now_mono() - t0);
	/* The rest of the line completes the request. */
	raw_expect(fd, "tus\"}\n", 1, NULL);
	close(fd);
	harness_free(h);
}
END_TEST

/*
 * Descriptors sent with a request are closed by corrald, not kept: once
 * the answer has come, the pipe whose read end was sent has no reader.
 */
START_TEST(test_raw_passed_fds_closed)
{
	struct harness	*h;
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	}		 cmsgbuf;
	struct cmsghdr	*cmsg;
	json_t		*obj;
	const char	*req = "{\"v\":1,\"cmd\":\"status\"}\n";
	int		 fd, p1[2], p2[2], fds[2];

	h = harness_new("jobs = ();\n");
	ck_assert_int_eq(pipe(p1), 0);
	ck_assert_int_eq(pipe(p2), 0);
	fds[0] = p1[0];
	fds[1] = p2[0];
	fd = raw_connect(h);
	memset(&msg, 0, sizeof msg);
	memset(&cmsgbuf, 0, sizeof cmsgbuf);
	iov.iov_base = (void *)req;
	iov.iov_len = strlen(req);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof cmsgbuf.buf;
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(cmsg), fds, sizeof fds);
	ck_assert_int_eq(sendmsg(fd, &msg, MSG_NOSIGNAL), (ssize_t)iov.iov_len);
	close(p1[0]);
	close(p2[0]);
	obj = raw_recv(fd);
	ck_assert(json_is_true(json_object_get(obj, "ok")));
	json_decref(obj);

	/* No reader left anywhere: writing fails with EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	ck_assert_msg(write(p1[1], "x", 1) == -1 && errno == EPIPE,
	    "corrald kept a descriptor passed to it");
	ck_assert_msg(write(p2[1], "x", 1) == -1 && errno == EPIPE,
	    "corrald kept a descriptor passed to it");
	close(p1[1]);
	close(p2[1]);
	close(fd);
	assert_daemon_alive(h);
	harness_free(h);
}
END_TEST

Suite *
suite_errors(void)
{
	Suite	*s = suite_create("errors");
	TCase	*tc = harness_tcase("errors");

	tcase_add_test(tc, test_exec_failure);
	tcase_add_test(tc, test_setup_failures);
	tcase_add_test(tc, test_pipeline_exec_failure);
	tcase_add_test(tc, test_config_check);
	tcase_add_test(tc, test_config_error_start);
	tcase_add_test(tc, test_ctl_exit_codes);
	tcase_add_test(tc, test_ctl_unreachable);
	tcase_add_test(tc, test_second_daemon_refused);
	tcase_add_test(tc, test_stale_socket);
	tcase_add_test(tc, test_raw_bad_requests);
	tcase_add_test(tc, test_raw_too_long);
	tcase_add_test(tc, test_raw_half_request);
	tcase_add_test(tc, test_raw_passed_fds_closed);
	suite_add_tcase(s, tc);
	return (s);
}
