#define G_LOG_DOMAIN "main"

#include "tether/diag.h"
#include "tether/fdutil.h"
#include "tether/opts.h"
#include "tether/shim.h"
#include "tether/version.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	diag_setup("tether", DIAG_WARNING);

	struct tether_opts opts;
	g_autoptr(GError) error = NULL;
	/* As given, for a live upgrade's re-exec (parsing takes options out). */
	g_auto(GStrv) args = g_strdupv(argv);
	if (!opts_parse(&opts, argc, argv, &error)) {
		fprintf(stderr, "tether: option parsing failed: %s\n", error->message);
		opts_clear(&opts);
		return 1;
	}
	if (opts.version) {
		fputs(opts_version_text(), stdout);
		opts_clear(&opts);
		return 0;
	}
	if (opts.upgrade_protocol) {
		/* With a running shim's command line (a live upgrade's check):
		 * would this binary take it? */
		bool ok = opts.cid == NULL || opts_validate(&opts, &error);
		if (ok)
			printf("%d\n", TETHER_UPGRADE_PROTOCOL);
		else
			fprintf(stderr, "tether: %s\n", error->message);
		opts_clear(&opts);
		return ok ? 0 : 1;
	}
	if (!opts_validate(&opts, &error)) {
		shim_report_failure(fdutil_fd_from_env("_OCI_SYNCPIPE"), &opts, error->message);
		opts_clear(&opts);
		return 1;
	}
	diag_set_level(opts.level);
	diag_set_syslog(opts.syslog, opts.cid);
	_cleanup_close_ int diag_fd = -1;
	if (opts.diagnostics_file != NULL) {
		diag_fd = open(opts.diagnostics_file,
			       O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW,
			       0600);
		if (diag_fd < 0) {
			g_autofree char *msg = g_strdup_printf(
				"Failed to open %s: %s", opts.diagnostics_file, g_strerror(errno));
			shim_report_failure(fdutil_fd_from_env("_OCI_SYNCPIPE"), &opts, msg);
			opts_clear(&opts);
			return 1;
		}
		diag_set_file(diag_fd);
	}
	if (opts.seccomp_notify_socket != NULL)
		diag_warn("--seccomp-notify-socket is ignored (conmon 2.1.6 cannot use it either)");

	struct shim *s = shim_new(&opts);
	s->argv = args;
	int code = shim_run(s);
	shim_free(s);
	diag_set_file(-1);
	opts_clear(&opts);
	return code;
}
