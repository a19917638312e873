/*
 * test-config.c -- the config loader: what a valid file turns into, and the
 * exact "FILE:LINE: message" an operator gets for each kind of mistake.
 *
 * Every test writes its files into a fresh temporary directory, so that
 * relative paths have a known directory to resolve against.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corrald.h"
#include "unit.h"

#ifndef CORRAL_DEFAULT_SOCKET
#define CORRAL_DEFAULT_SOCKET	"/run/corral/corrald.sock"
#endif
#ifndef CORRAL_DEFAULT_LOG_DIR
#define CORRAL_DEFAULT_LOG_DIR	"/var/log/corral"
#endif

static char	*casedir;	/* one per test case */
static char	*tmpdir;	/* one per test, inside casedir */
static char	*conf_path;	/* tmpdir/corrald.conf */

static void		 config_case_setup(void);
static void		 config_case_teardown(void);
static void		 config_setup(void);
static void		 config_teardown(void);
static void		 remove_tree(const char *);
static void		 conf_write_file(const char *, const char *);
static void		 conf_write(const char *);
static struct config	*load_ok(const char *);
static char		*load_error(const char *);
static void		 check_error(const char *, int, const char *);
static char		*at(int, const char *);
static char		*in_dir(const char *);
static char		*at_in(const char *, int, const char *);
static void		 write_in(const char *, const char *);
static void		 mkdir_in(const char *);
static struct job_spec	*find_spec(struct config *, const char *);
static void		 check_after(struct job_spec *, const char *);

/*
 * A directory for the whole test case, made and removed by the runner
 * itself: a test that fails in its forked child never reaches its own
 * teardown, so whatever it leaves is swept up here.
 */
static void
config_case_setup(void)
{
	const char	*base;

	if ((base = getenv("TMPDIR")) == NULL || *base == '\0')
		base = "/tmp";
	xasprintf(&casedir, "%s/corral-test-config.XXXXXX", base);
	if (mkdtemp(casedir) == NULL)
		ck_abort_msg("mkdtemp %s: %s", casedir, strerror(errno));
}

static void
config_case_teardown(void)
{
	remove_tree(casedir);
	free(casedir);
	casedir = NULL;
}

/* A fresh directory inside it for each test. */
static void
config_setup(void)
{
	xasprintf(&tmpdir, "%s/t.XXXXXX", casedir);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	xasprintf(&conf_path, "%s/corrald.conf", tmpdir);
}

static void
config_teardown(void)
{
	remove_tree(tmpdir);
	free(conf_path);
	free(tmpdir);
	conf_path = tmpdir = NULL;
}

/* rm -rf, without following symbolic links. */
static void
remove_tree(const char *path)
{
	struct stat	 sb;
	struct dirent	*de;
	DIR		*d;
	char		*child;

	if (lstat(path, &sb) == -1)
		return;
	if (S_ISDIR(sb.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			xasprintf(&child, "%s/%s", path, de->d_name);
			remove_tree(child);
			free(child);
		}
		closedir(d);
		(void)rmdir(path);
	} else
		(void)unlink(path);
}

static void
conf_write_file(const char *path, const char *text)
{
	FILE	*f;

	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static void
conf_write(const char *text)
{
	conf_write_file(conf_path, text);
}

/* Load text as the config file; it must be valid. */
static struct config *
load_ok(const char *text)
{
	struct config	*config;
	char		*cause = NULL;

	conf_write(text);
	config = config_load(conf_path, &cause);
	ck_assert_msg(config != NULL, "unexpected error: %s", cause);
	ck_assert_ptr_null(cause);
	return (config);
}

/* Load text as the config file; it must fail.  Returns the errors. */
static char *
load_error(const char *text)
{
	struct config	*config;
	char		*cause = NULL;

	conf_write(text);
	config = config_load(conf_path, &cause);
	ck_assert_msg(config == NULL, "loaded a config that has errors");
	ck_assert_ptr_nonnull(cause);
	return (cause);
}

/* text must fail with exactly one error: msg at line. */
static void
check_error(const char *text, int line, const char *msg)
{
	char	*cause, *want;

	cause = load_error(text);
	want = at(line, msg);
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);
}

/* "FILE:LINE: msg" for the test's config file. */
static char *
at(int line, const char *msg)
{
	char	*s;

	xasprintf(&s, "%s:%d: %s", conf_path, line, msg);
	return (s);
}

static char *
in_dir(const char *rel)
{
	char	*s;

	xasprintf(&s, "%s/%s", tmpdir, rel);
	return (s);
}

/* "FILE:LINE: msg" for a file inside the test's directory. */
static char *
at_in(const char *rel, int line, const char *msg)
{
	char	*s;

	xasprintf(&s, "%s/%s:%d: %s", tmpdir, rel, line, msg);
	return (s);
}

static void
write_in(const char *rel, const char *text)
{
	char	*path;

	path = in_dir(rel);
	conf_write_file(path, text);
	free(path);
}

static void
mkdir_in(const char *rel)
{
	char	*path;

	path = in_dir(rel);
	ck_assert_msg(mkdir(path, 0700) == 0, "mkdir %s: %s", path,
	    strerror(errno));
	free(path);
}

static struct job_spec *
find_spec(struct config *config, const char *name)
{
	u_int	i;

	for (i = 0; i < config->nspecs; i++) {
		if (strcmp(config->specs[i]->name, name) == 0)
			return (config->specs[i]);
	}
	ck_abort_msg("no job '%s'", name);
	return (NULL);
}

/* spec's after, in order, must be the space-separated names in want. */
static void
check_after(struct job_spec *spec, const char *want)
{
	char	*got, *more;
	u_int	 i;

	got = xstrdup("");
	for (i = 0; i < spec->nafter; i++) {
		xasprintf(&more, "%s%s%s", got, i == 0 ? "" : " ",
		    spec->after[i]);
		free(got);
		got = more;
	}
	ck_assert_str_eq(got, want);
	free(got);
}

static const char full_conf[] =
	"daemon = {\n"					/* 1 */
	"  socket = \"run/corrald.sock\";\n"
	"  socket_mode = \"0660\";\n"
	"  log_dir = \"log\";\n"
	"};\n"						/* 5 */
	"jobs = (\n"
	"  { name = \"web\";\n"				/* 7 */
	"    command = [\"/usr/bin/python3\", \"-m\", \"http.server\", \"\"];\n"
	"    executable = \"python3\";\n"
	"    directory = \"./srv\";\n"			/* 10 */
	"    environment = { PORT = \"8000\"; EMPTY = \"\"; };\n"
	"    clear_environment = true;\n"
	"    stdin = \"in.txt\";\n"
	"    stdout = \"/var/tmp/web.out\";\n"
	"    stderr = \"stdout\";\n"			/* 15 */
	"    autostart = false;\n"
	"    restart = \"always\";\n"
	"    success_exit_codes = [0, 3, 255];\n"
	"    start_seconds = 2.5;\n"
	"    start_retries = 0;\n"			/* 20 */
	"    backoff_max = 60;\n"
	"    stop_signal = \"SIGINT\";\n"
	"    stop_timeout = 0.5;\n"
	"    kill_group = false;\n"
	"    pipefail = false;\n"			/* 25 */
	"  },\n"
	"  { name = \"sh\"; shell = \"echo hi | tr a-z A-Z\";\n"	/* 27 */
	"    stdin = \"null\"; stdout = \"null\"; stderr = \"null\";\n"
	"    restart = \"no\"; stop_signal = \"term\"; },\n"
	"  { name = \"ips\";\n"				/* 30 */
	"    pipeline = ([\"cat\", \"ip.txt\"], [\"grep\", \"IP\"],\n"
	"                [\"cut\", \"-d:\", \"-f2\"]);\n"
	"    pipefail = true; stderr = \"err/ips.err\"; stop_signal = \"15\";\n"
	"    directory = \"/\"; stdout = \"out/ips.out\"; },\n"
	"  { name = \"d.All-ok@1_x\"; command = [\"true\"]; }\n"	/* 35 */
	");\n";

