/* inspect: one JSON object from everything known about a container:
 * state.json, the shim's control-socket state, and the runtime's state. */
#include "tether/ctl.h"
#include "tether/ctl_control.h"
#include "tether/ctl_runtime.h"
#include "tether/ctl_state.h"
#include "tether/ctl_state.h"
#include "tether/jsonutil.h"

#include <stdio.h>

#define CTL_INSPECT_TIMEOUT_MS 5000

/* The shim's state reply without the envelope, or a string saying why
 * there is none: "dead" (no shim process), "unreachable" (alive, but no
 * control socket answered: conmon has none). */
static json_object *shim_part(const char *cdir, const struct ctl_state *st)
{
	if (!ctl_shim_alive(st->shim_pid, st->shim, st->id))
		return json_object_new_string("dead");
	g_autoptr(GError) err = NULL;
	json_object *reply =
		ctl_control_call(cdir, st->id, "state", NULL, CTL_INSPECT_TIMEOUT_MS, &err);
	if (reply == NULL)
		return json_object_new_string("unreachable");
	json_object_object_del(reply, "ok");
	json_object_object_del(reply, "id");
	return reply;
}

/* The runtime's state output, or "gone" (it does not know the container)
 * or "unavailable" (it failed). */
static json_object *runtime_part(struct ctl_context *ctx, const char *id)
{
	const char *args[] = {"state", id, NULL};
	g_autofree char *out = NULL;
	g_autoptr(GError) err = NULL;
	if (!ctl_runtime_run(ctx, args, &out, &err))
		return json_object_new_string(ctl_runtime_error_is_not_found(err) ? "gone"
										  : "unavailable");
	json_object *obj = json_tokener_parse(out);
	if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return json_object_new_string("unavailable");
	}
	return obj;
}

int ctl_inspect_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	const GOptionEntry entries[] = {G_OPTION_ENTRY_NULL};
	bool help;
	if (!ctl_parse_options("inspect", "ID",
			       "Print what the state directory, the shim and the runtime know of a "
			       "container, as one JSON object.",
			       entries, false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (!ctl_one_id("inspect", argc, error))
		return -1;
	const char *id = argv[1];
	struct ctl_state st;
	int code;
	enum ctl_status status;
	g_autofree char *cdir = ctl_container_open(ctx, id, &st, &status, &code, error);
	if (cdir == NULL)
		return -1;

	g_autoptr(json_object) out = json_object_new_object();
	json_object_object_add(out, "id", json_object_new_string(id));
	json_object_object_add(out, "name", json_object_new_string(st.name));
	json_object_object_add(out, "status", json_object_new_string(ctl_status_name(status)));
	if (status == CTL_STATUS_EXITED)
		json_object_object_add(out, "exit_code", json_object_new_int(code));
	json_object_object_add(out, "pid", json_object_new_int(st.pid));
	json_object_object_add(out, "shim_pid", json_object_new_int(st.shim_pid));
	json_object_object_add(out, "dir", json_object_new_string(cdir));
	g_autofree char *stext = ctl_state_to_json(&st);
	json_object *sobj = json_tokener_parse(stext);
	json_object_object_add(out, "state", sobj);
	json_object_object_add(out, "shim", shim_part(cdir, &st));
	json_object_object_add(out, "runtime", runtime_part(ctx, id));
	ctl_state_clear(&st);
	printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	return 0;
}
