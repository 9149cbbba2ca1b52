/* Unit tests: rendering k8s-file and json-file logs back into stdout and
 * stderr; --since; a log's rotated files, read in the order written. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tether/ctl_fs.h"
#include "tether/ctl_logfiles.h"
#include "tether/ctl_logout.h"
#include "tether/ctl_logread.h"
#include "tether/ctl_logs.h"
#include "tether/fdutil.h"
#include "tether/k8slog.h"

#define TS "2026-11-23T12:00:00.000000001+00:00"

struct fixture {
	int fds;
	int out[2], err[2];
	char *dir;
};

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	f->fds = testutil_count_fds();
	testutil_out_err_open(f->out, f->err, O_NONBLOCK);
	f->dir = g_dir_make_tmp("test_ctl_logs.XXXXXX", NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	testutil_out_err_close(f->out, f->err);
	assert_int_equal(ctl_fs_rm_rf(f->dir), 0);
	g_free(f->dir);
	assert_int_equal(testutil_count_fds(), f->fds);
	g_free(f);
	return 0;
}

static char *slurp(int fd)
{
	return g_string_free(testutil_slurp(fd), FALSE);
}

/* Render text in one go; returns what was consumed. */
static size_t render_fmt(struct fixture *f, enum ctl_logread_format format, const char *text,
			 bool ts, long long skip, const struct timespec *since)
{
	struct ctl_logout out;
	ctl_logout_init(&out, f->out[1], f->err[1], format, ts);
	out.skip = skip;
	out.since_set = since != NULL;
	if (since != NULL)
		out.since = *since;
	size_t used = ctl_logout_feed(&out, text, strlen(text));
	assert_int_equal(ctl_logout_flush(&out), 0);
	ctl_logout_clear(&out);
	return used;
}

static size_t render(struct fixture *f, const char *text, bool ts, long long skip)
{
	return render_fmt(f, CTL_LOGREAD_K8S, text, ts, skip, NULL);
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
	struct ctl_logout out;
	ctl_logout_init(&out, f->out[1], f->err[1], CTL_LOGREAD_K8S, false);
	ctl_logout_feed(&out, text, strlen(text));
	ctl_logout_flush(&out);
	long long corrupt = out.corrupt;
	ctl_logout_clear(&out);
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
	assert_int_equal(ctl_logs_count_lines(path, CTL_LOGREAD_K8S, NULL, &n), 0);
	assert_int_equal(n, 0);
	/* The unfinished last line is not in the file yet ("P end" has no
	 * newline), so: one, oops, partial, empty. */
	assert_true(g_file_set_contents(path, LOG, -1, NULL));
	assert_int_equal(ctl_logs_count_lines(path, CTL_LOGREAD_K8S, NULL, &n), 0);
	assert_int_equal(n, 4);
	g_autofree char *more = g_strconcat(LOG, "\n", NULL);
	assert_true(g_file_set_contents(path, more, -1, NULL));
	assert_int_equal(ctl_logs_count_lines(path, CTL_LOGREAD_K8S, NULL, &n), 0);
	assert_int_equal(n, 5);
}

/* stderr into a pipe while a test runs, for the warnings. */
struct capture {
	int saved, pipe[2];
};

static void capture_begin(struct capture *c)
{
	c->saved = dup(STDERR_FILENO);
	assert_int_equal(pipe2(c->pipe, O_CLOEXEC | O_NONBLOCK), 0);
	dup2(c->pipe[1], STDERR_FILENO);
}

static char *capture_end(struct capture *c)
{
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	close(c->pipe[1]);
	char *text = slurp(c->pipe[0]);
	close(c->pipe[0]);
	return text;
}

#define JT	       "2026-11-23T12:00:00.000000001Z"
#define J(log, stream) "{\"log\":\"" log "\",\"stream\":\"" stream "\",\"time\":\"" JT "\"}\n"

static const char JLOG[] = J("one\\n", "stdout") J("oops\\n", "stderr") J("par", "stdout")
	J("tial\\n", "stdout") J("\\n", "stdout") "{\"log\":\"end\",\"stream\":\"stdout\"";

static void test_json_streams_and_partials(void **state)
{
	struct fixture *f = *state;
	size_t used = render_fmt(f, CTL_LOGREAD_JSON, JLOG, false, 0, NULL);
	/* The unfinished last line is left for the next read. */
	assert_int_equal(used, strlen(JLOG) - strlen("{\"log\":\"end\",\"stream\":\"stdout\""));
	g_autofree char *out = slurp(f->out[0]);
	g_autofree char *err = slurp(f->err[0]);
	assert_string_equal(out, "one\npartial\n\n");
	assert_string_equal(err, "oops\n");
}

