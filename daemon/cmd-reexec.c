/*
 * cmd-reexec.c -- "reexec": as SIGUSR2, replace corrald's program in place
 * (the same pid), keeping every job, pipe and log byte.  The new image
 * answers on this same connection with both versions; if the exec fails,
 * the old image answers with why and carries on.
 */

#include "config.h"

#include <stdlib.h>

#include "corrald.h"

static enum cmd_retval	cmd_reexec_exec(struct cmd_ctx *);

const struct cmd_entry cmd_reexec_entry = {
	.name = "reexec",
	.flags = 0,
	.exec = cmd_reexec_exec
};

static enum cmd_retval
cmd_reexec_exec(struct cmd_ctx *ctx)
{
	json_t		*binary = json_object_get(ctx->request, "binary");
	char		*cause;

	if (binary != NULL && (!json_is_string(binary) ||
	    json_string_value(binary)[0] != '/')) {
		control_send_error(ctx->client, PROTO_E_BAD_REQUEST,
		    "\"binary\" must be an absolute path");
		return (CMD_DONE);
	}
	cmd_log_request(ctx, "reexec %s", binary != NULL ?
	    json_string_value(binary) : "/proc/self/exe");
	/* Returns only if the exec failed; the new image answers otherwise. */
	reexec_start(ctx->client, json_string_value(binary), &cause);
	control_send_error(ctx->client, PROTO_E_FAILED, "%s", cause);
	free(cause);
	return (CMD_DONE);
}
