/*
 * reexec.c -- replacing corrald's program in place, without touching a
 * job.  The pid stays the same, so every job stays its child and keeps
 * its session, and no pipe is ever closed: no job sees EPIPE and no byte
 * is lost.
 *
 * In three steps.  The program is first asked, as a child of ours, what
 * it is (--snapshot-version): anything but a corrald that reads this
 * snapshot's version -- /bin/false, a script, a corrald too old or too
 * new -- is refused while nothing has changed, for once it is exec'd
 * there is no corrald left to say no.  Then the whole state goes into a
 * memfd (snapshot.c), close-on-exec is cleared on exactly the descriptors
 * it names, and corrald execve()s the program with --restore pointing at
 * the memfd and --rollback at its own program.
 *
 * If execve() fails the old image carries on as if nothing had happened.
 * The new image checks the snapshot before using any of it; one it cannot
 * read makes it exec the old program again on the same snapshot, which
 * takes everything up as it was and tells the requester why.  Only if
 * that fails too does corrald serve the socket with every job left alone
 * (not adopted, not started twice, never killed), see server_restore().
 */

#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "corrald.h"

/* Largest snapshot read back. */
#define REEXEC_MAX_STATE	(64 * 1024 * 1024)

/* How long the program has to say what it is. */
#define REEXEC_PROBE_SECS	5

/*
 * A job between fork and exec cannot be carried over: the exec waits for
 * it, this often and this many times (two seconds).
 */
#define REEXEC_RETRY_MSEC	10
#define REEXEC_MAX_TRIES	200

/* Told to clients of an image that could not read the state. */
#define REEXEC_STRANDED_NOTICE "{\"v\":1,\"ok\":false,\"error\":\"reexec\","\
	"\"message\":\"corrald re-executed itself but could not read its "\
	"state: the jobs it ran run on unsupervised; see corrald(8)\"}\n"

extern char	**environ;

static void	 reexec_cloexec(int, int);
static json_t	*reexec_clients(struct client *, int);
static int	 reexec_write_all(int, const char *, size_t);
static int	 reexec_refused(int, char **);
static char	**reexec_argv(char *const *, u_int);
static void	 reexec_probe_child(char **, int, int)
		     __attribute__((noreturn));
static int	 reexec_probe_start(const char *, char **);
static void	 reexec_probe_read_cb(int, short, void *);
static void	 reexec_probe_timer_cb(int, short, void *);
static void	 reexec_probe_check(struct reexec_probe *);
static int	 reexec_probe_verdict(struct reexec_probe *, char **);
static void	 reexec_probe_free(struct reexec_probe *);
static void	 reexec_probe_kill(struct reexec_probe *);
static struct client *reexec_requester(void);
static void	 reexec_fail(char *);
static int	 reexec_exec(struct client *, const char *, char **);
static void	 reexec_save_input(json_t *, struct client *);
static json_t	*reexec_read(int, char **);
static void	 reexec_tell_clients(json_t *);
static void	 reexec_take_input(struct client *, json_t *);
static int	 reexec_is_client(int);

static void
reexec_cloexec(int fd, int on)
{
	int	 flags;

	if (fd < 0 || (flags = fcntl(fd, F_GETFD)) == -1)
		return;
	fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC);
}

/* The clients to tell after the exec: all but the one that asked. */
static json_t *
reexec_clients(struct client *requester, int on)
{
	struct client	*c;
	json_t		*fds = json_array();

	TAILQ_FOREACH(c, &cd->clients, entry) {
		if (c == requester || c->dead)
			continue;
		reexec_cloexec(c->fd, on);
		json_array_append_new(fds, json_integer(c->fd));
	}
	return (fds);
}

