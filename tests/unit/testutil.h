/* Shared bits of the unit tests: cmocka, and a check that a test leaked no
 * fd (the idea of libuv's leak check). */
#ifndef TETHER_TESTUTIL_H
#define TETHER_TESTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

static inline int testutil_count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* Wrap a test body: fails if the fd count changed. */
#define TEST_NO_FD_LEAK(...)                                                                       \
	do {                                                                                       \
		/* GLib's default context makes its wakeup fd on first use. */                     \
		g_main_context_iteration(NULL, FALSE);                                             \
		int fds_before_ = testutil_count_fds();                                            \
		__VA_ARGS__;                                                                       \
		assert_int_equal(testutil_count_fds(), fds_before_);                               \
	} while (0)

/* As cmocka setup/teardown: the fd count before a test must be the count
 * after it. */
static inline int testutil_fd_setup(void **state)
{
	*state = (void *)(intptr_t)testutil_count_fds();
	return 0;
}

static inline int testutil_fd_check(void **state)
{
	assert_int_equal(testutil_count_fds(), (int)(intptr_t)*state);
	return 0;
}

static inline char *testutil_tmpdir(void)
{
	char *dir = g_dir_make_tmp("tether-unit-XXXXXX", NULL);
	assert_non_null(dir);
	return dir;
}

static inline void testutil_rmtree(const char *dir)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Everything readable now on fd (made non-blocking): up to EOF, or until
 * the pipe is empty while a writer remains. */
static inline GString *testutil_slurp(int fd)
{
	GString *s = g_string_new(NULL);
	int fl = fcntl(fd, F_GETFL);
	assert_true(fl >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		g_string_append_len(s, buf, n);
	return s;
}

/* A stdout and a stderr pipe for a test to render into (O_CLOEXEC | flags),
 * and closing them (an end already closed is -1). */
static inline void testutil_out_err_open(int out[2], int err[2], int flags)
{
	assert_int_equal(pipe2(out, O_CLOEXEC | flags), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC | flags), 0);
}

static inline void testutil_out_err_close(int out[2], int err[2])
{
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
}

#endif