START_TEST(test_full)
{
	struct config	*config;
	struct job_spec	*spec;
	char		*s;

	config = load_ok(full_conf);
	ck_assert_str_eq(config->path, conf_path);
	ck_assert_str_eq(config->dir, tmpdir);
	s = in_dir("run/corrald.sock");
	ck_assert_str_eq(config->socket_path, s);
	free(s);
	ck_assert_int_eq(config->socket_mode, 0660);
	s = in_dir("log");
	ck_assert_str_eq(config->log_dir, s);
	free(s);
	ck_assert_uint_eq(config->nspecs, 4);

	/* Every key given. */
	spec = config->specs[0];
	ck_assert_str_eq(spec->name, "web");
	ck_assert_str_eq(spec->file, conf_path);
	ck_assert_int_eq(spec->line, 7);
	ck_assert_uint_eq(spec->nstages, 1);
	ck_assert_int_eq(spec->is_shell, 0);
	ck_assert_int_eq(spec->is_pipeline, 0);
	ck_assert_str_eq(spec->argvs[0][0], "/usr/bin/python3");
	ck_assert_str_eq(spec->argvs[0][1], "-m");
	ck_assert_str_eq(spec->argvs[0][2], "http.server");
	ck_assert_str_eq(spec->argvs[0][3], "");
	ck_assert_ptr_null(spec->argvs[0][4]);
	ck_assert_str_eq(spec->executable, "python3");
	s = in_dir("srv");
	ck_assert_str_eq(spec->directory, s);
	free(s);
	ck_assert_uint_eq(spec->nenvironment, 2);
	ck_assert_str_eq(spec->environment[0], "PORT=8000");
	ck_assert_str_eq(spec->environment[1], "EMPTY=");
	ck_assert_int_eq(spec->clear_environment, 1);
	s = in_dir("in.txt");
	ck_assert_str_eq(spec->stdin_path, s);
	free(s);
	ck_assert_int_eq(spec->stdout_target, STREAM_FILE);
	ck_assert_str_eq(spec->stdout_path, "/var/tmp/web.out");
	ck_assert_int_eq(spec->stderr_target, STREAM_STDOUT);
	ck_assert_int_eq(spec->autostart, 0);
	ck_assert_int_eq(spec->restart, RESTART_ALWAYS);
	ck_assert_uint_eq(spec->nsuccess_codes, 3);
	ck_assert_int_eq(spec->success_codes[0], 0);
	ck_assert_int_eq(spec->success_codes[1], 3);
	ck_assert_int_eq(spec->success_codes[2], 255);
	ck_assert_double_eq(spec->start_seconds, 2.5);
	ck_assert_int_eq(spec->start_retries, 0);
	ck_assert_double_eq(spec->backoff_max, 60);
	ck_assert_int_eq(spec->stop_signal, SIGINT);
	ck_assert_double_eq(spec->stop_timeout, 0.5);
	ck_assert_int_eq(spec->kill_group, 0);
	ck_assert_int_eq(spec->pipefail, 0);

	/* shell, and the three "null"s. */
	spec = config->specs[1];
	ck_assert_str_eq(spec->name, "sh");
	ck_assert_int_eq(spec->line, 27);
	ck_assert_uint_eq(spec->nstages, 1);
	ck_assert_int_eq(spec->is_shell, 1);
	ck_assert_str_eq(spec->argvs[0][0], "/bin/sh");
	ck_assert_str_eq(spec->argvs[0][1], "-c");
	ck_assert_str_eq(spec->argvs[0][2], "echo hi | tr a-z A-Z");
	ck_assert_ptr_null(spec->argvs[0][3]);
	ck_assert_ptr_null(spec->stdin_path);
	ck_assert_int_eq(spec->stdout_target, STREAM_NULL);
	ck_assert_int_eq(spec->stderr_target, STREAM_NULL);
	ck_assert_int_eq(spec->restart, RESTART_NO);
	ck_assert_int_eq(spec->stop_signal, SIGTERM);

	/* A pipeline, with relative log paths. */
	spec = config->specs[2];
	ck_assert_str_eq(spec->name, "ips");
	ck_assert_uint_eq(spec->nstages, 3);
	ck_assert_int_eq(spec->is_pipeline, 1);
	ck_assert_int_eq(spec->is_shell, 0);
	ck_assert_int_eq(spec->pipefail, 1);
	ck_assert_str_eq(spec->argvs[0][0], "cat");
	ck_assert_str_eq(spec->argvs[0][1], "ip.txt");
	ck_assert_ptr_null(spec->argvs[0][2]);
	ck_assert_str_eq(spec->argvs[1][0], "grep");
	ck_assert_str_eq(spec->argvs[1][1], "IP");
	ck_assert_ptr_null(spec->argvs[1][2]);
	ck_assert_str_eq(spec->argvs[2][0], "cut");
	ck_assert_str_eq(spec->argvs[2][1], "-d:");
	ck_assert_str_eq(spec->argvs[2][2], "-f2");
	ck_assert_ptr_null(spec->argvs[2][3]);
	ck_assert_str_eq(spec->directory, "/");
	s = in_dir("out/ips.out");
	ck_assert_str_eq(spec->stdout_path, s);
	free(s);
	ck_assert_int_eq(spec->stderr_target, STREAM_FILE);
	s = in_dir("err/ips.err");
	ck_assert_str_eq(spec->stderr_path, s);
	free(s);
	ck_assert_int_eq(spec->stop_signal, SIGTERM);

	/* Nothing but name and command: every default. */
	spec = config->specs[3];
	ck_assert_str_eq(spec->name, "d.All-ok@1_x");
	ck_assert_uint_eq(spec->nstages, 1);
	ck_assert_str_eq(spec->argvs[0][0], "true");
	ck_assert_ptr_null(spec->argvs[0][1]);
	ck_assert_ptr_null(spec->executable);
	ck_assert_str_eq(spec->directory, tmpdir);
	ck_assert_uint_eq(spec->nenvironment, 0);
	ck_assert_int_eq(spec->clear_environment, 0);
	ck_assert_ptr_null(spec->stdin_path);
	ck_assert_int_eq(spec->stdout_target, STREAM_FILE);
	s = in_dir("log/d.All-ok@1_x.out");
	ck_assert_str_eq(spec->stdout_path, s);
	free(s);
	ck_assert_int_eq(spec->stderr_target, STREAM_FILE);
	s = in_dir("log/d.All-ok@1_x.err");
	ck_assert_str_eq(spec->stderr_path, s);
	free(s);
	ck_assert_int_eq(spec->autostart, 1);
	ck_assert_int_eq(spec->restart, RESTART_ON_FAILURE);
	ck_assert_uint_eq(spec->nsuccess_codes, 1);
	ck_assert_int_eq(spec->success_codes[0], 0);
	ck_assert_double_eq(spec->start_seconds, 1);
	ck_assert_int_eq(spec->start_retries, 3);
	ck_assert_double_eq(spec->backoff_max, 30);
	ck_assert_int_eq(spec->stop_signal, SIGTERM);
	ck_assert_double_eq(spec->stop_timeout, 10);
	ck_assert_int_eq(spec->kill_group, 1);
	ck_assert_int_eq(spec->pipefail, 0);
	ck_assert_int_eq(spec->is_shell, 0);
	ck_assert_int_eq(spec->is_pipeline, 0);
	ck_assert_int_eq(spec->ready, READY_STARTED);
	ck_assert_uint_eq(spec->nafter, 0);
	ck_assert_ptr_null(spec->after);
	ck_assert_ptr_null(config->include_dir);

	config_free(config);
}
END_TEST

START_TEST(test_defaults)
{
	struct config	*config;
	struct job_spec	*spec;
	char		*s;

	/* An empty file is a valid config with no jobs. */
	config = load_ok("");
	ck_assert_str_eq(config->socket_path, CORRAL_DEFAULT_SOCKET);
	ck_assert_int_eq(config->socket_mode, 0600);
	ck_assert_str_eq(config->log_dir, CORRAL_DEFAULT_LOG_DIR);
	ck_assert_uint_eq(config->nspecs, 0);
	config_free(config);

	config = load_ok("daemon = { };\njobs = ();\n");
	ck_assert_uint_eq(config->nspecs, 0);
	config_free(config);

	config = load_ok("jobs = [];\n");
	ck_assert_uint_eq(config->nspecs, 0);
	config_free(config);

	/* Job logs default to the default log_dir. */
	config = load_ok("jobs = ( { name = \"a\"; command = [\"x\"]; } );\n");
	spec = find_spec(config, "a");
	xasprintf(&s, "%s/a.out", CORRAL_DEFAULT_LOG_DIR);
	ck_assert_str_eq(spec->stdout_path, s);
	free(s);
	xasprintf(&s, "%s/a.err", CORRAL_DEFAULT_LOG_DIR);
	ck_assert_str_eq(spec->stderr_path, s);
	free(s);
	config_free(config);

	/* Absolute paths are kept; floats and ints both make seconds. */
	config = load_ok("daemon = { socket = \"/x/s.sock\"; "
	    "log_dir = \"/var/l\"; socket_mode = \"0\"; };\n"
	    "jobs = ( { name = \"a\"; command = [\"x\"]; start_seconds = 0; "
	    "stop_timeout = 3; backoff_max = 1.0; } );\n");
	ck_assert_str_eq(config->socket_path, "/x/s.sock");
	ck_assert_str_eq(config->log_dir, "/var/l");
	ck_assert_int_eq(config->socket_mode, 0);
	spec = find_spec(config, "a");
	ck_assert_str_eq(spec->stdout_path, "/var/l/a.out");
	ck_assert_double_eq(spec->start_seconds, 0);
	ck_assert_double_eq(spec->stop_timeout, 3);
	ck_assert_double_eq(spec->backoff_max, 1);
	config_free(config);
}
END_TEST

