/*
 * harness.c -- the fixture of the integration suites: a temporary
 * directory with a config file, the real corrald running on it, the real
 * corralctl to drive it, and readers of /proc and of files with which a
 * test checks, from outside, what the daemon did.
 *
 * Each Check test runs in a forked child, and a test that fails leaves it
 * with _exit() at once, never reaching its own cleanup.  So corrald gets
 * SIGTERM as a parent death signal (it then stops its jobs and exits, even
 * if Check killed the test for its timeout), and the runner itself, in the
 * test case's unchecked teardown, kills whatever a failed test left behind
 * (processes carry the test directory in their environment or as their
 * working directory), shows that test's corrald log and removes its
 * directory.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "xmalloc.h"

/* Harnesses not yet freed, swept at exit if the test did not get there. */
#define HARNESS_MAX_LIVE	4

static struct harness	*harness_live[HARNESS_MAX_LIVE];
static int		 harness_atexit_done;

/*
 * The test case's directory, made by the runner before it forks the tests:
 * each test's directory is made inside it, so that the runner can sweep up
 * after a test that failed (Check ends a failed test with _exit(), so its
 * own cleanup never runs).
 */
static char		 harness_casedir[128];

static void	harness_atexit(void);
static void	harness_kill_leftovers(struct harness *);
static void	harness_kill_tagged(const char *, const pid_t *, u_int);
static void	harness_show_failed(const char *);
static int	harness_rm_cb(const char *, const struct stat *, int,
		    struct FTW *);
static void	child_stdio(const char *, const char *);
static void	ignore_reserved_signals(void);
static int	status_code(int);
static int	env_has_tag(pid_t, const char *);
static int	cwd_under(pid_t, const char *);
static int	file_equals_pred(void *);
static int	file_contains_pred(void *);
static int	file_size_pred(void *);
static u_int	proc_list(pid_t, int, pid_t *, u_int);
static int	session_empty_pred(void *);
static int	proc_gone_pred(void *);
static int	bg_done_pred(void *);
static int	socket_accepts(const char *);

