/*
 * ctl-cmd.c -- the client's command table: one entry per command, with
 * its arguments and how its answer is shown.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "corralctl.h"
#include "signame.h"

static int	ctl_done_quiet(json_t *);
static int	ctl_done_status(json_t *);
static int	ctl_done_pid(json_t *);
static int	ctl_done_wait(json_t *);
static int	ctl_done_reload(json_t *);
static int	ctl_done_events(json_t *);

static const struct ctl_cmd ctl_cmds[] = {
	{ "status", "[JOB...]", 0, -1, 0, ctl_done_status },
	{ "start", "JOB...", 1, -1, 0, ctl_done_quiet },
	{ "stop", "JOB...", 1, -1, 0, ctl_done_quiet },
	{ "restart", "JOB...", 1, -1, 0, ctl_done_quiet },
	{ "signal", "SIG JOB...", 2, -1, CTL_SIGNAL_ARG, ctl_done_quiet },
	{ "terminate", "JOB...", 1, -1, 0, ctl_done_quiet },
	{ "kill", "JOB...", 1, -1, 0, ctl_done_quiet },
	{ "killpg", "SIG JOB...", 2, -1, CTL_SIGNAL_ARG, ctl_done_quiet },
	{ "pid", "JOB", 1, 1, 0, ctl_done_pid },
	{ "wait", "JOB", 1, 1, 0, ctl_done_wait },
	{ "reload", "", 0, 0, 0, ctl_done_reload },
	{ "events", "", 0, 0, CTL_STREAM, ctl_done_events },
	{ "shutdown", "", 0, 0, 0, ctl_done_quiet },
	{ NULL, NULL, 0, 0, 0, NULL }
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

/* The stream has ended: corrald went away. */
static int
ctl_done_events(json_t *answer)
{
	(void)answer;
	return (CTL_EXIT_OK);
}
