/*
 * corrald.h -- private declarations of the corral daemon.
 *
 * Everything the daemon knows lives in one tree rooted at the global
 * `struct corrald *cd`: the loaded configuration, every job with its
 * processes, pipes, log files and timers, and every control client.  Nothing
 * important lives only in a local variable or a callback argument, so the
 * whole state can be walked (status, shutdown) and one day serialised
 * (reexec).
 */

#ifndef CORRALD_H
#define CORRALD_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <jansson.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "proto.h"
#include "signame.h"
#include "xmalloc.h"

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

/* Resource limits a job may set (`limits`). */
#define JOB_MAX_LIMITS	8

/* Runs kept per job for `status --json`. */
#define JOB_HISTORY 10

enum restart_policy {
	RESTART_NO,
	RESTART_ON_FAILURE,
	RESTART_ALWAYS
};

/* What a reload does with a job. */
enum reload_action {
	RELOAD_KEEP,		/* same definition: untouched */
	RELOAD_ADD,		/* new */
	RELOAD_REMOVE,		/* gone */
	RELOAD_CHANGE		/* definition changed */
};

/* When a started job counts as RUNNING. */
enum ready_mode {
	READY_STARTED,		/* it stayed up start_seconds */
	READY_NOTIFY		/* it sent READY=1 on its NOTIFY_SOCKET */
};

/* Where a job's stdout or stderr goes. */
enum stream_target {
	STREAM_FILE,		/* appended to a log file, through a pipe */
	STREAM_NULL,		/* /dev/null */
	STREAM_STDOUT,		/* stderr only: the same pipe as stdout */
	STREAM_PASSED		/* a client's own descriptor (`run`) */
};

/*
 * One job as the configuration defines it.  Immutable once loaded: a reload
 * builds new specs and compares them with job_spec_equal().  Every path is
 * absolute (resolved against the config file's directory), except argv
 * entries and `executable`, which are resolved the way execvp() would, after
 * the child has changed to `directory`.
 */
struct job_spec {
	char		 *name;
	char		 *file;		/* config file that defined it */
	int		  line;		/* line of its group in that file */

	/*
	 * The argv of each process: one for `command` and `shell` (the latter
	 * as {"/bin/sh", "-c", STRING}), one per stage for `pipeline`.
	 */
	char		***argvs;
	u_int		  nstages;
	int		  is_shell;	/* defined with `shell` */
	int		  is_pipeline;	/* defined with `pipeline` */
	int		  pipefail;
	char		 *executable;	/* NULL: argv[0] */
	char		 *directory;	/* absolute */
	char		**environment;	/* "NAME=value", nenvironment of them */
	u_int		  nenvironment;
	int		  clear_environment;

	char		 *stdin_path;	/* NULL: /dev/null */
	int		  stdin_passed;	/* a client's own stdin (`run`) */
	enum stream_target stdout_target;
	char		 *stdout_path;	/* STREAM_FILE only, absolute */
	enum stream_target stderr_target;
	char		 *stderr_path;	/* STREAM_FILE only, absolute */

	int		  autostart;
	enum restart_policy restart;
	int		 *success_codes;
	u_int		  nsuccess_codes;
	double		  start_seconds;
	int		  start_retries;
	double		  backoff_max;
	int		  stop_signal;
	double		  stop_timeout;
	int		  kill_group;
	long long	  log_max_bytes; /* rotate past this; 0: never */
	int		  log_backups;	/* FILE.1 ... FILE.N kept */
	int		  log_timestamps; /* RFC 3339 prefix on each line */
	enum ready_mode	  ready;
	char		**after;	/* names of jobs to start first */
	u_int		  nafter;

	/* Credentials and limits; applied only when they are set. */
	char		 *user;		/* name or number, NULL: corrald's */
	char		 *group;	/* name or number, NULL: user's */
	int		  umask;	/* -1: inherited */
	struct job_limit {
		int	  resource;	/* RLIMIT_* */
		rlim_t	  value;	/* soft and hard */
	}		  limits[JOB_MAX_LIMITS];
	u_int		  nlimits;
	gid_t		 *groups;	/* `run`: the peer's groups, or NULL */
	int		  ngroups;
};

