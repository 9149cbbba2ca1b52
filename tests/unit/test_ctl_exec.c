/* Unit tests: exec's process spec (env merge, user parsing, cwd) and the
 * argument handling of checkpoint and restore. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "tether/ctl.h"
#include "tether/ctl_exec_spec.h"
#include "tether/jsonutil.h"

static void test_env_merge(void **state)
{
	char *base[] = {"PATH=/bin", "HOME=/root", NULL};
	g_setenv("TETHER_TEST_PASS", "passed", TRUE);
	g_unsetenv("TETHER_TEST_UNSET");
	char *over[] = {"HOME=/tmp", "NEW=1", "TETHER_TEST_PASS", "TETHER_TEST_UNSET", "=x",
			"EMPTY=",    NULL};
	g_auto(GStrv) m = ctl_exec_env_merge(base, over);
	assert_int_equal(g_strv_length(m), 5);
	assert_string_equal(m[0], "PATH=/bin");
	assert_string_equal(m[1], "HOME=/tmp");
	assert_string_equal(m[2], "NEW=1");
	assert_string_equal(m[3], "TETHER_TEST_PASS=passed");
	assert_string_equal(m[4], "EMPTY=");
	g_auto(GStrv) none = ctl_exec_env_merge(NULL, NULL);
	assert_int_equal(g_strv_length(none), 0);
}

static char *make_rootfs(void)
{
	char *dir = g_dir_make_tmp("test_ctl_exec.XXXXXX", NULL);
	g_autofree char *etc = g_build_filename(dir, "etc", NULL);
	g_mkdir(etc, 0755);
	g_autofree char *pw = g_build_filename(etc, "passwd", NULL);
	g_autofree char *gr = g_build_filename(etc, "group", NULL);
	g_file_set_contents(pw,
			    "root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1001::/home/web:/bin/sh\n"
			    "broken\n",
			    -1, NULL);
	g_file_set_contents(gr, "root:x:0:\nstaff:x:50:\n", -1, NULL);
	return dir;
}

static void test_parse_user(void **state)
{
	g_autofree char *rootfs = make_rootfs();
	uid_t u;
	gid_t g;
	assert_int_equal(ctl_exec_parse_user("65534", NULL, &u, &g), 0);
	assert_int_equal(u, 65534);
	assert_int_equal(g, 0);
	assert_int_equal(ctl_exec_parse_user("10:20", NULL, &u, &g), 0);
	assert_int_equal(u, 10);
	assert_int_equal(g, 20);
	/* A known uid takes its passwd gid. */
	assert_int_equal(ctl_exec_parse_user("1000", rootfs, &u, &g), 0);
	assert_int_equal(g, 1001);
	assert_int_equal(ctl_exec_parse_user("web", rootfs, &u, &g), 0);
	assert_int_equal(u, 1000);
	assert_int_equal(g, 1001);
	assert_int_equal(ctl_exec_parse_user("web:staff", rootfs, &u, &g), 0);
	assert_int_equal(g, 50);
	assert_int_equal(ctl_exec_parse_user("0:staff", rootfs, &u, &g), 0);
	assert_int_equal(u, 0);
	assert_int_equal(g, 50);
	assert_int_equal(ctl_exec_parse_user("nobody", rootfs, &u, &g), -ENOENT);
	assert_int_equal(ctl_exec_parse_user("web", NULL, &u, &g), -ENOENT);
	assert_int_equal(ctl_exec_parse_user("web:nogroup", rootfs, &u, &g), -ENOENT);
	assert_int_equal(ctl_exec_parse_user("", NULL, &u, &g), -EINVAL);
	assert_int_equal(ctl_exec_parse_user(":1", NULL, &u, &g), -EINVAL);
	assert_int_equal(ctl_exec_parse_user("1:", NULL, &u, &g), -EINVAL);
	g_autofree char *etc = g_build_filename(rootfs, "etc", NULL);
	g_autofree char *pw = g_build_filename(etc, "passwd", NULL);
	g_autofree char *gr = g_build_filename(etc, "group", NULL);
	g_unlink(pw);
	g_unlink(gr);
	g_rmdir(etc);
	g_rmdir(rootfs);
}

static const char *get_str(json_object *o, const char *k)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

