/*
 * test-output.c -- what a job is given and where its output goes: argv
 * passed literally, stdout and stderr in their own log files or merged in
 * write order or thrown away, stdin from a file, the environment (without
 * corrald's own variables), the working directory and `executable` as
 * configured; every byte of a large output kept, bytes still in a pipe
 * written out at shutdown, and logs reopened on SIGUSR1.
 */

#include "config.h"

#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "xmalloc.h"

static void	assert_exits_zero(struct harness *, const char *);
static int	env_sets(const char *, const char *);
static char	*seq_text(u_int, size_t *);

/* Run a job that ends by itself and check it ended with "exit 0". */
static void
assert_exits_zero(struct harness *h, const char *job)
{
	char	*out = NULL, *err = NULL;
	int	 rc;

	assert_state(h, job, "EXITED", HARNESS_WAIT);
	rc = ctl_run(h, &out, &err, "wait", job, NULL);
	ck_assert_msg(rc == 0, "wait %s: %d, [%s] [%s]", job, rc, out, err);
	ck_assert_str_eq(out, "exit 0\n");
	free(out);
	free(err);
}

/* No shell sees a `command`: quotes, $(...), globs are plain text. */
START_TEST(test_argv_literal)
{
	struct harness	*h;
	char		*path;

	h = harness_new_stopped(NULL);
	/* Something for a stray glob to match. */
	path = harness_path(h, "globme");
	file_write(path, "");
	free(path);
	harness_write_config(h, "jobs = ( { name = \"lit\"; restart = \"no\";\n"
	    "  command = [\"/bin/echo\", \"$(id); touch X\", \"*\","
	    " \"`touch Y`\", \"a  b\", \"'q'\", \"\\\"dq\\\"\", \"\"]; } );\n");
	ck_assert_int_eq(harness_daemon_start(h), 0);
	assert_exits_zero(h, "lit");
	path = harness_path(h, "log/lit.out");
	assert_file_text(path,
	    "$(id); touch X * `touch Y` a  b 'q' \"dq\" \n");
	free(path);
	path = harness_path(h, "X");
	ck_assert_msg(!file_exists(path), "X was created: a shell ran");
	free(path);
	path = harness_path(h, "Y");
	ck_assert_msg(!file_exists(path), "Y was created: a shell ran");
	free(path);
	harness_free(h);
}
END_TEST

/* By default stdout and stderr go to log_dir/NAME.out and NAME.err. */
START_TEST(test_separate_logs)
{
	struct harness	*h;
	struct stat	 sb;
	char		*path;

	h = harness_new("jobs = ( { name = \"two\"; restart = \"no\";\n"
	    "  shell = \"echo out1; echo err1 >&2; echo out2; echo err2 >&2\";"
	    " } );\n");
	assert_exits_zero(h, "two");
	path = harness_path(h, "log/two.out");
	assert_file_text(path, "out1\nout2\n");
	free(path);
	path = harness_path(h, "log/two.err");
	assert_file_text(path, "err1\nerr2\n");
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_msg((sb.st_mode & 0777) == 0640, "log mode %o, not 640",
	    (u_int)(sb.st_mode & 0777));
	free(path);
	harness_free(h);
}
END_TEST

/*
 * stderr = "stdout" merges both into one file in the order written.  The
 * job alternates single writes to 1 and 2; with one pipe shared by both
 * the order is exact.
 */
START_TEST(test_stderr_merged)
{
	struct harness	*h;
	char		*path, *want, *p;
	u_int		 i;

	h = harness_new("jobs = ( { name = \"mix\"; restart = \"no\";"
	    " stderr = \"stdout\";\n"
	    "  shell = \"i=0; while [ $i -lt 50 ]; do echo out$i;"
	    " echo err$i >&2; i=$((i + 1)); done\"; } );\n");
	assert_exits_zero(h, "mix");
	want = xcalloc(50, 16);
	for (i = 0, p = want; i < 50; i++)
		p += sprintf(p, "out%u\nerr%u\n", i, i);
	path = harness_path(h, "log/mix.out");
	assert_file_text(path, want);
	free(path);
	free(want);
	path = harness_path(h, "log/mix.err");
	ck_assert_msg(!file_exists(path), "mix.err exists with merged stderr");
	free(path);
	harness_free(h);
}
END_TEST

