/*
 * notify.c -- the sd_notify protocol both ways.  To systemd: READY=1 once
 * the socket listens and autostart jobs are spawned, STATUS= a one-line
 * summary of the jobs, RELOADING=1 around a reload, STOPPING=1 on
 * shutdown, WATCHDOG=1 when systemd asks for it (without NOTIFY_SOCKET
 * none of it is sent).  From jobs with ready = "notify": their own
 * NOTIFY_SOCKET, on which READY=1 makes them RUNNING.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "corrald.h"

static struct event	*notify_ev_status;
static struct event	*notify_ev_watchdog;

static void	notify_status_cb(int, short, void *);
static void	notify_watchdog_cb(int, short, void *);

static int
notify_enabled(void)
{
	return (getenv("NOTIFY_SOCKET") != NULL);
}

static void
notify_send(const char *msg)
{
	int	 rc;

	if (!notify_enabled())
		return;
	if ((rc = sd_notify(0, msg)) < 0)
		log_warnx("sd_notify %s: error %d", msg, rc);
}

/* "3 jobs: 2 running, 1 fatal", counting each state that has jobs. */
static void
notify_summary(char *buf, size_t len)
{
	struct job	*job;
	u_int		 counts[JOB_FATAL + 1] = { 0 }, total = 0, state;
	size_t		 used;
	const char	*sep = ": ";
	char		 name[16];
	u_int		 i;

	TAILQ_FOREACH(job, &cd->jobs, entry) {
		counts[job->state]++;
		total++;
	}
	used = (size_t)snprintf(buf, len, "%u job%s", total,
	    total == 1 ? "" : "s");
	for (state = JOB_STOPPED; state <= JOB_FATAL; state++) {
		if (counts[state] == 0 || used >= len)
			continue;
		snprintf(name, sizeof name, "%s", job_state_name(state));
		for (i = 0; name[i] != '\0'; i++)
			name[i] = (char)(name[i] | 0x20);	/* lower case */
		used += (size_t)snprintf(buf + used, len - used, "%s%u %s", sep,
		    counts[state], name);
		sep = ", ";
	}
}

void
notify_ready(void)
{
	char	 msg[256], summary[200];

	notify_summary(summary, sizeof summary);
	snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", summary);
	notify_send(msg);
}

void
notify_reloading(void)
{
	notify_send("RELOADING=1\nSTATUS=reloading the configuration");
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1\nSTATUS=stopping every job");
}

/* Jobs changed: send a new summary once the current callback is over. */
void
notify_status(void)
{
	if (!notify_enabled() || cd->base == NULL)
		return;
	if (notify_ev_status == NULL)
		notify_ev_status = event_new(cd->base, -1, 0, notify_status_cb,
		    NULL);
	event_active(notify_ev_status, 0, 0);
}

static void
notify_status_cb(int fd, short events, void *arg)
{
	char	 msg[256], summary[200];

	(void)fd;
	(void)events;
	(void)arg;
	notify_summary(summary, sizeof summary);
	snprintf(msg, sizeof msg, "STATUS=%s", summary);
	notify_send(msg);
}

/*
 * With WatchdogSec= systemd expects WATCHDOG=1 within the interval: send
 * it at half of it, from the loop, so a stuck loop is noticed.
 */
void
notify_watchdog_start(void)
{
	struct timeval	 tv;
	uint64_t	 usec;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	notify_ev_watchdog = event_new(cd->base, -1, EV_PERSIST,
	    notify_watchdog_cb, NULL);
	evtimer_add(notify_ev_watchdog, &tv);
	log_info("watchdog: pinging systemd every %.3f s",
	    (double)usec / 1e6);
	notify_send("WATCHDOG=1");
}

static void
notify_watchdog_cb(int fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	notify_send("WATCHDOG=1");
}

/* At exit: the events must go before the event base does. */
void
notify_free(void)
{
	if (notify_ev_status != NULL)
		event_free(notify_ev_status);
	notify_ev_status = NULL;
	if (notify_ev_watchdog != NULL)
		event_free(notify_ev_watchdog);
	notify_ev_watchdog = NULL;
}

/*
 * The notify socket of a job with ready = "notify": a datagram socket at
 * an abstract address, handed to the job as NOTIFY_SOCKET.  A message
 * counts only if the kernel's credentials (SCM_CREDENTIALS, never the
 * payload) name a process of the job's session; anything empty, too long,
 * carrying descriptors or from a stranger is dropped.
 */

/* Longest message taken from a job; longer ones are dropped whole. */
#define NOTIFY_MSG_MAX	4096

static void	notify_job_cb(int, short, void *);

