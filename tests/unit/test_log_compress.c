/* --log-compress: gzip and back (the shim's child and tetherctl's reader),
 * the rotation of plain and .gz files, a real compressor child reaped here,
 * and the reader's list of them. */
#include "testutil.h"
#include "tether/ctl_logfiles.h"
#include "tether/log_compress.h"

#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void put(const char *path, const char *text)
{
	assert_true(g_file_set_contents(path, text, -1, NULL));
}

static char *read_fd(int fd)
{
	GString *s = g_string_new(NULL);
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		g_string_append_len(s, buf, n);
	return g_string_free(s, FALSE);
}

static void test_round_trip(void **state)
{
	g_autofree char *dir = testutil_tmpdir();
	g_autofree char *in = g_build_filename(dir, "in", NULL);
	g_autofree char *gz = g_build_filename(dir, "in.gz", NULL);
	GString *text = g_string_new(NULL);
	for (int i = 0; i < 100000; i++)
		g_string_append_printf(text, "2026-11-23T12:00:00.000000000Z stdout F line %d\n",
				       i);
	put(in, text->str);
	int ifd = open(in, O_RDONLY | O_CLOEXEC);
	int ofd = open(gz, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_int_equal(log_compress_fd(ifd, ofd, 1234, 567890), 0);
	close(ifd);
	close(ofd);
	struct stat st;
	assert_int_equal(stat(gz, &st), 0);
	assert_true((size_t)st.st_size < text->len / 5);

	int gfd = open(gz, O_RDONLY | O_CLOEXEC);
	int mfd = -1;
	dev_t dev = 0;
	ino_t ino = 0;
	assert_int_equal(ctl_logfiles_gunzip(gfd, &mfd, &dev, &ino), 0);
	close(gfd);
	assert_int_equal(dev, 1234);
	assert_int_equal(ino, 567890);
	g_autofree char *back = read_fd(mfd);
	close(mfd);
	assert_string_equal(back, text->str);

	/* Cut short: damaged, said so. */
	assert_int_equal(truncate(gz, st.st_size / 2), 0);
	gfd = open(gz, O_RDONLY | O_CLOEXEC);
	assert_int_equal(ctl_logfiles_gunzip(gfd, &mfd, &dev, &ino), -EBADMSG);
	close(gfd);
	/* Not gzip at all. */
	gfd = open(in, O_RDONLY | O_CLOEXEC);
	assert_int_equal(ctl_logfiles_gunzip(gfd, &mfd, &dev, &ino), -EBADMSG);
	close(gfd);
	g_string_free(text, TRUE);
	unlink(in);
	unlink(gz);
	rmdir(dir);
}

/* Reap the compressor (the test's only child) into c. */
static void reap(struct log_compress *c)
{
	int status;
	pid_t pid = waitpid(-1, &status, 0);
	assert_true(pid > 0);
	assert_true(log_compress_reap(c, pid, status));
	/* Not twice. */
	assert_false(log_compress_reap(c, pid, status));
}

static bool exists(const char *dir, const char *name)
{
	g_autofree char *p = g_build_filename(dir, name, NULL);
	return access(p, F_OK) == 0;
}

static char *gunzip_file(const char *dir, const char *name)
{
	g_autofree char *p = g_build_filename(dir, name, NULL);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	int mfd = -1;
	dev_t dev = 0;
	ino_t ino = 0;
	assert_int_equal(ctl_logfiles_gunzip(fd, &mfd, &dev, &ino), 0);
	close(fd);
	char *text = read_fd(mfd);
	close(mfd);
	return text;
}

static void test_rotation(void **state)
{
	g_autofree char *dir = testutil_tmpdir();
	g_autofree char *path = g_build_filename(dir, "ctr.log", NULL);
	g_autofree char *p1 = g_strdup_printf("%s.1", path);
	struct log_compress *c = log_compress_new(path, 2);

	/* First rotation: PATH -> PATH.1, compressed into PATH.1.gz. */
	assert_int_equal(log_compress_shift(c), 0);
	put(p1, "first\n");
	log_compress_rotated(c);
	reap(c);
	assert_true(exists(dir, "ctr.log.1.gz"));
	assert_false(exists(dir, "ctr.log.1"));
	assert_false(exists(dir, "ctr.log.gz-tmp"));

	/* Second: a rotation while the child runs moves its file to PATH.2,
	 * and its output lands there. */
	assert_int_equal(log_compress_shift(c), 0);
	put(p1, "second\n");
	log_compress_rotated(c);
	assert_int_equal(log_compress_shift(c), 0);
	assert_true(exists(dir, "ctr.log.2") || exists(dir, "ctr.log.2.gz"));
	/* "first" was pushed out (max 2). */
	put(p1, "third\n");
	log_compress_rotated(c); /* one child at a time: nothing yet */
	reap(c);		 /* "second", now PATH.2; then "third" starts */
	assert_true(exists(dir, "ctr.log.2.gz"));
	assert_false(exists(dir, "ctr.log.2"));
	reap(c);
	assert_true(exists(dir, "ctr.log.1.gz"));
	assert_false(exists(dir, "ctr.log.1"));
	assert_false(exists(dir, "ctr.log.3.gz"));
	g_autofree char *two = gunzip_file(dir, "ctr.log.2.gz");
	g_autofree char *one = gunzip_file(dir, "ctr.log.1.gz");
	assert_string_equal(two, "second\n");
	assert_string_equal(one, "third\n");

	/* The reader's list: the plain file where both are there. */
	g_autofree char *both = g_strdup_printf("%s.1", path);
	put(both, "third\n");
	g_auto(GStrv) list = NULL;
	assert_int_equal(ctl_logfiles_list(path, &list), 0);
	assert_int_equal(g_strv_length(list), 3);
	assert_true(g_str_has_suffix(list[0], "/ctr.log.2.gz"));
	assert_true(g_str_has_suffix(list[1], "/ctr.log.1"));
	assert_string_equal(list[2], path);

	/* And the files opened, decompressed, in order. */
	put(path, "fourth\n");
	g_autoptr(GArray) files = NULL;
	assert_int_equal(ctl_logfiles_open(path, NULL, &files), 0);
	assert_int_equal(files->len, 3);
	const char *want[] = {"second\n", "third\n", "fourth\n"};
	for (guint i = 0; i < files->len; i++) {
		g_autofree char *t = read_fd(g_array_index(files, struct ctl_logfile, i).fd);
		assert_string_equal(t, want[i]);
	}
	g_clear_pointer(&files, g_array_unref);

	log_compress_free(c);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(dir, name, NULL);
		unlink(p);
	}
	rmdir(dir);
}

