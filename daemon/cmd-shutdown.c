/*
 * cmd-shutdown.c -- "shutdown": as SIGTERM.  The answer is sent when every
 * job has stopped, just before corrald exits.
 */

#include "config.h"

#include "corrald.h"

static enum cmd_retval	cmd_shutdown_exec(struct cmd_ctx *);
static int		cmd_shutdown_check(struct waiter *);

const struct cmd_entry cmd_shutdown_entry = {
	.name = "shutdown",
	.flags = 0,
	.exec = cmd_shutdown_exec,
	.check = cmd_shutdown_check
};

static enum cmd_retval
cmd_shutdown_exec(struct cmd_ctx *ctx)
{
	cmd_log_request(ctx, "shutdown");
	cmd_wait(ctx);
	corrald_shutdown();
	return (CMD_WAIT);
}

/* Answered by the exit path, once every job has stopped. */
static int
cmd_shutdown_check(struct waiter *w)
{
	(void)w;
	return (0);
}
