/* Unit tests: detach keys, the -t/-i flags on the shim's command line and
 * in state.json and config.json, and a whole session over a socketpair. */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tether/ctl_bundle.h"
#include "tether/jsonutil.h"
#include "tether/ctl_session.h"
#include "tether/ctl_shim.h"
#include "tether/ctl_state.h"

static void check_keys(const char *spec, const char *want, size_t want_len)
{
	g_autofree char *keys = NULL;
	size_t len = 99;
	assert_int_equal(ctl_detach_keys_parse(spec, &keys, &len), 0);
	assert_int_equal(len, want_len);
	assert_memory_equal(keys, want, want_len);
}

static void test_keys_parse(void **state)
{
	check_keys("ctrl-p,ctrl-q", "\x10\x11", 2);
	check_keys("ctrl-a,d",
		   "\x01"
		   "d",
		   2);
	check_keys("x", "x", 1);
	check_keys("CTRL-Z", "\x1a", 1);
	check_keys("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", "\0\x1b\x1c\x1d\x1e\x1f", 6);
	check_keys("", "", 0);
	const char *bad[] = {"ctrl-1", "ctrl-", "ab", "ctrl-p,", "ctrl-p,,ctrl-q", "alt-x", ","};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *keys = NULL;
		size_t len = 0;
		assert_int_equal(ctl_detach_keys_parse(bad[i], &keys, &len), -EINVAL);
		assert_null(keys);
	}
}

static void test_keys_feed(void **state)
{
	struct ctl_detach d = {"\x10\x11", 2, 0};
	g_autoptr(GString) out = g_string_new(NULL);
	bool detach = true;
	/* Plain input passes. */
	assert_int_equal(ctl_detach_feed(&d, "ab", 2, out, &detach), 2);
	assert_false(detach);
	assert_string_equal(out->str, "ab");
	/* A held ^P goes on when the sequence breaks; a second ^P restarts it. */
	assert_int_equal(ctl_detach_feed(&d, "\x10", 1, out, &detach), 1);
	assert_string_equal(out->str, "ab");
	assert_int_equal(ctl_detach_feed(&d, "c\x10\x10", 3, out, &detach), 3);
	assert_false(detach);
	assert_string_equal(out->str, "ab\x10"
				      "c\x10");
	/* Completed across calls: the rest is not consumed. */
	assert_int_equal(ctl_detach_feed(&d, "\x11zz", 3, out, &detach), 1);
	assert_true(detach);
	assert_string_equal(out->str, "ab\x10"
				      "c\x10");
	assert_int_equal(d.matched, 0);
	/* No keys: everything passes, ^P^Q too. */
	struct ctl_detach none = {"", 0, 0};
	g_string_truncate(out, 0);
	assert_int_equal(ctl_detach_feed(&none, "\x10\x11", 2, out, &detach), 2);
	assert_false(detach);
	assert_int_equal(out->len, 2);
}

static void test_shim_argv_stdio(void **state)
{
	struct ctl_context ctx = {
		.root = "/r", .runtime = "/bin/true", .shim = "/s", .log_level = "info"};
	const struct ctl_log_config log = {CTL_LOG_NONE, 0, 0, {0}};
	struct {
		unsigned stdio;
		const char *want; /* NULL: neither -t nor -i */
	} cases[] = {
		{0, NULL},
		{CTL_SHIM_TERMINAL, "-t"},
		{CTL_SHIM_STDIN, "-i"},
		/* podman passes no -i with -t: a hang-up must not close the PTY. */
		{CTL_SHIM_TERMINAL | CTL_SHIM_STDIN, "-t"},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_auto(GStrv) argv = ctl_shim_argv(&ctx, "c", "c", "/r/c", &log, cases[i].stdio,
						   NULL, NULL, NULL);
		bool t = g_strv_contains((const char *const *)argv, "-t");
		bool in = g_strv_contains((const char *const *)argv, "-i");
		if (cases[i].want == NULL) {
			assert_false(t || in);
		} else {
			assert_true(g_strv_contains((const char *const *)argv, cases[i].want));
			assert_true(t != in);
		}
	}
}

static void test_state_flags(void **state)
{
	TEST_NO_FD_LEAK({
		struct ctl_state st = {.id = "c1", .terminal = true, .interactive = false};
		g_autofree char *text = ctl_state_to_json(&st);
		struct ctl_state back;
		assert_int_equal(ctl_state_from_json(text, strlen(text), &back), 0);
		assert_true(back.terminal);
		assert_false(back.interactive);
		ctl_state_clear(&back);
		/* An older state.json: neither. */
		const char *old = "{\"id\":\"c2\",\"pid\":5}";
		assert_int_equal(ctl_state_from_json(old, strlen(old), &back), 0);
		assert_false(back.terminal || back.interactive);
		ctl_state_clear(&back);
	});
}

static void test_bundle_terminal(void **state)
{
	g_autoptr(json_object) c = json_tokener_parse("{\"process\":{\"terminal\":false}}");
	g_autoptr(GError) error = NULL;
	assert_true(ctl_bundle_set_terminal(c, true, &error));
	json_object *p = NULL, *t = NULL;
	assert_true(json_object_object_get_ex(c, "process", &p));
	assert_true(json_object_object_get_ex(p, "terminal", &t));
	assert_true(json_object_get_boolean(t));
	g_autoptr(json_object) none = json_tokener_parse("{}");
	assert_false(ctl_bundle_set_terminal(none, true, &error));
	assert_non_null(error);
}

/* A session without a terminal over a socketpair standing in for the
 * shim: our input arrives, its EOF shuts the socket's write side, and the
 * detach keys end the session with 0 and nothing after them sent. */
static void run_session(const char *input, size_t len, GString *ret_sent, int *ret_code)
{
	int sp[2], in[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(write(in[1], input, len), (ssize_t)len);
	close(in[1]);
	struct ctl_context ctx = {0};
	g_autofree char *keys = NULL;
	size_t keys_len = 0;
	assert_int_equal(ctl_detach_keys_parse(CTL_DETACH_KEYS_DEFAULT, &keys, &keys_len), 0);
	const struct ctl_session_opts so = {.in_fd = in[0], .keys = keys, .keys_len = keys_len};
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = testutil_tmpdir();
	*ret_code = ctl_session_run(&ctx, "c1", dir, sp[0], &so, &error);
	char buf[256];
	ssize_t n;
	while ((n = recv(sp[1], buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		g_string_append_len(ret_sent, buf, n);
	close(sp[1]);
	close(in[0]);
	testutil_rmtree(dir);
}

static void test_session_detach(void **state)
{
	sigset_t old;
	sigprocmask(SIG_BLOCK, NULL, &old);
	TEST_NO_FD_LEAK({
		g_autoptr(GString) sent = g_string_new(NULL);
		int code = -2;
		run_session("hello\x10\x11"
			    "after",
			    12, sent, &code);
		assert_int_equal(code, 0);
		assert_string_equal(sent->str, "hello");
	});
	/* ctl_session_run blocks its signals for good, as tetherctl exits. */
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGPIPE, SIG_DFL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_parse),	cmocka_unit_test(test_keys_feed),
		cmocka_unit_test(test_shim_argv_stdio), cmocka_unit_test(test_state_flags),
		cmocka_unit_test(test_bundle_terminal), cmocka_unit_test(test_session_detach),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
