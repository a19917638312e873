/*
 * test-session.c -- where a job's processes live and what they start
 * with: the leader in a session and process group of its own under
 * corrald, a `shell` job as /bin/sh itself, a pipeline's stages all in the
 * leader's one session, joined by pipes without a shell, with the result
 * of the last stage (or with pipefail the rightmost failing one); nothing
 * inherited but descriptors 0, 1 and 2, and every signal at its default.
 */

#include "config.h"

#include <sys/types.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "xmalloc.h"

static unsigned long long sig_ignored_mask(pid_t);

/* The leader is session leader and group leader, and corrald's child. */
START_TEST(test_leader_owns_session)
{
	struct harness		*h;
	struct proc_stat	 st;
	pid_t			 pid;
	json_t			*obj;
	char			*out = NULL;

	h = harness_new("jobs = ( { name = \"sleeper\"; "
	    "command = [\"sleep\", \"1000\"]; start_seconds = 0; } );\n");
	assert_state(h, "sleeper", "RUNNING", HARNESS_WAIT);
	pid = job_pid(h, "sleeper");
	ck_assert_int_gt(pid, 1);
	ck_assert_int_eq(proc_read_stat(pid, &st), 0);
	ck_assert_str_eq(st.comm, "sleep");
	ck_assert_int_eq(st.session, pid);
	ck_assert_int_eq(st.pgrp, pid);
	ck_assert_int_eq(st.ppid, h->daemon_pid);

	/* The same pid through `pid` and status's pgid. */
	ck_assert_int_eq(ctl_run(h, &out, NULL, "pid", "sleeper", NULL), 0);
	ck_assert_int_eq(atol(out), pid);
	free(out);
	obj = job_status(h, "sleeper");
	ck_assert_ptr_nonnull(obj);
	ck_assert_int_eq(json_integer_value(json_object_get(obj, "pgid")), pid);
	json_decref(obj);
	harness_free(h);
}
END_TEST

/* Nothing but 0, 1 and 2 is open in a job; stdin is /dev/null. */
START_TEST(test_job_descriptors)
{
	struct harness	*h;
	struct dirent	*de;
	DIR		*d;
	char		 path[64], target[256];
	pid_t		 pid;
	ssize_t		 n;
	int		 fd, seen[3] = { 0, 0, 0 };

	h = harness_new("jobs = ( { name = \"fds\"; "
	    "command = [\"sleep\", \"1000\"]; start_seconds = 0; } );\n");
	assert_state(h, "fds", "RUNNING", HARNESS_WAIT);
	pid = job_pid(h, "fds");
	ck_assert_int_gt(pid, 1);
	snprintf(path, sizeof path, "/proc/%ld/fd", (long)pid);
	ck_assert_ptr_nonnull(d = opendir(path));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		snprintf(path, sizeof path, "/proc/%ld/fd/%d", (long)pid, fd);
		n = readlink(path, target, sizeof target - 1);
		target[n > 0 ? n : 0] = '\0';
		ck_assert_msg(fd >= 0 && fd <= 2,
		    "job inherited descriptor %d (%s)", fd, target);
		seen[fd] = 1;
		if (fd == 0)
			ck_assert_str_eq(target, "/dev/null");
		else
			ck_assert_msg(strncmp(target, "pipe:", 5) == 0,
			    "fd %d is %s, not a log pipe", fd, target);
	}
	closedir(d);
	ck_assert(seen[0] && seen[1] && seen[2]);
	harness_free(h);
}
END_TEST

/* SigIgn of pid from /proc/PID/status, or ~0 if unreadable. */
static unsigned long long
sig_ignored_mask(pid_t pid)
{
	char			*path, *status;
	const char		*p;
	unsigned long long	 mask = ~0ULL;

	xasprintf(&path, "/proc/%ld/status", (long)pid);
	status = file_read(path, NULL);
	if (status != NULL && (p = strstr(status, "SigIgn:")) != NULL &&
	    sscanf(p, "SigIgn: %llx", &mask) != 1)
		mask = ~0ULL;
	free(status);
	free(path);
	return (mask);
}

/* The config of the signal-state tests: the job shows its own. */
static const char *sigstate_config =
    "jobs = ( { name = \"sigs\"; restart = \"no\";\n"
    "  command = [\"grep\", \"-E\", \"^Sig(Blk|Ign):\","
    " \"/proc/self/status\"]; } );\n";

/*
 * A job starts with every signal at its default and none blocked, whatever
 * corrald inherited or uses: the harness starts corrald with SIGQUIT
 * ignored, as nohup would leave SIGHUP.
 */
