/*
 * notify.c -- telling systemd how corrald is doing (sd_notify): READY=1
 * once the socket listens and autostart jobs are spawned, STATUS= a
 * one-line summary of the jobs, STOPPING=1 on shutdown.  Without
 * NOTIFY_SOCKET every call here does nothing.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <systemd/sd-daemon.h>

#include "corrald.h"

static struct event	*notify_ev_status;

static void	notify_status_cb(int, short, void *);

static int
notify_enabled(void)
{
	return (getenv("NOTIFY_SOCKET") != NULL);
}

static void
notify_send(const char *msg)
{
	int	 rc;

	if (!notify_enabled())
		return;
	if ((rc = sd_notify(0, msg)) < 0)
		log_warnx("sd_notify %s: error %d", msg, rc);
}

/* "3 jobs: 2 running, 1 fatal", counting each state that has jobs. */
static void
notify_summary(char *buf, size_t len)
{
	struct job	*job;
	u_int		 counts[JOB_FATAL + 1] = { 0 }, total = 0, state;
	size_t		 used;
	const char	*sep = ": ";
	char		 name[16];
	u_int		 i;

	TAILQ_FOREACH(job, &cd->jobs, entry) {
		counts[job->state]++;
		total++;
	}
	used = (size_t)snprintf(buf, len, "%u job%s", total,
	    total == 1 ? "" : "s");
	for (state = JOB_STOPPED; state <= JOB_FATAL; state++) {
		if (counts[state] == 0 || used >= len)
			continue;
		snprintf(name, sizeof name, "%s", job_state_name(state));
		for (i = 0; name[i] != '\0'; i++)
			name[i] = (char)(name[i] | 0x20);	/* lower case */
		used += (size_t)snprintf(buf + used, len - used, "%s%u %s", sep,
		    counts[state], name);
		sep = ", ";
	}
}

void
notify_ready(void)
{
	char	 msg[256], summary[200];

	notify_summary(summary, sizeof summary);
	snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", summary);
	notify_send(msg);
}

void
notify_reloading(void)
{
	notify_send("RELOADING=1\nSTATUS=reloading the configuration");
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1\nSTATUS=stopping every job");
}

/* Jobs changed: send a new summary once the current callback is over. */
void
notify_status(void)
{
	if (!notify_enabled() || cd->base == NULL)
		return;
	if (notify_ev_status == NULL)
		notify_ev_status = event_new(cd->base, -1, 0, notify_status_cb,
		    NULL);
	event_active(notify_ev_status, 0, 0);
}

static void
notify_status_cb(int fd, short events, void *arg)
{
	char	 msg[256], summary[200];

	(void)fd;
	(void)events;
	(void)arg;
	notify_summary(summary, sizeof summary);
	snprintf(msg, sizeof msg, "STATUS=%s", summary);
	notify_send(msg);
}

/* At exit: the deferred event must go before the event base does. */
void
notify_free(void)
{
	if (notify_ev_status != NULL)
		event_free(notify_ev_status);
	notify_ev_status = NULL;
}
