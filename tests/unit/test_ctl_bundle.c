/* Unit tests: the container directory's config.json from a user's bundle. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "tether/ctl.h"
#include "tether/ctl_bundle.h"
#include "tether/ctl_fs.h"
#include "tether/jsonutil.h"

struct fixture {
	int fds;
	char *dir;
	char *bundle;
	char *dest;
};

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	f->fds = testutil_count_fds();
	f->dir = g_dir_make_tmp("test_ctl_bundle.XXXXXX", NULL);
	f->bundle = g_build_filename(f->dir, "bundle", NULL);
	f->dest = g_build_filename(f->dir, "dest", NULL);
	g_autofree char *rootfs = g_build_filename(f->bundle, "rootfs", NULL);
	assert_int_equal(ctl_fs_mkdir_p(rootfs, 0755), 0);
	assert_int_equal(ctl_fs_mkdir_p(f->dest, 0700), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ctl_fs_rm_rf(f->dir), 0);
	assert_int_equal(testutil_count_fds(), f->fds);
	g_free(f->dir);
	g_free(f->bundle);
	g_free(f->dest);
	g_free(f);
	return 0;
}

static void write_config(struct fixture *f, const char *text)
{
	g_autofree char *path = g_build_filename(f->bundle, "config.json", NULL);
	assert_true(g_file_set_contents(path, text, -1, NULL));
}

static json_object *read_dest(struct fixture *f)
{
	g_autofree char *path = g_build_filename(f->dest, "config.json", NULL);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	g_autofree char *text = NULL;
	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	json_object *obj = json_tokener_parse(text);
	assert_non_null(obj);
	return obj;
}

static const char *get_path(json_object *obj, const char *a, const char *b)
{
	json_object *x = NULL, *y = NULL;
	assert_true(json_object_object_get_ex(obj, a, &x));
	assert_true(json_object_object_get_ex(x, b, &y));
	return json_object_get_string(y);
}

static const char CONFIG[] =
	"{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"},"
	" \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
	" \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
	"  {\"destination\": \"/data\", \"type\": \"none\", \"source\": \"rootfs\","
	"   \"options\": [\"rbind\", \"ro\"]}],"
	" \"extra\": {\"kept\": [1, 2, 3]}}";

static void test_relative_root_and_args(void **state)
{
	struct fixture *f = *state;
	write_config(f, CONFIG);
	char *args[] = {"echo", "hello world", NULL};
	g_autoptr(GError) error = NULL;
	assert_true(ctl_bundle_copy_config(f->bundle, f->dest, args, false, NULL, &error));
	g_autoptr(json_object) cfg = read_dest(f);

	g_autofree char *rootfs = g_build_filename(f->bundle, "rootfs", NULL);
	assert_string_equal(get_path(cfg, "root", "path"), rootfs);
	json_object *process = NULL, *jargs = NULL, *mounts = NULL, *extra = NULL;
	assert_true(json_object_object_get_ex(cfg, "process", &process));
	assert_true(json_object_object_get_ex(process, "args", &jargs));
	assert_int_equal(json_object_array_length(jargs), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(jargs, 1)),
			    "hello world");
	assert_string_equal(get_path(cfg, "process", "cwd"), "/");
	/* proc's "source" is not a path; the bind mount's is. */
	assert_true(json_object_object_get_ex(cfg, "mounts", &mounts));
	json_object *src = NULL;
	json_object_object_get_ex(json_object_array_get_idx(mounts, 0), "source", &src);
	assert_string_equal(json_object_get_string(src), "proc");
	json_object_object_get_ex(json_object_array_get_idx(mounts, 1), "source", &src);
	assert_string_equal(json_object_get_string(src), rootfs);
	assert_true(json_object_object_get_ex(cfg, "extra", &extra));
}

static void test_absolute_root_kept_args_kept(void **state)
{
	struct fixture *f = *state;
	g_autofree char *rootfs = g_build_filename(f->bundle, "rootfs", NULL);
	g_autofree char *text = g_strdup_printf(
		"{\"process\": {\"args\": [\"top\"]}, \"root\": {\"path\": \"%s\"}}", rootfs);
	write_config(f, text);
	g_autoptr(GError) error = NULL;
	/* A relative bundle path is taken against the current directory. */
	g_autofree char *cwd = g_get_current_dir();
	assert_int_equal(chdir(f->dir), 0);
	assert_true(ctl_bundle_copy_config("bundle", f->dest, NULL, false, NULL, &error));
	assert_int_equal(chdir(cwd), 0);
	g_autoptr(json_object) cfg = read_dest(f);
	assert_string_equal(get_path(cfg, "root", "path"), rootfs);
	json_object *process = NULL, *jargs = NULL;
	json_object_object_get_ex(cfg, "process", &process);
	json_object_object_get_ex(process, "args", &jargs);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(jargs, 0)), "top");
}

static void expect_failure(struct fixture *f, const char *text, const char *needle)
{
	if (text != NULL)
		write_config(f, text);
	g_autoptr(GError) error = NULL;
	assert_false(ctl_bundle_copy_config(f->bundle, f->dest, NULL, false, NULL, &error));
	assert_non_null(error);
	if (strstr(error->message, needle) == NULL)
		fail_msg("'%s' not in '%s'", needle, error->message);
	g_autofree char *path = g_build_filename(f->dest, "config.json", NULL);
	assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
}

static void test_bad_bundles(void **state)
{
	struct fixture *f = *state;
	expect_failure(f, NULL, "cannot read");
	expect_failure(f, "{\"root\": ", "cannot parse");
	expect_failure(f, "[1, 2]", "not a JSON object");
	expect_failure(f, "{\"process\": {}}", "no root.path");
	expect_failure(f, "{\"root\": {\"path\": 7}}", "no root.path");
	expect_failure(f, "{\"root\": {\"path\": \"missing\"}}", "not a directory");

	/* Replacing args needs a process object. */
	write_config(f, "{\"root\": {\"path\": \"rootfs\"}}");
	char *args[] = {"ls", NULL};
	g_autoptr(GError) error = NULL;
	assert_false(ctl_bundle_copy_config(f->bundle, f->dest, args, false, NULL, &error));
	assert_non_null(strstr(error->message, "no process"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_relative_root_and_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absolute_root_kept_args_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_bundles, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
