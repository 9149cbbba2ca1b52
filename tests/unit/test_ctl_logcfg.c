/* Unit tests: the log options of create and run, and the journalctl
 * command line logs runs for a journald container. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "tether/ctl.h"
#include "tether/ctl_logcfg.h"
#include "tether/ctl_logjournal.h"
#include "tether/k8slog.h"

#define LONG_ID "0123456789abcdef"

static void test_parse_size(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int64_t bytes;
	} ok[] = {
		{"123", 123},	    {"20k", 20480},
		{"20K", 20480},	    {"5m", 5242880},
		{"1g", 1073741824}, {"2KiB", 2048},
		{"3mb", 3145728},   {"7b", 7},
		{"0", 0},	    {"8589934591g", INT64_C(8589934591) << 30},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
		int64_t v = -1;
		if (ctl_logcfg_parse_size(ok[i].text, &v) != 0 || v != ok[i].bytes)
			fail_msg("'%s' -> %lld", ok[i].text, (long long)v);
	}
	static const char *const bad[] = {"",	  "k",	"-1",  "1.5k", "10x",
					  "10kk", " 1", "1 k", "1kib2"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		int64_t v;
		if (ctl_logcfg_parse_size(bad[i], &v) != -EINVAL)
			fail_msg("'%s' parsed", bad[i]);
	}
	int64_t v;
	assert_int_equal(ctl_logcfg_parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(ctl_logcfg_parse_size("9000000000g", &v), -ERANGE);
}

static void check(const char *driver, const char *size, int max_files, const char *id,
		  const char *error_part, enum ctl_log_driver want_driver, int64_t want_size,
		  int want_files)
{
	struct ctl_logcfg_args a = CTL_LOGCFG_ARGS_INIT;
	a.driver = (char *)driver;
	a.size_max = (char *)size;
	a.max_files = max_files;
	struct ctl_log_config cfg = {CTL_LOG_NONE, -1, -1, {0}};
	g_autoptr(GError) error = NULL;
	bool ok = ctl_logcfg_from_args(&a, id, &cfg, &error);
	if (error_part != NULL) {
		assert_false(ok);
		assert_non_null(error);
		assert_int_equal(error->code, CTL_ERROR_USAGE);
		if (strstr(error->message, error_part) == NULL)
			fail_msg("'%s' not in '%s'", error_part, error->message);
		/* Nothing half-set on failure. */
		assert_int_equal(cfg.size_max, -1);
		return;
	}
	if (!ok)
		fail_msg("%s", error->message);
	assert_int_equal(cfg.driver, want_driver);
	assert_int_equal(cfg.size_max, want_size);
	assert_int_equal(cfg.max_files, want_files);
}

static void test_from_args(void **state)
{
	(void)state;
	const int unset = CTL_LOGCFG_UNSET;
	check(NULL, NULL, unset, "c1", NULL, CTL_LOG_K8S_FILE, 0, 0);
	check("json-file", "20k", unset, "c1", NULL, CTL_LOG_JSON_FILE, 20480, 0);
	check("k8s-file", "1m", 3, "c1", NULL, CTL_LOG_K8S_FILE, 1048576, 3);
	check("none", NULL, unset, "c1", NULL, CTL_LOG_NONE, 0, 0);
	check("journald", NULL, unset, LONG_ID, NULL, CTL_LOG_JOURNALD, 0, 0);
	check("journald", NULL, unset, "0123456789ab", "at least 13 characters", 0, 0, 0);
	check("syslog", NULL, unset, "c1", NULL, CTL_LOG_SYSLOG, 0, 0);
	check("syslog", "1m", unset, "c1", "k8s-file and json-file drivers only", 0, 0, 0);
	check("gelf", NULL, unset, "c1", "unknown log driver 'gelf'", 0, 0, 0);
	check("journald", "1m", unset, LONG_ID, "k8s-file and json-file drivers only", 0, 0, 0);
	check("none", "1m", unset, "c1", "not none", 0, 0, 0);
	check(NULL, NULL, 3, "c1", "--log-max-files needs --log-size-max", 0, 0, 0);
	check(NULL, "1m", 0, "c1", "between 1 and", 0, 0, 0);
	check(NULL, "1m", -1, "c1", "between 1 and", 0, 0, 0);
	check(NULL, "1m", 1001, "c1", "between 1 and", 0, 0, 0);
	check(NULL, "0", unset, "c1", "invalid --log-size-max '0'", 0, 0, 0);
	check(NULL, "ten", unset, "c1", "invalid --log-size-max 'ten'", 0, 0, 0);
}

/* The log policies: checked, and passed on as the shim's flags. */
static bool policy(const char *rate, const char *burst, const char *how, bool compress,
		   int max_files, const char *driver, struct ctl_log_config *ret, char **ret_msg)
{
	struct ctl_logcfg_args a = CTL_LOGCFG_ARGS_INIT;
	a.driver = (char *)driver;
	a.size_max = max_files > 0 ? (char *)"1m" : NULL;
	a.max_files = max_files > 0 ? max_files : CTL_LOGCFG_UNSET;
	a.rate = (char *)rate;
	a.burst = (char *)burst;
	a.rate_policy = (char *)how;
	a.compress = compress;
	g_autoptr(GError) error = NULL;
	bool ok = ctl_logcfg_from_args(&a, "c1", ret, &error);
	*ret_msg = ok ? NULL : g_strdup(error->message);
	return ok;
}

