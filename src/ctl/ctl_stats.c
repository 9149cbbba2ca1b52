/* stats: memory, CPU and pids of a running container, from the runtime's
 * events --stats (one JSON object). */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_runtime.h"
#include "tether/ctl_exec_spec.h"
#include "tether/jsonutil.h"

#include <stdio.h>
#include <string.h>

/* data.a.b.c as an integer; 0 when absent. */
static long long get(json_object *o, const char *a, const char *b, const char *c)
{
	const char *keys[] = {a, b, c};
	for (size_t i = 0; i < G_N_ELEMENTS(keys) && keys[i]; i++)
		if (!json_object_object_get_ex(o, keys[i], &o))
			return 0;
	return json_object_get_int64(o);
}

int ctl_stats_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	g_autofree char *format = NULL;
	const GOptionEntry entries[] = {
		{"format", 0, 0, G_OPTION_ARG_STRING, &format, "table (default) or json", "FORMAT"},
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("stats", "ID",
			       "Print a running container's memory usage and limit, CPU time "
			       "and number of processes.",
			       entries, false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (!ctl_one_id("stats", argc, error))
		return -1;
	bool json = format != NULL && strcmp(format, "json") == 0;
	if (format != NULL && !json && strcmp(format, "table") != 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "stats: unknown --format '%s'",
			    format);
		return -1;
	}
	g_autofree char *cdir = ctl_lookup_container(ctx, argv[1], error);
	if (cdir == NULL)
		return -1;
	const char *args[] = {"events", "--stats", argv[1], NULL};
	g_autofree char *out = NULL;
	if (!ctl_runtime_run(ctx, args, &out, error))
		return -1;
	g_autoptr(json_object) ev = json_tokener_parse(out);
	json_object *data = NULL;
	if (ev == NULL || !json_object_object_get_ex(ev, "data", &data)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_RUNTIME,
			    "the runtime's events --stats output does not parse");
		return -1;
	}
	long long mem = get(data, "memory", "usage", "usage");
	long long mem_limit = get(data, "memory", "usage", "limit");
	long long cpu = get(data, "cpu", "usage", "total");
	long long pids = get(data, "pids", "current", NULL);
	long long pids_limit = get(data, "pids", "limit", NULL);
	if (json) {
		printf("{\"id\": \"%s\", \"memory_usage\": %lld, \"memory_limit\": %lld, "
		       "\"cpu_total_ns\": %lld, \"pids_current\": %lld, \"pids_limit\": %lld}\n",
		       argv[1], mem, mem_limit, cpu, pids, pids_limit);
		return 0;
	}
	printf("%-20s %-14s %-20s %-16s %-6s %s\n", "ID", "MEM USAGE", "MEM LIMIT", "CPU NS",
	       "PIDS", "PIDS LIMIT");
	printf("%-20s %-14lld %-20lld %-16lld %-6lld %lld\n", argv[1], mem, mem_limit, cpu, pids,
	       pids_limit);
	return 0;
}
