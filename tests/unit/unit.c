/*
 * unit.c -- runs every unit suite, each in a runner of its own so that
 * Check prints one summary line per suite.
 */

#include <stdlib.h>

#include "corrald.h"
#include "unit.h"

int
main(void)
{
	Suite		*(*suites[])(void) = {
		suite_config, suite_proto, suite_signame, suite_job,
		suite_reload, suite_logstamp
	};
	SRunner		*sr;
	size_t		 i;
	int		 failed = 0;

	log_init("unit", 0);
	for (i = 0; i < sizeof suites / sizeof suites[0]; i++) {
		sr = srunner_create(suites[i]());
		srunner_run_all(sr, CK_NORMAL);
		failed += srunner_ntests_failed(sr);
		srunner_free(sr);
	}
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
