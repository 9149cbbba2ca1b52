/* The shim's command line: conmon's flags in every form, validation in
 * conmon's order with conmon's messages, and clear refusals. */
#include "testutil.h"
#include "tether/opts.h"
#include "tether/shim.h"

#include <string.h>

static bool parse(struct tether_opts *o, const char *const *args, GError **error)
{
	int argc = 0;
	while (args[argc] != NULL)
		argc++;
	return opts_parse(o, argc, (char **)args, error);
}

/* Parse and validate; returns the error message or NULL. */
static char *check(const char *const *args)
{
	struct tether_opts o;
	GError *error = NULL;
	char *msg = NULL;
	if (!parse(&o, args, &error) || !opts_validate(&o, &error)) {
		msg = g_strdup(error->message);
		g_error_free(error);
	}
	opts_clear(&o);
	return msg;
}

#define BASE                                                                                       \
	"tether", "-c", "0123456789abcdef", "-u", "uuid", "-r", "/bin/true", "-l",                 \
		"k8s-file:/tmp/x.log"

static void test_forms(void **state)
{
	struct tether_opts o;
	const char *args[] = {"tether",
			      "--api-version",
			      "1",
			      "--cid=abc",
			      "-u",
			      "u",
			      "--runtime",
			      "/bin/true",
			      "-b",
			      "/b",
			      "-p",
			      "/p",
			      "-P",
			      "/P",
			      "-n",
			      "name",
			      "--exit-dir",
			      "/e",
			      "--exit-command",
			      "/bin/x",
			      "--exit-command-arg",
			      "",
			      "--exit-command-arg",
			      "a",
			      "--exit-delay",
			      "5",
			      "-l",
			      "/log",
			      "--runtime-arg",
			      "--root=/r",
			      "--runtime-arg",
			      "--log",
			      "--socket-dir-path",
			      "/s",
			      "-0",
			      "/pd",
			      "--full-attach",
			      "-s",
			      "--no-pivot",
			      "--no-new-keyring",
			      "--log-level",
			      "DEBUG",
			      "stray",
			      NULL};
	assert_true(parse(&o, args, NULL));
	assert_true(opts_validate(&o, NULL));
	assert_int_equal(o.api_version, 1);
	assert_string_equal(o.cid, "abc");
	assert_string_equal(o.bundle, "/b");
	assert_string_equal(o.container_pidfile, "/p");
	assert_string_equal(o.conmon_pidfile, "/P");
	assert_string_equal(o.persist_dir, "/pd");
	assert_int_equal(g_strv_length(o.exit_command_args), 2);
	assert_string_equal(o.exit_command_args[0], ""); /* empty args are kept */
	assert_int_equal(o.exit_delay, 5);
	assert_string_equal(o.k8s_log_path, "/log"); /* a bare path is k8s-file */
	assert_int_equal(g_strv_length(o.runtime_args), 2);
	assert_true(o.full_attach && o.systemd_cgroup && o.no_pivot && o.no_new_keyring);
	assert_int_equal(o.level, DIAG_DEBUG);
	opts_clear(&o);

	const char *eq[] = {"tether", "--api-version=1", "-c", "x", NULL};
	assert_true(parse(&o, eq, NULL));
	assert_int_equal(o.api_version, 1);
	opts_clear(&o);
	const char *none[] = {"tether", "-c", "x", NULL};
	assert_true(parse(&o, none, NULL));
	assert_int_equal(o.api_version, 0);
	opts_clear(&o);
}

static void test_hidden_aliases(void **state)
{
	struct tether_opts o;
	const char *args[] = {"tether", "--pidfile",	 "/p", "--runtime-opt",
			      "a",	"--restore-arg", "b",  NULL};
	assert_true(parse(&o, args, NULL));
	assert_string_equal(o.container_pidfile, "/p");
	assert_int_equal(g_strv_length(o.runtime_opts), 2);
	assert_string_equal(o.runtime_opts[1], "b");
	opts_clear(&o);
}

static void test_unknown_option(void **state)
{
	struct tether_opts o;
	GError *error = NULL;
	const char *args[] = {"tether", "--no-such-flag", NULL};
	assert_false(parse(&o, args, &error));
	assert_non_null(strstr(error->message, "--no-such-flag"));
	g_error_free(error);
	opts_clear(&o);
}

