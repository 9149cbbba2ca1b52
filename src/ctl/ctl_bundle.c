/* The container directory's own config.json, made from the user's bundle. */
#include "tether/ctl_bundle.h"
#include "tether/ctl.h"
#include "tether/fileio.h"
#include "tether/jsonutil.h"

#include <errno.h>
#include <string.h>

static char *absolute_against(const char *path, const char *base)
{
	return g_canonicalize_filename(path, base);
}

static bool mount_is_bind(json_object *mnt)
{
	json_object *type = NULL, *opts = NULL;
	if (json_object_object_get_ex(mnt, "type", &type) &&
	    g_strcmp0(json_object_get_string(type), "bind") == 0)
		return true;
	if (!json_object_object_get_ex(mnt, "options", &opts) ||
	    !json_object_is_type(opts, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(opts); i++) {
		const char *o = json_object_get_string(json_object_array_get_idx(opts, i));
		if (g_strcmp0(o, "bind") == 0 || g_strcmp0(o, "rbind") == 0)
			return true;
	}
	return false;
}

/* The runtime resolves a bind mount's relative source against the bundle,
 * which is about to become our container directory. */
static void absolutize_mounts(json_object *config, const char *bundle_dir)
{
	json_object *mounts = NULL;
	if (!json_object_object_get_ex(config, "mounts", &mounts) ||
	    !json_object_is_type(mounts, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		json_object *mnt = json_object_array_get_idx(mounts, i), *src = NULL;
		if (!json_object_is_type(mnt, json_type_object) || !mount_is_bind(mnt) ||
		    !json_object_object_get_ex(mnt, "source", &src) ||
		    !json_object_is_type(src, json_type_string))
			continue;
		const char *s = json_object_get_string(src);
		if (g_path_is_absolute(s))
			continue;
		g_autofree char *abs = absolute_against(s, bundle_dir);
		json_object_object_add(mnt, "source", json_object_new_string(abs));
	}
}

bool ctl_bundle_rewrite(json_object *config, const char *bundle_dir, char *const *args,
			GError **error)
{
	if (!json_object_is_type(config, json_type_object)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "config.json is not a JSON object");
		return false;
	}
	json_object *root = NULL, *path = NULL;
	if (!json_object_object_get_ex(config, "root", &root) ||
	    !json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "path", &path) ||
	    !json_object_is_type(path, json_type_string) || *json_object_get_string(path) == '\0') {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "config.json has no root.path");
		return false;
	}
	g_autofree char *abs = absolute_against(json_object_get_string(path), bundle_dir);
	if (!g_file_test(abs, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "root.path '%s' is not a directory",
			    abs);
		return false;
	}
	json_object_object_add(root, "path", json_object_new_string(abs));
	absolutize_mounts(config, bundle_dir);

	if (args == NULL || args[0] == NULL)
		return true;
	json_object *process = NULL;
	if (!json_object_object_get_ex(config, "process", &process) ||
	    !json_object_is_type(process, json_type_object)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "config.json has no process");
		return false;
	}
	json_object *jargs = json_object_new_array();
	for (char *const *a = args; *a; a++)
		json_object_array_add(jargs, json_object_new_string(*a));
	json_object_object_add(process, "args", jargs);
	return true;
}

bool ctl_bundle_set_terminal(json_object *config, bool terminal, GError **error)
{
	json_object *process = NULL;
	if (!json_object_object_get_ex(config, "process", &process) ||
	    !json_object_is_type(process, json_type_object)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "config.json has no process");
		return false;
	}
	json_object_object_add(process, "terminal", json_object_new_boolean(terminal));
	return true;
}

bool ctl_bundle_copy_config(const char *bundle_dir, const char *dest_dir, char *const *args,
			    bool terminal, const struct ctl_service *svc, GError **error)
{
	g_autofree char *bundle = g_canonicalize_filename(bundle_dir, NULL);
	g_autofree char *src = g_build_filename(bundle, "config.json", NULL);
	g_autofree char *text = NULL;
	size_t len = 0;
	int r = fileio_read_small(src, CTL_CONFIG_MAX, &text, &len);
	if (r < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "cannot read %s: %s", src,
			    g_strerror(-r));
		return false;
	}
	g_autoptr(json_tokener) tok = json_tokener_new();
	g_autoptr(json_object) config = json_tokener_parse_ex(tok, text, (int)len);
	if (config == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "cannot parse %s: %s", src,
			    json_tokener_error_desc(json_tokener_get_error(tok)));
		return false;
	}
	if (!ctl_bundle_rewrite(config, bundle, args, error) ||
	    !ctl_bundle_set_terminal(config, terminal, error) ||
	    !ctl_service_prepare_config(svc, dest_dir, config, error)) {
		g_prefix_error(error, "%s: ", src);
		return false;
	}
	g_autofree char *dest = g_build_filename(dest_dir, "config.json", NULL);
	const char *out = json_object_to_json_string_ext(
		config, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	r = fileio_write_atomic(dest, out, strlen(out), 0600);
	if (r < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot write %s: %s", dest,
			    g_strerror(-r));
		return false;
	}
	return true;
}
