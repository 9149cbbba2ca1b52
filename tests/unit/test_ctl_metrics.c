/* Merging the shims' Prometheus texts into one exposition. */
#include "testutil.h"
#include "tether/ctl_metrics.h"

static void test_merge(void **state)
{
	char *texts[] = {
		(char *)"# HELP a_total A.\n# TYPE a_total counter\na_total{id=\"1\"} 5\n"
			"# HELP g G.\n# TYPE g gauge\ng{id=\"1\"} 1\n",
		(char *)"# HELP a_total A.\n# TYPE a_total counter\na_total{id=\"2\"} 7\n"
			"a_total{id=\"2\",stream=\"x\"} 1\nnot a metric line {\n\n# a comment\n"
			"# HELP g G.\n# TYPE g gauge\ng{id=\"2\"} 0\n",
		NULL,
	};
	g_autofree char *m = ctl_metrics_merge(texts);
	assert_string_equal(m, "# HELP a_total A.\n# TYPE a_total counter\n"
			       "a_total{id=\"1\"} 5\na_total{id=\"2\"} 7\n"
			       "a_total{id=\"2\",stream=\"x\"} 1\n"
			       "# HELP g G.\n# TYPE g gauge\ng{id=\"1\"} 1\ng{id=\"2\"} 0\n");
	char *none[] = {NULL};
	g_autofree char *empty = ctl_metrics_merge(none);
	assert_string_equal(empty, "");
	char *odd[] = {(char *)"x{a=\"}\"} 1e3\nx 1.5\nx{} nan?\n9bad 1\nx{unclosed 1\n", NULL};
	g_autofree char *o = ctl_metrics_merge(odd);
	assert_string_equal(o, "x{a=\"}\"} 1e3\nx 1.5\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_merge)};
	return cmocka_run_group_tests_name("ctl_metrics", tests, NULL, NULL);
}
