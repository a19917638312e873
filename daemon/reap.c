/*
 * reap.c -- collecting every child that ends: job processes, pipeline
 * stages, the program a reexec asks what it is, and (corrald being a
 * child subreaper) the orphans jobs leave.
 *
 * A pipeline stage is created by its leader with clone(CLONE_PARENT), so it
 * can end and be reaped here before the leader's report of its pid has
 * been read.  Such exits are kept as "unclaimed" while any spawn is in
 * progress, and matched when the report arrives.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdlib.h>

#include "corrald.h"

/* The job process with this pid, if any. */
static struct proc *
reap_find(pid_t pid, struct job **jobp)
{
	struct job	*job;
	u_int		 i;

	TAILQ_FOREACH(job, &cd->jobs, entry) {
		for (i = 0; i < job->nprocs; i++) {
			if (job->procs[i].pid == pid && !job->procs[i].reaped) {
				*jobp = job;
				return (&job->procs[i]);
			}
		}
	}
	return (NULL);
}

static void
reap_unclaimed_add(pid_t pid, int status)
{
	cd->unclaimed = xreallocarray(cd->unclaimed, cd->nunclaimed + 1,
	    sizeof *cd->unclaimed);
	cd->unclaimed[cd->nunclaimed].pid = pid;
	cd->unclaimed[cd->nunclaimed].status = status;
	cd->nunclaimed++;
}

/*
 * Take the exit of pid out of the unclaimed list.  Returns 1 and fills
 * *status if it was there.
 */
int
reap_unclaimed_take(pid_t pid, int *status)
{
	u_int	 i;

	for (i = 0; i < cd->nunclaimed; i++) {
		if (cd->unclaimed[i].pid != pid)
			continue;
		*status = cd->unclaimed[i].status;
		cd->unclaimed[i] = cd->unclaimed[--cd->nunclaimed];
		return (1);
	}
	return (0);
}

/* SIGCHLD: reap until nothing is left to reap. */
void
reap_children(void)
{
	struct job	*job;
	struct proc	*proc;
	pid_t		 pid;
	int		 status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		if ((proc = reap_find(pid, &job)) != NULL) {
			job_proc_reaped(job, proc, status);
			continue;
		}
		if (reexec_probe_reaped(pid, status))
			continue;
		if (cd->nspawning > 0)
			reap_unclaimed_add(pid, status);
		else
			log_debug("reaped orphan %ld", (long)pid);
	}
	/* Orphans' exits need not be kept once no report is pending. */
	if (cd->nspawning == 0)
		cd->nunclaimed = 0;
}
