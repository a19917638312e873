/*
 * test-popen.c -- Popen through corrald.  Pipelines: stages joined without
 * a shell, all in one session and group under corrald, each stage's end
 * kept, and pipefail.  `corralctl run`: the client's own stdin, stdout and
 * stderr given to a transient job, so data goes straight through in both
 * directions (a line at a time, and 100 MB in bulk); the client exits as
 * the job did, or as a shell does when exec fails; the signals a terminal
 * would send are relayed to the job's group and a client that dies hangs
 * the job up; a client other than root gets no more than its own rights;
 * the job's name, directory and environment are the client's to choose.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "xmalloc.h"

/* What the bulk test sends through `run -- cat`. */
#define BULK_BYTES	(100 * 1000 * 1000)
#define BULK_CHUNK	65536

/* Our end of one of corralctl's output pipes, and what came from it. */
struct pc_stream {
	int	 fd;			/* -1 once at EOF */
	char	*buf;			/* NUL-terminated */
	size_t	 len;
};

/* corralctl run with its stdin, stdout and stderr held by the test. */
struct popen_ctl {
	pid_t			 pid;	/* -1 once reaped */
	int			 status;
	int			 in;	/* -1 once closed */
	struct pc_stream	 out;
	struct pc_stream	 err;
};

static void	pc_start(struct harness *, struct popen_ctl *, ...)
		    __attribute__((sentinel));
static void	pc_stream_read(struct pc_stream *);
static void	pc_read(struct popen_ctl *, int);
static int	pc_reaped(struct popen_ctl *);
static int	pc_wait_output(struct popen_ctl *, const char *, double);
static void	pc_write(struct popen_ctl *, const char *);
static void	pc_close_in(struct popen_ctl *);
static int	pc_finish(struct popen_ctl *, double);
static void	pc_free(struct popen_ctl *);
static int	exit_code(int);
static char	*status_row(struct harness *, const char *);
static int	job_listed(struct harness *, const char *);
static int	job_unlisted_pred(void *);
static uint64_t	bulk_word(uint64_t);
static void	bulk_fill(uint64_t, unsigned char *, size_t);