/* stdout = "null": no file, nothing kept; stderr still logged. */
START_TEST(test_stdout_null)
{
	struct harness	*h;
	char		*path;

	h = harness_new("jobs = (\n"
	    "  { name = \"quiet\"; restart = \"no\"; stdout = \"null\";\n"
	    "    shell = \"echo hidden; echo visible >&2\"; },\n"
	    "  { name = \"mute\"; restart = \"no\"; stdout = \"null\";"
	    " stderr = \"null\";\n"
	    "    shell = \"echo hidden; echo hidden >&2\"; }\n"
	    ");\n");
	assert_exits_zero(h, "quiet");
	assert_exits_zero(h, "mute");
	path = harness_path(h, "log/quiet.err");
	assert_file_text(path, "visible\n");
	free(path);
	path = harness_path(h, "log/quiet.out");
	ck_assert_msg(!file_exists(path), "quiet.out exists");
	free(path);
	path = harness_path(h, "log/mute.out");
	ck_assert_msg(!file_exists(path), "mute.out exists");
	free(path);
	path = harness_path(h, "log/mute.err");
	ck_assert_msg(!file_exists(path), "mute.err exists");
	free(path);
	harness_free(h);
}
END_TEST

/* stdout and stderr to files named in the config, appended to. */
START_TEST(test_stdout_path)
{
	struct harness	*h;
	char		*path;

	h = harness_new_stopped(NULL);
	path = harness_path(h, "custom.out");
	file_write(path, "before\n");
	free(path);
	harness_write_config(h, "jobs = ( { name = \"own\"; restart = \"no\";"
	    " stdout = \"custom.out\"; stderr = \"custom.err\";\n"
	    "  shell = \"echo after; echo oops >&2\"; } );\n");
	ck_assert_int_eq(harness_daemon_start(h), 0);
	assert_exits_zero(h, "own");
	path = harness_path(h, "custom.out");
	assert_file_text(path, "before\nafter\n");
	free(path);
	path = harness_path(h, "custom.err");
	assert_file_text(path, "oops\n");
	free(path);
	path = harness_path(h, "log/own.out");
	ck_assert_msg(!file_exists(path), "own.out exists");
	free(path);
	harness_free(h);
}
END_TEST

/* stdin from a file; by default /dev/null (cat ends at once). */
START_TEST(test_stdin_file)
{
	struct harness	*h;
	char		*path;

	h = harness_new_stopped(NULL);
	path = harness_path(h, "in.txt");
	file_write(path, "line one\nline two\n\tlast, no newline");
	free(path);
	harness_write_config(h, "jobs = (\n"
	    "  { name = \"cat\"; restart = \"no\"; command = [\"cat\"];"
	    " stdin = \"in.txt\"; },\n"
	    "  { name = \"nullcat\"; restart = \"no\"; command = [\"cat\"]; }\n"
	    ");\n");
	ck_assert_int_eq(harness_daemon_start(h), 0);
	assert_exits_zero(h, "cat");
	assert_exits_zero(h, "nullcat");
	path = harness_path(h, "log/cat.out");
	assert_file_text(path, "line one\nline two\n\tlast, no newline");
	free(path);
	path = harness_path(h, "log/nullcat.out");
	assert_file_text(path, "");
	free(path);
	harness_free(h);
}
END_TEST

/*
 * `environment` adds to (and overrides) corrald's environment, which the
 * harness tags; clear_environment starts from nothing.
 */
