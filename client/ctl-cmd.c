/*
 * ctl-cmd.c -- the client's command table: one entry per command, with
 * its arguments and how its answer is shown.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "confpath.h"
#include "corralctl.h"
#include "proto.h"
#include "signame.h"

static int	ctl_done_quiet(json_t *);
static int	ctl_done_status(json_t *);
static int	ctl_done_pid(json_t *);
static int	ctl_done_wait(json_t *);
static int	ctl_done_reload(json_t *);
static int	ctl_done_logs(json_t *);
static int	ctl_done_reexec(json_t *);
static json_t	*ctl_build_reexec(const struct ctl_cmd *, int, char **);
static void	ctl_line_logs(json_t *);
static void	ctl_line_events(json_t *);
static json_t	*ctl_build_logs(const struct ctl_cmd *, int, char **);

static const struct ctl_cmd ctl_cmds[] = {
	{ "status", "[JOB...]", 0, -1, 0, ctl_done_status, NULL, NULL, NULL },
	{ "start", "JOB...", 1, -1, 0, ctl_done_quiet, NULL, NULL, NULL },
	{ "stop", "JOB...", 1, -1, 0, ctl_done_quiet, NULL, NULL, NULL },
	{ "restart", "JOB...", 1, -1, 0, ctl_done_quiet, NULL, NULL, NULL },
	{ "signal", "SIG JOB...", 2, -1, CTL_SIGNAL_ARG, ctl_done_quiet, NULL,
	    NULL, NULL },
	{ "terminate", "JOB...", 1, -1, 0, ctl_done_quiet, NULL, NULL, NULL },
	{ "kill", "JOB...", 1, -1, 0, ctl_done_quiet, NULL, NULL, NULL },
	{ "killpg", "SIG JOB...", 2, -1, CTL_SIGNAL_ARG, ctl_done_quiet, NULL,
	    NULL, NULL },
	{ "pid", "JOB", 1, 1, 0, ctl_done_pid, NULL, NULL, NULL },
	{ "wait", "JOB", 1, 1, 0, ctl_done_wait, NULL, NULL, NULL },
	{ "logs", "[-f] [-n N] [--stderr] JOB", 1, -1, CTL_STREAM,
	    ctl_done_logs, ctl_line_logs, ctl_build_logs, NULL },
	{ "run", "[--name N] [-d DIR] [-e K=V]... [--shell STRING | -- CMD "
	    "[ARG...]]", 1, -1, 0, ctl_done_quiet, NULL, ctl_build_run,
	    ctl_main_run },
	{ "reload", "", 0, 0, 0, ctl_done_reload, NULL, NULL, NULL },
	{ "reexec", "[--binary PATH]", 0, 2, 0, ctl_done_reexec, NULL,
	    ctl_build_reexec, NULL },
	{ "reopen-logs", "[JOB...]", 0, -1, 0, ctl_done_quiet, NULL, NULL, NULL },
	{ "events", "", 0, 0, CTL_STREAM, ctl_done_quiet, ctl_line_events,
	    NULL, NULL },
	{ "shutdown", "", 0, 0, 0, ctl_done_quiet, NULL, NULL, NULL },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL, NULL }
};

const struct ctl_cmd *
ctl_cmd_find(const char *name)
{
	const struct ctl_cmd	*cmd;

	for (cmd = ctl_cmds; cmd->name != NULL; cmd++) {
		if (strcmp(cmd->name, name) == 0)
			return (cmd);
	}
	return (NULL);
}

void
ctl_cmd_usage(FILE *f)
{
	const struct ctl_cmd	*cmd;

	fprintf(f, "usage: corralctl [-s SOCKET] [-c CONFIG] [-j|--json] "
	    "COMMAND [ARGS]\ncommands:\n");
	for (cmd = ctl_cmds; cmd->name != NULL; cmd++)
		fprintf(f, "  %s %s\n", cmd->name, cmd->usage);
}

static int
ctl_done_quiet(json_t *answer)
{
	if (ctl.json)
		ctl_print_json(answer);
	return (CTL_EXIT_OK);
}

static int
ctl_done_status(json_t *answer)
{
	json_t	*jobs = json_object_get(answer, "jobs");

	if (ctl.json)
		ctl_print_json(jobs);
	else
		ctl_print_status(jobs);
	return (CTL_EXIT_OK);
}

static int
ctl_done_pid(json_t *answer)
{
	if (ctl.json)
		ctl_print_json(answer);
	else
		printf("%lld\n", (long long)json_integer_value(
		    json_object_get(answer, "pid")));
	return (CTL_EXIT_OK);
}

/* Print how the run ended; exit with its code, or 128+N for signal N. */
static int
ctl_done_wait(json_t *answer)
{
	json_t	*code = json_object_get(answer, "exit_code");
	json_t	*sig = json_object_get(answer, "signal");

	if (ctl.json)
		ctl_print_json(answer);
	else
		printf("%s\n", json_string_value(json_object_get(answer,
		    "result")));
	if (json_is_integer(code))
		return ((int)json_integer_value(code));
	if (json_is_integer(sig))
		return (128 + (int)json_integer_value(sig));
	return (CTL_EXIT_REFUSED);
}