/* A whole configuration file, parsed and validated. */
struct config {
	char		 *path;		/* as given */
	char		 *dir;		/* absolute directory of path */
	char		 *socket_path;	/* absolute */
	mode_t		  socket_mode;
	char		 *log_dir;	/* absolute */
	char		 *include_dir;	/* absolute, or NULL */
	char		 *socket_group;	/* name or number, or NULL */
	struct job_spec	**specs;
	u_int		  nspecs;
};

enum job_state {
	JOB_STOPPED,
	JOB_STARTING,
	JOB_RUNNING,
	JOB_BACKOFF,
	JOB_STOPPING,
	JOB_EXITED,
	JOB_FATAL
};

/* What to do once a run has ended and its group is empty. */
enum job_after {
	AFTER_POLICY,		/* it ended by itself: restart policy decides */
	AFTER_STOP,		/* operator stop: STOPPED */
	AFTER_RESTART,		/* operator restart: start again */
	AFTER_REMOVE		/* shutdown: STOPPED, never restarted */
};

/* One process of a run: the leader, or a pipeline stage. */
struct proc {
	pid_t		 pid;		/* 0 until the leader reports it */
	int		 pidfd;		/* -1 once reaped */
	int		 reaped;
	int		 status;	/* wait status, once reaped */
};

/* How one run went, kept in the job's history. */
struct run_record {
	double		 start;		/* wall clock, seconds since the epoch */
	double		 end;		/* 0 while running */
	int		 status;	/* wait status of the run's result */
	int		 spawn_failed;	/* never got to exec */
};

/* Longest piece of a line that gets one timestamp. */
#define LOGSTAMP_PIECE	65536

/* Length of "2026-12-03T19:58:54.123456Z ". */
#define LOGSTAMP_LEN	28

/* Where the timestamping of a stream stands between two reads. */
struct logstamp {
	int		 mid_line;	/* the last line has no newline yet */
	size_t		 line_len;	/* bytes of it since its prefix */
};

/* A log file fed by a pipe whose write end is handed to the job. */
struct logfile {
	struct job	*job;
	const char	*stream;	/* "stdout" or "stderr" */
	char		*path;
	int		 fd;		/* the file, -1 when closed */
	int		 pipe_rd;	/* read by the loop */
	int		 pipe_wr;	/* kept open: a restart never sees EOF */
	struct event	*ev_read;
	struct event	*ev_retry;	/* after a write error */
	off_t		 size;
	char		*error;		/* last write error, or NULL */
	char		*pending;	/* read but not yet written */
	size_t		 npending;
	struct logstamp	 stamp;		/* log_timestamps: line state */
	int		 no_splice;	/* splice refused: read and write */
	size_t		 partial;	/* bytes of the file's unended line */
	u_int		 nfollowers;	/* clients with follow == this */
};

struct job {
	char		*name;		/* spec->name */
	struct job_spec	*spec;		/* owned by the job */
	struct job_spec	*next_spec;	/* from a reload, for the next run */
	int		 removing;	/* dropped by a reload once stopped */
	int		 transient;	/* from `run`: forgotten once ended */
	int		 run_orphaned;	/* its `run` client went away */
	int		 stdio_fds[3];	/* `run`: the client's 0, 1, 2, or -1 */
	int		 waiting_deps;	/* start asked; `after` jobs not RUNNING */
	int		 stop_queued;	/* ordered stop: once dependents are down */
	enum job_after	 queued_after;
	enum job_state	 state;
	enum job_after	 after;

	/* The current run. */
	struct proc	*procs;		/* spec->nstages of them */
	u_int		 nprocs;
	pid_t		 pgid;		/* = session id = leader pid */
	int		 group_live;	/* members may be left in pgid */
	int		 report_fd;	/* spawn report pipe, -1 when closed */
	struct event	*ev_report;
	int		 result_status;	/* wait status of the run's result */
	int		 result_known;
	int		 exec_done;	/* report pipe closed */
	int		 reached_running;
	char		*spawn_error;	/* "exec /x: No such file..." */
	struct timespec	 started;	/* monotonic */
	uint64_t	 run_serial;	/* runs started so far */

