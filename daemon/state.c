/*
 * state.c -- the state file, and what it is for: never two instances of
 * one job.
 *
 * Beside the control socket (SOCKET.state), corrald keeps the session of
 * every job it runs, written atomically (write, then rename) whenever
 * jobs start or end.  If corrald dies without stopping its jobs (SIGKILL,
 * a crash) and is started again, it reads the file, stops whatever is
 * left of those sessions (stop_signal, then SIGKILL), and only then starts
 * its own jobs.
 *
 * A pid or session id may be reused once its last process is gone, so a
 * recorded session is acted on only if one of its members started before
 * the file was written: then the session has been in use all along, and
 * every member is the old job's.  Members are signalled through pidfds,
 * opened and then checked to still be in the session.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/pidfd.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "corrald.h"

/* Format of the file; another version is not read. */
#define STATE_VERSION		1

/* Largest state file read. */
#define STATE_MAX_SIZE		(16 * 1024 * 1024)

/* Sessions of a dead corrald cleaned at most. */
#define STATE_MAX_JOBS		65536

static void	state_save_cb(int, short, void *);
static u_int	state_session_members(pid_t, pid_t **, unsigned long long *);
static void	state_prune_strays(void);

/* What /proc/PID/stat says of a process: session and start time. */
static int
state_proc_stat(pid_t pid, pid_t *session, unsigned long long *start)
{
	char		 path[64], buf[1024], *p;
	long		 sid;
	ssize_t		 n;
	int		 fd;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return (-1);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return (-1);
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime cutime cstime priority nice threads
	 * itrealvalue starttime */
	if (sscanf(p + 1, " %*c %*d %*d %ld %*d %*d %*u %*u %*u %*u %*u %*u "
	    "%*u %*d %*d %*d %*d %*d %*d %llu", &sid, start) != 2)
		return (-1);
	*session = (pid_t)sid;
	return (0);
}

/* Now, in the clock of /proc/PID/stat's starttime: ticks since boot. */
static unsigned long long
state_now_ticks(void)
{
	struct timespec	 ts;
	long		 hz = sysconf(_SC_CLK_TCK);

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ((unsigned long long)ts.tv_sec * (unsigned long long)hz +
	    (unsigned long long)ts.tv_nsec / (1000000000ULL /
	    (unsigned long long)hz));
}

/* The file: SOCKET.state. */
static char *
state_path(void)
{
	char	*path;

	if (cd->socket_path == NULL)
		return (NULL);
	xasprintf(&path, "%s.state", cd->socket_path);
	return (path);
}

/* Jobs started or ended: write the file once the callback is over. */
void
state_changed(void)
{
	if (cd->socket_path == NULL || cd->base == NULL)
		return;
	if (cd->ev_state_save == NULL)
		cd->ev_state_save = event_new(cd->base, -1, 0, state_save_cb,
		    NULL);
	event_active(cd->ev_state_save, 0, 0);
}

static void
state_save_cb(int fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	state_save();
}

/* Write every running job's session, atomically. */
void
state_save(void)
{
	struct job	*job;
	json_t		*obj, *jobs;
	char		*path, *tmp, *text;
	size_t		 len;
	ssize_t		 n;
	int		 fd;

	if ((path = state_path()) == NULL)
		return;
	jobs = json_array();
	TAILQ_FOREACH(job, &cd->jobs, entry) {
		if (job->pgid <= 0 || !job->group_live)
			continue;
		json_array_append_new(jobs, json_pack("{s:s,s:I,s:i}",
		    "name", job->name, "session", (json_int_t)job->pgid,
		    "stop_signal", job->spec->stop_signal));
	}
	/* Sessions nobody supervises are named until they are over. */
	if (cd->strays != NULL) {
		state_prune_strays();
		json_array_extend(jobs, cd->strays);
	}
	obj = json_pack("{s:i,s:I,s:I,s:o}", "version", STATE_VERSION,
	    "corrald", (json_int_t)getpid(),
	    "written", (json_int_t)state_now_ticks(), "jobs", jobs);
	text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	xasprintf(&tmp, "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1) {
		log_warn("state file %s", tmp);
		goto out;
	}
	len = strlen(text);
	n = write(fd, text, len);
	if (n != (ssize_t)len || close(fd) == -1) {
		log_warn("state file %s", tmp);
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) == -1) {
		log_warn("state file %s", path);
		unlink(tmp);
	}
out:
	free(text);
	free(tmp);
	free(path);
}

/*
 * At a clean exit nothing is left running: the file goes -- unless it
 * names sessions of a re-execution that could not read its state, which
 * the next corrald is to stop before it starts the jobs again.
 */