/* A relative config path is taken from the current directory. */
START_TEST(test_relative_path)
{
	struct config	*config;
	char		*cause = NULL, *cwd, *here, *s;

	conf_write("daemon = { log_dir = \"log\"; };\n");
	ck_assert_ptr_nonnull(cwd = getcwd(NULL, 0));
	ck_assert_int_eq(chdir(tmpdir), 0);
	ck_assert_ptr_nonnull(here = getcwd(NULL, 0));
	config = config_load("corrald.conf", &cause);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_msg(config != NULL, "unexpected error: %s", cause);

	ck_assert_str_eq(config->path, "corrald.conf");
	ck_assert_str_eq(config->dir, here);
	xasprintf(&s, "%s/log", here);
	ck_assert_str_eq(config->log_dir, s);
	free(s);
	config_free(config);
	free(here);
	free(cwd);
}
END_TEST

/* On success *cause is left exactly as it was. */
START_TEST(test_cause_untouched)
{
	struct config	*config;
	char		 sentinel[] = "untouched";
	char		*cause = sentinel;

	conf_write("jobs = ( { name = \"a\"; command = [\"x\"]; } );\n");
	config = config_load(conf_path, &cause);
	ck_assert_ptr_nonnull(config);
	ck_assert_ptr_eq(cause, sentinel);
	config_free(config);
}
END_TEST

START_TEST(test_missing_file)
{
	struct config	*config;
	char		*cause = NULL, *path, *want;

	path = in_dir("nope.conf");
	config = config_load(path, &cause);
	ck_assert_ptr_null(config);
	xasprintf(&want, "%s: %s", path, strerror(ENOENT));
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);
	free(path);

	/* libconfig refuses a directory without saying why: we do. */
	cause = NULL;
	config = config_load(tmpdir, &cause);
	ck_assert_ptr_null(config);
	xasprintf(&want, "%s: %s", tmpdir, strerror(EISDIR));
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);
}
END_TEST

START_TEST(test_syntax_error)
{
	char	*cause, *want;

	cause = load_error("daemon = {\n  socket = ;\n};\n");
	want = at(2, "syntax error");
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);

	/* libconfig's own check, reported the same way. */
	cause = load_error("jobs = (\n  { name = \"a\";\n    name = \"b\"; }\n"
	    ");\n");
	want = at(3, "");
	ck_assert_msg(strncmp(cause, want, strlen(want)) == 0,
	    "'%s' does not start with '%s'", cause, want);
	ck_assert_ptr_nonnull(strstr(cause, "duplicate"));
	free(want);
	free(cause);
}
END_TEST

START_TEST(test_unknown_root)
{
	check_error("daemon = { };\n\ndemon = { socket = \"x\"; };\n", 3,
	    "unknown setting 'demon'");
	check_error("job = ();\n", 1, "unknown setting 'job'");
	check_error("daemon = 1;\n", 1, "'daemon' must be a group");
	check_error("jobs = { };\n", 1, "'jobs' must be a list of groups");
	check_error("jobs = [\"a\"];\n", 1, "'jobs' must be a list of groups");
	/* libconfig dates a scalar by the token that follows it. */
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"]; },\n"
	    "  \"b\" );\n", 3, "jobs: entry 2 must be a group");
}
END_TEST

START_TEST(test_unknown_key)
{
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    comand = [\"y\"]; }\n);\n", 3,
	    "job 'a': unknown key 'comand'");
	check_error("daemon = {\n  sockets = \"x\";\n};\n", 2,
	    "daemon: unknown key 'sockets'");
}
END_TEST

/* The log keys: defaults, values, and what is refused. */
START_TEST(test_log_keys)
{
	struct config	*config;
	char		*cause = NULL;

	conf_write("jobs = (\n  { name = \"a\"; command = [\"x\"]; },\n"
	    "  { name = \"b\"; command = [\"x\"]; log_max_bytes = 10000;\n"
	    "    log_backups = 0; log_timestamps = true; },\n"
	    "  { name = \"c\"; command = [\"x\"];"
	    " log_max_bytes = 5000000000L; }\n);\n");
	config = config_load(conf_path, &cause);
	ck_assert_msg(config != NULL, "%s", cause);
	ck_assert_int_eq(config->specs[0]->log_max_bytes, 0);
	ck_assert_int_eq(config->specs[0]->log_backups, 5);
	ck_assert_int_eq(config->specs[0]->log_timestamps, 0);
	ck_assert_int_eq(config->specs[1]->log_max_bytes, 10000);
	ck_assert_int_eq(config->specs[1]->log_backups, 0);
	ck_assert_int_eq(config->specs[1]->log_timestamps, 1);
	ck_assert(config->specs[2]->log_max_bytes == 5000000000LL);
	ck_assert(!job_spec_equal(config->specs[0], config->specs[1]));
	config_free(config);

	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    log_max_bytes = 100; }\n);\n", 3,
	    "job 'a': 'log_max_bytes' must be 0 or at least 1024");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    log_max_bytes = \"1M\"; }\n);\n", 3,
	    "job 'a': 'log_max_bytes' must be an integer");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    log_backups = -1; }\n);\n", 3,
	    "job 'a': 'log_backups' must be between 0 and 1000");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    log_timestamps = 1; }\n);\n", 3,
	    "job 'a': 'log_timestamps' must be a boolean");
}
END_TEST

/* user, group, umask, limits, and the daemon's socket_group. */
START_TEST(test_credentials_and_limits)
{
	struct config	*config;
	char		*cause = NULL;

	conf_write("daemon = { socket_group = \"adm\"; };\n"
	    "jobs = (\n  { name = \"a\"; command = [\"x\"]; },\n"
	    "  { name = \"b\"; command = [\"x\"]; user = \"nobody\";\n"
	    "    group = \"65534\"; umask = \"027\";\n"
	    "    limits = { core = 0; nofile = 512; as = \"unlimited\"; }; }\n"
	    ");\n");
	config = config_load(conf_path, &cause);
	ck_assert_msg(config != NULL, "%s", cause);
	ck_assert_str_eq(config->socket_group, "adm");
	/* A group for the socket makes its default mode 0660... */
	ck_assert_int_eq(config->socket_mode, 0660);
	ck_assert_ptr_null(config->specs[0]->user);
	ck_assert_ptr_null(config->specs[0]->group);
	ck_assert_int_eq(config->specs[0]->umask, -1);
	ck_assert_uint_eq(config->specs[0]->nlimits, 0);
	ck_assert_str_eq(config->specs[1]->user, "nobody");
	ck_assert_str_eq(config->specs[1]->group, "65534");
	ck_assert_int_eq(config->specs[1]->umask, 027);
	/* Kept in one order whatever the file's: nofile, core, as. */
	ck_assert_uint_eq(config->specs[1]->nlimits, 3);
	ck_assert_int_eq(config->specs[1]->limits[0].resource, RLIMIT_NOFILE);
	ck_assert(config->specs[1]->limits[0].value == 512);
	ck_assert_int_eq(config->specs[1]->limits[1].resource, RLIMIT_CORE);
	ck_assert(config->specs[1]->limits[1].value == 0);
	ck_assert_int_eq(config->specs[1]->limits[2].resource, RLIMIT_AS);
	ck_assert(config->specs[1]->limits[2].value == RLIM_INFINITY);
	ck_assert(!job_spec_equal(config->specs[0], config->specs[1]));
	config_free(config);

	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    umask = \"999\"; }\n);\n", 3,
	    "job 'a': 'umask' must be an octal mode from 0000 to 0777, "
	    "not '999'");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    user = \"\"; }\n);\n", 3,
	    "job 'a': 'user' must be a name or a number");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    group = 5; }\n);\n", 3, "job 'a': 'group' must be a string");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    limits = { files = 5; }; }\n);\n", 3,
	    "job 'a': limits: unknown limit 'files' (nofile, nproc, core, "
	    "as, cpu, fsize, memlock, stack)");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    limits = { core = -1; }; }\n);\n", 3,
	    "job 'a': limits: 'core' must not be negative");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    limits = 5; }\n);\n", 3,
	    "job 'a': 'limits' must be a group");
	check_error("daemon = {\n  socket_group = \"\";\n};\n", 2,
	    "daemon: 'socket_group' must not be empty");

	/* ...unless socket_mode says otherwise; without a group, 0600. */
	conf_write("daemon = { socket_group = \"adm\";"
	    " socket_mode = \"0600\"; };\njobs = ();\n");
	config = config_load(conf_path, &cause);
	ck_assert_msg(config != NULL, "%s", cause);
	ck_assert_int_eq(config->socket_mode, 0600);
	config_free(config);
	conf_write("jobs = ();\n");
	config = config_load(conf_path, &cause);
	ck_assert_msg(config != NULL, "%s", cause);
	ck_assert_int_eq(config->socket_mode, 0600);
	config_free(config);
}
END_TEST

