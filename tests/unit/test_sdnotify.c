/* The shim's own sd_notify client: the address forms systemd uses, the
 * watchdog hand-over, and one real datagram with its sender's credentials. */
#include "testutil.h"
#include "tether/sdnotify.h"

#include <stddef.h>
#include <string.h>
#include <unistd.h>

static void test_address(void **state)
{
	struct sockaddr_un a;
	socklen_t len;
	assert_int_equal(sdnotify_address("/run/systemd/notify", &a, &len), 0);
	assert_string_equal(a.sun_path, "/run/systemd/notify");
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + strlen(a.sun_path) + 1);
	/* Abstract: a leading NUL, and the length says where the name ends. */
	assert_int_equal(sdnotify_address("@test/notify", &a, &len), 0);
	assert_int_equal(a.sun_path[0], '\0');
	assert_memory_equal(a.sun_path + 1, "test/notify", 11);
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 12);
	assert_int_equal(sdnotify_address(NULL, &a, &len), -EINVAL);
	assert_int_equal(sdnotify_address("", &a, &len), -EINVAL);
	assert_int_equal(sdnotify_address("@", &a, &len), -EINVAL);
	assert_int_equal(sdnotify_address("relative", &a, &len), -EINVAL);
	char longer[200];
	memset(longer, 'x', sizeof(longer) - 1);
	longer[0] = '/';
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(sdnotify_address(longer, &a, &len), -EINVAL);
}

static void test_watchdog(void **state)
{
	assert_int_equal(sdnotify_watchdog_usec("2000000", NULL, 42), 2000000);
	assert_int_equal(sdnotify_watchdog_usec("2000000", "42", 42), 2000000);
	assert_int_equal(sdnotify_watchdog_usec("2000000", "41", 42), 0);
	assert_int_equal(sdnotify_watchdog_usec("2000000", "x", 42), 0);
	assert_int_equal(sdnotify_watchdog_usec(NULL, NULL, 42), 0);
	assert_int_equal(sdnotify_watchdog_usec("", NULL, 42), 0);
	assert_int_equal(sdnotify_watchdog_usec("-5", NULL, 42), 0);
	assert_int_equal(sdnotify_watchdog_usec("10s", NULL, 42), 0);
	assert_int_equal(sdnotify_watchdog_usec("99999999999999999999999", NULL, 42), 0);
}

/* A service manager's notification socket at path, as systemd binds it. */
static int bind_notify(const char *path)
{
	int srv = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a;
	socklen_t len;
	assert_int_equal(sdnotify_address(path, &a, &len), 0);
	assert_int_equal(bind(srv, (struct sockaddr *)&a, len), 0);
	return srv;
}

static void test_send(void **state)
{
	g_autofree char *dir = testutil_tmpdir();
	g_autofree char *path = g_build_filename(dir, "notify", NULL);
	TEST_NO_FD_LEAK({
		int srv = bind_notify(path);
		int one = 1;
		assert_int_equal(setsockopt(srv, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);

		g_setenv("NOTIFY_SOCKET", path, TRUE);
		g_setenv("WATCHDOG_USEC", "3000000", TRUE);
		g_unsetenv("WATCHDOG_PID");
		GError *error = NULL;
		struct sdnotify *n = sdnotify_from_env(&error);
		assert_non_null(n);
		assert_int_equal(sdnotify_get_watchdog_usec(n), 3000000);
		/* Gone from the environment: the runtime must not act on it. */
		assert_null(g_getenv("NOTIFY_SOCKET"));
		assert_null(g_getenv("WATCHDOG_USEC"));
		assert_int_equal(sdnotify_sendf(n, "MAINPID=%d\nSTATUS=%s", 7, "x"), 0);

		char buf[64] = {0};
		char cbuf[CMSG_SPACE(sizeof(struct ucred))];
		struct iovec iov = {buf, sizeof(buf) - 1};
		struct msghdr m = {.msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = cbuf,
				   .msg_controllen = sizeof(cbuf)};
		assert_int_equal(recvmsg(srv, &m, 0), strlen("MAINPID=7\nSTATUS=x"));
		assert_string_equal(buf, "MAINPID=7\nSTATUS=x");
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		assert_non_null(c);
		struct ucred cred;
		memcpy(&cred, CMSG_DATA(c), sizeof(cred));
		assert_int_equal(cred.pid, getpid());
		sdnotify_free(n);

		/* Nobody listening: an error to the caller, never a block. */
		close(srv);
		unlink(path);
		g_setenv("NOTIFY_SOCKET", path, TRUE);
		n = sdnotify_from_env(&error);
		assert_true(sdnotify_send(n, "READY=1") < 0);
		sdnotify_free(n);
		assert_int_equal(sdnotify_send(NULL, "READY=1"), 0);

		g_setenv("NOTIFY_SOCKET", "not/absolute", TRUE);
		assert_null(sdnotify_from_env(&error));
		assert_non_null(strstr(error->message, "Invalid NOTIFY_SOCKET 'not/absolute'"));
		g_clear_error(&error);
		g_unsetenv("NOTIFY_SOCKET");
		assert_null(sdnotify_from_env(&error));
		assert_null(error);
	});
	testutil_rmtree(dir);
}

/* FDSTORE=1 with the fd itself: it arrives as the same open file. */
static void test_send_fd(void **state)
{
	g_autofree char *dir = testutil_tmpdir();
	g_autofree char *path = g_build_filename(dir, "notify", NULL);
	TEST_NO_FD_LEAK({
		int srv = bind_notify(path);
		g_setenv("NOTIFY_SOCKET", path, TRUE);
		GError *error = NULL;
		struct sdnotify *n = sdnotify_from_env(&error);
		assert_non_null(n);
		int p[2];
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		assert_int_equal(sdnotify_send_fd(n, "FDSTORE=1\nFDNAME=x", p[1]), 0);

		char buf[64] = {0};
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = {buf, sizeof(buf) - 1};
		struct msghdr m = {.msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = cbuf,
				   .msg_controllen = sizeof(cbuf)};
		assert_int_equal(recvmsg(srv, &m, MSG_CMSG_CLOEXEC), strlen("FDSTORE=1\nFDNAME=x"));
		assert_string_equal(buf, "FDSTORE=1\nFDNAME=x");
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		assert_non_null(c);
		assert_int_equal(c->cmsg_type, SCM_RIGHTS);
		int got;
		memcpy(&got, CMSG_DATA(c), sizeof(got));
		/* The same pipe: what goes in by the stored fd comes out of ours. */
		assert_int_equal(write(got, "z", 1), 1);
		char z = 0;
		assert_int_equal(read(p[0], &z, 1), 1);
		assert_int_equal(z, 'z');
		close(got);
		close(p[0]);
		close(p[1]);
		sdnotify_free(n);
		close(srv);
		g_unsetenv("NOTIFY_SOCKET");
	});
	testutil_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_watchdog),
		cmocka_unit_test(test_send),
		cmocka_unit_test(test_send_fd),
	};
	return cmocka_run_group_tests_name("sdnotify", tests, NULL, NULL);
}
