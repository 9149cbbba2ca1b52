/* The attach socket with real SOCK_SEQPACKET clients: conmon's framing, many
 * clients, long paths, and a client that stops reading costs nothing but its
 * own (counted) output. */
#include "testutil.h"
#include "tether/attach.h"
#include "tether/fdutil.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void pump(void)
{
	for (int i = 0; i < 50; i++)
		g_main_context_iteration(NULL, FALSE);
}

/* Connect as podman does: O_PATH the socket, connect to /proc/self/fd/N. */
static int connect_client(const char *path)
{
	int pfd = open(path, O_PATH | O_CLOEXEC);
	assert_true(pfd >= 0);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d", pfd);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(pfd);
	return fd;
}

static void test_framing_and_clients(void **state)
{
	g_autofree char *dir = testutil_tmpdir();
	/* A bundle path far longer than sun_path's 108 bytes. */
	g_autofree char *longname = g_strnfill(150, 'b');
	g_autofree char *bundle = g_build_filename(dir, longname, NULL);
	assert_int_equal(g_mkdir_with_parents(bundle, 0700), 0);
	g_autofree char *sockdir = g_build_filename(dir, "sock", NULL);
	g_autofree char *sock = g_build_filename(sockdir, "uuid", "attach", NULL);

	TEST_NO_FD_LEAK({
		struct attach *a = attach_new(bundle, sockdir, "uuid", false, NULL, NULL, NULL);
		assert_non_null(a);
		struct stat st;
		assert_int_equal(stat(sock, &st), 0);
		assert_true(S_ISSOCK(st.st_mode));
		assert_int_equal(st.st_mode & 0777, 0700);

		int c1 = connect_client(sock), c2 = connect_client(sock);
		pump();
		assert_int_equal(attach_client_count(a), 2);

		size_t big = 20000;
		g_autofree char *data = g_strnfill(big, 'x');
		attach_broadcast(a, ATTACH_STREAM_STDOUT, "hello\n", 6);
		attach_broadcast(a, ATTACH_STREAM_STDERR, data, big);
		char buf[32768];
		for (int c = 0; c < 2; c++) {
			int fd = c == 0 ? c1 : c2;
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			assert_int_equal(n, 7);
			assert_int_equal(buf[0], 2);
			assert_memory_equal(buf + 1, "hello\n", 6);
			size_t got = 0;
			while (got < big) {
				n = recv(fd, buf, sizeof(buf), 0);
				assert_true(n > 1 && n <= 8193);
				assert_int_equal(buf[0], 3);
				got += (size_t)n - 1;
			}
			assert_int_equal(got, big);
		}
		/* A client that shuts its write side still gets output. */
		shutdown(c1, SHUT_WR);
		close(c2);
		pump();
		assert_int_equal(attach_client_count(a), 1);
		attach_broadcast(a, ATTACH_STREAM_STDOUT, "more", 4);
		assert_int_equal(recv(c1, buf, sizeof(buf), 0), 5);

		attach_shutdown(a, 100);
		assert_int_equal(recv(c1, buf, sizeof(buf), 0), 0); /* EOF */
		assert_int_equal(lstat(sock, &st), -1);
		g_autofree char *link = g_build_filename(sockdir, "uuid", NULL);
		assert_int_equal(lstat(link, &st), -1);
		close(c1);
		attach_free(a);
	});
	testutil_rmtree(dir);
}

static void test_stuck_client_never_blocks(void **state)
{
	g_autofree char *dir = testutil_tmpdir();
	g_autofree char *sock = g_build_filename(dir, "attach", NULL);
	struct attach *a = attach_new(dir, NULL, NULL, true, NULL, NULL, NULL);
	assert_non_null(a);
	int stuck = connect_client(sock);
	pump();
	char chunk[8192];
	memset(chunk, 'z', sizeof(chunk));
	/* Far more than the socket buffer and the queue: must return at once. */
	size_t total = 4 * ATTACH_CLIENT_QUEUE_HIGH;
	for (size_t sent = 0; sent < total; sent += sizeof(chunk))
		attach_broadcast(a, ATTACH_STREAM_STDOUT, chunk, sizeof(chunk));
	assert_true(attach_dropped_bytes(a) > 0);
	assert_true(attach_dropped_bytes(a) < total);
	attach_shutdown(a, 0);
	close(stuck);
	attach_free(a);
	testutil_rmtree(dir);
}

struct flow {
	int changes;
	bool congested;
};

static size_t no_room_limit(void *data)
{
	return SIZE_MAX;
}

static void drop_input(void *data, const char *buf, size_t len)
{
}

static void no_eof(void *data)
{
}

static void on_congested(void *data, bool on)
{
	struct flow *f = data;
	f->changes++;
	f->congested = on;
}

static const struct attach_ops flow_ops = {no_room_limit, drop_input, no_eof, on_congested};

/* A slow client holds the relay up and then lets it go, losing nothing; a
 * stuck one is let go of after ATTACH_STUCK_MS, its output dropped. */
static void test_flow_control(void **state)
{
	g_autofree char *dir = testutil_tmpdir();
	g_autofree char *sock = g_build_filename(dir, "attach", NULL);
	struct flow f = {0};
	struct attach *a = attach_new(dir, NULL, NULL, true, &flow_ops, &f, NULL);
	int slow = connect_client(sock);
	pump();
	char chunk[8192];
	memset(chunk, 's', sizeof(chunk));
	size_t sent = 0;
	while (!f.congested) {
		attach_broadcast(a, ATTACH_STREAM_STDOUT, chunk, sizeof(chunk));
		sent += sizeof(chunk);
		assert_true(sent < 3 * ATTACH_CLIENT_QUEUE_HIGH);
	}
	/* The slow client now reads everything: nothing was dropped. */
	size_t got = 0;
	char buf[8193];
	(void)fdutil_set_nonblock(slow, true);
	while (got < sent) {
		ssize_t n = recv(slow, buf, sizeof(buf), 0);
		if (n > 0)
			got += (size_t)n - 1;
		pump();
	}
	assert_int_equal(got, sent);
	assert_false(f.congested);
	assert_int_equal(attach_dropped_bytes(a), 0);

	/* Now it stops reading for good. */
	f.changes = 0;
	while (!f.congested)
		attach_broadcast(a, ATTACH_STREAM_STDOUT, chunk, sizeof(chunk));
	gint64 until = g_get_monotonic_time() + (ATTACH_STUCK_MS + 1000) * 1000;
	while (f.congested && g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, TRUE);
	assert_false(f.congested);
	assert_true(attach_dropped_bytes(a) > 0);
	attach_shutdown(a, 0);
	close(slow);
	attach_free(a);
	testutil_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing_and_clients),
		cmocka_unit_test(test_stuck_client_never_blocks),
		cmocka_unit_test(test_flow_control),
	};
	return cmocka_run_group_tests_name("attach", tests, NULL, NULL);
}
