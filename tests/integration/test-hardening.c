/*
 * test-hardening.c -- corrald under hostile clients, faults and load:
 * hundreds of idle connections, a client that never reads its answers,
 * running out of descriptors, bad signals; what a job inherits (only
 * descriptors 0, 1 and 2, with a hundred jobs running) and runs as (user,
 * group, limits); the control socket's rights; and a corrald killed with
 * SIGKILL and started again, which must leave exactly one instance of
 * each job.  After each attack, status still answers and no job has
 * changed its pid.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "xmalloc.h"

/* status answers, fast, and the job still has the pid it had. */
static void
assert_unharmed(struct harness *h, const char *job, pid_t pid)
{
	check_status_prompt(h, 1);
	ck_assert_int_eq(job_pid(h, job), pid);
}

/* The descriptors open in pid, as numbers; returns how many. */
static u_int
proc_fds(pid_t pid, int *fds, u_int max)
{
	DIR		*dir;
	struct dirent	*de;
	char		 path[64];
	u_int		 n = 0;

	snprintf(path, sizeof path, "/proc/%ld/fd", (long)pid);
	if ((dir = opendir(path)) == NULL)
		return (0);
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n < max)
			fds[n] = atoi(de->d_name);
		n++;
	}
	closedir(dir);
	return (n);
}

/* utime + stime of pid, in clock ticks. */
static unsigned long
proc_cpu_ticks(pid_t pid)
{
	char		 path[64], buf[1024], *p;
	unsigned long	 utime = 0, stime = 0;
	ssize_t		 n;
	int		 fd;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return (0);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) != NULL)
		sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
		    "%lu %lu", &utime, &stime);
	return (utime + stime);
}

/* Hundreds of connections that say nothing harm no one. */
START_TEST(test_idle_connections)
{
	struct harness	*h;
	int		 fds[300], i;
	pid_t		 pid;

	h = harness_new("jobs = ( { name = \"web\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "web", "RUNNING", HARNESS_WAIT);
	pid = job_pid(h, "web");
	for (i = 0; i < 300; i++)
		ck_assert_int_ne(fds[i] = raw_connect(h), -1);
	assert_unharmed(h, "web", pid);
	for (i = 0; i < 300; i++)
		close(fds[i]);
	assert_unharmed(h, "web", pid);
	harness_free(h);
}
END_TEST

/*
 * A client that sends request after request and never reads the answers
 * is read no more once its answers pile up, then dropped; others are
 * served all along.
 */
START_TEST(test_client_never_reads)
{
	struct harness	*h;
	char		 req[] = "{\"v\":1,\"cmd\":\"status\"}\n";
	char		 buf[65536];
	double		 deadline;
	size_t		 sent = 0;
	ssize_t		 n;
	int		 fd, flags, dropped = 0;
	pid_t		 pid;
	struct pollfd	 pfd;

	h = harness_new("jobs = ( { name = \"web\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; } );\n");
	assert_state(h, "web", "RUNNING", HARNESS_WAIT);
	pid = job_pid(h, "web");
	fd = raw_connect(h);
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	/*
	 * Until the daemon stops reading: our send buffer fills and stays
	 * full.  A slow daemon (under valgrind) may take a while to read
	 * what is queued, so "stays" means for two seconds.
	 */
	deadline = now_mono() + HARNESS_WAIT;
	while (now_mono() < deadline) {
		n = send(fd, req, sizeof req - 1, MSG_NOSIGNAL);
		if (n == -1 && errno == EAGAIN) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, 2000) == 0)
				break;
			continue;
		}
		ck_assert_int_gt(n, 0);
		sent += (size_t)n;
	}
	ck_assert_msg(sent > 0 && now_mono() < deadline,
	    "the daemon read everything sent without answering being read");
	assert_unharmed(h, "web", pid);
	/* Reading nothing, it is dropped... */
	ck_assert(wait_file_contains(h->daemon_err,
	    "does not read its answers: closing", 20));
	/* ...so its reads end, after what was queued, in EOF. */
	deadline = now_mono() + HARNESS_WAIT;
	while (!dropped && now_mono() < deadline) {
		n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			dropped = 1;
		else if (n == -1)
			pause_ms(20);
	}
	ck_assert_msg(dropped, "a client that never reads was not closed");
	close(fd);
	assert_unharmed(h, "web", pid);
	harness_free(h);
}
END_TEST

