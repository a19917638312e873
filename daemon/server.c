/*
 * server.c -- the daemon's life: set-up, the event loop, signals, and the
 * orderly shutdown that stops every job before corrald exits.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "corrald.h"

/* The daemon's one top-level state. */
struct corrald *cd;

static void	server_signal_cb(int, short, void *);
static void	server_reload(void);
static void	server_reexec(void);
static void	server_shutdown_check_cb(int, short, void *);

/* The signals corrald handles. */
static const int server_signals[] = {
	SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2
};

/* mkdir -p, with mode for the directories it creates. */
int
server_mkdirs(const char *path, mode_t mode, char **cause)
{
	char	*dir, *p;

	dir = xstrdup(path);
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		const char saved = *p;
		*p = '\0';
		if (mkdir(dir, mode) == -1 && errno != EEXIST) {
			xasprintf(cause, "mkdir %s: %s", dir, strerror(errno));
			free(dir);
			return (-1);
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(dir);
	return (0);
}

/*
 * One descriptor per pipe end, log file and pidfd: a thousand jobs need
 * more than the usual soft limit of 1024.  Jobs get the original back.
 */
static void
server_raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	cd->nofile = rl;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit NOFILE");
	}
}

/* A control socket from systemd, if socket activation gave us one. */
static int
server_activated_socket(void)
{
	int	 n;

	n = sd_listen_fds(1);
	if (n <= 0)
		return (-1);
	if (n > 1)
		log_warnx("%d sockets passed, using the first", n);
	if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL,
	    0) <= 0) {
		log_warnx("passed descriptor is not a listening Unix stream "
		    "socket; binding our own");
		return (-1);
	}
	return (SD_LISTEN_FDS_START);
}

/*
 * Block (SIG_BLOCK) or unblock (SIG_UNBLOCK) the signals corrald handles.
 * They are blocked across a re-execution, where a signal would otherwise
 * find the default action (for most of them: the end of corrald); the new
 * image unblocks them once it handles them, and gets any that came.
 */
void
server_mask_signals(int how)
{
	sigset_t	 set;
	u_int		 i;

	sigemptyset(&set);
	for (i = 0; i < sizeof server_signals / sizeof server_signals[0]; i++)
		sigaddset(&set, server_signals[i]);
	sigprocmask(how, &set, NULL);
}

static void
server_add_signal(int sig)
{
	struct event	*ev;

	ev = evsignal_new(cd->base, sig, server_signal_cb, NULL);
	evsignal_add(ev, NULL);
	cd->signal_events[cd->nsignal_events++] = ev;
}

static void
server_signal_cb(int sig, short events, void *arg)
{
	(void)events;
	(void)arg;
	switch (sig) {
	case SIGCHLD:
		reap_children();
		break;
	case SIGTERM:
	case SIGINT:
		log_info("received SIG%s: stopping every job", sig_name(sig));
		corrald_shutdown();
		break;
	case SIGHUP:
		server_reload();
		break;
	case SIGUSR1:
		server_reopen_logs();
		break;
	case SIGUSR2:
		server_reexec();
		break;
	}
}

/* SIGUSR2: re-execute in place; a failure is logged, and that is all. */
static void
server_reexec(void)
{
	char	*cause;

	log_info("received SIGUSR2: re-executing");
	if (reexec_start(NULL, &cause) == -1) {
		log_warnx("reexec: %s", cause);
		free(cause);
	}
}

/* SIGHUP: reload, with the outcome in corrald's log. */
static void
server_reload(void)
{
	json_t	*summary;
	char	*cause;

	if (cd->shutting_down) {
		log_info("received SIGHUP while shutting down: not reloading");
		return;
	}
	log_info("received SIGHUP: reloading %s", cd->config_path);
	if (reload_config(&summary, &cause) == -1) {
		free(cause);
		return;
	}
	json_decref(summary);
}

/* Reopen every log file by its path (after logrotate moved it). */
void
server_reopen_logs(void)
{
	struct job	*job;

	log_info("received SIGUSR1: reopening log files");
	TAILQ_FOREACH(job, &cd->jobs, entry) {
		if (job->out != NULL)
			logfile_reopen(job->out);
		if (job->err != NULL)
			logfile_reopen(job->err);
	}
}

/*
 * Stop every job, each once the jobs that come after it are down;
 * corrald exits once none is left.
 */