/* Write all of buf to fd. */
static int
reexec_write_all(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * Is there a reason not to re-execute now?  -1 with *cause if so.  A job
 * being spawned is one only if spawning_ok is not set: that is soon over.
 */
static int
reexec_refused(int spawning_ok, char **cause)
{
	struct job	*job;

	if (cd->shutting_down) {
		*cause = xstrdup("corrald is shutting down");
		return (-1);
	}
	if (cd->nspawning > 0 && !spawning_ok) {
		*cause = xstrdup("a job is being started: try again");
		return (-1);
	}
	TAILQ_FOREACH(job, &cd->jobs, entry) {
		if (job->transient) {
			xasprintf(cause, "%s: a run is in progress, its client "
			    "connected: try again when it ends", job->name);
			return (-1);
		}
	}
	return (0);
}

/*
 * corrald's command line without the options of an earlier re-execution,
 * and with the nadd strings of add after it.  The array is to be freed,
 * not the strings.
 */
static char **
reexec_argv(char *const *add, u_int nadd)
{
	char	**argv;
	u_int	  i, n;

	for (n = 0; cd->argv[n] != NULL; n++)
		;
	argv = xcalloc(n + nadd + 1, sizeof *argv);
	for (i = 0, n = 0; cd->argv[i] != NULL; i++) {
		if (strncmp(cd->argv[i], REEXEC_OPT_RESTORE,
		    strlen(REEXEC_OPT_RESTORE)) == 0 ||
		    strncmp(cd->argv[i], REEXEC_OPT_ROLLBACK,
		    strlen(REEXEC_OPT_ROLLBACK)) == 0 ||
		    strncmp(cd->argv[i], REEXEC_OPT_ROLLED_BACK,
		    strlen(REEXEC_OPT_ROLLED_BACK)) == 0)
			continue;
		argv[n++] = cd->argv[i];
	}
	for (i = 0; i < nadd; i++)
		argv[n++] = add[i];
	argv[n] = NULL;
	return (argv);
}

/*
 * The installed corrald: the file we were started from, or, if a package
 * upgrade has replaced it since (renamed a new file over it, so that
 * /proc/self/exe reads "PATH (deleted)"), the new file at that path.
 * /proc/self/exe itself when there is nothing at the path any more.
 */
static const char *
reexec_installed_binary(void)
{
	static char	 path[PATH_MAX];
	const char	 deleted[] = " (deleted)";
	size_t		 len;
	ssize_t		 n;

	n = readlink("/proc/self/exe", path, sizeof path - 1);
	if (n <= 0)
		return ("/proc/self/exe");
	path[n] = '\0';
	len = (size_t)n;
	if (len <= sizeof deleted - 1 ||
	    strcmp(path + len - (sizeof deleted - 1), deleted) != 0)
		return ("/proc/self/exe");
	path[len - (sizeof deleted - 1)] = '\0';
	if (path[0] != '/' || access(path, X_OK) == -1)
		return ("/proc/self/exe");
	return (path);
}

/*
 * Start re-executing binary (NULL: the installed corrald): ask it what it
 * is first.  Returns 0 if under way -- a requester (a client with a reexec
 * waiter) is answered when it ends, by the new image or, on failure, by
 * this one -- or -1 with *cause, nothing changed.
 */
int
reexec_start(const char *binary, char **cause)
{
	const char	*path = binary != NULL ? binary :
			    reexec_installed_binary();

	if (cd->reexec != NULL) {
		*cause = xstrdup("a reexec is already under way");
		return (-1);
	}
	if (reexec_refused(1, cause) == -1)
		return (-1);
	if (access(path, X_OK) == -1) {
		xasprintf(cause, "exec %s: %s", path, strerror(errno));
		return (-1);
	}
	return (reexec_probe_start(path, cause));
}

/* In the probe, just forked: clean signal state, stdio, exec. */
static void
reexec_probe_child(char **argv, int null, int out)
{
	struct sigaction	 sa;
	sigset_t		 none;
	int			 sig;

	/* Our handlers are libevent's, which would write to our socket. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* A group of its own: what it starts is killed with it, if need be. */
	setpgid(0, 0);
	if (dup2(null, 0) == -1 || dup2(out, 1) == -1)
		_exit(127);
	close_range(3, ~0U, 0);
	execv(argv[0], argv);
	_exit(127);
}

/* Run path --snapshot-version, its answer read by the loop. */
static int
reexec_probe_start(const char *path, char **cause)
{
	struct reexec_probe	*p;
	struct timeval		 tv = { REEXEC_PROBE_SECS, 0 };
	char			*argv[] = { (char *)path,
				    (char *)REEXEC_OPT_PROBE, NULL };
	sigset_t		 all, old;
	int			 pfd[2], null, flags;
	pid_t			 pid;

	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		xasprintf(cause, "/dev/null: %s", strerror(errno));
		return (-1);
	}
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		close(null);
		return (-1);
	}
	/* No signal is handled in the child before it has reset them. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if ((pid = fork()) == 0)
		reexec_probe_child(argv, null, pfd[1]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(null);
	close(pfd[1]);
	if (pid == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		close(pfd[0]);
		return (-1);
	}
	if ((flags = fcntl(pfd[0], F_GETFL)) != -1)
		fcntl(pfd[0], F_SETFL, flags | O_NONBLOCK);

	p = xcalloc(1, sizeof *p);
	p->path = xstrdup(path);
	p->pid = pid;
	p->fd = pfd[0];
	p->ev_read = event_new(cd->base, p->fd, EV_READ | EV_PERSIST,
	    reexec_probe_read_cb, p);
	p->ev_timer = evtimer_new(cd->base, reexec_probe_timer_cb, p);
	event_add(p->ev_read, NULL);
	evtimer_add(p->ev_timer, &tv);
	cd->reexec = p;
	log_debug("%s: asking %s %s (pid %ld)", __func__, path,
	    REEXEC_OPT_PROBE, (long)pid);
	return (0);
}

static void
reexec_probe_read_cb(int fd, short events, void *arg)
{
	struct reexec_probe	*p = arg;
	char			 buf[256];
	ssize_t			 n;

	(void)events;
	n = read(fd, buf, sizeof buf);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0) {
		if (p->nout + (size_t)n < sizeof p->out) {
			memcpy(p->out + p->nout, buf, (size_t)n);
			p->nout += (size_t)n;
			return;
		}
		/* Not what a corrald says: no need to hear the rest. */
		p->overflow = 1;
		reexec_probe_kill(p);
	}
	p->eof = 1;
	event_del(p->ev_read);
	reexec_probe_check(p);
}