/* An exit status as a shell shows it: the code, or 128 + signal. */
static int
exit_code(int status)
{
	if (WIFEXITED(status))
		return (WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return (128 + WTERMSIG(status));
	return (-1);
}

/*
 * Start corralctl -s SOCKET ARGS... on three pipes, working in the test's
 * directory (so that a job run there is swept up at teardown if the test
 * fails) and tagged as the harness tags corrald.
 */
static void
pc_start(struct harness *h, struct popen_ctl *pc, ...)
{
	struct sigaction	 sa;
	char			*argv[64];
	va_list			 ap;
	int			 in[2], out[2], err[2];
	u_int			 n = 0;

	/* A job that stops reading must fail our write, not kill the test. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);

	argv[n++] = (char *)CORRALCTL_BIN;
	argv[n++] = (char *)"-s";
	argv[n++] = h->socket;
	va_start(ap, pc);
	while (n < 63 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;

	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    pipe2(err, O_CLOEXEC) == -1)
		ck_abort_msg("pipe: %s", strerror(errno));
	fflush(NULL);
	if ((pc->pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pc->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (chdir(h->dir) == -1)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		setenv(HARNESS_TAG_VAR, h->dir, 1);
		unsetenv("CORRAL_SOCKET");
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	pc->status = 0;
	pc->in = in[1];
	pc->out.fd = out[0];
	pc->err.fd = err[0];
	fcntl(pc->in, F_SETFL, O_NONBLOCK);
	fcntl(pc->out.fd, F_SETFL, O_NONBLOCK);
	fcntl(pc->err.fd, F_SETFL, O_NONBLOCK);
	pc->out.buf = xstrdup("");
	pc->out.len = 0;
	pc->err.buf = xstrdup("");
	pc->err.len = 0;
}

/* Take whatever the pipe holds now; note EOF. */
static void
pc_stream_read(struct pc_stream *s)
{
	char	 chunk[8192];
	ssize_t	 n;

	while (s->fd != -1) {
		n = read(s->fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(s->fd);
			s->fd = -1;
			return;
		}
		s->buf = xreallocarray(s->buf, s->len + (size_t)n + 1, 1);
		memcpy(s->buf + s->len, chunk, (size_t)n);
		s->len += (size_t)n;
		s->buf[s->len] = '\0';
	}
}

/* Wait up to ms for output, and take what there is. */
static void
pc_read(struct popen_ctl *pc, int ms)
{
	struct pollfd	 pfd[2];

	pfd[0].fd = pc->out.fd;
	pfd[1].fd = pc->err.fd;
	pfd[0].events = pfd[1].events = POLLIN;
	if (pc->out.fd == -1 && pc->err.fd == -1)
		pause_ms((u_int)ms);
	else if (poll(pfd, 2, ms) == -1 && errno != EINTR)
		ck_abort_msg("poll: %s", strerror(errno));
	pc_stream_read(&pc->out);
	pc_stream_read(&pc->err);
}

/* Has corralctl exited (and been reaped)? */
static int
pc_reaped(struct popen_ctl *pc)
{
	if (pc->pid != -1 && waitpid(pc->pid, &pc->status, WNOHANG) ==
	    pc->pid)
		pc->pid = -1;
	return (pc->pid == -1);
}

/* Wait until the job's stdout holds want: 1, or 0 after timeout seconds. */
static int
pc_wait_output(struct popen_ctl *pc, const char *want, double timeout)
{
	double	 deadline = now_mono() + timeout;

	for (;;) {
		pc_read(pc, 5);
		if (contains(pc->out.buf, want))
			return (1);
		if (now_mono() > deadline)
			return (0);
	}
}

/* Write all of text to the job's stdin. */
static void
pc_write(struct popen_ctl *pc, const char *text)
{
	struct pollfd	 pfd = { pc->in, POLLOUT, 0 };
	double		 deadline = now_mono() + HARNESS_WAIT;
	size_t		 len = strlen(text);
	ssize_t		 n;

	while (len > 0) {
		if (now_mono() > deadline)
			ck_abort_msg("the job does not read its stdin");
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		n = write(pc->in, text, len);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == -1)
			ck_abort_msg("write to the job: %s", strerror(errno));
		text += n;
		len -= (size_t)n;
	}
}

static void
pc_close_in(struct popen_ctl *pc)
{
	if (pc->in != -1)
		close(pc->in);
	pc->in = -1;
}

/*
 * Close the job's stdin, then wait for corralctl to exit and for EOF on
 * both outputs -- which also says that corrald let go of them.  Returns
 * corralctl's exit code, or -1 (it is killed) after timeout seconds.
 */
static int
pc_finish(struct popen_ctl *pc, double timeout)
{
	double	 deadline = now_mono() + timeout;

	pc_close_in(pc);
	for (;;) {
		pc_read(pc, 5);
		if (pc_reaped(pc) && pc->out.fd == -1 && pc->err.fd == -1)
			return (exit_code(pc->status));
		if (now_mono() > deadline)
			break;
	}
	if (pc->pid != -1) {
		kill(pc->pid, SIGKILL);
		waitpid(pc->pid, &pc->status, 0);
		pc->pid = -1;
	}
	return (-1);
}

static void
pc_free(struct popen_ctl *pc)
{
	if (pc->pid != -1) {
		kill(pc->pid, SIGKILL);
		waitpid(pc->pid, &pc->status, 0);
		pc->pid = -1;
	}
	pc_close_in(pc);
	if (pc->out.fd != -1)
		close(pc->out.fd);
	if (pc->err.fd != -1)
		close(pc->err.fd);
	free(pc->out.buf);
	free(pc->err.buf);
}

/* The job's row of the `status` table (to be freed), or NULL. */
static char *
status_row(struct harness *h, const char *job)
{
	char	*out = NULL, *line, *next, *row = NULL;
	size_t	 len = strlen(job);

	if (ctl_run(h, &out, NULL, "status", job, NULL) != 0) {
		free(out);
		return (NULL);
	}
	for (line = out; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, job, len) == 0 && line[len] == ' ')
			row = xstrdup(line);
	}
	free(out);
	return (row);
}

/* Does `status` (all jobs) list the job? */
static int
job_listed(struct harness *h, const char *job)
{
	json_error_t	 jerr;
	json_t		*all, *obj;
	char		*out = NULL;
	size_t		 i;
	int		 found = 0;

	ck_assert_int_eq(ctl_run(h, &out, NULL, "--json", "status", NULL), 0);
	all = json_loads(out, 0, &jerr);
	ck_assert_msg(all != NULL, "status --json: [%s]", out);
	free(out);
	json_array_foreach(all, i, obj) {
		if (strcmp(json_string_value(json_object_get(obj, "name")),
		    job) == 0)
			found = 1;
	}
	json_decref(all);
	return (found);
}

struct unlisted_cond {
	struct harness	*h;
	const char	*job;
};

static int
job_unlisted_pred(void *arg)
{
	struct unlisted_cond	*uc = arg;

	return (!job_listed(uc->h, uc->job));
}

/*
 * Byte i of the bulk data is byte i % 8 of bulk_word(i / 8): any stretch
 * can be checked where it lands, without keeping what was sent.
 */
