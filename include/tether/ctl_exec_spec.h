/* ctl_exec_spec: the OCI process spec of an exec session, built from the
 * container's config.json (process.env, cwd, user and the rest of its
 * process: capabilities, rlimits, ...) and exec's options, as podman does. */
#ifndef TETHER_CTL_EXEC_SPEC_H
#define TETHER_CTL_EXEC_SPEC_H

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>
#include <json-c/json.h>

struct ctl_exec_spec_opts {
	char **args;	  /* the command; non-empty */
	char **env;	  /* -e K=V (or K: from our environment) overrides; may be NULL */
	const char *user; /* -u; NULL: the config's */
	const char *cwd;  /* -w; NULL: the config's, else "/" */
	bool terminal;
};

/* base (K=V strings, may be NULL) with overrides applied in order: a K=V
 * replaces the same K or is appended; a bare K takes our environment's
 * value, or is dropped when we have none. g_strfreev the result. */
char **ctl_exec_env_merge(char *const *base, char *const *overrides);

/* "UID", "UID:GID", "NAME", "NAME:GROUP", "UID:GROUP": names looked up in
 * the rootfs's etc/passwd and etc/group (rootfs may be NULL: numbers only).
 * Without a group, the user's passwd gid, else 0. 0, -EINVAL, -ENOENT. */
int ctl_exec_parse_user(const char *spec, const char *rootfs, uid_t *ret_uid, gid_t *ret_gid);

/* The process object for `runtime exec --process`; NULL and *error on a
 * bad -u or -w. config may be NULL. */
json_object *ctl_exec_spec_build(json_object *config, const char *rootfs,
				 const struct ctl_exec_spec_opts *opts, GError **error);

/* Exec sessions live in CDIR/exec/SESSION. */
#define CTL_EXEC_SUBDIR "exec"

#endif
