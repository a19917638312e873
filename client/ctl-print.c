/*
 * ctl-print.c -- showing answers: the status table and --json output.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corralctl.h"
#include "xmalloc.h"

/* "up 1:02:03", "up 3d 4:05:06". */
static void
ctl_format_uptime(double secs, char *buf, size_t len)
{
	long	 s = (long)secs;

	if (s >= 86400)
		snprintf(buf, len, "up %ldd %ld:%02ld:%02ld", s / 86400,
		    s % 86400 / 3600, s % 3600 / 60, s % 60);
	else
		snprintf(buf, len, "up %ld:%02ld:%02ld", s / 3600,
		    s % 3600 / 60, s % 60);
}

/*
 * How a pipeline's run ended, with each stage's end as a shell's
 * PIPESTATUS would show them: "exit 1 (exit 0 | exit 1 | exit 0)".
 */
static char *
ctl_with_stages(json_t *job, const char *result)
{
	json_t		*stages = json_object_get(job, "stages"), *stage;
	const char	*how;
	char		*info, *more;
	size_t		 i;

	if (json_array_size(stages) < 2)
		return (xstrdup(result));
	info = xstrdup(result);
	json_array_foreach(stages, i, stage) {
		how = json_string_value(json_object_get(stage, "result"));
		xasprintf(&more, "%s%s%s", info, i == 0 ? " (" : " | ",
		    how != NULL ? how : "?");
		free(info);
		info = more;
	}
	xasprintf(&more, "%s)", info);
	free(info);
	return (more);
}

/* The last column: uptime, how the last run ended, or why it failed. */
static char *
ctl_status_info(json_t *job)
{
	const char	*state = json_string_value(json_object_get(job,
			    "state"));
	json_t		*last = json_object_get(job, "last");
	const char	*result = json_string_value(json_object_get(last,
			    "result"));
	json_t		*error = json_object_get(job, "error");
	json_t		*retry = json_object_get(job, "retry_in");
	char		 buf[64], *info;

	json_t		*waiting = json_object_get(job, "waiting_for"), *dep;
	size_t		 i;

	if (strcmp(state, "FATAL") == 0 && json_is_string(error))
		return (xstrdup(json_string_value(error)));
	if (json_array_size(waiting) > 0) {
		info = xstrdup("waiting for");
		json_array_foreach(waiting, i, dep) {
			char	*more;

			xasprintf(&more, "%s%s %s", info, i > 0 ? "," : "",
			    json_string_value(dep));
			free(info);
			info = more;
		}
		return (info);
	}
	if (strcmp(state, "RUNNING") == 0 || strcmp(state, "STARTING") == 0) {
		ctl_format_uptime(json_number_value(json_object_get(job,
		    "uptime")), buf, sizeof buf);
		/* What a ready = "notify" job last said of itself. */
		if (json_is_string(json_object_get(job, "status_text"))) {
			xasprintf(&info, "%s: %s", buf, json_string_value(
			    json_object_get(job, "status_text")));
			return (info);
		}
		return (xstrdup(buf));
	}
	if (strcmp(state, "BACKOFF") == 0 && json_is_number(retry)) {
		xasprintf(&info, "retry in %.1fs%s%s%s",
		    json_number_value(retry), result ? " (" : "",
		    result ? result : "", result ? ")" : "");
		return (info);
	}
	if (result != NULL)
		return (ctl_with_stages(job, result));
	return (xstrdup("-"));
}

static int
ctl_width(const char *s, int w)
{
	int	 len = (int)strlen(s);

	return (len > w ? len : w);
}

/* NAME STATE PID RESTARTS INFO, columns as wide as their widest cell. */
void
ctl_print_status(json_t *jobs)
{
	json_t	*job, *pid;
	size_t	 i, n = json_array_size(jobs);
	char	**pids, **infos, **restarts;
	int	 wname = 4, wstate = 5, wpid = 3, wrestarts = 8;

	pids = xcalloc(n + 1, sizeof *pids);
	infos = xcalloc(n + 1, sizeof *infos);
	restarts = xcalloc(n + 1, sizeof *restarts);
	json_array_foreach(jobs, i, job) {
		pid = json_object_get(job, "pid");
		if (json_is_integer(pid))
			xasprintf(&pids[i], "%lld",
			    (long long)json_integer_value(pid));
		else
			pids[i] = xstrdup("-");
		xasprintf(&restarts[i], "%lld", (long long)json_integer_value(
		    json_object_get(job, "restarts")));
		infos[i] = ctl_status_info(job);
		wname = ctl_width(json_string_value(json_object_get(job,
		    "name")), wname);
		wstate = ctl_width(json_string_value(json_object_get(job,
		    "state")), wstate);
		wpid = ctl_width(pids[i], wpid);
		wrestarts = ctl_width(restarts[i], wrestarts);
	}
	printf("%-*s  %-*s  %*s  %*s  %s\n", wname, "NAME", wstate, "STATE",
	    wpid, "PID", wrestarts, "RESTARTS", "INFO");
	json_array_foreach(jobs, i, job) {
		printf("%-*s  %-*s  %*s  %*s  %s\n", wname,
		    json_string_value(json_object_get(job, "name")), wstate,
		    json_string_value(json_object_get(job, "state")), wpid,
		    pids[i], wrestarts, restarts[i], infos[i]);
		free(pids[i]);
		free(infos[i]);
		free(restarts[i]);
	}
	free(pids);
	free(infos);
	free(restarts);
}

void
ctl_print_json(json_t *obj)
{
	json_dumpf(obj, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
}