static uint64_t
bulk_word(uint64_t x)
{
	/* splitmix64: cheap, and a chunk lost, repeated or moved shows. */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return (x ^ (x >> 31));
}

static void
bulk_fill(uint64_t off, unsigned char *buf, size_t len)
{
	uint64_t	 word = bulk_word(off / 8);
	size_t		 i;

	for (i = 0; i < len; i++, off++) {
		if (off % 8 == 0)
			word = bulk_word(off / 8);
		buf[i] = (unsigned char)(word >> (8 * (off % 8)));
	}
}

/*
 * cat ip.txt | grep IP | cut -d: -f2, as three stages and no shell: the
 * stdout log holds exactly the addresses.
 */
START_TEST(test_pipeline_grep_cut)
{
	struct harness	*h;
	char		*path, *out = NULL;

	h = harness_new_stopped("jobs = ( { name = \"ips\"; restart = \"no\";"
	    "\n  pipeline = ([\"cat\", \"ip.txt\"], [\"grep\", \"IP\"],"
	    " [\"cut\", \"-d:\", \"-f2\"]); } );\n");
	/* The job's directory is its config file's. */
	path = harness_path(h, "ip.txt");
	file_write(path, "# hosts\n"
	    "IP:10.0.0.1\n"
	    "name: web\n"
	    "IP:192.168.1.20\n"
	    "\n"
	    "IP:172.16.5.4\n"
	    "mask: 255.0.0.0\n"
	    "gateway 10.0.0.254\n"
	    "IP:8.8.8.8\n"
	    "end\n");
	free(path);
	ck_assert_int_eq(harness_daemon_start(h), 0);
	assert_state(h, "ips", "EXITED", HARNESS_WAIT);
	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", "ips", NULL), 0);
	ck_assert_str_eq(out, "exit 0\n");
	free(out);
	path = harness_path(h, "log/ips.out");
	assert_file_text(path, "10.0.0.1\n192.168.1.20\n172.16.5.4\n8.8.8.8\n");
	free(path);
	harness_free(h);
}
END_TEST

/*
 * A running producer | filter | consumer: every stage a child of corrald,
 * in the first stage's session and group along with whatever the stages
 * start; killpg KILL empties the session, and each stage's end is kept.
 */
START_TEST(test_pipeline_killpg)
{
	struct harness		*h;
	struct proc_stat	 st;
	json_t			*obj, *stages;
	pid_t			 pids[8], members[32], pid;
	const char		*comms[3] = { "sh", "grep", "cat" };
	char			*path, *row;
	u_int			 n, i;

	h = harness_new("jobs = ( { name = \"flow\"; restart = \"no\";"
	    " start_seconds = 0;\n"
	    "  pipeline = ([\"sh\", \"-c\","
	    " \"while :; do echo tick; sleep 0.05; done\"],"
	    " [\"grep\", \"--line-buffered\", \"tick\"], [\"cat\"]); } );\n");
	assert_state(h, "flow", "RUNNING", HARNESS_WAIT);
	/* Data flows through all three. */
	path = harness_path(h, "log/flow.out");
	ck_assert(wait_file_contains(path, "tick\ntick\n", HARNESS_WAIT));
	free(path);

	pid = job_pid(h, "flow");
	ck_assert_int_gt(pid, 1);
	n = job_stage_pids(h, "flow", pids, 8);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(pids[0], pid);
	for (i = 0; i < n; i++) {
		ck_assert_msg(proc_read_stat(pids[i], &st) == 0,
		    "stage %u (pid %ld) is gone", i + 1, (long)pids[i]);
		ck_assert_str_eq(st.comm, comms[i]);
		ck_assert_int_eq(st.session, pid);
		ck_assert_int_eq(st.pgrp, pid);
		ck_assert_int_eq(st.ppid, h->daemon_pid);
	}
	/* The stages' own children (sh's sleep) are in the one group too. */
	n = proc_list_session(pid, members, 32);
	ck_assert_uint_ge(n, 3);
	for (i = 0; i < n && i < 32; i++) {
		if (proc_read_stat(members[i], &st) == 0)
			ck_assert_msg(st.pgrp == pid, "pid %ld (%s) of the "
			    "session is in group %ld, not %ld",
			    (long)members[i], st.comm, (long)st.pgrp,
			    (long)pid);
	}

	ck_assert_int_eq(ctl_run(h, NULL, NULL, "killpg", "KILL", "flow",
	    NULL), 0);
	ck_assert_msg(wait_session_empty(pid, HARNESS_WAIT),
	    "session %ld not empty after killpg KILL: %u left", (long)pid,
	    proc_count_session(pid));
	assert_state(h, "flow", "EXITED", HARNESS_WAIT);

	obj = job_status(h, "flow");
	ck_assert_ptr_nonnull(obj);
	stages = json_object_get(obj, "stages");
	ck_assert_uint_eq(json_array_size(stages), 3);
	for (i = 0; i < 3; i++)
		ck_assert_str_eq(json_string_value(json_object_get(
		    json_array_get(stages, i), "result")), "signal 9 (KILL)");
	json_decref(obj);
	row = status_row(h, "flow");
	ck_assert_msg(contains(row, "signal 9 (KILL) (signal 9 (KILL) | "
	    "signal 9 (KILL) | signal 9 (KILL))"), "status: [%s]", row);
	free(row);
	harness_free(h);
}
END_TEST

