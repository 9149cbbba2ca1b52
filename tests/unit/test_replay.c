/* The replay ring: the last bytes of output, in order, with their streams. */
#include "testutil.h"
#include "tether/jsonutil.h"
#include "tether/replay.h"

#include <string.h>

/* "stream:text|..." of replay_last(r, n), the data decoded. */
static char *render(struct replay *r, size_t n)
{
	g_autoptr(json_object) arr = replay_last(r, n);
	GString *s = g_string_new(NULL);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i), *st, *d;
		assert_true(json_object_object_get_ex(o, "stream", &st));
		assert_true(json_object_object_get_ex(o, "data", &d));
		gsize len = 0;
		g_autofree guchar *raw = g_base64_decode(json_object_get_string(d), &len);
		g_string_append_printf(s, "%s%s:%.*s", i ? "|" : "", json_object_get_string(st),
				       (int)len, raw);
	}
	return g_string_free(s, FALSE);
}

static void put(struct replay *r, enum k8slog_stream st, const char *text)
{
	replay_sink_ops.write(r, st, text, strlen(text), NULL);
}

static void test_ring(void **state)
{
	struct replay *r = replay_new(10);
	g_autofree char *empty = render(r, 100);
	assert_string_equal(empty, "");
	put(r, K8SLOG_STDOUT, "abc");
	put(r, K8SLOG_STDOUT, "def"); /* joined with the piece before */
	put(r, K8SLOG_STDERR, "XY");
	g_autofree char *a = render(r, 100);
	assert_string_equal(a, "stdout:abcdef|stderr:XY");
	g_autofree char *b = render(r, 3);
	assert_string_equal(b, "stdout:f|stderr:XY");
	/* Past the capacity the oldest bytes go, mid-piece if need be. */
	put(r, K8SLOG_STDOUT, "12345");
	assert_int_equal(replay_size(r), 10);
	g_autofree char *c = render(r, 100);
	assert_string_equal(c, "stdout:def|stderr:XY|stdout:12345");
	/* A piece longer than everything kept leaves only its end. */
	put(r, K8SLOG_STDERR, "0123456789ABCDEF");
	g_autofree char *d = render(r, 100);
	assert_string_equal(d, "stderr:6789ABCDEF");
	g_autofree char *z = render(r, 0);
	assert_string_equal(z, "");
	replay_sink_ops.free(r);

	struct replay *off = replay_new(0);
	put(off, K8SLOG_STDOUT, "x");
	assert_int_equal(replay_size(off), 0);
	replay_sink_ops.free(off);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_ring)};
	return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
