/*
 * ctl-run.c -- `corralctl run`: Popen's call() through corrald.  Our own
 * stdin, stdout and stderr go to corrald with the request (SCM_RIGHTS), so
 * the job reads and writes them directly; we wait for the job to end and
 * exit with its code, or 128+N for signal N.  SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT received meanwhile are relayed to the job's process group, the
 * way a terminal sends them to its foreground group.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confpath.h"
#include "corralctl.h"
#include "proto.h"
#include "xmalloc.h"

static int	ctl_run_sigpipe[2] = { -1, -1 };

/* Signals to relay: noted by the handler, relayed from the loop. */
static void
ctl_run_note_signal(int sig)
{
	unsigned char	 c = (unsigned char)sig;
	int		 saved = errno;

	(void)write(ctl_run_sigpipe[1], &c, 1);
	errno = saved;
}

/* run [--name N] [-d DIR] [-e K=V]... [--shell STRING | [--] CMD ARG...] */
json_t *
ctl_build_run(const struct ctl_cmd *cmd, int argc, char **argv)
{
	json_t		*req = proto_request(cmd->name), *args, *env;
	const char	*dir = NULL, *shell = NULL;
	char		*cwd, *abs;
	int		 i;

	env = json_array();
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] != '-')
			break;
		if (i + 1 == argc)
			ctl_usage_of(cmd);
		if (strcmp(argv[i], "--name") == 0)
			json_object_set_new(req, "name",
			    json_string(argv[++i]));
		else if (strcmp(argv[i], "-d") == 0)
			dir = argv[++i];
		else if (strcmp(argv[i], "-e") == 0) {
			if (strchr(argv[i + 1], '=') == NULL ||
			    argv[i + 1][0] == '=') {
				fprintf(stderr, "corralctl: run: -e takes "
				    "NAME=value, not %s\n", argv[i + 1]);
				exit(CTL_EXIT_USAGE);
			}
			json_array_append_new(env, json_string(argv[++i]));
		} else if (strcmp(argv[i], "--shell") == 0)
			shell = argv[++i];
		else
			ctl_usage_of(cmd);
	}
	if ((shell != NULL) == (i < argc))
		ctl_usage_of(cmd);	/* one of --shell and a command */
	if (shell != NULL)
		json_object_set_new(req, "shell", json_string(shell));
	else {
		args = json_array();
		for (; i < argc; i++)
			json_array_append_new(args, json_string(argv[i]));
		json_object_set_new(req, "argv", args);
	}
	json_object_set_new(req, "environment", env);
	/* Like Popen: the caller's directory, unless -d says otherwise. */
	if ((cwd = getcwd(NULL, 0)) == NULL) {
		fprintf(stderr, "corralctl: run: getcwd: %s\n",
		    strerror(errno));
		exit(CTL_EXIT_USAGE);
	}
	abs = confpath_resolve(cwd, dir != NULL ? dir : ".");
	json_object_set_new(req, "directory", json_string(abs));
	free(abs);
	free(cwd);
	return (req);
}

/* The request, with descriptors 0, 1 and 2 attached. */
static void
ctl_run_send(int fd, json_t *req)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(3 * sizeof(int))];
	}		 cmsgbuf;
	struct cmsghdr	*cmsg;
	struct msghdr	 msg;
	struct iovec	 iov;
	int		 fds[3] = { 0, 1, 2 }, i;
	char		*line;
	size_t		 len;
	ssize_t		 n;

	/* A closed 0, 1 or 2 is /dev/null for the job. */
	for (i = 0; i < 3; i++) {
		if (fcntl(i, F_GETFD) == -1 &&
		    open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY) != i) {
			fprintf(stderr, "corralctl: run: /dev/null: %s\n",
			    strerror(errno));
			exit(CTL_EXIT_REFUSED);
		}
	}
	if ((line = proto_encode(req, PROTO_LINE_MAX, &len)) == NULL) {
		fprintf(stderr, "corralctl: run: request too long\n");
		exit(CTL_EXIT_USAGE);
	}
	memset(&msg, 0, sizeof msg);
	iov.iov_base = line;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof cmsgbuf.buf;
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof fds);
	memcpy(CMSG_DATA(cmsg), fds, sizeof fds);
	do
		n = sendmsg(fd, &msg, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		fprintf(stderr, "corralctl: run: %s: %s\n", ctl.socket_path,
		    strerror(errno));
		exit(CTL_EXIT_UNREACHABLE);
	}
	/* The descriptors went with the first byte; the rest is plain. */
	for (len -= (size_t)n; len > 0; len -= (size_t)n) {
		n = write(fd, line + (iov.iov_len - len), len);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n == -1) {
			fprintf(stderr, "corralctl: run: %s: %s\n",
			    ctl.socket_path, strerror(errno));
			exit(CTL_EXIT_UNREACHABLE);
		}
	}
	free(line);
}