double
now_mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* One step of a polling loop: never used to wait for an event itself. */
void
pause_ms(u_int ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Poll pred every few ms until it holds (1) or timeout seconds pass (0). */
int
wait_until(int (*pred)(void *), void *arg, double timeout)
{
	double	 deadline = now_mono() + timeout;

	for (;;) {
		if (pred(arg))
			return (1);
		if (now_mono() > deadline)
			return (pred(arg));
		pause_ms(5);
	}
}

/* An exit status as a shell shows it: the code, or 128 + signal. */
static int
status_code(int status)
{
	if (WIFEXITED(status))
		return (WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return (128 + WTERMSIG(status));
	return (-1);
}

/* ---- files ---- */

/* The whole file, NUL-terminated (*lenp without the NUL), or NULL. */
char *
file_read(const char *path, size_t *lenp)
{
	char	*buf;
	size_t	 len = 0, size = 8192;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	buf = xmalloc(size);
	for (;;) {
		if (len + 1 >= size) {
			size *= 2;
			buf = xreallocarray(buf, size, 1);
		}
		n = read(fd, buf + len, size - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return (buf);
}

void
file_write(const char *path, const char *text)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL)
		ck_abort_msg("fopen %s: %s", path, strerror(errno));
	fputs(text, f);
	if (fclose(f) != 0)
		ck_abort_msg("fclose %s: %s", path, strerror(errno));
}

int
file_exists(const char *path)
{
	struct stat	 sb;

	return (lstat(path, &sb) == 0);
}

off_t
file_size(const char *path)
{
	struct stat	 sb;

	if (stat(path, &sb) == -1)
		return (-1);
	return (sb.st_size);
}

/* The number a job wrote to path, or -1 (no file, or caught half written). */
long
file_number(const char *path)
{
	char	*buf, *end;
	long	 v;

	if ((buf = file_read(path, NULL)) == NULL)
		return (-1);
	v = strtol(buf, &end, 10);
	if (end == buf || (*end != '\n' && *end != '\0'))
		v = -1;
	free(buf);
	return (v);
}

/* For wait_until: does the file at arg exist? */
int
file_exists_pred(void *arg)
{
	return (file_exists(arg));
}

int
contains(const char *haystack, const char *needle)
{
	return (haystack != NULL && strstr(haystack, needle) != NULL);
}

struct file_cond {
	const char	*path;
	const char	*text;
	size_t		 len;
	off_t		 size;
};

static int
file_equals_pred(void *arg)
{
	struct file_cond	*fc = arg;
	char			*buf;
	size_t			 len;
	int			 same;

	if ((buf = file_read(fc->path, &len)) == NULL)
		return (0);
	same = (len == fc->len && memcmp(buf, fc->text, len) == 0);
	free(buf);
	return (same);
}

/*
 * Wait until path holds exactly len bytes of text.  Job output reaches its
 * log through corrald's loop, a little after the job wrote it.
 */
int
wait_file_equals(const char *path, const char *text, size_t len,
    double timeout)
{
	struct file_cond	 fc = { path, text, len, 0 };

	return (wait_until(file_equals_pred, &fc, timeout));
}

static int
file_contains_pred(void *arg)
{
	struct file_cond	*fc = arg;
	char			*buf;
	int			 found;

	buf = file_read(fc->path, NULL);
	found = contains(buf, fc->text);
	free(buf);
	return (found);
}

int
wait_file_contains(const char *path, const char *text, double timeout)
{
	struct file_cond	 fc = { path, text, 0, 0 };

	return (wait_until(file_contains_pred, &fc, timeout));
}

static int
file_size_pred(void *arg)
{
	struct file_cond	*fc = arg;

	return (file_size(fc->path) >= fc->size);
}

/* Wait until path holds at least size bytes. */
int
wait_file_size(const char *path, off_t size, double timeout)
{
	struct file_cond	 fc = { path, NULL, 0, size };

	return (wait_until(file_size_pred, &fc, timeout));
}

/* ---- /proc ---- */

/*
 * Parse /proc/PID/stat.  comm may hold spaces and parentheses, so the
 * fields are read after the last ')'.  Returns -1 if the process is gone.
 */
int
proc_read_stat(pid_t pid, struct proc_stat *st)
{
	char	 path[64], buf[1024], *open_paren, *close_paren;
	size_t	 len;
	ssize_t	 n;
	int	 fd, ppid, pgrp, session;
	char	 state;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	do
		n = read(fd, buf, sizeof buf - 1);
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return (-1);
	buf[n] = '\0';
	if ((open_paren = strchr(buf, '(')) == NULL ||
	    (close_paren = strrchr(buf, ')')) == NULL ||
	    close_paren < open_paren)
		return (-1);
	if (sscanf(close_paren + 1, " %c %d %d %d", &state, &ppid, &pgrp,
	    &session) != 4)
		return (-1);
	memset(st, 0, sizeof *st);
	st->pid = pid;
	len = (size_t)(close_paren - open_paren - 1);
	if (len >= sizeof st->comm)
		len = sizeof st->comm - 1;
	memcpy(st->comm, open_paren + 1, len);
	st->comm[len] = '\0';
	st->state = state;
	st->ppid = ppid;
	st->pgrp = pgrp;
	st->session = session;
	return (0);
}

/* Does pid run (exist and is not a zombie)? */
int
proc_alive(pid_t pid)
{
	struct proc_stat	 st;

	if (proc_read_stat(pid, &st) == -1)
		return (0);
	return (st.state != 'Z' && st.state != 'X');
}

/* Has pid disappeared altogether (reaped)? */
int
proc_gone(pid_t pid)
{
	char	 path[64];

	snprintf(path, sizeof path, "/proc/%ld", (long)pid);
	return (access(path, F_OK) == -1 && errno == ENOENT);
}

/*
 * Is sig pending for pid (sent but not yet acted on), per thread or for the
 * whole process?  -1 if pid is gone.
 */
int
proc_signal_pending(pid_t pid, int sig)
{
	char			 path[64], *buf, *line;
	unsigned long long	 mask, all = 0;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((buf = file_read(path, NULL)) == NULL)
		return (-1);
	for (line = strtok(buf, "\n"); line != NULL;
	    line = strtok(NULL, "\n")) {
		if (sscanf(line, "SigPnd: %llx", &mask) == 1 ||
		    sscanf(line, "ShdPnd: %llx", &mask) == 1)
			all |= mask;
	}
	free(buf);
	return ((all & (1ULL << (sig - 1))) != 0);
}

/* Members of session sid that are alive (not zombies). */
u_int
proc_count_alive_session(pid_t sid)
{
	pid_t	 pids[256];
	u_int	 n, i, alive = 0;

	n = proc_list_session(sid, pids, 256);
	for (i = 0; i < n && i < 256; i++)
		alive += proc_alive(pids[i]);
	return (alive);
}

/* argv of pid joined by spaces, or NULL. */
char *
proc_cmdline(pid_t pid)
{
	char	 path[64], *buf;
	size_t	 len, i;

	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	if ((buf = file_read(path, &len)) == NULL)
		return (NULL);
	while (len > 0 && buf[len - 1] == '\0')
		len--;
	buf[len] = '\0';
	for (i = 0; i < len; i++) {
		if (buf[i] == '\0')
			buf[i] = ' ';
	}
	return (buf);
}

/*
 * Every process (zombies too: a zombie is a process nobody reaped) whose
 * session (by_session) or group is id.  Fills at most max pids; returns
 * how many there are.
 */
static u_int
proc_list(pid_t id, int by_session, pid_t *out, u_int max)
{
	struct proc_stat	 st;
	struct dirent		*de;
	DIR			*d;
	char			*end;
	long			 pid;
	u_int			 n = 0;

	if ((d = opendir("/proc")) == NULL)
		ck_abort_msg("opendir /proc: %s", strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		if (proc_read_stat((pid_t)pid, &st) == -1)
			continue;
		if ((by_session ? st.session : st.pgrp) != id)
			continue;
		if (n < max && out != NULL)
			out[n] = (pid_t)pid;
		n++;
	}
	closedir(d);
	return (n);
}

u_int
proc_list_session(pid_t sid, pid_t *out, u_int max)
{
	return (proc_list(sid, 1, out, max));
}

u_int
proc_list_pgrp(pid_t pgrp, pid_t *out, u_int max)
{
	return (proc_list(pgrp, 0, out, max));
}

u_int
proc_count_session(pid_t sid)
{
	return (proc_list(sid, 1, NULL, 0));
}

static int
session_empty_pred(void *arg)
{
	return (proc_count_session(*(pid_t *)arg) == 0);
}

int
wait_session_empty(pid_t sid, double timeout)
{
	return (wait_until(session_empty_pred, &sid, timeout));
}

static int
proc_gone_pred(void *arg)
{
	return (proc_gone(*(pid_t *)arg));
}

int
wait_proc_gone(pid_t pid, double timeout)
{
	return (wait_until(proc_gone_pred, &pid, timeout));
}

/* Does pid's environment hold HARNESS_TAG_VAR=dir, or a dir below it? */
static int
env_has_tag(pid_t pid, const char *dir)
{
	char	 path[64], *buf, *p, *want;
	size_t	 len, wlen;
	int	 found = 0;

	snprintf(path, sizeof path, "/proc/%ld/environ", (long)pid);
	if ((buf = file_read(path, &len)) == NULL)
		return (0);
	xasprintf(&want, "%s=%s", HARNESS_TAG_VAR, dir);
	wlen = strlen(want);
	for (p = buf; p < buf + len; p += strlen(p) + 1) {
		if (strncmp(p, want, wlen) == 0 &&
		    (p[wlen] == '\0' || p[wlen] == '/')) {
			found = 1;
			break;
		}
	}
	free(want);
	free(buf);
	return (found);
}

/* Is pid's working directory dir or below it? */
static int
cwd_under(pid_t pid, const char *dir)
{
	char	 path[64], cwd[PATH_MAX];
	ssize_t	 n;
	size_t	 len = strlen(dir);

	snprintf(path, sizeof path, "/proc/%ld/cwd", (long)pid);
	if ((n = readlink(path, cwd, sizeof cwd - 1)) == -1)
		return (0);
	cwd[n] = '\0';
	return (strncmp(cwd, dir, len) == 0 &&
	    (cwd[len] == '\0' || cwd[len] == '/'));
}

/* ---- running programs ---- */

/* In a child: stdin from /dev/null, stdout and stderr to files. */
static void
child_stdio(const char *out, const char *err)
{
	int	 fd;

	if ((fd = open("/dev/null", O_RDONLY)) != -1) {
		dup2(fd, 0);
		close(fd);
	}
	if ((fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644)) != -1) {
		dup2(fd, 1);
		close(fd);
	}
	if ((fd = open(err, O_WRONLY | O_CREAT | O_APPEND, 0644)) != -1) {
		dup2(fd, 2);
		close(fd);
	}
}

/*
 * Run argv, capturing stdout and stderr through pipes.  Returns its exit
 * code (128 + N for signal N), or -1 if it did not end within timeout
 * seconds (it is then killed).  *outp and *errp, if not NULL, get the
 * output (to be freed).
 */
int
run_argv(char *const argv[], double timeout, char **outp, char **errp)
{
	struct pollfd	 pfd[2];
	char		*buf[2] = { NULL, NULL }, chunk[8192];
	size_t		 len[2] = { 0, 0 };
	double		 deadline = now_mono() + timeout;
	int		 out[2], err[2], status = 0, reaped = 0, rc, i;
	int		 open_fds;
	ssize_t		 n;
	pid_t		 pid;

	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1)
		ck_abort_msg("pipe: %s", strerror(errno));
	fflush(NULL);
	if ((pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		if ((i = open("/dev/null", O_RDONLY)) != -1)
			dup2(i, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		unsetenv("CORRAL_SOCKET");
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	pfd[0].fd = out[0];
	pfd[1].fd = err[0];
	for (i = 0; i < 2; i++) {
		pfd[i].events = POLLIN;
		buf[i] = xmalloc(1);
	}

	/*
	 * Read until both pipes are closed, or the program has ended and its
	 * pipes are drained: a daemon it started must not hold us here.
	 */
	for (;;) {
		open_fds = (pfd[0].fd != -1) + (pfd[1].fd != -1);
		if (open_fds == 0 && reaped)
			break;
		if (!reaped && waitpid(pid, &status, WNOHANG) == pid)
			reaped = 1;
		if (now_mono() > deadline)
			break;
		if (open_fds == 0) {
			pause_ms(2);
			continue;
		}
		if (poll(pfd, 2, reaped ? 0 : 5) == -1 && errno != EINTR)
			ck_abort_msg("poll: %s", strerror(errno));
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd == -1 ||
			    (!reaped && !(pfd[i].revents & (POLLIN | POLLHUP))))
				continue;
			if (reaped)
				fcntl(pfd[i].fd, F_SETFL, O_NONBLOCK);
			n = read(pfd[i].fd, chunk, sizeof chunk);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				continue;
			}
			buf[i] = xreallocarray(buf[i], len[i] + (size_t)n + 1,
			    1);
			memcpy(buf[i] + len[i], chunk, (size_t)n);
			len[i] += (size_t)n;
		}
	}
	for (i = 0; i < 2; i++) {
		if (pfd[i].fd != -1)
			close(pfd[i].fd);
		buf[i][len[i]] = '\0';
	}
	if (!reaped) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		rc = -1;
	} else
		rc = status_code(status);
	if (outp != NULL)
		*outp = buf[0];
	else
		free(buf[0]);
	if (errp != NULL)
		*errp = buf[1];
	else
		free(buf[1]);
	return (rc);
}

