#define G_LOG_DOMAIN "logs"

/* A log and its rotated files, opened in the order they were written. */
#include "tether/ctl_logfiles.h"
#include "tether/diag.h"
#include "tether/fdutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

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
	bool gz;
	char *name;
};

/* Highest N first; of the same N, the plain file first. */
static gint newest_last(gconstpointer a, gconstpointer b)
{
	const struct rotated *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return (int)x->gz - (int)y->gz;
}

/* N in "BASE.N" or "BASE.N.gz" (then *ret_gz), or 0. */
static guint64 rotated_number(const char *name, const char *base, bool *ret_gz)
{
	size_t blen = strlen(base);
	if (strncmp(name, base, blen) != 0 || name[blen] != '.')
		return 0;
	const char *digits = name + blen + 1;
	size_t n = strspn(digits, "0123456789");
	*ret_gz = strcmp(digits + n, ".gz") == 0;
	if (n == 0 || n > 9 || (digits[n] != '\0' && !*ret_gz) || digits[0] == '0')
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
			bool gz = false;
			guint64 n = rotated_number(de->d_name, base, &gz);
			if (n > 0) {
				struct rotated rot = {n, gz,
						      g_build_filename(dir, de->d_name, NULL)};
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
	for (guint i = 0; i < found->len; i++) {
		struct rotated *rot = &g_array_index(found, struct rotated, i);
		/* PATH.N.gz beside PATH.N: the same records. */
		if (i > 0 && rot->gz && g_array_index(found, struct rotated, i - 1).n == rot->n)
			g_free(rot->name);
		else
			g_ptr_array_add(paths, rot->name);
	}
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
		f.dev = f.file_dev = st.st_dev;
		f.ino = f.file_ino = st.st_ino;
		if (g_str_has_suffix(*p, ".gz")) {
			int memfd = -1;
			int r = ctl_logfiles_gunzip(f.fd, &memfd, &f.dev, &f.ino);
			close(f.fd);
			/* The caller's error says what failed; this says where. */
			if (r == -EBADMSG)
				diag_error("%s is not a whole gzip file (damaged or cut short): "
					   "its records cannot be read",
					   *p);
			if (r < 0)
				return r;
			f.fd = memfd;
		}
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
		if (strcmp(f->path, *p) != 0 || f->file_dev != st.st_dev ||
		    f->file_ino != st.st_ino)
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
	/* The newest match: a compressed file names the inode its records
	 * were in, and that number may have been given to a newer file since
	 * (never to one newer than after, which the caller holds open). */
	for (guint i = files->len; after != NULL && i > 0; i--) {
		const struct ctl_logfile *f = &g_array_index(files, struct ctl_logfile, i - 1);
		if (f->dev == after->dev && f->ino == after->ino) {
			g_array_remove_range(files, 0, i);
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

/* "tether-source=DEV:INO" (log_compress.h) */
static void parse_source(const char *comment, dev_t *ret_dev, ino_t *ret_ino)
{
	static const char key[] = "tether-source=";
	if (!g_str_has_prefix(comment, key))
		return;
	char *end = NULL;
	guint64 dev = g_ascii_strtoull(comment + strlen(key), &end, 10);
	if (end == NULL || *end != ':' || !g_ascii_isdigit(end[1]))
		return;
	guint64 ino = g_ascii_strtoull(end + 1, &end, 10);
	if (*end != '\0')
		return;
	*ret_dev = (dev_t)dev;
	*ret_ino = (ino_t)ino;
}

#define GUNZIP_CHUNK (64 * 1024)

int ctl_logfiles_gunzip(int fd, int *ret_memfd, dev_t *ret_dev, ino_t *ret_ino)
{
	_cleanup_close_ int mfd = memfd_create("tetherctl-log", MFD_CLOEXEC);
	if (mfd < 0)
		return -errno;
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return -ENOMEM;
	char comment[128] = "";
	gz_header hdr;
	memset(&hdr, 0, sizeof(hdr));
	hdr.comment = (Bytef *)comment;
	hdr.comm_max = sizeof(comment) - 1;
	(void)inflateGetHeader(&zs, &hdr);
	g_autofree unsigned char *in = g_malloc(GUNZIP_CHUNK);
	g_autofree unsigned char *out = g_malloc(GUNZIP_CHUNK);
	int r = 0, z = Z_OK;
	while (r == 0 && z != Z_STREAM_END) {
		ssize_t n = read(fd, in, GUNZIP_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* A file that ends before its stream does is damaged. */
			r = n < 0 ? -errno : -EBADMSG;
			break;
		}
		zs.next_in = in;
		zs.avail_in = (uInt)n;
		while (zs.avail_in > 0 && z != Z_STREAM_END) {
			zs.next_out = out;
			zs.avail_out = GUNZIP_CHUNK;
			z = inflate(&zs, Z_NO_FLUSH);
			if (z != Z_OK && z != Z_STREAM_END && z != Z_BUF_ERROR) {
				r = z == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
				break;
			}
			size_t have = GUNZIP_CHUNK - zs.avail_out;
			if (have > 0 && (r = fdutil_write_all(mfd, out, have)) < 0)
				break;
			if (z == Z_BUF_ERROR && have == 0)
				break;
		}
	}
	inflateEnd(&zs);
	if (r < 0)
		return r;
	if (lseek(mfd, 0, SEEK_SET) < 0)
		return -errno;
	if (hdr.done == 1)
		parse_source(comment, ret_dev, ret_ino);
	*ret_memfd = mfd;
	mfd = -1;
	return 0;
}
