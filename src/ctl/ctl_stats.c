/* stats: memory, CPU and pids of a running container, from the runtime's
 * events --stats (one JSON object). */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_control.h"
#include "tether/ctl_metrics.h"
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

/* --prometheus: every shim's metrics (the given containers', else every
 * one whose shim answers) as one exposition. */
static int prometheus(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	g_autoptr(GPtrArray) ids = NULL;
	if (argc > 1) {
		ids = g_ptr_array_new_with_free_func(g_free);
		for (int i = 1; i < argc; i++)
			g_ptr_array_add(ids, g_strdup(argv[i]));
	} else if ((ids = ctl_list_ids(ctx, error)) == NULL) {
		return -1;
	}
	g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < ids->len; i++) {
		const char *id = ids->pdata[i];
		g_autofree char *cdir = ctl_lookup_container(ctx, id, error);
		if (cdir == NULL)
			return -1;
		GError *e = NULL;
		g_autoptr(json_object) r = ctl_control_call(cdir, id, "metrics", NULL, 5000, &e);
		json_object *text;
		if (r == NULL || !json_object_object_get_ex(r, "text", &text)) {
			/* Asked for by name, it must answer; in a sweep, an
			 * exited container (its shim gone) has nothing to say. */
			if (argc > 1) {
				g_set_error(error, CTL_ERROR, CTL_ERROR_SHIM,
					    "no metrics from the shim of %s: %s", id,
					    e ? e->message : "no text in its reply");
				g_clear_error(&e);
				return -1;
			}
			g_clear_error(&e);
			continue;
		}
		g_ptr_array_add(texts, g_strdup(json_object_get_string(text)));
	}
	g_ptr_array_add(texts, NULL);
	g_autofree char *out = ctl_metrics_merge((char *const *)texts->pdata);
	fputs(out, stdout);
	return 0;
}

int ctl_stats_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	g_autofree char *format = NULL;
	gboolean prom = FALSE;
	const GOptionEntry entries[] = {
		{"format", 0, 0, G_OPTION_ARG_STRING, &format, "table (default) or json", "FORMAT"},
		{"prometheus", 0, 0, G_OPTION_ARG_NONE, &prom,
		 "The shims' counters in Prometheus' text format, for the given containers or "
		 "every running one",
		 NULL},
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("stats", "ID | --prometheus [ID...]",
			       "Print a running container's memory usage and limit, CPU time "
			       "and number of processes; or, with --prometheus, the shims' "
			       "counters as metrics.",
			       entries, false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (prom)
		return prometheus(ctx, argc, argv, error);
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
