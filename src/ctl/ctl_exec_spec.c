/* The process spec of an exec session. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl_exec_spec.h"
#include "tether/ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t key_len(const char *kv)
{
	const char *eq = strchr(kv, '=');
	return eq ? (size_t)(eq - kv) : strlen(kv);
}

char **ctl_exec_env_merge(char *const *base, char *const *overrides)
{
	GPtrArray *a = g_ptr_array_new();
	for (char *const *e = base; e && *e; e++)
		g_ptr_array_add(a, g_strdup(*e));
	for (char *const *o = overrides; o && *o; o++) {
		size_t klen = key_len(*o);
		if (klen == 0)
			continue;
		char *kv;
		if ((*o)[klen] == '=') {
			kv = g_strdup(*o);
		} else {
			const char *v = g_getenv(*o);
			if (v == NULL)
				continue;
			kv = g_strdup_printf("%s=%s", *o, v);
		}
		guint i = 0;
		for (; i < a->len; i++) {
			const char *cur = g_ptr_array_index(a, i);
			if (key_len(cur) == klen && strncmp(cur, kv, klen) == 0)
				break;
		}
		if (i < a->len) {
			g_free(a->pdata[i]);
			a->pdata[i] = kv;
		} else {
			g_ptr_array_add(a, kv);
		}
	}
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

static bool parse_id(const char *s, unsigned *ret)
{
	if (s == NULL || *s == '\0' || !g_ascii_isdigit(*s))
		return false;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > G_MAXUINT32 - 1)
		return false;
	*ret = (unsigned)v;
	return true;
}

/* Field 2 (the id) and field 3 (passwd's gid) of the line whose field 0 is
 * name (or whose id is the number, when name is NULL). */
static int lookup(const char *rootfs, const char *file, const char *name, unsigned num,
		  unsigned *ret_id, unsigned *ret_gid)
{
	if (rootfs == NULL)
		return -ENOENT;
	g_autofree char *path = g_build_filename(rootfs, "etc", file, NULL);
	g_autofree char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -ENOENT;
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		g_auto(GStrv) f = g_strsplit(*l, ":", -1);
		if (g_strv_length(f) < 3)
			continue;
		unsigned id, gid = 0;
		if (!parse_id(f[2], &id))
			continue;
		if (name ? strcmp(f[0], name) != 0 : id != num)
			continue;
		if (f[3] != NULL && !parse_id(f[3], &gid))
			gid = 0;
		*ret_id = id;
		if (ret_gid)
			*ret_gid = gid;
		return 0;
	}
	return -ENOENT;
}

int ctl_exec_parse_user(const char *spec, const char *rootfs, uid_t *ret_uid, gid_t *ret_gid)
{
	if (spec == NULL || *spec == '\0')
		return -EINVAL;
	g_autofree char *user = g_strdup(spec);
	char *group = strchr(user, ':');
	if (group != NULL) {
		*group++ = '\0';
		if (*group == '\0' || *user == '\0')
			return -EINVAL;
	}
	unsigned uid, gid = 0, pw_gid = 0;
	if (parse_id(user, &uid)) {
		if (lookup(rootfs, "passwd", NULL, uid, &uid, &pw_gid) < 0)
			pw_gid = 0;
	} else if (lookup(rootfs, "passwd", user, 0, &uid, &pw_gid) < 0) {
		return -ENOENT;
	}
	if (group == NULL)
		gid = pw_gid;
	else if (!parse_id(group, &gid) && lookup(rootfs, "group", group, 0, &gid, NULL) < 0)
		return -ENOENT;
	*ret_uid = (uid_t)uid;
	*ret_gid = (gid_t)gid;
	return 0;
}

static char **json_strv(json_object *arr)
{
	if (arr == NULL || !json_object_is_type(arr, json_type_array))
		return NULL;
	size_t n = json_object_array_length(arr);
	char **v = g_new0(char *, n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		if (json_object_is_type(e, json_type_string))
			v[k++] = g_strdup(json_object_get_string(e));
	}
	return v;
}

static json_object *strv_json(char *const *v)
{
	json_object *arr = json_object_new_array();
	for (char *const *e = v; e && *e; e++)
		json_object_array_add(arr, json_object_new_string(*e));
	return arr;
}

json_object *ctl_exec_spec_build(json_object *config, const char *rootfs,
				 const struct ctl_exec_spec_opts *opts, GError **error)
{
	json_object *cproc = NULL;
	if (config != NULL)
		json_object_object_get_ex(config, "process", &cproc);
	json_object *p = NULL;
	if (cproc != NULL && json_object_is_type(cproc, json_type_object) &&
	    json_object_deep_copy(cproc, &p, NULL) == 0) {
		/* The console size is the container's; ours comes by resize. */
		json_object_object_del(p, "consoleSize");
	} else {
		p = json_object_new_object();
	}

	json_object_object_add(p, "args", strv_json(opts->args));
	json_object *env = NULL;
	json_object_object_get_ex(p, "env", &env);
	g_auto(GStrv) base = json_strv(env);
	g_auto(GStrv) merged = ctl_exec_env_merge(base, opts->env);
	json_object_object_add(p, "env", strv_json(merged));

	json_object *cwd = NULL;
	if (opts->cwd != NULL) {
		if (opts->cwd[0] != '/') {
			g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE,
				    "working directory '%s' is not absolute", opts->cwd);
			json_object_put(p);
			return NULL;
		}
		json_object_object_add(p, "cwd", json_object_new_string(opts->cwd));
	} else if (!json_object_object_get_ex(p, "cwd", &cwd) ||
		   !json_object_is_type(cwd, json_type_string)) {
		json_object_object_add(p, "cwd", json_object_new_string("/"));
	}

	if (opts->user != NULL) {
		uid_t uid;
		gid_t gid;
		int r = ctl_exec_parse_user(opts->user, rootfs, &uid, &gid);
		if (r < 0) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "%s user '%s'",
				    r == -ENOENT ? "unknown" : "invalid", opts->user);
			json_object_put(p);
			return NULL;
		}
		json_object *u = json_object_new_object();
		json_object_object_add(u, "uid", json_object_new_int64(uid));
		json_object_object_add(u, "gid", json_object_new_int64(gid));
		json_object_object_add(p, "user", u);
	} else if (!json_object_object_get_ex(p, "user", NULL)) {
		json_object *u = json_object_new_object();
		json_object_object_add(u, "uid", json_object_new_int(0));
		json_object_object_add(u, "gid", json_object_new_int(0));
		json_object_object_add(p, "user", u);
	}
	json_object_object_add(p, "terminal", json_object_new_boolean(opts->terminal));
	return p;
}