void
state_remove(void)
{
	char	*path;

	if (cd->strays != NULL) {
		state_prune_strays();
		if (json_array_size(cd->strays) > 0) {
			state_save();
			return;
		}
	}
	if ((path = state_path()) == NULL)
		return;
	unlink(path);
	free(path);
}

/* The live processes of session sid; returns how many. */
static u_int
state_session_members(pid_t sid, pid_t **pids, unsigned long long *oldest)
{
	DIR			*dir;
	struct dirent		*de;
	pid_t			 pid, s;
	unsigned long long	 start;
	u_int			 n = 0;
	char			*end;

	*pids = NULL;
	*oldest = ~0ULL;
	if ((dir = opendir("/proc")) == NULL)
		return (0);
	while ((de = readdir(dir)) != NULL) {
		pid = (pid_t)strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 1)
			continue;
		if (state_proc_stat(pid, &s, &start) == -1 || s != sid)
			continue;
		*pids = xreallocarray(*pids, n + 1, sizeof **pids);
		(*pids)[n++] = pid;
		if (start < *oldest)
			*oldest = start;
	}
	closedir(dir);
	return (n);
}

/*
 * Signal every member of session sid, through a pidfd opened first and
 * then checked to be in the session still.  Returns how many were there.
 */
static u_int
state_signal_session(pid_t sid, int sig)
{
	unsigned long long	 oldest, start;
	pid_t			*pids, s;
	u_int			 n, i;
	int			 pidfd;

	n = state_session_members(sid, &pids, &oldest);
	for (i = 0; i < n; i++) {
		pidfd = pidfd_open(pids[i], 0);
		if (pidfd == -1 && errno != ENOSYS)
			continue;
		if (state_proc_stat(pids[i], &s, &start) != 0 || s != sid) {
			if (pidfd != -1)
				close(pidfd);
			continue;
		}
		/*
		 * Without pidfds (ENOSYS: an old kernel, or valgrind) the
		 * pid was just seen in the session: the best there is.
		 */
		if (pidfd == -1)
			kill(pids[i], sig);
		else {
			pidfd_send_signal(pidfd, sig, NULL, 0);
			close(pidfd);
		}
	}
	free(pids);
	return (n);
}

/* Poll until session sid has no member, for up to secs. */
static int
state_wait_empty(pid_t sid, double secs)
{
	struct timespec		 pause = { 0, 20 * 1000 * 1000 };
	unsigned long long	 oldest;
	pid_t			*pids;
	u_int			 n, i, rounds = (u_int)(secs * 50);

	for (i = 0; i <= rounds; i++) {
		n = state_session_members(sid, &pids, &oldest);
		free(pids);
		if (n == 0)
			return (0);
		/* Some may be our own children by now (subreaper): reap. */
		reap_children();
		nanosleep(&pause, NULL);
	}
	return (-1);
}

/* Stop what is left of one job of the dead corrald. */
static void
state_stop_leftover(const char *name, pid_t sid, int sig,
    unsigned long long written)
{
	struct job		*job;
	unsigned long long	 oldest;
	pid_t			*pids;
	u_int			 n;
	double			 timeout = 10;

	if (sid <= 1 || sid == getsid(0))
		return;
	n = state_session_members(sid, &pids, &oldest);
	free(pids);
	if (n == 0)
		return;
	if (oldest > written) {
		/* Every member is younger than the file: not that session. */
		log_debug("%s: session %ld is not the one recorded", name,
		    (long)sid);
		return;
	}
	if ((job = job_find(name)) != NULL) {
		sig = job->spec->stop_signal;
		timeout = job->spec->stop_timeout;
	}
	log_warnx("%s: session %ld of a corrald that died is still running: "
	    "stopping it (%u process%s)", name, (long)sid, n,
	    n == 1 ? "" : "es");
	state_signal_session(sid, sig);
	if (state_wait_empty(sid, timeout) == 0)
		return;
	log_warnx("%s: session %ld still running after %g s: sending KILL",
	    name, (long)sid, timeout);
	state_signal_session(sid, SIGKILL);
	if (state_wait_empty(sid, 5) == -1)
		log_warnx("%s: session %ld survives SIGKILL", name, (long)sid);
}

/* Is pid a live corrald other than us?  (A killed one may be a zombie.) */
static int
state_predecessor_alive(json_int_t pid)
{
	char	 path[64], buf[256], *p;
	ssize_t	 n;
	int	 fd;

	if (pid <= 1 || pid > 0x7fffffff || pid == getpid())
		return (0);
	snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return (0);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' ||
	    p[2] == 'Z' || p[2] == 'X')
		return (0);
	return (strstr(buf, " (corrald) ") != NULL);
}

/*
 * Before the first job starts: if the state file says a corrald that is
 * gone left jobs running, stop them.  A file that cannot be read is said
 * so and ignored.
 */
