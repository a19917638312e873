/*
 * corralctl.h -- declarations of the corral client.
 */

#ifndef CORRALCTL_H
#define CORRALCTL_H

#include <jansson.h>

/* Exit codes (corralctl(1)). */
#define CTL_EXIT_OK		0
#define CTL_EXIT_REFUSED	1	/* the daemon refused or failed */
#define CTL_EXIT_USAGE		2
#define CTL_EXIT_UNREACHABLE	3

/* One client command: turns argv into a request, an answer into output. */
struct ctl_cmd {
	const char	*name;
	const char	*usage;		/* arguments, for messages */
	int		 min_args;
	int		 max_args;	/* -1: no limit */
	int		 flags;
#define CTL_SIGNAL_ARG	0x1	/* first argument is a signal */
#define CTL_STREAM	0x2	/* further lines follow the answer */
	/* Print a successful answer; returns the exit code. */
	int		(*done)(json_t *);
	/* With CTL_STREAM: show one further line. */
	void		(*line)(json_t *);
	/* Make the request from the arguments; NULL: jobs (and signal). */
	json_t		*(*build)(const struct ctl_cmd *, int, char **);
	/* Run the whole exchange itself (run); returns the exit code. */
	int		(*main)(json_t *);
};

struct ctl {
	const char	*socket_path;
	int		 json;
	int		 fd;
};
extern struct ctl ctl;

/* corralctl.c */
void	 ctl_usage_of(const struct ctl_cmd *) __attribute__((noreturn));
int	 ctl_connect(const char *);

/* ctl-run.c */
json_t	*ctl_build_run(const struct ctl_cmd *, int, char **);
int	 ctl_main_run(json_t *);

/* ctl-cmd.c */
const struct ctl_cmd	*ctl_cmd_find(const char *);
void			 ctl_cmd_usage(FILE *);

/* ctl-print.c */
void	 ctl_print_status(json_t *);
void	 ctl_print_json(json_t *);

#endif /* CORRALCTL_H */
