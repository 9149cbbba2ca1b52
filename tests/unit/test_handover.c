/* The fds a new binary adopts from a live-upgrade or crash-recovery state:
 * only those that are still the files the state names (fd_ids). An fd
 * closed since the state was written, or whose number another file took, is
 * left out; the old image's orphan at such a number (no FD_CLOEXEC, as the
 * crash handler left it) is closed, this binary's own (FD_CLOEXEC) is not.
 * Real pipes. */
#include "testutil.h"
#include "tether/handover.h"
#include "tether/jsonutil.h"
#include "tether/opts.h"
#include "tether/upgrade.h"
#include "tether/version.h"

#include <sys/mman.h>

#include <sys/stat.h>

#include <stdio.h>

static json_object *state_of(GArray *keep, const char *extra)
{
	g_autofree char *text = g_strdup_printf("{%s}", extra);
	json_object *st = json_tokener_parse(text);
	assert_non_null(st);
	handover_add_fd_ids(st, keep);
	return st;
}

static void keep_fds(GArray *keep, const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(handover_keep_fd(keep, fds[i]), fds[i]);
}

static void test_stale_fds_left_out(void **state)
{
	int kept[2], gone[2], own[2], other[2];
	assert_int_equal(pipe2(kept, O_CLOEXEC), 0);
	assert_int_equal(pipe2(gone, O_CLOEXEC), 0);
	assert_int_equal(pipe2(own, O_CLOEXEC), 0);
	g_autoptr(GArray) keep = g_array_new(FALSE, FALSE, sizeof(int));
	keep_fds(keep, (int[]){kept[0], gone[0], gone[1], own[0]}, 4);
	g_autofree char *fields = g_strdup_printf(
		"\"sync_fd\": %d, \"out_fds\": [%d, %d], \"attach\": {\"listen_fd\": %d}", kept[0],
		gone[0], gone[1], own[0]);
	g_autoptr(json_object) st = state_of(keep, fields);

	/* Since the save: gone[1] closed; at gone[0] another pipe, left open
	 * by the old image (no FD_CLOEXEC); at own[0] one of this binary's. */
	int orphan = gone[0], closed = gone[1], mine = own[0];
	assert_int_equal(pipe2(other, O_CLOEXEC), 0);
	close(gone[0]);
	close(gone[1]);
	close(own[0]);
	close(own[1]);
	/* dup2 clears FD_CLOEXEC, as the crash handler would have. */
	assert_int_equal(dup2(other[0], orphan), orphan);
	assert_false(fcntl(orphan, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(dup3(other[1], mine, O_CLOEXEC), mine);
	close(other[0]);
	close(other[1]);

	g_autoptr(handover_fds) fds = handover_fds_new(st);
	assert_int_equal(handover_get_fd(fds, st, "sync_fd"), kept[0]);
	json_object *out = handover_get(st, "out_fds", json_type_array);
	assert_int_equal(handover_to_fd(fds, json_object_array_get_idx(out, 0)), -1);
	assert_int_equal(handover_to_fd(fds, json_object_array_get_idx(out, 1)), -1);
	json_object *attach = handover_get(st, "attach", json_type_object);
	assert_int_equal(handover_get_fd(fds, attach, "listen_fd"), -1);

	/* The orphan is nobody's: closed. This binary's own stays. */
	assert_true(fcntl(orphan, F_GETFD) < 0);
	assert_true(fcntl(closed, F_GETFD) < 0);
	assert_true(fcntl(mine, F_GETFD) & FD_CLOEXEC);
	/* The fd taken is close-on-exec again. */
	assert_true(fcntl(kept[0], F_GETFD) & FD_CLOEXEC);
	close(mine);
	close(kept[0]);
	close(kept[1]);
}

static void test_ids_name_each_kept_fd(void **state)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	g_autoptr(GArray) keep = g_array_new(FALSE, FALSE, sizeof(int));
	keep_fds(keep, p, 2);
	assert_int_equal(handover_keep_fd(keep, -1), -1);
	g_autoptr(json_object) st = state_of(keep, "");
	json_object *ids = handover_get(st, "fd_ids", json_type_object);
	assert_non_null(ids);
	assert_int_equal(json_object_object_length(ids), 2);
	struct stat sb;
	assert_int_equal(fstat(p[1], &sb), 0);
	char key[16];
	snprintf(key, sizeof(key), "%d", p[1]);
	g_autofree char *want =
		g_strdup_printf("%ju:%ju", (uintmax_t)sb.st_dev, (uintmax_t)sb.st_ino);
	json_object *id = handover_get(ids, key, json_type_string);
	assert_non_null(id);
	assert_string_equal(json_object_get_string(id), want);
	close(p[0]);
	close(p[1]);
}

/* A state written by a tether without fd_ids: any fd open at its number. */
static void test_state_without_ids(void **state)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	g_autofree char *text = g_strdup_printf("{\"term_fd\": %d, \"stdin_fd\": 1}", p[0]);
	g_autoptr(json_object) st = json_tokener_parse(text);
	g_autoptr(handover_fds) fds = handover_fds_new(st);
	assert_int_equal(handover_get_fd(fds, st, "term_fd"), p[0]);
	/* Never stdio. */
	assert_int_equal(handover_get_fd(fds, st, "stdin_fd"), -1);
	assert_true(fcntl(p[0], F_GETFD) & FD_CLOEXEC);
	close(p[0]);
	close(p[1]);
}

