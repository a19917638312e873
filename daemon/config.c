/*
 * config.c -- the configuration file: libconfig syntax in, validated job
 * specs out, and the comparison a reload uses to tell which jobs changed.
 *
 * A load never stops at the first mistake.  Every error is collected as
 * "FILE:LINE: message" so that whoever fixes the file sees all of them at
 * once, and a file with any error yields nothing at all: a reload either
 * applies a whole file or leaves the running configuration untouched.
 *
 * Types are strict (libconfig's auto-conversion stays off): a boolean
 * written as 1 or a number written as "5" is more likely a mistake than an
 * intention, and saying so costs the operator less than guessing wrong.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confpath.h"
#include "corrald.h"

#ifndef CORRAL_DEFAULT_SOCKET
#define CORRAL_DEFAULT_SOCKET	"/run/corral/corrald.sock"
#endif
#ifndef CORRAL_DEFAULT_LOG_DIR
#define CORRAL_DEFAULT_LOG_DIR	"/var/log/corral"
#endif

#define CONFIG_DEFAULT_SOCKET_MODE	0600
#define CONFIG_GROUP_SOCKET_MODE	0660	/* default with socket_group */
#define JOB_NAME_MAX			64
#define JOB_NAME_CHARS	\
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@-"
#define INCLUDE_SUFFIX			".conf"

/*
 * Longest time any timer setting may ask for: about 31 years.  Anything
 * longer is a typo, and keeping below 2^31 seconds means the value always
 * fits a struct timeval.
 */
#define CONFIG_SECONDS_MAX		1e9

/* One error found while loading, kept until all of them are known. */
struct config_error {
	char		*file;
	u_int		 line;
	u_int		 seq;		/* order found: keeps the sort stable */
	u_int		 rank;		/* order its file was read in */
	char		*text;		/* "FILE:LINE: message" */
};

/*
 * Where a job's `after` was set.  The names can only be checked once every
 * file is read, and by then the libconfig tree of an included file is
 * gone, so what an error needs is kept here.
 */
struct after_ref {
	u_int		 spec;		/* index in config->specs */
	char		*label;		/* the job's label then */
	char		*file;
	u_int		 line;
};

/* What one call of config_load() works with. */
struct config_ctx {
	const char		*path;	/* the main file */
	const char		*file;	/* the file being read */
	const char		*dir;	/* its directory: paths in it */
	struct config		*config;
	struct config_error	*errors;
	u_int			 nerrors;

	/* Every file read, in order: errors are reported in this order. */
	char			**files;
	u_int			 nfiles;

	/* daemon.include_dir, and its path as opened. */
	const config_setting_t	*include_setting;
	char			*include_path;
	struct after_ref	*afters;
	u_int			 nafters;
};

/* A job name and where it is, for looking names up. */
struct name_index {
	const char		*name;
	u_int			 spec;
};

/* One job group while it is being read. */
struct job_ctx {
	struct config_ctx	*cc;
	struct job_spec		*spec;
	const config_setting_t	*group;
	char			*label;		/* "job 'web'", or "job #3" */
	int			 stdout_given;
	int			 stderr_given;

	/* Which of command, shell and pipeline were given, in order. */
	const config_setting_t	*program[3];
	u_int			 nprogram;
};

struct job_key {
	const char	*name;
	void		 (*parse)(struct job_ctx *, const config_setting_t *);
};

static const char	*config_file(struct config_ctx *,
			    const config_setting_t *);
static u_int		 config_line(const config_setting_t *);
static void		 config_error(struct config_ctx *,
			    const config_setting_t *, const char *, ...)
			    __attribute__((format(printf, 3, 4)));
static void		 config_error_at(struct config_ctx *, const char *,
			    u_int, const char *, ...)
			    __attribute__((format(printf, 4, 5)));
static void		 config_verror(struct config_ctx *, const char *,
			    u_int, const char *, va_list)
			    __attribute__((format(printf, 4, 0)));
static u_int		 config_file_rank(struct config_ctx *,
			    const char *);
static int		 config_error_cmp(const void *, const void *);
static char		*config_errors_join(struct config_ctx *);
static void		 config_errors_free(struct config_ctx *);
static int		 config_read_errno(const char *);

static int		 config_get_string(struct config_ctx *, const char *,
			    const config_setting_t *, const char **);
static int		 config_get_path(struct config_ctx *, const char *,
			    const config_setting_t *, const char **);
static int		 config_get_mode(struct config_ctx *, const char *,
			    const config_setting_t *, int *);
static int		 config_get_bool(struct config_ctx *, const char *,
			    const config_setting_t *, int *);
static int		 config_get_int(struct config_ctx *, const char *,
			    const config_setting_t *, int, int, int *);
static int		 config_get_seconds(struct config_ctx *, const char *,
			    const config_setting_t *, double, int, double *);
static char		*config_printable(const char *);

static void		 config_root(struct config_ctx *,
			    const config_setting_t *);
static void		 config_daemon(struct config_ctx *,
			    const config_setting_t *);
static void		 config_jobs(struct config_ctx *,
			    const config_setting_t *);
static char		*config_include_path(struct config_ctx *,
			    const char *);
static void		 config_strip_slashes(char *);
static void		 config_include(struct config_ctx *);
static void		 config_include_file(struct config_ctx *,
			    const char *);
static int		 config_include_wanted(const char *);
static int		 config_name_cmp(const void *, const void *);
static void		 config_after(struct config_ctx *);
static void		 config_after_cycles(struct config_ctx *,
			    u_int **, u_int *);
static void		 config_after_cycle(struct config_ctx *,
			    const u_int *, u_int);
static void		 config_afters_free(struct config_ctx *);
static int		 name_index_cmp(const void *, const void *);

static void		 job_load(struct config_ctx *,
			    const config_setting_t *, u_int);
static void		 job_name(struct job_ctx *, const config_setting_t *);
static int		 job_name_valid(const char *);
static void		 job_program(struct job_ctx *);
static char		**job_argv(struct job_ctx *, const config_setting_t *,
			    const char *);
static void		 job_defaults(struct job_ctx *);
static struct job_spec	*job_spec_new(void);
static void		 job_argv_free(char **);

