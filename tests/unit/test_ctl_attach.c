/* Unit tests: the attach socket client (connect, framing, relay). */
#include "testutil.h"

#include <dirent.h>
#include <glib.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tether/ctl_attach.h"
#include "tether/ctl_fs.h"

struct fixture {
	int fds;
	int out[2], err[2];
};

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	f->fds = testutil_count_fds();
	testutil_out_err_open(f->out, f->err, 0);
	/* Room for everything a test writes without a reader. */
	fcntl(f->out[1], F_SETPIPE_SZ, 1 << 20);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	testutil_out_err_close(f->out, f->err);
	assert_int_equal(testutil_count_fds(), f->fds);
	g_free(f);
	return 0;
}

static void test_deliver(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ctl_attach_deliver("\x02hello", 6, f->out[1], f->err[1]), 0);
	assert_int_equal(ctl_attach_deliver("\x03oops", 5, f->out[1], f->err[1]), 0);
	assert_int_equal(ctl_attach_deliver("\x01stdin?", 7, f->out[1], f->err[1]), 0);
	assert_int_equal(ctl_attach_deliver("\x02", 1, f->out[1], f->err[1]), 0);
	assert_int_equal(ctl_attach_deliver("", 0, f->out[1], f->err[1]), 0);
	g_autoptr(GString) out = testutil_slurp(f->out[0]);
	g_autoptr(GString) err = testutil_slurp(f->err[0]);
	assert_string_equal(out->str, "hello");
	assert_string_equal(err->str, "oops");
}

static void test_connect_long_path(void **state)
{
	g_autofree char *tmp = g_dir_make_tmp("test_ctl_attach.XXXXXX", NULL);
	/* Well past sun_path's 108 bytes. */
	g_autofree char *dir = g_build_filename(tmp, "a123456789012345678901234567890123456789",
						"b123456789012345678901234567890123456789",
						"c123456789012345678901234567890123456789", NULL);
	assert_true(strlen(dir) > 120);
	assert_int_equal(ctl_fs_mkdir_p(dir, 0700), 0);
	assert_int_equal(ctl_attach_connect(dir), -ENOENT);

	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/attach", dfd);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 10), 0);
	close(dfd);

	int cfd = ctl_attach_connect(dir);
	assert_true(cfd >= 0);
	assert_true(fcntl(cfd, F_GETFD) & FD_CLOEXEC);
	int afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(afd >= 0);
	assert_int_equal(send(afd, "\x02hi", 3, 0), 3);
	char buf[CTL_ATTACH_BUF];
	assert_int_equal(recv(cfd, buf, sizeof(buf), 0), 3);
	close(afd);
	close(cfd);
	close(lfd);
	assert_int_equal(ctl_fs_rm_rf(tmp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deliver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_long_path, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
