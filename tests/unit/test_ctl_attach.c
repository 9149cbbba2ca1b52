/* Unit tests: the attach socket client (connect, framing, relay). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

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
	assert_int_equal(pipe2(f->out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(f->err, O_CLOEXEC), 0);
	/* Room for everything a test writes without a reader. */
	fcntl(f->out[1], F_SETPIPE_SZ, 1 << 20);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 2; i++) {
		if (f->out[i] >= 0)
			close(f->out[i]);
		close(f->err[i]);
	}
	assert_int_equal(count_fds(), f->fds);
	g_free(f);
	return 0;
}

static GString *slurp(int fd)
{
	GString *s = g_string_new(NULL);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		g_string_append_len(s, buf, n);
	return s;
}

static void test_deliver(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ctl_attach_deliver("\x02hello", 6, f->out[1], f->err[1]), 0);
	assert_int_equal(ctl_attach_deliver("\x03oops", 5, f->out[1], f->err[1]), 0);
	assert_int_equal(ctl_attach_deliver("\x01stdin?", 7, f->out[1], f->err[1]), 0);
	assert_int_equal(ctl_attach_deliver("\x02", 1, f->out[1], f->err[1]), 0);
	assert_int_equal(ctl_attach_deliver("", 0, f->out[1], f->err[1]), 0);
	g_autoptr(GString) out = slurp(f->out[0]);
	g_autoptr(GString) err = slurp(f->err[0]);
	assert_string_equal(out->str, "hello");
	assert_string_equal(err->str, "oops");
}

static bool on_signal(int signo, void *userdata)
{
	*(int *)userdata = signo;
	return signo != SIGUSR2;
}

static void test_relay(void **state)
{
	struct fixture *f = *state;
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	/* The largest packet a shim sends: 1 + 8192 bytes. */
	char big[8193];
	big[0] = 2;
	memset(big + 1, 'x', sizeof(big) - 1);
	assert_int_equal(send(sp[1], "\x02out1\npart", 10, 0), 10);
	assert_int_equal(send(sp[1],
			      "\x03"
			      "err\n",
			      5, 0),
			 5);
	assert_int_equal(send(sp[1], big, sizeof(big), 0), (ssize_t)sizeof(big));
	assert_int_equal(send(sp[1],
			      "\x02"
			      "end\n",
			      5, 0),
			 5);
	close(sp[1]);

	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, &old);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	assert_true(sfd >= 0);
	raise(SIGUSR1);
	int got = 0;
	assert_int_equal(ctl_attach_relay(sp[0], f->out[1], f->err[1], sfd, on_signal, &got), 0);
	close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sp[0]);
	assert_int_equal(got, SIGUSR1);

	g_autoptr(GString) out = slurp(f->out[0]);
	g_autoptr(GString) err = slurp(f->err[0]);
	assert_int_equal(out->len, 9 + 8192 + 4);
	assert_memory_equal(out->str, "out1\npart", 9);
	assert_string_equal(out->str + out->len - 4, "end\n");
	assert_string_equal(err->str, "err\n");
}

static void test_relay_stopped_by_signal(void **state)
{
	struct fixture *f = *state;
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_BLOCK, &mask, &old);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	raise(SIGUSR2);
	int got = 0;
	/* No EOF ever comes: only the signal ends it. */
	assert_int_equal(ctl_attach_relay(sp[0], f->out[1], f->err[1], sfd, on_signal, &got),
			 -EINTR);
	assert_int_equal(got, SIGUSR2);
	close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sp[0]);
	close(sp[1]);
}

static void test_relay_survives_closed_reader(void **state)
{
	struct fixture *f = *state;
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	assert_int_equal(send(sp[1], "\x02lost", 5, 0), 5);
	assert_int_equal(send(sp[1], "\x03kept", 5, 0), 5);
	close(sp[1]);
	close(f->out[0]);
	f->out[0] = -1;
	void (*prev)(int) = signal(SIGPIPE, SIG_IGN);
	assert_int_equal(ctl_attach_relay(sp[0], f->out[1], f->err[1], -1, NULL, NULL), 0);
	signal(SIGPIPE, prev);
	close(sp[0]);
	g_autoptr(GString) err = slurp(f->err[0]);
	assert_string_equal(err->str, "kept");
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
		cmocka_unit_test_setup_teardown(test_relay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_stopped_by_signal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_survives_closed_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_long_path, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