	/* Readiness (ready = "notify"). */
	int		 notify_fd;	/* -1: none */
	struct event	*ev_notify;
	char		*notify_env;	/* "NOTIFY_SOCKET=@..." */
	int		 ready_received; /* READY=1 in the current run */
	char		*status_text;	/* last STATUS= */

	/* Output. */
	struct logfile	*out;		/* NULL: /dev/null */
	struct logfile	*err;		/* NULL: /dev/null or merged */

	/* Policy. */
	u_int		 failures;	/* consecutive failed starts */
	u_int		 restarts;	/* runs started after the first */
	char		*fatal_reason;
	struct event	*ev_state;	/* start_seconds, backoff, stop */
	struct event	*ev_group;	/* polls a group that outlived its leader */
	u_int		 group_polls;

	struct timespec	 retry_at;	/* BACKOFF: monotonic time of retry */

	/* Run n (1-based) is history[(n - 1) % JOB_HISTORY]. */
	struct run_record history[JOB_HISTORY];

	TAILQ_ENTRY(job) entry;
};
TAILQ_HEAD(jobs, job);

/*
 * A program being asked, as a child of corrald, whether it is a corrald
 * that can take over (--snapshot-version), before corrald execs it.
 */
struct reexec_probe {
	char		*path;
	pid_t		 pid;
	int		 reaped;
	int		 status;		/* once reaped */
	int		 fd;			/* its stdout */
	int		 eof;
	struct event	*ev_read;
	struct event	*ev_timer;	/* its deadline, then the exec */
	char		 out[128];		/* what it said */
	size_t		 nout;
	int		 overflow;		/* it said more than that */
	char		 version[64];		/* its corrald version */
	int		 answered;		/* exited, and said it all */
	u_int		 tries;			/* of the exec, while jobs spawn */
};

/* What a re-executing corrald gives its new image on the command line. */
#define REEXEC_OPT_RESTORE	"--restore="	/* the snapshot's memfd */
#define REEXEC_OPT_ROLLBACK	"--rollback="	/* the old program */
#define REEXEC_OPT_ROLLED_BACK	"--rolled-back="	/* why it went back */
#define REEXEC_OPT_PROBE	"--snapshot-version"

/* The hidden options above, as main() parsed them. */
struct reexec_opts {
	int		 restore_fd;
	int		 rollback_fd;		/* -1: none */
	const char	*rolled_back;		/* NULL: not a rollback */
};

/* A connected control client. */
struct client {
	int		 fd;
	uid_t		 uid;
	gid_t		 gid;
	pid_t		 pid;
	struct event	*ev_read;
	struct event	*ev_write;
	struct event	*ev_idle;	/* half a request, then silence */
	struct evbuffer	*in;
	struct evbuffer	*out;
	int		 closing;	/* close once out is flushed */
	int		 listening;	/* "events": gets every state change */
	int		 passed[3];	/* descriptors sent with SCM_RIGHTS */
	u_int		 npassed;
	struct logfile	*follow;	/* "logs -f": gets what is written */
	int		 dead;		/* freed by a deferred event */

	/* A request whose answer waits on jobs (start, stop, wait, ...). */
	struct waiter	*waiter;

	TAILQ_ENTRY(client) entry;
};
TAILQ_HEAD(clients, client);

/* A deferred answer, checked whenever a job changes state. */
struct waiter {
	struct client	*client;
	const struct cmd_entry *cmd;
	json_t		*request;
	struct job	**jobs;
	u_int		 njobs;
	uint64_t	*serials;	/* run_serial of each job when asked */
	int		 progress;	/* answers sent so far (`run`) */
};

/* How one job of a waiting request stands. */
enum cmd_verdict {
	VERDICT_PENDING,
	VERDICT_OK,
	VERDICT_FAILED
};

enum cmd_retval {
	CMD_DONE,		/* answered */
	CMD_WAIT		/* a waiter was set up */
};

struct cmd_ctx;