/* The session of pid from /proc, or -1. */
static pid_t
notify_session_of(pid_t pid)
{
	char	 path[64], buf[1024], *p;
	long	 session;
	ssize_t	 n;
	int	 fd;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return (-1);
	buf[n] = '\0';
	/* comm may hold anything, parentheses too: fields follow the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return (-1);
	if (sscanf(p + 1, " %*c %*d %*d %ld", &session) != 1)
		return (-1);
	return ((pid_t)session);
}

/* Give job a notify socket if it has none.  Returns -1 with *cause. */
int
notify_job_open(struct job *job, char **cause)
{
	static u_int		 serial;
	struct sockaddr_un	 sun;
	socklen_t		 len;
	int			 fd, on = 1;
	char			*name;

	if (job->notify_fd != -1)
		return (0);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		xasprintf(cause, "notify socket: %s", strerror(errno));
		return (-1);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == -1) {
		xasprintf(cause, "notify socket: SO_PASSCRED: %s",
		    strerror(errno));
		close(fd);
		return (-1);
	}
	xasprintf(&name, "corral/%ld/%u/%s", (long)getpid(), ++serial,
	    job->name);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	/* Abstract: sun_path[0] is NUL, and the name is not NUL-terminated. */
	memcpy(sun.sun_path + 1, name, strlen(name));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(name));
	if (bind(fd, (struct sockaddr *)&sun, len) == -1) {
		xasprintf(cause, "notify socket @%s: %s", name,
		    strerror(errno));
		free(name);
		close(fd);
		return (-1);
	}
	xasprintf(&job->notify_env, "NOTIFY_SOCKET=@%s", name);
	free(name);
	job->notify_fd = fd;
	job->ev_notify = event_new(cd->base, fd, EV_READ | EV_PERSIST,
	    notify_job_cb, job);
	event_add(job->ev_notify, NULL);
	return (0);
}

void
notify_job_close(struct job *job)
{
	if (job->notify_fd == -1)
		return;
	event_free(job->ev_notify);
	job->ev_notify = NULL;
	close(job->notify_fd);
	job->notify_fd = -1;
	free(job->notify_env);
	job->notify_env = NULL;
}

/* Close whatever descriptors came along; they are never accepted. */
static int
notify_scan_cmsgs(struct msghdr *msg, struct ucred **cred)
{
	struct cmsghdr	*cmsg;
	int		*fds, had_fds = 0;
	size_t		 n, i;

	*cred = NULL;
	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET)
			continue;
		if (cmsg->cmsg_type == SCM_RIGHTS) {
			fds = (int *)CMSG_DATA(cmsg);
			n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < n; i++)
				close(fds[i]);
			had_fds = 1;
		} else if (cmsg->cmsg_type == SCM_CREDENTIALS &&
		    cmsg->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
			*cred = (struct ucred *)CMSG_DATA(cmsg);
	}
	return (had_fds);
}

/* Act on each "KEY=value" line of a message. */
static void
notify_job_message(struct job *job, char *msg)
{
	char	*line, *next;

	for (line = msg; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strcmp(line, "READY=1") == 0)
			job_notify_ready(job);
		else if (strncmp(line, "STATUS=", 7) == 0) {
			free(job->status_text);
			job->status_text = xstrdup(line + 7);
		} else if (strcmp(line, "STOPPING=1") == 0)
			log_info("%s: says it is stopping", job->name);
	}
}

static void
notify_job_cb(int fd, short events, void *arg)
{
	struct job	*job = arg;
	char		 buf[NOTIFY_MSG_MAX + 1];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(struct ucred)) +
				    CMSG_SPACE(16 * sizeof(int))];
	}		 cmsgbuf;
	struct iovec	 iov = { buf, NOTIFY_MSG_MAX };
	struct msghdr	 msg;
	struct ucred	*cred;
	ssize_t		 n;
	int		 i;

	(void)events;
	/* A bounded batch per wake-up: a flood cannot starve the loop. */
	for (i = 0; i < 16; i++) {
		memset(&msg, 0, sizeof msg);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof cmsgbuf.buf;
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_TRUNC);
		if (n == -1)
			return;
		if (notify_scan_cmsgs(&msg, &cred) ||
		    (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || n == 0 ||
		    n > NOTIFY_MSG_MAX || cred == NULL) {
			log_debug("%s: notify message dropped", job->name);
			continue;
		}
		if (!job_is_active(job) || cred->pid <= 0 ||
		    notify_session_of(cred->pid) != job->pgid) {
			log_warnx("%s: notify message from pid %ld, not of "
			    "the job's session: dropped", job->name,
			    (long)cred->pid);
			continue;
		}
		buf[n] = '\0';
		if (memchr(buf, '\0', (size_t)n) != NULL)
			continue;
		notify_job_message(job, buf);
	}
}

/* A job's notify socket kept across a re-execution. */
void
notify_job_adopt(struct job *job)
{
	fcntl(job->notify_fd, F_SETFD, FD_CLOEXEC);
	job->ev_notify = event_new(cd->base, job->notify_fd,
	    EV_READ | EV_PERSIST, notify_job_cb, job);
	event_add(job->ev_notify, NULL);
}
