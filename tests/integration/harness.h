/*
 * harness.h -- what every integration suite shares: a fixture that runs the
 * real corrald on a private socket in a temporary directory, the real
 * corralctl to drive it, and readers of /proc and of files to check the
 * outcome from outside.
 *
 * Nothing here sleeps to synchronise: every wait polls a condition every
 * few milliseconds until a deadline, and a missed deadline is a failure.
 */

#ifndef HARNESS_H
#define HARNESS_H

#include <sys/types.h>

#include <check.h>
#include <jansson.h>
#include <limits.h>

/* Seconds given to one Check test before it is killed. */
#define HARNESS_TEST_TIMEOUT	30

/* Default deadline, in seconds, of the waits below. */
#define HARNESS_WAIT		10.0

/* Set in corrald's environment, so that jobs carry it: see teardown. */
#define HARNESS_TAG_VAR		"CORRAL_INTEG_TAG"

/* Variables a test may add to corrald's environment. */
#define HARNESS_MAX_ENV		8

/* The temporary directory's path, and a file's in it, fit these. */
#define HARNESS_DIR_MAX		256
#define HARNESS_PATH_MAX	(HARNESS_DIR_MAX + 64)

/* Pids of a session or process group remembered for teardown. */
#define HARNESS_MAX_TRACKED	64

struct harness {
	char	 dir[HARNESS_DIR_MAX];	/* the test's own directory */
	char	 config[HARNESS_PATH_MAX]; /* dir/corrald.conf */
	char	 socket[HARNESS_PATH_MAX]; /* dir/ctl.sock */
	char	 log_dir[HARNESS_PATH_MAX]; /* dir/log */
	char	 daemon_err[HARNESS_PATH_MAX]; /* corrald's stderr */

	pid_t	 daemon_pid;		/* -1 when none runs */
	int	 daemon_status;		/* wait status, once reaped */

	/* Sessions (or groups) of jobs, killed at teardown if left over. */
	pid_t	 tracked[HARNESS_MAX_TRACKED];
	u_int	 ntracked;

	u_int	 nruns;			/* names of capture files */

	/* Variables set in corrald's environment (harness_setenv). */
	char	*env_names[HARNESS_MAX_ENV];
	char	*env_values[HARNESS_MAX_ENV];
	u_int	 nenv;

	/*
	 * Start corrald with signals 32 and 33 (which glibc reserves for
	 * itself) ignored, as GNU make leaves them for its children.
	 */
	int	 ignore_reserved_signals;

	/*
	 * A listening socket to hand corrald as descriptor 3, with
	 * LISTEN_FDS=1 and LISTEN_PID, as systemd's socket activation does;
	 * -1 (the default) for none.
	 */
	int	 listen_fd;

	/* The corrald program to start; NULL (the default) for the built one. */
	const char *daemon_bin;
};

/* What /proc/PID/stat says about a process. */
struct proc_stat {
	pid_t	 pid;
	char	 comm[64];
	char	 state;			/* R, S, D, Z, T, ... */
	pid_t	 ppid;
	pid_t	 pgrp;
	pid_t	 session;
};

/* A program started in the background, its output captured to files. */
struct bg_proc {
	pid_t	 pid;			/* -1 once reaped */
	int	 status;		/* wait status, once reaped */
	char	 out_path[HARNESS_PATH_MAX];
	char	 err_path[HARNESS_PATH_MAX];
};

/* harness.c: the test case. */
void		 harness_case_setup(void);
void		 harness_case_teardown(void);
TCase		*harness_tcase(const char *);

/* harness.c: the fixture. */
struct harness	*harness_new(const char *);
struct harness	*harness_new_stopped(const char *);
void		 harness_write_config(struct harness *, const char *);
pid_t		 harness_daemon_spawn(struct harness *, const char *,
		     const char *);
int		 harness_daemon_start(struct harness *);
int		 harness_daemon_wait_exit(struct harness *, double);
int		 harness_daemon_stop(struct harness *, double);
int		 wait_child_exit(pid_t, double);
void		 harness_free(struct harness *);
void		 harness_track(struct harness *, pid_t);
void		 harness_setenv(struct harness *, const char *,
		     const char *);
char		*harness_path(const struct harness *, const char *);
char		*harness_daemon_log(const struct harness *);
int		 harness_daemon_log_count(const struct harness *, const char *);

