/*
 * signame.c -- signal names and numbers.  Names are accepted with or
 * without "SIG" and in any case; numbers must name a real signal: 0,
 * negatives and anything past SIGRTMAX are refused, so a typo never turns
 * into "signal the process group 0".
 */

#include "config.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "signame.h"

static const struct {
	const char	*name;
	int		 signo;
} sig_table[] = {
	{ "HUP", SIGHUP },	{ "INT", SIGINT },	{ "QUIT", SIGQUIT },
	{ "ILL", SIGILL },	{ "TRAP", SIGTRAP },	{ "ABRT", SIGABRT },
	{ "IOT", SIGIOT },	{ "BUS", SIGBUS },	{ "FPE", SIGFPE },
	{ "KILL", SIGKILL },	{ "USR1", SIGUSR1 },	{ "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 },	{ "PIPE", SIGPIPE },	{ "ALRM", SIGALRM },
	{ "TERM", SIGTERM },	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
	{ "CONT", SIGCONT },	{ "STOP", SIGSTOP },	{ "TSTP", SIGTSTP },
	{ "TTIN", SIGTTIN },	{ "TTOU", SIGTTOU },	{ "URG", SIGURG },
	{ "XCPU", SIGXCPU },	{ "XFSZ", SIGXFSZ },	{ "VTALRM", SIGVTALRM },
	{ "PROF", SIGPROF },	{ "WINCH", SIGWINCH },	{ "IO", SIGIO },
	{ "POLL", SIGPOLL },	{ "PWR", SIGPWR },	{ "SYS", SIGSYS },
};

/* A decimal number made of digits only, in [lo, hi]; -1 otherwise. */
static int
sig_parse_number(const char *s, int lo, int hi)
{
	char	*end;
	long	 n;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return (-1);
	n = strtol(s, &end, 10);
	if (*end != '\0' || n < lo || n > hi)
		return (-1);
	return ((int)n);
}

/*
 * Parse "TERM", "SIGTERM", "term", "15", "RTMIN", "RTMIN+2" or "RTMAX-1".
 * Returns 0 and fills *signo, or -1.
 */
int
sig_parse(const char *s, int *signo)
{
	size_t	 i;
	int	 n;

	if (s == NULL || *s == '\0')
		return (-1);
	if (isdigit((unsigned char)*s)) {
		if ((n = sig_parse_number(s, 1, SIGRTMAX)) == -1)
			return (-1);
		*signo = n;
		return (0);
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < sizeof sig_table / sizeof sig_table[0]; i++) {
		if (strcasecmp(s, sig_table[i].name) == 0) {
			*signo = sig_table[i].signo;
			return (0);
		}
	}
	if (strncasecmp(s, "RTMIN", 5) == 0) {
		if (s[5] == '\0')
			n = 0;
		else if (s[5] != '+' ||
		    (n = sig_parse_number(s + 6, 1, SIGRTMAX - SIGRTMIN)) == -1)
			return (-1);
		*signo = SIGRTMIN + n;
		return (0);
	}
	if (strncasecmp(s, "RTMAX", 5) == 0) {
		if (s[5] == '\0')
			n = 0;
		else if (s[5] != '-' ||
		    (n = sig_parse_number(s + 6, 1, SIGRTMAX - SIGRTMIN)) == -1)
			return (-1);
		*signo = SIGRTMAX - n;
		return (0);
	}
	return (-1);
}

/* "TERM" for 15, "RTMIN+2" for real-time signals, "?" if unknown. */
const char *
sig_name(int signo)
{
	static char	 buf[16];
	size_t		 i;

	for (i = 0; i < sizeof sig_table / sizeof sig_table[0]; i++) {
		/* IOT and POLL are aliases; the table lists the usual name first. */
		if (sig_table[i].signo == signo)
			return (sig_table[i].name);
	}
	if (signo == SIGRTMIN)
		return ("RTMIN");
	if (signo > SIGRTMIN && signo <= SIGRTMAX) {
		snprintf(buf, sizeof buf, "RTMIN+%d", signo - SIGRTMIN);
		return (buf);
	}
	return ("?");
}
