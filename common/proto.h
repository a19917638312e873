/*
 * proto.h -- the control protocol shared by corrald and corralctl.
 *
 * Newline-delimited JSON over a Unix stream socket.  A request is one object
 * {"v":1,"cmd":NAME,...}; every answer is one object {"v":1,"ok":true,...}
 * or {"v":1,"ok":false,"error":CODE,"message":TEXT}.  Streaming commands
 * send further objects until done.  corrald(8) documents every command.
 */

#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <jansson.h>

/* Bumped on an incompatible change; a request with another "v" is refused. */
#define PROTO_VERSION		1

/* Longest request line, newline included. */
#define PROTO_LINE_MAX		65536

/* Longest answer line: a status of thousands of jobs must fit. */
#define PROTO_ANSWER_MAX	(16 * 1024 * 1024)

/* Error codes in {"ok":false,"error":CODE}. */
#define PROTO_E_BAD_REQUEST	"bad-request"
#define PROTO_E_TOO_LONG	"too-long"
#define PROTO_E_BAD_VERSION	"bad-version"
#define PROTO_E_UNKNOWN_CMD	"unknown-command"
#define PROTO_E_NO_SUCH_JOB	"no-such-job"
#define PROTO_E_NOT_RUNNING	"not-running"
#define PROTO_E_BAD_SIGNAL	"bad-signal"
#define PROTO_E_FAILED		"failed"
#define PROTO_E_SHUTTING_DOWN	"shutting-down"

json_t	*proto_request(const char *);
json_t	*proto_ok(void);
json_t	*proto_error(const char *, const char *);
char	*proto_encode(json_t *, size_t, size_t *);
json_t	*proto_decode_line(const char *, size_t, char **);
json_t	*proto_decode_request(const char *, size_t, const char **,
	     char **);
json_t	*proto_decode_response(const char *, size_t, char **);
int	 proto_get_jobs(json_t *, const char ***, size_t *, char **);

#endif /* PROTO_H */