/* The shim's own fds (the container's pipes) are taken by upgrade_load,
 * before any module adopts: they are checked all the same. */
static void test_upgrade_load_checks_fds(void **state)
{
	int a[2], b[2], other[2];
	assert_int_equal(pipe2(a, O_CLOEXEC), 0);
	assert_int_equal(pipe2(b, O_CLOEXEC), 0);
	g_autoptr(GArray) keep = g_array_new(FALSE, FALSE, sizeof(int));
	keep_fds(keep, (int[]){a[0], b[0]}, 2);
	g_autofree char *fields =
		g_strdup_printf("\"protocol\": %d, \"container_pid\": %d, \"out_fds\": [%d, %d]",
				TETHER_UPGRADE_PROTOCOL, (int)getpid(), a[0], b[0]);
	g_autoptr(json_object) st = state_of(keep, fields);
	/* Since the save: another pipe at b[0], left by the old image. */
	int orphan = b[0];
	assert_int_equal(pipe2(other, O_CLOEXEC), 0);
	close(b[0]);
	close(b[1]);
	assert_int_equal(dup2(other[0], orphan), orphan);
	assert_false(fcntl(orphan, F_GETFD) & FD_CLOEXEC);
	close(other[0]);
	close(other[1]);

	int memfd = memfd_create("state", MFD_CLOEXEC);
	const char *text = json_object_to_json_string(st);
	assert_int_equal(write(memfd, text, strlen(text)), (ssize_t)strlen(text));
	struct tether_opts opts = {.adopt_state_fd = memfd};
	struct shim *s = shim_new(&opts);
	g_autoptr(handover_fds) fds = NULL;
	GError *error = NULL;
	g_autoptr(json_object) got = upgrade_load(s, &fds, &error);
	assert_non_null(got);
	assert_non_null(fds);
	assert_int_equal(s->out_fd[0], a[0]);
	assert_int_equal(s->out_fd[1], -1);
	assert_true(fcntl(orphan, F_GETFD) < 0);
	s->out_fd[0] = -1;
	shim_free(s);
	close(a[0]);
	close(a[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stale_fds_left_out, testutil_fd_setup,
						testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_ids_name_each_kept_fd, testutil_fd_setup,
						testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_state_without_ids, testutil_fd_setup,
						testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_upgrade_load_checks_fds, testutil_fd_setup,
						testutil_fd_check),
	};
	return cmocka_run_group_tests_name("handover", tests, NULL, NULL);
}