/* harness.c: running programs. */
int		 run_argv(char *const[], double, char **, char **);
int		 ctl_run(struct harness *, char **, char **, ...)
		     __attribute__((sentinel));
int		 ctl_runv(struct harness *, double, char **, char **,
		     char *const[]);
int		 bg_start(struct harness *, struct bg_proc *, char *const[]);
int		 ctl_start(struct harness *, struct bg_proc *, ...)
		     __attribute__((sentinel));
int		 bg_finish(struct bg_proc *, double, char **, char **);
int		 bg_running(struct bg_proc *);

/* harness.c: the control socket, raw. */
int		 unix_connect(const char *);
int		 raw_connect(struct harness *);
int		 raw_send(int, const char *, size_t);
void		 raw_send_str(int, const char *);
json_t		*raw_recv(int);
void		 raw_expect(int, const char *, int, const char *);
int		 raw_closed(int);

/* harness.c: job status through `corralctl --json status`. */
json_t		*job_status(struct harness *, const char *);
char		*job_state(struct harness *, const char *);
char		*status_str(struct harness *, const char *, const char *);
long long	 status_int(struct harness *, const char *, const char *);
double		 status_num(struct harness *, const char *, const char *);
void		 check_state(struct harness *, const char *, const char *);
void		 wait_uptime(struct harness *, const char *, double);
void		 check_status_prompt(struct harness *, u_int);
int		 wait_for_state(struct harness *, const char *, const char *,
		     double);
pid_t		 job_pid(struct harness *, const char *);
u_int		 job_stage_pids(struct harness *, const char *, pid_t *,
		     u_int);

/* harness.c: /proc. */
int		 proc_read_stat(pid_t, struct proc_stat *);
int		 proc_alive(pid_t);
int		 proc_gone(pid_t);
char		*proc_cmdline(pid_t);
u_int		 proc_list_session(pid_t, pid_t *, u_int);
u_int		 proc_list_pgrp(pid_t, pid_t *, u_int);
u_int		 proc_count_session(pid_t);
u_int		 proc_count_alive_session(pid_t);
int		 proc_signal_pending(pid_t, int);

/* harness.c: waiting. */
double		 now_mono(void);
void		 pause_ms(u_int);
int		 wait_until(int (*)(void *), void *, double);
int		 wait_session_empty(pid_t, double);
int		 wait_proc_gone(pid_t, double);
int		 wait_file_equals(const char *, const char *, size_t,
		     double);
int		 wait_file_contains(const char *, const char *, double);
int		 wait_file_size(const char *, off_t, double);

/* harness.c: files. */
char		*file_read(const char *, size_t *);
void		 file_write(const char *, const char *);
int		 file_exists(const char *);
int		 file_exists_pred(void *);
off_t		 file_size(const char *);
long		 file_number(const char *);
int		 contains(const char *, const char *);

/*
 * Fail the test unless job reaches state within timeout seconds, naming the
 * state it was in.
 */
#define assert_state(h, job, want, timeout) do {			\
	if (wait_for_state((h), (job), (want), (timeout)) != 0) {	\
		char *st_ = job_state((h), (job));			\
		ck_abort_msg("%s: state %s, not %s, after %g s", (job),	\
		    st_ != NULL ? st_ : "(unknown)", (want),		\
		    (double)(timeout));					\
	}								\
} while (0)

/*
 * Fail the test unless the file at path comes to hold exactly text,
 * showing what it holds instead.
 */
#define assert_file_text(path, text) do {				\
	const char *want_ = (text);					\
	if (!wait_file_equals((path), want_, strlen(want_),		\
	    HARNESS_WAIT)) {						\
		char *got_ = file_read((path), NULL);			\
		ck_abort_msg("%s holds [%s], not [%s]", (path),		\
		    got_ != NULL ? got_ : "(no such file)", want_);	\
	}								\
} while (0)

/* The suites. */
Suite		*suite_session(void);
Suite		*suite_output(void);
Suite		*suite_signals(void);
Suite		*suite_errors(void);
Suite		*suite_lifecycle(void);
Suite		*suite_hardening(void);
Suite		*suite_logs(void);
Suite		*suite_popen(void);
Suite		*suite_reexec(void);

#endif /* HARNESS_H */
