/* tetherctl's service settings and `generate systemd`: option checks, the
 * shim flags they become, the container-mode config, ExecStart= quoting. */
#include "testutil.h"
#include "tether/ctl.h"
#include "tether/ctl_generate.h"
#include "tether/jsonutil.h"
#include "tether/ctl_service.h"

#include <signal.h>
#include <string.h>

static void test_from_args(void **state)
{
	struct ctl_service svc;
	GError *error = NULL;
	struct ctl_service_args a = CTL_SERVICE_ARGS_INIT;
	/* The default follows NOTIFY_SOCKET. */
	assert_true(ctl_service_from_args(&a, NULL, false, &svc, &error));
	assert_int_equal(svc.sdnotify, CTL_SDNOTIFY_IGNORE);
	assert_true(ctl_service_from_args(&a, "/run/systemd/notify", false, &svc, &error));
	assert_int_equal(svc.sdnotify, CTL_SDNOTIFY_SHIM);
	assert_int_equal(svc.stop_timeout, 0);

	a.sdnotify = (char *)"container";
	a.stop_signal = (char *)"SIGUSR1";
	a.stop_timeout = 5;
	assert_true(ctl_service_from_args(&a, "/run/systemd/notify", false, &svc, &error));
	assert_int_equal(svc.sdnotify, CTL_SDNOTIFY_CONTAINER);
	assert_int_equal(svc.stop_signal, SIGUSR1);
	assert_int_equal(svc.stop_timeout, 5);

	const struct {
		const char *sdnotify, *sig, *socket, *message;
		int timeout;
	} bad[] = {
		{"maybe", NULL, "/n", "invalid --sdnotify 'maybe'", -1},
		{"shim", NULL, NULL, "--sdnotify shim needs NOTIFY_SOCKET", -1},
		{"container", NULL, "@abstract", "needs NOTIFY_SOCKET to be a path", -1},
		{NULL, "SIGNOPE", NULL, "invalid --stop-signal 'SIGNOPE'", -1},
		{NULL, NULL, NULL, "invalid --stop-timeout -5", -5},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct ctl_service_args b = CTL_SERVICE_ARGS_INIT;
		b.sdnotify = (char *)bad[i].sdnotify;
		b.stop_signal = (char *)bad[i].sig;
		b.stop_timeout = bad[i].timeout;
		assert_false(ctl_service_from_args(&b, bad[i].socket, false, &svc, &error));
		assert_non_null(strstr(error->message, bad[i].message));
		g_clear_error(&error);
	}
}

static void test_health_args(void **state)
{
	struct ctl_service svc;
	GError *error = NULL;
	struct ctl_service_args a = CTL_SERVICE_ARGS_INIT;
	a.health_retries = 2;
	assert_false(ctl_service_from_args(&a, NULL, false, &svc, &error));
	assert_non_null(strstr(error->message, "need --health-cmd"));
	g_clear_error(&error);
	a.health_cmd = (char *)"true";
	a.health_interval = 0;
	assert_false(ctl_service_from_args(&a, NULL, false, &svc, &error));
	assert_non_null(strstr(error->message, "at least 1"));
	g_clear_error(&error);
	a.health_interval = 5;
	a.health_start_period = 0;
	a.health_on_failure = (char *)"restart";
	assert_true(ctl_service_from_args(&a, NULL, false, &svc, &error));
	g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
	ctl_service_shim_args(&svc, NULL, args);
	g_ptr_array_add(args, NULL);
	g_autofree char *line = g_strjoinv(" ", (char **)args->pdata);
	assert_string_equal(line, "--health-cmd true --health-interval 5 --health-retries 2 "
				  "--health-on-failure restart");
	a.health_on_failure = (char *)"later";
	assert_false(ctl_service_from_args(&a, NULL, false, &svc, &error));
	assert_non_null(strstr(error->message, "invalid --health-on-failure 'later'"));
	g_clear_error(&error);
}

