/* Running the OCI runtime's CLI. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl_runtime.h"
#include "tether/jsonutil.h"

#include <signal.h>
#include <string.h>

/* Between fork and exec: the runtime gets default signal handling back. */
static void reset_child(gpointer data)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
}

bool ctl_runtime_run(const struct ctl_context *ctx, const char *const *args, char **ret_stdout,
		     GError **error)
{
	if (ctx->runtime == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_RUNTIME, "OCI runtime '%s' not found",
			    ctx->runtime_name);
		return false;
	}
	g_autofree char *rroot = ctl_runtime_root(ctx);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_ptr_array_add(argv, ctx->runtime);
	g_ptr_array_add(argv, (char *)"--root");
	g_ptr_array_add(argv, rroot);
	for (const char *const *a = args; *a; a++)
		g_ptr_array_add(argv, (char *)*a);
	g_ptr_array_add(argv, NULL);

	g_autofree char *cmdline = g_strjoinv(" ", (char **)argv->pdata);
	diag_debug("running %s", cmdline);

	/* runc (and crun) would answer a NOTIFY_SOCKET of ours with their own
	 * notify proxy: readiness is the shim's to tell. */
	g_auto(GStrv) envp = g_get_environ();
	envp = g_environ_unsetenv(envp, "NOTIFY_SOCKET");
	g_autofree char *out = NULL, *err = NULL;
	int status = 0;
	GError *local = NULL;
	if (!g_spawn_sync(NULL, (char **)argv->pdata, envp, G_SPAWN_DEFAULT, reset_child, NULL,
			  ret_stdout ? &out : NULL, &err, &status, &local)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_RUNTIME, "cannot run '%s': %s",
			    ctx->runtime, local->message);
		g_error_free(local);
		return false;
	}
	if (!g_spawn_check_wait_status(status, NULL)) {
		g_autofree char *msg = ctl_runtime_error_text(err);
		g_set_error(error, CTL_ERROR, CTL_ERROR_RUNTIME, "%s %s failed: %s",
			    ctx->runtime_name, args[0], msg);
		return false;
	}
	if (ret_stdout)
		*ret_stdout = g_steal_pointer(&out);
	return true;
}

/* The value of msg="..." in a logrus line, unescaped; NULL if absent. */
static char *logrus_msg(const char *line)
{
	const char *p = strstr(line, "msg=\"");
	if (p == NULL)
		return NULL;
	p += 5;
	GString *s = g_string_new(NULL);
	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			g_string_append_c(s, *p == 'n' ? '\n' : *p == 't' ? '\t' : *p);
		} else {
			g_string_append_c(s, *p);
		}
	}
	return g_string_free(s, FALSE);
}

char *ctl_runtime_error_text(const char *stderr_text)
{
	if (stderr_text == NULL)
		return g_strdup("(no message)");
	g_auto(GStrv) lines = g_strsplit(stderr_text, "\n", -1);
	/* runc and crun log the reason last. */
	for (int i = (int)g_strv_length(lines) - 1; i >= 0; i--) {
		char *line = g_strstrip(lines[i]);
		if (*line == '\0')
			continue;
		char *msg = logrus_msg(line);
		return msg ? msg : g_strdup(line);
	}
	return g_strdup("(no message)");
}

bool ctl_runtime_error_is_not_found(const GError *error)
{
	if (error == NULL || !g_error_matches(error, CTL_ERROR, CTL_ERROR_RUNTIME))
		return false;
	return strstr(error->message, "does not exist") != NULL ||
	       strstr(error->message, "not found") != NULL ||
	       strstr(error->message, "No such file") != NULL;
}

char *ctl_runtime_state(const struct ctl_context *ctx, const char *id, GError **error)
{
	const char *args[] = {"state", id, NULL};
	g_autofree char *out = NULL;
	if (!ctl_runtime_run(ctx, args, &out, error))
		return NULL;
	g_autoptr(json_object) obj = json_tokener_parse(out);
	json_object *status = NULL;
	if (obj == NULL || !json_object_object_get_ex(obj, "status", &status) ||
	    !json_object_is_type(status, json_type_string)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_RUNTIME,
			    "%s state %s: cannot parse its answer", ctx->runtime_name, id);
		return NULL;
	}
	return g_strdup(json_object_get_string(status));
}
