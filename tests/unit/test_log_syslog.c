/* The syslog sink: the record header, the tag, where long lines are cut,
 * and records received on a real datagram socket bound here. */
#include "testutil.h"
#include "tether/log_syslog.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

static void test_header(void **state)
{
	/* A fixed local time: TZ=UTC for this process. */
	g_setenv("TZ", "UTC", TRUE);
	tzset();
	char buf[LOG_SYSLOG_HDR_MAX];
	struct timespec ts = {.tv_sec = 1795435200}; /* 2026-11-23 12:00:00 UTC */
	size_t n = log_syslog_format_header(buf, K8SLOG_STDOUT, &ts, "web", 42);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "<30>Nov 23 12:00:00 web[42]: ");
	ts.tv_sec = 1767312000; /* 2026-01-02 00:00:00: the day space-padded */
	log_syslog_format_header(buf, K8SLOG_STDERR, &ts, "web", 7);
	assert_string_equal(buf, "<27>Jan  2 00:00:00 web[7]: ");
	/* The longest tag still fits. */
	char tag[LOG_SYSLOG_TAG_MAX + 1];
	memset(tag, 't', LOG_SYSLOG_TAG_MAX);
	tag[LOG_SYSLOG_TAG_MAX] = '\0';
	n = log_syslog_format_header(buf, K8SLOG_STDERR, &ts, tag, 4194304);
	assert_int_equal(n, strlen(buf));
	assert_non_null(strstr(buf, "[4194304]: "));
}

static void test_tag(void **state)
{
	struct log_syslog_config cfg = {
		.cid = "0123456789abcdef0123", .name = "db", .tag = "my tag"};
	g_autofree char *a = log_syslog_tag(&cfg);
	assert_string_equal(a, "my_tag");
	cfg.tag = NULL;
	g_autofree char *b = log_syslog_tag(&cfg);
	assert_string_equal(b, "db");
	cfg.name = "a[1]:x";
	g_autofree char *c = log_syslog_tag(&cfg);
	assert_string_equal(c, "a_1__x");
	cfg.name = NULL;
	g_autofree char *d = log_syslog_tag(&cfg);
	assert_string_equal(d, "0123456789ab");
	char longname[200];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cfg.name = longname;
	g_autofree char *e = log_syslog_tag(&cfg);
	assert_int_equal(strlen(e), LOG_SYSLOG_TAG_MAX);
}

static void test_piece(void **state)
{
	const char *s = "abc\xc3\xa9xyz"; /* "abcéxyz" */
	assert_int_equal(log_syslog_piece(s, 9, 20), 9);
	assert_int_equal(log_syslog_piece(s, 9, 3), 3);
	/* Not between the two bytes of é. */
	assert_int_equal(log_syslog_piece(s, 9, 4), 3);
	assert_int_equal(log_syslog_piece(s, 9, 5), 5);
	/* Nothing but continuation bytes: cut where asked. */
	assert_int_equal(log_syslog_piece("\x80\x80\x80\x80\x80\x80", 6, 4), 4);
}

struct rig {
	char *dir, *path;
	int fd;
};