/*
 * Kill the probe and whatever it started.  Only while it is not reaped:
 * until then its pid, and its group's, cannot have been reused.
 */
static void
reexec_probe_kill(struct reexec_probe *p)
{
	if (!p->reaped)
		kill(-p->pid, SIGKILL);
}

/* From reap_children(): was pid the probe?  Then it is done with. */
int
reexec_probe_reaped(pid_t pid, int status)
{
	struct reexec_probe	*p = cd->reexec;

	if (p == NULL || p->reaped || p->pid != pid)
		return (0);
	p->reaped = 1;
	p->status = status;
	reexec_probe_check(p);
	return (1);
}

/*
 * Once the probe has said all and exited, judge it -- in a callback of
 * its own, not under the read or the reaping that got us here.
 */
static void
reexec_probe_check(struct reexec_probe *p)
{
	struct timeval	 now = { 0, 0 };

	if (!p->eof || !p->reaped || p->answered)
		return;
	p->answered = 1;
	evtimer_add(p->ev_timer, &now);
}

/* Is the probe's answer that of a corrald that reads our snapshot? */
static int
reexec_probe_verdict(struct reexec_probe *p, char **cause)
{
	char	 said[sizeof p->out], *how = NULL;
	int	 version, end = -1;
	size_t	 i;

	p->out[p->nout] = '\0';
	for (i = 0; i < p->nout; i++) {
		said[i] = p->out[i] >= 0x20 && p->out[i] < 0x7f ?
		    p->out[i] : '?';
	}
	if (p->nout > 0 && p->out[p->nout - 1] == '\n')
		i--;
	said[i] = '\0';

	if (p->overflow)
		how = xstrdup("it answered at length");
	else if (WIFSIGNALED(p->status))
		xasprintf(&how, "it was killed by signal %d",
		    WTERMSIG(p->status));
	else if (WEXITSTATUS(p->status) != 0)
		xasprintf(&how, "it exited %d", WEXITSTATUS(p->status));
	else if (sscanf(p->out, "corrald %63s snapshot %d%n", p->version,
	    &version, &end) != 2 || end < 0 || (size_t)end + 1 != p->nout ||
	    p->out[end] != '\n')
		xasprintf(&how, "it answered [%s]", said);
	if (how != NULL) {
		xasprintf(cause, "%s is not a corrald that can take over (asked "
		    "with %s, %s)", p->path, REEXEC_OPT_PROBE, how);
		free(how);
		return (-1);
	}
	if (version != SNAPSHOT_VERSION) {
		xasprintf(cause, "%s is corrald %s, which reads state version "
		    "%d; this corrald writes version %d", p->path, p->version,
		    version, SNAPSHOT_VERSION);
		return (-1);
	}
	return (0);
}