START_TEST(test_job_signal_state)
{
	struct harness	*h;
	char		*path, *text;
	unsigned long long blk = ~0ULL, ign = ~0ULL;

	h = harness_new(sigstate_config);
	/* corrald does ignore SIGQUIT, so the check below means something. */
	ck_assert_msg(sig_ignored_mask(h->daemon_pid) &
	    (1ULL << (SIGQUIT - 1)), "corrald does not ignore SIGQUIT here");
	assert_state(h, "sigs", "EXITED", HARNESS_WAIT);
	path = harness_path(h, "log/sigs.out");
	ck_assert(wait_file_contains(path, "SigIgn:", HARNESS_WAIT));
	ck_assert(wait_file_contains(path, "\n", HARNESS_WAIT));
	text = file_read(path, NULL);
	ck_assert_int_eq(sscanf(text, "SigBlk: %llx SigIgn: %llx", &blk,
	    &ign), 2);
	ck_assert_msg(blk == 0, "the job starts with signals blocked: %llx",
	    blk);
	/* The standard signals; 32 and up are the next test's. */
	ck_assert_msg((ign & 0x7fffffffULL) == 0,
	    "the job starts with signals ignored: %llx", ign);
	free(text);
	free(path);
	harness_free(h);
}
END_TEST

/*
 * Every signal means signals 32 and 33 too, which glibc reserves for
 * itself: a parent such as GNU make may leave them ignored, and a program
 * not built on glibc would inherit that.
 */
START_TEST(test_job_reserved_signals_default)
{
	struct harness	*h;
	char		*path;

	h = harness_new_stopped(sigstate_config);
	h->ignore_reserved_signals = 1;
	ck_assert_int_eq(harness_daemon_start(h), 0);
	if ((sig_ignored_mask(h->daemon_pid) & (3ULL << 31)) != (3ULL << 31)) {
		/* Not on this architecture: nothing to check. */
		harness_free(h);
		return;
	}
	assert_state(h, "sigs", "EXITED", HARNESS_WAIT);
	path = harness_path(h, "log/sigs.out");
	assert_file_text(path, "SigBlk:\t0000000000000000\n"
	    "SigIgn:\t0000000000000000\n");
	free(path);
	harness_free(h);
}
END_TEST

/* `shell` runs the string with /bin/sh -c, and sh is the leader itself. */
START_TEST(test_shell_job)
{
	struct harness	*h;
	char		*out_path, *out = NULL, *want;
	pid_t		 pid;

	h = harness_new("jobs = (\n"
	    "  { name = \"calc\"; restart = \"no\";\n"
	    "    shell = \"echo shell:$((6 * 7)) $0; echo b a | tr ' ' '\\\\n'"
	    " | sort\"; },\n"
	    "  { name = \"self\"; start_seconds = 0;\n"
	    "    shell = \"echo $$; exec sleep 1000\"; }\n"
	    ");\n");
	assert_state(h, "calc", "EXITED", HARNESS_WAIT);
	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", "calc", NULL), 0);
	ck_assert_str_eq(out, "exit 0\n");
	free(out);
	out_path = harness_path(h, "log/calc.out");
	assert_file_text(out_path, "shell:42 /bin/sh\na\nb\n");
	free(out_path);

	/* $$ of the shell is the job's pid: no process between them. */
	assert_state(h, "self", "RUNNING", HARNESS_WAIT);
	pid = job_pid(h, "self");
	ck_assert_int_gt(pid, 1);
	xasprintf(&want, "%ld\n", (long)pid);
	out_path = harness_path(h, "log/self.out");
	assert_file_text(out_path, want);
	free(want);
	free(out_path);
	harness_free(h);
}
END_TEST

/* Three stages, no shell between them: exactly the pipeline's output. */
START_TEST(test_pipeline_output)
{
	struct harness	*h;
	char		*out_path, *out = NULL;

	h = harness_new("jobs = ( { name = \"ips\"; restart = \"no\";\n"
	    "  pipeline = ([\"sh\", \"-c\", \"echo a; echo IP:1; echo IP:2\"],"
	    " [\"grep\", \"IP\"], [\"cut\", \"-d:\", \"-f2\"]); } );\n");
	assert_state(h, "ips", "EXITED", HARNESS_WAIT);
	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", "ips", NULL), 0);
	ck_assert_str_eq(out, "exit 0\n");
	free(out);
	out_path = harness_path(h, "log/ips.out");
	assert_file_text(out_path, "1\n2\n");
	free(out_path);
	harness_free(h);
}
END_TEST

/*
 * A running pipeline: every stage in the leader's session and group, a
 * child of corrald, running the right program; stop empties the session.
 */