START_TEST(test_environment)
{
	struct harness	*h;
	char		*path, *want;

	h = harness_new("jobs = (\n"
	    "  { name = \"inherit\"; restart = \"no\";\n"
	    "    environment = { FOO = \"bar baz\"; EMPTY = \"\"; };\n"
	    "    shell = \"echo \\\"FOO=[$FOO] EMPTY=[${EMPTY-unset}]"
	    " TAG=[$" HARNESS_TAG_VAR "]\\\"\"; },\n"
	    "  { name = \"override\"; restart = \"no\";\n"
	    "    environment = { " HARNESS_TAG_VAR " = \"over\"; };\n"
	    "    command = [\"/bin/sh\", \"-c\", \"env | grep -c '^"
	    HARNESS_TAG_VAR "='; echo $" HARNESS_TAG_VAR "\"]; },\n"
	    "  { name = \"clean\"; restart = \"no\";\n"
	    "    clear_environment = true;\n"
	    "    environment = { ONLY = \"this\"; };\n"
	    "    command = [\"/usr/bin/env\"]; },\n"
	    "  { name = \"empty\"; restart = \"no\";\n"
	    "    clear_environment = true;\n"
	    "    command = [\"/usr/bin/env\"]; },\n"
	    /* No PATH: programs are still found, in a default one. */
	    "  { name = \"nopath\"; restart = \"no\";\n"
	    "    clear_environment = true;\n"
	    "    command = [\"env\"]; }\n"
	    ");\n");
	assert_exits_zero(h, "inherit");
	assert_exits_zero(h, "override");
	assert_exits_zero(h, "clean");
	assert_exits_zero(h, "empty");
	assert_exits_zero(h, "nopath");

	path = harness_path(h, "log/inherit.out");
	xasprintf(&want, "FOO=[bar baz] EMPTY=[] TAG=[%s]\n", h->dir);
	assert_file_text(path, want);
	free(want);
	free(path);
	path = harness_path(h, "log/override.out");
	assert_file_text(path, "1\nover\n");
	free(path);
	path = harness_path(h, "log/clean.out");
	assert_file_text(path, "ONLY=this\n");
	free(path);
	path = harness_path(h, "log/empty.out");
	assert_file_text(path, "");
	free(path);
	path = harness_path(h, "log/nopath.out");
	assert_file_text(path, "");
	free(path);
	harness_free(h);
}
END_TEST

/* Does the output of env(1) set name? */
static int
env_sets(const char *env, const char *name)
{
	const char	*p;
	size_t		 len = strlen(name);

	for (p = env; p != NULL; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, name, len) == 0 && p[len] == '=')
			return (1);
	}
	return (0);
}

/*
 * corrald's own variables (systemd's and CORRAL_SOCKET) are not passed on
 * to jobs; everything else is.
 */
START_TEST(test_environment_hidden)
{
	struct harness	*h;
	const char	*hidden[] = { "NOTIFY_SOCKET", "CORRAL_SOCKET",
			    "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDNAMES",
			    NULL };
	char		*path, *env, *notify;
	u_int		 i;

	h = harness_new_stopped("jobs = ( { name = \"env\"; restart = \"no\";"
	    " command = [\"/usr/bin/env\"]; } );\n");
	/* No one listens there: corrald's messages are simply lost. */
	notify = harness_path(h, "no-notify.sock");
	harness_setenv(h, "NOTIFY_SOCKET", notify);
	free(notify);
	harness_setenv(h, "CORRAL_SOCKET", "/nonexistent/corrald.sock");
	harness_setenv(h, "WATCHDOG_USEC", "600000000");
	harness_setenv(h, "WATCHDOG_PID", "1");
	harness_setenv(h, "LISTEN_FDNAMES", "ctl");
	harness_setenv(h, "KEEP_ME", "yes");
	ck_assert_int_eq(harness_daemon_start(h), 0);
	assert_exits_zero(h, "env");
	path = harness_path(h, "log/env.out");
	ck_assert(wait_file_contains(path, "KEEP_ME=yes\n", HARNESS_WAIT));
	env = file_read(path, NULL);
	for (i = 0; hidden[i] != NULL; i++)
		ck_assert_msg(!env_sets(env, hidden[i]), "the job got %s",
		    hidden[i]);
	ck_assert(env_sets(env, HARNESS_TAG_VAR));
	free(env);
	free(path);
	harness_free(h);
}
END_TEST

/* directory: relative to the config file; the config's own by default. */
START_TEST(test_directory)
{
	struct harness	*h;
	char		*path, *want;

	h = harness_new_stopped(NULL);
	path = harness_path(h, "sub");
	ck_assert_int_eq(mkdir(path, 0755), 0);
	free(path);
	harness_write_config(h, "jobs = (\n"
	    "  { name = \"insub\"; restart = \"no\"; directory = \"sub\";\n"
	    "    command = [\"/bin/pwd\", \"-P\"]; },\n"
	    "  { name = \"abs\"; restart = \"no\"; directory = \"/\";\n"
	    "    command = [\"/bin/pwd\", \"-P\"]; },\n"
	    "  { name = \"default\"; restart = \"no\";\n"
	    "    command = [\"/bin/pwd\", \"-P\"]; },\n"
	    /* A relative program is looked up after the chdir. */
	    "  { name = \"rel\"; restart = \"no\"; directory = \"sub\";\n"
	    "    command = [\"./hello.sh\"]; }\n"
	    ");\n");
	path = harness_path(h, "sub/hello.sh");
	file_write(path, "#!/bin/sh\necho hello from sub\n");
	ck_assert_int_eq(chmod(path, 0755), 0);
	free(path);
	ck_assert_int_eq(harness_daemon_start(h), 0);
	assert_exits_zero(h, "insub");
	assert_exits_zero(h, "abs");
	assert_exits_zero(h, "default");
	assert_exits_zero(h, "rel");

	path = harness_path(h, "log/insub.out");
	xasprintf(&want, "%s/sub\n", h->dir);
	assert_file_text(path, want);
	free(want);
	free(path);
	path = harness_path(h, "log/abs.out");
	assert_file_text(path, "/\n");
	free(path);
	path = harness_path(h, "log/default.out");
	xasprintf(&want, "%s\n", h->dir);
	assert_file_text(path, want);
	free(want);
	free(path);
	path = harness_path(h, "log/rel.out");
	assert_file_text(path, "hello from sub\n");
	free(path);
	harness_free(h);
}
END_TEST