/*
 * A failing middle stage: the run succeeds as the last stage did, unless
 * pipefail; the table shows every stage's end either way.
 */
START_TEST(test_pipeline_pipefail_middle)
{
	struct harness	*h;
	char		*out = NULL, *row, *path;

	h = harness_new("jobs = (\n"
	    "  { name = \"lax\"; restart = \"no\";\n"
	    "    pipeline = ([\"sh\", \"-c\", \"echo x\"],"
	    " [\"sh\", \"-c\", \"cat; exit 3\"], [\"cat\"]); },\n"
	    "  { name = \"strict\"; restart = \"no\"; pipefail = true;\n"
	    "    pipeline = ([\"sh\", \"-c\", \"echo x\"],"
	    " [\"sh\", \"-c\", \"cat; exit 3\"], [\"cat\"]); }\n"
	    ");\n");
	assert_state(h, "lax", "EXITED", HARNESS_WAIT);
	assert_state(h, "strict", "EXITED", HARNESS_WAIT);
	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", "lax", NULL), 0);
	ck_assert_str_eq(out, "exit 0\n");
	free(out);
	ck_assert_int_eq(ctl_run(h, &out, NULL, "wait", "strict", NULL), 3);
	ck_assert_str_eq(out, "exit 3\n");
	free(out);

	row = status_row(h, "lax");
	ck_assert_msg(contains(row, "  exit 0 (exit 0 | exit 3 | exit 0)"),
	    "status: [%s]", row);
	free(row);
	row = status_row(h, "strict");
	ck_assert_msg(contains(row, "  exit 3 (exit 0 | exit 3 | exit 0)"),
	    "status: [%s]", row);
	free(row);
	/* The data went through the failing stage all the same. */
	path = harness_path(h, "log/strict.out");
	assert_file_text(path, "x\n");
	free(path);
	harness_free(h);
}
END_TEST

/* printf 'a\nb\n' | corralctl run -- cat */
START_TEST(test_run_stdin)
{
	struct harness		*h;
	struct popen_ctl	 pc;

	h = harness_new("");
	pc_start(h, &pc, "run", "--", "cat", NULL);
	pc_write(&pc, "a\nb\n");
	ck_assert_int_eq(pc_finish(&pc, HARNESS_WAIT), 0);
	ck_assert_str_eq(pc.out.buf, "a\nb\n");
	ck_assert_str_eq(pc.err.buf, "");
	pc_free(&pc);
	harness_free(h);
}
END_TEST

/* stdout and stderr each where the client's are, and the exit code. */
START_TEST(test_run_out_err_code)
{
	struct harness	*h;
	char		*out = NULL, *err = NULL;

	h = harness_new("");
	ck_assert_int_eq(ctl_run(h, &out, &err, "run", "-d", h->dir, "--",
	    "sh", "-c", "echo out; echo err >&2; exit 7", NULL), 7);
	ck_assert_str_eq(out, "out\n");
	ck_assert_str_eq(err, "err\n");
	free(out);
	free(err);
	harness_free(h);
}
END_TEST

/* A program's own failure is its own: ls's code 2 and its message. */
START_TEST(test_run_program_fails)
{
	struct harness	*h;
	char		*out = NULL, *err = NULL;

	h = harness_new("");
	ck_assert_int_eq(ctl_run(h, &out, &err, "run", "-d", h->dir, "--",
	    "ls", "no_exist_file", NULL), 2);
	ck_assert_str_eq(out, "");
	ck_assert_msg(strncmp(err, "ls: ", 4) == 0 &&
	    contains(err, "no_exist_file") &&
	    contains(err, "No such file or directory"), "stderr: [%s]", err);
	ck_assert_msg(!contains(err, "corralctl"), "stderr: [%s]", err);
	free(out);
	free(err);
	harness_free(h);
}
END_TEST

/*
 * A line in, its answer out, before the next line is written: nothing
 * between the client and the job holds data back.
 */
