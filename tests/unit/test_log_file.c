/* The k8s-file sink, written to a real file and read back with the reader
 * tetherctl uses. */
#include "testutil.h"
#include "tether/k8slog.h"
#include "tether/jsonutil.h"
#include "tether/log_file.h"

#include <string.h>
#include <sys/stat.h>

struct fixture {
	char *dir;
	char *path;
};

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	f->dir = testutil_tmpdir();
	f->path = g_build_filename(f->dir, "ctr.log", NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	testutil_rmtree(f->dir);
	g_free(f->dir);
	g_free(f->path);
	g_free(f);
	return 0;
}

static char **read_lines(const char *path)
{
	g_autofree char *data = NULL;
	assert_true(g_file_get_contents(path, &data, NULL, NULL));
	assert_true(g_str_has_suffix(data, "\n") || *data == '\0');
	if (*data)
		data[strlen(data) - 1] = '\0';
	return g_strsplit(data, "\n", -1);
}

static void check_record(const char *line, enum k8slog_stream stream, bool partial,
			 const char *content)
{
	struct k8slog_record rec;
	assert_int_equal(k8slog_parse_record(line, strlen(line), &rec), 0);
	assert_int_equal(rec.stream, stream);
	assert_int_equal(rec.partial, partial);
	assert_int_equal(rec.content_len, strlen(content));
	assert_memory_equal(rec.content, content, rec.content_len);
	assert_int_equal(rec.timestamp_len, K8SLOG_TS_LEN);
}