/* executable is what runs; argv[0] is still passed as given. */
START_TEST(test_executable)
{
	struct harness	*h;
	char		*path;

	h = harness_new("jobs = (\n"
	    "  { name = \"mysh\"; restart = \"no\"; executable = \"/bin/sh\";\n"
	    "    command = [\"mysh\", \"-c\", \"echo $0 $1\", \"mysh\","
	    " \"arg1\"]; },\n"
	    "  { name = \"byname\"; restart = \"no\"; executable = \"sh\";\n"
	    "    command = [\"fancy-name\", \"-c\", \"echo $0\"]; }\n"
	    ");\n");
	assert_exits_zero(h, "mysh");
	assert_exits_zero(h, "byname");
	path = harness_path(h, "log/mysh.out");
	assert_file_text(path, "mysh arg1\n");
	free(path);
	path = harness_path(h, "log/byname.out");
	assert_file_text(path, "fancy-name\n");
	free(path);
	harness_free(h);
}
END_TEST

/* Every stage of a pipeline writes its stderr to the job's stderr log. */
START_TEST(test_pipeline_stderr)
{
	struct harness	*h;
	char		*path, *err;
	size_t		 len;

	h = harness_new("jobs = ( { name = \"pipe\"; restart = \"no\";\n"
	    "  pipeline = ([\"sh\", \"-c\", \"echo e1 >&2; echo data\"],"
	    " [\"sh\", \"-c\", \"cat; echo e2 >&2\"],"
	    " [\"sh\", \"-c\", \"cat; echo e3 >&2\"]); } );\n");
	assert_exits_zero(h, "pipe");
	path = harness_path(h, "log/pipe.out");
	assert_file_text(path, "data\n");
	free(path);
	path = harness_path(h, "log/pipe.err");
	ck_assert(wait_file_size(path, 9, HARNESS_WAIT));
	err = file_read(path, &len);
	ck_assert_uint_eq(len, 9);
	ck_assert_msg(contains(err, "e1\n") && contains(err, "e2\n") &&
	    contains(err, "e3\n"), "pipe.err: [%s]", err);
	free(err);
	free(path);
	harness_free(h);
}
END_TEST

/*
 * SIGUSR1 reopens every log by its path: after the file was moved away,
 * what the job writes next goes to a new file, nothing to the old one.
 */
START_TEST(test_reopen_logs)
{
	struct harness	*h;
	char		*tick, *log, *moved;

	h = harness_new("jobs = ( { name = \"ticker\"; start_seconds = 0;\n"
	    "  shell = \"i=0; while :; do if [ -e tick ]; then rm tick;"
	    " i=$((i + 1)); echo line$i; fi; sleep 0.01; done\"; } );\n");
	tick = harness_path(h, "tick");
	log = harness_path(h, "log/ticker.out");
	moved = harness_path(h, "log/ticker.out.1");
	assert_state(h, "ticker", "RUNNING", HARNESS_WAIT);
	file_write(tick, "");
	assert_file_text(log, "line1\n");

	ck_assert_int_eq(rename(log, moved), 0);
	ck_assert_int_eq(kill(h->daemon_pid, SIGUSR1), 0);
	ck_assert_msg(wait_until(file_exists_pred, log, HARNESS_WAIT),
	    "the log was not reopened");
	file_write(tick, "");
	assert_file_text(log, "line2\n");
	assert_file_text(moved, "line1\n");
	free(tick);
	free(log);
	free(moved);
	harness_free(h);
}
END_TEST

