/* The sync-pipe messages: byte-exact with conmon, escaped, short enough for
 * podman's single 4096-byte read. */
#include "testutil.h"
#include "tether/syncmsg.h"

#include <string.h>

static void test_keys(void **state)
{
	assert_string_equal(syncmsg_key(1, 0), "data");
	assert_string_equal(syncmsg_key(1, 1), "data");
	assert_string_equal(syncmsg_key(0, 0), "pid");
	assert_string_equal(syncmsg_key(0, 1), "exit_code");
}

static void test_format_exact(void **state)
{
	char buf[SYNCMSG_MAX + 1];
	size_t n = syncmsg_format(buf, sizeof(buf), "data", 4850, NULL);
	assert_string_equal(buf, "{\"data\": 4850}\n");
	assert_int_equal(n, strlen(buf));
	syncmsg_format(buf, sizeof(buf), "pid", -1, "runc create failed");
	assert_string_equal(buf, "{\"pid\": -1, \"message\": \"runc create failed\"}\n");
}

static void test_escaping(void **state)
{
	char buf[SYNCMSG_MAX + 1];
	syncmsg_format(buf, sizeof(buf), "data", -1, "a\"b\\c\nd\te\x01\x7f\xc3\xa9");
	assert_string_equal(
		buf,
		"{\"data\": -1, \"message\": \"a\\\"b\\\\c\\nd\\te\\u0001\\u007f\xc3\xa9\"}\n");
	/* And it parses back to the same text. */
	long long v;
	g_autofree char *msg = NULL;
	assert_int_equal(syncmsg_parse(buf, strlen(buf), &v, &msg), 0);
	assert_int_equal(v, -1);
	assert_string_equal(msg, "a\"b\\c\nd\te\x01\x7f\xc3\xa9");
}

static void test_long_message_keeps_tail(void **state)
{
	GString *text = g_string_new(NULL);
	for (int i = 0; i < 3000; i++)
		g_string_append(text, "x\"");
	g_string_append(text, "THE REASON");
	char buf[SYNCMSG_MAX + 1];
	size_t n = syncmsg_format(buf, sizeof(buf), "data", -1, text->str);
	assert_true(n <= SYNCMSG_MAX);
	assert_int_equal(buf[n - 1], '\n');
	assert_non_null(strstr(buf, "THE REASON\"}\n"));
	long long v;
	g_autofree char *msg = NULL;
	assert_int_equal(syncmsg_parse(buf, n, &v, &msg), 0);
	assert_true(g_str_has_suffix(msg, "THE REASON"));
	/* It never starts in the middle of an escape. */
	assert_true(msg[0] == 'x' || msg[0] == '"');
	g_string_free(text, TRUE);
}

static void test_parse_rejects(void **state)
{
	long long v;
	const char *bad[] = {"",
			     "{",
			     "[]",
			     "{\"data\": \"x\"}",
			     "{\"other\": 1}",
			     "{\"data\": 1, \"message\": 3}"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_int_equal(syncmsg_parse(bad[i], strlen(bad[i]), &v, NULL), -EINVAL);
	assert_int_equal(syncmsg_parse("{\"exit_code\": 7}", 16, &v, NULL), 0);
	assert_int_equal(v, 7);
}

#define T(f) cmocka_unit_test(f)
int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_keys),	       T(test_format_exact),
		T(test_escaping),      T(test_long_message_keeps_tail),
		T(test_parse_rejects),
	};
	return cmocka_run_group_tests_name("syncmsg", tests, NULL, NULL);
}