static void		 job_key_program(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_pipefail(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_executable(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_directory(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_environment(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_clear_environment(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_stdin(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_stdout(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_stderr(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_autostart(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_restart(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_success_exit_codes(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_start_seconds(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_start_retries(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_backoff_max(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_stop_signal(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_stop_timeout(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_log_max_bytes(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_log_backups(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_log_timestamps(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_user(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_group(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_umask(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_limits(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_kill_group(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_ready(struct job_ctx *,
			    const config_setting_t *);
static void		 job_key_after(struct job_ctx *,
			    const config_setting_t *);

static int		 str_equal(const char *, const char *);
static int		 argv_equal(char **, char **);
static int		 strings_same_set(char **, u_int, char **, u_int);
static int		 ints_same_set(const int *, u_int, const int *, u_int);

/* "name" is not here: it is read before the others, for the job's label. */
static const struct job_key job_keys[] = {
	{ "command",		job_key_program },
	{ "shell",		job_key_program },
	{ "pipeline",		job_key_program },
	{ "pipefail",		job_key_pipefail },
	{ "executable",		job_key_executable },
	{ "directory",		job_key_directory },
	{ "environment",	job_key_environment },
	{ "clear_environment",	job_key_clear_environment },
	{ "stdin",		job_key_stdin },
	{ "stdout",		job_key_stdout },
	{ "stderr",		job_key_stderr },
	{ "autostart",		job_key_autostart },
	{ "restart",		job_key_restart },
	{ "success_exit_codes",	job_key_success_exit_codes },
	{ "start_seconds",	job_key_start_seconds },
	{ "start_retries",	job_key_start_retries },
	{ "backoff_max",	job_key_backoff_max },
	{ "stop_signal",	job_key_stop_signal },
	{ "stop_timeout",	job_key_stop_timeout },
	{ "kill_group",		job_key_kill_group },
	{ "log_max_bytes",	job_key_log_max_bytes },
	{ "log_backups",	job_key_log_backups },
	{ "log_timestamps",	job_key_log_timestamps },
	{ "user",		job_key_user },
	{ "group",		job_key_group },
	{ "umask",		job_key_umask },
	{ "limits",		job_key_limits },
	{ "ready",		job_key_ready },
	{ "after",		job_key_after },
};

#ifndef nitems
#define nitems(a)	(sizeof (a) / sizeof (a)[0])
#endif

/*
 * Load and validate the file at path.  Returns the configuration, or NULL
 * with every error found, one "FILE:LINE: message" a line, in *cause.
 */
struct config *
config_load(const char *path, char **cause)
{
	config_t		 cfg;
	struct config_ctx	 cc;
	struct config		*config;
	const char		*file;

	config_init(&cfg);
	/*
	 * libconfig's include_dir is left unset: this version prefixes it
	 * even to absolute @include paths, which would break them.
	 */
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			xasprintf(cause, "%s: %s", path,
			    strerror(config_read_errno(path)));
		else {
			if ((file = config_error_file(&cfg)) == NULL)
				file = path;
			xasprintf(cause, "%s:%d: %s", file,
			    config_error_line(&cfg), config_error_text(&cfg));
		}
		config_destroy(&cfg);
		return (NULL);
	}

	config = xcalloc(1, sizeof *config);
	config->path = xstrdup(path);
	config->dir = confpath_dir(path);
	config->socket_mode = CONFIG_DEFAULT_SOCKET_MODE;

	memset(&cc, 0, sizeof cc);
	cc.path = path;
	cc.file = path;
	cc.dir = config->dir;
	cc.config = config;
	(void)config_file_rank(&cc, path);
	config_root(&cc, config_root_setting(&cfg));
	if (cc.include_setting != NULL)
		config_include(&cc);
	config_after(&cc);

	if (cc.nerrors != 0) {
		*cause = config_errors_join(&cc);
		config_free(config);
		config = NULL;
	}
	config_afters_free(&cc);
	config_errors_free(&cc);
	free(cc.include_path);
	config_destroy(&cfg);
	return (config);
}

void
config_free(struct config *config)
{
	u_int	i;

	if (config == NULL)
		return;
	for (i = 0; i < config->nspecs; i++)
		job_spec_free(config->specs[i]);
	free(config->specs);
	free(config->path);
	free(config->dir);
	free(config->socket_path);
	free(config->log_dir);
	free(config->include_dir);
	free(config->socket_group);
	free(config);
}

/*
 * Would a and b run the same thing in the same way?  A reload restarts a
 * running job only when this says no.  Where a job was defined (file,
 * line) does not matter, nor does the order of `environment`,
 * `success_exit_codes` or `after`, which mean the same in any order.
 */
int
job_spec_equal(const struct job_spec *a, const struct job_spec *b)
{
	u_int	i;

	if (a == b)
		return (1);
	if (a == NULL || b == NULL)
		return (0);

	if (!str_equal(a->name, b->name))
		return (0);
	if (a->nstages != b->nstages || a->is_shell != b->is_shell ||
	    a->is_pipeline != b->is_pipeline || a->pipefail != b->pipefail)
		return (0);
	for (i = 0; i < a->nstages; i++) {
		if (!argv_equal(a->argvs[i], b->argvs[i]))
			return (0);
	}
	if (!str_equal(a->executable, b->executable) ||
	    !str_equal(a->directory, b->directory))
		return (0);
	if (a->clear_environment != b->clear_environment ||
	    !strings_same_set(a->environment, a->nenvironment,
	    b->environment, b->nenvironment))
		return (0);

	if (!str_equal(a->stdin_path, b->stdin_path))
		return (0);
	if (a->stdout_target != b->stdout_target ||
	    (a->stdout_target == STREAM_FILE &&
	    !str_equal(a->stdout_path, b->stdout_path)))
		return (0);
	if (a->stderr_target != b->stderr_target ||
	    (a->stderr_target == STREAM_FILE &&
	    !str_equal(a->stderr_path, b->stderr_path)))
		return (0);

	if (a->autostart != b->autostart || a->restart != b->restart)
		return (0);
	if (!ints_same_set(a->success_codes, a->nsuccess_codes,
	    b->success_codes, b->nsuccess_codes))
		return (0);
	if (a->start_seconds != b->start_seconds ||
	    a->start_retries != b->start_retries ||
	    a->backoff_max != b->backoff_max ||
	    a->stop_signal != b->stop_signal ||
	    a->stop_timeout != b->stop_timeout ||
	    a->kill_group != b->kill_group ||
	    a->log_max_bytes != b->log_max_bytes ||
	    a->log_backups != b->log_backups ||
	    a->log_timestamps != b->log_timestamps)
		return (0);

	/* Both lists are free of duplicates: the loader drops them. */
	if (a->ready != b->ready ||
	    !strings_same_set(a->after, a->nafter, b->after, b->nafter))
		return (0);
	if (!str_equal(a->user, b->user) || !str_equal(a->group, b->group) ||
	    a->umask != b->umask || a->nlimits != b->nlimits ||
	    memcmp(a->limits, b->limits, a->nlimits * sizeof a->limits[0]) != 0)
		return (0);
	return (1);
}

/* The file a setting came from: it may be an @include'd one. */
static const char *
config_file(struct config_ctx *cc, const config_setting_t *s)
{
	for (; s != NULL; s = s->parent) {
		if (config_setting_source_file(s) != NULL)
			return (config_setting_source_file(s));
	}
	return (cc->file);
}

/* A setting's line; the nearest parent's if libconfig did not record it. */
static u_int
config_line(const config_setting_t *s)
{
	for (; s != NULL; s = s->parent) {
		if (config_setting_source_line(s) != 0)
			return (config_setting_source_line(s));
	}
	return (0);
}

static void
config_error(struct config_ctx *cc, const config_setting_t *s,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	config_verror(cc, config_file(cc, s), config_line(s), fmt, ap);
	va_end(ap);
}

/* For errors found once the setting they are about is gone. */
static void
config_error_at(struct config_ctx *cc, const char *file, u_int line,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	config_verror(cc, file, line, fmt, ap);
	va_end(ap);
}

static void
config_verror(struct config_ctx *cc, const char *file, u_int line,
    const char *fmt, va_list ap)
{
	struct config_error	*ce;
	char			*msg;

	cc->errors = xreallocarray(cc->errors, cc->nerrors + 1,
	    sizeof *cc->errors);
	ce = &cc->errors[cc->nerrors];
	ce->file = xstrdup(file);
	ce->line = line;
	ce->seq = cc->nerrors;
	ce->rank = config_file_rank(cc, file);

	xvasprintf(&msg, fmt, ap);
	xasprintf(&ce->text, "%s:%u: %s", ce->file, ce->line, msg);
	free(msg);
	cc->nerrors++;
}

/*
 * Where file comes in the order files were read.  A file libconfig read
 * through @include is met only when it has an error, and goes last.
 */
static u_int
config_file_rank(struct config_ctx *cc, const char *file)
{
	u_int	i;

	for (i = 0; i < cc->nfiles; i++) {
		if (strcmp(cc->files[i], file) == 0)
			return (i);
	}
	cc->files = xreallocarray(cc->files, cc->nfiles + 1,
	    sizeof *cc->files);
	cc->files[cc->nfiles] = xstrdup(file);
	return (cc->nfiles++);
}

/*
 * Errors are found in the order the checks run (the daemon group before
 * the jobs, a job's name before its other keys, `after` once all files
 * are read); they are reported file by file in the order the files were
 * read, and in the order of each file, which is the order someone fixing
 * them reads.
 */
static int
config_error_cmp(const void *a0, const void *b0)
{
	const struct config_error	*a = a0, *b = b0;

	if (a->rank != b->rank)
		return (a->rank < b->rank ? -1 : 1);
	if (a->line != b->line)
		return (a->line < b->line ? -1 : 1);
	if (a->seq != b->seq)
		return (a->seq < b->seq ? -1 : 1);
	return (0);
}

static char *
config_errors_join(struct config_ctx *cc)
{
	char	*out;
	size_t	 len = 0, off = 0, n;
	u_int	 i;

	qsort(cc->errors, cc->nerrors, sizeof *cc->errors, config_error_cmp);
	for (i = 0; i < cc->nerrors; i++)
		len += strlen(cc->errors[i].text) + 1;
	out = xmalloc(len);
	for (i = 0; i < cc->nerrors; i++) {
		if (i != 0)
			out[off++] = '\n';
		n = strlen(cc->errors[i].text);
		memcpy(out + off, cc->errors[i].text, n);
		off += n;
	}
	out[off] = '\0';
	return (out);
}

static void
config_errors_free(struct config_ctx *cc)
{
	u_int	i;

	for (i = 0; i < cc->nerrors; i++) {
		free(cc->errors[i].file);
		free(cc->errors[i].text);
	}
	free(cc->errors);
	cc->errors = NULL;
	cc->nerrors = 0;
	for (i = 0; i < cc->nfiles; i++)
		free(cc->files[i]);
	free(cc->files);
	cc->files = NULL;
	cc->nfiles = 0;
}

/*
 * Why libconfig could not read path.  It reports only "file I/O error" and
 * refuses directories without setting errno, so ask again ourselves.
 */
static int
config_read_errno(const char *path)
{
	struct stat	sb;
	int		fd, error;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (errno);
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode))
		error = EISDIR;
	else
		error = EIO;
	close(fd);
	return (error);
}

static int
config_get_string(struct config_ctx *cc, const char *label,
    const config_setting_t *s, const char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		config_error(cc, s, "%s: '%s' must be a string", label,
		    config_setting_name(s));
		return (-1);
	}
	*out = config_setting_get_string(s);
	return (0);
}

/*
 * A mode or umask: a string of octal digits only (no sign, no space, no
 * "0o"), from 0000 to 0777.  An integer is refused, as libconfig would
 * read 0600 as six hundred.
 */
static int
config_get_mode(struct config_ctx *cc, const char *label,
    const config_setting_t *s, int *out)
{
	const char	*str;
	char		*end;
	unsigned long	 mode;

	if (config_get_string(cc, label, s, &str) != 0)
		return (-1);
	errno = 0;
	mode = strtoul(str, &end, 8);
	if (*str < '0' || *str > '7' || *end != '\0' || errno != 0 ||
	    mode > 0777) {
		end = config_printable(str);
		config_error(cc, s, "%s: '%s' must be an octal mode from 0000 "
		    "to 0777, not '%s'", label, config_setting_name(s), end);
		free(end);
		return (-1);
	}
	*out = (int)mode;
	return (0);
}

/* A string that names a file or directory: never empty. */
static int
config_get_path(struct config_ctx *cc, const char *label,
    const config_setting_t *s, const char **out)
{
	if (config_get_string(cc, label, s, out) != 0)
		return (-1);
	if (**out == '\0') {
		config_error(cc, s, "%s: '%s' must not be empty", label,
		    config_setting_name(s));
		return (-1);
	}
	return (0);
}

static int
config_get_bool(struct config_ctx *cc, const char *label,
    const config_setting_t *s, int *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		config_error(cc, s, "%s: '%s' must be a boolean", label,
		    config_setting_name(s));
		return (-1);
	}
	*out = config_setting_get_bool(s) ? 1 : 0;
	return (0);
}

static int
config_get_int(struct config_ctx *cc, const char *label,
    const config_setting_t *s, int lo, int hi, int *out)
{
	long long	n;

	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		config_error(cc, s, "%s: '%s' must be an integer", label,
		    config_setting_name(s));
		return (-1);
	}
	n = config_setting_get_int64(s);
	if (n < lo || n > hi) {
		if (hi == INT_MAX)
			config_error(cc, s, "%s: '%s' must be at least %d",
			    label, config_setting_name(s), lo);
		else
			config_error(cc, s, "%s: '%s' must be between %d "
			    "and %d", label, config_setting_name(s), lo, hi);
		return (-1);
	}
	*out = (int)n;
	return (0);
}

/* A duration: an int or a float, at least (or, if strict, above) min. */
static int
config_get_seconds(struct config_ctx *cc, const char *label,
    const config_setting_t *s, double min, int strict, double *out)
{
	double	d;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		d = (double)config_setting_get_int64(s);
		break;
	case CONFIG_TYPE_FLOAT:
		d = config_setting_get_float(s);
		break;
	default:
		config_error(cc, s, "%s: '%s' must be a number", label,
		    config_setting_name(s));
		return (-1);
	}
	/* Written so that a NaN fails too. */
	if (strict ? !(d > min) : !(d >= min)) {
		config_error(cc, s, "%s: '%s' must be %s %g", label,
		    config_setting_name(s), strict ? "greater than" :
		    "at least", min);
		return (-1);
	}
	if (d > CONFIG_SECONDS_MAX) {
		config_error(cc, s, "%s: '%s' must be at most %g", label,
		    config_setting_name(s), CONFIG_SECONDS_MAX);
		return (-1);
	}
	*out = d;
	return (0);
}

/* A copy of s fit to quote in a message: control characters become '?'. */
static char *
config_printable(const char *s)
{
	char	*out, *cp;

	out = xstrdup(s);
	for (cp = out; *cp != '\0'; cp++) {
		if ((unsigned char)*cp < 0x20 || *cp == 0x7f)
			*cp = '?';
	}
	return (out);
}

/*
 * The root: a daemon group and a jobs list.  The daemon group is read
 * first wherever it is, since the jobs' default log paths depend on it.
 */
static void
config_root(struct config_ctx *cc, const config_setting_t *root)
{
	const config_setting_t	*s, *dgroup = NULL, *jobs = NULL;
	const char		*name;
	int			 i, n;

	n = config_setting_length(root);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(root, i);
		name = config_setting_name(s);
		if (strcmp(name, "daemon") == 0)
			dgroup = s;
		else if (strcmp(name, "jobs") == 0)
			jobs = s;
		else
			config_error(cc, s, "unknown setting '%s'", name);
	}
	config_daemon(cc, dgroup);
	if (jobs != NULL)
		config_jobs(cc, jobs);
}

static void
config_daemon(struct config_ctx *cc, const config_setting_t *dgroup)
{
	struct config		*config = cc->config;
	const config_setting_t	*s;
	const char		*name, *str, *sock = NULL, *log_dir = NULL;
	const char		*include_dir = NULL;
	int			 i, n, mode, mode_given = 0;

	if (dgroup != NULL && !config_setting_is_group(dgroup)) {
		config_error(cc, dgroup, "'daemon' must be a group");
		dgroup = NULL;
	}
	n = dgroup != NULL ? config_setting_length(dgroup) : 0;
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(dgroup, i);
		name = config_setting_name(s);
		if (strcmp(name, "socket") == 0)
			(void)config_get_path(cc, "daemon", s, &sock);
		else if (strcmp(name, "log_dir") == 0)
			(void)config_get_path(cc, "daemon", s, &log_dir);
		else if (strcmp(name, "include_dir") == 0) {
			if (config_get_path(cc, "daemon", s,
			    &include_dir) == 0)
				cc->include_setting = s;
		} else if (strcmp(name, "socket_mode") == 0) {
			if (config_get_mode(cc, "daemon", s, &mode) == 0) {
				config->socket_mode = (mode_t)mode;
				mode_given = 1;
			}
		} else if (strcmp(name, "socket_group") == 0) {
			if (config_get_string(cc, "daemon", s, &str) != 0)
				continue;
			if (*str == '\0') {
				config_error(cc, s, "daemon: 'socket_group' "
				    "must not be empty");
				continue;
			}
			free(config->socket_group);
			config->socket_group = xstrdup(str);
		} else
			config_error(cc, s, "daemon: unknown key '%s'", name);
	}

	/* A group named for the socket is one meant to use it. */
	if (config->socket_group != NULL && !mode_given)
		config->socket_mode = CONFIG_GROUP_SOCKET_MODE;
	if (sock == NULL)
		sock = CORRAL_DEFAULT_SOCKET;
	config->socket_path = confpath_resolve(config->dir, sock);
	if (log_dir == NULL)
		log_dir = CORRAL_DEFAULT_LOG_DIR;
	config->log_dir = confpath_resolve(config->dir, log_dir);

	if (include_dir != NULL) {
		config->include_dir = confpath_resolve(config->dir,
		    include_dir);
		config_strip_slashes(config->include_dir);
		cc->include_path = config_include_path(cc, include_dir);
	}
}

static void
config_jobs(struct config_ctx *cc, const config_setting_t *jobs)
{
	const config_setting_t	*s;
	int			 i, n;

	/* "jobs = [];" is an array: libconfig has no other empty list. */
	if (!config_setting_is_list(jobs) &&
	    !(config_setting_is_array(jobs) &&
	    config_setting_length(jobs) == 0)) {
		config_error(cc, jobs, "'jobs' must be a list of groups");
		return;
	}
	n = config_setting_length(jobs);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(jobs, i);
		if (!config_setting_is_group(s)) {
			config_error(cc, s, "jobs: entry %d must be a group",
			    i + 1);
			continue;
		}
		job_load(cc, s, (u_int)i + 1);
	}
}

/*
 * include_dir the way the main file's path was given: with "-c
 * corrald.conf", errors in an included file then read "jobs.d/web.conf:3:"
 * like those of the main file, not with an absolute path beside them.
 * Loading never changes directory, so the relative path stays good.
 */
static char *
config_include_path(struct config_ctx *cc, const char *include_dir)
{
	const char	*slash;
	char		*dir, *out;

	if ((slash = strrchr(cc->path, '/')) == NULL)
		dir = xstrdup(".");
	else if (slash == cc->path)
		dir = xstrdup("/");
	else
		dir = xstrndup(cc->path, (size_t)(slash - cc->path));
	out = confpath_resolve(dir, include_dir);
	free(dir);
	config_strip_slashes(out);
	return (out);
}

/* "jobs.d/" would make "jobs.d//web.conf" of every file in it. */
static void
config_strip_slashes(char *path)
{
	size_t	len;

	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
}

/*
 * The files of include_dir, in the byte order of their names, so that the
 * order jobs load in does not depend on what readdir() happens to return
 * or on the locale.  Names that start with '.' are skipped: editors and
 * package managers leave ".web.conf.swp" and the like behind.
 */
static void
config_include(struct config_ctx *cc)
{
	struct dirent	*de;
	struct stat	 sb, main_sb;
	DIR		*d;
	char		**names = NULL, *file;
	u_int		 nnames = 0, i;
	int		 have_main;

	if ((d = opendir(cc->include_path)) == NULL) {
		config_error(cc, cc->include_setting, "daemon: include_dir "
		    "%s: %s", cc->include_path, strerror(errno));
		return;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (!config_include_wanted(de->d_name))
			continue;
		names = xreallocarray(names, nnames + 1, sizeof *names);
		names[nnames++] = xstrdup(de->d_name);
	}
	/* A partial list would load a config that silently lacks jobs. */
	if (errno != 0) {
		config_error(cc, cc->include_setting, "daemon: include_dir "
		    "%s: %s", cc->include_path, strerror(errno));
	}
	closedir(d);
	if (nnames > 1)
		qsort(names, nnames, sizeof *names, config_name_cmp);

	/*
	 * include_dir = "." beside corrald.conf is a natural layout: the
	 * main file must not then be read a second time as an included one.
	 */
	have_main = stat(cc->path, &main_sb) == 0;
	for (i = 0; i < nnames; i++) {
		if (strcmp(cc->include_path, "/") == 0)
			xasprintf(&file, "/%s", names[i]);
		else
			xasprintf(&file, "%s/%s", cc->include_path, names[i]);
		if (!have_main || stat(file, &sb) != 0 ||
		    sb.st_dev != main_sb.st_dev || sb.st_ino != main_sb.st_ino)
			config_include_file(cc, file);
		free(file);
	}
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
}

/*
 * One file of include_dir.  It holds jobs only: the daemon's own settings
 * have one place, the main file, so no file can quietly override another.
 * Relative paths in it are relative to its own directory, as in any
 * config file.
 */
static void
config_include_file(struct config_ctx *cc, const char *file)
{
	config_t		 cfg;
	const config_setting_t	*root, *s;
	const char		*name, *efile, *saved_file, *saved_dir;
	int			 i, n;

	(void)config_file_rank(cc, file);
	config_init(&cfg);
	if (config_read_file(&cfg, file) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			config_error(cc, cc->include_setting, "daemon: "
			    "include_dir: %s: %s", file,
			    strerror(config_read_errno(file)));
		else {
			if ((efile = config_error_file(&cfg)) == NULL)
				efile = file;
			config_error_at(cc, efile,
			    (u_int)config_error_line(&cfg), "%s",
			    config_error_text(&cfg));
		}
		config_destroy(&cfg);
		return;
	}

	saved_file = cc->file;
	saved_dir = cc->dir;
	cc->file = file;
	cc->dir = cc->config->include_dir;
	root = config_root_setting(&cfg);
	n = config_setting_length(root);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(root, i);
		name = config_setting_name(s);
		if (strcmp(name, "jobs") == 0)
			config_jobs(cc, s);
		else
			config_error(cc, s, "'%s' is not allowed here: a file "
			    "in include_dir holds only 'jobs'", name);
	}
	cc->file = saved_file;
	cc->dir = saved_dir;
	config_destroy(&cfg);
}

/* "web.conf", but not ".web.conf" nor ".conf" nor "web.conf.orig". */
static int
config_include_wanted(const char *name)
{
	size_t	len, slen = strlen(INCLUDE_SUFFIX);

	if (name[0] == '.')
		return (0);
	len = strlen(name);
	return (len > slen && strcmp(name + len - slen, INCLUDE_SUFFIX) == 0);
}

static int
config_name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char * const *)a, *(char * const *)b));
}

/*
 * `after` across every file, once all jobs are known: each name must be a
 * job, and following the names from a job must never lead back to it, or
 * no job of the loop could ever be started first.
 */
static void
config_after(struct config_ctx *cc)
{
	struct config		*config = cc->config;
	struct name_index	*index, key, *found;
	struct after_ref	*ref;
	struct job_spec		*spec;
	u_int			**edges, *nedges, nindex = 0, i, j;

	if (cc->nafters == 0)
		return;

	index = xcalloc(config->nspecs, sizeof *index);
	for (i = 0; i < config->nspecs; i++) {
		if (config->specs[i]->name == NULL)
			continue;
		index[nindex].name = config->specs[i]->name;
		index[nindex].spec = i;
		nindex++;
	}
	if (nindex > 1)
		qsort(index, nindex, sizeof *index, name_index_cmp);

	/* edges[i]: the jobs job i waits for, as indexes, in its order. */
	edges = xcalloc(config->nspecs, sizeof *edges);
	nedges = xcalloc(config->nspecs, sizeof *nedges);
	memset(&key, 0, sizeof key);
	for (i = 0; i < cc->nafters; i++) {
		ref = &cc->afters[i];
		spec = config->specs[ref->spec];
		edges[ref->spec] = xcalloc(spec->nafter, sizeof **edges);
		for (j = 0; j < spec->nafter; j++) {
			key.name = spec->after[j];
			found = bsearch(&key, index, nindex, sizeof *index,
			    name_index_cmp);
			if (found == NULL) {
				config_error_at(cc, ref->file, ref->line,
				    "%s: 'after' names unknown job '%s'",
				    ref->label, spec->after[j]);
				continue;
			}
			/* Nothing can name a job whose own name is bad. */
			if (spec->name != NULL) {
				edges[ref->spec][nedges[ref->spec]++] =
				    found->spec;
			}
		}
	}

	config_after_cycles(cc, edges, nedges);

	for (i = 0; i < config->nspecs; i++)
		free(edges[i]);
	free(edges);
	free(nedges);
	free(index);
}

/*
 * A depth-first walk, in load order and each job's `after` order, so the
 * same file always gives the same report.  Each edge that leads back into
 * the path being walked closes exactly one cycle, so no cycle is reported
 * twice; an explicit stack keeps a long chain of jobs off the C stack.
 */
static void
config_after_cycles(struct config_ctx *cc, u_int **edges, u_int *nedges)
{
	enum { WHITE, GREY, BLACK }	*state;
	u_int				 n = cc->config->nspecs;
	u_int				*stack, *pos, *next;
	u_int				 depth, root, v, w;

	state = xcalloc(n, sizeof *state);
	stack = xcalloc(n, sizeof *stack);
	pos = xcalloc(n, sizeof *pos);		/* where on the stack */
	next = xcalloc(n, sizeof *next);	/* next edge to follow */
	for (root = 0; root < n; root++) {
		if (state[root] != WHITE || nedges[root] == 0)
			continue;
		depth = 0;
		state[root] = GREY;
		pos[root] = depth;
		stack[depth++] = root;
		while (depth > 0) {
			v = stack[depth - 1];
			if (next[v] == nedges[v]) {
				state[v] = BLACK;
				depth--;
				continue;
			}
			w = edges[v][next[v]++];
			if (state[w] == WHITE) {
				state[w] = GREY;
				pos[w] = depth;
				stack[depth++] = w;
			} else if (state[w] == GREY)
				config_after_cycle(cc, stack + pos[w],
				    depth - pos[w]);
		}
	}
	free(next);
	free(pos);
	free(stack);
	free(state);
}

/*
 * Report one cycle, given as the jobs on it in `after` order.  It is told
 * from the job defined first, at that job's `after`: where the walk
 * happened to enter the cycle is no concern of whoever reads the message.
 */
static void
config_after_cycle(struct config_ctx *cc, const u_int *cycle, u_int len)
{
	struct config		*config = cc->config;
	const struct after_ref	*ref = NULL;
	char			*text, *more;
	u_int			 first = 0, i, k;

	for (k = 1; k < len; k++) {
		if (cycle[k] < cycle[first])
			first = k;
	}
	text = xstrdup(config->specs[cycle[first]]->name);
	for (k = 1; k <= len; k++) {
		i = cycle[(first + k) % len];
		xasprintf(&more, "%s -> %s", text, config->specs[i]->name);
		free(text);
		text = more;
	}
	for (i = 0; i < cc->nafters; i++) {
		if (cc->afters[i].spec == cycle[first]) {
			ref = &cc->afters[i];
			break;
		}
	}
	if (ref == NULL)
		fatalx("%s: job %u has no after", __func__, cycle[first]);
	config_error_at(cc, ref->file, ref->line, "%s: 'after' makes a cycle: "
	    "%s", ref->label, text);
	free(text);
}

static void
config_afters_free(struct config_ctx *cc)
{
	u_int	i;

	for (i = 0; i < cc->nafters; i++) {
		free(cc->afters[i].label);
		free(cc->afters[i].file);
	}
	free(cc->afters);
	cc->afters = NULL;
	cc->nafters = 0;
}

static int
name_index_cmp(const void *a0, const void *b0)
{
	const struct name_index	*a = a0, *b = b0;

	return (strcmp(a->name, b->name));
}

/*
 * One job group.  Its spec joins the config even when it has errors: the
 * whole config is thrown away then anyway, and later jobs are still
 * checked against its name.
 */
static void
job_load(struct config_ctx *cc, const config_setting_t *group, u_int position)
{
	struct config		*config = cc->config;
	struct job_ctx		 jc;
	const config_setting_t	*s;
	const char		*name;
	size_t			 j;
	int			 i, n;

	memset(&jc, 0, sizeof jc);
	jc.cc = cc;
	jc.group = group;
	jc.spec = job_spec_new();
	jc.spec->file = xstrdup(config_file(cc, group));
	jc.spec->line = (int)config_line(group);
	xasprintf(&jc.label, "job #%u", position);

	config->specs = xreallocarray(config->specs, config->nspecs + 1,
	    sizeof *config->specs);
	config->specs[config->nspecs++] = jc.spec;

	if ((s = config_setting_get_member(group, "name")) == NULL)
		config_error(cc, group, "%s: 'name' is required", jc.label);
	else
		job_name(&jc, s);

	n = config_setting_length(group);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(group, i);
		name = config_setting_name(s);
		if (strcmp(name, "name") == 0)
			continue;
		for (j = 0; j < nitems(job_keys); j++) {
			if (strcmp(name, job_keys[j].name) == 0)
				break;
		}
		if (j < nitems(job_keys)) {
			job_keys[j].parse(&jc, s);
			continue;
		}
		config_error(cc, s, "%s: unknown key '%s'", jc.label, name);
	}

	job_program(&jc);
	job_defaults(&jc);
	free(jc.label);
}

static void
job_name(struct job_ctx *jc, const config_setting_t *s)
{
	struct config_ctx	*cc = jc->cc;
	struct config		*config = cc->config;
	struct job_spec		*other;
	const char		*name, *file;
	char			*quoted;
	size_t			 len;
	u_int			 i;

	if (config_get_string(cc, jc->label, s, &name) != 0)
		return;
	len = strlen(name);
	if (len == 0) {
		config_error(cc, s, "%s: 'name' must not be empty", jc->label);
		return;
	}
	if (len > JOB_NAME_MAX) {
		config_error(cc, s, "%s: name is longer than %d characters",
		    jc->label, JOB_NAME_MAX);
		return;
	}
	if (strspn(name, JOB_NAME_CHARS) != len) {
		quoted = config_printable(name);
		config_error(cc, s, "%s: name '%s' may only contain letters, "
		    "digits, '_', '.', '@' and '-'", jc->label, quoted);
		free(quoted);
		return;
	}
	if (strcmp(name, "all") == 0) {
		config_error(cc, s, "%s: name 'all' is reserved: corralctl "
		    "uses it for every job", jc->label);
		return;
	}

	/* From here on the job is known by its name. */
	free(jc->label);
	xasprintf(&jc->label, "job '%s'", name);

	for (i = 0; i < config->nspecs; i++) {
		other = config->specs[i];
		if (other == jc->spec || other->name == NULL ||
		    strcmp(other->name, name) != 0)
			continue;
		file = config_file(cc, s);
		if (strcmp(other->file, file) == 0)
			config_error(cc, s, "%s: duplicate name, first defined "
			    "at line %d", jc->label, other->line);
		else
			config_error(cc, s, "%s: duplicate name, first defined "
			    "at %s:%d", jc->label, other->file, other->line);
		return;
	}
	jc->spec->name = xstrdup(name);
}

/* Could name be a job's?  job_name() says why not; this only whether. */
static int
job_name_valid(const char *name)
{
	size_t	len;

	len = strlen(name);
	return (len != 0 && len <= JOB_NAME_MAX &&
	    strspn(name, JOB_NAME_CHARS) == len && strcmp(name, "all") != 0);
}

/* command, shell and pipeline are looked at once all keys are known. */
static void
job_key_program(struct job_ctx *jc, const config_setting_t *s)
{
	jc->program[jc->nprogram++] = s;
}

static void
job_program(struct job_ctx *jc)
{
	struct config_ctx	*cc = jc->cc;
	struct job_spec		*spec = jc->spec;
	const config_setting_t	*s, *stage;
	const char		*name, *str;
	char			**argv, *what;
	u_int			 i, n;

	if (jc->nprogram == 0) {
		config_error(cc, jc->group, "%s: needs one of command, shell "
		    "or pipeline", jc->label);
		return;
	}
	if (jc->nprogram > 1) {
		/* Reported where the second one is: that is the surprise. */
		config_error(cc, jc->program[1], "%s: command, shell and "
		    "pipeline are mutually exclusive", jc->label);
		return;
	}

	s = jc->program[0];
	name = config_setting_name(s);
	if (strcmp(name, "shell") == 0) {
		if (config_get_string(cc, jc->label, s, &str) != 0)
			return;
		if (*str == '\0') {
			config_error(cc, s, "%s: 'shell' must not be empty",
			    jc->label);
			return;
		}
		argv = xcalloc(4, sizeof *argv);
		argv[0] = xstrdup("/bin/sh");
		argv[1] = xstrdup("-c");
		argv[2] = xstrdup(str);
		spec->argvs = xcalloc(1, sizeof *spec->argvs);
		spec->argvs[0] = argv;
		spec->nstages = 1;
		spec->is_shell = 1;
		return;
	}
	if (strcmp(name, "command") == 0) {
		if ((argv = job_argv(jc, s, "'command'")) == NULL)
			return;
		spec->argvs = xcalloc(1, sizeof *spec->argvs);
		spec->argvs[0] = argv;
		spec->nstages = 1;
		return;
	}

	/* A pipeline: libconfig arrays hold only scalars, so it is a list. */
	if (!config_setting_is_list(s) && !config_setting_is_array(s)) {
		config_error(cc, s, "%s: 'pipeline' must be a list of string "
		    "arrays", jc->label);
		return;
	}
	n = (u_int)config_setting_length(s);
	if (n == 0) {
		config_error(cc, s, "%s: 'pipeline' must not be empty",
		    jc->label);
		return;
	}
	spec->argvs = xcalloc(n, sizeof *spec->argvs);
	for (i = 0; i < n; i++) {
		stage = config_setting_get_elem(s, i);
		xasprintf(&what, "pipeline stage %u", i + 1);
		spec->argvs[i] = job_argv(jc, stage, what);
		free(what);
	}
	/* Counted only now, so job_spec_free sees every stage built. */
	spec->nstages = n;
	spec->is_pipeline = 1;
}

/*
 * An argv from an array (or a list) of strings: not empty, and with a
 * program name.  Other empty strings are left alone: "" is a real
 * argument.  NULL after reporting what was wrong.
 */
static char **
job_argv(struct job_ctx *jc, const config_setting_t *s, const char *what)
{
	struct config_ctx	*cc = jc->cc;
	const config_setting_t	*e;
	char			**argv;
	int			 i, n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		config_error(cc, s, "%s: %s must be an array of strings",
		    jc->label, what);
		return (NULL);
	}
	if ((n = config_setting_length(s)) == 0) {
		config_error(cc, s, "%s: %s must not be empty", jc->label,
		    what);
		return (NULL);
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			config_error(cc, e, "%s: %s must be an array of "
			    "strings", jc->label, what);
			return (NULL);
		}
	}
	if (*config_setting_get_string_elem(s, 0) == '\0') {
		config_error(cc, s, "%s: %s has an empty program name",
		    jc->label, what);
		return (NULL);
	}

	argv = xcalloc((size_t)n + 1, sizeof *argv);
	for (i = 0; i < n; i++)
		argv[i] = xstrdup(config_setting_get_string_elem(s, i));
	return (argv);
}

static void
job_key_pipefail(struct job_ctx *jc, const config_setting_t *s)
{
	(void)config_get_bool(jc->cc, jc->label, s, &jc->spec->pipefail);
}

static void
job_key_executable(struct job_ctx *jc, const config_setting_t *s)
{
	const char	*str;

	/* Not resolved: like argv[0], it is looked up after the chdir. */
	if (config_get_path(jc->cc, jc->label, s, &str) == 0)
		jc->spec->executable = xstrdup(str);
}

static void
job_key_directory(struct job_ctx *jc, const config_setting_t *s)
{
	const char	*str;

	if (config_get_path(jc->cc, jc->label, s, &str) == 0) {
		jc->spec->directory = confpath_resolve(jc->cc->dir, str);
	}
}

static void
job_key_environment(struct job_ctx *jc, const config_setting_t *s)
{
	struct job_spec		*spec = jc->spec;
	const config_setting_t	*e;
	int			 i, n;

	if (!config_setting_is_group(s)) {
		config_error(jc->cc, s, "%s: 'environment' must be a group of "
		    "strings", jc->label);
		return;
	}
	n = config_setting_length(s);
	spec->environment = xcalloc((size_t)n + 1, sizeof *spec->environment);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			config_error(jc->cc, e, "%s: environment '%s' must be "
			    "a string", jc->label, config_setting_name(e));
			continue;
		}
		xasprintf(&spec->environment[spec->nenvironment++], "%s=%s",
		    config_setting_name(e), config_setting_get_string(e));
	}
}

static void
job_key_clear_environment(struct job_ctx *jc, const config_setting_t *s)
{
	(void)config_get_bool(jc->cc, jc->label, s,
	    &jc->spec->clear_environment);
}

static void
job_key_stdin(struct job_ctx *jc, const config_setting_t *s)
{
	const char	*str;

	if (config_get_path(jc->cc, jc->label, s, &str) != 0)
		return;
	if (strcmp(str, "null") != 0) {
		jc->spec->stdin_path = confpath_resolve(jc->cc->dir, str);
	}
}

static void
job_key_stdout(struct job_ctx *jc, const config_setting_t *s)
{
	struct job_spec	*spec = jc->spec;
	const char	*str;

	jc->stdout_given = 1;
	if (config_get_path(jc->cc, jc->label, s, &str) != 0)
		return;
	if (strcmp(str, "null") == 0)
		spec->stdout_target = STREAM_NULL;
	else {
		spec->stdout_target = STREAM_FILE;
		spec->stdout_path = confpath_resolve(jc->cc->dir, str);
	}
}

static void
job_key_stderr(struct job_ctx *jc, const config_setting_t *s)
{
	struct job_spec	*spec = jc->spec;
	const char	*str;

	jc->stderr_given = 1;
	if (config_get_path(jc->cc, jc->label, s, &str) != 0)
		return;
	if (strcmp(str, "stdout") == 0)
		spec->stderr_target = STREAM_STDOUT;
	else if (strcmp(str, "null") == 0)
		spec->stderr_target = STREAM_NULL;
	else {
		spec->stderr_target = STREAM_FILE;
		spec->stderr_path = confpath_resolve(jc->cc->dir, str);
	}
}

static void
job_key_autostart(struct job_ctx *jc, const config_setting_t *s)
{
	(void)config_get_bool(jc->cc, jc->label, s, &jc->spec->autostart);
}

static void
job_key_restart(struct job_ctx *jc, const config_setting_t *s)
{
	const char	*str;
	char		*quoted;

	if (config_get_string(jc->cc, jc->label, s, &str) != 0)
		return;
	if (strcmp(str, "no") == 0)
		jc->spec->restart = RESTART_NO;
	else if (strcmp(str, "on-failure") == 0)
		jc->spec->restart = RESTART_ON_FAILURE;
	else if (strcmp(str, "always") == 0)
		jc->spec->restart = RESTART_ALWAYS;
	else {
		quoted = config_printable(str);
		config_error(jc->cc, s, "%s: 'restart' must be \"no\", "
		    "\"on-failure\" or \"always\", not '%s'", jc->label,
		    quoted);
		free(quoted);
	}
}

static void
job_key_success_exit_codes(struct job_ctx *jc, const config_setting_t *s)
{
	struct job_spec		*spec = jc->spec;
	const config_setting_t	*e;
	long long		 code;
	int			 i, n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		config_error(jc->cc, s, "%s: 'success_exit_codes' must be an "
		    "array of integers", jc->label);
		return;
	}
	/* No code at all would make every run a failure: surely a slip. */
	if ((n = config_setting_length(s)) == 0) {
		config_error(jc->cc, s, "%s: 'success_exit_codes' must not be "
		    "empty", jc->label);
		return;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_INT &&
		    config_setting_type(e) != CONFIG_TYPE_INT64) {
			config_error(jc->cc, e, "%s: 'success_exit_codes' must "
			    "be an array of integers", jc->label);
			return;
		}
		code = config_setting_get_int64(e);
		if (code < 0 || code > 255) {
			config_error(jc->cc, e, "%s: 'success_exit_codes': "
			    "%lld is not an exit code (0 to 255)", jc->label,
			    code);
			return;
		}
	}
	spec->success_codes = xcalloc((size_t)n, sizeof *spec->success_codes);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		spec->success_codes[i] = (int)config_setting_get_int64(e);
	}
	spec->nsuccess_codes = (u_int)n;
}

static void
job_key_start_seconds(struct job_ctx *jc, const config_setting_t *s)
{
	(void)config_get_seconds(jc->cc, jc->label, s, 0, 0,
	    &jc->spec->start_seconds);
}

static void
job_key_start_retries(struct job_ctx *jc, const config_setting_t *s)
{
	(void)config_get_int(jc->cc, jc->label, s, 0, INT_MAX,
	    &jc->spec->start_retries);
}

static void
job_key_backoff_max(struct job_ctx *jc, const config_setting_t *s)
{
	(void)config_get_seconds(jc->cc, jc->label, s, 1, 0,
	    &jc->spec->backoff_max);
}

static void
job_key_stop_signal(struct job_ctx *jc, const config_setting_t *s)
{
	const char	*str;
	char		*quoted;
	int		 signo;

	if (config_get_string(jc->cc, jc->label, s, &str) != 0)
		return;
	if (sig_parse(str, &signo) != 0) {
		quoted = config_printable(str);
		config_error(jc->cc, s, "%s: unknown signal '%s'", jc->label,
		    quoted);
		free(quoted);
		return;
	}
	jc->spec->stop_signal = signo;
}

static void
job_key_stop_timeout(struct job_ctx *jc, const config_setting_t *s)
{
	(void)config_get_seconds(jc->cc, jc->label, s, 0, 1,
	    &jc->spec->stop_timeout);
}

/* Bytes: an integer, 0 (never rotate) or at least a little. */
static void
job_key_log_max_bytes(struct job_ctx *jc, const config_setting_t *s)
{
	long long	n;

	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		config_error(jc->cc, s, "%s: 'log_max_bytes' must be an "
		    "integer", jc->label);
		return;
	}
	n = config_setting_get_int64(s);
	/* Below a few lines a file would rotate on nearly every write. */
	if (n != 0 && n < 1024) {
		config_error(jc->cc, s, "%s: 'log_max_bytes' must be 0 or at "
		    "least 1024", jc->label);
		return;
	}
	jc->spec->log_max_bytes = n;
}

static void
job_key_log_backups(struct job_ctx *jc, const config_setting_t *s)
{
	(void)config_get_int(jc->cc, jc->label, s, 0, 1000,
	    &jc->spec->log_backups);
}

static void
job_key_log_timestamps(struct job_ctx *jc, const config_setting_t *s)
{
	(void)config_get_bool(jc->cc, jc->label, s,
	    &jc->spec->log_timestamps);
}

/*
 * user and group are names or numbers, looked up when the job starts (a
 * user may be created after the config is read); only their form is
 * checked here.
 */
static void
job_key_credential(struct job_ctx *jc, const config_setting_t *s,
    char **out)
{
	const char	*str;

	if (config_get_string(jc->cc, jc->label, s, &str) != 0)
		return;
	if (*str == '\0' || strchr(str, ':') != NULL ||
	    strchr(str, '\n') != NULL) {
		config_error(jc->cc, s, "%s: '%s' must be a name or a number",
		    jc->label, config_setting_name(s));
		return;
	}
	free(*out);
	*out = xstrdup(str);
}

static void
job_key_user(struct job_ctx *jc, const config_setting_t *s)
{
	job_key_credential(jc, s, &jc->spec->user);
}

static void
job_key_group(struct job_ctx *jc, const config_setting_t *s)
{
	job_key_credential(jc, s, &jc->spec->group);
}

static void
job_key_umask(struct job_ctx *jc, const config_setting_t *s)
{
	int	 mode;

	if (config_get_mode(jc->cc, jc->label, s, &mode) == 0)
		jc->spec->umask = mode;
}

/* limits = { nofile = 1024; core = 0; as = "unlimited"; ... }; */
static void
job_key_limits(struct job_ctx *jc, const config_setting_t *s)
{
	static const struct {
		const char	*name;
		int		 resource;
	} names[] = {
		{ "nofile", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC },
		{ "core", RLIMIT_CORE }, { "as", RLIMIT_AS },
		{ "cpu", RLIMIT_CPU }, { "fsize", RLIMIT_FSIZE },
		{ "memlock", RLIMIT_MEMLOCK }, { "stack", RLIMIT_STACK }
	};
	struct job_spec		*spec = jc->spec;
	const config_setting_t	*l;
	const char		*name;
	long long		 v;
	size_t			 j;
	int			 i, set[JOB_MAX_LIMITS] = { 0 };

	if (!config_setting_is_group(s)) {
		config_error(jc->cc, s, "%s: 'limits' must be a group",
		    jc->label);
		return;
	}
	spec->nlimits = 0;
	for (i = 0; i < config_setting_length(s); i++) {
		l = config_setting_get_elem(s, i);
		name = config_setting_name(l);
		for (j = 0; j < nitems(names); j++) {
			if (strcmp(name, names[j].name) == 0)
				break;
		}
		if (j == nitems(names)) {
			config_error(jc->cc, l, "%s: limits: unknown limit "
			    "'%s' (nofile, nproc, core, as, cpu, fsize, "
			    "memlock, stack)", jc->label, name);
			continue;
		}
		if (config_setting_type(l) == CONFIG_TYPE_STRING &&
		    strcmp(config_setting_get_string(l), "unlimited") == 0)
			v = -1;
		else if (config_setting_type(l) == CONFIG_TYPE_INT ||
		    config_setting_type(l) == CONFIG_TYPE_INT64) {
			if ((v = config_setting_get_int64(l)) < 0) {
				config_error(jc->cc, l, "%s: limits: '%s' must "
				    "not be negative", jc->label, name);
				continue;
			}
		} else {
			config_error(jc->cc, l, "%s: limits: '%s' must be an "
			    "integer or \"unlimited\"", jc->label, name);
			continue;
		}
		/* Kept in the table's order, once each: reloads compare. */
		spec->limits[j].resource = names[j].resource;
		spec->limits[j].value = v == -1 ? RLIM_INFINITY : (rlim_t)v;
		set[j] = 1;
	}
	spec->nlimits = 0;
	for (j = 0; j < nitems(names); j++) {
		if (set[j])
			spec->limits[spec->nlimits++] = spec->limits[j];
	}
}

static void
job_key_kill_group(struct job_ctx *jc, const config_setting_t *s)
{
	(void)config_get_bool(jc->cc, jc->label, s, &jc->spec->kill_group);
}

static void
job_key_ready(struct job_ctx *jc, const config_setting_t *s)
{
	const char	*str;
	char		*quoted;

	if (config_get_string(jc->cc, jc->label, s, &str) != 0)
		return;
	if (strcmp(str, "started") == 0)
		jc->spec->ready = READY_STARTED;
	else if (strcmp(str, "notify") == 0)
		jc->spec->ready = READY_NOTIFY;
	else {
		quoted = config_printable(str);
		config_error(jc->cc, s, "%s: 'ready' must be \"started\" or "
		    "\"notify\", not '%s'", jc->label, quoted);
		free(quoted);
	}
}

/*
 * The names are only checked for form here: the jobs they name may come
 * later in the file, or from include_dir.  config_after() does the rest,
 * with what is kept in an after_ref.  A name listed twice means what it
 * means once, as an exit code listed twice does in success_exit_codes.
 */
static void
job_key_after(struct job_ctx *jc, const config_setting_t *s)
{
	struct config_ctx	*cc = jc->cc;
	struct job_spec		*spec = jc->spec;
	struct after_ref	*ref;
	const config_setting_t	*e;
	const char		*name;
	char			*quoted;
	u_int			 i, j, n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		config_error(cc, s, "%s: 'after' must be an array of job "
		    "names", jc->label);
		return;
	}
	n = (u_int)config_setting_length(s);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			config_error(cc, e, "%s: 'after' must be an array of "
			    "job names", jc->label);
			return;
		}
		name = config_setting_get_string(e);
		if (!job_name_valid(name)) {
			quoted = config_printable(name);
			config_error(cc, e, "%s: 'after': '%s' is not a valid "
			    "job name", jc->label, quoted);
			free(quoted);
			return;
		}
	}
	if (n == 0)
		return;

	spec->after = xcalloc(n, sizeof *spec->after);
	for (i = 0; i < n; i++) {
		name = config_setting_get_string_elem(s, i);
		for (j = 0; j < spec->nafter; j++) {
			if (strcmp(spec->after[j], name) == 0)
				break;
		}
		if (j == spec->nafter)
			spec->after[spec->nafter++] = xstrdup(name);
	}

	cc->afters = xreallocarray(cc->afters, cc->nafters + 1,
	    sizeof *cc->afters);
	ref = &cc->afters[cc->nafters++];
	ref->spec = cc->config->nspecs - 1;	/* job_load() added it */
	ref->label = xstrdup(jc->label);
	ref->file = xstrdup(config_file(cc, s));
	ref->line = config_line(s);
}

