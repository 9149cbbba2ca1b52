/* ctl_fs: directory helpers for the state tree. -errno, never log. */
#ifndef TETHER_CTL_FS_H
#define TETHER_CTL_FS_H

#include <sys/types.h>

/* mkdir -p with mode for the directories it creates. */
int ctl_fs_mkdir_p(const char *path, mode_t mode);

/* rm -rf that never follows a symlink out of path: symlinks are unlinked,
 * and directories are opened O_NOFOLLOW relative to their parent. A missing
 * path is success. */
int ctl_fs_rm_rf(const char *path);

#endif