static void test_json_timestamps_and_skip(void **state)
{
	struct fixture *f = *state;
	render_fmt(f, CTL_LOGREAD_JSON, JLOG, true, 0, NULL);
	g_autofree char *out = slurp(f->out[0]);
	g_autofree char *err = slurp(f->err[0]);
	/* The record's own time, once per line. */
	assert_string_equal(out, JT " one\n" JT " partial\n" JT " \n");
	assert_string_equal(err, JT " oops\n");
	render_fmt(f, CTL_LOGREAD_JSON, JLOG, false, 2, NULL);
	g_autofree char *out2 = slurp(f->out[0]);
	assert_string_equal(out2, "partial\n\n");
}

static void test_json_escapes(void **state)
{
	struct fixture *f = *state;
	/* What the shim writes: Go's escapes, NUL and invalid UTF-8 included. */
	const char *text = J(
		"a\\\"b\\\\c\\td\\u003ce\\u003e\\u0026 \xc3\xa9 \\u0000z \\ufffd\\r\\n", "stdout");
	render_fmt(f, CTL_LOGREAD_JSON, text, false, 0, NULL);
	char buf[256];
	ssize_t n = read(f->out[0], buf, sizeof(buf));
	static const char want[] = "a\"b\\c\td<e>& \xc3\xa9 \0z \xef\xbf\xbd\r\n";
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(buf, want, sizeof(want) - 1);
}

static void test_json_corrupt(void **state)
{
	struct fixture *f = *state;
	const char *text = "not json\n" J(
		"ok\\n", "stdout") "{\"log\":\"x\\n\",\"stream\":\"stdout\"}\n" /* no time */
				   "{\"log\":5,\"stream\":\"stdout\",\"time\":\"" JT
				   "\"}\n" /* not a string */
				   "{\"log\":\"x\\n\",\"stream\":\"stdin\",\"time\":\"" JT
				   "\"}\n" /* stream */
				   "[1, 2]\n"
				   "{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"" JT
				   "\"} {}\n" /* two */
				   "{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"" JT
				   "\"\n" /* cut */
				   "\n" J("fine\\n", "stderr") "{\"log\":\"crlf\\n\",\"stream\":"
							       "\"stdout\",\"time\":\"" JT
							       "\"}\r\n";
	struct capture c;
	capture_begin(&c);
	struct ctl_logout out;
	ctl_logout_init(&out, f->out[1], f->err[1], CTL_LOGREAD_JSON, false);
	out.source = "/x/ctr.json";
	ctl_logout_feed(&out, text, strlen(text));
	ctl_logout_flush(&out);
	long long corrupt = out.corrupt;
	ctl_logout_clear(&out);
	g_autofree char *warn = capture_end(&c);
	g_autofree char *got = slurp(f->out[0]);
	g_autofree char *err = slurp(f->err[0]);
	assert_int_equal(corrupt, 8);
	assert_string_equal(got, "ok\ncrlf\n");
	assert_string_equal(err, "fine\n");
	assert_non_null(strstr(warn, "line 1 of /x/ctr.json"));
	assert_null(strstr(strstr(warn, "corrupt") + 1, "corrupt"));
}

static struct timespec ts_of(const char *text)
{
	struct timespec ts;
	assert_int_equal(k8slog_parse_timestamp(text, strlen(text), &ts), 0);
	return ts;
}

