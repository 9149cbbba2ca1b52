/* The ctl and winsz FIFOs: conmon's grammar, several lines per write (conmon
 * 2.1.6 repeated the first), partial lines across writes, junk ignored. */
#include "testutil.h"
#include "tether/ctlfifo.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct seen {
	GString *events;
};

static void on_resize(void *data, unsigned rows, unsigned cols)
{
	struct seen *s = data;
	g_string_append_printf(s->events, "resize %u %u;", rows, cols);
}

static void on_reopen(void *data)
{
	struct seen *s = data;
	g_string_append(s->events, "reopen;");
}

static const struct ctlfifo_ops ops = {.resize = on_resize, .reopen_log = on_reopen};

static void pump(void)
{
	for (int i = 0; i < 20; i++)
		g_main_context_iteration(NULL, FALSE);
}

static void write_fifo(const char *dir, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_fifos(void **state)
{
	g_autofree char *dir = testutil_tmpdir();
	struct seen seen = {g_string_new(NULL)};
	TEST_NO_FD_LEAK({
		struct ctlfifo *c = ctlfifo_new(dir, &ops, &seen, NULL);
		assert_non_null(c);
		g_autofree char *ctl = g_build_filename(dir, "ctl", NULL);
		struct stat st;
		assert_int_equal(stat(ctl, &st), 0);
		assert_true(S_ISFIFO(st.st_mode));

		write_fifo(dir, "ctl", "1 24 80\n2 0 0\n1 5");
		pump();
		write_fifo(dir, "ctl", "0 132\nbogus line\n9 1 1\n");
		pump();
		write_fifo(dir, "winsz", "30 100\n");
		pump();
		ctlfifo_free(c);
	});
	assert_string_equal(seen.events->str, "resize 24 80;reopen;resize 50 132;resize 30 100;");
	g_string_free(seen.events, TRUE);
	testutil_rmtree(dir);
}

static void test_parse(void **state)
{
	int type;
	unsigned a, b;
	assert_int_equal(ctlfifo_parse_ctl("1 24 80", &type, &a, &b), 0);
	assert_int_equal(type, 1);
	assert_int_equal(a, 24);
	assert_int_equal(b, 80);
	assert_int_equal(ctlfifo_parse_ctl("2 0 0", &type, &a, &b), 0);
	assert_int_equal(type, 2);
	/* Real terminals may be wider than conmon's 1000-column limit. */
	assert_int_equal(ctlfifo_parse_ctl("1 60 1500", &type, &a, &b), 0);
	const char *bad[] = {"",       "1",	 "1 2",	  "1 2 3 4",   "3 0 0",
			     "-1 2 3", "1 -2 3", "1 2 x", "1 70000 1", "1 99999999999999999999 1"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_int_equal(ctlfifo_parse_ctl(bad[i], &type, &a, &b), -EINVAL);
	assert_int_equal(ctlfifo_parse_winsz("10 20", &a, &b), 0);
	assert_int_equal(ctlfifo_parse_winsz("10", &a, &b), -EINVAL);
}

static void count_line(void *data, const char *line)
{
	(*(int *)data)++;
}

static void test_overlong_line(void **state)
{
	struct ctlfifo_lines lines = {0};
	int n = 0;
	g_autofree char *junk = g_strnfill(1000, '1');
	assert_int_equal(ctlfifo_lines_feed(&lines, junk, 1000, count_line, &n), 0);
	assert_int_equal(ctlfifo_lines_feed(&lines, "\n2 0 0\n", 7, count_line, &n), 1);
	assert_int_equal(n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifos),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_overlong_line),
	};
	return cmocka_run_group_tests_name("ctlfifo", tests, NULL, NULL);
}
