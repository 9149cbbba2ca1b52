/* tetherctl's shared context and helpers. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

GQuark ctl_error_quark(void)
{
	return g_quark_from_static_string("tether-ctl-error-quark");
}

/* The shim's --log-level for each of our levels. */
static const char *const shim_level_names[] = {
	[DIAG_ERROR] = "error", [DIAG_WARNING] = "warn", [DIAG_INFO] = "info",
	[DIAG_DEBUG] = "debug", [DIAG_TRACE] = "trace",
};

static char *resolve_program(const char *name)
{
	if (strchr(name, '/') == NULL)
		return g_find_program_in_path(name);
	g_autofree char *abs = g_canonicalize_filename(name, NULL);
	if (!g_file_test(abs, G_FILE_TEST_IS_EXECUTABLE) || g_file_test(abs, G_FILE_TEST_IS_DIR))
		return NULL;
	return g_steal_pointer(&abs);
}

/* "tether" next to our own executable, so a build tree and an installed
 * pair both find their own shim. */
static char *default_shim(void)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	if (self != NULL) {
		g_autofree char *dir = g_path_get_dirname(self);
		g_autofree char *cand = g_build_filename(dir, "tether", NULL);
		if (g_file_test(cand, G_FILE_TEST_IS_EXECUTABLE) &&
		    !g_file_test(cand, G_FILE_TEST_IS_DIR))
			return g_steal_pointer(&cand);
	}
	return g_find_program_in_path("tether");
}

int ctl_context_init(struct ctl_context *ctx, const char *root, const char *runtime,
		     const char *shim, const char *log_level, GError **error)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->level = DIAG_WARNING;
	if (log_level != NULL && diag_parse_level(log_level, &ctx->level) < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "unknown log level '%s'", log_level);
		return -EINVAL;
	}
	ctx->log_level = shim_level_names[ctx->level];

	if (root == NULL || *root == '\0')
		root = g_getenv("TETHER_ROOT");
	if (root == NULL || *root == '\0')
		root = CTL_DEFAULT_ROOT;
	ctx->root = g_canonicalize_filename(root, NULL);

	ctx->runtime_name = g_strdup(runtime != NULL ? runtime : "runc");
	ctx->runtime = resolve_program(ctx->runtime_name);
	ctx->shim = shim != NULL ? resolve_program(shim) : default_shim();
	if (shim != NULL && ctx->shim == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "shim '%s' not found", shim);
		ctl_context_clear(ctx);
		return -ENOENT;
	}
	return 0;
}

void ctl_context_clear(struct ctl_context *ctx)
{
	g_clear_pointer(&ctx->root, g_free);
	g_clear_pointer(&ctx->runtime, g_free);
	g_clear_pointer(&ctx->runtime_name, g_free);
	g_clear_pointer(&ctx->shim, g_free);
}

bool ctl_id_valid(const char *id)
{
	if (id == NULL || *id == '\0' || *id == '.')
		return false;
	size_t n = 0;
	for (const char *p = id; *p; p++, n++) {
		if (n >= CTL_ID_MAX)
			return false;
		if (!g_ascii_isalnum(*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	}
	return true;
}

bool ctl_check_id(const char *id, GError **error)
{
	if (ctl_id_valid(id))
		return true;
	g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE,
		    "invalid container id '%s': use 1 to %d characters of [A-Za-z0-9_.-], not "
		    "starting with '.'",
		    id ? id : "", CTL_ID_MAX);
	return false;
}

char *ctl_containers_dir(const struct ctl_context *ctx)
{
	return g_build_filename(ctx->root, "containers", NULL);
}

char *ctl_container_dir(const struct ctl_context *ctx, const char *id)
{
	return g_build_filename(ctx->root, "containers", id, NULL);
}

char *ctl_runtime_root(const struct ctl_context *ctx)
{
	return g_build_filename(ctx->root, "runtime", NULL);
}

char *ctl_lookup_container(const struct ctl_context *ctx, const char *id, GError **error)
{
	if (!ctl_check_id(id, error))
		return NULL;
	g_autofree char *cdir = ctl_container_dir(ctx, id);
	struct stat st;
	if (lstat(cdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_NOT_FOUND, "no such container: %s", id);
		return NULL;
	}
	return g_steal_pointer(&cdir);
}

bool ctl_parse_options(const char *verb, const char *params, const char *summary,
		       const GOptionEntry *entries, bool posix, int *argc, char ***argv,
		       bool *ret_help, GError **error)
{
	gboolean help = FALSE;
	const GOptionEntry help_entries[] = {
		{"help", 'h', 0, G_OPTION_ARG_NONE, &help, "Show this help", NULL},
		G_OPTION_ENTRY_NULL,
	};
	g_autoptr(GOptionContext) oc = g_option_context_new(params);
	/* GLib's own --help calls exit(); ours returns to main. */
	g_option_context_set_help_enabled(oc, FALSE);
	g_option_context_set_summary(oc, summary);
	g_option_context_set_strict_posix(oc, posix);
	if (entries != NULL)
		g_option_context_add_main_entries(oc, entries, NULL);
	g_option_context_add_main_entries(oc, help_entries, NULL);

	*ret_help = false;
	if (!g_option_context_parse(oc, argc, argv, error)) {
		g_prefix_error(error, "%s: ", verb);
		return false;
	}
	if (help) {
		g_autofree char *text = g_option_context_get_help(oc, TRUE, NULL);
		fputs(text, stdout);
		*ret_help = true;
	}
	return true;
}

char **ctl_command_args(int argc, char **argv, int first)
{
	if (first < argc && strcmp(argv[first], "--") == 0)
		first++;
	return first < argc ? argv + first : NULL;
}

bool ctl_one_id(const char *verb, int argc, GError **error)
{
	if (argc == 2)
		return true;
	g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "%s: %s", verb,
		    argc < 2 ? "missing container id" : "one container id only");
	return false;
}

bool ctl_usage_error(GError **error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, CTL_ERROR, CTL_ERROR_USAGE, msg);
	return false;
}

static gint compare_ids(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The container ids in ROOT/containers, sorted; a missing root has none. */
GPtrArray *ctl_list_ids(const struct ctl_context *ctx, GError **error)
{
	g_autofree char *dir = ctl_containers_dir(ctx);
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	DIR *d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT)
			return ids;
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot read %s: %s", dir,
			    g_strerror(errno));
		g_ptr_array_free(ids, TRUE);
		return NULL;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (de->d_type == DT_DIR && ctl_id_valid(de->d_name))
			g_ptr_array_add(ids, g_strdup(de->d_name));
	closedir(d);
	g_ptr_array_sort(ids, compare_ids);
	return ids;
}