START_TEST(test_run_line_at_a_time)
{
	struct harness		*h;
	struct popen_ctl	 pc;
	char			 line[32], want[64], *all;
	u_int			 i;

	h = harness_new("");
	pc_start(h, &pc, "run", "--", "sh", "-c",
	    "while read l; do echo \"got $l\"; done", NULL);
	all = xstrdup("");
	for (i = 1; i <= 5; i++) {
		snprintf(line, sizeof line, "line %u\n", i);
		snprintf(want, sizeof want, "%sgot line %u\n", all, i);
		pc_write(&pc, line);
		ck_assert_msg(pc_wait_output(&pc, want, HARNESS_WAIT),
		    "no answer to line %u: stdout [%s]", i, pc.out.buf);
		/* Exactly the answers so far: nothing early, nothing extra. */
		ck_assert_str_eq(pc.out.buf, want);
		free(all);
		all = xstrdup(want);
	}
	free(all);
	ck_assert_int_eq(pc_finish(&pc, HARNESS_WAIT), 0);
	ck_assert_str_eq(pc.err.buf, "");
	pc_free(&pc);
	harness_free(h);
}
END_TEST

/* 100 MB through `run -- cat`, both ends pipes, every byte checked. */
START_TEST(test_run_bulk)
{
	struct harness		*h;
	struct popen_ctl	 pc;
	struct pollfd		 pfd[2];
	unsigned char		*wbuf, *rbuf, *want;
	uint64_t		 woff = 0, roff = 0;
	size_t			 wlen = 0, wpos = 0;
	double			 deadline;
	ssize_t			 n;

	h = harness_new("");
	pc_start(h, &pc, "run", "--", "cat", NULL);
	wbuf = xmalloc(BULK_CHUNK);
	rbuf = xmalloc(BULK_CHUNK);
	want = xmalloc(BULK_CHUNK);
	deadline = now_mono() + 25.0;
	while (roff < BULK_BYTES || pc.out.fd != -1) {
		ck_assert_msg(now_mono() < deadline, "%llu of %d bytes back "
		    "after 25 s", (unsigned long long)roff, BULK_BYTES);
		pfd[0].fd = pc.in;
		pfd[0].events = POLLOUT;
		pfd[1].fd = pc.out.fd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, 100) == -1 && errno != EINTR)
			ck_abort_msg("poll: %s", strerror(errno));
		if (pc.in != -1 && (pfd[0].revents & (POLLOUT | POLLERR))) {
			if (wpos == wlen) {
				wlen = BULK_BYTES - woff < BULK_CHUNK ?
				    (size_t)(BULK_BYTES - woff) : BULK_CHUNK;
				bulk_fill(woff, wbuf, wlen);
				wpos = 0;
			}
			n = write(pc.in, wbuf + wpos, wlen - wpos);
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				ck_abort_msg("write at %llu: %s",
				    (unsigned long long)woff, strerror(errno));
			if (n > 0) {
				wpos += (size_t)n;
				woff += (uint64_t)n;
			}
			if (woff == BULK_BYTES)
				pc_close_in(&pc);
		}
		if (pc.out.fd == -1 ||
		    !(pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(pc.out.fd, rbuf, BULK_CHUNK);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			close(pc.out.fd);
			pc.out.fd = -1;
			continue;
		}
		ck_assert_msg(roff + (uint64_t)n <= BULK_BYTES,
		    "more than %d bytes back", BULK_BYTES);
		bulk_fill(roff, want, (size_t)n);
		if (memcmp(rbuf, want, (size_t)n) != 0)
			ck_abort_msg("bytes %llu to %llu differ from those sent",
			    (unsigned long long)roff,
			    (unsigned long long)(roff + (uint64_t)n));
		roff += (uint64_t)n;
	}
	ck_assert_uint_eq(roff, BULK_BYTES);
	ck_assert_int_eq(pc_finish(&pc, HARNESS_WAIT), 0);
	ck_assert_str_eq(pc.err.buf, "");
	free(wbuf);
	free(rbuf);
	free(want);
	pc_free(&pc);
	harness_free(h);
}
END_TEST

/* SIGINT to corralctl goes to the job's group, and corralctl exits as it. */
START_TEST(test_run_sigint_relayed)
{
	struct harness		*h;
	struct popen_ctl	 pc;

	h = harness_new("");
	pc_start(h, &pc, "run", "--", "sh", "-c",
	    "trap 'echo got INT; exit 5' INT; echo ready;"
	    " while :; do sleep 0.05; done", NULL);
	ck_assert_msg(pc_wait_output(&pc, "ready\n", HARNESS_WAIT),
	    "job not ready: stdout [%s] stderr [%s]", pc.out.buf, pc.err.buf);
	ck_assert_int_eq(kill(pc.pid, SIGINT), 0);
	ck_assert_int_eq(pc_finish(&pc, HARNESS_WAIT), 5);
	ck_assert_str_eq(pc.out.buf, "ready\ngot INT\n");
	ck_assert_str_eq(pc.err.buf, "");
	pc_free(&pc);
	harness_free(h);
}
END_TEST