static void test_shim_args(void **state)
{
	struct ctl_service svc = {
		.sdnotify = CTL_SDNOTIFY_CONTAINER, .stop_signal = SIGUSR1, .stop_timeout = 7};
	g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func(g_free);
	ctl_service_shim_args(&svc, "/run/systemd/notify", a);
	g_ptr_array_add(a, NULL);
	g_autofree char *line = g_strjoinv(" ", (char **)a->pdata);
	assert_string_equal(line, "--systemd-notify --sdnotify-socket /run/systemd/notify "
				  "--stop-signal 10 --stop-timeout 7");
	g_autoptr(GPtrArray) none = g_ptr_array_new_with_free_func(g_free);
	struct ctl_service quiet = {.sdnotify = CTL_SDNOTIFY_IGNORE};
	ctl_service_shim_args(&quiet, "/n", none);
	ctl_service_shim_args(NULL, "/n", none);
	assert_int_equal(none->len, 0);
}

static void test_container_config(void **state)
{
	g_autofree char *dir = testutil_tmpdir();
	g_autoptr(json_object) config = json_tokener_parse("{\"process\": {\"args\": [\"sh\"]}}");
	struct ctl_service svc = {.sdnotify = CTL_SDNOTIFY_CONTAINER};
	GError *error = NULL;
	assert_true(ctl_service_prepare_config(&svc, dir, config, &error));
	const char *text = json_object_to_json_string_ext(
		config, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	assert_non_null(strstr(text, "\"env\":[\"NOTIFY_SOCKET=/run/notify/notify.sock\"]"));
	assert_non_null(strstr(text, "\"destination\":\"/run/notify\",\"type\":\"bind\""));
	g_autofree char *notify = g_build_filename(dir, "notify", NULL);
	assert_true(g_file_test(notify, G_FILE_TEST_IS_DIR));
	/* Other modes leave the config alone. */
	g_autoptr(json_object) plain = json_tokener_parse("{}");
	svc.sdnotify = CTL_SDNOTIFY_SHIM;
	assert_true(ctl_service_prepare_config(&svc, dir, plain, &error));
	assert_string_equal(json_object_to_json_string_ext(plain, JSON_C_TO_STRING_PLAIN), "{}");
	testutil_rmtree(dir);
}

static void test_exec_word(void **state)
{
	const char *cases[][2] = {
		{"plain", "plain"},
		{"/a/b-c_d.e", "/a/b-c_d.e"},
		{"", "\"\""},
		{"two words", "\"two words\""},
		{"say \"hi\"", "\"say \\\"hi\\\"\""},
		{"back\\slash", "\"back\\\\slash\""},
		{"100%", "100%%"},
		{"$HOME", "$$HOME"},
		{"a;b", "\"a;b\""},
		{"it's", "\"it's\""},
		{"line\nbreak", "\"line\\nbreak\""},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *w = ctl_generate_exec_word(cases[i][0]);
		assert_string_equal(w, cases[i][1]);
	}
}

static void test_unit(void **state)
{
	struct ctl_state st = {
		.id = (char *)"web-000000000001",
		.name = (char *)"web",
		.bundle = (char *)"/srv/bundles/web",
		.runtime = (char *)"/usr/sbin/runc",
		.shim = (char *)"/usr/bin/tether",
		.log_driver = (char *)"journald",
		.terminal = true,
		.service = {.sdnotify = CTL_SDNOTIFY_SHIM, .stop_signal = SIGINT},
	};
	char *args[] = {(char *)"sh", (char *)"-c", (char *)"echo $X 50%", NULL};
	g_autofree char *u = ctl_generate_unit(&st, args, "/usr/bin/tetherctl", "/run/tether", 15);
	assert_non_null(strstr(u, "\nType=notify\nNotifyAccess=all\n"));
	assert_null(strstr(u, "ExecStartPre="));
	assert_non_null(strstr(u, "\nExecStart=/usr/bin/tetherctl --root /run/tether --runtime "
				  "/usr/sbin/runc --shim /usr/bin/tether run --detach --replace "
				  "--fd-store --name web "
				  "--bundle /srv/bundles/web --tty --log-driver journald "
				  "--stop-signal INT --stop-timeout 15 web-000000000001 -- sh -c "
				  "\"echo $$X 50%%\"\n"));
	assert_non_null(
		strstr(u, "\nFileDescriptorStoreMax=64\nKillMode=mixed\nTimeoutStopSec=45\n"));
	assert_non_null(strstr(u, "\nDescription=tether container web\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_args), cmocka_unit_test(test_health_args),
		cmocka_unit_test(test_shim_args), cmocka_unit_test(test_container_config),
		cmocka_unit_test(test_exec_word), cmocka_unit_test(test_unit),
	};
	return cmocka_run_group_tests_name("ctl_service", tests, NULL, NULL);
}
