/* Crash recovery's check of a saved state in the new image: an fd that is no
 * longer the file that was saved (closed, or its number reused) is left out
 * everywhere the state names it, and the deadlines count the time since the
 * save. Real pipes. */
#include "testutil.h"
#include "tether/jsonutil.h"
#include "tether/recover.h"

#include <stdio.h>
#include <sys/stat.h>

static char *id_of(int fd)
{
	struct stat sb;
	assert_int_equal(fstat(fd, &sb), 0);
	return g_strdup_printf("%ju:%ju", (uintmax_t)sb.st_dev, (uintmax_t)sb.st_ino);
}

static int64_t get_int(json_object *o, const char *key)
{
	json_object *v;
	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_int64(v);
}

static void test_stale_fds_left_out(void **state)
{
	int kept[2], gone[2], other[2];
	assert_int_equal(pipe2(kept, O_CLOEXEC), 0);
	assert_int_equal(pipe2(gone, O_CLOEXEC), 0);
	g_autofree char *kept_id = id_of(kept[0]);
	g_autofree char *gone_id = id_of(gone[0]);
	g_autofree char *closed_id = id_of(gone[1]);
	/* The number of gone[0] now names another pipe; gone[1] is closed. */
	int reused = gone[0], closed = gone[1];
	close(gone[0]);
	close(gone[1]);
	assert_int_equal(pipe2(other, O_CLOEXEC), 0);
	if (other[0] != reused) {
		assert_int_equal(dup3(other[0], reused, O_CLOEXEC), reused);
		close(other[0]);
	}
	close(other[1] == closed ? -1 : other[1]);

	g_autofree char *text = g_strdup_printf(
		"{\"sync_fd\": %d, \"out_fds\": [%d, %d], \"attach\": {\"listen_fd\": %d},"
		" \"stop_left_ms\": 5000, \"timeout_left_ms\": -1, \"saved_at\": %" G_GINT64_FORMAT
		", \"fd_ids\": {\"%d\": \"%s\", \"%d\": \"%s\", \"%d\": \"%s\"}}",
		kept[0], reused, closed, reused, g_get_monotonic_time() - 2 * G_USEC_PER_SEC,
		kept[0], kept_id, reused, gone_id, closed, closed_id);
	g_autoptr(json_object) st = json_tokener_parse(text);
	assert_non_null(st);
	struct shim s = {0};
	recover_check(&s, st);

	assert_int_equal(s.recoveries, 1);
	assert_int_equal(get_int(st, "sync_fd"), kept[0]);
	json_object *out, *attach;
	assert_true(json_object_object_get_ex(st, "out_fds", &out));
	assert_int_equal(json_object_get_int(json_object_array_get_idx(out, 0)), -1);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(out, 1)), -1);
	assert_true(json_object_object_get_ex(st, "attach", &attach));
	assert_int_equal(get_int(attach, "listen_fd"), -1);
	/* The reused number held nothing of the shim's: it is closed. */
	assert_true(fcntl(reused, F_GETFD) < 0);
	/* Two seconds since the save: about 3000 ms of the stop are left. */
	int64_t left = get_int(st, "stop_left_ms");
	assert_true(left <= 3000 && left > 2000);
	assert_int_equal(get_int(st, "timeout_left_ms"), -1);
	close(kept[0]);
	close(kept[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stale_fds_left_out, testutil_fd_setup,
						testutil_fd_check),
	};
	return cmocka_run_group_tests_name("recover", tests, NULL, NULL);
}
