/* --memory-warn's threshold and cgroup v2's memory.events counts. */
#include "testutil.h"
#include "tether/mempressure.h"

#include <errno.h>

static void test_threshold(void **state)
{
	uint64_t bytes;
	unsigned pct;
	assert_int_equal(mempressure_parse_threshold("80%", &bytes, &pct), 0);
	assert_int_equal(pct, 80);
	assert_int_equal(bytes, 0);
	assert_int_equal(mempressure_parse_threshold("100%", &bytes, &pct), 0);
	assert_int_equal(mempressure_parse_threshold("4096", &bytes, &pct), 0);
	assert_int_equal(bytes, 4096);
	assert_int_equal(pct, 0);
	assert_int_equal(mempressure_parse_threshold("40m", &bytes, &pct), 0);
	assert_int_equal(bytes, 40 << 20);
	assert_int_equal(mempressure_parse_threshold("2G", &bytes, &pct), 0);
	assert_int_equal(bytes, UINT64_C(2) << 30);
	assert_int_equal(mempressure_parse_threshold("8k", &bytes, &pct), 0);
	assert_int_equal(bytes, 8192);
	const char *bad[] = {NULL,	    "",	  "0",	 "0%", "101%", "-1", "+5",
			     "5%%",	    "5 ", "5kb", "5x", "%",    "m",  "99999999999999999999",
			     "17179869184g"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_int_equal(mempressure_parse_threshold(bad[i], &bytes, &pct), -EINVAL);
}

static void test_events(void **state)
{
	long long high, max;
	mempressure_parse_events("low 0\nhigh 12\nmax 3\noom 1\noom_kill 1\n", &high, &max);
	assert_int_equal(high, 12);
	assert_int_equal(max, 3);
	mempressure_parse_events("oom 1\n", &high, &max);
	assert_int_equal(high, -1);
	assert_int_equal(max, -1);
	mempressure_parse_events("", &high, &max);
	assert_int_equal(high, -1);
	/* Not a prefix match: "max_x" or "highest" are other keys. */
	mempressure_parse_events("highest 9\nmax_x 4\nmax 2", &high, &max);
	assert_int_equal(high, -1);
	assert_int_equal(max, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_threshold),
					   cmocka_unit_test(test_events)};
	return cmocka_run_group_tests_name("mempressure", tests, NULL, NULL);
}
