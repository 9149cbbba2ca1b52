/* Unit tests: the shim's command line and the create handshake, against a
 * fake shim (a shell script) that speaks the sync and start pipes. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tether/ctl.h"
#include "tether/ctl_fs.h"
#include "tether/ctl_shim.h"

struct fixture {
	int fds;
	char *dir;
	char *cdir;
	struct ctl_context ctx;
};

/* The fake shim: records its argv, waits for the start byte, then does
 * what $FAKE_SHIM_MODE says. */
static const char FAKE[] =
	"#!/bin/sh\n"
	"dir=$(dirname \"$0\")\n"
	"printf '%s\\n' \"$@\" >\"$dir/argv\"\n"
	"echo \"$_OCI_SYNCPIPE $_OCI_STARTPIPE\" >\"$dir/env\"\n"
	"head -c1 <&$_OCI_STARTPIPE >\"$dir/start\"\n"
	"case $FAKE_SHIM_MODE in\n"
	"ok) printf '{\"data\": 4242}\\n' >&$_OCI_SYNCPIPE ;;\n"
	"fail) printf '{\"data\": -1, \"message\": \"time=\\\\\"x\\\\\" level=error "
	"msg=\\\\\"runc create failed: no such file\\\\\"\\\\n\"}\\n' >&$_OCI_SYNCPIPE ;;\n"
	"silent) ;;\n"
	"crash) echo 'fatal: cannot parse options' >&2; exit 3 ;;\n"
	"esac\n"
	"exit 0\n";

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	f->fds = testutil_count_fds();
	f->dir = g_dir_make_tmp("test_ctl_shim.XXXXXX", NULL);
	f->cdir = g_build_filename(f->dir, "containers", "c1", NULL);
	assert_int_equal(ctl_fs_mkdir_p(f->cdir, 0700), 0);
	g_autofree char *shim = g_build_filename(f->dir, "fake-shim", NULL);
	assert_true(g_file_set_contents(shim, FAKE, -1, NULL));
	assert_int_equal(chmod(shim, 0755), 0);
	assert_int_equal(ctl_context_init(&f->ctx, f->dir, "/bin/true", shim, "info", NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ctl_context_clear(&f->ctx);
	assert_int_equal(ctl_fs_rm_rf(f->dir), 0);
	assert_int_equal(testutil_count_fds(), f->fds);
	g_free(f->dir);
	g_free(f->cdir);
	g_free(f);
	return 0;
}

static void test_argv(void **state)
{
	struct fixture *f = *state;
	char *eargs[] = {"a", "b c", NULL};
	const struct ctl_log_config log = {CTL_LOG_K8S_FILE, 0, 0, {0}};
	g_auto(GStrv) argv = ctl_shim_argv(&f->ctx, "c1", "web", "/r/containers/c1", &log, 0,
					   "/bin/ex", eargs, NULL);
	g_autofree char *line = g_strjoinv(" ", argv + 1);
	g_autofree char *want = g_strdup_printf(
		"--api-version 1 -c c1 -u c1 -n web -r /bin/true -b /r/containers/c1 "
		"-p /r/containers/c1/pidfile --exit-dir /r/containers/c1/exits "
		"-P /r/containers/c1/shim.pid -l k8s-file:/r/containers/c1/ctr.log "
		"--full-attach --persist-dir /r/containers/c1 --exit-command /bin/ex "
		"--exit-command-arg a --exit-command-arg b c --log-level info "
		"--runtime-arg --root=%s/runtime",
		f->dir);
	assert_string_equal(line, want);
	assert_string_equal(argv[0], f->ctx.shim);
}

/* The log flags for each driver and limit. */
static char *log_flags(struct fixture *f, enum ctl_log_driver driver, int64_t size_max,
		       int max_files)
{
	const struct ctl_log_config log = {driver, size_max, max_files, {0}};
	g_auto(GStrv) argv = ctl_shim_argv(&f->ctx, "c1", "c1", "/c", &log, 0, NULL, NULL, NULL);
	g_autofree char *line = g_strjoinv(" ", argv + 1);
	const char *from = strstr(line, " -l ");
	const char *to = strstr(line, " --full-attach");
	assert_non_null(from);
	assert_non_null(to);
	return g_strndup(from + 1, (gsize)(to - from - 1));
}

static void test_argv_log(void **state)
{
	struct fixture *f = *state;
	static const struct {
		enum ctl_log_driver driver;
		int64_t size_max;
		int max_files;
		const char *want;
	} cases[] = {
		{CTL_LOG_K8S_FILE, 0, 0, "-l k8s-file:/c/ctr.log"},
		{CTL_LOG_JSON_FILE, 0, 0, "-l json-file:/c/ctr.json"},
		{CTL_LOG_JOURNALD, 0, 0, "-l journald"},
		{CTL_LOG_NONE, 0, 0, "-l none"},
		/* Without rotation the shim starts the file anew, as conmon. */
		{CTL_LOG_K8S_FILE, 20480, 0, "-l k8s-file:/c/ctr.log --log-size-max 20480"},
		{CTL_LOG_JSON_FILE, 1048576, 5,
		 "-l json-file:/c/ctr.json --log-size-max 1048576 --log-rotate --log-max-files 5"},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got =
			log_flags(f, cases[i].driver, cases[i].size_max, cases[i].max_files);
		assert_string_equal(got, cases[i].want);
	}
}

static char *read_in(struct fixture *f, const char *name)
{
	g_autofree char *path = g_build_filename(f->dir, name, NULL);
	char *text = NULL;
	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

static const struct ctl_log_config k8s_log = {CTL_LOG_K8S_FILE, 0, 0, {0}};

static void test_create_ok(void **state)
{
	struct fixture *f = *state;
	g_setenv("FAKE_SHIM_MODE", "ok", TRUE);
	g_autoptr(GError) error = NULL;
	pid_t pid = ctl_shim_create(&f->ctx, "c1", "c1", f->cdir, &k8s_log, 0, NULL, NULL, NULL,
				    &error);
	assert_null(error);
	assert_int_equal(pid, 4242);
	g_autofree char *argv = read_in(f, "argv");
	assert_non_null(strstr(argv, "\n-c\nc1\n"));
	assert_null(strstr(argv, "--exit-command"));
	g_autofree char *start = read_in(f, "start");
	assert_memory_equal(start, "\0", 1);
	g_autofree char *env = read_in(f, "env");
	int sync_fd = -1, start_fd = -1;
	assert_int_equal(sscanf(env, "%d %d", &sync_fd, &start_fd), 2);
	assert_true(sync_fd > 2 && start_fd > 2 && sync_fd != start_fd);
}

static void expect_error(struct fixture *f, const char *mode, const char *needle)
{
	g_setenv("FAKE_SHIM_MODE", mode, TRUE);
	g_autoptr(GError) error = NULL;
	assert_int_equal(ctl_shim_create(&f->ctx, "c1", "c1", f->cdir, &k8s_log, 0, NULL, NULL,
					 NULL, &error),
			 -1);
	assert_non_null(error);
	if (strstr(error->message, needle) == NULL)
		fail_msg("'%s' not in '%s'", needle, error->message);
}

static void test_create_failures(void **state)
{
	struct fixture *f = *state;
	expect_error(f, "fail", "container create failed: runc create failed: no such file");
	expect_error(f, "silent", "exited without reporting");
	expect_error(f, "crash", "exit status 3): fatal: cannot parse options");

	g_clear_pointer(&f->ctx.shim, g_free);
	f->ctx.shim = g_strdup("/no/such/shim");
	expect_error(f, "ok", "exit status 127");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_argv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_argv_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_failures, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