/*
 * corralctl killed outright: the job's group is hung up on, the job is
 * gone, and so is its entry.
 */
START_TEST(test_run_client_killed)
{
	struct harness		*h;
	struct popen_ctl	 pc;
	struct unlisted_cond	 uc;
	char			*marker;
	pid_t			 pid;

	h = harness_new("");
	marker = harness_path(h, "hup");
	pc_start(h, &pc, "run", "--name", "hupper", "--", "sh", "-c",
	    "trap 'touch hup; exit 0' HUP; echo ready;"
	    " while :; do sleep 0.05; done", NULL);
	ck_assert_msg(pc_wait_output(&pc, "ready\n", HARNESS_WAIT),
	    "job not ready: stdout [%s] stderr [%s]", pc.out.buf, pc.err.buf);
	pid = job_pid(h, "hupper");
	ck_assert_int_gt(pid, 1);
	ck_assert(proc_alive(pid));
	ck_assert_int_eq(kill(pc.pid, SIGKILL), 0);
	ck_assert_int_eq(pc_finish(&pc, HARNESS_WAIT), 128 + SIGKILL);
	ck_assert_msg(wait_until(file_exists_pred, marker, HARNESS_WAIT),
	    "the job got no SIGHUP");
	ck_assert_msg(wait_proc_gone(pid, HARNESS_WAIT),
	    "the job (pid %ld) is still there", (long)pid);
	ck_assert(wait_session_empty(pid, HARNESS_WAIT));
	uc.h = h;
	uc.job = "hupper";
	ck_assert_msg(wait_until(job_unlisted_pred, &uc, HARNESS_WAIT),
	    "status still lists hupper");
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", "hupper", NULL), 1);
	free(marker);
	pc_free(&pc);
	harness_free(h);
}
END_TEST

/*
 * A client other than root runs as itself: its uid, gid and groups (none
 * here), no capabilities.
 */
START_TEST(test_run_as_client)
{
	struct harness	*h;
	struct passwd	*pw;
	char		*dir, *out = NULL, *err = NULL, *want;
	char		 uidarg[32], gidarg[32];
	char		*argv[] = { (char *)"/usr/bin/setpriv", uidarg, gidarg,
			    (char *)"--clear-groups", (char *)CORRALCTL_BIN,
			    (char *)"-s", NULL, (char *)"run", (char *)"-d",
			    NULL, (char *)"--", (char *)"id", (char *)"-u",
			    NULL, NULL, NULL };
	uid_t		 uid;
	gid_t		 gid;

	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL ||
	    access(argv[0], X_OK) != 0) {
		fprintf(stderr, "skipped: needs root, user nobody and %s\n",
		    argv[0]);
		return;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	h = harness_new_stopped(NULL);
	file_write(h->config, "daemon = { socket = \"ctl.sock\";"
	    " log_dir = \"log\"; socket_mode = \"0666\"; };\n");
	/* nobody must reach the socket, and work in the job's directory. */
	dir = xstrdup(h->dir);
	ck_assert_int_eq(chmod(h->dir, 0755), 0);
	ck_assert_int_eq(chmod(dirname(dir), 0755), 0);
	free(dir);
	ck_assert_int_eq(harness_daemon_start(h), 0);

	snprintf(uidarg, sizeof uidarg, "--reuid=%lu", (u_long)uid);
	snprintf(gidarg, sizeof gidarg, "--regid=%lu", (u_long)gid);
	argv[6] = h->socket;
	argv[9] = h->dir;
	ck_assert_int_eq(run_argv(argv, HARNESS_WAIT, &out, &err), 0);
	xasprintf(&want, "%lu\n", (u_long)uid);
	ck_assert_msg(strcmp(out, want) == 0, "id -u: [%s], stderr [%s]", out,
	    err);
	free(want);
	free(out);
	free(err);

	/* All four ids of each kind, no capabilities, and no groups. */
	argv[11] = (char *)"grep";
	argv[12] = (char *)"-E";
	argv[13] = (char *)"^(Uid|Gid|CapPrm|CapEff|CapAmb):";
	argv[14] = (char *)"/proc/self/status";
	ck_assert_int_eq(run_argv(argv, HARNESS_WAIT, &out, &err), 0);
	xasprintf(&want, "Uid:\t%lu\t%lu\t%lu\t%lu\n"
	    "Gid:\t%lu\t%lu\t%lu\t%lu\n"
	    "CapPrm:\t0000000000000000\n"
	    "CapEff:\t0000000000000000\n"
	    "CapAmb:\t0000000000000000\n",
	    (u_long)uid, (u_long)uid, (u_long)uid, (u_long)uid,
	    (u_long)gid, (u_long)gid, (u_long)gid, (u_long)gid);
	ck_assert_msg(strcmp(out, want) == 0, "the job's status:\n%s\n"
	    "want:\n%sstderr [%s]", out, want, err);
	free(want);
	free(out);
	free(err);
	/* Kernels differ in the blanks after the list: only blanks here. */
	argv[13] = (char *)"^Groups:";
	ck_assert_int_eq(run_argv(argv, HARNESS_WAIT, &out, &err), 0);
	ck_assert_msg(strncmp(out, "Groups:", 7) == 0 &&
	    out[7 + strspn(out + 7, " \t\n")] == '\0',
	    "the job has groups: [%s], stderr [%s]", out, err);
	free(out);
	free(err);
	harness_free(h);
}
END_TEST