/* One control command: cmd-<name>.c exports one of these. */
struct cmd_entry {
	const char	*name;
	int		  flags;
#define CMD_JOBS	0x1	/* "jobs": one or more names, or "all" */
#define CMD_JOBS_ANY	0x2	/* "jobs": optional, none means all */
#define CMD_ONE_JOB	0x4	/* "jobs": exactly one name */
#define CMD_SIGNAL	0x8	/* "signal": a signal name or number */
	enum cmd_retval	(*exec)(struct cmd_ctx *);
	/* With CMD_WAIT: is the waiter satisfied?  Answers it if so. */
	int		(*check)(struct waiter *);
};

/* A request being served: who asked, what, and about which jobs. */
struct cmd_ctx {
	struct client	*client;
	const struct cmd_entry *entry;
	json_t		*request;
	struct job	**jobs;
	u_int		 njobs;
	int		 signo;		/* with CMD_SIGNAL */
};

struct corrald {
	struct event_base *base;
	struct config	*config;
	const char	*config_path;
	char		**argv;		/* as started: for re-execution */
	char		*socket_path;	/* what we listen on */
	int		 socket_fd;
	int		 socket_activated;
	struct event	*ev_accept;
	struct event	*ev_accept_pause;

	struct jobs	 jobs;
	struct clients	 clients;
	u_int		 nclients;
	u_int		 nlisteners;	/* clients with listening set */

	struct event	*ev_waiters;	/* deferred check of waiters */
	struct event	*ev_schedule;	/* deferred `after` ordering */
	struct event	*ev_state_save;	/* deferred write of the state file */
	struct event	*ev_shutdown;	/* deferred check of shutdown */
	int		 shutting_down;
	struct event	*signal_events[8];
	u_int		 nsignal_events;
	struct rlimit	 nofile;	/* as corrald was started: for jobs */

	/* Exits reaped before a spawning leader reported the stage's pid. */
	struct {
		pid_t	 pid;
		int	 status;
	}		*unclaimed;
	u_int		 nunclaimed;
	u_int		 nspawning;	/* jobs with an open report pipe */

	/* The program asked whether it can take over, before a reexec. */
	struct reexec_probe *reexec;

	/*
	 * Sessions of jobs that a re-executed image could not take up (its
	 * state was unreadable): left running, never started twice.
	 */
	json_t		*strays;
};
extern struct corrald *cd;

extern const struct cmd_entry cmd_shutdown_entry;

/* server.c */
int		 server_main(char **, const char *, struct config *,
		     const char *);
int		 server_restore(char **, const char *,
		     const struct reexec_opts *);
void		 server_mask_signals(int);
int		 server_mkdirs(const char *, mode_t, char **);
void		 server_reopen_logs(void);
void		 corrald_shutdown(void);
void		 corrald_check_shutdown(void);

/* config.c */
struct config	*config_load(const char *, char **);
void		 config_free(struct config *);
void		 job_spec_free(struct job_spec *);
int		 job_spec_equal(const struct job_spec *,
		     const struct job_spec *);

/* job.c */
const char	*job_state_name(enum job_state);
struct job	*job_find(const char *);
struct job	*job_create(struct job_spec *);
void		 job_free(struct job *);
void		 job_remove(struct job *);
void		 job_replace_spec(struct job *, struct job_spec *);
void		 job_change_spec(struct job *, struct job_spec *);
void		 job_set_state(struct job *, enum job_state);
int		 job_start(struct job *, char **);
void		 job_stop(struct job *, enum job_after);
void		 job_stop_ordered(struct job *, enum job_after);
int		 job_depends_on(const struct job *, const struct job *);
int		 job_is_active(const struct job *);
int		 job_signal_leader(struct job *, int, char **);
int		 job_proc_signal(struct proc *, int);
int		 job_signal_group(struct job *, int, char **);
pid_t		 job_leader_pid(const struct job *);
void		 job_proc_reaped(struct job *, struct proc *, int);
void		 job_stage_reported(struct job *, u_int, pid_t);
void		 job_report_closed(struct job *);
void		 job_result_string(int, char *, size_t);
void		 job_notify_ready(struct job *);
void		 job_arm_timer(struct job *, struct event *, double);
json_t		*job_to_json(const struct job *);
double		 job_backoff_delay(u_int, double);
int		 job_status_is_success(const struct job_spec *, int);

