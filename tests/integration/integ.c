/*
 * integ.c -- runs every integration suite, each in a runner of its own so
 * that Check prints one summary line per suite.  Each test starts the real
 * corrald on a private socket and drives it with the real corralctl.
 */

#include "config.h"

#include <stdlib.h>

#include "harness.h"

int
main(void)
{
	Suite		*(*suites[])(void) = {
		suite_session, suite_output, suite_signals, suite_errors,
		suite_lifecycle, suite_logs, suite_popen, suite_hardening,
		suite_reexec
	};
	SRunner		*sr;
	size_t		 i;
	int		 failed = 0;

	for (i = 0; i < sizeof suites / sizeof suites[0]; i++) {
		sr = srunner_create(suites[i]());
		/* The fixture's cleanup relies on each test's own process. */
		srunner_set_fork_status(sr, CK_FORK);
		srunner_run_all(sr, CK_NORMAL);
		failed += srunner_ntests_failed(sr);
		srunner_free(sr);
	}
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
