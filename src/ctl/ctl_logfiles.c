/* A log and its rotated files, opened in the order they were written. */
#include "tether/ctl_logfiles.h"
#include "tether/fdutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Opening again when a rotation got in between; a writer that rotates
 * faster than this many tries is read as it was on the last one. */
#define CTL_LOGFILES_TRIES 50

struct ctl_logfile ctl_logfile_steal(struct ctl_logfile *f)
{
	struct ctl_logfile out = *f;
	f->fd = -1;
	f->path = NULL;
	return out;
}

void ctl_logfile_clear(struct ctl_logfile *f)
{
	fdutil_close(&f->fd);
	g_clear_pointer(&f->path, g_free);
}

static void clear_elem(gpointer p)
{
	ctl_logfile_clear(p);
}

struct rotated {
	guint64 n;
	char *name;
};

static gint newest_last(gconstpointer a, gconstpointer b)
{
	guint64 x = ((const struct rotated *)a)->n, y = ((const struct rotated *)b)->n;
	return x > y ? -1 : x < y;
}

/* N in "BASE.N", or 0. */
static guint64 rotated_number(const char *name, const char *base)
{
	size_t blen = strlen(base);
	if (strncmp(name, base, blen) != 0 || name[blen] != '.')
		return 0;
	const char *digits = name + blen + 1;
	size_t n = strspn(digits, "0123456789");
	if (n == 0 || n > 9 || digits[n] != '\0' || digits[0] == '0')
		return 0;
	return g_ascii_strtoull(digits, NULL, 10);
}

int ctl_logfiles_list(const char *path, char ***ret_paths)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *base = g_path_get_basename(path);
	g_autoptr(GArray) found = g_array_new(FALSE, FALSE, sizeof(struct rotated));
	DIR *d = opendir(dir);
	if (d == NULL && errno != ENOENT)
		return -errno;
	int r = 0;
	if (d != NULL) {
		struct dirent *de;
		while ((errno = 0, de = readdir(d)) != NULL) {
			guint64 n = rotated_number(de->d_name, base);
			if (n > 0) {
				struct rotated rot = {n, g_build_filename(dir, de->d_name, NULL)};
				g_array_append_val(found, rot);
			}
		}
		r = -errno;
		closedir(d);
	}
	if (r < 0) {
		for (guint i = 0; i < found->len; i++)
			g_free(g_array_index(found, struct rotated, i).name);
		return r;
	}
	g_array_sort(found, newest_last);
	GPtrArray *paths = g_ptr_array_new();
	for (guint i = 0; i < found->len; i++)
		g_ptr_array_add(paths, g_array_index(found, struct rotated, i).name);
	g_ptr_array_add(paths, g_strdup(path));
	g_ptr_array_add(paths, NULL);
	*ret_paths = (char **)g_ptr_array_free(paths, FALSE);
	return 0;
}

static int open_existing(char **paths, GArray *files)
{
	for (char **p = paths; *p != NULL; p++) {
		struct ctl_logfile f = {
			.fd = open(*p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW)};
		if (f.fd < 0 && errno == ENOENT)
			continue;
		if (f.fd < 0)
			return -errno;
		struct stat st;
		if (fstat(f.fd, &st) < 0) {
			int r = -errno;
			close(f.fd);
			return r;
		}
		f.dev = st.st_dev;
		f.ino = st.st_ino;
		f.path = g_strdup(*p);
		g_array_append_val(files, f);
	}
	return 0;
}

/* Do the names still lead to the files opened? Then no rotation happened
 * while they were opened one by one. */
static bool unchanged(const char *path, GArray *files)
{
	g_auto(GStrv) paths = NULL;
	if (ctl_logfiles_list(path, &paths) < 0)
		return false;
	guint j = 0;
	for (char **p = paths; *p != NULL; p++) {
		struct stat st;
		if (stat(*p, &st) < 0)
			continue;
		if (j >= files->len)
			return false;
		const struct ctl_logfile *f = &g_array_index(files, struct ctl_logfile, j++);
		if (strcmp(f->path, *p) != 0 || f->dev != st.st_dev || f->ino != st.st_ino)
			return false;
	}
	return j == files->len;
}

int ctl_logfiles_open(const char *path, const struct ctl_logfile *after, GArray **ret_files)
{
	g_autoptr(GArray) files = NULL;
	for (int tries = 1;; tries++) {
		g_auto(GStrv) paths = NULL;
		int r = ctl_logfiles_list(path, &paths);
		if (r < 0)
			return r;
		g_clear_pointer(&files, g_array_unref);
		files = g_array_new(FALSE, FALSE, sizeof(struct ctl_logfile));
		g_array_set_clear_func(files, clear_elem);
		r = open_existing(paths, files);
		if (r < 0)
			return r;
		if (tries == CTL_LOGFILES_TRIES || unchanged(path, files))
			break;
	}
	for (guint i = 0; after != NULL && i < files->len; i++) {
		const struct ctl_logfile *f = &g_array_index(files, struct ctl_logfile, i);
		if (f->dev == after->dev && f->ino == after->ino) {
			g_array_remove_range(files, 0, i + 1);
			break;
		}
	}
	*ret_files = g_steal_pointer(&files);
	return 0;
}

int ctl_logfiles_replaced(const char *path, const struct ctl_logfile *f)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return f == NULL || st.st_dev != f->dev || st.st_ino != f->ino;
}
