/*
 * test-job.c -- the pure parts of the job machine: back-off arithmetic,
 * success by exit code, and how a run's end is put into words.
 */

#include "config.h"

#include <sys/wait.h>

#include <signal.h>
#include <string.h>

#include "corrald.h"
#include "unit.h"

START_TEST(test_backoff)
{
	ck_assert(job_backoff_delay(0, 30) == 0);
	ck_assert(job_backoff_delay(1, 30) == 1);
	ck_assert(job_backoff_delay(2, 30) == 2);
	ck_assert(job_backoff_delay(3, 30) == 4);
	ck_assert(job_backoff_delay(5, 30) == 16);
	ck_assert(job_backoff_delay(6, 30) == 30);
	ck_assert(job_backoff_delay(1000, 30) == 30);
	ck_assert(job_backoff_delay(4, 2.5) == 2.5);
	ck_assert(job_backoff_delay(63, 1e9) == 1e9);
}
END_TEST

START_TEST(test_success_codes)
{
	struct job_spec	 spec;
	int		 codes[] = { 0, 3 };

	memset(&spec, 0, sizeof spec);
	spec.success_codes = codes;
	spec.nsuccess_codes = 2;
	ck_assert(job_status_is_success(&spec, W_EXITCODE(0, 0)));
	ck_assert(job_status_is_success(&spec, W_EXITCODE(3, 0)));
	ck_assert(!job_status_is_success(&spec, W_EXITCODE(1, 0)));
	ck_assert(!job_status_is_success(&spec, W_EXITCODE(0, SIGTERM)));
	ck_assert(!job_status_is_success(&spec, W_EXITCODE(0, SIGKILL)));
}
END_TEST

START_TEST(test_result_string)
{
	char	 buf[64];

	job_result_string(W_EXITCODE(3, 0), buf, sizeof buf);
	ck_assert_str_eq(buf, "exit 3");
	job_result_string(W_EXITCODE(0, SIGKILL), buf, sizeof buf);
	ck_assert_str_eq(buf, "signal 9 (KILL)");
	job_result_string(W_EXITCODE(0, SIGTERM), buf, sizeof buf);
	ck_assert_str_eq(buf, "signal 15 (TERM)");
}
END_TEST

START_TEST(test_state_names)
{
	ck_assert_str_eq(job_state_name(JOB_STOPPED), "STOPPED");
	ck_assert_str_eq(job_state_name(JOB_STARTING), "STARTING");
	ck_assert_str_eq(job_state_name(JOB_RUNNING), "RUNNING");
	ck_assert_str_eq(job_state_name(JOB_BACKOFF), "BACKOFF");
	ck_assert_str_eq(job_state_name(JOB_STOPPING), "STOPPING");
	ck_assert_str_eq(job_state_name(JOB_EXITED), "EXITED");
	ck_assert_str_eq(job_state_name(JOB_FATAL), "FATAL");
}
END_TEST

Suite *
suite_job(void)
{
	Suite	*s = suite_create("job");
	TCase	*tc = tcase_create("job");

	tcase_add_test(tc, test_backoff);
	tcase_add_test(tc, test_success_codes);
	tcase_add_test(tc, test_result_string);
	tcase_add_test(tc, test_state_names);
	suite_add_tcase(s, tc);
	return (s);
}
