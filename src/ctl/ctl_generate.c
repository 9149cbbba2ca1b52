/* generate systemd: a unit file for an existing container. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl_generate.h"
#include "tether/ctl.h"
#include "tether/ctl_bundle.h"
#include "tether/fileio.h"
#include "tether/jsonutil.h"
#include "tether/signame.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

char *ctl_generate_exec_word(const char *word)
{
	GString *s = g_string_new(NULL);
	bool quote = *word == '\0' || strpbrk(word, " \t\n\"'\\;") != NULL;
	if (quote)
		g_string_append_c(s, '"');
	for (const char *p = word; *p; p++) {
		switch (*p) {
		case '%': /* a specifier otherwise */
			g_string_append(s, "%%");
			break;
		case '$': /* a variable otherwise */
			g_string_append(s, "$$");
			break;
		case '"':
		case '\\':
			g_string_append_c(s, '\\');
			g_string_append_c(s, *p);
			break;
		case '\n':
			g_string_append(s, "\\n");
			break;
		case '\t':
			g_string_append(s, "\\t");
			break;
		default:
			g_string_append_c(s, *p);
		}
	}
	if (quote)
		g_string_append_c(s, '"');
	return g_string_free(s, FALSE);
}

static void add_words(GString *line, ...)
{
	va_list ap;
	va_start(ap, line);
	for (const char *w; (w = va_arg(ap, const char *)) != NULL;) {
		g_autofree char *q = ctl_generate_exec_word(w);
		g_string_append_printf(line, " %s", q);
	}
	va_end(ap);
}

char *ctl_generate_unit(const struct ctl_state *st, char *const *args, const char *self,
			const char *root, int stop_timeout)
{
	const char *name = st->name ? st->name : st->id;
	g_autofree char *q_self = ctl_generate_exec_word(self);
	g_autoptr(GString) run = g_string_new("ExecStart=");
	g_string_append(run, q_self);
	add_words(run, "--root", root, NULL);
	if (st->runtime != NULL)
		add_words(run, "--runtime", st->runtime, NULL);
	if (st->shim != NULL)
		add_words(run, "--shim", st->shim, NULL);
	/* --replace: what a previous run left goes, unless the unit restarts
	 * after its shim was killed: then the fd store (--fd-store) gives the
	 * running container back (docs/crash-recovery.md). */
	add_words(run, "run", "--detach", "--replace", "--fd-store", "--name", name, NULL);
	if (st->bundle != NULL)
		add_words(run, "--bundle", st->bundle, NULL);
	if (st->terminal)
		add_words(run, "--tty", NULL);
	if (st->interactive)
		add_words(run, "--interactive", NULL);
	add_words(run, "--log-driver", st->log_driver ? st->log_driver : "k8s-file", NULL);
	if (st->log_size_max > 0) {
		g_autofree char *size = g_strdup_printf("%" G_GINT64_FORMAT, st->log_size_max);
		add_words(run, "--log-size-max", size, NULL);
	}
	if (st->log_max_files > 0) {
		g_autofree char *n = g_strdup_printf("%d", st->log_max_files);
		add_words(run, "--log-max-files", n, NULL);
	}
	if (st->service.sdnotify == CTL_SDNOTIFY_CONTAINER)
		add_words(run, "--sdnotify", "container", NULL);
	if (st->service.stop_signal > 0) {
		const char *sig = signame_name(st->service.stop_signal);
		g_autofree char *num = g_strdup_printf("%d", st->service.stop_signal);
		add_words(run, "--stop-signal", sig ? sig : num, NULL);
	}
	const struct ctl_health *h = &st->service.health;
	if (h->cmd != NULL) {
		add_words(run, "--health-cmd", h->cmd, NULL);
		const char *flags[] = {"--health-interval", "--health-timeout", "--health-retries",
				       "--health-start-period"};
		const int values[] = {h->interval, h->timeout, h->retries, h->start_period};
		for (size_t i = 0; i < G_N_ELEMENTS(flags); i++) {
			g_autofree char *v = g_strdup_printf("%d", values[i]);
			if (values[i] > 0)
				add_words(run, flags[i], v, NULL);
		}
		if (h->on_failure != NULL)
			add_words(run, "--health-on-failure", h->on_failure, NULL);
	}
	g_autofree char *timeout = g_strdup_printf("%d", stop_timeout);
	add_words(run, "--stop-timeout", timeout, st->id, NULL);
	if (args != NULL && args[0] != NULL) {
		add_words(run, "--", NULL);
		for (char *const *a = args; *a; a++)
			add_words(run, *a, NULL);
	}

	g_autofree char *q_name = ctl_generate_exec_word(name);
	GString *u = g_string_new(NULL);
	g_string_append_printf(u,
			       "# container-%s.service, from: tetherctl generate systemd %s\n"
			       "# The container is created afresh from its bundle at every "
			       "start; its shim is the\n"
			       "# main process: READY=1 once it runs, its exit code is the "
			       "unit's (docs/systemd.md).\n"
			       "\n[Unit]\n"
			       "Description=tether container %s\n"
			       "After=local-fs.target\n"
			       "RequiresMountsFor=%s\n"
			       "\n[Service]\n"
			       "Type=notify\n"
			       "NotifyAccess=all\n"
			       "%s\n"
			       "FileDescriptorStoreMax=64\n"
			       "KillMode=mixed\n"
			       "TimeoutStopSec=%d\n"
			       "Restart=on-failure\n"
			       "\n[Install]\n"
			       "WantedBy=multi-user.target\n",
			       name, st->id, q_name, root, run->str, stop_timeout + 30);
	return g_string_free(u, FALSE);
}

