/*
 * cmd-reexec.c -- "reexec": as SIGUSR2, replace corrald's program in place
 * (the same pid), keeping every job, pipe and log byte.  The request waits
 * while the program is asked whether it can take over; then the new image
 * answers on this same connection with both versions.  If the program is
 * refused or the exec fails, the old image answers with why and carries
 * on; if the new image cannot read the state, the old program comes back
 * and answers with why.
 */

#include "config.h"

#include <stdlib.h>

#include "corrald.h"

static enum cmd_retval	cmd_reexec_exec(struct cmd_ctx *);
static int		cmd_reexec_check(struct waiter *);

const struct cmd_entry cmd_reexec_entry = {
	.name = "reexec",
	.flags = 0,
	.exec = cmd_reexec_exec,
	.check = cmd_reexec_check
};

static enum cmd_retval
cmd_reexec_exec(struct cmd_ctx *ctx)
{
	json_t		*binary = json_object_get(ctx->request, "binary");
	char		*cause = NULL;

	if (binary != NULL && (!json_is_string(binary) ||
	    json_string_value(binary)[0] != '/')) {
		control_send_error(ctx->client, PROTO_E_BAD_REQUEST,
		    "\"binary\" must be an absolute path");
		return (CMD_DONE);
	}
	cmd_log_request(ctx, "reexec %s", binary != NULL ?
	    json_string_value(binary) : "(the installed corrald)");
	if (reexec_start(json_string_value(binary), &cause) == -1) {
		control_send_error(ctx->client, PROTO_E_FAILED, "%s", cause);
		free(cause);
		return (CMD_DONE);
	}
	cmd_wait(ctx);
	return (CMD_WAIT);
}

/* Answered by reexec.c when the re-execution ends, one way or another. */
static int
cmd_reexec_check(struct waiter *w)
{
	(void)w;
	return (0);
}