void
corrald_shutdown(void)
{
	struct job	*job;

	if (cd->shutting_down)
		return;
	cd->shutting_down = 1;
	notify_stopping();
	reexec_cancel("corrald is shutting down");
	TAILQ_FOREACH_REVERSE(job, &cd->jobs, jobs, entry)
		job_stop_ordered(job, AFTER_REMOVE);
	corrald_check_shutdown();
}

/* Once the current callback is over: is every job down? */
void
corrald_check_shutdown(void)
{
	if (!cd->shutting_down)
		return;
	if (cd->ev_shutdown == NULL)
		cd->ev_shutdown = event_new(cd->base, -1, 0,
		    server_shutdown_check_cb, NULL);
	event_active(cd->ev_shutdown, 0, 0);
}

static void
server_shutdown_check_cb(int fd, short events, void *arg)
{
	struct job	*job;

	(void)fd;
	(void)events;
	(void)arg;
	TAILQ_FOREACH(job, &cd->jobs, entry) {
		if (job_is_active(job) || job->stop_queued)
			return;
	}
	event_base_loopexit(cd->base, NULL);
}

/* After the loop: flush logs, answer shutdown requests, free it all. */
static void
server_exit(void)
{
	struct job	*job;
	struct client	*c, *next;
	u_int		 i;

	TAILQ_FOREACH(job, &cd->jobs, entry) {
		if (job->out != NULL)
			logfile_drain(job->out);
		if (job->err != NULL)
			logfile_drain(job->err);
	}
	TAILQ_FOREACH(c, &cd->clients, entry) {
		if (c->waiter != NULL &&
		    c->waiter->cmd == &cmd_shutdown_entry)
			cmd_waiter_answer(c->waiter, proto_ok());
	}
	control_flush_all();
	TAILQ_FOREACH_SAFE(c, &cd->clients, entry, next)
		control_client_done(c);
	control_close();
	while ((job = TAILQ_FIRST(&cd->jobs)) != NULL)
		job_free(job);
	for (i = 0; i < cd->nsignal_events; i++)
		event_free(cd->signal_events[i]);
	if (cd->ev_waiters != NULL)
		event_free(cd->ev_waiters);
	if (cd->ev_shutdown != NULL)
		event_free(cd->ev_shutdown);
	if (cd->ev_schedule != NULL)
		event_free(cd->ev_schedule);
	if (cd->ev_state_save != NULL)
		event_free(cd->ev_state_save);
	reexec_cancel("corrald is shutting down");
	state_remove();
	json_decref(cd->strays);
	notify_free();
	/* Run the deferred frees of the clients closed above. */
	event_base_loop(cd->base, EVLOOP_NONBLOCK);
	event_base_free(cd->base);
	config_free(cd->config);
	free(cd->socket_path);
	free(cd->unclaimed);
	free(cd);
	cd = NULL;
}

