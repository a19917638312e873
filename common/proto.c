/*
 * proto.c -- encoding and checking of protocol messages.  Decoding is
 * strict: a line must be one JSON object of the expected shape, or the peer
 * gets an error; nothing past the checks here trusts the peer.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "xmalloc.h"

/* A new request {"v":1,"cmd":cmd}. */
json_t *
proto_request(const char *cmd)
{
	return (json_pack("{s:i,s:s}", "v", PROTO_VERSION, "cmd", cmd));
}

json_t *
proto_ok(void)
{
	return (json_pack("{s:i,s:b}", "v", PROTO_VERSION, "ok", 1));
}

json_t *
proto_error(const char *code, const char *message)
{
	return (json_pack("{s:i,s:b,s:s,s:s}", "v", PROTO_VERSION, "ok", 0,
	    "error", code, "message", message));
}

/*
 * One line: compact JSON and a newline.  Returns NULL if the object cannot
 * be encoded or the line, newline included, would pass max bytes.
 */
char *
proto_encode(json_t *obj, size_t max, size_t *lenp)
{
	char	*s, *line;
	size_t	 len;

	if ((s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII)) == NULL)
		return (NULL);
	len = strlen(s);
	if (len + 1 > max) {
		free(s);
		return (NULL);
	}
	line = xmalloc(len + 2);
	memcpy(line, s, len);
	line[len] = '\n';
	line[len + 1] = '\0';
	free(s);
	*lenp = len + 1;
	return (line);
}

/* Parse one line (without its newline) into an object of any shape. */
json_t *
proto_decode_line(const char *line, size_t len, char **cause)
{
	json_error_t	 jerr;
	json_t		*obj;

	if (len == 0) {
		*cause = xstrdup("empty request");
		return (NULL);
	}
	if (memchr(line, '\0', len) != NULL) {
		*cause = xstrdup("request contains a NUL byte");
		return (NULL);
	}
	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		xasprintf(cause, "invalid JSON at column %d: %s", jerr.column,
		    jerr.text);
		return (NULL);
	}
	if (!json_is_object(obj)) {
		json_decref(obj);
		*cause = xstrdup("request is not a JSON object");
		return (NULL);
	}
	return (obj);
}

/*
 * A request line: an object with an integer "v" equal to PROTO_VERSION and a
 * string "cmd".  On failure *code is the protocol error code and *cause the
 * message.
 */
json_t *
proto_decode_request(const char *line, size_t len, const char **code,
    char **cause)
{
	json_t	*obj, *v, *cmd;

	*code = PROTO_E_BAD_REQUEST;
	if ((obj = proto_decode_line(line, len, cause)) == NULL)
		return (NULL);
	v = json_object_get(obj, "v");
	if (v != NULL && !json_is_integer(v)) {
		*cause = xstrdup("\"v\" must be an integer");
		goto fail;
	}
	if (v != NULL && json_integer_value(v) != PROTO_VERSION) {
		*code = PROTO_E_BAD_VERSION;
		xasprintf(cause, "protocol version %lld is not supported "
		    "(this corrald speaks %d)", (long long)json_integer_value(v),
		    PROTO_VERSION);
		goto fail;
	}
	cmd = json_object_get(obj, "cmd");
	if (!json_is_string(cmd)) {
		*cause = xstrdup("\"cmd\" must be a string");
		goto fail;
	}
	return (obj);

fail:
	json_decref(obj);
	return (NULL);
}

/* An answer line: an object with a boolean "ok". */
json_t *
proto_decode_response(const char *line, size_t len, char **cause)
{
	json_t	*obj;

	if ((obj = proto_decode_line(line, len, cause)) == NULL)
		return (NULL);
	if (!json_is_boolean(json_object_get(obj, "ok"))) {
		json_decref(obj);
		*cause = xstrdup("answer has no boolean \"ok\"");
		return (NULL);
	}
	return (obj);
}

/*
 * The "jobs" member of a request: an array of strings.  Fills *names (an
 * array pointing into obj, to be freed by the caller) and *n.  A missing
 * "jobs" is an empty list.
 */
int
proto_get_jobs(json_t *obj, const char ***names, size_t *n, char **cause)
{
	json_t	*jobs, *v;
	size_t	 i;

	*names = NULL;
	*n = 0;
	jobs = json_object_get(obj, "jobs");
	if (jobs == NULL)
		return (0);
	if (!json_is_array(jobs)) {
		*cause = xstrdup("\"jobs\" must be an array of strings");
		return (-1);
	}
	if (json_array_size(jobs) == 0)
		return (0);
	*names = xreallocarray(NULL, json_array_size(jobs), sizeof **names);
	json_array_foreach(jobs, i, v) {
		if (!json_is_string(v)) {
			free(*names);
			*names = NULL;
			*cause = xstrdup("\"jobs\" must be an array of strings");
			return (-1);
		}
		(*names)[i] = json_string_value(v);
	}
	*n = json_array_size(jobs);
	return (0);
}
