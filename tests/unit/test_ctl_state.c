/* Unit tests: state.json, the exit file, ctl_fs, shim liveness. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tether/ctl_exit.h"
#include "tether/ctl_fs.h"
#include "tether/ctl_state.h"
#include "tether/fileio.h"

struct fixture {
	int fds;
	char *dir;
};

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	f->fds = testutil_count_fds();
	f->dir = g_dir_make_tmp("test_ctl_state.XXXXXX", NULL);
	assert_non_null(f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ctl_fs_rm_rf(f->dir), 0);
	assert_false(g_file_test(f->dir, G_FILE_TEST_EXISTS));
	assert_int_equal(testutil_count_fds(), f->fds);
	g_free(f->dir);
	g_free(f);
	return 0;
}

static void put(const char *dir, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void test_state_round_trip(void **state)
{
	struct fixture *f = *state;
	struct ctl_state st = {
		.id = "c1",
		.name = "web \"one\"",
		.bundle = "/srv/bundle",
		.runtime = "/usr/sbin/runc",
		.shim = "/usr/bin/tether",
		.created = "2026-11-23T12:00:00.000000Z",
		.log_driver = "json-file",
		.log_path = "/run/tether/containers/c1/ctr.json",
		.log_size_max = 20480,
		.log_max_files = 7,
		.shim_pid = 1234,
		.pid = 5678,
	};
	assert_int_equal(ctl_state_save(f->dir, &st), 0);
	g_autofree char *path = g_build_filename(f->dir, "state.json", NULL);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	struct ctl_state back;
	assert_int_equal(ctl_state_load(f->dir, &back), 0);
	assert_string_equal(back.id, st.id);
	assert_string_equal(back.name, st.name);
	assert_string_equal(back.bundle, st.bundle);
	assert_string_equal(back.runtime, st.runtime);
	assert_string_equal(back.shim, st.shim);
	assert_string_equal(back.created, st.created);
	assert_string_equal(back.log_driver, st.log_driver);
	assert_string_equal(back.log_path, st.log_path);
	assert_int_equal(back.log_size_max, 20480);
	assert_int_equal(back.log_max_files, 7);
	assert_int_equal(back.shim_pid, 1234);
	assert_int_equal(back.pid, 5678);
	ctl_state_clear(&back);
	assert_null(back.id);
}

static void test_state_bad_json(void **state)
{
	struct fixture *f = *state;
	struct ctl_state st;
	assert_int_equal(ctl_state_load(f->dir, &st), -ENOENT);
	static const char *const bad[] = {
		"",
		"[]",
		"{",
		"{\"name\": \"x\"}",
		"{\"id\": 5}",
		"{\"id\": \"a\", \"pid\": \"7\"}",
		"{\"id\": \"a\", \"pid\": -3}",
		"{\"id\": \"a\", \"log_driver\": 1}",
		"{\"id\": \"a\", \"log_size_max\": -1}",
		"{\"id\": \"a\", \"log_max_files\": 4294967296}",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_int_equal(ctl_state_from_json(bad[i], strlen(bad[i]), &st), -EINVAL);
	const char *min = "{\"id\": \"a\"}";
	assert_int_equal(ctl_state_from_json(min, strlen(min), &st), 0);
	assert_string_equal(st.id, "a");
	assert_null(st.name);
	assert_int_equal(st.pid, 0);
	/* Older state.json files name no driver: k8s-file, no limits. */
	assert_null(st.log_driver);
	assert_int_equal(st.log_size_max, 0);
	assert_int_equal(st.log_max_files, 0);
	ctl_state_clear(&st);
}

static void test_state_lenient(void **state)
{
	struct fixture *f = *state;
	put(f->dir, "state.json", "garbage");
	put(f->dir, "shim.pid", "4242");
	put(f->dir, "pidfile", "4343\n");
	struct ctl_state st;
	ctl_state_load_lenient(f->dir, "box", &st);
	assert_string_equal(st.id, "box");
	assert_string_equal(st.name, "box");
	assert_int_equal(st.shim_pid, 4242);
	assert_int_equal(st.pid, 4343);
	assert_non_null(st.created);
	ctl_state_clear(&st);

	/* The directory's name wins over a state.json that disagrees. */
	put(f->dir, "state.json", "{\"id\": \"other\", \"name\": \"n\", \"shim_pid\": 0}");
	ctl_state_load_lenient(f->dir, "box", &st);
	assert_string_equal(st.id, "box");
	assert_string_equal(st.name, "n");
	assert_int_equal(st.shim_pid, 4242);
	ctl_state_clear(&st);
}

static void test_status_names(void **state)
{
	assert_int_equal(ctl_status_from_runtime("created"), CTL_STATUS_CREATED);
	assert_int_equal(ctl_status_from_runtime("running"), CTL_STATUS_RUNNING);
	assert_int_equal(ctl_status_from_runtime("paused"), CTL_STATUS_PAUSED);
	assert_int_equal(ctl_status_from_runtime("stopped"), CTL_STATUS_STOPPED);
	assert_int_equal(ctl_status_from_runtime("weird"), CTL_STATUS_UNKNOWN);
	assert_int_equal(ctl_status_from_runtime(NULL), CTL_STATUS_UNKNOWN);
	assert_string_equal(ctl_status_name(CTL_STATUS_SHIM_DEAD), "shim-dead");
	assert_string_equal(ctl_status_name(CTL_STATUS_EXITED), "exited");
	assert_true(ctl_status_is_live(CTL_STATUS_PAUSED));
	assert_false(ctl_status_is_live(CTL_STATUS_STOPPED));
}

