/*
 * cmd-reload.c -- "reload": as SIGHUP, answering with what was added,
 * removed, restarted and updated, or with the config's errors (nothing
 * changed then).
 */

#include "config.h"

#include <stdlib.h>

#include "corrald.h"

static enum cmd_retval	cmd_reload_exec(struct cmd_ctx *);

const struct cmd_entry cmd_reload_entry = {
	.name = "reload",
	.flags = 0,
	.exec = cmd_reload_exec
};

static enum cmd_retval
cmd_reload_exec(struct cmd_ctx *ctx)
{
	json_t	*summary;
	char	*cause;

	cmd_log_request(ctx, "reload %s", cd->config_path);
	if (reload_config(&summary, &cause) == -1) {
		control_send_error(ctx->client, PROTO_E_FAILED, "%s", cause);
		free(cause);
		return (CMD_DONE);
	}
	control_send_ok(ctx->client, summary);
	return (CMD_DONE);
}
