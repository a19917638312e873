/*
 * corrald.c -- the corral daemon's command line: options, the config
 * check (-t), and the hand-over to the server.  corrald never forks itself
 * into the background; run it under systemd, or in a terminal.
 */

#include "config.h"

#include <getopt.h>
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
		{ "restore", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	struct config	*config;
	const char	*config_path = CORRAL_DEFAULT_CONFIG;
	const char	*socket_path = NULL;
	char		*cause = NULL, *end;
	int		 ch, check_only = 0, verbose = 0, restore_fd = -1;

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
			/* Given by a re-executing corrald, to its new image. */
			restore_fd = (int)strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || restore_fd < 0)
				usage(2);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	log_init("corrald", verbose);
	if (restore_fd != -1)
		return (server_restore(argv, config_path, restore_fd));

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