static void test_exit_file(void **state)
{
	struct fixture *f = *state;
	g_autofree char *exits = g_build_filename(f->dir, "exits", NULL);
	assert_int_equal(g_mkdir(exits, 0700), 0);
	int code = -1;
	assert_int_equal(ctl_exit_read(f->dir, "c1", &code), -ENOENT);
	assert_int_equal(ctl_exit_wait(f->dir, "c1", 50, 0, NULL, -1, &code), -ETIMEDOUT);

	/* A child writes it atomically a little later: the wait wakes up. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		g_usleep(100 * 1000);
		g_autofree char *path = g_build_filename(exits, "c1", NULL);
		_exit(fileio_write_atomic(path, "137", 3, 0644) == 0 ? 0 : 1);
	}
	gint64 t0 = ctl_now_ms();
	assert_int_equal(ctl_exit_wait(f->dir, "c1", 5000, 0, NULL, -1, &code), 0);
	assert_int_equal(code, 137);
	assert_true(ctl_now_ms() - t0 < 4000);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	/* Already there: returns at once. */
	assert_int_equal(ctl_exit_wait(f->dir, "c1", -1, 0, NULL, -1, &code), 0);

	/* A cancel fd that is readable ends the wait. */
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(ctl_exit_wait(f->dir, "c2", -1, 0, NULL, p[0], &code), -ECANCELED);
	close(p[0]);
	close(p[1]);

	/* A "shim" that is not ours is as good as gone. */
	assert_int_equal(ctl_exit_wait(f->dir, "c2", -1, getpid(), "/no/such/shim", -1, &code),
			 -ESRCH);
	put(exits, "bad", "x1");
	assert_int_equal(ctl_exit_read(f->dir, "bad", &code), -EINVAL);
}

#define ID "sleep 10; true"
static void test_shim_alive(void **state)
{
	/* This test binary plays the shim: its cmdline has no "-c ID". */
	assert_true(ctl_shim_alive(getpid(), NULL, NULL));
	assert_false(ctl_shim_alive(getpid(), NULL, "c1"));
	assert_false(ctl_shim_alive(getpid(), "/no/such/binary", NULL));
	assert_false(ctl_shim_alive(0, NULL, NULL));

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* argv: /bin/sh -c ID, as a shim has -c ID. */
		execl("/bin/sh", "/bin/sh", "-c", "sleep 10; true", (char *)NULL);
		_exit(127);
	}
	/* Wait until the exec has happened. */
	for (int i = 0; i < 500 && !ctl_shim_alive(pid, "/bin/sh", ID); i++)
		g_usleep(10 * 1000);
	assert_true(ctl_shim_alive(pid, "/bin/sh", ID));
	assert_false(ctl_shim_alive(pid, "/bin/sh", "c2"));
	kill(pid, SIGKILL);
	/* A zombie is not alive. */
	g_usleep(50 * 1000);
	assert_false(ctl_shim_alive(pid, "/bin/sh", ID));
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_false(ctl_shim_alive(pid, "/bin/sh", ID));
}

static void test_rm_rf_no_follow(void **state)
{
	struct fixture *f = *state;
	g_autofree char *outside = g_build_filename(f->dir, "outside", NULL);
	g_autofree char *tree = g_build_filename(f->dir, "tree", NULL);
	g_autofree char *deep = g_build_filename(tree, "a", "b", "c", NULL);
	assert_int_equal(ctl_fs_mkdir_p(deep, 0700), 0);
	assert_int_equal(ctl_fs_mkdir_p(outside, 0700), 0);
	put(outside, "keep", "precious");
	put(deep, "file", "x");
	g_autofree char *link1 = g_build_filename(tree, "a", "out", NULL);
	g_autofree char *link2 = g_build_filename(tree, "keep-link", NULL);
	g_autofree char *keep = g_build_filename(outside, "keep", NULL);
	assert_int_equal(symlink(outside, link1), 0);
	assert_int_equal(symlink(keep, link2), 0);
	g_autofree char *fifo = g_build_filename(tree, "fifo", NULL);
	assert_int_equal(mkfifo(fifo, 0600), 0);

	assert_int_equal(ctl_fs_rm_rf(tree), 0);
	assert_false(g_file_test(tree, G_FILE_TEST_EXISTS));
	assert_true(g_file_test(keep, G_FILE_TEST_IS_REGULAR));
	assert_int_equal(ctl_fs_rm_rf(tree), 0);

	/* A symlink as the top: the link goes, not its target. */
	assert_int_equal(symlink(outside, tree), 0);
	assert_int_equal(ctl_fs_rm_rf(tree), 0);
	assert_true(g_file_test(keep, G_FILE_TEST_IS_REGULAR));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_state_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_bad_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_lenient, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shim_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rm_rf_no_follow, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