/* What a job gets for the keys it left out that depend on other things. */
static void
job_defaults(struct job_ctx *jc)
{
	struct job_spec	*spec = jc->spec;
	struct config	*config = jc->cc->config;

	/* As if the file said directory = ".": its own directory. */
	if (spec->directory == NULL)
		spec->directory = xstrdup(jc->cc->dir);
	if (spec->success_codes == NULL) {
		spec->success_codes = xcalloc(1, sizeof *spec->success_codes);
		spec->success_codes[0] = 0;
		spec->nsuccess_codes = 1;
	}
	if (spec->environment == NULL)
		spec->environment = xcalloc(1, sizeof *spec->environment);

	/* Without a valid name there is no default log name either. */
	if (spec->name == NULL)
		return;
	if (!jc->stdout_given)
		xasprintf(&spec->stdout_path, "%s/%s.out", config->log_dir,
		    spec->name);
	if (!jc->stderr_given)
		xasprintf(&spec->stderr_path, "%s/%s.err", config->log_dir,
		    spec->name);
}

/* A spec with every default that does not depend on other settings. */
static struct job_spec *
job_spec_new(void)
{
	struct job_spec	*spec;

	spec = xcalloc(1, sizeof *spec);
	spec->stdout_target = STREAM_FILE;
	spec->stderr_target = STREAM_FILE;
	spec->autostart = 1;
	spec->restart = RESTART_ON_FAILURE;
	spec->start_seconds = 1;
	spec->start_retries = 3;
	spec->backoff_max = 30;
	spec->stop_signal = SIGTERM;
	spec->stop_timeout = 10;
	spec->kill_group = 1;
	spec->log_backups = 5;
	spec->umask = -1;
	return (spec);
}

