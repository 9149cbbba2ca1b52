/* Crash recovery's check of a saved state in the new image: the deadlines
 * count the time since the save. (Which fds it still takes: test_handover.) */
#include "testutil.h"
#include "tether/jsonutil.h"
#include "tether/recover.h"

#include <stdio.h>

static int64_t get_int(json_object *o, const char *key)
{
	json_object *v;
	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_int64(v);
}

/* A state saved two seconds ago with these deadlines, checked as a
 * recovered shim checks it. */
static json_object *recovered(struct shim *s, int64_t stop_left_ms, int64_t timeout_left_ms)
{
	g_autofree char *text = g_strdup_printf(
		"{\"stop_left_ms\": %" G_GINT64_FORMAT ", \"timeout_left_ms\": %" G_GINT64_FORMAT
		", \"saved_at\": %" G_GINT64_FORMAT "}",
		stop_left_ms, timeout_left_ms, g_get_monotonic_time() - 2 * G_USEC_PER_SEC);
	json_object *st = json_tokener_parse(text);
	assert_non_null(st);
	recover_check(s, st);
	return st;
}

static void test_deadlines_count_down(void **state)
{
	struct shim s = {0};
	g_autoptr(json_object) st = recovered(&s, 5000, -1);
	assert_int_equal(s.recoveries, 1);
	/* Two seconds since the save: about 3000 ms of the stop are left. */
	int64_t left = get_int(st, "stop_left_ms");
	assert_true(left <= 3000 && left > 2000);
	assert_int_equal(get_int(st, "timeout_left_ms"), -1);
}

static void test_deadline_passed_is_zero(void **state)
{
	struct shim s = {0};
	g_autoptr(json_object) st = recovered(&s, 500, 100);
	assert_int_equal(get_int(st, "stop_left_ms"), 0);
	assert_int_equal(get_int(st, "timeout_left_ms"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadlines_count_down),
		cmocka_unit_test(test_deadline_passed_is_zero),
	};
	return cmocka_run_group_tests_name("recover", tests, NULL, NULL);
}