START_TEST(test_wrong_type)
{
	/* bool */
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    autostart = 1; }\n);\n", 3,
	    "job 'a': 'autostart' must be a boolean");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    kill_group = \"yes\"; }\n);\n", 3,
	    "job 'a': 'kill_group' must be a boolean");
	/* int */
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    start_retries = \"3\"; }\n);\n", 3,
	    "job 'a': 'start_retries' must be an integer");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    start_retries = 2.0; }\n);\n", 3,
	    "job 'a': 'start_retries' must be an integer");
	/* number */
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    stop_timeout = \"10\"; }\n);\n", 3,
	    "job 'a': 'stop_timeout' must be a number");
	/* string */
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    directory = 5; }\n);\n", 3,
	    "job 'a': 'directory' must be a string");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    stop_signal = 15; }\n);\n", 3,
	    "job 'a': 'stop_signal' must be a string");
	check_error("jobs = (\n  { name = 5; command = [\"x\"]; }\n);\n", 2,
	    "job #1: 'name' must be a string");
	check_error("daemon = {\n  socket = [\"x\"];\n};\n", 2,
	    "daemon: 'socket' must be a string");
	/* array */
	check_error("jobs = (\n  { name = \"a\";\n    command = \"ls -l\"; }\n"
	    ");\n", 3, "job 'a': 'command' must be an array of strings");
	check_error("jobs = (\n  { name = \"a\";\n    command = [1, 2]; }\n"
	    ");\n", 3, "job 'a': 'command' must be an array of strings");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    success_exit_codes = 0; }\n);\n", 3,
	    "job 'a': 'success_exit_codes' must be an array of integers");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    success_exit_codes = [\"0\"]; }\n);\n", 3,
	    "job 'a': 'success_exit_codes' must be an array of integers");
	check_error("jobs = (\n  { name = \"a\";\n    pipeline = \"a | b\"; }\n"
	    ");\n", 3, "job 'a': 'pipeline' must be a list of string arrays");
	check_error("jobs = (\n  { name = \"a\";\n"
	    "    pipeline = ([\"a\"], \"b\"); }\n);\n", 3,
	    "job 'a': pipeline stage 2 must be an array of strings");
	/* group */
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    environment = [\"A=1\"]; }\n);\n", 3,
	    "job 'a': 'environment' must be a group of strings");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    environment = {\n      A = \"1\";\n      B = 2;\n    };\n"
	    "  }\n);\n", 5, "job 'a': environment 'B' must be a string");
}
END_TEST

START_TEST(test_bad_values)
{
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    restart = \"sometimes\"; }\n);\n", 3,
	    "job 'a': 'restart' must be \"no\", \"on-failure\" or "
	    "\"always\", not 'sometimes'");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    restart = \"On-Failure\"; }\n);\n", 3,
	    "job 'a': 'restart' must be \"no\", \"on-failure\" or "
	    "\"always\", not 'On-Failure'");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    success_exit_codes = [0, 256]; }\n);\n", 3,
	    "job 'a': 'success_exit_codes': 256 is not an exit code "
	    "(0 to 255)");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    success_exit_codes = [-1]; }\n);\n", 3,
	    "job 'a': 'success_exit_codes': -1 is not an exit code "
	    "(0 to 255)");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    success_exit_codes = []; }\n);\n", 3,
	    "job 'a': 'success_exit_codes' must not be empty");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    start_seconds = -1; }\n);\n", 3,
	    "job 'a': 'start_seconds' must be at least 0");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    start_retries = -1; }\n);\n", 3,
	    "job 'a': 'start_retries' must be at least 0");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    backoff_max = 0.5; }\n);\n", 3,
	    "job 'a': 'backoff_max' must be at least 1");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    stop_timeout = 0; }\n);\n", 3,
	    "job 'a': 'stop_timeout' must be greater than 0");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    stop_timeout = 1e12; }\n);\n", 3,
	    "job 'a': 'stop_timeout' must be at most 1e+09");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    directory = \"\"; }\n);\n", 3,
	    "job 'a': 'directory' must not be empty");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    stdout = \"\"; }\n);\n", 3,
	    "job 'a': 'stdout' must not be empty");
	check_error("jobs = (\n  { name = \"a\"; shell = \"\"; }\n);\n", 2,
	    "job 'a': 'shell' must not be empty");
}
END_TEST

START_TEST(test_bad_signal)
{
	struct config	*config;

	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    stop_signal = \"FOO\"; }\n);\n", 3,
	    "job 'a': unknown signal 'FOO'");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    stop_signal = \"0\"; }\n);\n", 3,
	    "job 'a': unknown signal '0'");

	config = load_ok("jobs = ( { name = \"a\"; command = [\"x\"]; "
	    "stop_signal = \"hup\"; },\n"
	    "  { name = \"b\"; command = [\"x\"]; stop_signal = \"9\"; } );\n");
	ck_assert_int_eq(find_spec(config, "a")->stop_signal, SIGHUP);
	ck_assert_int_eq(find_spec(config, "b")->stop_signal, SIGKILL);
	config_free(config);
}
END_TEST

START_TEST(test_bad_socket_mode)
{
	check_error("daemon = {\n  socket_mode = \"0999\";\n};\n", 2,
	    "daemon: 'socket_mode' must be an octal mode from 0000 to 0777, "
	    "not '0999'");
	check_error("daemon = {\n  socket_mode = \"01000\";\n};\n", 2,
	    "daemon: 'socket_mode' must be an octal mode from 0000 to 0777, "
	    "not '01000'");
	check_error("daemon = {\n  socket_mode = \" 600\";\n};\n", 2,
	    "daemon: 'socket_mode' must be an octal mode from 0000 to 0777, "
	    "not ' 600'");
	check_error("daemon = {\n  socket_mode = \"\";\n};\n", 2,
	    "daemon: 'socket_mode' must be an octal mode from 0000 to 0777, "
	    "not ''");
	/* An int would be read as decimal by libconfig: refuse the doubt. */
	check_error("daemon = {\n  socket_mode = 0600;\n};\n", 2,
	    "daemon: 'socket_mode' must be a string");
}
END_TEST

START_TEST(test_duplicate_name)
{
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"]; },\n"
	    "  { name = \"b\"; command = [\"x\"]; },\n"
	    "  { command = [\"y\"];\n    name = \"a\"; }\n);\n", 5,
	    "job 'a': duplicate name, first defined at line 2");
}
END_TEST

START_TEST(test_bad_name)
{
	struct config	*config;
	char		 name[66], *text;

	check_error("jobs = (\n  { name = \"we b\"; command = [\"x\"]; }\n"
	    ");\n", 2, "job #1: name 'we b' may only contain letters, "
	    "digits, '_', '.', '@' and '-'");
	check_error("jobs = (\n  { name = \"a/b\"; command = [\"x\"]; }\n"
	    ");\n", 2, "job #1: name 'a/b' may only contain letters, "
	    "digits, '_', '.', '@' and '-'");
	check_error("jobs = (\n  { name = \"\"; command = [\"x\"]; }\n"
	    ");\n", 2, "job #1: 'name' must not be empty");
	check_error("jobs = (\n  { command = [\"x\"]; }\n);\n", 2,
	    "job #1: 'name' is required");

	/* 64 characters are fine, 65 are not. */
	memset(name, 'n', 64);
	name[64] = '\0';
	xasprintf(&text, "jobs = ( { name = \"%s\"; command = [\"x\"]; } );\n",
	    name);
	config = load_ok(text);
	ck_assert_str_eq(config->specs[0]->name, name);
	config_free(config);
	free(text);

	name[64] = 'n';
	name[65] = '\0';
	xasprintf(&text, "jobs = (\n  { name = \"%s\"; command = [\"x\"]; }\n"
	    ");\n", name);
	check_error(text, 2, "job #1: name is longer than 64 characters");
	free(text);
}
END_TEST