START_TEST(test_pipeline_session)
{
	struct harness		*h;
	struct proc_stat	 st;
	pid_t			 stages[8], members[16], pid;
	const char		*progs[3] = { "sleep", "grep", "sed" };
	const char		*argvs[3] = { "sleep 1000",
				    "grep --line-buffered IP",
				    "sed -u s/^IP://" };
	char			*cmdline, *out_path;
	u_int			 n, i, j;
	int			 found;

	h = harness_new("jobs = ( { name = \"pipe\"; start_seconds = 0;\n"
	    "  pipeline = ([\"sh\", \"-c\", \"echo IP:1; exec sleep 1000\"],"
	    " [\"grep\", \"--line-buffered\", \"IP\"],"
	    " [\"sed\", \"-u\", \"s/^IP://\"]); } );\n");
	assert_state(h, "pipe", "RUNNING", HARNESS_WAIT);
	pid = job_pid(h, "pipe");
	ck_assert_int_gt(pid, 1);
	n = job_stage_pids(h, "pipe", stages, 8);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(stages[0], pid);
	out_path = harness_path(h, "log/pipe.out");
	assert_file_text(out_path, "1\n");
	free(out_path);

	for (i = 0; i < n; i++) {
		ck_assert_int_gt(stages[i], 1);
		ck_assert_msg(proc_read_stat(stages[i], &st) == 0,
		    "stage %u (pid %ld) is gone", i + 1, (long)stages[i]);
		ck_assert_str_eq(st.comm, progs[i]);
		cmdline = proc_cmdline(stages[i]);
		ck_assert_ptr_nonnull(cmdline);
		ck_assert_str_eq(cmdline, argvs[i]);
		free(cmdline);
		ck_assert_int_eq(st.session, pid);
		ck_assert_int_eq(st.pgrp, pid);
		ck_assert_int_eq(st.ppid, h->daemon_pid);
	}
	/* The session holds the three stages and nothing else. */
	ck_assert_uint_eq(proc_list_session(pid, members, 16), 3);
	for (i = 0; i < 3; i++) {
		found = 0;
		for (j = 0; j < 3; j++)
			found |= (members[i] == stages[j]);
		ck_assert_msg(found, "pid %ld in the session is no stage",
		    (long)members[i]);
	}

	ck_assert_int_eq(ctl_run(h, NULL, NULL, "stop", "pipe", NULL), 0);
	assert_state(h, "pipe", "STOPPED", 1.0);
	ck_assert_msg(wait_session_empty(pid, HARNESS_WAIT),
	    "pipeline session %ld not empty after stop", (long)pid);
	harness_free(h);
}
END_TEST

/*
 * A stage that writes into a closed pipe dies of SIGPIPE, as in a shell:
 * the job's signals start from their defaults.  The run's result is the
 * last stage's, or with pipefail the rightmost failing one's.
 */
START_TEST(test_pipeline_sigpipe)
{
	struct harness	*h;
	char		*out_path, *out = NULL;
	json_t		*obj, *stages;

	h = harness_new("jobs = (\n"
	    "  { name = \"yes3\"; restart = \"no\";\n"
	    "    pipeline = ([\"yes\"], [\"head\", \"-n\", \"3\"]); },\n"
	    "  { name = \"yesfail\"; restart = \"no\"; pipefail = true;\n"
	    "    pipeline = ([\"yes\"], [\"head\", \"-n\", \"3\"]); }\n"
	    ");\n");
	assert_state(h, "yes3", "EXITED", HARNESS_WAIT);
	assert_state(h, "yesfail", "EXITED", HARNESS_WAIT);
	out_path = harness_path(h, "log/yes3.out");
	assert_file_text(out_path, "y\ny\ny\n");
	free(out_path);

	obj = job_status(h, "yes3");
	ck_assert_ptr_nonnull(obj);
	stages = json_object_get(obj, "stages");
	ck_assert_uint_eq(json_array_size(stages), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    stages, 0), "result")), "signal 13 (PIPE)");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    stages, 1), "result")), "exit 0");
	json_decref(obj);

	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", "yes3", NULL), 0);
	ck_assert_str_eq(out, "exit 0\n");
	free(out);
	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", "yesfail", NULL),
	    128 + 13);
	ck_assert_str_eq(out, "signal 13 (PIPE)\n");
	free(out);
	harness_free(h);
}
END_TEST

/* Without pipefail a failing first stage does not fail the run. */
START_TEST(test_pipeline_pipefail)
{
	struct harness	*h;
	char		*out = NULL;

	h = harness_new("jobs = (\n"
	    "  { name = \"last\"; restart = \"no\";\n"
	    "    pipeline = ([\"sh\", \"-c\", \"exit 5\"], [\"cat\"]); },\n"
	    "  { name = \"fail\"; restart = \"no\"; pipefail = true;\n"
	    "    pipeline = ([\"sh\", \"-c\", \"exit 5\"], [\"cat\"]); }\n"
	    ");\n");
	assert_state(h, "last", "EXITED", HARNESS_WAIT);
	assert_state(h, "fail", "EXITED", HARNESS_WAIT);
	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", "last", NULL), 0);
	ck_assert_str_eq(out, "exit 0\n");
	free(out);
	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", "fail", NULL), 5);
	ck_assert_str_eq(out, "exit 5\n");
	free(out);
	harness_free(h);
}
END_TEST

Suite *
suite_session(void)
{
	Suite	*s = suite_create("session");
	TCase	*tc = harness_tcase("session");

	tcase_add_test(tc, test_leader_owns_session);
	tcase_add_test(tc, test_job_descriptors);
	tcase_add_test(tc, test_job_signal_state);
	tcase_add_test(tc, test_job_reserved_signals_default);
	tcase_add_test(tc, test_shell_job);
	tcase_add_test(tc, test_pipeline_output);
	tcase_add_test(tc, test_pipeline_session);
	tcase_add_test(tc, test_pipeline_sigpipe);
	tcase_add_test(tc, test_pipeline_pipefail);
	suite_add_tcase(s, tc);
	return (s);
}
