/*
 * test-signame.c -- signal names and numbers, both ways.
 */

#include "config.h"

#include <signal.h>
#include <string.h>

#include "signame.h"
#include "unit.h"

START_TEST(test_parse_names)
{
	int	 sig;

	ck_assert_int_eq(sig_parse("TERM", &sig), 0);
	ck_assert_int_eq(sig, SIGTERM);
	ck_assert_int_eq(sig_parse("SIGKILL", &sig), 0);
	ck_assert_int_eq(sig, SIGKILL);
	ck_assert_int_eq(sig_parse("hup", &sig), 0);
	ck_assert_int_eq(sig, SIGHUP);
	ck_assert_int_eq(sig_parse("sigUsr2", &sig), 0);
	ck_assert_int_eq(sig, SIGUSR2);
	ck_assert_int_eq(sig_parse("RTMIN", &sig), 0);
	ck_assert_int_eq(sig, SIGRTMIN);
	ck_assert_int_eq(sig_parse("RTMIN+2", &sig), 0);
	ck_assert_int_eq(sig, SIGRTMIN + 2);
	ck_assert_int_eq(sig_parse("SIGRTMAX-1", &sig), 0);
	ck_assert_int_eq(sig, SIGRTMAX - 1);
}
END_TEST

START_TEST(test_parse_numbers)
{
	int	 sig;

	ck_assert_int_eq(sig_parse("9", &sig), 0);
	ck_assert_int_eq(sig, 9);
	ck_assert_int_eq(sig_parse("1", &sig), 0);
	ck_assert_int_eq(sig, 1);
	ck_assert_int_eq(sig_parse("64", &sig), SIGRTMAX >= 64 ? 0 : -1);
}
END_TEST

START_TEST(test_parse_rejects)
{
	const char	*bad[] = {
		"", "0", "-9", "-1", "65", "99999999999", "9x", " 9", "FOO",
		"SIG", "TERMINATE", "RTMIN+", "RTMIN+99", "RTMAX+1", "RTMIN-1",
		"+9", NULL
	};
	int		 sig = 12345, i;

	for (i = 0; bad[i] != NULL; i++) {
		ck_assert_msg(sig_parse(bad[i], &sig) == -1,
		    "\"%s\" was accepted", bad[i]);
	}
	ck_assert_int_eq(sig_parse(NULL, &sig), -1);
	ck_assert_int_eq(sig, 12345);
}
END_TEST

START_TEST(test_names)
{
	int	 sig;

	ck_assert_str_eq(sig_name(SIGTERM), "TERM");
	ck_assert_str_eq(sig_name(SIGKILL), "KILL");
	ck_assert_str_eq(sig_name(SIGABRT), "ABRT");
	ck_assert_str_eq(sig_name(SIGIO), "IO");
	ck_assert_str_eq(sig_name(SIGRTMIN), "RTMIN");
	ck_assert_str_eq(sig_name(SIGRTMIN + 3), "RTMIN+3");
	ck_assert_str_eq(sig_name(0), "?");
	ck_assert_str_eq(sig_name(SIGRTMAX + 1), "?");
	/* Every name we print parses back to its number. */
	for (sig = 1; sig <= SIGRTMAX; sig++) {
		int	 back;

		if (sig > SIGSYS && sig < SIGRTMIN)
			continue;	/* glibc's reserved real-time signals */
		ck_assert_int_eq(sig_parse(sig_name(sig), &back), 0);
		ck_assert_int_eq(back, sig);
	}
}
END_TEST

Suite *
suite_signame(void)
{
	Suite	*s = suite_create("signame");
	TCase	*tc = tcase_create("signame");

	tcase_add_test(tc, test_parse_names);
	tcase_add_test(tc, test_parse_numbers);
	tcase_add_test(tc, test_parse_rejects);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return (s);
}
