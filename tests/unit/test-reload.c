/*
 * test-reload.c -- the reload diff: which jobs a new config adds, removes,
 * changes or leaves alone, from two real config files.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corrald.h"
#include "unit.h"

static char	 tmpdir[] = "/tmp/corral-unit-reload.XXXXXX";

static struct config *
load(const char *name, const char *text)
{
	struct config	*config;
	char		 path[256], *cause = NULL;
	FILE		*f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	config = config_load(path, &cause);
	ck_assert_msg(config != NULL, "%s", cause ? cause : "?");
	return (config);
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char	 cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(tmpdir, "/tmp/corral-unit-reload.XXXXXX");
}

START_TEST(test_diff)
{
	struct config		*old, *new;
	enum reload_action	 oa[4], na[4];

	old = load("old.conf",
	    "jobs = (\n"
	    " { name = \"same\"; command = [\"sleep\", \"1\"]; },\n"
	    " { name = \"changed\"; command = [\"sleep\", \"1\"]; },\n"
	    " { name = \"gone\"; command = [\"sleep\", \"1\"]; },\n"
	    " { name = \"moved\"; shell = \"true\"; }\n"
	    ");\n");
	new = load("new.conf",
	    "\n\n# same jobs on other lines, in another order\n"
	    "jobs = (\n"
	    " { name = \"moved\"; shell = \"true\"; },\n"
	    " { name = \"added\"; command = [\"sleep\", \"1\"]; },\n"
	    " { name = \"same\"; command = [\"sleep\", \"1\"]; },\n"
	    " { name = \"changed\"; command = [\"sleep\", \"2\"]; }\n"
	    ");\n");
	ck_assert_uint_eq(old->nspecs, 4);
	ck_assert_uint_eq(new->nspecs, 4);
	reload_diff(old->specs, old->nspecs, new->specs, new->nspecs, oa, na);
	ck_assert_int_eq(oa[0], RELOAD_KEEP);		/* same */
	ck_assert_int_eq(oa[1], RELOAD_CHANGE);		/* changed */
	ck_assert_int_eq(oa[2], RELOAD_REMOVE);		/* gone */
	ck_assert_int_eq(oa[3], RELOAD_KEEP);		/* moved */
	ck_assert_int_eq(na[0], RELOAD_KEEP);		/* moved */
	ck_assert_int_eq(na[1], RELOAD_ADD);		/* added */
	ck_assert_int_eq(na[2], RELOAD_KEEP);		/* same */
	ck_assert_int_eq(na[3], RELOAD_CHANGE);		/* changed */
	config_free(old);
	config_free(new);
}
END_TEST

START_TEST(test_diff_every_key_counts)
{
	const char	*variants[] = {
		"stop_signal = \"INT\";", "stop_timeout = 3;",
		"restart = \"no\";", "environment = { A = \"1\"; };",
		"stderr = \"stdout\";", "directory = \"/\";",
		"kill_group = false;", "ready = \"notify\";",
		"autostart = false;", "start_seconds = 2;", NULL
	};
	struct config		*old, *new;
	enum reload_action	 oa[1], na[1];
	char			 text[512];
	int			 i;

	old = load("old.conf", "jobs = ({ name = \"j\"; "
	    "command = [\"sleep\", \"1\"]; });\n");
	for (i = 0; variants[i] != NULL; i++) {
		snprintf(text, sizeof text, "jobs = ({ name = \"j\"; "
		    "command = [\"sleep\", \"1\"]; %s });\n", variants[i]);
		new = load("new.conf", text);
		reload_diff(old->specs, 1, new->specs, 1, oa, na);
		ck_assert_msg(oa[0] == RELOAD_CHANGE && na[0] == RELOAD_CHANGE,
		    "%s was not seen as a change", variants[i]);
		config_free(new);
	}
	config_free(old);
}
END_TEST

START_TEST(test_diff_empty)
{
	struct config		*old, *new;
	enum reload_action	 oa[2], na[1];

	old = load("old.conf", "jobs = (\n"
	    " { name = \"a\"; command = [\"true\"]; },\n"
	    " { name = \"b\"; command = [\"true\"]; });\n");
	new = load("new.conf", "");
	reload_diff(old->specs, old->nspecs, new->specs, 0, oa, na);
	ck_assert_int_eq(oa[0], RELOAD_REMOVE);
	ck_assert_int_eq(oa[1], RELOAD_REMOVE);
	reload_diff(new->specs, 0, old->specs, old->nspecs, na, oa);
	ck_assert_int_eq(oa[0], RELOAD_ADD);
	ck_assert_int_eq(oa[1], RELOAD_ADD);
	config_free(old);
	config_free(new);
}
END_TEST

Suite *
suite_reload(void)
{
	Suite	*s = suite_create("reload");
	TCase	*tc = tcase_create("reload");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_diff);
	tcase_add_test(tc, test_diff_every_key_counts);
	tcase_add_test(tc, test_diff_empty);
	suite_add_tcase(s, tc);
	return (s);
}
