/*
 * spawn.c -- starting one run of a job: everything between fork and exec.
 *
 * All the work that may allocate (argv, environment, the list of paths to
 * try for each program, descriptors) is done before fork.  The child then
 * calls only async-signal-safe functions.
 *
 * The leader is forked by corrald and calls setsid(), so it is session and
 * process-group leader.  For a pipeline, it then creates the other stages
 * with clone(CLONE_PARENT): they are born inside its session and group, yet
 * they are corrald's children, so corrald reaps them and gets their exit
 * status like the leader's.  The leader reports each stage's pid, and any
 * step that fails (with its errno), over a close-on-exec pipe: corrald sees
 * EOF once every process has exec'd or died, the way Python's subprocess
 * learns of an exec failure.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/pidfd.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corrald.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define SPAWN_DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The steps of the child's setup, named in failure messages. */
enum spawn_step {
	STEP_SETSID,
	STEP_CLONE,
	STEP_STDIN,
	STEP_DUP,
	STEP_CHDIR,
	STEP_EXEC,
	STEP_RLIMIT,
	STEP_SETGROUPS,
	STEP_SETGID,
	STEP_SETUID
};

/* What a child writes on the report pipe: one record, atomically. */
struct spawn_record {
	int	 kind;
#define SPAWN_REC_PID	1	/* stage's pid, written by the leader */
#define SPAWN_REC_ERROR	2	/* a step failed with err */
	int	 stage;
	int	 step;
	int	 err;
	pid_t	 pid;
};

/* Everything the child needs, prepared before fork and only read after. */
struct spawn_plan {
	const struct job_spec *spec;
	char		***candidates;	/* per stage: paths to try, NULL-ended */
	char		**envp;
	int		  devnull_fd;
	int		  in_fd;	/* stage 0 without stdin_path */
	int		  out_fd;
	int		  err_fd;
	int		(*links)[2];	/* nstages - 1 pipes between stages */
	int		  report_fd;	/* write end */
	struct rlimit	  nofile;	/* as corrald was started */

	/* user / group: the ids to take, and whether groups may be set. */
	int		  set_ids;
	int		  set_groups;	/* only root may */
	uid_t		  uid;
	gid_t		  gid;
	gid_t		 *groups;
	int		  ngroups;
};

static char	**spawn_build_env(const struct job *, const struct passwd *);
static char	**spawn_candidates(const char *, char **);
static void	  spawn_plan_free(struct spawn_plan *);
static void	  spawn_report(const struct spawn_plan *, int, int, int,
		      pid_t);
static void	  spawn_child_leader(const struct spawn_plan *)
		      __attribute__((noreturn));
static void	  spawn_child_stage(const struct spawn_plan *, u_int)
		      __attribute__((noreturn));
static void	  spawn_report_cb(int, short, void *);
static void	  spawn_child_limits_and_ids(const struct spawn_plan *);

/* Internal variables of corral and systemd that a job must not inherit. */
static const char *spawn_env_hidden[] = {
	"NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
	"WATCHDOG_USEC", "WATCHDOG_PID", "CORRAL_SOCKET", NULL
};

const char *
spawn_step_name(int step)
{
	switch (step) {
	case STEP_SETSID:
		return ("setsid");
	case STEP_CLONE:
		return ("fork");
	case STEP_STDIN:
		return ("open stdin");
	case STEP_DUP:
		return ("dup2");
	case STEP_CHDIR:
		return ("chdir");
	case STEP_EXEC:
		return ("exec");
	case STEP_RLIMIT:
		return ("setrlimit");
	case STEP_SETGROUPS:
		return ("setgroups");
	case STEP_SETGID:
		return ("setgid");
	case STEP_SETUID:
		return ("setuid");
	}
	return ("?");
}

/* Does "NAME=value" set one of the names in list? */
static int
spawn_env_in(const char *entry, const char **list)
{
	size_t	 n;

	for (; *list != NULL; list++) {
		n = strlen(*list);
		if (strncmp(entry, *list, n) == 0 && entry[n] == '=')
			return (1);
	}
	return (0);
}

