/* Shared bits of the unit tests: cmocka, and a check that a test leaked no
 * fd (the idea of libuv's leak check). */
#ifndef TETHER_TESTUTIL_H
#define TETHER_TESTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

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

#endif
