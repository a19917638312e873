/*
 * corralctl.c -- the corral client: finds the control socket, sends one
 * request and shows the answer.  Exit codes: 0 done, 1 refused or failed
 * by the daemon, 2 usage, 3 daemon unreachable; `wait` exits with the
 * job's own code, or 128+N for signal N.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confpath.h"
#include "corralctl.h"
#include "log.h"
#include "proto.h"
#include "signame.h"
#include "xmalloc.h"

struct ctl ctl = { NULL, 0, -1 };

static void __attribute__((noreturn))
usage(void)
{
	ctl_cmd_usage(stderr);
	exit(CTL_EXIT_USAGE);
}

/* -s, else $CORRAL_SOCKET, else the config's, else the default. */
static char *
ctl_find_socket(const char *opt_socket, const char *opt_config)
{
	const char	*env = getenv("CORRAL_SOCKET");
	const char	*config = opt_config;
	char		*path, *cause;

	if (opt_socket != NULL)
		return (xstrdup(opt_socket));
	if (env != NULL && *env != '\0')
		return (xstrdup(env));
	if (config == NULL && access(CORRAL_DEFAULT_CONFIG, R_OK) == 0)
		config = CORRAL_DEFAULT_CONFIG;
	if (config == NULL)
		return (xstrdup(CORRAL_DEFAULT_SOCKET));
	if ((path = confpath_socket(config, &cause)) == NULL) {
		fprintf(stderr, "corralctl: %s\n", cause);
		exit(CTL_EXIT_USAGE);
	}
	return (path);
}

int
ctl_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		fprintf(stderr, "corralctl: socket path too long: %s\n", path);
		exit(CTL_EXIT_UNREACHABLE);
	}
	strncpy(sun.sun_path, path, sizeof sun.sun_path - 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		fprintf(stderr, "corralctl: cannot reach corrald at %s: %s\n",
		    path, strerror(errno));
		exit(CTL_EXIT_UNREACHABLE);
	}
	return (fd);
}

static void
ctl_send(json_t *req)
{
	char	*line, *p;
	size_t	 len;
	ssize_t	 n;

	if ((line = proto_encode(req, PROTO_LINE_MAX, &len)) == NULL) {
		fprintf(stderr, "corralctl: request too long\n");
		exit(CTL_EXIT_USAGE);
	}
	for (p = line; len > 0; p += n, len -= (size_t)n) {
		n = write(ctl.fd, p, len);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n == -1) {
			fprintf(stderr, "corralctl: write to %s: %s\n",
			    ctl.socket_path, strerror(errno));
			exit(CTL_EXIT_UNREACHABLE);
		}
	}
	free(line);
}

/*
 * Read one line from the daemon: an answer, or with streaming set a line
 * of a stream (any object).  At EOF: NULL for a stream, else an error exit.
 */
static json_t *
ctl_receive(int streaming)
{
	static char	*buf;
	static size_t	 have, size, scanned;
	char		*nl, *cause;
	json_t		*answer;
	ssize_t		 n;
	size_t		 len;

	for (;;) {
		if (have > scanned &&
		    (nl = memchr(buf + scanned, '\n', have - scanned)) != NULL)
			break;
		scanned = have;
		if (have == size) {
			if (size >= PROTO_ANSWER_MAX) {
				fprintf(stderr, "corralctl: answer too long\n");
				exit(CTL_EXIT_REFUSED);
			}
			size = size == 0 ? 65536 : size * 2;
			buf = xreallocarray(buf, size, 1);
		}
		n = read(ctl.fd, buf + have, size - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0 && streaming && have == 0)
			return (NULL);
		if (n <= 0) {
			fprintf(stderr, "corralctl: corrald closed the "
			    "connection without answering\n");
			exit(CTL_EXIT_REFUSED);
		}
		have += (size_t)n;
	}
	len = (size_t)(nl - buf);
	if (streaming)
		answer = proto_decode_line(buf, len, &cause);
	else
		answer = proto_decode_response(buf, len, &cause);
	memmove(buf, nl + 1, have - len - 1);
	have -= len + 1;
	scanned = 0;
	if (answer == NULL) {
		fprintf(stderr, "corralctl: bad answer from corrald: %s\n",
		    cause);
		exit(CTL_EXIT_REFUSED);
	}
	return (answer);
}

/* Does run's option opt take the next word as its value? */
static int
ctl_run_option_has_value(const char *opt)
{
	return (strcmp(opt, "--name") == 0 || strcmp(opt, "-d") == 0 ||
	    strcmp(opt, "-e") == 0 || strcmp(opt, "--shell") == 0);
}

/*
 * `-j` / `--json` may also follow the command (`status --json`); take it
 * out of the command's arguments, up to a "--".  For run, also up to the
 * command it runs, whose own arguments are its business (`run grep -j`),
 * and the "--" stays for run's own parser.
 */