/* reload.c */
void		 reload_diff(struct job_spec **, u_int, struct job_spec **,
		     u_int, enum reload_action *, enum reload_action *);
int		 reload_config(json_t **, char **);

/* state.c */
void		 state_changed(void);
void		 state_save(void);
void		 state_remove(void);
void		 state_clean_predecessor(void);
void		 state_keep_strays(void);
int		 state_stray_running(const char *, char **);

/* snapshot.c */
#define SNAPSHOT_VERSION	1
json_t		*snapshot_build(int);
void		 snapshot_fds(int, void (*)(int, int), int);
int		 snapshot_check(json_t *, char **);
int		 snapshot_apply(json_t *, int *, char **);

/* reexec.c */
int		 reexec_start(const char *, char **);
int		 reexec_probe_reaped(pid_t, int);
void		 reexec_cancel(const char *);
int		 reexec_restore(const struct reexec_opts *, char **);
void		 reexec_rollback(const struct reexec_opts *, const char *);
void		 reexec_tell_stranded_clients(void);
extern const struct cmd_entry cmd_reexec_entry;

/* spawn.c */
int		 spawn_run(struct job *, char **);
const char	*spawn_step_name(int);

/* reap.c */
void		 reap_children(void);
int		 reap_unclaimed_take(pid_t, int *);

/* logstamp.c */
size_t		 logstamp_format(const struct timespec *, char *, size_t);
size_t		 logstamp_bound(size_t, size_t);
size_t		 logstamp_apply(struct logstamp *, const char *, size_t,
		     const char *, size_t, char *);
char		*logstamp_backup_name(const char *, int);

/* logfile.c */
struct logfile	*logfile_open(struct job *, const char *, const char *,
		     char **);
void		 logfile_close(struct logfile *);
void		 logfile_drain(struct logfile *);
void		 logfile_reopen(struct logfile *);
void		 logfile_follow(struct logfile *, struct client *);
struct logfile	*logfile_adopt(struct job *, const char *, const char *, int,
		     int, int);
void		 logfile_hold_resume(struct logfile *);
void		 logfile_unfollow(struct client *);

/* control.c */
int		 control_listen(const char *, mode_t, const char *, char **);
void		 control_listen_fd(int);
void		 control_adopt(int, const char *, int);
struct client	*control_client_new(int);
void		 control_close(void);
void		 control_send(struct client *, json_t *);
void		 control_send_line(struct client *, const char *, size_t);
void		 control_send_ok(struct client *, json_t *);
void		 control_send_error(struct client *, const char *,
		     const char *, ...)
		     __attribute__((format(printf, 3, 4)));
void		 control_client_done(struct client *);
void		 control_process_pending(struct client *);
void		 control_close_passed(struct client *);
void		 control_flush_all(void);
void		 control_resume_all(void);
void		 control_set_nonblocking(int);

/* cmd-run.c */
void		 cmd_run_client_gone(struct waiter *);
extern const struct cmd_entry cmd_run_entry;

/* cmd-events.c */
void		 cmd_events_publish(const struct job *, enum job_state);
void		 cmd_events_ended(const struct job *);

/* cmd.c */
void		 cmd_dispatch(struct client *, json_t *);
struct waiter	*cmd_wait(struct cmd_ctx *);
void		 cmd_check_waiters(void);
void		 cmd_waiter_free(struct waiter *);
void		 cmd_waiter_answer(struct waiter *, json_t *);
int		 cmd_answer_when_settled(struct waiter *,
		     enum cmd_verdict (*)(struct waiter *, u_int, char **));
void		 cmd_forget_job(struct job *);
void		 cmd_log_request(struct cmd_ctx *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));

/* notify.c */
void		 notify_ready(void);
void		 notify_reloading(void);
void		 notify_stopping(void);
void		 notify_status(void);
void		 notify_free(void);
void		 notify_watchdog_start(void);
int		 notify_job_open(struct job *, char **);
void		 notify_job_close(struct job *);
void		 notify_job_adopt(struct job *);

#endif /* CORRALD_H */