static void test_records(void **state)
{
	struct fixture *f = *state;
	TEST_NO_FD_LEAK({
		struct log_file *log = log_file_new(f->path, LOG_FILE_K8S, NULL, NULL);
		assert_non_null(log);
		struct timespec ts = {1700000000, 5};
		log_file_write(log, K8SLOG_STDOUT, "one\ntwo\npart", 12, &ts);
		log_file_write(log, K8SLOG_STDERR, "err\n\n", 5, &ts);
		log_file_free(log);
	});
	g_auto(GStrv) lines = read_lines(f->path);
	assert_int_equal(g_strv_length(lines), 5);
	check_record(lines[0], K8SLOG_STDOUT, false, "one");
	check_record(lines[1], K8SLOG_STDOUT, false, "two");
	check_record(lines[2], K8SLOG_STDOUT, true, "part");
	check_record(lines[3], K8SLOG_STDERR, false, "err");
	check_record(lines[4], K8SLOG_STDERR, false, "");
	/* One timestamp per chunk, shared by its lines. */
	assert_memory_equal(lines[0], lines[1], K8SLOG_TS_LEN);
	assert_true(g_regex_match_simple("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.000000005"
					 "[+-]\\d\\d:\\d\\d stdout F one$",
					 lines[0], 0, 0));
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_long_line_and_binary(void **state)
{
	struct fixture *f = *state;
	size_t len = 1300 * 1024; /* more than the sink's buffer */
	g_autofree char *big = g_malloc(len);
	for (size_t i = 0; i < len; i++)
		big[i] = (char)(i % 251 == 10 ? 'x' : i % 251); /* binary, no '\n' */
	big[len - 1] = '\n';
	struct log_file *log = log_file_new(f->path, LOG_FILE_K8S, NULL, NULL);
	struct timespec ts = {0, 0};
	log_file_write(log, K8SLOG_STDOUT, big, len, &ts);
	log_file_free(log);

	/* Reassemble: P pieces then one F, byte for byte. */
	g_autofree char *data = NULL;
	gsize dlen;
	assert_true(g_file_get_contents(f->path, &data, &dlen, NULL));
	GString *joined = g_string_new(NULL);
	int records = 0, partials = 0;
	for (char *p = data; p < data + dlen;) {
		char *nl = memchr(p, '\n', (size_t)(data + dlen - p));
		assert_non_null(nl);
		/* A P record's own "\n" ends it; an F record's content is the line. */
		struct k8slog_record rec;
		assert_int_equal(k8slog_parse_record(p, (size_t)(nl - p), &rec), 0);
		g_string_append_len(joined, rec.content, (gssize)rec.content_len);
		records++;
		partials += rec.partial;
		if (!rec.partial)
			g_string_append_c(joined, '\n');
		p = nl + 1;
	}
	assert_true(records > 1);
	assert_int_equal(partials, records - 1);
	assert_int_equal(joined->len, len);
	assert_memory_equal(joined->str, big, len);
	g_string_free(joined, TRUE);
}

static void test_reopen(void **state)
{
	struct fixture *f = *state;
	struct log_file *log = log_file_new(f->path, LOG_FILE_K8S, NULL, NULL);
	struct timespec ts = {0, 0};
	log_file_write(log, K8SLOG_STDOUT, "before\n", 7, &ts);
	g_autofree char *moved = g_strconcat(f->path, ".1", NULL);
	assert_int_equal(rename(f->path, moved), 0);
	assert_int_equal(log_file_reopen(log), 0);
	log_file_write(log, K8SLOG_STDOUT, "after\n", 6, &ts);
	assert_int_equal(log_file_sync(log), 0);
	log_file_free(log);
	g_auto(GStrv) old = read_lines(moved);
	g_auto(GStrv) cur = read_lines(f->path);
	assert_int_equal(g_strv_length(old), 1);
	assert_int_equal(g_strv_length(cur), 1);
	check_record(cur[0], K8SLOG_STDOUT, false, "after");
}

static void test_unwritable_is_counted(void **state)
{
	/* /dev/full: every write fails with ENOSPC. */
	struct log_file *log = log_file_new("/dev/full", LOG_FILE_K8S, NULL, NULL);
	assert_non_null(log);
	struct timespec ts = {0, 0};
	log_file_write(log, K8SLOG_STDOUT, "lost\n", 5, &ts);
	assert_true(log_file_lost_bytes(log) > 5);
	log_file_free(log);
	GError *error = NULL;
	assert_null(log_file_new("/no/such/dir/log", LOG_FILE_K8S, NULL, &error));
	assert_non_null(strstr(error->message, "Failed to open log file"));
	g_error_free(error);
}

static void test_parse_timestamp(void **state)
{
	struct timespec ts;
	const char *s = "2026-11-22T17:42:19.286123368+01:30";
	assert_int_equal(k8slog_parse_timestamp(s, strlen(s), &ts), 0);
	assert_int_equal(ts.tv_nsec, 286123368);
	const char *z = "2026-11-22T16:12:19.286123368Z";
	struct timespec tz;
	assert_int_equal(k8slog_parse_timestamp(z, strlen(z), &tz), 0);
	assert_int_equal(ts.tv_sec, tz.tv_sec);
	char buf[64];
	size_t n = k8slog_format_timestamp(buf, sizeof(buf), &ts);
	assert_int_equal(n, K8SLOG_TS_LEN);
	struct timespec back;
	assert_int_equal(k8slog_parse_timestamp(buf, n, &back), 0);
	assert_int_equal(back.tv_sec, ts.tv_sec);
	assert_int_equal(back.tv_nsec, ts.tv_nsec);
	const char *bad[] = {"", "2026-11-22", "2026-13-01T00:00:00Z", "2026-11-22T17:42:19+0100",
			     "2026-11-22T17:42:19.Z"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_int_equal(k8slog_parse_timestamp(bad[i], strlen(bad[i]), &back), -EINVAL);
}

static void test_parse_record_rejects(void **state)
{
	struct k8slog_record rec;
	const char *bad[] = {
		"",	      "ts", "ts stdout", "ts stdout F", "ts stdin F x", "ts stdout X x",
		" stdout F x"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_int_equal(k8slog_parse_record(bad[i], strlen(bad[i]), &rec), -EINVAL);
}

static void test_trim_then_write(void **state)
{
	struct fixture *f = *state;
	struct log_file *log = log_file_new(f->path, LOG_FILE_K8S, NULL, NULL);
	struct timespec ts = {0, 0};
	log_file_write(log, K8SLOG_STDOUT, "one\n", 4, &ts);
	log_file_ops.trim(log); /* idle: the buffer is given back */
	log_file_write(log, K8SLOG_STDOUT, "two\n", 4, &ts);
	log_file_free(log);
	g_auto(GStrv) lines = read_lines(f->path);
	assert_int_equal(g_strv_length(lines), 2);
	check_record(lines[1], K8SLOG_STDOUT, false, "two");
}

static void test_json_file(void **state)
{
	struct fixture *f = *state;
	struct log_file *log = log_file_new(f->path, LOG_FILE_JSON, NULL, NULL);
	assert_non_null(log);
	struct timespec ts = {1700000000, 123};
	const char text[] = "a \"quoted\" <tag>\tline\n\xc3\xa9t\xc3\xa9 \xff end";
	log_file_write(log, K8SLOG_STDOUT, text, sizeof(text) - 1, &ts);
	log_file_write(log, K8SLOG_STDERR, "err\n", 4, &ts);
	log_file_free(log);

	g_auto(GStrv) lines = read_lines(f->path);
	assert_int_equal(g_strv_length(lines), 3);
	const char *want_log[] = {"a \"quoted\" <tag>\tline\n",
				  "\xc3\xa9t\xc3\xa9 \xef\xbf\xbd end", "err\n"};
	const char *want_stream[] = {"stdout", "stdout", "stderr"};
	for (int i = 0; i < 3; i++) {
		g_autoptr(json_object) obj = json_tokener_parse(lines[i]);
		assert_non_null(obj);
		json_object *v;
		assert_true(json_object_object_get_ex(obj, "log", &v));
		assert_string_equal(json_object_get_string(v), want_log[i]);
		assert_true(json_object_object_get_ex(obj, "stream", &v));
		assert_string_equal(json_object_get_string(v), want_stream[i]);
		assert_true(json_object_object_get_ex(obj, "time", &v));
		assert_string_equal(json_object_get_string(v), "2023-11-14T22:13:20.000000123Z");
	}
	/* Docker's key order, and <, >, & escaped as Go does. */
	assert_true(g_str_has_prefix(lines[0], "{\"log\":\"a \\\"quoted\\\" \\u003ctag\\u003e"));
	assert_true(g_str_has_suffix(
		lines[2], "\"stream\":\"stderr\",\"time\":\"2023-11-14T22:13:20.000000123Z\"}"));
}

/* Write numbered lines in chunks of several lines, as reads deliver them. */
/* Lines "line N" (padded with pad x's), written in chunks of about
 * chunk_len bytes. */
static void write_numbered_long(struct log_file *log, int from, int to, size_t pad,
				size_t chunk_len)
{
	struct timespec ts = {0, 0};
	GString *chunk = g_string_new(NULL);
	for (int i = from; i < to; i++) {
		g_string_append_printf(chunk, "line %06d ", i);
		for (size_t k = 0; k < pad; k++)
			g_string_append_c(chunk, 'x');
		g_string_append_c(chunk, '\n');
		if (chunk->len > chunk_len || i == to - 1) {
			log_file_write(log, K8SLOG_STDOUT, chunk->str, chunk->len, &ts);
			g_string_truncate(chunk, 0);
		}
	}
	g_string_free(chunk, TRUE);
}

static void write_numbered(struct log_file *log, int from, int to)
{
	write_numbered_long(log, from, to, 0, 300);
}

/* The numbers of the F records of one file, in order. */
static GArray *numbers_in(const char *path)
{
	GArray *nums = g_array_new(FALSE, FALSE, sizeof(int));
	g_autofree char *data = NULL;
	if (!g_file_get_contents(path, &data, NULL, NULL))
		return nums;
	g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
	for (char **l = lines; *l && **l; l++) {
		struct k8slog_record rec;
		assert_int_equal(k8slog_parse_record(*l, strlen(*l), &rec), 0);
		assert_false(rec.partial);
		int n = atoi(rec.content + 5);
		g_array_append_val(nums, n);
	}
	return nums;
}

static void test_size_max_truncates_like_conmon(void **state)
{
	struct fixture *f = *state;
	struct log_file_limits lim = {.size_max = 2000};
	struct log_file *log = log_file_new(f->path, LOG_FILE_K8S, &lim, NULL);
	write_numbered(log, 0, 500);
	log_file_free(log);
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(st.st_size <= 2000);
	/* What is left is the newest lines, whole and in order. */
	g_autoptr(GArray) nums = numbers_in(f->path);
	assert_true(nums->len > 0);
	assert_int_equal(g_array_index(nums, int, nums->len - 1), 499);
	for (guint i = 1; i < nums->len; i++)
		assert_int_equal(g_array_index(nums, int, i), g_array_index(nums, int, i - 1) + 1);
}

static void test_rotate_loses_nothing(void **state)
{
	struct fixture *f = *state;
	struct log_file_limits lim = {.size_max = 4096, .rotate = true, .max_files = 1000};
	TEST_NO_FD_LEAK({
		struct log_file *log = log_file_new(f->path, LOG_FILE_K8S, &lim, NULL);
		write_numbered(log, 0, 3000);
		log_file_free(log);
	});
	/* Oldest is the highest suffix; together every line, once, in order. */
	int expect_next = 0, files = 0;
	for (int i = 1000; i >= 0; i--) {
		g_autofree char *p = i ? g_strdup_printf("%s.%d", f->path, i) : g_strdup(f->path);
		if (!g_file_test(p, G_FILE_TEST_EXISTS))
			continue;
		files++;
		struct stat st;
		assert_int_equal(stat(p, &st), 0);
		assert_true(st.st_size <= 4096);
		g_autoptr(GArray) nums = numbers_in(p);
		for (guint j = 0; j < nums->len; j++)
			assert_int_equal(g_array_index(nums, int, j), expect_next++);
	}
	assert_int_equal(expect_next, 3000);
	assert_true(files > 10);
}

/* Lines long enough to be written from where they lie (not copied into the
 * sink's buffer), many to a chunk: every one, in order, whole. */
static void test_long_lines_in_order(void **state)
{
	struct fixture *f = *state;
	TEST_NO_FD_LEAK({
		struct log_file *log = log_file_new(f->path, LOG_FILE_K8S, NULL, NULL);
		/* 70 lines of 17 KiB a chunk: more pieces than one writev takes. */
		write_numbered_long(log, 0, 140, 17 * 1024, 1200 * 1024);
		log_file_free(log);
	});
	g_autoptr(GArray) nums = numbers_in(f->path);
	assert_int_equal(nums->len, 140);
	for (guint i = 0; i < nums->len; i++)
		assert_int_equal(g_array_index(nums, int, i), (int)i);
}

/* Long lines under a size limit: rotation keeps each file within it. */
static void test_rotate_long_lines(void **state)
{
	struct fixture *f = *state;
	struct log_file_limits lim = {.size_max = 100 * 1024, .rotate = true, .max_files = 100};
	struct log_file *log = log_file_new(f->path, LOG_FILE_K8S, &lim, NULL);
	write_numbered_long(log, 0, 60, 20 * 1024, 256 * 1024);
	log_file_free(log);
	int expect_next = 0;
	for (int i = 100; i >= 0; i--) {
		g_autofree char *p = i ? g_strdup_printf("%s.%d", f->path, i) : g_strdup(f->path);
		if (!g_file_test(p, G_FILE_TEST_EXISTS))
			continue;
		struct stat st;
		assert_int_equal(stat(p, &st), 0);
		assert_true(st.st_size <= 100 * 1024);
		g_autoptr(GArray) nums = numbers_in(p);
		for (guint j = 0; j < nums->len; j++)
			assert_int_equal(g_array_index(nums, int, j), expect_next++);
	}
	assert_int_equal(expect_next, 60);
}

static void test_rotate_keeps_max_files(void **state)
{
	struct fixture *f = *state;
	struct log_file_limits lim = {.size_max = 1000, .rotate = true, .max_files = 2};
	struct log_file *log = log_file_new(f->path, LOG_FILE_K8S, &lim, NULL);
	write_numbered(log, 0, 1000);
	log_file_free(log);
	g_autofree char *p1 = g_strconcat(f->path, ".1", NULL);
	g_autofree char *p2 = g_strconcat(f->path, ".2", NULL);
	g_autofree char *p3 = g_strconcat(f->path, ".3", NULL);
	assert_true(g_file_test(p1, G_FILE_TEST_EXISTS));
	assert_true(g_file_test(p2, G_FILE_TEST_EXISTS));
	assert_false(g_file_test(p3, G_FILE_TEST_EXISTS)); /* conmon keeps one too many */
	g_autoptr(GArray) last = numbers_in(f->path);
	assert_int_equal(g_array_index(last, int, last->len - 1), 999);
}

static void test_global_size_max(void **state)
{
	struct fixture *f = *state;
	struct log_file_limits lim = {.global_size_max = 3000};
	struct log_file *log = log_file_new(f->path, LOG_FILE_K8S, &lim, NULL);
	write_numbered(log, 0, 500);
	assert_true(log_file_lost_bytes(log) > 0);
	log_file_free(log);
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(st.st_size <= 3000 && st.st_size > 2500);
	g_autoptr(GArray) nums = numbers_in(f->path);
	assert_int_equal(g_array_index(nums, int, 0), 0); /* the oldest are kept */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line_and_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trim_then_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_max_truncates_like_conmon, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rotate_loses_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_keeps_max_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_lines_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_long_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_global_size_max, setup, teardown),
		cmocka_unit_test(test_unwritable_is_counted),
		cmocka_unit_test(test_parse_timestamp),
		cmocka_unit_test(test_parse_record_rejects),
	};
	return cmocka_run_group_tests_name("log_file", tests, NULL, NULL);
}