static void test_since_parse(void **state)
{
	(void)state;
	const struct timespec now = ts_of("2026-11-23T12:00:00Z");
	static const struct {
		const char *text;
		long long back_ms; /* before now */
	} ok[] = {
		{"2026-11-23T11:00:00Z", 3600000},
		{"2026-11-23T13:00:00+02:00", 3600000},
		{"2026-11-23T12:00:00.5Z", -500},
		{"2026-11-23T11:00:00.25-00:30", -1800000 + 3600000 - 250},
		{"10s", 10000},
		{"5m", 300000},
		{"2h", 7200000},
		{"1h30m", 5400000},
		{"1.5h", 5400000},
		{"250ms", 250},
		{"2d", 172800000},
		{"0s", 0},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
		struct timespec t;
		if (ctl_logread_parse_since(ok[i].text, &now, &t) != 0)
			fail_msg("'%s' did not parse", ok[i].text);
		long long ms = (long long)(now.tv_sec - t.tv_sec) * 1000 +
			       (now.tv_nsec - t.tv_nsec) / 1000000;
		if (ms != ok[i].back_ms)
			fail_msg("'%s': %lld ms back, want %lld", ok[i].text, ms, ok[i].back_ms);
	}
	struct timespec t;
	assert_int_equal(ctl_logread_parse_since("1795435200.25", &now, &t), 0);
	assert_int_equal(t.tv_sec, 1795435200);
	assert_int_equal(t.tv_nsec, 250000000);
	static const char *const bad[] = {"",	    "abc", "5x",
					  "10 s",   "-5m", "2026-11-23",
					  "1.h",    "s",   "2026-11-23T12:00:00",
					  "5m ago", "1e3s"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		if (ctl_logread_parse_since(bad[i], &now, &t) != -EINVAL)
			fail_msg("'%s' parsed", bad[i]);
}

#define T1 "2026-11-23T12:00:01.000000000+00:00"
#define T2 "2026-11-23T12:00:02.000000000+00:00"
#define T3 "2026-11-23T12:00:03.000000000+00:00"

static void test_since_filter(void **state)
{
	struct fixture *f = *state;
	/* A line is as old as its first record: "early late" began at T1. */
	const char *text = T1 " stdout F old\n" T1 " stdout P early \n" T2 " stderr F err2\n" T2
			      " stdout F new\n" T3 " stdout F late\n" T3 " stdout F newest\n";
	const struct timespec since = ts_of(T2);
	render_fmt(f, CTL_LOGREAD_K8S, text, false, 0, &since);
	g_autofree char *out = slurp(f->out[0]);
	g_autofree char *err = slurp(f->err[0]);
	assert_string_equal(out, "late\nnewest\n");
	assert_string_equal(err, "err2\n");
	/* --tail counts the lines --since leaves: err2, late, newest. */
	g_autofree char *path = g_build_filename(f->dir, "ctr.log", NULL);
	assert_true(g_file_set_contents(path, text, -1, NULL));
	long long n = 0;
	assert_int_equal(ctl_logs_count_lines(path, CTL_LOGREAD_K8S, &since, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ctl_logs_count_lines(path, CTL_LOGREAD_K8S, NULL, &n), 0);
	assert_int_equal(n, 5);
	render_fmt(f, CTL_LOGREAD_K8S, text, false, 2, &since);
	g_autofree char *out2 = slurp(f->out[0]);
	assert_string_equal(out2, "newest\n");
	/* A time --since cannot read makes the record corrupt. */
	struct capture c;
	capture_begin(&c);
	render_fmt(f, CTL_LOGREAD_K8S, "yesterday stdout F what\n" T3 " stdout F ok\n", false, 0,
		   &since);
	g_autofree char *warn = capture_end(&c);
	g_autofree char *out3 = slurp(f->out[0]);
	assert_string_equal(out3, "ok\n");
	assert_non_null(strstr(warn, "corrupt"));
}

static void put(const char *dir, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* The first byte of each file in the set, in order. */
static char *firsts(GArray *files)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < files->len; i++) {
		char c = '?';
		assert_int_equal(pread(g_array_index(files, struct ctl_logfile, i).fd, &c, 1, 0),
				 1);
		g_string_append_c(s, c);
	}
	return g_string_free(s, FALSE);
}

static void test_rotated_order(void **state)
{
	struct fixture *f = *state;
	put(f->dir, "ctr.log.10", "a" T1 " stdout F 1\n");
	put(f->dir, "ctr.log.9", "b" T1 " stdout F 2\n");
	put(f->dir, "ctr.log.2", "c" T1 " stdout P 3\n");
	put(f->dir, "ctr.log.1", "d" T1 " stdout F 3 cont\n");
	put(f->dir, "ctr.log", "e" T1 " stdout F 4\n");
	/* Not rotated files of ctr.log. */
	static const char *const others[] = {"ctr.log.tmp", "ctr.log.01", "ctr.log.0",
					     "ctr.logx.1",  "other.1",	  "ctr.log.1x"};
	for (size_t i = 0; i < G_N_ELEMENTS(others); i++)
		put(f->dir, others[i], "x");
	g_autofree char *path = g_build_filename(f->dir, "ctr.log", NULL);

	g_auto(GStrv) list = NULL;
	assert_int_equal(ctl_logfiles_list(path, &list), 0);
	assert_int_equal(g_strv_length(list), 5);
	static const char *const want[] = {"ctr.log.10", "ctr.log.9", "ctr.log.2", "ctr.log.1",
					   "ctr.log"};
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		g_autofree char *base = g_path_get_basename(list[i]);
		assert_string_equal(base, want[i]);
	}
	g_autoptr(GArray) files = NULL;
	assert_int_equal(ctl_logfiles_open(path, NULL, &files), 0);
	g_autofree char *order = firsts(files);
	assert_string_equal(order, "abcde");
}