/*
 * exec fails as in a shell: 127 if there is no such file, 126 if it may
 * not be executed, with the cause; and no trace of the job is left.
 */
START_TEST(test_run_exec_errors)
{
	struct harness	*h;
	char		*out = NULL, *err = NULL, *path, *want;

	h = harness_new("");
	ck_assert_int_eq(ctl_run(h, &out, &err, "run", "-d", h->dir, "--",
	    "/nonexistent", NULL), 127);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "corralctl: run: exec /nonexistent: "
	    "No such file or directory\n");
	free(out);
	free(err);

	path = harness_path(h, "noexec");
	file_write(path, "#!/bin/sh\necho should not run\n");
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(ctl_run(h, &out, &err, "run", "-d", h->dir, "--",
	    path, NULL), 126);
	ck_assert_str_eq(out, "");
	xasprintf(&want, "corralctl: run: exec %s: Permission denied\n",
	    path);
	ck_assert_str_eq(err, want);
	free(want);
	free(out);
	free(err);
	free(path);

	ck_assert_int_eq(ctl_run(h, &out, NULL, "--json", "status", NULL), 0);
	ck_assert_msg(strcmp(out, "[]\n") == 0, "status lists [%s]", out);
	free(out);
	harness_free(h);
}
END_TEST

/*
 * --name, -e and -d; the job is in status under its name while it runs;
 * the name is taken until it ends; SIGTERM to the client is relayed too.
 */
START_TEST(test_run_name_env_dir)
{
	struct harness		*h;
	struct popen_ctl	 pc;
	struct proc_stat	 st;
	char			*dir, *out = NULL, *err = NULL, *want;
	pid_t			 pid;

	h = harness_new("");
	dir = harness_path(h, "some dir");
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(ctl_run(h, &out, &err, "run", "--name", "myjob",
	    "-e", "FOO=bar", "-d", dir, "--", "sh", "-c", "echo $FOO; pwd",
	    NULL), 0);
	xasprintf(&want, "bar\n%s\n", dir);
	ck_assert_str_eq(out, want);
	ck_assert_str_eq(err, "");
	free(want);
	free(out);
	free(err);

	/*
	 * Without "--", the command's own arguments are its own, even
	 * corralctl's "-j"; -j before the command is corralctl's.
	 */
	ck_assert_int_eq(ctl_run(h, &out, &err, "run", "-j", "-d", dir, "sh",
	    "-c", "echo \"$*\"", "sh", "-j", "--json", "--", NULL), 0);
	ck_assert_str_eq(out, "-j --json --\n");
	ck_assert_str_eq(err, "");
	free(out);
	free(err);

	/* Running: listed under its name, with its pid. */
	pc_start(h, &pc, "run", "--name", "myjob", "--", "sh", "-c",
	    "echo ready; exec sleep 1000", NULL);
	ck_assert_msg(pc_wait_output(&pc, "ready\n", HARNESS_WAIT),
	    "job not ready: stdout [%s] stderr [%s]", pc.out.buf, pc.err.buf);
	assert_state(h, "myjob", "RUNNING", HARNESS_WAIT);
	pid = job_pid(h, "myjob");
	ck_assert_int_gt(pid, 1);
	ck_assert_int_eq(proc_read_stat(pid, &st), 0);
	ck_assert_str_eq(st.comm, "sleep");
	ck_assert_int_eq(st.session, pid);
	ck_assert_int_eq(st.ppid, h->daemon_pid);
	ck_assert_int_eq(ctl_run(h, &out, NULL, "pid", "myjob", NULL), 0);
	ck_assert_int_eq(atol(out), pid);
	free(out);

	/* Its output went to its client: there is no log to show. */
	ck_assert_int_eq(ctl_run(h, &out, &err, "logs", "myjob", NULL), 1);
	ck_assert_str_eq(err, "corralctl: myjob: stdout is not logged (it "
	    "goes to the client that ran it)\n");
	free(out);
	free(err);

	/* The name is taken. */
	ck_assert_int_eq(ctl_run(h, &out, &err, "run", "--name", "myjob",
	    "-d", dir, "--", "true", NULL), 1);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "corralctl: run: a job named myjob exists "
	    "already\n");
	free(out);
	free(err);
	ck_assert(proc_alive(pid));

	/* SIGTERM is relayed; then the name is free again. */
	ck_assert_int_eq(kill(pc.pid, SIGTERM), 0);
	ck_assert_int_eq(pc_finish(&pc, HARNESS_WAIT), 128 + SIGTERM);
	ck_assert(wait_proc_gone(pid, HARNESS_WAIT));
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", "myjob", NULL), 1);
	ck_assert_int_eq(ctl_run(h, &out, NULL, "run", "--name", "myjob",
	    "-d", dir, "--", "echo", "again", NULL), 0);
	ck_assert_str_eq(out, "again\n");
	free(out);
	free(dir);
	pc_free(&pc);
	harness_free(h);
}
END_TEST

