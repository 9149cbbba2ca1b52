/* Atomic state files: all or nothing, right mode, no temp files left, and a
 * planted symlink is replaced, never followed. */
#include "testutil.h"
#include "tether/fdutil.h"
#include "tether/fileio.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int count_entries(const char *dir)
{
	int n = 0;
	GDir *d = g_dir_open(dir, 0, NULL);
	while (g_dir_read_name(d) != NULL)
		n++;
	g_dir_close(d);
	return n;
}

static void test_write_atomic(void **state)
{
	g_autofree char *dir = testutil_tmpdir();
	g_autofree char *path = g_build_filename(dir, "exit", NULL);
	TEST_NO_FD_LEAK({
		assert_int_equal(fileio_write_atomic(path, "137", 3, 0644), 0);
		assert_int_equal(fileio_write_atomic(path, "0", 1, 0600), 0);
	});
	g_autofree char *data = NULL;
	gsize len;
	assert_true(g_file_get_contents(path, &data, &len, NULL));
	assert_int_equal(len, 1);
	assert_string_equal(data, "0");
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(count_entries(dir), 1); /* no temp file left */
	long long v;
	assert_int_equal(fileio_read_int(path, &v), 0);
	assert_int_equal(v, 0);
	testutil_rmtree(dir);
}

static void test_symlink_not_followed(void **state)
{
	g_autofree char *dir = testutil_tmpdir();
	g_autofree char *victim = g_build_filename(dir, "victim", NULL);
	g_autofree char *path = g_build_filename(dir, "exit", NULL);
	assert_true(g_file_set_contents(victim, "precious", -1, NULL));
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(fileio_write_atomic(path, "1", 1, 0644), 0);
	g_autofree char *data = NULL;
	assert_true(g_file_get_contents(victim, &data, NULL, NULL));
	assert_string_equal(data, "precious");
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* Readers do not follow a planted symlink either. */
	g_autofree char *link = g_build_filename(dir, "link", NULL);
	assert_int_equal(symlink(victim, link), 0);
	long long v;
	assert_int_equal(fileio_read_int(link, &v), -ELOOP);
	testutil_rmtree(dir);
}

static void test_errors(void **state)
{
	TEST_NO_FD_LEAK({
		assert_int_equal(fileio_write_atomic("/no/such/dir/x", "1", 1, 0644), -ENOENT);
		long long v;
		assert_int_equal(fileio_read_int("/no/such/file", &v), -ENOENT);
		g_autofree char *dir = testutil_tmpdir();
		g_autofree char *path = g_build_filename(dir, "f", NULL);
		assert_true(g_file_set_contents(path, " 42\n", -1, NULL));
		assert_int_equal(fileio_read_int(path, &v), 0);
		assert_int_equal(v, 42);
		assert_true(g_file_set_contents(path, "4x", -1, NULL));
		assert_int_equal(fileio_read_int(path, &v), -EINVAL);
		assert_true(g_file_set_contents(path, "", -1, NULL));
		assert_int_equal(fileio_read_int(path, &v), -ENODATA);
		g_autofree char *big = g_strnfill(100, '1');
		assert_true(g_file_set_contents(path, big, -1, NULL));
		assert_int_equal(fileio_read_int(path, &v), -EFBIG);
		assert_int_equal(fileio_read_int(dir, &v), -EINVAL);
		testutil_rmtree(dir);
	});
}

static void test_fd_from_env(void **state)
{
	unsetenv("TETHER_TEST_FD");
	assert_int_equal(fdutil_fd_from_env("TETHER_TEST_FD"), -ENOENT);
	setenv("TETHER_TEST_FD", "abc", 1);
	assert_int_equal(fdutil_fd_from_env("TETHER_TEST_FD"), -EINVAL);
	setenv("TETHER_TEST_FD", "999", 1);
	assert_int_equal(fdutil_fd_from_env("TETHER_TEST_FD"), -EBADF);
	setenv("TETHER_TEST_FD", "2", 1);
	assert_int_equal(fdutil_fd_from_env("TETHER_TEST_FD"), 2);
	unsetenv("TETHER_TEST_FD");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_symlink_not_followed),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_fd_from_env),
	};
	return cmocka_run_group_tests_name("fileio", tests, NULL, NULL);
}