/* Does "NAME=value" set the same name as any of spec's environment? */
static int
spawn_env_overridden(const char *entry, const struct job_spec *spec)
{
	const char	*eq;
	u_int		 i;

	if ((eq = strchr(entry, '=')) == NULL)
		return (1);
	for (i = 0; i < spec->nenvironment; i++) {
		if (strncmp(spec->environment[i], entry,
		    (size_t)(eq - entry + 1)) == 0)
			return (1);
	}
	return (0);
}

/*
 * The job's environment: corrald's own (less its internal variables) unless
 * clear_environment, with the job's `environment` on top, and its
 * NOTIFY_SOCKET with ready = "notify".
 */
static char **
spawn_build_env(const struct job *job, const struct passwd *pw)
{
	extern char		**environ;
	static const char	 *user_vars[] = { "USER", "LOGNAME", "HOME",
				     NULL };
	const struct job_spec	*spec = job->spec;
	char			**envp, *var;
	size_t			  n = 0, i;

	for (i = 0; environ[i] != NULL; i++)
		n++;
	envp = xcalloc(n + spec->nenvironment + 5, sizeof *envp);
	n = 0;
	if (!spec->clear_environment) {
		for (i = 0; environ[i] != NULL; i++) {
			if (spawn_env_in(environ[i], spawn_env_hidden) ||
			    spawn_env_overridden(environ[i], spec))
				continue;
			/* Those of the user it runs as, not corrald's. */
			if (pw != NULL && spawn_env_in(environ[i], user_vars))
				continue;
			envp[n++] = xstrdup(environ[i]);
		}
	}
	/* As systemd's User= does: who the job runs as, and its home. */
	if (pw != NULL) {
		for (i = 0; user_vars[i] != NULL; i++) {
			xasprintf(&var, "%s=%s", user_vars[i], i < 2 ?
			    pw->pw_name : pw->pw_dir);
			if (spawn_env_overridden(var, spec))
				free(var);
			else
				envp[n++] = var;
		}
	}
	for (i = 0; i < spec->nenvironment; i++)
		envp[n++] = xstrdup(spec->environment[i]);
	/* Only a job that is to say when it is ready gets a socket for it. */
	if (job->notify_env != NULL)
		envp[n++] = xstrdup(job->notify_env);
	envp[n] = NULL;
	return (envp);
}

/*
 * The paths to try for program, as execvp() would: the name itself if it
 * has a slash, else each directory of the job's PATH.
 */
static char **
spawn_candidates(const char *program, char **envp)
{
	const char	*path = NULL, *p, *colon;
	char		**list;
	size_t		  n = 1, len;
	u_int		  i;

	if (strchr(program, '/') != NULL) {
		list = xcalloc(2, sizeof *list);
		list[0] = xstrdup(program);
		return (list);
	}
	for (i = 0; envp[i] != NULL; i++) {
		if (strncmp(envp[i], "PATH=", 5) == 0)
			path = envp[i] + 5;
	}
	if (path == NULL)
		path = SPAWN_DEFAULT_PATH;
	for (p = path; *p != '\0'; p++)
		n += (*p == ':');
	list = xcalloc(n + 1, sizeof *list);
	n = 0;
	for (p = path;; p = colon + 1) {
		colon = strchrnul(p, ':');
		len = (size_t)(colon - p);
		if (len == 0)
			list[n++] = xstrdup(program);	/* "" is "." */
		else
			xasprintf(&list[n++], "%.*s/%s", (int)len, p, program);
		if (*colon == '\0')
			break;
	}
	list[n] = NULL;
	return (list);
}

/* A whole decimal number that fits an id, or -1. */
static long long
spawn_id_number(const char *s)
{
	char		*end;
	long long	 n;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*end != '\0' || errno != 0 || n < 0 || n >= (long long)UINT32_MAX)
		return (-1);
	return (n);
}

/*
 * Look up the job's user and group (names or numbers) now, before fork:
 * the lookups are not async-signal-safe.  Supplementary groups are the
 * user's, as initgroups() would set them.  Fills p and, for the job's
 * environment, *pw_out (NULL if the user has no passwd entry).
 */
static int
spawn_resolve_ids(const struct job_spec *spec, struct spawn_plan *p,
    struct passwd **pw_out, char **cause)
{
	struct passwd	*pw = NULL;
	struct group	*gr;
	long long	 n;
	int		 ngroups;