void
job_spec_free(struct job_spec *spec)
{
	u_int	i;

	if (spec == NULL)
		return;
	free(spec->name);
	free(spec->file);
	for (i = 0; i < spec->nstages; i++)
		job_argv_free(spec->argvs[i]);
	free(spec->argvs);
	free(spec->executable);
	free(spec->directory);
	for (i = 0; i < spec->nenvironment; i++)
		free(spec->environment[i]);
	free(spec->environment);
	free(spec->stdin_path);
	free(spec->stdout_path);
	free(spec->stderr_path);
	free(spec->success_codes);
	for (i = 0; i < spec->nafter; i++)
		free(spec->after[i]);
	free(spec->after);
	free(spec->user);
	free(spec->group);
	free(spec->groups);
	free(spec);
}

static void
job_argv_free(char **argv)
{
	char	**ap;

	if (argv == NULL)
		return;
	for (ap = argv; *ap != NULL; ap++)
		free(*ap);
	free(argv);
}

/* strcmp that lets NULL ("not set") equal only NULL. */
static int
str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

static int
argv_equal(char **a, char **b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	for (; *a != NULL && *b != NULL; a++, b++) {
		if (strcmp(*a, *b) != 0)
			return (0);
	}
	return (*a == NULL && *b == NULL);
}

/*
 * The environment lists have no duplicates (libconfig refuses a name twice
 * in a group), so equal counts and inclusion one way make equal sets.
 */
static int
strings_same_set(char **a, u_int na, char **b, u_int nb)
{
	u_int	i, j;

	if (na != nb)
		return (0);
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++) {
			if (strcmp(a[i], b[j]) == 0)
				break;
		}
		if (j == nb)
			return (0);
	}
	return (1);
}

/* Exit codes may be listed twice: compare as sets, both ways. */
static int
ints_same_set(const int *a, u_int na, const int *b, u_int nb)
{
	u_int	i, j;

	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++) {
			if (a[i] == b[j])
				break;
		}
		if (j == nb)
			return (0);
	}
	for (j = 0; j < nb; j++) {
		for (i = 0; i < na; i++) {
			if (a[i] == b[j])
				break;
		}
		if (i == na)
			return (0);
	}
	return (1);
}
