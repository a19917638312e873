/*
 * reexec.c -- replacing corrald's program in place, without touching a
 * job.  The whole state goes into a memfd (snapshot.c); close-on-exec is
 * cleared on exactly the descriptors it names; then corrald execve()s the
 * new binary with --restore pointing at the memfd.  The pid stays the
 * same, so every job stays its child and keeps its session, and no pipe
 * is ever closed: no job sees EPIPE and no byte is lost.
 *
 * If execve() fails the old image carries on as if nothing had happened.
 * The new image checks the snapshot before using any of it; one it cannot
 * read makes it serve the socket with every job left alone (not adopted,
 * not started, never killed), see reexec_fallback().
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corrald.h"

/* Largest snapshot read back. */
#define REEXEC_MAX_STATE	(64 * 1024 * 1024)

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
 * Re-execute binary (NULL: /proc/self/exe) with the state; requester, if
 * any, is answered by the new image.  Returns only on failure, -1 with
 * *cause, everything as it was.
 */
int
reexec_start(struct client *requester, const char *binary, char **cause)
{
	const char	*path = binary != NULL ? binary : "/proc/self/exe";
	struct job	*job;
	json_t		*snap;
	char		*text, *opt, **argv;
	int		 mfd, rfd = requester != NULL ? requester->fd : -1, err;
	u_int		 i, n;

	if (cd->shutting_down) {
		*cause = xstrdup("corrald is shutting down");
		return (-1);
	}
	if (cd->nspawning > 0) {
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
	if (access(path, X_OK) == -1) {
		xasprintf(cause, "exec %s: %s", path, strerror(errno));
		return (-1);
	}

	/* What is owed to clients goes out before the image does. */
	control_flush_all();
	snap = snapshot_build(rfd);
	json_object_set_new(snap, "clients", reexec_clients(requester, 0));
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
		return (-1);
	}
	free(text);

	/* The same command line, pointed at the state. */
	for (n = 0; cd->argv[n] != NULL; n++)
		;
	argv = xcalloc(n + 2, sizeof *argv);
	for (i = 0, n = 0; cd->argv[i] != NULL; i++) {
		if (strncmp(cd->argv[i], "--restore=", 10) != 0)
			argv[n++] = cd->argv[i];
	}
	xasprintf(&opt, "--restore=%d", mfd);
	argv[n++] = opt;
	argv[n] = NULL;

	log_info("re-executing %s", path);
	notify_reloading();
	snapshot_fds(rfd, reexec_cloexec, 0);
	execv(path, argv);

	/* Still here: nothing changed but the flags, which go back. */
	err = errno;
	snapshot_fds(rfd, reexec_cloexec, 1);
	reexec_clients(requester, 1);
	close(mfd);
	free(opt);
	free(argv);
	xasprintf(cause, "exec %s: %s", path, strerror(err));
	log_warnx("reexec failed: %s; carrying on", *cause);
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

/*
 * In the new image: take up the state in fd.  Returns 0, or -1 (logged)
 * if it could not be used; the caller then falls back.
 */
int
reexec_restore(int fd)
{
	json_t		*snap;
	struct client	*c;
	char		*cause = NULL;
	const char	*old;
	int		 rfd;

	snap = reexec_read(fd, &cause);
	close(fd);
	if (snap == NULL || snapshot_check(snap, &cause) == -1) {
		log_warnx("reexec: cannot use the state: %s", cause);
		free(cause);
		json_decref(snap);
		return (-1);
	}
	if (snapshot_apply(snap, &rfd, &cause) == -1) {
		log_warnx("reexec: cannot use the state: %s", cause);
		free(cause);
		json_decref(snap);
		return (-1);
	}
	reexec_tell_clients(json_object_get(snap, "clients"));
	old = json_string_value(json_object_get(snap, "corrald_version"));
	log_info("re-executed: corrald %s took over from %s with %zu job%s",
	    PACKAGE_VERSION, old != NULL ? old : "?",
	    json_array_size(json_object_get(snap, "jobs")),
	    json_array_size(json_object_get(snap, "jobs")) == 1 ? "" : "s");
	if (rfd != -1)
		fcntl(rfd, F_SETFD, FD_CLOEXEC);
	if (rfd != -1 && (c = control_client_new(rfd)) != NULL)
		control_send_ok(c, json_pack("{s:s,s:s}", "old_version",
		    old != NULL ? old : "?", "version", PACKAGE_VERSION));
	json_decref(snap);
	return (0);
}