	*pw_out = NULL;
	p->uid = geteuid();
	p->gid = getegid();
	if (spec->user != NULL) {
		errno = 0;
		if ((n = spawn_id_number(spec->user)) != -1) {
			p->uid = (uid_t)n;
			if ((pw = getpwuid(p->uid)) != NULL)
				p->gid = pw->pw_gid;
		} else if ((pw = getpwnam(spec->user)) != NULL) {
			p->uid = pw->pw_uid;
			p->gid = pw->pw_gid;
		} else {
			xasprintf(cause, "user %s: %s", spec->user, errno != 0 ?
			    strerror(errno) : "no such user");
			return (-1);
		}
	}
	/*
	 * A uid without a passwd entry has no group to take: rather than
	 * keep corrald's own (root's), ask for one.
	 */
	if (spec->user != NULL && pw == NULL && spec->group == NULL &&
	    spec->groups == NULL) {
		xasprintf(cause, "user %s has no passwd entry: set a group too",
		    spec->user);
		return (-1);
	}
	if (spec->group != NULL) {
		errno = 0;
		if ((n = spawn_id_number(spec->group)) != -1)
			p->gid = (gid_t)n;
		else if ((gr = getgrnam(spec->group)) != NULL)
			p->gid = gr->gr_gid;
		else {
			xasprintf(cause, "group %s: %s", spec->group,
			    errno != 0 ? strerror(errno) : "no such group");
			return (-1);
		}
	}
	p->set_ids = 1;
	p->set_groups = (geteuid() == 0);
	if (!p->set_groups && (p->uid != geteuid() || p->gid != getegid())) {
		xasprintf(cause, "cannot run as %s%s%s: corrald is not root",
		    spec->user != NULL ? spec->user : "",
		    spec->user != NULL && spec->group != NULL ? ":" : "",
		    spec->group != NULL ? spec->group : "");
		return (-1);
	}
	/* The user's groups, as initgroups(3) would set them; else just one. */
	ngroups = 64;
	p->groups = xcalloc((size_t)ngroups, sizeof *p->groups);
	if (spec->groups != NULL) {
		/* `run`: the groups the kernel says the client has. */
		p->groups = xreallocarray(p->groups, (size_t)spec->ngroups + 1,
		    sizeof *p->groups);
		memcpy(p->groups, spec->groups, (size_t)spec->ngroups *
		    sizeof *p->groups);
		p->ngroups = spec->ngroups;
	} else if (pw != NULL && spec->group == NULL) {
		while (getgrouplist(pw->pw_name, p->gid, p->groups,
		    &ngroups) == -1) {
			p->groups = xreallocarray(p->groups, (size_t)ngroups,
			    sizeof *p->groups);
		}
		p->ngroups = ngroups;
	} else {
		p->groups[0] = p->gid;
		p->ngroups = 1;
	}
	*pw_out = pw;
	return (0);
}

static void
spawn_strv_free(char **v)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void
spawn_plan_free(struct spawn_plan *p)
{
	u_int	 i;

	if (p->candidates != NULL) {
		for (i = 0; i < p->spec->nstages; i++)
			spawn_strv_free(p->candidates[i]);
		free(p->candidates);
	}
	spawn_strv_free(p->envp);
	if (p->links != NULL) {
		for (i = 0; i + 1 < p->spec->nstages; i++) {
			if (p->links[i][0] != -1)
				close(p->links[i][0]);
			if (p->links[i][1] != -1)
				close(p->links[i][1]);
		}
		free(p->links);
	}
	if (p->devnull_fd != -1)
		close(p->devnull_fd);
	if (p->report_fd != -1)
		close(p->report_fd);
	free(p->groups);
}

/* In the child: one record to the parent.  Async-signal-safe. */
static void
spawn_report(const struct spawn_plan *p, int kind, int stage, int step,
    pid_t pid)
{
	struct spawn_record	 rec;
	ssize_t			 n;

	memset(&rec, 0, sizeof rec);
	rec.kind = kind;
	rec.stage = stage;
	rec.step = step;
	rec.err = (kind == SPAWN_REC_ERROR) ? errno : 0;
	rec.pid = pid;
	do
		n = write(p->report_fd, &rec, sizeof rec);
	while (n == -1 && errno == EINTR);
}