/* Bad signals are refused, by corralctl and by the daemon. */
START_TEST(test_bad_signals)
{
	struct harness	*h;
	int		 fd;

	h = harness_new("jobs = (\n"
	    "  { name = \"web\"; start_seconds = 0;"
	    " command = [\"sleep\", \"1000\"]; },\n"
	    "  { name = \"done\"; restart = \"no\"; command = [\"true\"]; }\n"
	    ");\n");
	assert_state(h, "web", "RUNNING", HARNESS_WAIT);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "signal", "0", "web", NULL), 2);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "signal", "-9", "web", NULL),
	    2);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "signal", "999", "web", NULL),
	    2);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "killpg", "NOPE", "web",
	    NULL), 2);
	fd = raw_connect(h);
	raw_expect(fd, "{\"cmd\":\"signal\",\"signal\":0,\"jobs\":[\"web\"]}\n",
	    0, "bad-signal");
	raw_expect(fd, "{\"cmd\":\"killpg\",\"signal\":-1,\"jobs\":[\"web\"]}\n",
	    0, "bad-signal");
	raw_expect(fd, "{\"cmd\":\"signal\",\"signal\":65,\"jobs\":[\"web\"]}\n",
	    0, "bad-signal");
	raw_expect(fd, "{\"cmd\":\"signal\",\"signal\":\"SIGFOO\","
	    "\"jobs\":[\"web\"]}\n", 0, "bad-signal");
	raw_expect(fd, "{\"cmd\":\"signal\",\"signal\":[9],\"jobs\":[\"web\"]}\n",
	    0, "bad-signal");
	/* A job whose run has ended is not running: never signalled. */
	assert_state(h, "done", "EXITED", HARNESS_WAIT);
	raw_expect(fd, "{\"cmd\":\"signal\",\"signal\":\"TERM\","
	    "\"jobs\":[\"done\"]}\n", 0, "not-running");
	raw_expect(fd, "{\"cmd\":\"killpg\",\"signal\":\"KILL\","
	    "\"jobs\":[\"done\"]}\n", 0, "not-running");
	close(fd);
	ck_assert(proc_alive(job_pid(h, "web")));
	harness_free(h);
}
END_TEST

/* A hundred jobs running: each has exactly descriptors 0, 1 and 2. */
START_TEST(test_job_fds_many_jobs)
{
	struct harness	*h;
	char		*text, *more, name[16];
	int		 fds[16], i;
	u_int		 n, k;
	pid_t		 pid;

	text = xstrdup("jobs = (\n");
	for (i = 0; i < 100; i++) {
		xasprintf(&more, "%s  { name = \"j%d\"; start_seconds = 0;"
		    " command = [\"sleep\", \"1000\"]; }%s\n", text, i,
		    i < 99 ? "," : "");
		free(text);
		text = more;
	}
	xasprintf(&more, "%s);\n", text);
	free(text);
	h = harness_new(more);
	free(more);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "j%d", i);
		assert_state(h, name, "RUNNING", HARNESS_WAIT);
		pid = job_pid(h, name);
		n = proc_fds(pid, fds, 16);
		ck_assert_msg(n == 3, "%s has %u descriptors", name, n);
		for (k = 0; k < n; k++)
			ck_assert_msg(fds[k] >= 0 && fds[k] <= 2,
			    "%s has descriptor %d", name, fds[k]);
	}
	harness_free(h);
}
END_TEST