/* killpg SIG of the job, over a connection of its own. */
static void
ctl_run_relay(const char *job, int sig)
{
	json_t	*req;
	char	*line, buf[4096];
	size_t	 len;
	int	 fd;

	if ((fd = ctl_connect(ctl.socket_path)) == -1)
		return;
	req = json_pack("{s:i,s:s,s:i,s:[s]}", "v", PROTO_VERSION, "cmd",
	    "killpg", "signal", sig, "jobs", job);
	if ((line = proto_encode(req, PROTO_LINE_MAX, &len)) != NULL) {
		if (write(fd, line, len) == (ssize_t)len)
			(void)read(fd, buf, sizeof buf);	/* its answer */
		free(line);
	}
	json_decref(req);
	close(fd);
}

/* The code to exit with: the job's, or for its exec error a shell's. */
static int
ctl_run_code(json_t *answer)
{
	json_t	*code = json_object_get(answer, "exit_code");
	json_t	*sig = json_object_get(answer, "signal");

	if (!json_is_true(json_object_get(answer, "ok"))) {
		fprintf(stderr, "corralctl: run: %s\n", json_string_value(
		    json_object_get(answer, "message")));
		return (json_is_integer(code) ? (int)json_integer_value(code) :
		    CTL_EXIT_REFUSED);
	}
	if (json_is_integer(code))
		return ((int)json_integer_value(code));
	if (json_is_integer(sig))
		return (128 + (int)json_integer_value(sig));
	return (CTL_EXIT_REFUSED);
}

int
ctl_main_run(json_t *req)
{
	static const int relayed[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction	 sa;
	struct pollfd		 pfd[2];
	json_t			*answer;
	char			*buf = NULL, *nl, *name = NULL, *cause;
	const char		*started;
	size_t			 have = 0, size = 0, len;
	unsigned char		 pending[64];
	size_t			 npending = 0, k;
	unsigned char		 sig;
	ssize_t			 n;
	int			 fd, rc = CTL_EXIT_REFUSED;

	if (pipe2(ctl_run_sigpipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		fprintf(stderr, "corralctl: run: pipe: %s\n", strerror(errno));
		return (CTL_EXIT_REFUSED);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ctl_run_note_signal;
	sigemptyset(&sa.sa_mask);
	for (k = 0; k < sizeof relayed / sizeof relayed[0]; k++)
		sigaction(relayed[k], &sa, NULL);

	fd = ctl_connect(ctl.socket_path);
	ctl_run_send(fd, req);
	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = ctl_run_sigpipe[0];
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "corralctl: run: poll: %s\n",
			    strerror(errno));
			goto out;
		}
		while (read(ctl_run_sigpipe[0], &sig, 1) == 1) {
			if (name != NULL)
				ctl_run_relay(name, sig);
			else if (npending < sizeof pending)
				pending[npending++] = sig;
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (have == size) {
			if (size >= PROTO_ANSWER_MAX) {
				fprintf(stderr, "corralctl: run: answer too "
				    "long\n");
				goto out;
			}
			size = size == 0 ? 4096 : size * 2;
			buf = xreallocarray(buf, size, 1);
		}
		n = read(fd, buf + have, size - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "corralctl: run: corrald closed the "
			    "connection before the job ended\n");
			goto out;
		}
		have += (size_t)n;
		while ((nl = memchr(buf, '\n', have)) != NULL) {
			len = (size_t)(nl - buf);
			answer = proto_decode_response(buf, len, &cause);
			memmove(buf, nl + 1, have - len - 1);
			have -= len + 1;
			if (answer == NULL) {
				fprintf(stderr, "corralctl: run: bad answer: "
				    "%s\n", cause);
				free(cause);
				goto out;
			}
			/* An error, or the end: how it went is our code. */
			if (!json_is_true(json_object_get(answer, "ok")) ||
			    json_is_true(json_object_get(answer, "done"))) {
				rc = ctl_run_code(answer);
				json_decref(answer);
				goto out;
			}
			/* Started: signals noted meanwhile go now. */
			started = json_string_value(json_object_get(answer,
			    "name"));
			if (started == NULL) {
				fprintf(stderr, "corralctl: run: bad answer: "
				    "no job name\n");
				json_decref(answer);
				goto out;
			}
			free(name);
			name = xstrdup(started);
			for (k = 0; k < npending; k++)
				ctl_run_relay(name, pending[k]);
			npending = 0;
			json_decref(answer);
		}
	}

out:
	close(fd);
	free(name);
	free(buf);
	return (rc);
}