/* In the child: report a failed step and exit as a shell would. */
static void __attribute__((noreturn))
spawn_fail(const struct spawn_plan *p, u_int stage, int step)
{
	int	 code = (step == STEP_EXEC && errno != ENOENT) ? 126 : 127;

	spawn_report(p, SPAWN_REC_ERROR, (int)stage, step, 0);
	_exit(code);
}

/*
 * In the child: put fd on target, first moving any descriptor that sits
 * below 3 out of the way (corrald may have been started with 0, 1 or 2
 * closed, so a pipe can land there).
 */
static int
spawn_lift(int fd)
{
	if (fd >= 3)
		return (fd);
	return (fcntl(fd, F_DUPFD_CLOEXEC, 3));
}

/*
 * In the child: set up stage's descriptors and directory, and exec it.
 * Async-signal-safe calls only.
 */
static void
spawn_child_stage(const struct spawn_plan *p, u_int stage)
{
	const struct job_spec	*spec = p->spec;
	u_int			 last = spec->nstages - 1, i;
	int			 fds[3], saved_errno = ENOENT;
	char			**argv = spec->argvs[stage];

	if (stage == 0 && spec->stdin_path != NULL) {
		fds[0] = open(spec->stdin_path, O_RDONLY | O_CLOEXEC);
		if (fds[0] == -1)
			spawn_fail(p, stage, STEP_STDIN);
	} else if (stage == 0)
		fds[0] = p->in_fd;
	else
		fds[0] = p->links[stage - 1][0];
	fds[1] = (stage == last) ? p->out_fd : p->links[stage][1];
	fds[2] = p->err_fd;

	for (i = 0; i < 3; i++) {
		if ((fds[i] = spawn_lift(fds[i])) == -1)
			spawn_fail(p, stage, STEP_DUP);
	}
	for (i = 0; i < 3; i++) {
		if (dup2(fds[i], (int)i) == -1)
			spawn_fail(p, stage, STEP_DUP);
	}
	if (chdir(spec->directory) == -1)
		spawn_fail(p, stage, STEP_CHDIR);

	/* Nothing but 0, 1 and 2 survives exec; the report pipe until then. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

	for (i = 0; p->candidates[stage][i] != NULL; i++) {
		execve(p->candidates[stage][i], argv, p->envp);
		/* Like execvp: a more telling error beats "not found". */
		if (errno != ENOENT && errno != ENOTDIR)
			saved_errno = errno;
	}
	errno = saved_errno;
	spawn_fail(p, stage, STEP_EXEC);
}

/*
 * In the child: the default disposition for every signal.  glibc refuses
 * to touch the two it reserves (32 and 33), yet a parent such as make may
 * have left them ignored, so those go through the system call itself.
 */
static void
spawn_default_signals(void)
{
	struct sigaction	 sa;
	struct {
		void		*handler;
		unsigned long	 flags;
		void		*restorer;
		unsigned long	 mask;
	}			 ksa;
	int			 sig;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	memset(&ksa, 0, sizeof ksa);	/* SIG_DFL is 0 */
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, &sa, NULL) == -1 && errno == EINVAL)
			syscall(SYS_rt_sigaction, sig, &ksa, NULL,
			    sizeof ksa.mask);
	}
}

/*
 * In the leader: limits (while it may still raise them), umask, then the
 * job's groups, group and user, in that order, each checked.  Every stage
 * is created after this, so they all run with the same rights.
 */
static void
spawn_child_limits_and_ids(const struct spawn_plan *p)
{
	const struct job_spec	*spec = p->spec;
	struct rlimit		 rl;
	uid_t			 r, e, s;
	gid_t			 rg, eg, sg;
	u_int			 i;

	for (i = 0; i < spec->nlimits; i++) {
		rl.rlim_cur = rl.rlim_max = spec->limits[i].value;
		if (setrlimit(spec->limits[i].resource, &rl) == -1)
			spawn_fail(p, 0, STEP_RLIMIT);
	}
	if (spec->umask >= 0)
		umask((mode_t)spec->umask);
	if (!p->set_ids)
		return;
	if (p->set_groups && setgroups((size_t)p->ngroups, p->groups) == -1)
		spawn_fail(p, 0, STEP_SETGROUPS);
	if (setresgid(p->gid, p->gid, p->gid) == -1)
		spawn_fail(p, 0, STEP_SETGID);
	if (setresuid(p->uid, p->uid, p->uid) == -1)
		spawn_fail(p, 0, STEP_SETUID);
	/* Never more rights than asked: every id must be the one set. */
	if (getresgid(&rg, &eg, &sg) == -1 || rg != p->gid || eg != p->gid ||
	    sg != p->gid) {
		errno = EPERM;
		spawn_fail(p, 0, STEP_SETGID);
	}
	if (getresuid(&r, &e, &s) == -1 || r != p->uid || e != p->uid ||
	    s != p->uid) {
		errno = EPERM;
		spawn_fail(p, 0, STEP_SETUID);
	}
}

