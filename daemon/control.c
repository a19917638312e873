/*
 * control.c -- the control socket: binding it safely, accepting clients,
 * framing their newline-delimited JSON requests, and writing answers.
 *
 * Nothing here blocks: clients are non-blocking, their output is buffered
 * and written when the socket is writable, and a client that misbehaves
 * (too long a line, half a line and then silence, never reading its
 * answers) is closed without touching anyone else.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corrald.h"

/* Clients served at once, in all and per uid (other than root and ours). */
#define CONTROL_MAX_CLIENTS	4096
#define CONTROL_MAX_PER_UID	64

/* A client that has sent part of a line waits this long for the rest. */
#define CONTROL_IDLE_SEC	10

/* Answers a client has not read: past HIGH its requests wait, past MAX it
 * is dropped. */
#define CONTROL_OUT_HIGH	(256 * 1024)
#define CONTROL_OUT_MAX		(2 * PROTO_ANSWER_MAX)

/* Descriptors accepted in one SCM_RIGHTS message. */
#define CONTROL_MAX_FDS		8

static void	control_accept_cb(int, short, void *);
static void	control_accept_resume_cb(int, short, void *);
static void	control_read_cb(int, short, void *);
static void	control_write_cb(int, short, void *);
static void	control_idle_cb(int, short, void *);
static void	control_client_free_cb(int, short, void *);

/*
 * Create the directory that holds path (and its parents): 0700, or 0750
 * and group gid when the socket is shared with a group (gid != -1).
 */
static int
control_make_dir(const char *path, gid_t gid, char **cause)
{
	struct stat	 sb;
	char		*dir, *slash;
	int		 rc = 0, created;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		created = (stat(dir, &sb) == -1);
		rc = server_mkdirs(dir, gid != (gid_t)-1 ? 0750 : 0700, cause);
		/* Only a directory of our own making changes hands. */
		if (rc == 0 && created && gid != (gid_t)-1 &&
		    chown(dir, (uid_t)-1, gid) == -1) {
			xasprintf(cause, "chown %s: %s", dir, strerror(errno));
			rc = -1;
		}
	}
	free(dir);
	return (rc);
}

/* The gid of a group name or number. */
static int
control_group_id(const char *name, gid_t *gid, char **cause)
{
	struct group	*gr;
	char		*end;
	unsigned long	 n;

	errno = 0;
	n = strtoul(name, &end, 10);
	if (*name >= '0' && *name <= '9' && *end == '\0' && errno == 0) {
		*gid = (gid_t)n;
		return (0);
	}
	errno = 0;
	if ((gr = getgrnam(name)) == NULL) {
		xasprintf(cause, "socket_group %s: %s", name, errno != 0 ?
		    strerror(errno) : "no such group");
		return (-1);
	}
	*gid = gr->gr_gid;
	return (0);
}

/*
 * If a socket exists at path, is a daemon listening on it?  A live one is
 * an error; a stale one (its daemon died) is removed.
 */
