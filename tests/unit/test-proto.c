/*
 * test-proto.c -- encoding and strict decoding of protocol lines.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "proto.h"
#include "unit.h"

/* Decode a request; returns the error code, or NULL if it was accepted. */
static const char *
decode_code(const char *line)
{
	json_t		*obj;
	const char	*code;
	char		*cause = NULL;

	obj = proto_decode_request(line, strlen(line), &code, &cause);
	if (obj != NULL) {
		json_decref(obj);
		return (NULL);
	}
	ck_assert_ptr_nonnull(cause);
	free(cause);
	return (code);
}

START_TEST(test_encode_roundtrip)
{
	json_t		*req, *back, *jobs;
	const char	*code, **names;
	char		*line, *cause;
	size_t		 len, n;

	req = proto_request("status");
	jobs = json_array();
	json_array_append_new(jobs, json_string("web"));
	json_array_append_new(jobs, json_string("db \"x\"\n"));
	json_object_set_new(req, "jobs", jobs);
	line = proto_encode(req, PROTO_LINE_MAX, &len);
	ck_assert_ptr_nonnull(line);
	ck_assert_uint_eq(len, strlen(line));
	ck_assert_int_eq(line[len - 1], '\n');
	/* One line: nothing inside may break the framing. */
	ck_assert_ptr_eq(memchr(line, '\n', len - 1), NULL);

	back = proto_decode_request(line, len - 1, &code, &cause);
	ck_assert_ptr_nonnull(back);
	ck_assert_str_eq(json_string_value(json_object_get(back, "cmd")),
	    "status");
	ck_assert_int_eq(json_integer_value(json_object_get(back, "v")),
	    PROTO_VERSION);
	ck_assert_int_eq(proto_get_jobs(back, &names, &n, &cause), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(names[0], "web");
	ck_assert_str_eq(names[1], "db \"x\"\n");
	free(names);
	json_decref(back);
	json_decref(req);
	free(line);
}
END_TEST

START_TEST(test_decode_rejects)
{
	ck_assert_str_eq(decode_code(""), PROTO_E_BAD_REQUEST);
	ck_assert_str_eq(decode_code("status"), PROTO_E_BAD_REQUEST);
	ck_assert_str_eq(decode_code("[1,2]"), PROTO_E_BAD_REQUEST);
	ck_assert_str_eq(decode_code("\"x\""), PROTO_E_BAD_REQUEST);
	ck_assert_str_eq(decode_code("{}"), PROTO_E_BAD_REQUEST);
	ck_assert_str_eq(decode_code("{\"cmd\":1}"), PROTO_E_BAD_REQUEST);
	ck_assert_str_eq(decode_code("{\"cmd\":null}"), PROTO_E_BAD_REQUEST);
	ck_assert_str_eq(decode_code("{\"cmd\":\"a\",\"cmd\":\"b\"}"),
	    PROTO_E_BAD_REQUEST);
	ck_assert_str_eq(decode_code("{\"v\":\"1\",\"cmd\":\"status\"}"),
	    PROTO_E_BAD_REQUEST);
	ck_assert_str_eq(decode_code("{\"v\":2,\"cmd\":\"status\"}"),
	    PROTO_E_BAD_VERSION);
	ck_assert_str_eq(decode_code("{\"cmd\":\"status\"} x"),
	    PROTO_E_BAD_REQUEST);
	ck_assert_ptr_null(decode_code("{\"cmd\":\"status\"}"));
	ck_assert_ptr_null(decode_code("{\"v\":1,\"cmd\":\"stop\"}"));
}
END_TEST

START_TEST(test_decode_nul)
{
	const char	 line[] = "{\"cmd\":\"st\0atus\"}";
	const char	*code;
	char		*cause = NULL;

	ck_assert_ptr_null(proto_decode_request(line, sizeof line - 1, &code,
	    &cause));
	ck_assert_str_eq(code, PROTO_E_BAD_REQUEST);
	free(cause);
}
END_TEST

START_TEST(test_get_jobs_rejects)
{
	const char	*bad[] = {
		"{\"cmd\":\"x\",\"jobs\":\"web\"}",
		"{\"cmd\":\"x\",\"jobs\":[1]}",
		"{\"cmd\":\"x\",\"jobs\":[\"a\",null]}",
		"{\"cmd\":\"x\",\"jobs\":{}}",
		NULL
	};
	const char	**names, *code;
	json_t		*obj;
	char		*cause;
	size_t		 n;
	int		 i;

	for (i = 0; bad[i] != NULL; i++) {
		obj = proto_decode_request(bad[i], strlen(bad[i]), &code,
		    &cause);
		ck_assert_ptr_nonnull(obj);
		cause = NULL;
		ck_assert_int_eq(proto_get_jobs(obj, &names, &n, &cause), -1);
		ck_assert_ptr_nonnull(cause);
		free(cause);
		json_decref(obj);
	}
	obj = json_pack("{s:s}", "cmd", "status");
	ck_assert_int_eq(proto_get_jobs(obj, &names, &n, &cause), 0);
	ck_assert_uint_eq(n, 0);
	json_decref(obj);
}
END_TEST

START_TEST(test_encode_too_long)
{
	json_t	*obj;
	char	*big, *line;
	size_t	 len;

	big = malloc(PROTO_LINE_MAX);
	memset(big, 'a', PROTO_LINE_MAX - 1);
	big[PROTO_LINE_MAX - 1] = '\0';
	obj = json_pack("{s:s}", "message", big);
	line = proto_encode(obj, PROTO_LINE_MAX, &len);
	ck_assert_ptr_null(line);
	json_decref(obj);
	free(big);
}
END_TEST

START_TEST(test_responses)
{
	json_t	*obj;
	char	*cause = NULL, *line;
	size_t	 len;

	obj = proto_error(PROTO_E_NO_SUCH_JOB, "no such job: x");
	line = proto_encode(obj, PROTO_ANSWER_MAX, &len);
	json_decref(obj);
	obj = proto_decode_response(line, len - 1, &cause);
	ck_assert_ptr_nonnull(obj);
	ck_assert(json_is_false(json_object_get(obj, "ok")));
	ck_assert_str_eq(json_string_value(json_object_get(obj, "error")),
	    PROTO_E_NO_SUCH_JOB);
	json_decref(obj);
	free(line);

	ck_assert_ptr_null(proto_decode_response("{\"ok\":1}", 8, &cause));
	free(cause);
	ck_assert_ptr_null(proto_decode_response("{}", 2, &cause));
	free(cause);
}
END_TEST

/* Log bytes travel as base64: every byte value, every length. */
START_TEST(test_base64)
{
	static const struct {
		const char	*plain;
		const char	*coded;
	} known[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" }
	};
	unsigned char	 all[256];
	char		*coded, *back;
	size_t		 i, len, n;

	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		coded = base64_encode(known[i].plain, strlen(known[i].plain));
		ck_assert_str_eq(coded, known[i].coded);
		back = base64_decode(coded, strlen(coded), &len);
		ck_assert_uint_eq(len, strlen(known[i].plain));
		ck_assert_str_eq(back, known[i].plain);
		free(coded);
		free(back);
	}
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)(255 - i);
	for (n = 0; n <= 256; n++) {
		coded = base64_encode(all, n);
		back = base64_decode(coded, strlen(coded), &len);
		ck_assert_ptr_nonnull(back);
		ck_assert_uint_eq(len, n);
		ck_assert_int_eq(memcmp(back, all, n), 0);
		free(coded);
		free(back);
	}
	ck_assert_ptr_null(base64_decode("Zm9", 3, &len));
	ck_assert_ptr_null(base64_decode("Zm9!", 4, &len));
	ck_assert_ptr_null(base64_decode("Z=9v", 4, &len));
}
END_TEST

Suite *
suite_proto(void)
{
	Suite	*s = suite_create("proto");
	TCase	*tc = tcase_create("proto");

	tcase_add_test(tc, test_encode_roundtrip);
	tcase_add_test(tc, test_decode_rejects);
	tcase_add_test(tc, test_decode_nul);
	tcase_add_test(tc, test_get_jobs_rejects);
	tcase_add_test(tc, test_encode_too_long);
	tcase_add_test(tc, test_responses);
	tcase_add_test(tc, test_base64);
	suite_add_tcase(s, tc);
	return (s);
}
