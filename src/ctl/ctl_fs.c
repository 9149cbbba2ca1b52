/* Directory helpers for the state tree. */
#include "tether/ctl_fs.h"
#include "tether/fdutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ctl_fs_mkdir_p(const char *path, mode_t mode)
{
	if (g_mkdir_with_parents(path, (int)mode) < 0)
		return -errno;
	return 0;
}

/* Empty the directory open at dfd (consumed). Never descends through a
 * symlink or into another file system (a mount inside is left alone and
 * its rmdir fails). */
static int rm_children(int dfd, dev_t dev)
{
	DIR *d = fdopendir(dfd);
	if (d == NULL) {
		int r = -errno;
		close(dfd);
		return r;
	}
	int r = 0;
	struct dirent *de;
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT && r == 0)
				r = -errno;
			continue;
		}
		int flags = 0;
		if (S_ISDIR(st.st_mode)) {
			flags = AT_REMOVEDIR;
			if (st.st_dev == dev) {
				int sub = openat(dirfd(d), de->d_name,
						 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				int k = sub < 0 ? -errno : rm_children(sub, dev);
				if (k < 0 && r == 0)
					r = k;
			}
		}
		if (unlinkat(dirfd(d), de->d_name, flags) < 0 && errno != ENOENT && r == 0)
			r = -errno;
	}
	if (errno != 0 && r == 0)
		r = -errno;
	closedir(d);
	return r;
}

int ctl_fs_rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	int r = rm_children(dfd, st.st_dev);
	if (rmdir(path) < 0 && errno != ENOENT)
		return r < 0 ? r : -errno;
	return r;
}