static void test_rotated_count(void **state)
{
	struct fixture *f = *state;
	/* A line that goes on in the next file is one line. */
	put(f->dir, "ctr.log.2", T1 " stdout F one\n" T1 " stdout P tw\n");
	put(f->dir, "ctr.log.1", T1 " stdout F o\n" T2 " stderr F three\n");
	put(f->dir, "ctr.log", T3 " stdout F four\n" T3 " stdout P fi");
	g_autofree char *path = g_build_filename(f->dir, "ctr.log", NULL);
	long long n = 0;
	assert_int_equal(ctl_logs_count_lines(path, CTL_LOGREAD_K8S, NULL, &n), 0);
	assert_int_equal(n, 4);
	const struct timespec since = ts_of(T2);
	assert_int_equal(ctl_logs_count_lines(path, CTL_LOGREAD_K8S, &since, &n), 0);
	assert_int_equal(n, 2);
}

/* What the shim's --log-rotate does when ctr.log is full. */
static void shim_rotate(const char *dir, int kept)
{
	for (int i = kept - 1; i >= 1; i--) {
		g_autofree char *from = g_strdup_printf("%s/ctr.log.%d", dir, i);
		g_autofree char *to = g_strdup_printf("%s/ctr.log.%d", dir, i + 1);
		(void)rename(from, to);
	}
	g_autofree char *path = g_build_filename(dir, "ctr.log", NULL);
	g_autofree char *first = g_build_filename(dir, "ctr.log.1", NULL);
	assert_int_equal(rename(path, first), 0);
}

static struct ctl_logfile take_last(GArray *files)
{
	assert_true(files->len > 0);
	return ctl_logfile_steal(&g_array_index(files, struct ctl_logfile, files->len - 1));
}

static void test_rotation_while_reading(void **state)
{
	struct fixture *f = *state;
	g_autofree char *path = g_build_filename(f->dir, "ctr.log", NULL);
	put(f->dir, "ctr.log.1", "a");
	put(f->dir, "ctr.log", "b");
	g_autoptr(GArray) files = NULL;
	assert_int_equal(ctl_logfiles_open(path, NULL, &files), 0);
	struct ctl_logfile cur = take_last(files);
	assert_int_equal(ctl_logfiles_replaced(path, &cur), 0);

	/* Renamed away, and no new file yet: nothing to move to. */
	shim_rotate(f->dir, 5);
	assert_int_equal(ctl_logfiles_replaced(path, &cur), 0);
	/* Two rotations before the reader looks: c and d are both new. */
	put(f->dir, "ctr.log", "c");
	shim_rotate(f->dir, 5);
	put(f->dir, "ctr.log", "d");
	assert_int_equal(ctl_logfiles_replaced(path, &cur), 1);
	g_autoptr(GArray) newer = NULL;
	assert_int_equal(ctl_logfiles_open(path, &cur, &newer), 0);
	g_autofree char *order = firsts(newer);
	assert_string_equal(order, "cd");
	ctl_logfile_clear(&cur);
	cur = take_last(newer);

	/* The file the reader had is gone (dropped): all are newer. */
	shim_rotate(f->dir, 5);
	put(f->dir, "ctr.log", "e");
	g_autofree char *dropped = g_build_filename(f->dir, "ctr.log.1", NULL);
	assert_int_equal(unlink(dropped), 0);
	g_autoptr(GArray) all = NULL;
	assert_int_equal(ctl_logfiles_open(path, &cur, &all), 0);
	g_autofree char *order2 = firsts(all);
	assert_string_equal(order2, "abce");
	ctl_logfile_clear(&cur);
	cur = take_last(all);

	/* Without --log-rotate the shim puts a new file at the path. */
	put(f->dir, "ctr.log", "f");
	assert_int_equal(ctl_logfiles_replaced(path, &cur), 1);
	g_autoptr(GArray) fresh = NULL;
	assert_int_equal(ctl_logfiles_open(path, &cur, &fresh), 0);
	g_autofree char *order3 = firsts(fresh);
	assert_string_equal(order3, "abcf");
	ctl_logfile_clear(&cur);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_streams_and_partials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timestamps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skip_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_reported_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_streams_and_partials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_timestamps_and_skip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_corrupt, setup, teardown),
		cmocka_unit_test(test_since_parse),
		cmocka_unit_test_setup_teardown(test_since_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotated_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotated_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_while_reading, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