static int
control_check_stale(const char *path, struct sockaddr_un *sun, char **cause)
{
	struct stat	 sb;
	int		 fd;

	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return (0);
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (!S_ISSOCK(sb.st_mode)) {
		xasprintf(cause, "%s exists and is not a socket", path);
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return (-1);
	}
	if (connect(fd, (struct sockaddr *)sun, sizeof *sun) == 0) {
		close(fd);
		xasprintf(cause, "another corrald is already listening on %s",
		    path);
		return (-1);
	}
	close(fd);
	if (errno != ECONNREFUSED) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	log_info("removing stale socket %s", path);
	if (unlink(path) == -1 && errno != ENOENT) {
		xasprintf(cause, "unlink %s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

/* Start accepting on fd, a listening socket. */
static void
control_accept_on(int fd)
{
	cd->socket_fd = fd;
	cd->ev_accept = event_new(cd->base, fd, EV_READ | EV_PERSIST,
	    control_accept_cb, NULL);
	cd->ev_accept_pause = evtimer_new(cd->base, control_accept_resume_cb,
	    NULL);
	event_add(cd->ev_accept, NULL);
}

/*
 * Bind and listen on path with mode, and group if not NULL.  The umask is
 * set around bind so that the socket never exists with wider rights than
 * mode, nor with group rights for a group other than group.
 */
int
control_listen(const char *path, mode_t mode, const char *group,
    char **cause)
{
	struct sockaddr_un	 sun;
	mode_t			 old_mask;
	gid_t			 gid = (gid_t)-1;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "socket path too long (at most %zu bytes): %s",
		    sizeof sun.sun_path - 1, path);
		return (-1);
	}
	strncpy(sun.sun_path, path, sizeof sun.sun_path - 1);
	if (group != NULL && control_group_id(group, &gid, cause) == -1)
		return (-1);
	if (control_make_dir(path, gid, cause) == -1)
		return (-1);
	if (control_check_stale(path, &sun, cause) == -1)
		return (-1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return (-1);
	}
	/* Owner bits only until the group is right; then the full mode. */
	old_mask = umask(0777 & ~(mode & 0700));
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		umask(old_mask);
		xasprintf(cause, "bind %s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	umask(old_mask);
	/* The group first: until then mode's group bits give nobody more. */
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) == -1) {
		xasprintf(cause, "chown %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return (-1);
	}
	if (chmod(path, mode) == -1)
		log_warn("chmod %s", path);
	if (listen(fd, SOMAXCONN) == -1) {
		xasprintf(cause, "listen %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return (-1);
	}
	cd->socket_path = xstrdup(path);
	control_accept_on(fd);
	return (0);
}

/* Use a socket handed over by systemd (socket activation). */
void
control_listen_fd(int fd)
{
	struct sockaddr_un	 sun;
	socklen_t		 len = sizeof sun;
	int			 flags;

	/* Its path names the state file; it is systemd's to remove. */
	memset(&sun, 0, sizeof sun);
	if (getsockname(fd, (struct sockaddr *)&sun, &len) == 0 &&
	    sun.sun_family == AF_UNIX && sun.sun_path[0] != '\0')
		cd->socket_path = xstrndup(sun.sun_path, sizeof sun.sun_path);

	if ((flags = fcntl(fd, F_GETFL)) != -1)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if ((flags = fcntl(fd, F_GETFD)) != -1)
		fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
	cd->socket_activated = 1;
	control_accept_on(fd);
}

/* The listening socket kept across a re-execution. */
void
control_adopt(int fd, const char *path, int activated)
{
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (path != NULL)
		cd->socket_path = xstrdup(path);
	cd->socket_activated = activated;
	control_accept_on(fd);
}

/* Stop listening; the socket file is ours to remove unless systemd's. */
void
control_close(void)
{
	if (cd->ev_accept == NULL)
		return;
	event_free(cd->ev_accept);
	event_free(cd->ev_accept_pause);
	cd->ev_accept = cd->ev_accept_pause = NULL;
	close(cd->socket_fd);
	cd->socket_fd = -1;
	if (!cd->socket_activated && cd->socket_path != NULL)
		unlink(cd->socket_path);
}

static void
control_accept_resume_cb(int fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	event_add(cd->ev_accept, NULL);
}

/* How many clients this uid has connected. */
static u_int
control_count_uid(uid_t uid)
{
	struct client	*c;
	u_int		 n = 0;

	TAILQ_FOREACH(c, &cd->clients, entry) {
		if (c->uid == uid)
			n++;
	}
	return (n);
}

static void
control_accept_cb(int lfd, short events, void *arg)
{
	int	 fd, i;

	(void)events;
	(void)arg;
	/* A bounded batch, so a flood of connections cannot starve jobs. */
	for (i = 0; i < 64; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd != -1) {
			control_client_new(fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno == EMFILE || errno == ENFILE) {
			/* Out of descriptors: pause instead of spinning. */
			struct timeval	 tv = { 1, 0 };

			log_warn("accept: pausing for a second");
			event_del(cd->ev_accept);
			evtimer_add(cd->ev_accept_pause, &tv);
			return;
		}
		log_warn("accept");
		return;
	}
}

/* A client on fd, a connected socket; NULL (fd closed) if refused. */
struct client *
control_client_new(int fd)
{
	struct client	*c;
	struct ucred	 cred;
	socklen_t	 len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("SO_PEERCRED");
		close(fd);
		return (NULL);
	}
	if (cd->nclients >= CONTROL_MAX_CLIENTS ||
	    (cred.uid != 0 && cred.uid != geteuid() &&
	    control_count_uid(cred.uid) >= CONTROL_MAX_PER_UID)) {
		log_warnx("refusing client pid %ld uid %ld: too many clients",
		    (long)cred.pid, (long)cred.uid);
		close(fd);
		return (NULL);
	}
	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	c->in = evbuffer_new();
	c->out = evbuffer_new();
	c->ev_read = event_new(cd->base, fd, EV_READ | EV_PERSIST,
	    control_read_cb, c);
	c->ev_write = event_new(cd->base, fd, EV_WRITE | EV_PERSIST,
	    control_write_cb, c);
	c->ev_idle = evtimer_new(cd->base, control_idle_cb, c);
	event_add(c->ev_read, NULL);
	TAILQ_INSERT_TAIL(&cd->clients, c, entry);
	cd->nclients++;
	log_debug("client pid %ld uid %ld connected", (long)c->pid,
	    (long)c->uid);
	return (c);
}

/*
 * Keep the descriptors that came with a message, for a `run` request: at
 * most three, a client's stdin, stdout and stderr.  Any beyond that, or
 * sent when three are already waiting, are closed at once.
 */
static void
control_take_passed_fds(struct client *c, struct msghdr *msg)
{
	struct cmsghdr	*cmsg;
	int		*fds;
	size_t		 n, i;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		fds = (int *)CMSG_DATA(cmsg);
		n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			if (c->npassed < 3)
				c->passed[c->npassed++] = fds[i];
			else
				close(fds[i]);
		}
	}
}