static void expect(const char *const *args, const char *message)
{
	g_autofree char *msg = check(args);
	if (message == NULL) {
		assert_null(msg);
		return;
	}
	assert_non_null(msg);
	if (strstr(msg, message) == NULL)
		fail_msg("expected '%s' in '%s'", message, msg);
}

static void test_conmon_messages(void **state)
{
	expect((const char *[]){"tether", NULL}, "Container ID not provided. Use --cid");
	expect((const char *[]){BASE, "--log-level", "loud", NULL}, "No such log level loud");
	expect((const char *[]){BASE, "-e", "--restore", "/x", NULL},
	       "Cannot use 'exec' and 'restore' at the same time");
	expect((const char *[]){BASE, "--exec-attach", NULL},
	       "Attach can only be specified with exec");
	expect((const char *[]){BASE, "-e", "--exec-attach", NULL},
	       "Attach can only be specified for a non-legacy exec session");
	expect((const char *[]){"tether", "-c", "id", "-r", "/bin/true", "-l", "/x", NULL},
	       "Container UUID not provided. Use --cuuid");
	expect((const char *[]){"tether", "-c", "id", "-u", "u", "-l", "/x", NULL},
	       "Runtime path not provided. Use --runtime");
	expect((const char *[]){"tether", "-c", "id", "-u", "u", "-r", "/no/such", NULL},
	       "Runtime path /no/such is not valid");
	expect((const char *[]){BASE, "--exit-delay", "-1", NULL},
	       "Delay before invoking exit command must be greater than or equal to 0");
	expect((const char *[]){"tether", "-c", "id", "-u", "u", "-r", "/bin/true", NULL},
	       "Log driver not provided. Use --log-path");
	expect((const char *[]){BASE, "-l", "", NULL}, "log-path must not be empty");
	expect((const char *[]){BASE, "-l", "bogus:/x", NULL}, "No such log driver bogus");
	expect((const char *[]){BASE, "-l", "k8s-file:", NULL}, "k8s-file requires a filename");
	expect((const char *[]){BASE, "--log-tag", "t", NULL},
	       "k8s-file doesn't support --log-tag");
	expect((const char *[]){BASE, "--log-rotate", "--log-max-files", "0", NULL},
	       "log-max-files must be at least 1 when log-rotate is enabled");
	expect((const char *[]){BASE, "--log-max-files", "-1", NULL},
	       "log-max-files must be non-negative");
	expect((const char *[]){BASE, "-l", "none", NULL}, NULL);
	expect((const char *[]){BASE, NULL}, NULL);
}

static void test_log_driver_rules(void **state)
{
	expect((const char *[]){BASE, "-l", "journald", NULL}, NULL);
	expect((const char *[]){"tether", "-c", "short", "-u", "u", "-r", "/bin/true", "-l",
				"journald:", NULL},
	       "Container ID must be longer than 12 characters");
	expect((const char *[]){BASE, "-l", "journald", "--log-label", "bad-name=x", NULL},
	       "label");
	expect((const char *[]){BASE, "-l", "passthrough:", NULL},
	       "passthrough cannot be combined with other log drivers");
	expect((const char *[]){"tether", "-c", "id", "-u", "u", "-r", "/bin/true", "-l",
				"passthrough", NULL},
	       NULL);
	expect((const char *[]){"tether", "-c", "id", "-u", "u", "-r", "/bin/true", "-l",
				"passthrough", "-t", NULL},
	       "cannot be used with --terminal");
	expect((const char *[]){"tether", "-c", "id", "-u", "u", "-r", "/bin/true", "-l",
				"passthrough", "-i", NULL},
	       NULL);
}

static void test_names_cannot_escape(void **state)
{
	const char *bad[] = {"../x", "a/b", ".", "..", ""};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		expect((const char *[]){"tether", "-c", bad[i], "-u", "u", "-r", "/bin/true", "-l",
					"/x", NULL},
		       "Invalid container ID");
		expect((const char *[]){"tether", "-c", "id", "-u", bad[i], "-r", "/bin/true", "-l",
					"/x", NULL},
		       "Invalid container UUID");
	}
}

