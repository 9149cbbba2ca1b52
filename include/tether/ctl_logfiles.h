/* ctl_logfiles: a log file and the files it was rotated into, opened in
 * the order they were written: PATH.N ... PATH.2, PATH.1, PATH.
 *
 * The shim rotates by renaming alone (PATH.N-1 -> PATH.N, ..., PATH ->
 * PATH.1, a new PATH), or, without --log-rotate, puts a new file at PATH.
 * An open file keeps its content whatever its name becomes, so a reader
 * opens a consistent set of files (no rotation between the opens), and
 * when PATH becomes another file, opens the files written after its own.
 *
 * With --log-compress a rotated file becomes PATH.N.gz (log_compress.h):
 * it is read decompressed (into a memfd), and it keeps the identity of the
 * plain file it came from, named in its gzip header, so that a reader who
 * was at that file knows it. Where PATH.N and PATH.N.gz are both there (the
 * shim between its rename and its unlink), they hold the same records and
 * PATH.N is read. Returns -errno and never logs. */
#ifndef TETHER_CTL_LOGFILES_H
#define TETHER_CTL_LOGFILES_H

#include <glib.h>
#include <sys/types.h>

struct ctl_logfile {
	int fd; /* -1 once taken */
	dev_t dev;
	ino_t ino; /* the records' file: for PATH.N.gz, the plain one's */
	dev_t file_dev;
	ino_t file_ino; /* the file at path itself */
	char *path;
};

/* Move f out (the caller then owns fd and path). */
struct ctl_logfile ctl_logfile_steal(struct ctl_logfile *f);
void ctl_logfile_clear(struct ctl_logfile *f);

/* The names PATH.N and PATH.N.gz (N a number) beside path, oldest (highest
 * N) first, then path itself, whether they exist or not (g_strfreev); of
 * PATH.N and PATH.N.gz only PATH.N. */
int ctl_logfiles_list(const char *path, char ***ret_paths);

/* Open the existing files of the list as one consistent set, oldest first,
 * in an array of struct ctl_logfile that closes them when freed. after (may
 * be NULL, else open): leave out the files up to and including this one
 * when it is among them (the newest with its identity: a compressed file's
 * inode number may have been reused since); when it is not, every file is
 * newer than it (or the log was started anew), and all are returned. */
int ctl_logfiles_open(const char *path, const struct ctl_logfile *after, GArray **ret_files);

/* 1 when a file other than f is at path now, 0 when f is, or nothing is
 * (the shim is between the rename and the new file). */
int ctl_logfiles_replaced(const char *path, const struct ctl_logfile *f);

/* Decompress the gzip file at fd into a new memfd, at offset 0; the
 * identity in its header (log_compress.h) in *ret_dev, *ret_ino if it has
 * one (else they are left alone). -EBADMSG for a damaged file. */
int ctl_logfiles_gunzip(int fd, int *ret_memfd, dev_t *ret_dev, ino_t *ret_ino);

#endif