/* "added: a b" and so on, one line for each kind of change made. */
static int
ctl_done_reload(json_t *answer)
{
	const char	*keys[] = { "added", "removed", "restarted", "updated" };
	json_t		*list, *name;
	size_t		 i, j;

	if (ctl.json) {
		ctl_print_json(answer);
		return (CTL_EXIT_OK);
	}
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		list = json_object_get(answer, keys[i]);
		if (json_array_size(list) == 0)
			continue;
		printf("%s:", keys[i]);
		json_array_foreach(list, j, name)
			printf(" %s", json_string_value(name));
		putchar('\n');
	}
	printf("unchanged: %lld\n", (long long)json_integer_value(
	    json_object_get(answer, "unchanged")));
	return (CTL_EXIT_OK);
}

/* An event: the line as it came, at once. */
static void
ctl_line_events(json_t *obj)
{
	json_dumpf(obj, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	putchar('\n');
	fflush(stdout);
}

/* logs [-f|--follow] [-n N|--lines N] [--stderr] JOB */
static json_t *
ctl_build_logs(const struct ctl_cmd *cmd, int argc, char **argv)
{
	json_t		*req = proto_request(cmd->name);
	const char	*job = NULL;
	char		*end;
	long		 n;
	int		 i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-f") == 0 ||
		    strcmp(argv[i], "--follow") == 0)
			json_object_set_new(req, "follow", json_true());
		else if (strcmp(argv[i], "--stderr") == 0)
			json_object_set_new(req, "stream",
			    json_string("stderr"));
		else if (strcmp(argv[i], "-n") == 0 ||
		    strcmp(argv[i], "--lines") == 0) {
			if (++i == argc)
				ctl_usage_of(cmd);
			n = strtol(argv[i], &end, 10);
			if (*argv[i] == '\0' || *end != '\0' || n < 0 ||
			    n > 100000) {
				fprintf(stderr, "corralctl: logs: bad line "
				    "count: %s\n", argv[i]);
				exit(CTL_EXIT_USAGE);
			}
			json_object_set_new(req, "lines", json_integer(n));
		} else if (argv[i][0] == '-' && argv[i][1] != '\0')
			ctl_usage_of(cmd);
		else if (job == NULL)
			job = argv[i];
		else
			ctl_usage_of(cmd);
	}
	if (job == NULL)
		ctl_usage_of(cmd);
	json_object_set_new(req, "jobs", json_pack("[s]", job));
	return (req);
}

/* Write the bytes of a "data" member to stdout, as they are. */
static void
ctl_write_data(json_t *obj)
{
	const char	*data = json_string_value(json_object_get(obj, "data"));
	char		*bytes;
	size_t		 len;

	if (data == NULL)
		return;
	if ((bytes = base64_decode(data, strlen(data), &len)) == NULL) {
		fprintf(stderr, "corralctl: logs: bad data from corrald\n");
		exit(CTL_EXIT_REFUSED);
	}
	fwrite(bytes, 1, len, stdout);
	fflush(stdout);
	free(bytes);
}

static int
ctl_done_logs(json_t *answer)
{
	ctl_write_data(answer);
	return (CTL_EXIT_OK);
}

static void
ctl_line_logs(json_t *obj)
{
	ctl_write_data(obj);
}

/* reexec [--binary PATH] */
static json_t *
ctl_build_reexec(const struct ctl_cmd *cmd, int argc, char **argv)
{
	json_t	*req = proto_request(cmd->name);
	char	*cwd, *abs;

	if (argc == 0)
		return (req);
	if (argc != 2 || strcmp(argv[0], "--binary") != 0)
		ctl_usage_of(cmd);
	if ((cwd = getcwd(NULL, 0)) == NULL) {
		fprintf(stderr, "corralctl: reexec: getcwd failed\n");
		exit(CTL_EXIT_USAGE);
	}
	abs = confpath_resolve(cwd, argv[1]);
	json_object_set_new(req, "binary", json_string(abs));
	free(abs);
	free(cwd);
	return (req);
}

/* The new image answered: both versions. */
static int
ctl_done_reexec(json_t *answer)
{
	if (ctl.json)
		ctl_print_json(answer);
	else
		printf("corrald %s replaced by corrald %s\n",
		    json_string_value(json_object_get(answer, "old_version")),
		    json_string_value(json_object_get(answer, "version")));
	return (CTL_EXIT_OK);
}