START_TEST(test_reserved_name)
{
	check_error("jobs = (\n  { name = \"b\"; command = [\"x\"]; },\n"
	    "  { name = \"all\"; command = [\"x\"]; }\n);\n", 3,
	    "job #2: name 'all' is reserved: corralctl uses it for every job");
}
END_TEST

START_TEST(test_program_count)
{
	check_error("jobs = (\n  { name = \"a\";\n    restart = \"no\"; }\n"
	    ");\n", 2, "job 'a': needs one of command, shell or pipeline");
	check_error("jobs = (\n  { name = \"a\";\n    command = [\"x\"];\n"
	    "    shell = \"x\"; }\n);\n", 4,
	    "job 'a': command, shell and pipeline are mutually exclusive");
	check_error("jobs = (\n  { name = \"a\";\n    pipeline = ([\"x\"]);\n"
	    "    command = [\"x\"]; shell = \"x\"; }\n);\n", 4,
	    "job 'a': command, shell and pipeline are mutually exclusive");
}
END_TEST

START_TEST(test_empty_command)
{
	struct config	*config;

	check_error("jobs = (\n  { name = \"a\";\n    command = []; }\n);\n", 3,
	    "job 'a': 'command' must not be empty");
	check_error("jobs = (\n  { name = \"a\";\n"
	    "    command = [\"\", \"x\"]; }\n);\n", 3,
	    "job 'a': 'command' has an empty program name");
	check_error("jobs = (\n  { name = \"a\";\n    pipeline = (); }\n);\n",
	    3, "job 'a': 'pipeline' must not be empty");
	check_error("jobs = (\n  { name = \"a\";\n"
	    "    pipeline = ([\"x\"], []); }\n);\n", 3,
	    "job 'a': pipeline stage 2 must not be empty");
	check_error("jobs = (\n  { name = \"a\";\n"
	    "    pipeline = ([\"x\"], [\"\"]); }\n);\n", 3,
	    "job 'a': pipeline stage 2 has an empty program name");

	/* A one-stage pipeline is still a pipeline. */
	config = load_ok("jobs = ( { name = \"a\"; pipeline = ([\"x\"]); } "
	    ");\n");
	ck_assert_uint_eq(config->specs[0]->nstages, 1);
	ck_assert_int_eq(config->specs[0]->is_pipeline, 1);
	config_free(config);
}
END_TEST

/* Every error is reported, in the order of the file, and nothing loads. */
START_TEST(test_several_errors)
{
	char	*cause, *want, *e1, *e2, *e3, *e4;

	cause = load_error(
	    "jobs = (\n"					/* 1 */
	    "  { name = \"a\"; command = [\"x\"];\n"
	    "    autostart = 1; },\n"				/* 3 */
	    "  { name = \"b\"; command = [\"x\"];\n"
	    "    stop_signal = \"FOO\"; }\n"			/* 5 */
	    ");\n"
	    "daemon = {\n"
	    "  colour = \"blue\";\n"				/* 8 */
	    "};\n");
	e1 = at(3, "job 'a': 'autostart' must be a boolean");
	e2 = at(5, "job 'b': unknown signal 'FOO'");
	e3 = at(8, "daemon: unknown key 'colour'");
	xasprintf(&want, "%s\n%s\n%s", e1, e2, e3);
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);

	/* Two in one job: a bad key and a missing command. */
	cause = load_error("jobs = (\n  { name = \"a\";\n    x = 1; }\n);\n");
	free(e1);
	free(e2);
	e1 = at(2, "job 'a': needs one of command, shell or pipeline");
	e2 = at(3, "job 'a': unknown key 'x'");
	xasprintf(&want, "%s\n%s", e1, e2);
	ck_assert_str_eq(cause, want);
	ck_assert_int_eq(cause[strlen(cause) - 1] != '\n', 1);
	free(want);
	free(cause);

	/* A job after one with errors is still checked. */
	cause = load_error("jobs = (\n  { name = \"a\"; command = 1; },\n"
	    "  { name = \"a\"; command = [\"x\"]; }\n);\n");
	free(e3);
	e3 = at(2, "job 'a': 'command' must be an array of strings");
	e4 = at(3, "job 'a': duplicate name, first defined at line 2");
	xasprintf(&want, "%s\n%s", e3, e4);
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);
	free(e1);
	free(e2);
	free(e3);
	free(e4);
}
END_TEST

START_TEST(test_spec_equal)
{
	struct config	*a, *b;
	char		*moved;
	u_int		 i;

	/* The same text loaded twice. */
	a = load_ok(full_conf);
	b = load_ok(full_conf);
	ck_assert_uint_eq(a->nspecs, b->nspecs);
	for (i = 0; i < a->nspecs; i++)
		ck_assert_int_eq(job_spec_equal(a->specs[i], b->specs[i]), 1);
	ck_assert_int_eq(job_spec_equal(a->specs[0], a->specs[1]), 0);
	config_free(b);

	/* Where a job is defined does not matter. */
	xasprintf(&moved, "\n\n# moved down\n%s", full_conf);
	b = load_ok(moved);
	free(moved);
	ck_assert_int_ne(a->specs[0]->line, b->specs[0]->line);
	for (i = 0; i < a->nspecs; i++)
		ck_assert_int_eq(job_spec_equal(a->specs[i], b->specs[i]), 1);
	config_free(b);
	config_free(a);

	/* One key changed: only that job differs. */
	a = load_ok("jobs = ( { name = \"a\"; command = [\"x\", \"1\"]; },\n"
	    "  { name = \"b\"; command = [\"y\"]; } );\n");
	b = load_ok("jobs = ( { name = \"a\"; command = [\"x\", \"2\"]; },\n"
	    "  { name = \"b\"; command = [\"y\"]; } );\n");
	ck_assert_int_eq(job_spec_equal(a->specs[0], b->specs[0]), 0);
	ck_assert_int_eq(job_spec_equal(a->specs[1], b->specs[1]), 1);
	config_free(b);

	b = load_ok("jobs = ( { name = \"a\"; command = [\"x\", \"1\"]; "
	    "stop_timeout = 11; },\n"
	    "  { name = \"b\"; command = [\"y\"]; } );\n");
	ck_assert_int_eq(job_spec_equal(a->specs[0], b->specs[0]), 0);
	config_free(b);

	/* A default spelt out is no change. */
	b = load_ok("jobs = ( { name = \"a\"; command = [\"x\", \"1\"]; "
	    "stop_signal = \"TERM\"; restart = \"on-failure\"; },\n"
	    "  { name = \"b\"; command = [\"y\"]; } );\n");
	ck_assert_int_eq(job_spec_equal(a->specs[0], b->specs[0]), 1);
	config_free(b);
	config_free(a);

	/* shell = "x" is not command = ["/bin/sh", "-c", "x"]. */
	a = load_ok("jobs = ( { name = \"a\"; shell = \"x\"; } );\n");
	b = load_ok("jobs = ( { name = \"a\"; "
	    "command = [\"/bin/sh\", \"-c\", \"x\"]; } );\n");
	ck_assert_int_eq(job_spec_equal(a->specs[0], b->specs[0]), 0);
	config_free(b);
	config_free(a);

	/* The order of environment entries means nothing. */
	a = load_ok("jobs = ( { name = \"a\"; command = [\"x\"]; "
	    "environment = { A = \"1\"; B = \"2\"; }; } );\n");
	b = load_ok("jobs = ( { name = \"a\"; command = [\"x\"]; "
	    "environment = { B = \"2\"; A = \"1\"; }; } );\n");
	ck_assert_int_eq(job_spec_equal(a->specs[0], b->specs[0]), 1);
	config_free(b);
	b = load_ok("jobs = ( { name = \"a\"; command = [\"x\"]; "
	    "environment = { B = \"2\"; A = \"3\"; }; } );\n");
	ck_assert_int_eq(job_spec_equal(a->specs[0], b->specs[0]), 0);
	config_free(b);
	config_free(a);

	/* ready counts; so does after, as a set. */
	a = load_ok("jobs = ( { name = \"a\"; command = [\"x\"]; } );\n");
	b = load_ok("jobs = ( { name = \"a\"; command = [\"x\"]; "
	    "ready = \"notify\"; } );\n");
	ck_assert_int_eq(job_spec_equal(a->specs[0], b->specs[0]), 0);
	config_free(b);
	b = load_ok("jobs = ( { name = \"a\"; command = [\"x\"]; "
	    "ready = \"started\"; after = []; } );\n");
	ck_assert_int_eq(job_spec_equal(a->specs[0], b->specs[0]), 1);
	config_free(b);
	b = load_ok("jobs = ( { name = \"a\"; command = [\"x\"]; "
	    "after = [\"b\"]; },\n"
	    "  { name = \"b\"; command = [\"y\"]; } );\n");
	ck_assert_int_eq(job_spec_equal(a->specs[0], b->specs[0]), 0);
	config_free(a);
	a = load_ok("jobs = ( { name = \"a\"; command = [\"x\"]; "
	    "after = [\"c\", \"b\", \"b\"]; },\n"
	    "  { name = \"b\"; command = [\"y\"]; },\n"
	    "  { name = \"c\"; command = [\"y\"]; } );\n");
	ck_assert_int_eq(job_spec_equal(a->specs[0], b->specs[0]), 0);
	config_free(b);
	b = load_ok("jobs = ( { name = \"a\"; command = [\"x\"]; "
	    "after = [\"b\", \"c\"]; },\n"
	    "  { name = \"b\"; command = [\"y\"]; },\n"
	    "  { name = \"c\"; command = [\"y\"]; } );\n");
	ck_assert_int_eq(job_spec_equal(a->specs[0], b->specs[0]), 1);
	ck_assert_int_eq(job_spec_equal(b->specs[0], a->specs[0]), 1);
	config_free(b);
	b = load_ok("jobs = ( { name = \"a\"; command = [\"x\"]; "
	    "after = [\"b\", \"d\"]; },\n"
	    "  { name = \"b\"; command = [\"y\"]; },\n"
	    "  { name = \"d\"; command = [\"y\"]; } );\n");
	ck_assert_int_eq(job_spec_equal(a->specs[0], b->specs[0]), 0);
	config_free(b);
	config_free(a);

	/* A changed log_dir changes the default log paths. */
	a = load_ok("jobs = ( { name = \"a\"; command = [\"x\"]; } );\n");
	b = load_ok("daemon = { log_dir = \"elsewhere\"; };\n"
	    "jobs = ( { name = \"a\"; command = [\"x\"]; } );\n");
	ck_assert_int_eq(job_spec_equal(a->specs[0], b->specs[0]), 0);
	config_free(b);
	config_free(a);
}
END_TEST

