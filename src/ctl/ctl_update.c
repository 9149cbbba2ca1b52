/* update: change a container's resource limits through the runtime. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_logcfg.h"
#include "tether/ctl_runtime.h"
#include "tether/ctl_exec_spec.h"

#include <errno.h>
#include <stdlib.h>

static bool check_int(const char *what, const char *text, bool allow_neg, GError **error)
{
	char *end;
	errno = 0;
	long long v = text ? strtoll(text, &end, 10) : 0;
	if (text == NULL || *text == '\0' || errno != 0 || *end != '\0' ||
	    (v < 0 && !(allow_neg && v == -1))) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "update: invalid %s '%s'", what,
			    text ? text : "");
		return false;
	}
	return true;
}

int ctl_update_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	g_autofree char *memory = NULL, *cpu_quota = NULL, *pids_limit = NULL;
	const GOptionEntry entries[] = {
		{"memory", 'm', 0, G_OPTION_ARG_STRING, &memory,
		 "Memory limit: bytes, or k, m, g (k = 1024)", "BYTES"},
		{"cpu-quota", 0, 0, G_OPTION_ARG_STRING, &cpu_quota,
		 "CPU CFS quota in microseconds per period (-1: none)", "N"},
		{"pids-limit", 0, 0, G_OPTION_ARG_STRING, &pids_limit,
		 "Most processes at once (-1: no limit)", "N"},
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("update", "ID", "Change a container's resource limits.", entries,
			       false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (!ctl_one_id("update", argc, error))
		return -1;
	if (memory == NULL && cpu_quota == NULL && pids_limit == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE,
			    "update: nothing to change (--memory, --cpu-quota, --pids-limit)");
		return -1;
	}
	g_autofree char *mem_bytes = NULL;
	if (memory != NULL) {
		int64_t bytes;
		if (ctl_logcfg_parse_size(memory, &bytes) < 0 || bytes <= 0) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE,
				    "update: invalid --memory '%s'", memory);
			return -1;
		}
		mem_bytes = g_strdup_printf("%" G_GINT64_FORMAT, bytes);
	}
	if ((cpu_quota && !check_int("--cpu-quota", cpu_quota, true, error)) ||
	    (pids_limit && !check_int("--pids-limit", pids_limit, true, error)))
		return -1;
	g_autofree char *cdir = ctl_lookup_container(ctx, argv[1], error);
	if (cdir == NULL)
		return -1;
	const char *args[9];
	size_t n = 0;
	args[n++] = "update";
	if (mem_bytes) {
		args[n++] = "--memory";
		args[n++] = mem_bytes;
	}
	if (cpu_quota) {
		args[n++] = "--cpu-quota";
		args[n++] = cpu_quota;
	}
	if (pids_limit) {
		args[n++] = "--pids-limit";
		args[n++] = pids_limit;
	}
	args[n++] = argv[1];
	args[n] = NULL;
	return ctl_runtime_run(ctx, args, NULL, error) ? 0 : -1;
}
