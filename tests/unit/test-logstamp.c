/*
 * test-logstamp.c -- the timestamp line splitter and rotation naming.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "corrald.h"
#include "unit.h"

#define STAMP	"T "

/* Run the splitter over each of parts in turn (NULL-terminated). */
static char *
stamp_parts(const char **parts, const char **stamps)
{
	struct logstamp	 st;
	char		*out = NULL;
	size_t		 o = 0, i, len;

	memset(&st, 0, sizeof st);
	for (i = 0; parts[i] != NULL; i++) {
		len = strlen(parts[i]);
		out = realloc(out, o + logstamp_bound(len, strlen(stamps[i])) +
		    1);
		o += logstamp_apply(&st, stamps[i], strlen(stamps[i]), parts[i],
		    len, out + o);
	}
	out = realloc(out, o + 1);
	out[o] = '\0';
	return (out);
}

START_TEST(test_lines)
{
	const char	*parts[] = { "a\nbb\n\nccc\n", NULL };
	const char	*stamps[] = { STAMP };
	char		*out = stamp_parts(parts, stamps);

	ck_assert_str_eq(out, "T a\nT bb\nT \nT ccc\n");
	free(out);
}
END_TEST

/* A line written in two halves gets one prefix: the first half's. */
START_TEST(test_split_line)
{
	const char	*parts[] = { "hel", "lo\nwor", "ld\n", "", NULL };
	const char	*stamps[] = { "1 ", "2 ", "3 ", "4 " };
	char		*out = stamp_parts(parts, stamps);

	ck_assert_str_eq(out, "1 hello\n2 world\n");
	free(out);
}
END_TEST

/*
 * Over-long lines are cut into pieces of LOGSTAMP_PIECE, each stamped
 * when its first byte was read.  Here a line of 2 * PIECE + 10 bytes comes
 * in two reads of PIECE + 5 bytes (the second with the newline).
 */
START_TEST(test_long_line)
{
	const char	*parts[3], *stamps[] = { "1 ", "2 " };
	char		*first, *second, *out, *p;

	first = malloc(LOGSTAMP_PIECE + 6);
	memset(first, 'x', LOGSTAMP_PIECE + 5);
	first[LOGSTAMP_PIECE + 5] = '\0';
	second = malloc(LOGSTAMP_PIECE + 7);
	memset(second, 'x', LOGSTAMP_PIECE + 5);
	strcpy(second + LOGSTAMP_PIECE + 5, "\n");
	parts[0] = first;
	parts[1] = second;
	parts[2] = NULL;
	out = stamp_parts(parts, stamps);

	p = out;
	ck_assert_int_eq(strncmp(p, "1 ", 2), 0);	/* piece 1: read 1 */
	ck_assert_uint_eq(strspn(p + 2, "x"), LOGSTAMP_PIECE);
	p += 2 + LOGSTAMP_PIECE;
	ck_assert_int_eq(strncmp(p, "\n1 ", 3), 0);	/* piece 2: began in read 1 */
	ck_assert_uint_eq(strspn(p + 3, "x"), LOGSTAMP_PIECE);
	p += 3 + LOGSTAMP_PIECE;
	ck_assert_str_eq(p, "\n2 xxxxxxxxxx\n");	/* piece 3: read 2 */
	free(first);
	free(second);
	free(out);
}
END_TEST

START_TEST(test_bound)
{
	const char	*parts[] = { "\n\n\n\n", NULL };
	const char	*stamps[] = { "0123456789 " };
	char		*out = stamp_parts(parts, stamps);

	ck_assert_uint_le(strlen(out), logstamp_bound(4, 11));
	ck_assert_str_eq(out, "0123456789 \n0123456789 \n0123456789 \n"
	    "0123456789 \n");
	free(out);
}
END_TEST

START_TEST(test_format)
{
	struct timespec	 ts = { 1796327096, 958874123 };
	char		 buf[64];

	ck_assert_uint_eq(logstamp_format(&ts, buf, sizeof buf),
	    LOGSTAMP_LEN);
	ck_assert_str_eq(buf, "2026-12-03T19:44:56.958874Z ");
	ts.tv_sec = 0;
	ts.tv_nsec = 5000;
	logstamp_format(&ts, buf, sizeof buf);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000005Z ");
}
END_TEST

START_TEST(test_backup_names)
{
	char	*s;

	s = logstamp_backup_name("/var/log/corral/web.out", 0);
	ck_assert_str_eq(s, "/var/log/corral/web.out");
	free(s);
	s = logstamp_backup_name("/var/log/corral/web.out", 1);
	ck_assert_str_eq(s, "/var/log/corral/web.out.1");
	free(s);
	s = logstamp_backup_name("w", 12);
	ck_assert_str_eq(s, "w.12");
	free(s);
}
END_TEST

Suite *
suite_logstamp(void)
{
	Suite	*s = suite_create("logstamp");
	TCase	*tc = tcase_create("logstamp");

	tcase_add_test(tc, test_lines);
	tcase_add_test(tc, test_split_line);
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_bound);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_backup_names);
	suite_add_tcase(s, tc);
	return (s);
}
