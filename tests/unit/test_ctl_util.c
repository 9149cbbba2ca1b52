/* Unit tests: ids, signal names, runtime error text, command args. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "tether/ctl.h"
#include "tether/ctl_runtime.h"
#include "tether/signame.h"

static void test_id_valid(void **state)
{
	assert_true(ctl_id_valid("a"));
	assert_true(ctl_id_valid("web-1_2.x"));
	assert_true(
		ctl_id_valid("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	assert_false(ctl_id_valid(NULL));
	assert_false(ctl_id_valid(""));
	assert_false(ctl_id_valid(".hidden"));
	assert_false(ctl_id_valid(".."));
	assert_false(ctl_id_valid("a/b"));
	assert_false(ctl_id_valid("a b"));
	assert_false(ctl_id_valid("caf\xc3\xa9"));
	assert_false(ctl_id_valid("x\n"));
	/* 65 characters */
	assert_false(
		ctl_id_valid("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0"));

	g_autoptr(GError) error = NULL;
	assert_false(ctl_check_id("../etc", &error));
	assert_true(g_error_matches(error, CTL_ERROR, CTL_ERROR_USAGE));
	assert_non_null(strstr(error->message, "../etc"));
}

static void test_signal_parse(void **state)
{
	assert_int_equal(signame_parse("KILL"), SIGKILL);
	assert_int_equal(signame_parse("SIGKILL"), SIGKILL);
	assert_int_equal(signame_parse("sigterm"), SIGTERM);
	assert_int_equal(signame_parse("term"), SIGTERM);
	assert_int_equal(signame_parse("9"), 9);
	assert_int_equal(signame_parse("1"), 1);
	assert_int_equal(signame_parse("HUP"), SIGHUP);
	assert_int_equal(signame_parse("USR1"), SIGUSR1);
	assert_int_equal(signame_parse("RTMIN"), SIGRTMIN);
	assert_int_equal(signame_parse("SIGRTMIN+2"), SIGRTMIN + 2);
	assert_int_equal(signame_parse("RTMAX-1"), SIGRTMAX - 1);
	assert_int_equal(signame_parse(""), -EINVAL);
	assert_int_equal(signame_parse(NULL), -EINVAL);
	assert_int_equal(signame_parse("0"), -EINVAL);
	assert_int_equal(signame_parse("65"), -EINVAL);
	assert_int_equal(signame_parse("-9"), -EINVAL);
	assert_int_equal(signame_parse("9x"), -EINVAL);
	assert_int_equal(signame_parse("SIG"), -EINVAL);
	assert_int_equal(signame_parse("NOPE"), -EINVAL);
	assert_int_equal(signame_parse("RTMIN-1"), -EINVAL);
	assert_string_equal(signame_name(SIGKILL), "KILL");
	assert_string_equal(signame_name(SIGTERM), "TERM");
	assert_null(signame_name(SIGRTMIN + 3));
}

static void test_runtime_error_text(void **state)
{
	g_autofree char *a = ctl_runtime_error_text(
		"time=\"2026-11-23T11:59:11Z\" level=error msg=\"container does not exist\"\n");
	assert_string_equal(a, "container does not exist");
	g_autofree char *b = ctl_runtime_error_text(
		"time=\"x\" level=warning msg=\"first\"\n"
		"time=\"x\" level=error msg=\"exec: \\\"nope\\\": executable file not found\"\n\n");
	assert_string_equal(b, "exec: \"nope\": executable file not found");
	g_autofree char *c = ctl_runtime_error_text("plain failure\n  \n");
	assert_string_equal(c, "plain failure");
	g_autofree char *d = ctl_runtime_error_text("");
	assert_string_equal(d, "(no message)");
	g_autofree char *e = ctl_runtime_error_text(NULL);
	assert_string_equal(e, "(no message)");

	g_autoptr(GError) nf = g_error_new(CTL_ERROR, CTL_ERROR_RUNTIME,
					   "runc delete failed: container does not exist");
	assert_true(ctl_runtime_error_is_not_found(nf));
	g_autoptr(GError) other = g_error_new(CTL_ERROR, CTL_ERROR_RUNTIME, "permission denied");
	assert_false(ctl_runtime_error_is_not_found(other));
	assert_false(ctl_runtime_error_is_not_found(NULL));
}

static void test_command_args(void **state)
{
	char *v1[] = {"run", "id", "sh", "-c", "x", NULL};
	assert_ptr_equal(ctl_command_args(5, v1, 2), v1 + 2);
	char *v2[] = {"run", "id", "--", "ls", NULL};
	assert_ptr_equal(ctl_command_args(4, v2, 2), v2 + 3);
	char *v3[] = {"run", "id", NULL};
	assert_null(ctl_command_args(2, v3, 2));
	char *v4[] = {"run", "id", "--", NULL};
	assert_null(ctl_command_args(3, v4, 2));
}

static void test_context_defaults(void **state)
{
	struct ctl_context ctx;
	g_autoptr(GError) error = NULL;
	g_setenv("TETHER_ROOT", "/tmp/tether-unit-root", TRUE);
	assert_int_equal(ctl_context_init(&ctx, NULL, "/bin/sh", "/bin/true", "debug", &error), 0);
	assert_string_equal(ctx.root, "/tmp/tether-unit-root");
	assert_string_equal(ctx.runtime, "/bin/sh");
	assert_string_equal(ctx.shim, "/bin/true");
	assert_string_equal(ctx.log_level, "debug");
	g_autofree char *cdir = ctl_container_dir(&ctx, "abc");
	assert_string_equal(cdir, "/tmp/tether-unit-root/containers/abc");
	g_autofree char *rroot = ctl_runtime_root(&ctx);
	assert_string_equal(rroot, "/tmp/tether-unit-root/runtime");
	ctl_context_clear(&ctx);

	assert_int_equal(
		ctl_context_init(&ctx, "rel/dir", "no-such-runtime-xyz", NULL, NULL, &error), 0);
	assert_true(g_path_is_absolute(ctx.root));
	assert_null(ctx.runtime);
	assert_string_equal(ctx.log_level, "warn");
	ctl_context_clear(&ctx);
	g_unsetenv("TETHER_ROOT");

	assert_true(ctl_context_init(&ctx, NULL, NULL, NULL, "loud", &error) < 0);
	assert_true(g_error_matches(error, CTL_ERROR, CTL_ERROR_USAGE));
	g_clear_error(&error);
	assert_true(ctl_context_init(&ctx, NULL, NULL, "/no/such/shim", NULL, &error) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_id_valid, testutil_fd_setup,
						testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_signal_parse, testutil_fd_setup,
						testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_runtime_error_text, testutil_fd_setup,
						testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_command_args, testutil_fd_setup,
						testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_context_defaults, testutil_fd_setup,
						testutil_fd_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