/* Descriptors a client sent that no request took: closed. */
void
control_close_passed(struct client *c)
{
	while (c->npassed > 0)
		close(c->passed[--c->npassed]);
}

static void
control_read_cb(int fd, short events, void *arg)
{
	struct client	*c = arg;
	char		 buf[16384];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(CONTROL_MAX_FDS * sizeof(int))];
	}		 cmsgbuf;
	struct iovec	 iov = { buf, sizeof buf };
	struct msghdr	 msg;
	ssize_t		 n;

	(void)events;
	memset(&msg, 0, sizeof msg);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof cmsgbuf.buf;
	n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		control_client_done(c);
		return;
	}
	control_take_passed_fds(c, &msg);
	evbuffer_add(c->in, buf, (size_t)n);
	control_process_pending(c);
}

/*
 * Is a partial line sitting in the input?  Then the idle timer runs.
 * Whole lines queued behind a pending answer are not idleness.
 */
static void
control_arm_idle(struct client *c)
{
	struct timeval	 tv = { CONTROL_IDLE_SEC, 0 };
	int		 stalled;

	/*
	 * A client whose answers pile up unread is not read from either
	 * (reading resumes once they drain) and has as long to read them as
	 * a half request has to be finished.
	 */
	stalled = evbuffer_get_length(c->out) >= CONTROL_OUT_HIGH;
	if (stalled)
		event_del(c->ev_read);
	if (stalled || (c->waiter == NULL && !c->listening &&
	    c->follow == NULL && evbuffer_get_length(c->in) > 0))
		evtimer_add(c->ev_idle, &tv);
	else
		evtimer_del(c->ev_idle);
}

static void
control_idle_cb(int fd, short events, void *arg)
{
	struct client	*c = arg;

	(void)fd;
	(void)events;
	if (evbuffer_get_length(c->out) >= CONTROL_OUT_HIGH)
		log_warnx("client pid %ld uid %ld does not read its answers: "
		    "closing", (long)c->pid, (long)c->uid);
	else
		log_warnx("client pid %ld uid %ld sent half a request and "
		    "went quiet: closing", (long)c->pid, (long)c->uid);
	control_client_done(c);
}

/* Handle every whole line, unless an answer is awaited or output is full. */
void
control_process_pending(struct client *c)
{
	struct evbuffer_ptr	 eol;
	json_t			*req;
	const char		*code;
	char			*line, *cause;
	size_t			 len;

	while (!c->dead && !c->closing && c->waiter == NULL &&
	    !c->listening && c->follow == NULL &&
	    evbuffer_get_length(c->out) < CONTROL_OUT_HIGH) {
		eol = evbuffer_search_eol(c->in, NULL, &len, EVBUFFER_EOL_LF);
		if (eol.pos == -1) {
			if (evbuffer_get_length(c->in) >= PROTO_LINE_MAX)
				goto too_long;
			break;
		}
		if ((size_t)eol.pos + 1 > PROTO_LINE_MAX)
			goto too_long;
		line = xmalloc((size_t)eol.pos + 1);
		evbuffer_remove(c->in, line, (size_t)eol.pos);
		evbuffer_drain(c->in, 1);
		req = proto_decode_request(line, (size_t)eol.pos, &code,
		    &cause);
		free(line);
		if (req == NULL) {
			control_send_error(c, code, "%s", cause);
			free(cause);
			continue;
		}
		cmd_dispatch(c, req);
		json_decref(req);
	}
	if (!c->dead) {
		/* Pipelined requests behind a pending one are bounded too. */
		if (evbuffer_get_length(c->in) >= 2 * PROTO_LINE_MAX)
			goto too_long;
		control_arm_idle(c);
	}
	return;

too_long:
	control_send_error(c, PROTO_E_TOO_LONG,
	    "request longer than %d bytes", PROTO_LINE_MAX);
	c->closing = 1;
	evbuffer_drain(c->in, evbuffer_get_length(c->in));
	event_del(c->ev_read);
	evtimer_del(c->ev_idle);
}

