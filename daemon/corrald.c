/*
 * corrald.c -- the corral daemon's command line: options, the config
 * check (-t), and the hand-over to the server.  corrald never forks itself
 * into the background; run it under systemd, or in a terminal.
 */

#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corrald.h"

static void __attribute__((noreturn))
usage(int code)
{
	fprintf(code == 0 ? stdout : stderr,
	    "usage: corrald [-c FILE] [-s SOCKET] [-t|--check-config] [-v] "
	    "[-h] [-V]\n");
	exit(code);
}

/* A descriptor number given by a re-executing corrald. */
static int
fd_arg(const char *arg)
{
	char	*end;
	long	 fd;

	fd = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || fd < 0 || fd > INT_MAX)
		usage(2);
	return ((int)fd);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "check-config", no_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		/* Given by a re-executing corrald to its new image. */
		{ "restore", required_argument, NULL, 'R' },
		{ "rollback", required_argument, NULL, 'B' },
		{ "rolled-back", required_argument, NULL, 'F' },
		/* Asked by a re-executing corrald of the program first. */
		{ "snapshot-version", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	struct config	*config;
	struct reexec_opts ropts = { -1, -1, NULL };
	const char	*config_path = CORRAL_DEFAULT_CONFIG;
	const char	*socket_path = NULL;
	char		*cause = NULL;
	int		 ch, check_only = 0, verbose = 0;

	while ((ch = getopt_long(argc, argv, "c:s:tvhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 's':
			socket_path = optarg;
			break;
		case 't':
			check_only = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(0);
		case 'V':
			printf("corrald %s\n", PACKAGE_VERSION);
			return (0);
		case 'R':
			ropts.restore_fd = fd_arg(optarg);
			break;
		case 'B':
			ropts.rollback_fd = fd_arg(optarg);
			break;
		case 'F':
			ropts.rolled_back = optarg;
			break;
		case 'S':
			/* What a corrald must say to be re-executed into. */
			printf("corrald %s snapshot %d\n", PACKAGE_VERSION,
			    SNAPSHOT_VERSION);
			return (0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	log_init("corrald", verbose);
	if (ropts.restore_fd != -1)
		return (server_restore(argv, config_path, &ropts));

	if ((config = config_load(config_path, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return (1);
	}
	if (check_only) {
		printf("%s: ok\n", config_path);
		config_free(config);
		return (0);
	}
	return (server_main(argv, config_path, config, socket_path));
}