/* What every image does first: the loop, signals, limits. */
static void
server_setup(char **argv)
{
	u_int	 i;

	cd = xcalloc(1, sizeof *cd);
	cd->argv = argv;
	cd->socket_fd = -1;
	TAILQ_INIT(&cd->jobs);
	TAILQ_INIT(&cd->clients);
	if ((cd->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");

	/* A client that goes away mid-answer must not take us with it. */
	signal(SIGPIPE, SIG_IGN);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("PR_SET_CHILD_SUBREAPER");
	server_raise_nofile();
	for (i = 0; i < sizeof server_signals / sizeof server_signals[0]; i++)
		server_add_signal(server_signals[i]);
	/* A re-executing image blocked them: handled now. */
	server_mask_signals(SIG_UNBLOCK);
}

/* The loop, until every job has stopped; then exit 0. */
static int
server_run(void)
{
	notify_ready();
	notify_watchdog_start();
	/* Children that ended while no loop was watching. */
	reap_children();

	event_base_dispatch(cd->base);

	log_info("every job has stopped; exiting");
	server_exit();
	return (0);
}

/*
 * Run the daemon on config (which it now owns), listening on socket_path
 * if given, else on the config's socket.  Returns the exit code.
 */
int
server_main(char **argv, const char *config_path, struct config *config,
    const char *socket_path)
{
	struct job	*job;
	char		*cause;
	int		 fd;
	u_int		 i;

	server_setup(argv);
	cd->config = config;
	cd->config_path = config_path;

	if (socket_path == NULL && (fd = server_activated_socket()) != -1) {
		log_info("using the control socket passed by systemd");
		control_listen_fd(fd);
	} else {
		if (socket_path == NULL)
			socket_path = config->socket_path;
		if (control_listen(socket_path, config->socket_mode,
		    config->socket_group, &cause) == -1) {
			log_warnx("%s", cause);
			free(cause);
			return (1);
		}
		log_info("listening on %s", socket_path);
	}
	if (server_mkdirs(config->log_dir, 0750, &cause) == -1) {
		log_warnx("log_dir: %s", cause);
		free(cause);
		control_close();
		return (1);
	}

	for (i = 0; i < config->nspecs; i++)
		job_create(config->specs[i]);
	config->nspecs = 0;		/* the jobs own their specs */
	/* Never two instances of a job: a dead corrald's go first. */
	state_clean_predecessor();
	TAILQ_FOREACH(job, &cd->jobs, entry) {
		if (job->spec->autostart)
			job_start(job, NULL);
	}
	return (server_run());
}

/*
 * The listening socket the old image left open, found by looking: a
 * snapshot that cannot be read cannot say which it is.  *path gets the
 * path it is bound to (to be freed), which names the state file.
 */
static int
server_find_listener(char **path)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;
	int			 fd, on;

	for (fd = 3; fd < 65536; fd++) {
		len = sizeof on;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == -1 ||
		    !on)
			continue;
		memset(&sun, 0, sizeof sun);
		len = sizeof sun;
		if (getsockname(fd, (struct sockaddr *)&sun, &len) == 0 &&
		    sun.sun_family == AF_UNIX) {
			*path = sun.sun_path[0] != '\0' ? xstrndup(sun.sun_path,
			    sizeof sun.sun_path) : NULL;
			return (fd);
		}
	}
	return (-1);
}

/*
 * In the image started by a re-execution: take up the state.  If it
 * cannot be read, the old program is exec'd again on it (and takes it
 * up, and says why to the requester).  If even that is not possible, the
 * safe course: serve the control socket with the config's jobs all left
 * STOPPED, so that nothing is killed and nothing is started twice (a job
 * whose old session runs on cannot be started, see state_keep_strays());
 * the old image's processes run on (and are reaped when they end) until
 * an operator sees to them, and its clients are told.
 */
int
server_restore(char **argv, const char *config_path,
    const struct reexec_opts *o)
{
	struct config	*config;
	char		*cause = NULL, *path;
	int		 fd;
	u_int		 i;

	server_setup(argv);
	/* Not to be inherited by jobs, nor by a rolled-back image. */
	if (o->rollback_fd != -1)
		fcntl(o->rollback_fd, F_SETFD, FD_CLOEXEC);
	if (reexec_restore(o, &cause) == 0) {
		close(o->restore_fd);
		if (o->rollback_fd != -1)
			close(o->rollback_fd);
		return (server_run());
	}
	log_warnx("reexec: cannot use the state: %s", cause);
	reexec_rollback(o, cause);
	free(cause);
	close(o->restore_fd);
	if (o->rollback_fd != -1)
		close(o->rollback_fd);

	log_warnx("reexec: the state could not be used: leaving every job "
	    "STOPPED and any process of the old image running; see "
	    "corrald(8)");
	if ((config = config_load(config_path, &cause)) == NULL) {
		log_warnx("%s", cause);
		free(cause);
		config = xcalloc(1, sizeof *config);
		config->path = xstrdup(config_path);
		config->socket_path = xstrdup(CORRAL_DEFAULT_SOCKET);
		config->log_dir = xstrdup(CORRAL_DEFAULT_LOG_DIR);
	}
	cd->config = config;
	cd->config_path = config_path;
	if ((fd = server_find_listener(&path)) != -1) {
		control_adopt(fd, path != NULL ? path : config->socket_path, 0);
		free(path);
	} else if (control_listen(config->socket_path, config->socket_mode,
	    config->socket_group, &cause) == -1) {
		log_warnx("%s", cause);
		free(cause);
		return (1);
	}
	for (i = 0; i < config->nspecs; i++)
		job_create(config->specs[i]);
	config->nspecs = 0;
	state_keep_strays();
	reexec_tell_stranded_clients();
	return (server_run());
}