static void
reexec_probe_timer_cb(int fd, short events, void *arg)
{
	struct reexec_probe	*p = arg;
	struct timeval		 retry = { 0, REEXEC_RETRY_MSEC * 1000 };
	char			*cause = NULL;

	(void)fd;
	(void)events;
	if (!p->answered) {
		reexec_probe_kill(p);
		xasprintf(&cause, "%s did not answer %s within %d s", p->path,
		    REEXEC_OPT_PROBE, REEXEC_PROBE_SECS);
	} else if (reexec_probe_verdict(p, &cause) == 0) {
		if (cd->nspawning > 0 && ++p->tries < REEXEC_MAX_TRIES) {
			evtimer_add(p->ev_timer, &retry);
			return;
		}
		log_info("reexec: %s is corrald %s", p->path, p->version);
		/* Returns only if the exec did not happen. */
		reexec_exec(reexec_requester(), p->path, &cause);
	}
	reexec_probe_free(p);
	reexec_fail(cause);
}

static void
reexec_probe_free(struct reexec_probe *p)
{
	if (cd->reexec == p)
		cd->reexec = NULL;
	event_free(p->ev_read);
	event_free(p->ev_timer);
	close(p->fd);
	free(p->path);
	free(p);
}

/*
 * At shutdown: a reexec under way is not waited for; its requester is
 * told why.
 */
void
reexec_cancel(const char *why)
{
	struct reexec_probe	*p = cd->reexec;

	if (p == NULL)
		return;
	reexec_probe_kill(p);
	reexec_probe_free(p);
	reexec_fail(xstrdup(why));
}

/* The client whose `reexec` waits for the outcome, if any. */
static struct client *
reexec_requester(void)
{
	struct client	*c;

	TAILQ_FOREACH(c, &cd->clients, entry) {
		if (!c->dead && c->waiter != NULL &&
		    c->waiter->cmd == &cmd_reexec_entry)
			return (c);
	}
	return (NULL);
}

/* The re-execution did not happen: say why, to the log and requester. */
static void
reexec_fail(char *cause)
{
	struct client	*c;

	log_warnx("reexec failed: %s", cause);
	if ((c = reexec_requester()) != NULL) {
		cmd_waiter_answer(c->waiter, proto_error(PROTO_E_FAILED,
		    cause));
		control_process_pending(c);
	}
	free(cause);
}

/*
 * Requests the requester sent after its `reexec` wait in its input: they
 * go over with it, to be served by the new image.
 */
static void
reexec_save_input(json_t *snap, struct client *c)
{
	size_t	 len = evbuffer_get_length(c->in);
	char	*bytes, *text;

	if (len == 0)
		return;
	bytes = xmalloc(len);
	evbuffer_copyout(c->in, bytes, len);
	text = base64_encode(bytes, len);
	json_object_set_new(snap, "requester_input", json_string(text));
	free(text);
	free(bytes);
}

/*
 * Exec path with the state, now.  Returns only on failure, -1 with
 * *cause, everything as it was.
 */