/*
 * A reload is about the config's jobs: a `run` job goes on through it,
 * same pid, and its client still gets its code; a config job named like
 * the running one is refused until the run ends.
 */
START_TEST(test_run_survives_reload)
{
	struct harness		*h;
	struct popen_ctl	 pc;
	char			*out = NULL, *err = NULL;
	pid_t			 pid;

	h = harness_new("jobs = ( { name = \"a\"; command = [\"sleep\","
	    " \"1000\"]; } );\n");
	pc_start(h, &pc, "run", "--name", "r", "--", "sh", "-c",
	    "echo ready; read line; exit 4", NULL);
	ck_assert_msg(pc_wait_output(&pc, "ready\n", HARNESS_WAIT),
	    "job not ready: stdout [%s] stderr [%s]", pc.out.buf, pc.err.buf);
	pid = job_pid(h, "r");
	ck_assert_int_gt(pid, 1);

	harness_write_config(h, "jobs = ( { name = \"b\"; command ="
	    " [\"sleep\", \"1000\"]; } );\n");
	ck_assert_int_eq(ctl_run(h, &out, NULL, "reload", NULL), 0);
	ck_assert_str_eq(out, "added: b\nremoved: a\nunchanged: 0\n");
	free(out);
	assert_state(h, "b", "RUNNING", HARNESS_WAIT);
	assert_state(h, "r", "RUNNING", HARNESS_WAIT);
	ck_assert_int_eq(job_pid(h, "r"), pid);

	harness_write_config(h, "jobs = ( { name = \"r\"; command ="
	    " [\"sleep\", \"1000\"]; } );\n");
	ck_assert_int_eq(ctl_run(h, NULL, &err, "reload", NULL), 1);
	ck_assert_msg(strstr(err, ": job \"r\": a `run` job of that name is "
	    "running") != NULL, "[%s]", err);
	free(err);
	assert_state(h, "b", "RUNNING", HARNESS_WAIT);
	ck_assert_int_eq(job_pid(h, "r"), pid);

	pc_write(&pc, "go\n");
	ck_assert_int_eq(pc_finish(&pc, HARNESS_WAIT), 4);
	ck_assert_int_eq(ctl_run(h, NULL, NULL, "reload", NULL), 0);
	assert_state(h, "r", "RUNNING", HARNESS_WAIT);
	pc_free(&pc);
	harness_free(h);
}
END_TEST

Suite *
suite_popen(void)
{
	Suite	*s = suite_create("popen");
	TCase	*tc = harness_tcase("popen");

	tcase_add_test(tc, test_pipeline_grep_cut);
	tcase_add_test(tc, test_pipeline_killpg);
	tcase_add_test(tc, test_pipeline_pipefail_middle);
	tcase_add_test(tc, test_run_stdin);
	tcase_add_test(tc, test_run_out_err_code);
	tcase_add_test(tc, test_run_program_fails);
	tcase_add_test(tc, test_run_line_at_a_time);
	tcase_add_test(tc, test_run_bulk);
	tcase_add_test(tc, test_run_sigint_relayed);
	tcase_add_test(tc, test_run_client_killed);
	tcase_add_test(tc, test_run_as_client);
	tcase_add_test(tc, test_run_exec_errors);
	tcase_add_test(tc, test_run_name_env_dir);
	tcase_add_test(tc, test_run_survives_reload);
	suite_add_tcase(s, tc);
	return (s);
}
