/* top: the container's processes, from the runtime's ps --format json. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_runtime.h"
#include "tether/ctl_exec_spec.h"
#include "tether/jsonutil.h"

#include <stdio.h>

/* /proc/PID/cmdline with spaces for NULs; "" for a kernel thread or a
 * process already gone. */
static char *cmdline(long long pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%lld/cmdline", pid);
	char *text = NULL;
	gsize len = 0;
	if (!g_file_get_contents(path, &text, &len, NULL))
		return g_strdup("");
	for (gsize i = 0; i + 1 < len; i++)
		if (text[i] == '\0')
			text[i] = ' ';
	return text;
}

int ctl_top_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	const GOptionEntry entries[] = {G_OPTION_ENTRY_NULL};
	bool help;
	if (!ctl_parse_options("top", "ID", "List the processes of a running container.", entries,
			       false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (!ctl_one_id("top", argc, error))
		return -1;
	g_autofree char *cdir = ctl_lookup_container(ctx, argv[1], error);
	if (cdir == NULL)
		return -1;
	const char *args[] = {"ps", "--format", "json", argv[1], NULL};
	g_autofree char *out = NULL;
	if (!ctl_runtime_run(ctx, args, &out, error))
		return -1;
	g_autoptr(json_object) pids = json_tokener_parse(out);
	if (pids == NULL || !json_object_is_type(pids, json_type_array)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_RUNTIME,
			    "the runtime's ps output does not parse");
		return -1;
	}
	printf("%-10s %s\n", "PID", "COMMAND");
	for (size_t i = 0; i < json_object_array_length(pids); i++) {
		long long pid = json_object_get_int64(json_object_array_get_idx(pids, i));
		g_autofree char *cmd = cmdline(pid);
		printf("%-10lld %s\n", pid, cmd);
	}
	return 0;
}