static void test_policy(void **state)
{
	(void)state;
	struct ctl_log_config cfg;
	char *msg = NULL;
	assert_true(policy("200k", NULL, NULL, false, 0, NULL, &cfg, &msg));
	assert_int_equal(cfg.policy.rate, 204800);
	assert_int_equal(cfg.policy.burst, 0);
	assert_false(cfg.policy.block);
	assert_true(policy("1m", "2m", "block", true, 3, "json-file", &cfg, &msg));
	assert_int_equal(cfg.policy.burst, 2 << 20);
	assert_true(cfg.policy.block && cfg.policy.compress);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	ctl_logcfg_shim_args(&cfg, "/c", argv);
	g_ptr_array_add(argv, NULL);
	g_autofree char *line = g_strjoinv(" ", (char **)argv->pdata);
	assert_string_equal(line, "-l json-file:/c/ctr.json --log-size-max 1048576 --log-rotate "
				  "--log-max-files 3 --log-rate 1048576 --log-burst 2097152 "
				  "--log-rate-policy block --log-compress");
	static const struct {
		const char *rate, *burst, *how;
		bool compress;
		int max_files;
		const char *driver, *error;
	} bad[] = {
		{"0", NULL, NULL, false, 0, NULL, "invalid --log-rate '0'"},
		{"2g", NULL, NULL, false, 0, NULL, "invalid --log-rate '2g'"},
		{"1k", "x", NULL, false, 0, NULL, "invalid --log-burst 'x'"},
		{"1k", NULL, "wait", false, 0, NULL, "invalid --log-rate-policy 'wait'"},
		{NULL, "1k", NULL, false, 0, NULL, "need --log-rate"},
		{NULL, NULL, "drop", false, 0, NULL, "need --log-rate"},
		{"1k", NULL, NULL, false, 0, "none", "nothing is logged"},
		{NULL, NULL, NULL, true, 0, NULL, "--log-compress needs --log-max-files"},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		assert_false(policy(bad[i].rate, bad[i].burst, bad[i].how, bad[i].compress,
				    bad[i].max_files, bad[i].driver, &cfg, &msg));
		if (strstr(msg, bad[i].error) == NULL)
			fail_msg("'%s' not in '%s'", bad[i].error, msg);
		g_free(msg);
	}
}

static void test_names_and_paths(void **state)
{
	(void)state;
	for (int d = CTL_LOG_K8S_FILE; d <= CTL_LOG_SYSLOG; d++) {
		enum ctl_log_driver back;
		assert_int_equal(ctl_logcfg_driver_from_name(ctl_logcfg_driver_name(d), &back), 0);
		assert_int_equal(back, d);
	}
	enum ctl_log_driver back;
	assert_int_equal(ctl_logcfg_driver_from_name("json", &back), -EINVAL);
	g_autofree char *k8s = ctl_logcfg_file_path(CTL_LOG_K8S_FILE, "/c");
	g_autofree char *json = ctl_logcfg_file_path(CTL_LOG_JSON_FILE, "/c");
	assert_string_equal(k8s, "/c/ctr.log");
	assert_string_equal(json, "/c/ctr.json");
	assert_null(ctl_logcfg_file_path(CTL_LOG_JOURNALD, "/c"));
	assert_null(ctl_logcfg_file_path(CTL_LOG_NONE, "/c"));
	assert_null(ctl_logcfg_file_path(CTL_LOG_SYSLOG, "/c"));
}

static char *journal_line(const struct ctl_logs_request *req)
{
	g_auto(GStrv) argv = ctl_logjournal_argv("/usr/bin/journalctl", LONG_ID, req);
	return g_strjoinv(" ", argv);
}

static void test_journal_argv(void **state)
{
	(void)state;
	struct ctl_logs_request req = {.tail = -1};
	g_autofree char *plain = journal_line(&req);
	assert_string_equal(plain, "/usr/bin/journalctl --no-pager -o cat -n all "
				   "CONTAINER_ID_FULL=" LONG_ID);
	const char *t = "2026-11-23T12:00:00.123456789Z";
	struct ctl_logs_request all = {
		.timestamps = true, .follow = true, .tail = 5, .since_set = true};
	assert_int_equal(k8slog_parse_timestamp(t, strlen(t), &all.since), 0);
	g_autofree char *full = journal_line(&all);
	assert_string_equal(full, "/usr/bin/journalctl --no-pager -o short-iso-precise -n 5 "
				  "--since @1795435200.123456 -f CONTAINER_ID_FULL=" LONG_ID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size),   cmocka_unit_test(test_from_args),
		cmocka_unit_test(test_policy),	     cmocka_unit_test(test_names_and_paths),
		cmocka_unit_test(test_journal_argv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
