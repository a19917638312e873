/*
 * reload.c -- applying a new configuration without disturbing what did
 * not change.
 *
 * The file is parsed and validated into a new structure first; a file
 * with any error changes nothing.  Then the difference is applied: new
 * jobs are added (and started if autostart), jobs that are gone are
 * stopped and dropped, running jobs whose definition changed are restarted
 * with the new one, and unchanged jobs keep running untouched (same pid,
 * same log files).  What an operator did stays done: a job stopped with
 * `corralctl stop` is not started again.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "corrald.h"

/* The spec named name in a list, or NULL. */
static struct job_spec *
reload_find(struct job_spec **specs, u_int n, const char *name)
{
	u_int	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(specs[i]->name, name) == 0)
			return (specs[i]);
	}
	return (NULL);
}

/*
 * Classify every job of the old and the new list: in new only (added), in
 * old only (removed), in both and different (changed), in both and the
 * same (unchanged).  old_actions[i] is for old[i], new_actions[j] for
 * new[j].  Pure: it compares specs and nothing else.
 */
void
reload_diff(struct job_spec **old, u_int nold, struct job_spec **new,
    u_int nnew, enum reload_action *old_actions,
    enum reload_action *new_actions)
{
	struct job_spec	*other;
	u_int		 i;

	for (i = 0; i < nold; i++) {
		other = reload_find(new, nnew, old[i]->name);
		if (other == NULL)
			old_actions[i] = RELOAD_REMOVE;
		else if (job_spec_equal(old[i], other))
			old_actions[i] = RELOAD_KEEP;
		else
			old_actions[i] = RELOAD_CHANGE;
	}
	for (i = 0; i < nnew; i++) {
		other = reload_find(old, nold, new[i]->name);
		if (other == NULL)
			new_actions[i] = RELOAD_ADD;
		else if (job_spec_equal(other, new[i]))
			new_actions[i] = RELOAD_KEEP;
		else
			new_actions[i] = RELOAD_CHANGE;
	}
}

/* Append name to the JSON array in summary[key]. */
static void
reload_note(json_t *summary, const char *key, const char *name)
{
	json_array_append_new(json_object_get(summary, key),
	    json_string(name));
}

/* Are a and b (either may be NULL) the same string? */
static int
reload_same_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

/*
 * A job of the new config named like a `run` job still running would make
 * two jobs of one name: refused, as a config error, until the run ends.
 */
static int
reload_check_transient(struct config *new, char **cause)
{
	struct job	*job;
	u_int		 i;

	for (i = 0; i < new->nspecs; i++) {
		job = job_find(new->specs[i]->name);
		if (job != NULL && job->transient && !job->removing) {
			xasprintf(cause, "%s:%d: job \"%s\": a `run` job of "
			    "that name is running", new->specs[i]->file,
			    new->specs[i]->line, job->name);
			return (-1);
		}
	}
	return (0);
}

/*
 * Read the config file again and apply it.  Returns 0 with a summary
 * {"added":[],"removed":[],"restarted":[],"updated":[],"unchanged":N}, or
 * -1 with *cause ("FILE:LINE: message" lines) and nothing changed.
 */
int
reload_config(json_t **summary, char **cause)
{
	struct config		*new;
	struct job		*job, *next;
	struct job_spec		**old_specs;
	enum reload_action	*old_actions, *new_actions;
	struct job		**added;
	u_int			 nold = 0, nadded = 0, i, unchanged = 0;

	if ((new = config_load(cd->config_path, cause)) == NULL ||
	    reload_check_transient(new, cause) == -1) {
		if (new != NULL)
			config_free(new);
		log_warnx("reload FAILED: %s", *cause);
		return (-1);
	}
	notify_reloading();
	*summary = json_pack("{s:[],s:[],s:[],s:[]}", "added", "removed",
	    "restarted", "updated");

	/* `run` jobs are not the config's: a reload leaves them be. */
	TAILQ_FOREACH(job, &cd->jobs, entry) {
		if (!job->removing && !job->transient)
			nold++;
	}
	old_specs = xcalloc(nold + 1, sizeof *old_specs);
	old_actions = xcalloc(nold + 1, sizeof *old_actions);
	new_actions = xcalloc(new->nspecs + 1, sizeof *new_actions);
	added = xcalloc(new->nspecs + 1, sizeof *added);
	i = 0;
	TAILQ_FOREACH(job, &cd->jobs, entry) {
		/* Compared with what its next run would be. */
		if (!job->removing && !job->transient)
			old_specs[i++] = job->next_spec != NULL ?
			    job->next_spec : job->spec;
	}
	reload_diff(old_specs, nold, new->specs, new->nspecs, old_actions,
	    new_actions);

	/* Jobs that are gone: stopped, then freed. */
	i = 0;
	TAILQ_FOREACH_SAFE(job, &cd->jobs, entry, next) {
		if (job->removing || job->transient)
			continue;
		if (old_actions[i++] != RELOAD_REMOVE)
			continue;
		reload_note(*summary, "removed", job->name);
		log_info("%s: removed by reload", job->name);
		job_remove(job);
	}

	/* The new list, in the new file's order. */
	for (i = 0; i < new->nspecs; i++) {
		switch (new_actions[i]) {
		case RELOAD_ADD:
			job = job_create(new->specs[i]);
			added[nadded++] = job;
			log_info("%s: added by reload", job->name);
			reload_note(*summary, "added", job->name);
			break;
		case RELOAD_KEEP:
			job = job_find(new->specs[i]->name);
			job_replace_spec(job, new->specs[i]);
			unchanged++;
			break;
		case RELOAD_CHANGE:
			job = job_find(new->specs[i]->name);
			log_info("%s: definition changed", job->name);
			/* A run being stopped on request is not restarted. */
			if (job->state == JOB_BACKOFF ||
			    (job_is_active(job) && !(job->state ==
			    JOB_STOPPING && job->after != AFTER_POLICY)))
				reload_note(*summary, "restarted", job->name);
			else
				reload_note(*summary, "updated", job->name);
			job_change_spec(job, new->specs[i]);
			break;
		default:
			fatalx("%s: bad action", __func__);
		}
		TAILQ_REMOVE(&cd->jobs, job, entry);
		TAILQ_INSERT_TAIL(&cd->jobs, job, entry);
	}
	/* The jobs own their specs now. */
	new->nspecs = 0;
	json_object_set_new(*summary, "unchanged", json_integer(unchanged));

	if (strcmp(new->socket_path, cd->config->socket_path) != 0 ||
	    new->socket_mode != cd->config->socket_mode ||
	    !reload_same_string(new->socket_group, cd->config->socket_group))
		log_warnx("reload: daemon.socket, daemon.socket_mode and "
		    "daemon.socket_group take effect when corrald is "
		    "restarted");
	if (server_mkdirs(new->log_dir, 0750, cause) == -1) {
		log_warnx("reload: log_dir: %s", *cause);
		free(*cause);
	}
	config_free(cd->config);
	cd->config = new;

	/* Added jobs start once the whole new list is in place. */
	for (i = 0; i < nadded; i++) {
		if (added[i]->spec->autostart)
			job_start(added[i], NULL);
	}
	free(added);
	free(old_specs);
	free(old_actions);
	free(new_actions);
	notify_ready();
	return (0);
}