static void rig_open(struct rig *r)
{
	r->dir = testutil_tmpdir();
	r->path = g_build_filename(r->dir, "log.sock", NULL);
	r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(r->fd >= 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	g_strlcpy(addr.sun_path, r->path, sizeof(addr.sun_path));
	assert_int_equal(bind(r->fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
}

static void rig_close(struct rig *r)
{
	close(r->fd);
	unlink(r->path);
	rmdir(r->dir);
	g_free(r->path);
	g_free(r->dir);
}

/* The next record's message (after "]: "), and its priority. */
static char *next_msg(struct rig *r, int *ret_pri)
{
	char buf[8192];
	ssize_t n = recv(r->fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	*ret_pri = atoi(buf + 1);
	char *m = strstr(buf, "]: ");
	assert_non_null(m);
	assert_non_null(strstr(buf, " tag["));
	return g_strdup(m + 3);
}

static void expect(struct rig *r, int pri, const char *msg)
{
	int got_pri = -1;
	g_autofree char *m = next_msg(r, &got_pri);
	assert_non_null(m);
	assert_string_equal(m, msg);
	assert_int_equal(got_pri, pri);
}

static void test_records(void **state)
{
	struct rig r;
	rig_open(&r);
	struct log_syslog_config cfg = {.socket_path = r.path, .tag = "tag", .cid = "c"};
	struct log_syslog *sl = log_syslog_new(&cfg, NULL);
	assert_non_null(sl);
	struct timespec ts = {0};
	log_syslog_write(sl, K8SLOG_STDOUT, "one\ntwo\n", 8, &ts);
	log_syslog_write(sl, K8SLOG_STDERR, "err\n", 4, &ts);
	/* Partial writes join; streams apart. */
	log_syslog_write(sl, K8SLOG_STDOUT, "par", 3, &ts);
	log_syslog_write(sl, K8SLOG_STDERR, "e2", 2, &ts);
	log_syslog_write(sl, K8SLOG_STDOUT, "tial\n\n", 6, &ts);
	expect(&r, 30, "one");
	expect(&r, 30, "two");
	expect(&r, 27, "err");
	expect(&r, 30, "partial");
	expect(&r, 30, "");
	/* A long line: records of LOG_SYSLOG_MSG_MAX, in two writes. */
	char *longline = g_malloc(5001);
	memset(longline, 'x', 5000);
	longline[5000] = '\n';
	log_syslog_write(sl, K8SLOG_STDOUT, longline, 3000, &ts);
	log_syslog_write(sl, K8SLOG_STDOUT, longline + 3000, 2001, &ts);
	char want[LOG_SYSLOG_MSG_MAX + 1];
	memset(want, 'x', LOG_SYSLOG_MSG_MAX);
	want[LOG_SYSLOG_MSG_MAX] = '\0';
	expect(&r, 30, want);
	expect(&r, 30, want);
	want[5000 - 2 * LOG_SYSLOG_MSG_MAX] = '\0';
	expect(&r, 30, want);
	g_free(longline);
	/* At the end the unfinished lines go. */
	log_syslog_flush(sl);
	expect(&r, 27, "e2");
	int pri;
	assert_null(next_msg(&r, &pri));
	assert_int_equal(log_syslog_lost_bytes(sl), 0);
	log_syslog_free(sl);
	rig_close(&r);
}

static void test_missing_socket(void **state)
{
	g_autofree char *dir = testutil_tmpdir();
	g_autofree char *path = g_build_filename(dir, "nobody.sock", NULL);
	struct log_syslog_config cfg = {.socket_path = path, .cid = "c"};
	struct log_syslog *sl = log_syslog_new(&cfg, NULL);
	assert_non_null(sl);
	struct timespec ts = {0};
	gint64 t0 = g_get_monotonic_time();
	for (int i = 0; i < 1000; i++)
		log_syslog_write(sl, K8SLOG_STDOUT, "line\n", 5, &ts);
	/* Never waits: a missing socket is no full queue. */
	assert_true(g_get_monotonic_time() - t0 < 500000);
	assert_int_equal(log_syslog_lost_bytes(sl), 4000);
	log_syslog_free(sl);
	rmdir(dir);

	g_autoptr(GError) error = NULL;
	char toolong[200];
	memset(toolong, 'p', sizeof(toolong) - 1);
	toolong[sizeof(toolong) - 1] = '\0';
	cfg.socket_path = toolong;
	assert_null(log_syslog_new(&cfg, &error));
	assert_non_null(strstr(error->message, "Invalid syslog socket path"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_header, testutil_fd_setup, testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_tag, testutil_fd_setup, testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_piece, testutil_fd_setup, testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_records, testutil_fd_setup, testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_missing_socket, testutil_fd_setup,
						testutil_fd_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
