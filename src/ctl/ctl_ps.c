/* ps: every container under ROOT/containers and its status. */
#include "tether/ctl.h"
#include "tether/ctl_control.h"
#include "tether/ctl_state.h"
#include "tether/jsonutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

struct ps_row {
	struct ctl_state st;
	enum ctl_status status;
	int exit_code;
	char *health; /* "healthy"... from the shim, or NULL */
};

static void ps_row_free(gpointer p)
{
	struct ps_row *row = p;
	ctl_state_clear(&row->st);
	g_free(row->health);
	g_free(row);
}

static char *status_text(const struct ps_row *row)
{
	if (row->status == CTL_STATUS_EXITED)
		return g_strdup_printf("exited (%d)", row->exit_code);
	if (row->health != NULL)
		return g_strdup_printf("%s (%s)", ctl_status_name(row->status), row->health);
	return g_strdup(ctl_status_name(row->status));
}

/* What the shim's health checks say (its state reply), or NULL. */
static char *health_of(const char *cdir, const char *id)
{
	g_autoptr(json_object) r = ctl_control_call(cdir, id, "state", NULL, 2000, NULL);
	json_object *h, *status;
	if (r == NULL || !json_object_object_get_ex(r, "health", &h) ||
	    !json_object_object_get_ex(h, "status", &status))
		return NULL;
	return g_strdup(json_object_get_string(status));
}

static void print_table(GPtrArray *rows)
{
	static const char *const head[] = {"ID", "NAME", "STATUS", "PID", "SHIM PID", "CREATED"};
	enum { NCOL = G_N_ELEMENTS(head) };
	g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
	int width[NCOL];
	for (int c = 0; c < NCOL; c++) {
		g_ptr_array_add(cells, g_strdup(head[c]));
		width[c] = (int)strlen(head[c]);
	}
	for (guint i = 0; i < rows->len; i++) {
		const struct ps_row *row = rows->pdata[i];
		char *v[NCOL] = {
			g_strdup(row->st.id),
			g_strdup(row->st.name),
			status_text(row),
			row->st.pid > 0 ? g_strdup_printf("%d", (int)row->st.pid) : g_strdup("-"),
			row->st.shim_pid > 0 ? g_strdup_printf("%d", (int)row->st.shim_pid)
					     : g_strdup("-"),
			g_strdup(row->st.created ? row->st.created : "-"),
		};
		for (int c = 0; c < NCOL; c++) {
			width[c] = MAX(width[c], (int)strlen(v[c]));
			g_ptr_array_add(cells, v[c]);
		}
	}
	for (guint i = 0; i < cells->len; i++) {
		int c = (int)(i % NCOL);
		if (c == NCOL - 1)
			printf("%s\n", (char *)cells->pdata[i]);
		else
			printf("%-*s  ", width[c], (char *)cells->pdata[i]);
	}
}

static void print_json(GPtrArray *rows)
{
	g_autoptr(json_object) arr = json_object_new_array();
	for (guint i = 0; i < rows->len; i++) {
		const struct ps_row *row = rows->pdata[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(row->st.id));
		json_object_object_add(o, "name", json_object_new_string(row->st.name));
		json_object_object_add(o, "status",
				       json_object_new_string(ctl_status_name(row->status)));
		if (row->status == CTL_STATUS_EXITED)
			json_object_object_add(o, "exit_code", json_object_new_int(row->exit_code));
		if (row->health != NULL)
			json_object_object_add(o, "health", json_object_new_string(row->health));
		json_object_object_add(o, "pid", json_object_new_int(row->st.pid));
		json_object_object_add(o, "shim_pid", json_object_new_int(row->st.shim_pid));
		json_object_object_add(o, "created",
				       row->st.created ? json_object_new_string(row->st.created)
						       : NULL);
		json_object_object_add(o, "bundle",
				       row->st.bundle ? json_object_new_string(row->st.bundle)
						      : NULL);
		json_object_array_add(arr, o);
	}
	printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
}

int ctl_ps_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	g_autofree char *format = NULL;
	gboolean all = FALSE;
	const GOptionEntry entries[] = {
		{"all", 'a', 0, G_OPTION_ARG_NONE, &all,
		 "Also list containers that are not live (exited, stopped, shim-dead)", NULL},
		{"format", 0, 0, G_OPTION_ARG_STRING, &format, "table (default) or json", "FORMAT"},
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("ps", "",
			       "List live containers (created, running, paused) and their status; "
			       "--all lists every container.",
			       entries, false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	bool json = g_strcmp0(format, "json") == 0;
	if (argc != 1 || (format != NULL && !json && strcmp(format, "table") != 0)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE,
			    "ps: takes no arguments; --format is table or json");
		return -1;
	}
	g_autoptr(GPtrArray) ids = ctl_list_ids(ctx, error);
	if (ids == NULL)
		return -1;
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(ps_row_free);
	for (guint i = 0; i < ids->len; i++) {
		const char *id = ids->pdata[i];
		g_autofree char *cdir = ctl_container_dir(ctx, id);
		struct ps_row *row = g_new0(struct ps_row, 1);
		ctl_state_load_lenient(cdir, id, &row->st);
		row->status = ctl_status_get(ctx, cdir, &row->st, &row->exit_code);
		if (!all && !ctl_status_is_live(row->status)) {
			ps_row_free(row);
			continue;
		}
		if (row->st.service.health.cmd != NULL && row->status == CTL_STATUS_RUNNING)
			row->health = health_of(cdir, id);
		g_ptr_array_add(rows, row);
	}
	if (json)
		print_json(rows);
	else
		print_table(rows);
	return 0;
}
