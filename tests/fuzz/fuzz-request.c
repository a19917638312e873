/*
 * fuzz-request.c -- libFuzzer target for what a client's bytes go
 * through: framing into lines, decoding, and dispatch to the commands,
 * against a daemon state with a few jobs that are not running.
 *
 * Commands that would start processes or end the daemon (start, restart,
 * reload, shutdown) are left out; every other one is served as corrald
 * serves it, and the answers are thrown away.
 */

#include "config.h"

#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corrald.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct client	*fuzz_client;
static int		 fuzz_peer = -1;

static const char fuzz_config[] =
    "daemon = { socket = \"fuzz.sock\"; log_dir = \"log\"; };\n"
    "jobs = (\n"
    "  { name = \"web\"; autostart = false; command = [\"sleep\", \"1\"]; },\n"
    "  { name = \"db\"; autostart = false; after = [\"web\"];\n"
    "    pipeline = ([\"cat\"], [\"grep\", \"x\"]); },\n"
    "  { name = \"quiet\"; autostart = false; stdout = \"null\";\n"
    "    stderr = \"stdout\"; shell = \"true\"; }\n"
    ");\n";

/* A daemon state with jobs, and one client on a socketpair. */
static void
fuzz_setup(void)
{
	struct config	*config;
	char		 dir[] = "/tmp/corral-fuzz.XXXXXX", path[64], *cause;
	int		 fds[2];
	FILE		*f;
	u_int		 i;

	log_init("fuzz", 0);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/corrald.conf", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs(fuzz_config, f);
	fclose(f);
	if ((config = config_load(path, &cause)) == NULL)
		abort();
	cd = xcalloc(1, sizeof *cd);
	cd->base = event_base_new();
	cd->config = config;
	cd->config_path = xstrdup(path);
	TAILQ_INIT(&cd->jobs);
	TAILQ_INIT(&cd->clients);
	for (i = 0; i < config->nspecs; i++)
		job_create(config->specs[i]);
	config->nspecs = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == -1)
		abort();
	fuzz_peer = fds[1];
	if ((fuzz_client = control_client_new(fds[0])) == NULL)
		abort();
}

/* Would this line make the daemon start processes or exit? */
static int
fuzz_unsafe(const char *line, size_t len)
{
	static const char	*unsafe[] = {
		"start", "restart", "reload", "shutdown", NULL
	};
	const char		*code, *cmd;
	char			*cause = NULL;
	json_t			*req;
	int			 i, found = 0;

	if ((req = proto_decode_request(line, len, &code, &cause)) == NULL) {
		free(cause);
		return (0);
	}
	cmd = json_string_value(json_object_get(req, "cmd"));
	for (i = 0; unsafe[i] != NULL; i++)
		found |= (strcmp(cmd, unsafe[i]) == 0);
	json_decref(req);
	return (found);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client	*c;
	const char	*p = (const char *)data, *nl;
	size_t		 left = size, len;

	if (cd == NULL)
		fuzz_setup();
	c = fuzz_client;

	/* Feed the safe lines (and a last partial one) as corrald would. */
	while (left > 0) {
		nl = memchr(p, '\n', left);
		len = nl != NULL ? (size_t)(nl - p) + 1 : left;
		if (!fuzz_unsafe(p, nl != NULL ? len - 1 : len))
			evbuffer_add(c->in, p, len);
		p += len;
		left -= len;
	}
	control_process_pending(c);
	event_base_loop(cd->base, EVLOOP_NONBLOCK);

	/* The next input starts from a clean client. */
	evbuffer_drain(c->in, evbuffer_get_length(c->in));
	evbuffer_drain(c->out, evbuffer_get_length(c->out));
	if (c->waiter != NULL) {
		cmd_waiter_free(c->waiter);
		c->waiter = NULL;
	}
	if (c->listening)
		cd->nlisteners--;
	c->listening = 0;
	logfile_unfollow(c);
	c->closing = 0;
	evtimer_del(c->ev_idle);
	return (0);
}