static int
reexec_exec(struct client *requester, const char *path, char **cause)
{
	json_t	*snap;
	char	*text, *add[2], **argv;
	int	 mfd, exefd, rfd = requester != NULL ? requester->fd : -1, err;
	u_int	 nadd = 0;

	if (reexec_refused(0, cause) == -1)
		return (-1);

	/*
	 * What is owed to clients goes out before the image does; the state
	 * file is brought up to date, for a new image that could not read
	 * the snapshot (state_keep_strays()).
	 */
	control_flush_all();
	state_save();
	snap = snapshot_build(rfd);
	json_object_set_new(snap, "clients", reexec_clients(requester, 0));
	if (requester != NULL)
		reexec_save_input(snap, requester);
	text = json_dumps(snap, JSON_COMPACT);
	json_decref(snap);
	/* Not close-on-exec: it is the new image's to read. */
	if ((mfd = memfd_create("corrald-state", 0)) == -1 ||
	    reexec_write_all(mfd, text, strlen(text)) == -1 ||
	    lseek(mfd, 0, SEEK_SET) == -1) {
		xasprintf(cause, "state: %s", strerror(errno));
		free(text);
		if (mfd != -1)
			close(mfd);
		reexec_clients(requester, 1);
		control_resume_all();
		return (-1);
	}
	free(text);
	/*
	 * The way back, should the new image not read the state: our own
	 * program, even if replaced on disk since.  O_PATH, for a program
	 * that may be executed but not read.  Without O_CLOEXEC, as it is
	 * for the new image, which closes it once it has the state.
	 */
	exefd = open("/proc/self/exe", O_PATH);

	xasprintf(&add[nadd++], REEXEC_OPT_RESTORE "%d", mfd);
	if (exefd != -1)
		xasprintf(&add[nadd++], REEXEC_OPT_ROLLBACK "%d", exefd);
	argv = reexec_argv(add, nadd);

	log_info("re-executing %s", path);
	notify_reloading();
	snapshot_fds(rfd, reexec_cloexec, 0);
	/*
	 * Until the new image handles them, a signal would find the default
	 * action, which for most of them is to end corrald.
	 */
	server_mask_signals(SIG_BLOCK);
	execv(path, argv);

	/* Still here: nothing changed but the flags, which go back. */
	err = errno;
	server_mask_signals(SIG_UNBLOCK);
	snapshot_fds(rfd, reexec_cloexec, 1);
	reexec_clients(requester, 1);
	control_resume_all();
	close(mfd);
	if (exefd != -1)
		close(exefd);
	while (nadd > 0)
		free(add[--nadd]);
	free(argv);
	xasprintf(cause, "exec %s: %s", path, strerror(err));
	notify_ready();
	return (-1);
}