START_TEST(test_ready)
{
	struct config	*config;

	config = load_ok("jobs = (\n"
	    "  { name = \"a\"; command = [\"x\"]; },\n"
	    "  { name = \"b\"; command = [\"x\"]; ready = \"started\"; },\n"
	    "  { name = \"c\"; command = [\"x\"]; ready = \"notify\"; }\n"
	    ");\n");
	ck_assert_int_eq(find_spec(config, "a")->ready, READY_STARTED);
	ck_assert_int_eq(find_spec(config, "b")->ready, READY_STARTED);
	ck_assert_int_eq(find_spec(config, "c")->ready, READY_NOTIFY);
	config_free(config);

	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    ready = \"Notify\"; }\n);\n", 3,
	    "job 'a': 'ready' must be \"started\" or \"notify\", not 'Notify'");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    ready = \"\"; }\n);\n", 3,
	    "job 'a': 'ready' must be \"started\" or \"notify\", not ''");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    ready = true; }\n);\n", 3,
	    "job 'a': 'ready' must be a string");
}
END_TEST

START_TEST(test_after)
{
	struct config	*config;

	/* Names may come later in the file; a list works as an array. */
	config = load_ok("jobs = (\n"
	    "  { name = \"web\"; command = [\"x\"];\n"
	    "    after = [\"db\", \"cache\"]; },\n"
	    "  { name = \"db\"; command = [\"x\"]; after = (\"disk\"); },\n"
	    "  { name = \"cache\"; command = [\"x\"]; after = []; },\n"
	    "  { name = \"disk\"; command = [\"x\"]; }\n"
	    ");\n");
	check_after(find_spec(config, "web"), "db cache");
	check_after(find_spec(config, "db"), "disk");
	check_after(find_spec(config, "cache"), "");
	check_after(find_spec(config, "disk"), "");
	config_free(config);

	/* A name listed twice means what it means once. */
	config = load_ok("jobs = (\n"
	    "  { name = \"a\"; command = [\"x\"];\n"
	    "    after = [\"c\", \"b\", \"c\", \"b\"]; },\n"
	    "  { name = \"b\"; command = [\"x\"]; },\n"
	    "  { name = \"c\"; command = [\"x\"]; }\n"
	    ");\n");
	check_after(find_spec(config, "a"), "c b");
	config_free(config);

	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    after = \"b\"; },\n  { name = \"b\"; command = [\"x\"]; }\n"
	    ");\n", 3, "job 'a': 'after' must be an array of job names");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    after = [1]; }\n);\n", 3,
	    "job 'a': 'after' must be an array of job names");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    after = [\"we b\"]; }\n);\n", 3,
	    "job 'a': 'after': 'we b' is not a valid job name");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    after = [\"\"]; }\n);\n", 3,
	    "job 'a': 'after': '' is not a valid job name");
	check_error("jobs = (\n  { name = \"a\"; command = [\"x\"];\n"
	    "    after = [\"all\"]; }\n);\n", 3,
	    "job 'a': 'after': 'all' is not a valid job name");
}
END_TEST

START_TEST(test_after_unknown)
{
	char	*cause, *want, *e1, *e2;

	/* At the line of `after`, not of the job. */
	check_error("jobs = (\n"
	    "  { name = \"web\";\n"
	    "    command = [\"x\"];\n"
	    "    after = [\"db\"]; }\n"				/* 4 */
	    ");\n", 4, "job 'web': 'after' names unknown job 'db'");

	/* Each unknown name is its own error; known ones are fine. */
	cause = load_error("jobs = (\n"
	    "  { name = \"web\"; command = [\"x\"];\n"
	    "    after = [\"db\", \"a\", \"cache\"]; },\n"	/* 3 */
	    "  { name = \"a\"; command = [\"x\"]; }\n"
	    ");\n");
	e1 = at(3, "job 'web': 'after' names unknown job 'db'");
	e2 = at(3, "job 'web': 'after' names unknown job 'cache'");
	xasprintf(&want, "%s\n%s", e1, e2);
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);
	free(e1);
	free(e2);
}
END_TEST

START_TEST(test_after_cycle)
{
	char	*cause, *want, *e1, *e2;

	check_error("jobs = (\n"
	    "  { name = \"a\"; command = [\"x\"];\n"
	    "    after = [\"a\"]; }\n"
	    ");\n", 3, "job 'a': 'after' makes a cycle: a -> a");

	/* Once per cycle, at the job of it defined first. */
	check_error("jobs = (\n"
	    "  { name = \"a\"; command = [\"x\"];\n"
	    "    after = [\"b\"]; },\n"				/* 3 */
	    "  { name = \"b\"; command = [\"x\"];\n"
	    "    after = [\"a\"]; }\n"				/* 5 */
	    ");\n", 3, "job 'a': 'after' makes a cycle: a -> b -> a");
	check_error("jobs = (\n"
	    "  { name = \"a\"; command = [\"x\"];\n"
	    "    after = [\"b\"]; },\n"				/* 3 */
	    "  { name = \"c\"; command = [\"x\"];\n"
	    "    after = [\"a\"]; },\n"				/* 5 */
	    "  { name = \"b\"; command = [\"x\"];\n"
	    "    after = [\"c\"]; }\n"				/* 7 */
	    ");\n", 3, "job 'a': 'after' makes a cycle: a -> b -> c -> a");

	/* Entered from outside, the cycle is still told from its first job. */
	check_error("jobs = (\n"
	    "  { name = \"x\"; command = [\"x\"]; after = [\"c\"]; },\n"
	    "  { name = \"a\"; command = [\"x\"];\n"
	    "    after = [\"b\"]; },\n"				/* 4 */
	    "  { name = \"b\"; command = [\"x\"]; after = [\"c\"]; },\n"
	    "  { name = \"c\"; command = [\"x\"]; after = [\"a\"]; }\n"
	    ");\n", 4, "job 'a': 'after' makes a cycle: a -> b -> c -> a");

	/* Two cycles, two errors; a shared dependency is no cycle. */
	cause = load_error("jobs = (\n"
	    "  { name = \"a\"; command = [\"x\"]; after = [\"b\", \"z\"]; },\n"
	    "  { name = \"b\"; command = [\"x\"]; after = [\"a\", \"z\"]; },\n"
	    "  { name = \"z\"; command = [\"x\"]; },\n"
	    "  { name = \"s\"; command = [\"x\"]; after = [\"z\", \"s\"]; }\n"
	    ");\n");
	e1 = at(2, "job 'a': 'after' makes a cycle: a -> b -> a");
	e2 = at(5, "job 's': 'after' makes a cycle: s -> s");
	xasprintf(&want, "%s\n%s", e1, e2);
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);
	free(e1);
	free(e2);
}
END_TEST

