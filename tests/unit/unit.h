/*
 * unit.h -- the unit test suites, one per module, run by unit.c.
 */

#ifndef UNIT_H
#define UNIT_H

#include <check.h>

Suite	*suite_config(void);
Suite	*suite_proto(void);
Suite	*suite_signame(void);
Suite	*suite_job(void);
Suite	*suite_reload(void);
Suite	*suite_logstamp(void);

#endif /* UNIT_H */