void
state_clean_predecessor(void)
{
	json_t			*obj, *jobs, *j;
	json_error_t		 jerr;
	char			*path;
	unsigned long long	 written;
	json_int_t		 session, sig;
	size_t			 i;

	if ((path = state_path()) == NULL)
		return;
	obj = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		if (access(path, F_OK) == 0)
			log_warnx("state file %s: %s: ignored", path,
			    jerr.text);
		free(path);
		return;
	}
	jobs = json_object_get(obj, "jobs");
	if (json_integer_value(json_object_get(obj, "version")) !=
	    STATE_VERSION || !json_is_array(jobs) ||
	    !json_is_integer(json_object_get(obj, "written")) ||
	    json_array_size(jobs) > STATE_MAX_JOBS) {
		log_warnx("state file %s: not a state file of this version: "
		    "ignored", path);
		goto out;
	}
	if (state_predecessor_alive(json_integer_value(json_object_get(obj,
	    "corrald")))) {
		log_warnx("state file %s: the corrald that wrote it is still "
		    "running: leaving its jobs alone", path);
		goto out;
	}
	written = (unsigned long long)json_integer_value(json_object_get(obj,
	    "written"));
	json_array_foreach(jobs, i, j) {
		session = json_integer_value(json_object_get(j, "session"));
		sig = json_integer_value(json_object_get(j, "stop_signal"));
		if (!json_is_string(json_object_get(j, "name")) ||
		    session <= 1 || session > 0x7fffffff)
			continue;
		/* The file is data, not orders: a bad signal is TERM. */
		if (sig < 1 || sig > SIGRTMAX)
			sig = SIGTERM;
		state_stop_leftover(json_string_value(json_object_get(j,
		    "name")), (pid_t)session, (int)sig, written);
	}
out:
	json_decref(obj);
	free(path);
}

/*
 * After a re-execution whose state could not be read (server_restore()):
 * the sessions the state file names run on, and corrald has lost track of
 * them.  Kept as strays, so that none of those jobs is started a second
 * time while its old session runs, and so that the file goes on naming
 * them.
 */
void
state_keep_strays(void)
{
	json_t			*obj, *jobs, *j;
	json_error_t		 jerr;
	const char		*name;
	char			*path;
	unsigned long long	 written, oldest;
	json_int_t		 sid;
	pid_t			*pids;
	size_t			 i;
	u_int			 n;

	if ((path = state_path()) == NULL)
		return;
	obj = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	free(path);
	jobs = json_object_get(obj, "jobs");
	if (obj == NULL || json_integer_value(json_object_get(obj,
	    "version")) != STATE_VERSION || !json_is_array(jobs) ||
	    !json_is_integer(json_object_get(obj, "written")) ||
	    json_array_size(jobs) > STATE_MAX_JOBS) {
		json_decref(obj);
		return;
	}
	written = (unsigned long long)json_integer_value(json_object_get(obj,
	    "written"));
	cd->strays = json_array();
	json_array_foreach(jobs, i, j) {
		name = json_string_value(json_object_get(j, "name"));
		sid = json_integer_value(json_object_get(j, "session"));
		if (name == NULL || sid <= 1 || sid > 0x7fffffff)
			continue;
		n = state_session_members((pid_t)sid, &pids, &oldest);
		free(pids);
		/* Gone, or younger than the file: not that session. */
		if (n == 0 || oldest > written)
			continue;
		log_warnx("%s: session %ld (%u process%s) runs on, "
		    "unsupervised", name, (long)sid, n, n == 1 ? "" : "es");
		json_array_append(cd->strays, j);
	}
	json_decref(obj);
}

/* Forget the strays whose sessions are over. */
static void
state_prune_strays(void)
{
	unsigned long long	 oldest;
	pid_t			*pids;
	size_t			 i;
	u_int			 n;

	for (i = 0; i < json_array_size(cd->strays); i++) {
		n = state_session_members((pid_t)json_integer_value(
		    json_object_get(json_array_get(cd->strays, i), "session")),
		    &pids, &oldest);
		free(pids);
		if (n == 0)
			json_array_remove(cd->strays, i--);
	}
}

/*
 * May job name be spawned?  Not while a stray session of it runs: -1,
 * with *cause.
 */
int
state_stray_running(const char *name, char **cause)
{
	json_t		*j;
	const char	*stray;
	size_t		 i;

	if (cd->strays == NULL)
		return (0);
	state_prune_strays();
	json_array_foreach(cd->strays, i, j) {
		stray = json_string_value(json_object_get(j, "name"));
		if (stray == NULL || strcmp(stray, name) != 0)
			continue;
		xasprintf(cause, "session %lld of this job, which a reexec "
		    "could not take over, is still running: stop it first",
		    (long long)json_integer_value(json_object_get(j,
		    "session")));
		return (-1);
	}
	return (0);
}