/* GLib returned TRUE, its error set (twice), for an optional argument it
 * could not convert (found by fuzz_opts): the shim ran on regardless. */
static void test_unconvertible_optional_arg(void **state)
{
	expect((const char *[]){BASE, "--api-version=5\x9a", NULL}, "Invalid --api-version");
}

static void test_version(void **state)
{
	const char *v = opts_version_text();
	assert_true(g_str_has_prefix(v, "conmon version 2."));
	g_auto(GStrv) lines = g_strsplit(v, "\n", -1);
	assert_int_equal(g_strv_length(lines), 3); /* two lines and the final "" */
	assert_true(g_str_has_prefix(lines[1], "commit: tether "));
}

static void test_upgrade_flags(void **state)
{
	struct tether_opts o;
	const char *plain[] = {BASE, NULL};
	assert_true(parse(&o, plain, NULL));
	assert_int_equal(o.adopt_state_fd, -1);
	assert_false(o.upgrade_protocol);
	opts_clear(&o);
	const char *args[] = {BASE, "--adopt-state=7", "--live-upgrade-protocol", NULL};
	assert_true(parse(&o, args, NULL));
	assert_int_equal(o.adopt_state_fd, 7);
	assert_true(o.upgrade_protocol);
	opts_clear(&o);
	/* As crash recovery's handler fills them in: blank-padded numbers. */
	const char *padded[] = {BASE, "--adopt-state=        19", "--recovered-from= 6", NULL};
	assert_true(parse(&o, padded, NULL));
	assert_int_equal(o.adopt_state_fd, 19);
	assert_int_equal(o.recovered_from, 6);
	opts_clear(&o);
	expect((const char *[]){BASE, "--fd-store", NULL}, "--fd-store needs --systemd-notify");
	expect((const char *[]){BASE, "--fd-store", "--systemd-notify", NULL}, NULL);
	const char *bad[] = {BASE, "--adopt-state=x", NULL};
	GError *error = NULL;
	assert_false(parse(&o, bad, &error));
	assert_non_null(strstr(error->message, "adopt-state"));
	g_error_free(error);
	opts_clear(&o);
}

static void test_restore_argv(void **state)
{
	struct tether_opts o;
	const char *args[] = {BASE,
			      "-b",
			      "/b",
			      "-p",
			      "/p",
			      "--restore",
			      "/ckpt",
			      "--runtime-opt",
			      "--tcp-established",
			      NULL};
	assert_true(parse(&o, args, NULL) && opts_validate(&o, NULL));
	g_auto(GStrv) argv = runtime_argv(&o, NULL);
	g_autofree char *joined = g_strjoinv(" ", argv);
	assert_string_equal(joined, "/bin/true restore --bundle /b --pid-file /p --detach "
				    "--image-path /ckpt --work-path /b --tcp-established "
				    "0123456789abcdef");
	opts_clear(&o);
}

static void test_runtime_argv_order(void **state)
{
	struct tether_opts o;
	const char *args[] = {BASE,
			      "-b",
			      "/b",
			      "-p",
			      "/p",
			      "-s",
			      "--no-pivot",
			      "--no-new-keyring",
			      "--runtime-arg",
			      "--root=/r",
			      "--runtime-opt",
			      "--preserve-fds",
			      "--runtime-opt",
			      "2",
			      NULL};
	assert_true(parse(&o, args, NULL) && opts_validate(&o, NULL));
	g_auto(GStrv) argv = runtime_argv(&o, "/tmp/console");
	g_autofree char *joined = g_strjoinv(" ", argv);
	assert_string_equal(joined, "/bin/true --systemd-cgroup --root=/r create --bundle /b "
				    "--pid-file /p --no-pivot --no-new-keyring --preserve-fds 2 "
				    "--console-socket /tmp/console 0123456789abcdef");
	opts_clear(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_hidden_aliases),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_conmon_messages),
		cmocka_unit_test(test_log_driver_rules),
		cmocka_unit_test(test_names_cannot_escape),
		cmocka_unit_test(test_unconvertible_optional_arg),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_upgrade_flags),
		cmocka_unit_test(test_restore_argv),
		cmocka_unit_test(test_runtime_argv_order),
	};
	return cmocka_run_group_tests_name("opts", tests, NULL, NULL);
}