static int
ctl_take_json_flag(int argc, char **argv)
{
	int	 i, j, run = strcmp(argv[0], "run") == 0;

	for (i = j = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			/* Everything after it is an argument, even "-j". */
			if (run)
				argv[j++] = argv[i];
			while (++i < argc)
				argv[j++] = argv[i];
			break;
		}
		if (strcmp(argv[i], "-j") == 0 || strcmp(argv[i], "--json") == 0) {
			ctl.json = 1;
			continue;
		}
		argv[j++] = argv[i];
		if (!run)
			continue;
		if (argv[i][0] != '-') {
			/* The command: it and what follows are its own. */
			while (++i < argc)
				argv[j++] = argv[i];
			break;
		}
		if (ctl_run_option_has_value(argv[i]) && i + 1 < argc)
			argv[j++] = argv[++i];
	}
	argv[j] = NULL;
	return (j);
}

/* A usage error for one command. */
void
ctl_usage_of(const struct ctl_cmd *cmd)
{
	fprintf(stderr, "usage: corralctl %s %s\n", cmd->name, cmd->usage);
	exit(CTL_EXIT_USAGE);
}

/* The request for cmd with its arguments, checked here where we can. */
static json_t *
ctl_build(const struct ctl_cmd *cmd, int argc, char **argv)
{
	json_t	*req, *jobs;
	int	 i, sig;

	if (cmd->build != NULL)
		return (cmd->build(cmd, argc, argv));
	if (argc < cmd->min_args || (cmd->max_args >= 0 &&
	    argc > cmd->max_args))
		ctl_usage_of(cmd);
	req = proto_request(cmd->name);
	if (cmd->flags & CTL_SIGNAL_ARG) {
		if (sig_parse(argv[0], &sig) == -1) {
			fprintf(stderr, "corralctl: %s: bad signal: %s\n",
			    cmd->name, argv[0]);
			exit(CTL_EXIT_USAGE);
		}
		json_object_set_new(req, "signal", json_integer(sig));
		argc--;
		argv++;
	}
	if (cmd->max_args != 0) {
		jobs = json_array();
		for (i = 0; i < argc; i++)
			json_array_append_new(jobs, json_string(argv[i]));
		json_object_set_new(req, "jobs", jobs);
	}
	return (req);
}

/*
 * Show every further line the daemon sends, as it comes, until it closes
 * the stream (0) or sends an error (1).
 */
static int
ctl_stream(const struct ctl_cmd *cmd)
{
	json_t	*obj;

	while ((obj = ctl_receive(1)) != NULL) {
		if (json_is_false(json_object_get(obj, "ok"))) {
			fprintf(stderr, "corralctl: %s\n", json_string_value(
			    json_object_get(obj, "message")));
			json_decref(obj);
			return (CTL_EXIT_REFUSED);
		}
		cmd->line(obj);
		json_decref(obj);
	}
	return (CTL_EXIT_OK);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct ctl_cmd	*cmd;
	const char		*opt_socket = NULL, *opt_config = NULL;
	json_t			*req, *answer;
	int			 ch, rc;

	log_init("corralctl", 0);
	signal(SIGPIPE, SIG_IGN);
	/* Options stop at the command: its own arguments may look like them. */
	while ((ch = getopt_long(argc, argv, "+s:c:jh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			opt_socket = optarg;
			break;
		case 'c':
			opt_config = optarg;
			break;
		case 'j':
			ctl.json = 1;
			break;
		case 'h':
			ctl_cmd_usage(stdout);
			return (CTL_EXIT_OK);
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	argc = ctl_take_json_flag(argc, argv);
	if ((cmd = ctl_cmd_find(argv[0])) == NULL) {
		fprintf(stderr, "corralctl: unknown command: %s\n", argv[0]);
		usage();
	}
	req = ctl_build(cmd, argc - 1, argv + 1);

	ctl.socket_path = ctl_find_socket(opt_socket, opt_config);
	if (cmd->main != NULL) {
		rc = cmd->main(req);
		json_decref(req);
		return (rc);
	}
	ctl.fd = ctl_connect(ctl.socket_path);
	ctl_send(req);
	json_decref(req);
	answer = ctl_receive(0);
	if (!json_is_true(json_object_get(answer, "ok"))) {
		if (ctl.json)
			ctl_print_json(answer);
		fprintf(stderr, "corralctl: %s\n", json_string_value(
		    json_object_get(answer, "message")));
		rc = CTL_EXIT_REFUSED;
	} else {
		rc = cmd->done(answer);
		/* A stream follows, unless the answer says it does not. */
		if ((cmd->flags & CTL_STREAM) &&
		    !json_is_false(json_object_get(answer, "following")))
			rc = ctl_stream(cmd);
	}
	json_decref(answer);
	close(ctl.fd);
	return (rc);
}