/* Jobs from include_dir come after the main file's, file by file. */
START_TEST(test_include)
{
	struct config	*config;
	struct job_spec	*spec;
	char		*s;

	mkdir_in("jobs.d");
	write_in("jobs.d/20-web.conf",
	    "jobs = (\n"
	    "  { name = \"web\"; command = [\"x\"];\n"		/* 2 */
	    "    stdout = \"web.out\"; stdin = \"in\";\n"
	    "    stderr = \"/abs/web.err\"; }\n"
	    ");\n");
	write_in("jobs.d/10-db.conf",
	    "# the database\n"
	    "jobs = ( { name = \"db\"; command = [\"x\"];\n"
	    "           directory = \"data\"; },\n"
	    "         { name = \"db2\"; command = [\"x\"]; } );\n");
	write_in("jobs.d/README", "not a config at all\n");
	write_in("jobs.d/old.conf.orig", "jobs = ( { oops } );\n");
	write_in("jobs.d/.hidden.conf", "jobs = ( { oops } );\n");
	write_in("jobs.d/.conf", "jobs = ( { oops } );\n");
	mkdir_in("jobs.d/sub");
	write_in("jobs.d/sub/nested.conf", "jobs = ( { oops } );\n");

	config = load_ok("daemon = { include_dir = \"jobs.d\"; "
	    "log_dir = \"log\"; };\n"
	    "jobs = ( { name = \"main\"; command = [\"x\"]; } );\n");
	s = in_dir("jobs.d");
	ck_assert_str_eq(config->include_dir, s);
	free(s);
	ck_assert_uint_eq(config->nspecs, 4);
	ck_assert_str_eq(config->specs[0]->name, "main");
	ck_assert_str_eq(config->specs[1]->name, "db");
	ck_assert_str_eq(config->specs[2]->name, "db2");
	ck_assert_str_eq(config->specs[3]->name, "web");

	/* Defined where it was read, as opened. */
	spec = find_spec(config, "web");
	s = in_dir("jobs.d/20-web.conf");
	ck_assert_str_eq(spec->file, s);
	free(s);
	ck_assert_int_eq(spec->line, 2);

	/* Paths relative to the included file's directory; logs not. */
	s = in_dir("jobs.d/web.out");
	ck_assert_str_eq(spec->stdout_path, s);
	free(s);
	s = in_dir("jobs.d/in");
	ck_assert_str_eq(spec->stdin_path, s);
	free(s);
	ck_assert_str_eq(spec->stderr_path, "/abs/web.err");
	s = in_dir("jobs.d");
	ck_assert_str_eq(spec->directory, s);
	free(s);
	spec = find_spec(config, "db");
	s = in_dir("jobs.d/data");
	ck_assert_str_eq(spec->directory, s);
	free(s);
	s = in_dir("log/db.out");
	ck_assert_str_eq(spec->stdout_path, s);
	free(s);
	spec = find_spec(config, "main");
	ck_assert_str_eq(spec->directory, tmpdir);
	config_free(config);

	/* A trailing slash changes nothing. */
	config = load_ok("daemon = { include_dir = \"jobs.d/\"; };\n");
	ck_assert_uint_eq(config->nspecs, 3);
	s = in_dir("jobs.d/10-db.conf");
	ck_assert_str_eq(find_spec(config, "db")->file, s);
	free(s);
	config_free(config);
}
END_TEST

START_TEST(test_include_empty)
{
	struct config	*config;
	char		*s;

	mkdir_in("jobs.d");
	config = load_ok("daemon = { include_dir = \"jobs.d\"; };\n"
	    "jobs = ( { name = \"main\"; command = [\"x\"]; } );\n");
	ck_assert_uint_eq(config->nspecs, 1);
	s = in_dir("jobs.d");
	ck_assert_str_eq(config->include_dir, s);
	free(s);
	config_free(config);

	/* An empty file, or one with no jobs, is fine too. */
	write_in("jobs.d/a.conf", "");
	write_in("jobs.d/b.conf", "jobs = ();\n");
	config = load_ok("daemon = { include_dir = \"jobs.d\"; };\n");
	ck_assert_uint_eq(config->nspecs, 0);
	config_free(config);
}
END_TEST

/* include_dir = "." beside the main file does not read it twice. */
START_TEST(test_include_self)
{
	struct config	*config;

	write_in("extra.conf", "jobs = ( { name = \"b\"; command = [\"x\"]; "
	    "} );\n");
	config = load_ok("daemon = { include_dir = \".\"; };\n"
	    "jobs = ( { name = \"a\"; command = [\"x\"]; } );\n");
	ck_assert_uint_eq(config->nspecs, 2);
	ck_assert_str_eq(config->specs[0]->name, "a");
	ck_assert_str_eq(config->specs[1]->name, "b");
	ck_assert_str_eq(config->include_dir, tmpdir);
	config_free(config);
}
END_TEST

START_TEST(test_include_after)
{
	struct config	*config;
	char		*cause, *want;

	mkdir_in("jobs.d");
	write_in("jobs.d/db.conf",
	    "jobs = (\n"
	    "  { name = \"db\"; command = [\"x\"]; after = [\"disk\"]; }\n"
	    ");\n");
	config = load_ok("daemon = { include_dir = \"jobs.d\"; };\n"
	    "jobs = (\n"
	    "  { name = \"web\"; command = [\"x\"]; after = [\"db\"]; },\n"
	    "  { name = \"disk\"; command = [\"x\"]; }\n"
	    ");\n");
	check_after(find_spec(config, "web"), "db");
	check_after(find_spec(config, "db"), "disk");
	config_free(config);

	/* An unknown name is reported in the file that names it. */
	write_in("jobs.d/db.conf",
	    "jobs = (\n"
	    "  { name = \"db\"; command = [\"x\"];\n"
	    "    after = [\"dsik\"]; }\n"				/* 3 */
	    ");\n");
	cause = load_error("daemon = { include_dir = \"jobs.d\"; };\n"
	    "jobs = ( { name = \"disk\"; command = [\"x\"]; } );\n");
	want = at_in("jobs.d/db.conf", 3,
	    "job 'db': 'after' names unknown job 'dsik'");
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);

	/* A cycle across files, told from the main file's job. */
	write_in("jobs.d/db.conf",
	    "jobs = (\n"
	    "  { name = \"db\"; command = [\"x\"]; after = [\"web\"]; }\n"
	    ");\n");
	check_error("daemon = { include_dir = \"jobs.d\"; };\n"
	    "jobs = (\n"
	    "  { name = \"web\"; command = [\"x\"];\n"
	    "    after = [\"db\"]; }\n"				/* 4 */
	    ");\n", 4, "job 'web': 'after' makes a cycle: web -> db -> web");
}
END_TEST