static void test_spec_build(void **state)
{
	g_autoptr(json_object) config = json_tokener_parse(
		"{\"process\": {\"args\": [\"sleep\", \"300\"], \"cwd\": \"/srv\","
		" \"env\": [\"PATH=/bin\", \"A=1\"], \"user\": {\"uid\": 5, \"gid\": 6},"
		" \"consoleSize\": {\"height\": 1, \"width\": 2},"
		" \"capabilities\": {\"bounding\": [\"CAP_KILL\"]}}}");
	char *args[] = {"sh", "-c", "true", NULL};
	char *env[] = {"A=2", "B=3", NULL};
	struct ctl_exec_spec_opts o = {.args = args, .env = env, .terminal = true};
	g_autoptr(GError) error = NULL;
	g_autoptr(json_object) p = ctl_exec_spec_build(config, NULL, &o, &error);
	assert_non_null(p);
	const char *text = json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN);
	assert_non_null(strstr(text, "\"args\":[\"sh\",\"-c\",\"true\"]"));
	assert_non_null(strstr(text, "\"env\":[\"PATH=\\/bin\",\"A=2\",\"B=3\"]"));
	assert_non_null(strstr(text, "\"uid\":5"));
	assert_non_null(strstr(text, "CAP_KILL"));
	assert_null(strstr(text, "consoleSize"));
	assert_non_null(strstr(text, "\"terminal\":true"));
	assert_string_equal(get_str(p, "cwd"), "/srv");

	/* -w and -u override the config's. */
	o.cwd = "/tmp";
	o.user = "7:8";
	o.terminal = false;
	g_autoptr(json_object) p2 = ctl_exec_spec_build(config, NULL, &o, &error);
	assert_non_null(p2);
	assert_string_equal(get_str(p2, "cwd"), "/tmp");
	text = json_object_to_json_string_ext(p2, JSON_C_TO_STRING_PLAIN);
	assert_non_null(strstr(text, "\"user\":{\"uid\":7,\"gid\":8}"));
	assert_non_null(strstr(text, "\"terminal\":false"));

	/* No config: cwd "/", root. */
	struct ctl_exec_spec_opts bare = {.args = args};
	g_autoptr(json_object) p3 = ctl_exec_spec_build(NULL, NULL, &bare, &error);
	assert_non_null(p3);
	assert_string_equal(get_str(p3, "cwd"), "/");
	text = json_object_to_json_string_ext(p3, JSON_C_TO_STRING_PLAIN);
	assert_non_null(strstr(text, "\"user\":{\"uid\":0,\"gid\":0}"));

	/* A relative -w and a bad -u are usage errors. */
	bare.cwd = "tmp";
	assert_null(ctl_exec_spec_build(NULL, NULL, &bare, &error));
	assert_true(g_error_matches(error, CTL_ERROR, CTL_ERROR_USAGE));
	g_clear_error(&error);
	bare.cwd = NULL;
	bare.user = "someone";
	assert_null(ctl_exec_spec_build(NULL, NULL, &bare, &error));
	assert_non_null(strstr(error->message, "unknown user 'someone'"));
}

typedef int (*verb_fn)(struct ctl_context *, int, char **, GError **);

static int call(verb_fn fn, const char *line, GError **error)
{
	g_autofree char *root = g_dir_make_tmp("test_ctl_exec_root.XXXXXX", NULL);
	struct ctl_context ctx;
	assert_int_equal(ctl_context_init(&ctx, root, "/bin/true", "/bin/true", NULL, NULL), 0);
	g_auto(GStrv) argv = g_strsplit(line, " ", -1);
	/* The verb's option parsing rearranges the vector it is given (as it
	 * may with the process's argv): give it a copy of the pointers, and
	 * free the strings from the original. */
	g_autofree char **copy = g_memdup2(argv, sizeof(char *) * (g_strv_length(argv) + 1));
	int r = fn(&ctx, (int)g_strv_length(argv), copy, error);
	ctl_context_clear(&ctx);
	g_rmdir(root);
	return r;
}

static void test_checkpoint_restore_args(void **state)
{
	const struct {
		verb_fn fn;
		const char *line;
		int ret, code;
	} cases[] = {
		{ctl_checkpoint_main, "checkpoint", -1, CTL_ERROR_USAGE},
		{ctl_checkpoint_main, "checkpoint a b", -1, CTL_ERROR_USAGE},
		{ctl_checkpoint_main, "checkpoint --bogus a", -1, -1}, /* GLib's option error */
		{ctl_checkpoint_main, "checkpoint --image-path /tmp/x nosuch", -1,
		 CTL_ERROR_NOT_FOUND},
		{ctl_restore_main, "restore", -1, CTL_ERROR_USAGE},
		{ctl_restore_main, "restore a b", -1, CTL_ERROR_USAGE},
		{ctl_restore_main, "restore --image-path /tmp/x nosuch", -1, CTL_ERROR_NOT_FOUND},
		{ctl_update_main, "update a", -1, CTL_ERROR_USAGE},
		{ctl_update_main, "update --pids-limit x a", -1, CTL_ERROR_USAGE},
		{ctl_update_main, "update --memory 0 a", -1, CTL_ERROR_USAGE},
		{ctl_exec_main, "exec a", -1, CTL_ERROR_USAGE},
		{ctl_exec_main, "exec --detach-keys ctrl-? a true", -1, CTL_ERROR_USAGE},
		{ctl_stats_main, "stats --format yaml a", -1, CTL_ERROR_USAGE},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		int r = call(cases[i].fn, cases[i].line, &error);
		if (r != cases[i].ret || error == NULL ||
		    (cases[i].code >= 0 && !g_error_matches(error, CTL_ERROR, cases[i].code)))
			fail_msg("'%s': %d, %s", cases[i].line, r,
				 error ? error->message : "no error");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_env_merge, testutil_fd_setup,
						testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_parse_user, testutil_fd_setup,
						testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_spec_build, testutil_fd_setup,
						testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_checkpoint_restore_args, testutil_fd_setup,
						testutil_fd_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