/*
 * In the leader, just forked: clean signal state, new session, the other
 * stages, then its own exec.
 */
static void
spawn_child_leader(const struct spawn_plan *p)
{
	sigset_t		 none;
	u_int			 stage;
	long			 pid;

	/* Default dispositions (SIGPIPE too) while signals are still blocked. */
	spawn_default_signals();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* corrald raised its own descriptor limit; jobs get the old one. */
	setrlimit(RLIMIT_NOFILE, &p->nofile);

	if (setsid() == -1)
		spawn_fail(p, 0, STEP_SETSID);
	spawn_child_limits_and_ids(p);

	for (stage = 1; stage < p->spec->nstages; stage++) {
		/* Born in our session, but corrald's child: it reaps it. */
		pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL,
		    NULL, NULL);
		if (pid == -1)
			spawn_fail(p, stage, STEP_CLONE);
		if (pid == 0)
			spawn_child_stage(p, stage);
		spawn_report(p, SPAWN_REC_PID, (int)stage, 0, (pid_t)pid);
	}
	spawn_child_stage(p, 0);
}

/*
 * Start a run of job: fork the leader (and through it the other stages).
 * Fills job->procs[0] and job->pgid, and opens the report pipe that the
 * loop reads.  Returns -1 with *cause if nothing could be started.
 */
