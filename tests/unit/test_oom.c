/* OOM detection's parsers: /proc/PID/cgroup on v1, v2 and hybrid hosts, and
 * the kill counters of memory.oom_control and memory.events. */
#include "testutil.h"
#include "tether/oom.h"

static void test_parse_cgroup(void **state)
{
	bool v2 = true;
	g_autofree char *v1 =
		oom_parse_cgroup("12:pids:/a\n4:memory:/machine/ctr\n0::/init\n", &v2);
	assert_string_equal(v1, "/machine/ctr");
	assert_false(v2);
	/* Joined controllers. */
	g_autofree char *joined = oom_parse_cgroup("3:cpu,memory,blkio:/x\n", &v2);
	assert_string_equal(joined, "/x");
	/* Pure v2. */
	g_autofree char *pure = oom_parse_cgroup("0::/system.slice/ctr.scope\n", &v2);
	assert_string_equal(pure, "/system.slice/ctr.scope");
	assert_true(v2);
	/* A path with colons in it stays whole. */
	g_autofree char *colons = oom_parse_cgroup("0::/a:b:c\n", &v2);
	assert_string_equal(colons, "/a:b:c");
	assert_null(oom_parse_cgroup("1:name=systemd:/\n", &v2));
	assert_null(oom_parse_cgroup("", &v2));
}

static void test_parse_count(void **state)
{
	assert_int_equal(oom_parse_kill_count("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), 3);
	assert_int_equal(oom_parse_kill_count("low 0\nhigh 0\nmax 7\noom 2\noom_kill 1\n"), 1);
	assert_int_equal(oom_parse_kill_count("oom_kill_disable 0\nunder_oom 0\n"), -1);
	assert_int_equal(oom_parse_kill_count(""), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cgroup),
		cmocka_unit_test(test_parse_count),
	};
	return cmocka_run_group_tests_name("oom", tests, NULL, NULL);
}