START_TEST(test_include_errors)
{
	char	*cause, *want, *e1, *e2, *s;

	/* A missing directory. */
	s = in_dir("jobs.d");
	xasprintf(&want, "daemon: include_dir %s: %s", s, strerror(ENOENT));
	check_error("daemon = {\n  include_dir = \"jobs.d\";\n};\n", 2, want);
	free(want);

	/* Not a directory. */
	write_in("jobs.d", "");
	xasprintf(&want, "daemon: include_dir %s: %s", s, strerror(ENOTDIR));
	check_error("daemon = {\n  include_dir = \"jobs.d\";\n};\n", 2, want);
	free(want);
	free(s);
	s = in_dir("jobs.d");
	ck_assert_int_eq(unlink(s), 0);
	free(s);

	check_error("daemon = {\n  include_dir = \"\";\n};\n", 2,
	    "daemon: 'include_dir' must not be empty");
	check_error("daemon = {\n  include_dir = 1;\n};\n", 2,
	    "daemon: 'include_dir' must be a string");

	mkdir_in("jobs.d");

	/* A syntax error inside an included file. */
	write_in("jobs.d/web.conf", "jobs = (\n"
	    "  { name = \"web\"; command = [\"x\"];\n"
	    "    stdout = ; }\n"				/* 3 */
	    ");\n");
	cause = load_error("daemon = { include_dir = \"jobs.d\"; };\n");
	want = at_in("jobs.d/web.conf", 3, "syntax error");
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);

	/* A bad key names the included file. */
	write_in("jobs.d/web.conf", "jobs = (\n"
	    "  { name = \"web\"; command = [\"x\"];\n"
	    "    comand = [\"y\"]; }\n"				/* 3 */
	    ");\n");
	cause = load_error("daemon = { include_dir = \"jobs.d\"; };\n");
	want = at_in("jobs.d/web.conf", 3, "job 'web': unknown key 'comand'");
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);

	/* Only jobs in an included file. */
	write_in("jobs.d/web.conf", "jobs = ();\n"
	    "daemon = { log_dir = \"x\"; };\n");
	cause = load_error("daemon = { include_dir = \"jobs.d\"; };\n");
	want = at_in("jobs.d/web.conf", 2, "'daemon' is not allowed here: "
	    "a file in include_dir holds only 'jobs'");
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);

	/* A name the main file defined first. */
	write_in("jobs.d/web.conf", "jobs = (\n"
	    "  { name = \"web\"; command = [\"x\"]; }\n"	/* 2 */
	    ");\n");
	cause = load_error("daemon = { include_dir = \"jobs.d\"; };\n"
	    "jobs = (\n"
	    "  { name = \"web\"; command = [\"x\"]; }\n"	/* 3 */
	    ");\n");
	s = at(3, "");
	s[strlen(s) - 2] = '\0';	/* "FILE:3" */
	xasprintf(&e1, "job 'web': duplicate name, first defined at %s", s);
	free(s);
	want = at_in("jobs.d/web.conf", 2, e1);
	ck_assert_str_eq(cause, want);
	free(want);
	free(e1);
	free(cause);

	/* A name an earlier included file defined first. */
	write_in("jobs.d/a.conf", "\njobs = (\n"
	    "  { name = \"web\"; command = [\"x\"]; }\n"	/* 3 */
	    ");\n");
	cause = load_error("daemon = { include_dir = \"jobs.d\"; };\n");
	s = in_dir("jobs.d/a.conf");
	xasprintf(&e1, "job 'web': duplicate name, first defined at %s:3", s);
	free(s);
	want = at_in("jobs.d/web.conf", 2, e1);
	ck_assert_str_eq(cause, want);
	free(want);
	free(e1);
	free(cause);
	s = in_dir("jobs.d/a.conf");
	ck_assert_int_eq(unlink(s), 0);
	free(s);

	/* Errors in several files: the main file's first, then by file. */
	write_in("jobs.d/web.conf", "jobs = (\n"
	    "  { name = \"web\"; command = [\"x\"];\n"
	    "    autostart = 1; }\n"				/* 3 */
	    ");\n");
	cause = load_error("daemon = { include_dir = \"jobs.d\"; };\n"
	    "jobs = (\n"
	    "  { name = \"a\"; command = [\"x\"]; restart = \"x\"; }\n"
	    ");\n");
	e1 = at(3, "job 'a': 'restart' must be \"no\", \"on-failure\" or "
	    "\"always\", not 'x'");
	e2 = at_in("jobs.d/web.conf", 3,
	    "job 'web': 'autostart' must be a boolean");
	xasprintf(&want, "%s\n%s", e1, e2);
	ck_assert_str_eq(cause, want);
	free(want);
	free(e1);
	free(e2);
	free(cause);

	/* Still so when the main file's error is found after all files. */
	cause = load_error("daemon = { include_dir = \"jobs.d\"; };\n"
	    "jobs = (\n"
	    "  { name = \"a\"; command = [\"x\"]; after = [\"b\"]; }\n"
	    ");\n");
	e1 = at(3, "job 'a': 'after' names unknown job 'b'");
	e2 = at_in("jobs.d/web.conf", 3,
	    "job 'web': 'autostart' must be a boolean");
	xasprintf(&want, "%s\n%s", e1, e2);
	ck_assert_str_eq(cause, want);
	free(want);
	free(e1);
	free(e2);
	free(cause);
}
END_TEST

/*
 * With a relative config path, included files are named relative too,
 * like the main file, while the specs still get absolute paths.
 */
START_TEST(test_include_relative)
{
	struct config	*config;
	char		*cause = NULL, *cwd, *here, *s;

	mkdir_in("conf");
	mkdir_in("conf/jobs.d");
	write_in("conf/jobs.d/web.conf", "jobs = (\n"
	    "  { name = \"web\"; command = [\"x\"]; stdout = \"o\"; }\n"
	    ");\n");
	write_in("conf/corrald.conf", "daemon = { include_dir = \"jobs.d\"; "
	    "};\n");
	ck_assert_ptr_nonnull(cwd = getcwd(NULL, 0));
	ck_assert_int_eq(chdir(tmpdir), 0);
	ck_assert_ptr_nonnull(here = getcwd(NULL, 0));
	config = config_load("conf/corrald.conf", &cause);
	ck_assert_msg(config != NULL, "unexpected error: %s", cause);
	xasprintf(&s, "%s/conf/jobs.d", here);
	ck_assert_str_eq(config->include_dir, s);
	free(s);
	ck_assert_str_eq(config->specs[0]->file, "conf/jobs.d/web.conf");
	xasprintf(&s, "%s/conf/jobs.d/o", here);
	ck_assert_str_eq(config->specs[0]->stdout_path, s);
	free(s);
	config_free(config);

	write_in("conf/jobs.d/web.conf", "jobs = (\n"
	    "  { name = \"web\"; command = [\"x\"]; stdout = 1; }\n"
	    ");\n");
	config = config_load("conf/corrald.conf", &cause);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_ptr_null(config);
	ck_assert_str_eq(cause,
	    "conf/jobs.d/web.conf:2: job 'web': 'stdout' must be a string");
	free(cause);
	free(here);
	free(cwd);
}
END_TEST

/* The file named in errors is the one the setting came from. */
START_TEST(test_error_file)
{
	struct config	*config;
	char		*cause = NULL, *path, *want;

	path = in_dir("other.conf");
	conf_write_file(path, "jobs = (\n  { name = \"a\";\n"
	    "    shell = 1; }\n);\n");
	config = config_load(path, &cause);
	ck_assert_ptr_null(config);
	xasprintf(&want, "%s:3: job 'a': 'shell' must be a string", path);
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);
	free(path);
}
END_TEST

Suite *
suite_config(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("config");

	tc = tcase_create("load");
	tcase_add_unchecked_fixture(tc, config_case_setup,
	    config_case_teardown);
	tcase_add_checked_fixture(tc, config_setup, config_teardown);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_relative_path);
	tcase_add_test(tc, test_cause_untouched);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_ready);
	tcase_add_test(tc, test_after);
	tcase_add_test(tc, test_include);
	tcase_add_test(tc, test_include_empty);
	tcase_add_test(tc, test_include_self);
	tcase_add_test(tc, test_include_after);
	tcase_add_test(tc, test_include_relative);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_unchecked_fixture(tc, config_case_setup,
	    config_case_teardown);
	tcase_add_checked_fixture(tc, config_setup, config_teardown);
	tcase_add_test(tc, test_syntax_error);
	tcase_add_test(tc, test_unknown_root);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_log_keys);
	tcase_add_test(tc, test_credentials_and_limits);
	tcase_add_test(tc, test_wrong_type);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_bad_signal);
	tcase_add_test(tc, test_bad_socket_mode);
	tcase_add_test(tc, test_duplicate_name);
	tcase_add_test(tc, test_bad_name);
	tcase_add_test(tc, test_reserved_name);
	tcase_add_test(tc, test_program_count);
	tcase_add_test(tc, test_empty_command);
	tcase_add_test(tc, test_several_errors);
	tcase_add_test(tc, test_error_file);
	tcase_add_test(tc, test_after_unknown);
	tcase_add_test(tc, test_after_cycle);
	tcase_add_test(tc, test_include_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("equal");
	tcase_add_unchecked_fixture(tc, config_case_setup,
	    config_case_teardown);
	tcase_add_checked_fixture(tc, config_setup, config_teardown);
	tcase_add_test(tc, test_spec_equal);
	suite_add_tcase(s, tc);

	return (s);
}