int
spawn_run(struct job *job, char **cause)
{
	const struct job_spec	*spec = job->spec;
	struct spawn_plan	 p;
	sigset_t		 all, saved;
	int			 report[2], i;
	u_int			 stage;
	const char		*program;
	struct passwd		*pw = NULL;
	pid_t			 pid;

	memset(&p, 0, sizeof p);
	p.spec = spec;
	p.devnull_fd = p.report_fd = -1;
	p.nofile = cd->nofile;
	report[0] = -1;

	if ((spec->user != NULL || spec->group != NULL) &&
	    spawn_resolve_ids(spec, &p, &pw, cause) == -1) {
		spawn_plan_free(&p);
		return (-1);
	}
	p.envp = spawn_build_env(job, pw);
	p.candidates = xcalloc(spec->nstages, sizeof *p.candidates);
	for (stage = 0; stage < spec->nstages; stage++) {
		program = spec->argvs[stage][0];
		if (stage == 0 && spec->executable != NULL)
			program = spec->executable;
		p.candidates[stage] = spawn_candidates(program, p.envp);
	}
	if (spec->nstages > 1) {
		p.links = xcalloc(spec->nstages - 1, sizeof *p.links);
		for (stage = 0; stage + 1 < spec->nstages; stage++)
			p.links[stage][0] = p.links[stage][1] = -1;
		for (stage = 0; stage + 1 < spec->nstages; stage++) {
			if (pipe2(p.links[stage], O_CLOEXEC) == -1) {
				xasprintf(cause, "pipe: %s", strerror(errno));
				goto fail;
			}
		}
	}
	if ((p.devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		xasprintf(cause, "open /dev/null: %s", strerror(errno));
		goto fail;
	}
	p.out_fd = job->out != NULL ? job->out->pipe_wr : p.devnull_fd;
	if (spec->stdout_target == STREAM_PASSED && job->stdio_fds[1] != -1)
		p.out_fd = job->stdio_fds[1];
	if (spec->stderr_target == STREAM_STDOUT)
		p.err_fd = p.out_fd;
	else
		p.err_fd = job->err != NULL ? job->err->pipe_wr : p.devnull_fd;
	if (spec->stderr_target == STREAM_PASSED && job->stdio_fds[2] != -1)
		p.err_fd = job->stdio_fds[2];
	p.in_fd = p.devnull_fd;
	if (spec->stdin_passed && job->stdio_fds[0] != -1)
		p.in_fd = job->stdio_fds[0];
	if (pipe2(report, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		goto fail;
	}
	p.report_fd = report[1];

	/*
	 * Block every signal across fork so that no handler of ours runs in
	 * the child before it has reset them.
	 */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	pid = fork();
	if (pid == 0)
		spawn_child_leader(&p);
	i = errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (pid == -1) {
		xasprintf(cause, "fork: %s", strerror(i));
		goto fail;
	}

	job->procs[0].pid = pid;
	/* Not reaped yet, so this pid cannot have been reused. */
	job->procs[0].pidfd = pidfd_open(pid, 0);
	/* Without pidfds (ENOSYS) children are signalled by pid. */
	if (job->procs[0].pidfd == -1 && errno != ENOSYS)
		log_warn("%s: pidfd_open %ld", job->name, (long)pid);
	job->pgid = pid;
	job->group_live = 1;

	job->report_fd = report[0];
	if (fcntl(job->report_fd, F_SETFL, O_NONBLOCK) == -1)
		log_warn("%s: fcntl", __func__);
	job->ev_report = event_new(cd->base, job->report_fd,
	    EV_READ | EV_PERSIST, spawn_report_cb, job);
	event_add(job->ev_report, NULL);
	cd->nspawning++;

	spawn_plan_free(&p);
	return (0);

fail:
	if (report[0] != -1)
		close(report[0]);
	spawn_plan_free(&p);
	return (-1);
}

/* Stop reading a job's report pipe. */
static void
spawn_report_close(struct job *job)
{
	event_free(job->ev_report);
	job->ev_report = NULL;
	close(job->report_fd);
	job->report_fd = -1;
	cd->nspawning--;
}

/* Turn a failure record into the message shown in status. */
static void
spawn_record_error(struct job *job, const struct spawn_record *rec)
{
	const struct job_spec	*spec = job->spec;
	const char		*what = NULL, *stage_prefix = "";
	char			 prefix[32];

	if (job->spawn_error != NULL)
		return;		/* the first failure is the cause */
	if (rec->stage < 0 || (u_int)rec->stage >= spec->nstages)
		return;
	switch (rec->step) {
	case STEP_EXEC:
		what = spec->argvs[rec->stage][0];
		if (rec->stage == 0 && spec->executable != NULL)
			what = spec->executable;
		break;
	case STEP_CHDIR:
		what = spec->directory;
		break;
	case STEP_STDIN:
		what = spec->stdin_path;
		break;
	case STEP_SETUID:
		what = spec->user;
		break;
	case STEP_SETGID:
		what = spec->group != NULL ? spec->group : spec->user;
		break;
	}
	if (spec->nstages > 1) {
		snprintf(prefix, sizeof prefix, "stage %d: ", rec->stage + 1);
		stage_prefix = prefix;
	}
	if (what != NULL)
		xasprintf(&job->spawn_error, "%s%s %s: %s", stage_prefix,
		    spawn_step_name(rec->step), what, strerror(rec->err));
	else
		xasprintf(&job->spawn_error, "%s%s: %s", stage_prefix,
		    spawn_step_name(rec->step), strerror(rec->err));
	log_warnx("%s: %s", job->name, job->spawn_error);
}

/* The report pipe is readable: stage pids, failures, or EOF. */
static void
spawn_report_cb(int fd, short events, void *arg)
{
	struct job		*job = arg;
	struct spawn_record	 recs[16];
	ssize_t			 n;
	size_t			 i;

	(void)events;
	for (;;) {
		n = read(fd, recs, sizeof recs);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		/* Records are written whole (< PIPE_BUF), so reads are too. */
		for (i = 0; i < (size_t)n / sizeof recs[0]; i++) {
			if (recs[i].kind == SPAWN_REC_PID &&
			    recs[i].stage > 0 &&
			    (u_int)recs[i].stage < job->nprocs)
				job_stage_reported(job, (u_int)recs[i].stage,
				    recs[i].pid);
			else if (recs[i].kind == SPAWN_REC_ERROR)
				spawn_record_error(job, &recs[i]);
		}
	}
	if (n == -1)
		log_warn("%s: reading spawn report", job->name);
	spawn_report_close(job);
	job_report_closed(job);
}