static void
control_write_cb(int fd, short events, void *arg)
{
	struct client	*c = arg;
	int		 n;

	(void)events;
	n = evbuffer_write(c->out, fd);
	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		control_client_done(c);
		return;
	}
	if (evbuffer_get_length(c->out) < CONTROL_OUT_HIGH && !c->closing &&
	    !event_pending(c->ev_read, EV_READ, NULL)) {
		/* It reads again: so do we. */
		event_add(c->ev_read, NULL);
		control_process_pending(c);
	}
	if (evbuffer_get_length(c->out) > 0)
		return;
	event_del(c->ev_write);
	if (c->closing) {
		control_client_done(c);
		return;
	}
	/* Requests may have waited for the output to drain. */
	control_process_pending(c);
}

/* Queue one answer. */
void
control_send(struct client *c, json_t *obj)
{
	char	*line;
	size_t	 len;

	if (c->dead)
		return;
	if ((line = proto_encode(obj, PROTO_ANSWER_MAX, &len)) == NULL) {
		log_warnx("%s: answer too long for the protocol", __func__);
		json_decref(obj);
		obj = proto_error(PROTO_E_FAILED, "answer too long");
		line = proto_encode(obj, PROTO_ANSWER_MAX, &len);
	}
	json_decref(obj);
	if (evbuffer_get_length(c->out) + len > CONTROL_OUT_MAX) {
		log_warnx("client pid %ld uid %ld does not read its answers: "
		    "dropping it", (long)c->pid, (long)c->uid);
		free(line);
		control_client_done(c);
		return;
	}
	control_send_line(c, line, len);
	free(line);
}

/* Queue a line already encoded (an event sent to many listeners). */
void
control_send_line(struct client *c, const char *line, size_t len)
{
	if (c->dead)
		return;
	evbuffer_add(c->out, line, len);
	event_add(c->ev_write, NULL);
}

/* Answer {"ok":true} plus the members of extra, if any. */
void
control_send_ok(struct client *c, json_t *extra)
{
	json_t	*obj = proto_ok();

	if (extra != NULL) {
		json_object_update(obj, extra);
		json_decref(extra);
	}
	control_send(c, obj);
}

void
control_send_error(struct client *c, const char *code, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	control_send(c, proto_error(code, msg));
	free(msg);
}

/*
 * Close a client now; its memory goes in a deferred event, so callers up
 * the stack may still look at c->dead.
 */
void
control_client_done(struct client *c)
{
	struct timeval	 tv = { 0, 0 };

	if (c->dead)
		return;
	c->dead = 1;
	if (c->waiter != NULL) {
		if (c->waiter->cmd == &cmd_run_entry)
			cmd_run_client_gone(c->waiter);
		cmd_waiter_free(c->waiter);
		c->waiter = NULL;
	}
	control_close_passed(c);
	if (c->listening)
		cd->nlisteners--;
	logfile_unfollow(c);
	event_free(c->ev_read);
	event_free(c->ev_write);
	event_free(c->ev_idle);
	close(c->fd);
	TAILQ_REMOVE(&cd->clients, c, entry);
	cd->nclients--;
	event_base_once(cd->base, -1, EV_TIMEOUT, control_client_free_cb, c,
	    &tv);
}

static void
control_client_free_cb(int fd, short events, void *arg)
{
	struct client	*c = arg;

	(void)fd;
	(void)events;
	evbuffer_free(c->in);
	evbuffer_free(c->out);
	free(c);
}

/*
 * At exit, or before a re-execution: write what every client is owed,
 * waiting a little for slow readers, so `corralctl shutdown` gets its
 * answer.  control_resume_all() undoes it, if the loop goes on after all.
 */
void
control_flush_all(void)
{
	struct client	*c;
	struct timeval	 tv = { 1, 0 };
	int		 flags;

	TAILQ_FOREACH(c, &cd->clients, entry) {
		/* Blocking, but never more than a second per stuck write. */
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if ((flags = fcntl(c->fd, F_GETFL)) != -1)
			fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
		while (evbuffer_get_length(c->out) > 0) {
			if (evbuffer_write(c->out, c->fd) <= 0)
				break;
		}
	}
}

/*
 * Back to what the loop needs of a client's socket: non-blocking, and no
 * send timeout (which control_flush_all() set).  A blocking socket would
 * let one client that does not read stall corrald.
 */
void
control_set_nonblocking(int fd)
{
	struct timeval	 tv = { 0, 0 };
	int		 flags;

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if ((flags = fcntl(fd, F_GETFL)) != -1)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* After control_flush_all(), when the re-execution did not happen. */
void
control_resume_all(void)
{
	struct client	*c;

	TAILQ_FOREACH(c, &cd->clients, entry)
		control_set_nonblocking(c->fd);
}