/* The command the container's config.json runs (the bundle's, or what
 * create was given). */
static char **config_args(const char *cdir, GError **error)
{
	g_autofree char *path = g_build_filename(cdir, "config.json", NULL);
	g_autofree char *text = NULL;
	size_t len = 0;
	int r = fileio_read_small(path, CTL_CONFIG_MAX, &text, &len);
	g_autoptr(json_object) config = r < 0 ? NULL : json_tokener_parse(text);
	json_object *process, *args;
	if (config == NULL || !json_object_object_get_ex(config, "process", &process) ||
	    !json_object_object_get_ex(process, "args", &args) ||
	    !json_object_is_type(args, json_type_array)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot read process.args from %s",
			    path);
		return NULL;
	}
	GStrvBuilder *b = g_strv_builder_new();
	for (size_t i = 0; i < json_object_array_length(args); i++)
		g_strv_builder_add(b, json_object_get_string(json_object_array_get_idx(args, i)));
	char **v = g_strv_builder_end(b);
	g_strv_builder_unref(b);
	return v;
}

int ctl_generate_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	gboolean files = FALSE;
	int stop_timeout = -1;
	const GOptionEntry entries[] = {
		{"files", 'f', 0, G_OPTION_ARG_NONE, &files,
		 "Write container-NAME.service in the current directory and print its path", NULL},
		{"stop-timeout", 't', 0, G_OPTION_ARG_INT, &stop_timeout,
		 "Seconds from the stop signal to SIGKILL (default: the container's, else 10)",
		 "SECONDS"},
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("generate", "systemd ID",
			       "Write a systemd unit that runs the container as a service.",
			       entries, false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (argc < 2 || strcmp(argv[1], "systemd") != 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE,
			    "generate: what to generate? only 'systemd' is known");
		return -1;
	}
	if (!ctl_one_id("generate systemd", argc - 1, error))
		return -1;
	const char *id = argv[2];
	if (stop_timeout < -1) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE,
			    "invalid --stop-timeout %d: 0 or more seconds", stop_timeout);
		return -1;
	}
	g_autofree char *cdir = ctl_lookup_container(ctx, id, error);
	if (cdir == NULL)
		return -1;
	struct ctl_state st = {0};
	int r = ctl_state_load(cdir, &st);
	if (r < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot read the state of %s: %s",
			    id, g_strerror(-r));
		return -1;
	}
	g_auto(GStrv) args = config_args(cdir, error);
	if (args == NULL) {
		ctl_state_clear(&st);
		return -1;
	}
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	if (stop_timeout < 0)
		stop_timeout = st.service.stop_timeout > 0 ? st.service.stop_timeout : 10;
	g_autofree char *unit =
		ctl_generate_unit(&st, args, self ? self : "tetherctl", ctx->root, stop_timeout);
	g_autofree char *base = g_strdup_printf("container-%s.service", st.name ? st.name : id);
	ctl_state_clear(&st);
	if (!files) {
		fputs(unit, stdout);
		return 0;
	}
	r = fileio_write_atomic(base, unit, strlen(unit), 0644);
	if (r < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot write %s: %s", base,
			    g_strerror(-r));
		return -1;
	}
	g_autofree char *cwd = g_get_current_dir();
	g_autofree char *path = g_build_filename(cwd, base, NULL);
	printf("%s\n", path);
	return 0;
}