/* corralctl -s SOCKET with the given arguments, as run_argv. */
int
ctl_runv(struct harness *h, double timeout, char **outp, char **errp,
    char *const args[])
{
	char	*argv[64];
	u_int	 n = 0, i;

	argv[n++] = (char *)CORRALCTL_BIN;
	argv[n++] = (char *)"-s";
	argv[n++] = h->socket;
	for (i = 0; args[i] != NULL && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return (run_argv(argv, timeout, outp, errp));
}

/* ctl_run(h, &out, &err, "status", "web", NULL): exit code of corralctl. */
int
ctl_run(struct harness *h, char **outp, char **errp, ...)
{
	char	*args[60];
	va_list	 ap;
	u_int	 n = 0;

	va_start(ap, errp);
	while (n < 59 && (args[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	return (ctl_runv(h, HARNESS_WAIT, outp, errp, args));
}

/* Start argv in the background, its output into files of the test dir. */
int
bg_start(struct harness *h, struct bg_proc *bp, char *const argv[])
{
	h->nruns++;
	snprintf(bp->out_path, sizeof bp->out_path, "%s/bg-%u.out", h->dir,
	    h->nruns);
	snprintf(bp->err_path, sizeof bp->err_path, "%s/bg-%u.err", h->dir,
	    h->nruns);
	bp->status = 0;
	fflush(NULL);
	if ((bp->pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (bp->pid == 0) {
		child_stdio(bp->out_path, bp->err_path);
		unsetenv("CORRAL_SOCKET");
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return (0);
}

/* corralctl -s SOCKET ARGS... in the background. */
int
ctl_start(struct harness *h, struct bg_proc *bp, ...)
{
	char	*argv[64];
	va_list	 ap;
	u_int	 n = 0;

	argv[n++] = (char *)CORRALCTL_BIN;
	argv[n++] = (char *)"-s";
	argv[n++] = h->socket;
	va_start(ap, bp);
	while (n < 63 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	return (bg_start(h, bp, argv));
}

/* Is the background program still running? */
int
bg_running(struct bg_proc *bp)
{
	if (bp->pid == -1)
		return (0);
	if (waitpid(bp->pid, &bp->status, WNOHANG) == bp->pid) {
		bp->pid = -1;
		return (0);
	}
	return (1);
}

static int
bg_done_pred(void *arg)
{
	return (!bg_running(arg));
}

/*
 * Wait for the background program to end: its exit code as run_argv, or
 * -1 (it is killed) if it is still running after timeout seconds.
 */
int
bg_finish(struct bg_proc *bp, double timeout, char **outp, char **errp)
{
	int	 rc;

	if (!wait_until(bg_done_pred, bp, timeout)) {
		kill(bp->pid, SIGKILL);
		waitpid(bp->pid, &bp->status, 0);
		bp->pid = -1;
		rc = -1;
	} else
		rc = status_code(bp->status);
	if (outp != NULL && (*outp = file_read(bp->out_path, NULL)) == NULL)
		*outp = xstrdup("");
	if (errp != NULL && (*errp = file_read(bp->err_path, NULL)) == NULL)
		*errp = xstrdup("");
	return (rc);
}

/* ---- the fixture ---- */

char *
harness_path(const struct harness *h, const char *rel)
{
	char	*path;

	xasprintf(&path, "%s/%s", h->dir, rel);
	return (path);
}

/* The config file: the daemon group on line 1, then body from line 2. */
void
harness_write_config(struct harness *h, const char *body)
{
	char	*text;

	xasprintf(&text, "daemon = { socket = \"ctl.sock\"; "
	    "log_dir = \"log\"; };\n%s", body);
	file_write(h->config, text);
	free(text);
}

/* A temporary directory and a config file in it; no daemon yet. */
struct harness *
harness_new_stopped(const char *body)
{
	struct harness	*h;
	char		 tmpl[192], real[PATH_MAX];
	u_int		 i;

	if (!harness_atexit_done) {
		atexit(harness_atexit);
		harness_atexit_done = 1;
	}
	h = xcalloc(1, sizeof *h);
	h->daemon_pid = -1;
	h->listen_fd = -1;
	snprintf(tmpl, sizeof tmpl, "%s/test.XXXXXX", harness_casedir[0] !=
	    '\0' ? harness_casedir : "/tmp");
	if (mkdtemp(tmpl) == NULL)
		ck_abort_msg("mkdtemp: %s", strerror(errno));
	/* Paths in /proc are resolved: compare like with like. */
	if (realpath(tmpl, real) == NULL)
		ck_abort_msg("realpath %s: %s", tmpl, strerror(errno));
	if (strlen(real) >= sizeof h->dir)
		ck_abort_msg("temporary directory path too long: %s", real);
	strcpy(h->dir, real);
	snprintf(h->config, sizeof h->config, "%s/corrald.conf", h->dir);
	snprintf(h->socket, sizeof h->socket, "%s/ctl.sock", h->dir);
	snprintf(h->log_dir, sizeof h->log_dir, "%s/log", h->dir);
	snprintf(h->daemon_err, sizeof h->daemon_err, "%s/corrald.stderr",
	    h->dir);
	for (i = 0; i < HARNESS_MAX_LIVE; i++) {
		if (harness_live[i] == NULL) {
			harness_live[i] = h;
			break;
		}
	}
	if (body != NULL)
		harness_write_config(h, body);
	return (h);
}

/* The fixture with corrald running and answering. */
struct harness *
harness_new(const char *body)
{
	struct harness	*h;
	char		*log;

	h = harness_new_stopped(body);
	if (harness_daemon_start(h) == -1) {
		log = harness_daemon_log(h);
		ck_abort_msg("corrald did not start; its stderr:\n%s", log);
	}
	return (h);
}

/*
 * Start corrald -v -c config, stdout and stderr appended to errfile.  It
 * gets a group of its own, so that Check's kill of the test's group does
 * not SIGKILL it (which would orphan its jobs), and SIGTERM when the test
 * process dies, so that it stops its jobs then.
 */
pid_t
harness_daemon_spawn(struct harness *h, const char *config,
    const char *errfile)
{
	pid_t		 pid, parent = getpid();
	u_int		 i;
	const char	*bin = h->daemon_bin != NULL ? h->daemon_bin :
			    CORRALD_BIN;

	fflush(NULL);
	if ((pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid != 0)
		return (pid);
	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
		_exit(127);
	child_stdio(errfile, errfile);
	/* A socket of ours to pass, as systemd passes its own: fd 3. */
	if (h->listen_fd != -1) {
		if (h->listen_fd == 3)
			fcntl(3, F_SETFD, 0);
		else if (dup2(h->listen_fd, 3) == -1)
			_exit(127);
	}
	close_range(h->listen_fd != -1 ? 4 : 3, ~0U, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	/*
	 * As nohup would: a disposition corrald does not use itself, which
	 * its jobs must not inherit.  And a known umask, for file modes.
	 */
	signal(SIGQUIT, SIG_IGN);
	if (h->ignore_reserved_signals)
		ignore_reserved_signals();
	umask(022);
	setenv(HARNESS_TAG_VAR, h->dir, 1);
	unsetenv("CORRAL_SOCKET");
	unsetenv("NOTIFY_SOCKET");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	unsetenv("JOURNAL_STREAM");
	for (i = 0; i < h->nenv; i++)
		setenv(h->env_names[i], h->env_values[i], 1);
	if (h->listen_fd != -1) {
		char	 pidstr[32];

		snprintf(pidstr, sizeof pidstr, "%ld", (long)getpid());
		setenv("LISTEN_FDS", "1", 1);
		setenv("LISTEN_PID", pidstr, 1);
	}
	/*
	 * CORRAL_TEST_VALGRIND=1: corrald runs under memcheck, which makes
	 * it exit 99 on any error or definite leak, failing the test that
	 * stops it (jobs run natively: children are not traced).
	 */
	if (getenv("CORRAL_TEST_VALGRIND") != NULL) {
		execl("/usr/bin/valgrind", "valgrind", "-q", "--leak-check=full",
		    "--errors-for-leak-kinds=definite", "--error-exitcode=99",
		    "--trace-children=no", bin, "-v", "-c", config,
		    (char *)NULL);
		fprintf(stderr, "exec valgrind: %s\n", strerror(errno));
		_exit(127);
	}
	execl(bin, bin, "-v", "-c", config, (char *)NULL);
	fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
	_exit(127);
}

/* A connected Unix stream socket to path, or -1. */
int
unix_connect(const char *path)
{
	struct sockaddr_un	 sun;
	size_t			 len = strlen(path);
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (len >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(sun.sun_path, path, len + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * In a child: ignore signals 32 and 33.  glibc's sigaction() refuses them
 * (it uses them itself), so the kernel is asked directly, with its own
 * struct sigaction: handler, flags, restorer, mask on the architectures
 * below (all zero but the handler, so a layout without the restorer reads
 * the same).
 */
static void
ignore_reserved_signals(void)
{
#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
	struct {
		void		*handler;
		unsigned long	 flags;
		void		*restorer;
		unsigned long	 mask;
	}	 ksa;
	int	 sig;

	for (sig = 32; sig <= 33; sig++) {
		memset(&ksa, 0, sizeof ksa);
		ksa.handler = (void *)SIG_IGN;
		syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof ksa.mask);
	}
#endif
}

/* Can a client connect to the socket? */
static int
socket_accepts(const char *path)
{
	int	 fd;

	if ((fd = unix_connect(path)) == -1)
		return (0);
	close(fd);
	return (1);
}

/*
 * Start the fixture's corrald and wait until `corralctl status` answers.
 * Returns -1 if it exited or did not answer in time.
 */
int
harness_daemon_start(struct harness *h)
{
	double	 deadline;
	int	 status;

	h->daemon_pid = harness_daemon_spawn(h, h->config, h->daemon_err);
	deadline = now_mono() + HARNESS_WAIT;
	for (;;) {
		if (waitpid(h->daemon_pid, &status, WNOHANG) ==
		    h->daemon_pid) {
			h->daemon_status = status;
			h->daemon_pid = -1;
			return (-1);
		}
		if (socket_accepts(h->socket))
			break;
		if (now_mono() > deadline)
			return (-1);
		pause_ms(5);
	}
	while (ctl_run(h, NULL, NULL, "status", NULL) != 0) {
		if (now_mono() > deadline)
			return (-1);
		pause_ms(5);
	}
	return (0);
}

/*
 * Wait for the fixture's corrald to exit by itself: its exit code (128+N
 * for signal N), or -1 if it is still running after timeout seconds.
 */
int
harness_daemon_wait_exit(struct harness *h, double timeout)
{
	double	 deadline = now_mono() + timeout;
	int	 status;

	if (h->daemon_pid == -1)
		return (status_code(h->daemon_status));
	for (;;) {
		if (waitpid(h->daemon_pid, &status, WNOHANG) ==
		    h->daemon_pid) {
			h->daemon_status = status;
			h->daemon_pid = -1;
			return (status_code(status));
		}
		if (now_mono() > deadline)
			return (-1);
		pause_ms(5);
	}
}

/*
 * SIGTERM to corrald, and wait for it; SIGKILL as a last resort.  Returns
 * its exit code, or -1 if it had to be killed.
 */
int
harness_daemon_stop(struct harness *h, double timeout)
{
	int	 rc;

	if (h->daemon_pid == -1)
		return (status_code(h->daemon_status));
	kill(h->daemon_pid, SIGTERM);
	if ((rc = harness_daemon_wait_exit(h, timeout)) != -1)
		return (rc);
	kill(h->daemon_pid, SIGKILL);
	waitpid(h->daemon_pid, &h->daemon_status, 0);
	h->daemon_pid = -1;
	return (-1);
}

/*
 * Wait for a child of ours (not the fixture's daemon) to exit: its exit
 * code as run_argv, or -1 (it is killed) after timeout seconds.
 */
int
wait_child_exit(pid_t pid, double timeout)
{
	double	 deadline = now_mono() + timeout;
	int	 status;

	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return (status_code(status));
		if (now_mono() > deadline)
			break;
		pause_ms(5);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return (-1);
}

/* Set name=value in the environment of the daemons started from now on. */
void
harness_setenv(struct harness *h, const char *name, const char *value)
{
	if (h->nenv == HARNESS_MAX_ENV)
		ck_abort_msg("harness_setenv: too many variables");
	h->env_names[h->nenv] = xstrdup(name);
	h->env_values[h->nenv] = xstrdup(value);
	h->nenv++;
}

/* Remember a job's session (its leader's pid), to sweep at teardown. */
void
harness_track(struct harness *h, pid_t sid)
{
	u_int	 i;

	if (sid <= 1)
		return;
	for (i = 0; i < h->ntracked; i++) {
		if (h->tracked[i] == sid)
			return;
	}
	if (h->ntracked < HARNESS_MAX_TRACKED)
		h->tracked[h->ntracked++] = sid;
}

/* corrald's stderr so far (to be freed). */
char *
harness_daemon_log(const struct harness *h)
{
	char	*log;

	if ((log = file_read(h->daemon_err, NULL)) == NULL)
		log = xstrdup("(no output)");
	return (log);
}

/* How many times text is in corrald's stderr. */
int
harness_daemon_log_count(const struct harness *h, const char *text)
{
	char	*log, *p;
	int	 n = 0;

	log = harness_daemon_log(h);
	for (p = log; (p = strstr(p, text)) != NULL; p++)
		n++;
	free(log);
	return (n);
}

/*
 * SIGKILL every process that belongs under dir -- carries dir (or a
 * directory below it) as its HARNESS_TAG_VAR, or works there -- or to one
 * of the sessions or groups listed, until none is left.
 */
static void
harness_kill_tagged(const char *dir, const pid_t *ids, u_int nids)
{
	struct dirent	*de;
	DIR		*d;
	struct proc_stat st;
	char		*end;
	long		 pid;
	u_int		 i, round, found;
	int		 ours;

	for (round = 0; round < 400; round++) {
		if ((d = opendir("/proc")) == NULL)
			return;
		found = 0;
		while ((de = readdir(d)) != NULL) {
			pid = strtol(de->d_name, &end, 10);
			if (*end != '\0' || pid <= 1 || pid == getpid())
				continue;
			if (proc_read_stat((pid_t)pid, &st) == -1 ||
			    st.state == 'Z')
				continue;
			ours = 0;
			for (i = 0; i < nids; i++) {
				if (st.session == ids[i] || st.pgrp == ids[i])
					ours = 1;
			}
			if (!ours)
				ours = env_has_tag((pid_t)pid, dir) ||
				    cwd_under((pid_t)pid, dir);
			if (ours) {
				kill((pid_t)pid, SIGKILL);
				found++;
			}
		}
		closedir(d);
		if (found == 0)
			return;
		pause_ms(5);
	}
}

/* Whatever is left of the test's jobs. */
static void
harness_kill_leftovers(struct harness *h)
{
	harness_kill_tagged(h->dir, h->tracked, h->ntracked);
}

static int
harness_rm_cb(const char *path, const struct stat *sb, int type,
    struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return (0);
}

/* Copy a file (corrald's stderr) to ours, for the test's log. */
static void
harness_show_file(const char *path)
{
	char	 buf[4096];
	FILE	*f;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		return;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(f);
}

/*
 * Tear the fixture down: corrald is asked to stop (and killed if it will
 * not), anything left of its jobs is killed, the directory is removed.
 */
void
harness_free(struct harness *h)
{
	u_int	 i;
	int	 rc, valgrind_failed;

	if (h == NULL)
		return;
	rc = harness_daemon_stop(h, 5.0);
	harness_kill_leftovers(h);
	valgrind_failed = rc == 99 && getenv("CORRAL_TEST_VALGRIND") != NULL;
	if (valgrind_failed)
		harness_show_file(h->daemon_err);
	nftw(h->dir, harness_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	for (i = 0; i < HARNESS_MAX_LIVE; i++) {
		if (harness_live[i] == h)
			harness_live[i] = NULL;
	}
	for (i = 0; i < h->nenv; i++) {
		free(h->env_names[i]);
		free(h->env_values[i]);
	}
	free(h);
	/*
	 * Under CORRAL_TEST_VALGRIND, memcheck's exit code 99 (an error or a
	 * definite leak, its report copied above from corrald's stderr)
	 * fails the test, whichever way corrald was stopped.
	 */
	if (valgrind_failed)
		ck_abort_msg("valgrind found errors in corrald (exit 99)");
}

/* A test that returned without freeing its fixture: clean up for it. */
static void
harness_atexit(void)
{
	u_int	 i;

	for (i = 0; i < HARNESS_MAX_LIVE; i++) {
		if (harness_live[i] != NULL)
			harness_free(harness_live[i]);
	}
}

/* ---- the raw protocol ---- */

int
raw_connect(struct harness *h)
{
	int	 fd;

	fd = unix_connect(h->socket);
	ck_assert_msg(fd != -1, "connect %s: %s", h->socket, strerror(errno));
	return (fd);
}

/* Send all of buf.  Returns -1 if the daemon closed the connection. */
int
raw_send(int fd, const char *buf, size_t len)
{
	struct pollfd	 pfd = { fd, POLLOUT, 0 };
	double		 deadline = now_mono() + HARNESS_WAIT;
	ssize_t		 n;

	while (len > 0) {
		if (now_mono() > deadline)
			ck_abort_msg("send: the daemon stopped reading");
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == -1)
			return (-1);
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

void
raw_send_str(int fd, const char *s)
{
	ck_assert_int_eq(raw_send(fd, s, strlen(s)), 0);
}

/* One answer line as JSON; fails the test if none comes in time. */
json_t *
raw_recv(int fd)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	double		 deadline = now_mono() + HARNESS_WAIT;
	json_error_t	 jerr;
	json_t		*obj;
	char		*line;
	size_t		 len = 0, size = 256;
	ssize_t		 n;
	char		 c;

	line = xmalloc(size);
	for (;;) {
		if (now_mono() > deadline)
			ck_abort_msg("no answer from corrald");
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		n = read(fd, &c, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			ck_abort_msg("connection closed before an answer: %s",
			    n == 0 ? "EOF" : strerror(errno));
		if (c == '\n')
			break;
		if (len + 2 > size)
			line = xreallocarray(line, size *= 2, 1);
		line[len++] = c;
	}
	line[len] = '\0';
	obj = json_loads(line, 0, &jerr);
	ck_assert_msg(obj != NULL, "answer is not JSON: [%s]", line);
	free(line);
	return (obj);
}

/* Send a request line, and check the answer's ok and error code. */
void
raw_expect(int fd, const char *request, int ok, const char *error)
{
	json_t		*obj;
	const char	*code;

	raw_send_str(fd, request);
	obj = raw_recv(fd);
	ck_assert_msg(json_is_boolean(json_object_get(obj, "ok")) &&
	    json_is_true(json_object_get(obj, "ok")) == ok,
	    "%s: \"ok\" is not %s", request, ok ? "true" : "false");
	if (error != NULL) {
		code = json_string_value(json_object_get(obj, "error"));
		ck_assert_msg(code != NULL && strcmp(code, error) == 0,
		    "%s: error [%s], want [%s]", request, code ? code : "",
		    error);
		ck_assert(json_is_string(json_object_get(obj, "message")));
	}
	json_decref(obj);
}

/* Has the daemon closed the connection (EOF or reset) in time? */
int
raw_closed(int fd)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	double		 deadline = now_mono() + HARNESS_WAIT;
	char		 buf[4096];
	ssize_t		 n;

	while (now_mono() < deadline) {
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		n = read(fd, buf, sizeof buf);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return (1);
		if (n == -1 && errno != EINTR && errno != EAGAIN)
			return (1);
	}
	return (0);
}

/* ---- job status ---- */

/* The job's object from `corralctl --json status JOB`, or NULL. */
json_t *
job_status(struct harness *h, const char *job)
{
	json_error_t	 jerr;
	json_t		*all, *obj = NULL;
	char		*out = NULL;

	if (ctl_run(h, &out, NULL, "--json", "status", job, NULL) != 0) {
		free(out);
		return (NULL);
	}
	all = json_loads(out, 0, &jerr);
	free(out);
	if (all == NULL)
		ck_abort_msg("status --json %s: bad JSON: %s", job, jerr.text);
	if (json_is_array(all) && json_array_size(all) == 1)
		obj = json_incref(json_array_get(all, 0));
	json_decref(all);
	return (obj);
}

/* A string member of the job's status (to be freed), or NULL. */
char *
status_str(struct harness *h, const char *job, const char *key)
{
	json_t		*st = job_status(h, job);
	const char	*v;
	char		*copy = NULL;

	if (st != NULL &&
	    (v = json_string_value(json_object_get(st, key))) != NULL)
		copy = xstrdup(v);
	json_decref(st);
	return (copy);
}

/* An integer member of a job's status, or -1. */
long long
status_int(struct harness *h, const char *job, const char *key)
{
	json_t		*st = job_status(h, job);
	long long	 v = -1;

	if (st != NULL && json_is_integer(json_object_get(st, key)))
		v = json_integer_value(json_object_get(st, key));
	json_decref(st);
	return (v);
}

/* A number member of a job's status, or NAN. */
double
status_num(struct harness *h, const char *job, const char *key)
{
	json_t	*st = job_status(h, job);
	double	 v = NAN;

	if (st != NULL && json_is_number(json_object_get(st, key)))
		v = json_number_value(json_object_get(st, key));
	json_decref(st);
	return (v);
}

/*
 * Fail the test unless `corralctl status` answers, rounds times in a row,
 * each within a second: nothing (a hostile client, a reexec) holds the
 * daemon up.
 */
void
check_status_prompt(struct harness *h, u_int rounds)
{
	double	 t0, took, worst = 0;
	u_int	 i;

	for (i = 0; i < rounds; i++) {
		t0 = now_mono();
		ck_assert_int_eq(ctl_run(h, NULL, NULL, "status", NULL), 0);
		took = now_mono() - t0;
		if (took > worst)
			worst = took;
	}
	ck_assert_msg(worst < 1.0, "status took %.3f s", worst);
}

/* Wait until the job has been up at least secs, by status. */
struct uptime_cond {
	struct harness	*h;
	const char	*job;
	double		 secs;
};

static int
uptime_pred(void *arg)
{
	struct uptime_cond	*uc = arg;

	return (status_num(uc->h, uc->job, "uptime") >= uc->secs);
}

void
wait_uptime(struct harness *h, const char *job, double secs)
{
	struct uptime_cond	 uc = { h, job, secs };

	ck_assert_msg(wait_until(uptime_pred, &uc, HARNESS_WAIT),
	    "%s: not up %g s", job, secs);
}

/* The job's state (to be freed), or NULL. */
char *
job_state(struct harness *h, const char *job)
{
	return (status_str(h, job, "state"));
}

/* Fail the test unless the job is in state want right now. */
void
check_state(struct harness *h, const char *job, const char *want)
{
	char	*state = job_state(h, job);

	ck_assert_msg(state != NULL && strcmp(state, want) == 0,
	    "%s: state %s, not %s", job, state != NULL ? state : "(none)",
	    want);
	free(state);
}

/* Poll the job's state until it is want: 0, or -1 after timeout seconds. */
int
wait_for_state(struct harness *h, const char *job, const char *want,
    double timeout)
{
	double	 deadline = now_mono() + timeout;
	char	*state;
	int	 same;

	for (;;) {
		state = job_state(h, job);
		same = (state != NULL && strcmp(state, want) == 0);
		free(state);
		if (same)
			return (0);
		if (now_mono() > deadline)
			return (-1);
		pause_ms(5);
	}
}

/* The leader's pid from status, or -1; its session is tracked. */
pid_t
job_pid(struct harness *h, const char *job)
{
	json_t	*obj, *pid;
	pid_t	 result = -1;

	if ((obj = job_status(h, job)) == NULL)
		return (-1);
	pid = json_object_get(obj, "pid");
	if (json_is_integer(pid) && json_integer_value(pid) > 0)
		result = (pid_t)json_integer_value(pid);
	json_decref(obj);
	if (result > 0)
		harness_track(h, result);
	return (result);
}

/* The pids of a pipeline's stages, from status "stages"; how many. */
u_int
job_stage_pids(struct harness *h, const char *job, pid_t *out, u_int max)
{
	json_t	*obj, *stages, *stage;
	size_t	 i;
	u_int	 n = 0;

	if ((obj = job_status(h, job)) == NULL)
		return (0);
	stages = json_object_get(obj, "stages");
	json_array_foreach(stages, i, stage) {
		if (n < max)
			out[n] = (pid_t)json_integer_value(json_object_get(
			    stage, "pid"));
		n++;
	}
	json_decref(obj);
	return (n);
}

/* ---- the test case ---- */

/* Unchecked setup, in the runner: the case's directory. */
void
harness_case_setup(void)
{
	char	 tmpl[] = "/tmp/corral-integ.XXXXXX", real[PATH_MAX];

	if (mkdtemp(tmpl) == NULL || realpath(tmpl, real) == NULL ||
	    strlen(real) >= sizeof harness_casedir) {
		fprintf(stderr, "integ: cannot make %s: %s\n", tmpl,
		    strerror(errno));
		exit(1);
	}
	strcpy(harness_casedir, real);
}

/* Print the corrald log of a test directory left by a failed test. */
static void
harness_show_failed(const char *dir)
{
	char	*path, *log;

	char	*line, *next;

	xasprintf(&path, "%s/corrald.stderr", dir);
	if ((log = file_read(path, NULL)) != NULL) {
		fprintf(stderr, "--- corrald stderr of a failed test "
		    "(%s) ---\n", dir);
		/* Each corralctl run connects: that is only noise here. */
		for (line = log; *line != '\0'; line = next) {
			if ((next = strchr(line, '\n')) == NULL)
				next = line + strlen(line);
			else
				next++;
			if (strstr(line, ": client pid ") != NULL &&
			    strstr(line, " connected") != NULL)
				continue;
			fwrite(line, 1, (size_t)(next - line), stderr);
		}
		fprintf(stderr, "--- end ---\n");
		free(log);
	}
	free(path);
}

/*
 * Unchecked teardown, in the runner: what failed tests left behind --
 * their daemons, their jobs, their directories (kept, with a note, if
 * CORRAL_INTEG_KEEP is set) -- is swept away.
 */
void
harness_case_teardown(void)
{
	struct dirent	*de;
	DIR		*d;
	char		*path;

	if (harness_casedir[0] == '\0')
		return;
	harness_kill_tagged(harness_casedir, NULL, 0);
	if ((d = opendir(harness_casedir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			xasprintf(&path, "%s/%s", harness_casedir, de->d_name);
			harness_show_failed(path);
			free(path);
		}
		closedir(d);
	}
	if (getenv("CORRAL_INTEG_KEEP") == NULL)
		nftw(harness_casedir, harness_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	else
		fprintf(stderr, "kept %s\n", harness_casedir);
	harness_casedir[0] = '\0';
}

/* A test case with the fixture's set-up, sweep and timeout. */
TCase *
harness_tcase(const char *name)
{
	TCase	*tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, harness_case_setup,
	    harness_case_teardown);
	tcase_set_timeout(tc, HARNESS_TEST_TIMEOUT);
	return (tc);
}