/* user and group: all four uids and gids, and the groups, as asked. */
START_TEST(test_user_group_drop)
{
	struct harness	*h;
	char		*out, *path, *conf;
	struct passwd	*pw;
	int		 valgrind;

	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL) {
		fprintf(stderr, "skipped: needs root and user nobody\n");
		return;
	}
	/*
	 * valgrind refuses to change RLIMIT_NOFILE in the forked child
	 * before its exec (EPERM): the limit is left out under it.
	 */
	valgrind = getenv("CORRAL_TEST_VALGRIND") != NULL;
	xasprintf(&conf, "jobs = ( { name = \"drop\"; user = \"nobody\";"
	    " group = \"daemon\"; umask = \"077\"; %s"
	    " restart = \"no\"; directory = \"/\";\n"
	    "  shell = \"grep -E '^(Uid|Gid|Groups)' /proc/self/status;"
	    " ulimit -n; umask\"; } );\n",
	    valgrind ? "" : "limits = { nofile = 99; };");
	h = harness_new(conf);
	free(conf);
	assert_state(h, "drop", "EXITED", HARNESS_WAIT);
	path = harness_path(h, "log/drop.out");
	out = file_read(path, NULL);
	ck_assert_ptr_nonnull(out);
	free(path);
	xasprintf(&path, "Uid:\t%u\t%u\t%u\t%u\n", pw->pw_uid, pw->pw_uid,
	    pw->pw_uid, pw->pw_uid);
	ck_assert_msg(contains(out, path), "[%s]", out);
	free(path);
	xasprintf(&path, "Gid:\t%u\t%u\t%u\t%u\n", getgrnam("daemon")->gr_gid,
	    getgrnam("daemon")->gr_gid, getgrnam("daemon")->gr_gid,
	    getgrnam("daemon")->gr_gid);
	ck_assert_msg(contains(out, path), "[%s]", out);
	free(path);
	xasprintf(&path, "Groups:\t%u \n", getgrnam("daemon")->gr_gid);
	ck_assert_msg(contains(out, path), "[%s]", out);
	free(path);
	if (valgrind)
		ck_assert_msg(contains(out, "\n0077\n"), "[%s]", out);
	else
		ck_assert_msg(contains(out, "\n99\n0077\n"), "[%s]", out);
	free(out);
	harness_free(h);
}
END_TEST

/*
 * A numeric user with no passwd entry has no group of its own: without
 * `group` the job is refused (not run with corrald's group, root's); with
 * it, it runs with exactly that uid, gid and group list.
 */
START_TEST(test_numeric_user_needs_group)
{
	struct harness	*h;
	json_t		*st;
	const char	*err;
	char		*out, *path;

	if (geteuid() != 0 || getpwuid(54321) != NULL) {
		fprintf(stderr, "skipped: needs root and no uid 54321\n");
		return;
	}
	h = harness_new("jobs = (\n"
	    "  { name = \"nogroup\"; user = \"54321\"; restart = \"no\";"
	    " directory = \"/\"; command = [\"id\"]; },\n"
	    "  { name = \"withgroup\"; user = \"54321\"; group = \"54322\";"
	    " restart = \"no\"; directory = \"/\";\n"
	    "    shell = \"id -u; id -g; id -G\"; } );\n");
	assert_state(h, "nogroup", "FATAL", HARNESS_WAIT);
	st = job_status(h, "nogroup");
	ck_assert_ptr_nonnull(st);
	err = json_string_value(json_object_get(st, "error"));
	ck_assert_msg(err != NULL && contains(err, "user 54321 has no passwd "
	    "entry: set a group too"), "[%s]", err != NULL ? err : "(none)");
	json_decref(st);
	assert_state(h, "withgroup", "EXITED", HARNESS_WAIT);
	path = harness_path(h, "log/withgroup.out");
	out = file_read(path, NULL);
	free(path);
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out, "54321\n54322\n54322\n");
	free(out);
	harness_free(h);
}
END_TEST

