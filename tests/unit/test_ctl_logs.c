/* Unit tests: rendering k8s-file logs back into stdout and stderr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tether/ctl_fs.h"
#include "tether/ctl_logs.h"
#include "tether/fdutil.h"

#define TS "2026-11-23T12:00:00.000000001+00:00"

struct fixture {
	int fds;
	int out[2], err[2];
	char *dir;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	for (struct dirent *de; (de = readdir(d)) != NULL;)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	f->fds = count_fds();
	assert_int_equal(pipe2(f->out, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(pipe2(f->err, O_CLOEXEC | O_NONBLOCK), 0);
	f->dir = g_dir_make_tmp("test_ctl_logs.XXXXXX", NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 2; i++) {
		close(f->out[i]);
		close(f->err[i]);
	}
	assert_int_equal(ctl_fs_rm_rf(f->dir), 0);
	g_free(f->dir);
	assert_int_equal(count_fds(), f->fds);
	g_free(f);
	return 0;
}

static char *slurp(int fd)
{
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return g_strdup(buf);
}

/* Render text in one go; returns what was consumed. */
static size_t render(struct fixture *f, const char *text, bool ts, long long skip)
{
	struct ctl_logs_out out;
	ctl_logs_out_init(&out, f->out[1], f->err[1], ts);
	out.skip = skip;
	size_t used = ctl_logs_feed(&out, text, strlen(text));
	assert_int_equal(ctl_logs_out_flush(&out), 0);
	ctl_logs_out_clear(&out);
	return used;
}

static const char LOG[] = TS " stdout F one\n" TS " stderr F oops\n" TS " stdout P par\n" TS
			     " stdout F tial\n" TS " stdout F \n" TS " stdout P end";

static void test_streams_and_partials(void **state)
{
	struct fixture *f = *state;
	size_t used = render(f, LOG, false, 0);
	/* The last record has no "\n" yet: left for the next read. */
	assert_int_equal(used, strlen(LOG) - strlen(TS " stdout P end"));
	g_autofree char *out = slurp(f->out[0]);
	g_autofree char *err = slurp(f->err[0]);
	assert_string_equal(out, "one\npartial\n\n");
	assert_string_equal(err, "oops\n");
}

static void test_timestamps(void **state)
{
	struct fixture *f = *state;
	render(f, LOG, true, 0);
	g_autofree char *out = slurp(f->out[0]);
	g_autofree char *err = slurp(f->err[0]);
	/* One stamp per line, not per record. */
	assert_string_equal(out, TS " one\n" TS " partial\n" TS " \n");
	assert_string_equal(err, TS " oops\n");
}

static void test_skip_lines(void **state)
{
	struct fixture *f = *state;
	render(f, LOG, false, 2);
	g_autofree char *out = slurp(f->out[0]);
	g_autofree char *err = slurp(f->err[0]);
	assert_string_equal(out, "partial\n\n");
	assert_string_equal(err, "");
}

static void test_corrupt_reported_once(void **state)
{
	struct fixture *f = *state;
	int saved = dup(STDERR_FILENO);
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	dup2(p[1], STDERR_FILENO);
	const char *text = "garbage\n" TS " stdout F ok\n" TS " stdnot F x\n" TS " stdout X y\n";
	struct ctl_logs_out out;
	ctl_logs_out_init(&out, f->out[1], f->err[1], false);
	ctl_logs_feed(&out, text, strlen(text));
	ctl_logs_out_flush(&out);
	long long corrupt = out.corrupt;
	ctl_logs_out_clear(&out);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	g_autofree char *warn = slurp(p[0]);
	close(p[0]);
	g_autofree char *got = slurp(f->out[0]);
	assert_int_equal(corrupt, 3);
	assert_string_equal(got, "ok\n");
	assert_non_null(strstr(warn, "line 1"));
	assert_null(strstr(strstr(warn, "line 1") + 1, "corrupt"));
}

static void test_count_lines(void **state)
{
	struct fixture *f = *state;
	g_autofree char *path = g_build_filename(f->dir, "ctr.log", NULL);
	long long n = -1;
	assert_int_equal(ctl_logs_count_lines(path, &n), 0);
	assert_int_equal(n, 0);
	/* The unfinished last line is not in the file yet ("P end" has no
	 * newline), so: one, oops, partial, empty. */
	assert_true(g_file_set_contents(path, LOG, -1, NULL));
	assert_int_equal(ctl_logs_count_lines(path, &n), 0);
	assert_int_equal(n, 4);
	g_autofree char *more = g_strconcat(LOG, "\n", NULL);
	assert_true(g_file_set_contents(path, more, -1, NULL));
	assert_int_equal(ctl_logs_count_lines(path, &n), 0);
	assert_int_equal(n, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_streams_and_partials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timestamps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skip_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_reported_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_lines, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