/* A compressed file names an inode that a newer file may have now: the
 * reader that is at the newer one is not sent back to the older. */
static void test_reused_inode(void **state)
{
	g_autofree char *dir = testutil_tmpdir();
	g_autofree char *path = g_build_filename(dir, "ctr.log", NULL);
	g_autofree char *p2 = g_strdup_printf("%s.2", path);
	g_autofree char *p3 = g_strdup_printf("%s.3.gz", path);
	put(path, "live\n");
	put(p2, "older\n");
	int live = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	assert_int_equal(fstat(live, &st), 0);
	/* PATH.3.gz, as if its plain file had had the live one's inode. */
	int in = open(p2, O_RDONLY | O_CLOEXEC);
	int out = open(p3, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_int_equal(log_compress_fd(in, out, st.st_dev, st.st_ino), 0);
	close(in);
	close(out);
	struct ctl_logfile after = {.fd = live, .dev = st.st_dev, .ino = st.st_ino};
	g_autoptr(GArray) files = NULL;
	assert_int_equal(ctl_logfiles_open(path, &after, &files), 0);
	assert_int_equal(files->len, 0);
	g_clear_pointer(&files, g_array_unref);
	close(live);
	unlink(path);
	unlink(p2);
	unlink(p3);
	rmdir(dir);
}

/* At exit the shim waits for the child, then compresses what is left. */
static void test_finish(void **state)
{
	g_autofree char *dir = testutil_tmpdir();
	g_autofree char *path = g_build_filename(dir, "ctr.log", NULL);
	struct log_compress *c = log_compress_new(path, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(log_compress_shift(c), 0);
		g_autofree char *p1 = g_strdup_printf("%s.1", path);
		g_autofree char *t = g_strdup_printf("file %d\n", i);
		put(p1, t);
		log_compress_rotated(c);
	}
	log_compress_finish(c, 10000);
	for (int i = 1; i <= 3; i++) {
		g_autofree char *gz = g_strdup_printf("ctr.log.%d.gz", i);
		g_autofree char *plain = g_strdup_printf("ctr.log.%d", i);
		assert_true(exists(dir, gz));
		assert_false(exists(dir, plain));
		g_autofree char *t = gunzip_file(dir, gz);
		g_autofree char *want = g_strdup_printf("file %d\n", 3 - i);
		assert_string_equal(t, want);
	}
	log_compress_free(c);
	for (int i = 1; i <= 3; i++) {
		g_autofree char *gz = g_strdup_printf("%s.%d.gz", path, i);
		unlink(gz);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, testutil_fd_setup,
						testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_rotation, testutil_fd_setup,
						testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_reused_inode, testutil_fd_setup,
						testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_finish, testutil_fd_setup, testutil_fd_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