/* The lines seq 1 N prints. */
static char *
seq_text(u_int n, size_t *lenp)
{
	char	*text, *p;
	u_int	 i;

	text = xmalloc((size_t)n * 12 + 1);
	for (i = 1, p = text; i <= n; i++)
		p += sprintf(p, "%u\n", i);
	*lenp = (size_t)(p - text);
	return (text);
}

/*
 * A log holds every byte: more than a megabyte on each of stdout and
 * stderr, written as fast as the job can, nothing lost or reordered.
 */
START_TEST(test_large_output)
{
	struct harness	*h;
	char		*path, *want, *got;
	size_t		 len, got_len;

	h = harness_new("jobs = ( { name = \"big\"; restart = \"no\";\n"
	    "  shell = \"seq 1 200000; seq 1 200000 >&2\"; } );\n");
	want = seq_text(200000, &len);
	ck_assert_uint_gt(len, 1024 * 1024);
	assert_exits_zero(h, "big");

	path = harness_path(h, "log/big.out");
	ck_assert_msg(wait_file_size(path, (off_t)len, HARNESS_WAIT),
	    "big.out: %lld bytes, want %zu", (long long)file_size(path), len);
	got = file_read(path, &got_len);
	ck_assert_uint_eq(got_len, len);
	ck_assert_msg(memcmp(got, want, len) == 0, "big.out differs");
	free(got);
	free(path);

	path = harness_path(h, "log/big.err");
	ck_assert_msg(wait_file_size(path, (off_t)len, HARNESS_WAIT),
	    "big.err: %lld bytes, want %zu", (long long)file_size(path), len);
	got = file_read(path, &got_len);
	ck_assert_uint_eq(got_len, len);
	ck_assert_msg(memcmp(got, want, len) == 0, "big.err differs");
	free(got);
	free(path);
	free(want);
	harness_free(h);
}
END_TEST

/*
 * Output still in the pipe when corrald is told to stop is in the log when
 * it has exited.  corrald is held stopped (SIGSTOP) while the job writes,
 * so the bytes are surely unread when SIGTERM arrives.
 */
START_TEST(test_output_drained_at_shutdown)
{
	struct harness	*h;
	char		*path, *want, *got;
	size_t		 len, got_len;

	h = harness_new("jobs = ( { name = \"burst\"; start_seconds = 0;\n"
	    "  shell = \"while [ ! -e go ]; do sleep 0.01; done;"
	    " seq 1 10000; touch written; exec sleep 1000\"; } );\n");
	assert_state(h, "burst", "RUNNING", HARNESS_WAIT);
	harness_track(h, job_pid(h, "burst"));
	want = seq_text(10000, &len);
	/* All of it fits in a pipe: the job never waits for corrald. */
	ck_assert_uint_lt(len, 60000);

	ck_assert_int_eq(kill(h->daemon_pid, SIGSTOP), 0);
	path = harness_path(h, "go");
	file_write(path, "");
	free(path);
	path = harness_path(h, "written");
	if (!wait_until(file_exists_pred, path, HARNESS_WAIT)) {
		kill(h->daemon_pid, SIGCONT);
		ck_abort_msg("the job did not write its output");
	}
	free(path);
	ck_assert_int_eq(kill(h->daemon_pid, SIGTERM), 0);
	ck_assert_int_eq(kill(h->daemon_pid, SIGCONT), 0);
	ck_assert_int_eq(harness_daemon_wait_exit(h, HARNESS_WAIT), 0);

	path = harness_path(h, "log/burst.out");
	got = file_read(path, &got_len);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got_len, len);
	ck_assert(memcmp(got, want, len) == 0);
	free(got);
	free(want);
	free(path);
	harness_free(h);
}
END_TEST

Suite *
suite_output(void)
{
	Suite	*s = suite_create("output");
	TCase	*tc = harness_tcase("output");

	tcase_add_test(tc, test_argv_literal);
	tcase_add_test(tc, test_separate_logs);
	tcase_add_test(tc, test_stderr_merged);
	tcase_add_test(tc, test_stdout_null);
	tcase_add_test(tc, test_stdout_path);
	tcase_add_test(tc, test_stdin_file);
	tcase_add_test(tc, test_environment);
	tcase_add_test(tc, test_environment_hidden);
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_executable);
	tcase_add_test(tc, test_pipeline_stderr);
	tcase_add_test(tc, test_large_output);
	tcase_add_test(tc, test_reopen_logs);
	tcase_add_test(tc, test_output_drained_at_shutdown);
	suite_add_tcase(s, tc);
	return (s);
}