/* The snapshot from fd, parsed; NULL with *cause. */
static json_t *
reexec_read(int fd, char **cause)
{
	json_error_t	 jerr;
	json_t		*o;
	char		*buf;
	size_t		 len = 0, size = 65536;
	ssize_t		 n;

	buf = xmalloc(size);
	for (;;) {
		if (len == size) {
			if (size >= REEXEC_MAX_STATE) {
				*cause = xstrdup("state too large");
				free(buf);
				return (NULL);
			}
			size *= 2;
			buf = xreallocarray(buf, size, 1);
		}
		n = read(fd, buf + len, size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "state: %s", strerror(errno));
			free(buf);
			return (NULL);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (o == NULL) {
		xasprintf(cause, "state: %s", jerr.text);
		return (NULL);
	}
	return (o);
}

/* Tell each client of the old image to reconnect, and let it go. */
static void
reexec_tell_clients(json_t *fds)
{
	const char	 notice[] = "{\"v\":1,\"ok\":false,\"error\":\"reexec\","
			    "\"message\":\"corrald re-executed itself: "
			    "reconnect\"}\n";
	json_t		*v;
	size_t		 i;
	int		 fd;

	json_array_foreach(fds, i, v) {
		fd = (int)json_integer_value(v);
		if (!json_is_integer(v) || fd < 3 || fcntl(fd, F_GETFD) == -1)
			continue;
		(void)reexec_write_all(fd, notice, sizeof notice - 1);
		close(fd);
	}
}

/* What the requester sent after its `reexec`, served now. */
static void
reexec_take_input(struct client *c, json_t *snap)
{
	const char	*text;
	char		*bytes;
	size_t		 len;

	text = json_string_value(json_object_get(snap, "requester_input"));
	if (text == NULL ||
	    (bytes = base64_decode(text, strlen(text), &len)) == NULL)
		return;
	evbuffer_add(c->in, bytes, len);
	free(bytes);
	control_process_pending(c);
}

/*
 * In the new image: take up the state.  Returns 0, or -1 with *cause if
 * it could not be used; the caller then rolls back or falls back.
 */
int
reexec_restore(const struct reexec_opts *o, char **cause)
{
	json_t		*snap;
	struct client	*c;
	const char	*old;
	size_t		 njobs;
	int		 rfd;

	if ((snap = reexec_read(o->restore_fd, cause)) == NULL)
		return (-1);
	if (snapshot_check(snap, cause) == -1 ||
	    snapshot_apply(snap, &rfd, cause) == -1) {
		json_decref(snap);
		return (-1);
	}
	reexec_tell_clients(json_object_get(snap, "clients"));
	old = json_string_value(json_object_get(snap, "corrald_version"));
	if (old == NULL)
		old = "?";
	njobs = json_array_size(json_object_get(snap, "jobs"));
	if (o->rolled_back != NULL)
		log_warnx("reexec: rolled back: %s; corrald %s carries on "
		    "with %zu job%s", o->rolled_back, PACKAGE_VERSION, njobs,
		    njobs == 1 ? "" : "s");
	else
		log_info("re-executed: corrald %s took over from %s with %zu "
		    "job%s", PACKAGE_VERSION, old, njobs, njobs == 1 ? "" : "s");
	if (rfd != -1) {
		fcntl(rfd, F_SETFD, FD_CLOEXEC);
		/* The old image made it blocking, to flush it. */
		control_set_nonblocking(rfd);
	}
	if (rfd != -1 && (c = control_client_new(rfd)) != NULL) {
		if (o->rolled_back != NULL)
			control_send_error(c, PROTO_E_FAILED, "%s; corrald "
			    "carries on as it was", o->rolled_back);
		else
			control_send_ok(c, json_pack("{s:s,s:s}",
			    "old_version", old, "version", PACKAGE_VERSION));
		reexec_take_input(c, snap);
	}
	json_decref(snap);
	return (0);
}

/*
 * In a new image that could not use the state: exec the old program
 * again, on the same state, telling it why.  Returns only if that is not
 * possible (logged).
 */
void
reexec_rollback(const struct reexec_opts *o, const char *why)
{
	char	*add[2], **argv;

	if (o->rollback_fd == -1)
		return;
	if (lseek(o->restore_fd, 0, SEEK_SET) == -1) {
		log_warn("reexec: cannot go back: state");
		return;
	}
	xasprintf(&add[0], REEXEC_OPT_RESTORE "%d", o->restore_fd);
	xasprintf(&add[1], REEXEC_OPT_ROLLED_BACK "the new program could "
	    "not take over (%s)", why);
	argv = reexec_argv(add, 2);
	log_warnx("reexec: going back to the old program");
	server_mask_signals(SIG_BLOCK);
	fexecve(o->rollback_fd, argv, environ);
	server_mask_signals(SIG_UNBLOCK);
	log_warn("reexec: cannot go back: exec");
	free(add[0]);
	free(add[1]);
	free(argv);
}

/* Is fd a connected Unix stream socket (a client), not a listener? */
static int
reexec_is_client(int fd)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;
	int			 type, on;

	len = sizeof type;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_STREAM)
		return (0);
	len = sizeof on;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == -1 || on)
		return (0);
	len = sizeof sun;
	if (getpeername(fd, (struct sockaddr *)&sun, &len) == -1 ||
	    sun.sun_family != AF_UNIX)
		return (0);
	return (1);
}

/*
 * In an image that could not use the state: the old image's clients
 * (the requester among them) came over as descriptors nothing names.
 * Found by looking, each is told and closed, so that none waits forever.
 */
void
reexec_tell_stranded_clients(void)
{
	struct dirent	*de;
	DIR		*dir;
	int		*fds = NULL, fd;
	u_int		 n = 0, i;
	char		*end;

	if ((dir = opendir("/proc/self/fd")) == NULL) {
		log_warn("reexec: /proc/self/fd");
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		fd = (int)strtol(de->d_name, &end, 10);
		if (*end != '\0' || fd < 3 || fd == dirfd(dir) ||
		    fd == cd->socket_fd || !reexec_is_client(fd))
			continue;
		fds = xreallocarray(fds, n + 1, sizeof *fds);
		fds[n++] = fd;
	}
	closedir(dir);
	for (i = 0; i < n; i++) {
		(void)reexec_write_all(fds[i], REEXEC_STRANDED_NOTICE,
		    sizeof REEXEC_STRANDED_NOTICE - 1);
		close(fds[i]);
	}
	if (n > 0)
		log_info("reexec: told %u client%s of the old image", n,
		    n == 1 ? "" : "s");
	free(fds);
}