/*
 * Under RLIMIT_NPROC as a non-root user, a pipeline stage cannot be
 * created: the job is FATAL with the step and cause, nothing lingers.
 */
START_TEST(test_nproc_fork_failure)
{
	struct harness	*h;
	json_t		*st;
	const char	*err;

	if (geteuid() != 0 || getpwnam("nobody") == NULL) {
		fprintf(stderr, "skipped: needs root and user nobody\n");
		return;
	}
	h = harness_new("jobs = ( { name = \"np\"; user = \"nobody\";"
	    " limits = { nproc = 1; }; directory = \"/\";\n"
	    "  pipeline = ([\"sleep\", \"1000\"], [\"cat\"]); } );\n");
	assert_state(h, "np", "FATAL", HARNESS_WAIT);
	st = job_status(h, "np");
	err = json_string_value(json_object_get(st, "error"));
	ck_assert_msg(err != NULL && contains(err, "stage 2: fork: "
	    "Resource temporarily unavailable"), "error: %s", err);
	json_decref(st);
	harness_free(h);
}
END_TEST

/* The socket's rights: 0600 in a 0700 directory; or mode and group. */
START_TEST(test_socket_rights)
{
	struct harness	*h;
	struct stat	 sb;
	char		*path;
	struct group	*gr;

	h = harness_new_stopped("jobs = ( );\n");
	file_write(h->config, "daemon = { socket = \"run/ctl.sock\";"
	    " log_dir = \"log\"; };\njobs = ( );\n");
	snprintf(h->socket, sizeof h->socket, "%s/run/ctl.sock", h->dir);
	ck_assert_int_eq(harness_daemon_start(h), 0);
	ck_assert_int_eq(stat(h->socket, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	path = harness_path(h, "run");
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0700);
	free(path);
	ck_assert_int_eq(harness_daemon_stop(h, HARNESS_WAIT), 0);
	harness_free(h);

	if (geteuid() != 0 || (gr = getgrnam("daemon")) == NULL) {
		fprintf(stderr, "skipped: socket_group needs root and group "
		    "daemon\n");
		return;
	}
	h = harness_new_stopped("jobs = ( );\n");
	file_write(h->config, "daemon = { socket = \"grp/ctl.sock\";"
	    " socket_mode = \"0660\"; socket_group = \"daemon\";"
	    " log_dir = \"log\"; };\njobs = ( );\n");
	snprintf(h->socket, sizeof h->socket, "%s/grp/ctl.sock", h->dir);
	ck_assert_int_eq(harness_daemon_start(h), 0);
	ck_assert_int_eq(stat(h->socket, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0660);
	ck_assert_int_eq(sb.st_gid, gr->gr_gid);
	path = harness_path(h, "grp");
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0750);
	ck_assert_int_eq(sb.st_gid, gr->gr_gid);
	free(path);
	ck_assert_int_eq(harness_daemon_stop(h, HARNESS_WAIT), 0);
	harness_free(h);
}
END_TEST

/* Processes whose cmdline is exactly `sleep 4242`. */
static u_int
count_marker(void)
{
	DIR		*dir;
	struct dirent	*de;
	struct proc_stat st;
	char		*cmd;
	u_int		 n = 0;
	pid_t		 pid;

	if ((dir = opendir("/proc")) == NULL)
		return (0);
	while ((de = readdir(dir)) != NULL) {
		if ((pid = (pid_t)atoi(de->d_name)) <= 0)
			continue;
		if (proc_read_stat(pid, &st) == -1 || st.state == 'Z')
			continue;
		if ((cmd = proc_cmdline(pid)) == NULL)
			continue;
		n += (strcmp(cmd, "sleep 4242") == 0);
		free(cmd);
	}
	closedir(dir);
	return (n);
}

static int
one_marker_pred(void *arg)
{
	(void)arg;
	return (count_marker() == 1);
}

/*
 * corrald killed with SIGKILL, then started again: the dead one's job is
 * stopped before the new one starts its own; exactly one instance.
 */
START_TEST(test_sigkill_restart_one_instance)
{
	struct harness	*h;
	pid_t		 old, sid;

	h = harness_new("jobs = ( { name = \"m\"; start_seconds = 0;"
	    " stop_timeout = 1;\n"
	    "  shell = \"trap '' TERM; sleep 4242 & wait\"; } );\n");
	assert_state(h, "m", "RUNNING", HARNESS_WAIT);
	ck_assert(wait_until(one_marker_pred, NULL, HARNESS_WAIT));
	old = job_pid(h, "m");
	sid = old;
	harness_track(h, sid);
	ck_assert_int_eq(kill(h->daemon_pid, SIGKILL), 0);
	ck_assert_int_eq(harness_daemon_wait_exit(h, HARNESS_WAIT),
	    128 + SIGKILL);
	/* The old job runs on, unsupervised, until the new corrald. */
	ck_assert(proc_alive(old));
	ck_assert_int_eq(harness_daemon_start(h), 0);
	assert_state(h, "m", "RUNNING", HARNESS_WAIT);
	ck_assert_int_ne(job_pid(h, "m"), old);
	ck_assert(wait_proc_gone(old, HARNESS_WAIT));
	ck_assert_msg(count_marker() == 1, "%u instances", count_marker());
	ck_assert(wait_file_contains(h->daemon_err, "of a corrald that died",
	    HARNESS_WAIT));
	harness_free(h);
}
END_TEST

/*
 * Out of descriptors: accept backs off instead of spinning, and once
 * descriptors are free again, clients are served.
 */
START_TEST(test_emfile_backoff)
{
	struct harness	*h;
	struct rlimit	 low = { 24, 24 };
	int		 fds[64], i, n = 0;
	unsigned long	 cpu0, cpu1;

	/* corrald's own limit, lowered from outside, as prlimit(1) does. */
	h = harness_new("jobs = ( );\n");
	ck_assert_int_eq(prlimit(h->daemon_pid, RLIMIT_NOFILE, &low, NULL), 0);
	for (i = 0; i < 64; i++) {
		if ((fds[n] = unix_connect(h->socket)) != -1)
			n++;
	}
	cpu0 = proc_cpu_ticks(h->daemon_pid);
	ck_assert(wait_file_contains(h->daemon_err, "accept: pausing",
	    HARNESS_WAIT));
	pause_ms(1500);	/* a window to measure CPU in, not a wait */
	cpu1 = proc_cpu_ticks(h->daemon_pid);
	ck_assert_msg(cpu1 - cpu0 < (unsigned long)sysconf(_SC_CLK_TCK) / 2,
	    "corrald spun: %lu ticks in 1.5 s", cpu1 - cpu0);
	for (i = 0; i < n; i++)
		close(fds[i]);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", NULL), 0);
	ck_assert_int_eq(harness_daemon_stop(h, HARNESS_WAIT), 0);
	harness_free(h);
}
END_TEST

Suite *
suite_hardening(void)
{
	Suite	*s = suite_create("hardening");
	TCase	*tc = harness_tcase("hardening");

	tcase_add_test(tc, test_idle_connections);
	tcase_add_test(tc, test_client_never_reads);
	tcase_add_test(tc, test_bad_signals);
	tcase_add_test(tc, test_job_fds_many_jobs);
	tcase_add_test(tc, test_user_group_drop);
	tcase_add_test(tc, test_numeric_user_needs_group);
	tcase_add_test(tc, test_nproc_fork_failure);
	tcase_add_test(tc, test_socket_rights);
	tcase_add_test(tc, test_sigkill_restart_one_instance);
	tcase_add_test(tc, test_emfile_backoff);
	suite_add_tcase(s, tc);
	return (s);
}
