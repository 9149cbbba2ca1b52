/* run: create, attach, start, relay the output, and exit with the
 * container's exit code. Or, with -d, create and start, and print the id. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_attach.h"
#include "tether/ctl_exit.h"
#include "tether/ctl_runtime.h"
#include "tether/ctl_state.h"
#include "tether/fdutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* After the attach socket's EOF the shim writes the exit file at once;
 * conmon's callers give it 5 s, we give it a little more. */
#define CTL_RUN_EXIT_WAIT_MS 10000

/* After this many signals tetherctl stops relaying and leaves the container
 * to its shim: a pid 1 without a handler ignores SIGINT and SIGTERM, and a
 * person pressing ^C needs a way out. */
#define CTL_RUN_SIGNALS_TO_DETACH 3

struct run_forward {
	struct ctl_context *ctx;
	const char *id;
	int count;
};

/* Pass SIGINT/SIGTERM on to the container: it lives in the shim's session,
 * not in our terminal's process group. */
static bool forward_signal(int signo, void *userdata)
{
	struct run_forward *fw = userdata;
	g_autofree char *num = g_strdup_printf("%d", signo);
	const char *args[] = {"kill", fw->id, num, NULL};
	g_autoptr(GError) error = NULL;
	if (!ctl_runtime_run(fw->ctx, args, NULL, &error))
		diag_debug("forwarding signal %d: %s", signo, error->message);
	return ++fw->count < CTL_RUN_SIGNALS_TO_DETACH;
}

static bool drain_signals(int sig_fd, struct run_forward *fw)
{
	struct signalfd_siginfo si;
	bool go_on = true;
	while (read(sig_fd, &si, sizeof(si)) == sizeof(si))
		go_on = forward_signal((int)si.ssi_signo, fw) && go_on;
	return go_on;
}

static int detached(const char *id, GError **error)
{
	g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED,
		    "detached from container %s after %d signals; it runs on under its shim", id,
		    CTL_RUN_SIGNALS_TO_DETACH);
	return -1;
}

static int attached(struct ctl_context *ctx, const char *id, const char *cdir, GError **error)
{
	_cleanup_close_ int afd = ctl_attach_connect(cdir);
	if (afd < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_SHIM,
			    "cannot attach to container %s: %s (it is created; start or rm it)", id,
			    g_strerror(-afd));
		return -1;
	}
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	/* Blocked for good: a signal left unread when the mask came back
	 * would kill us after the container's exit code is known. */
	_cleanup_close_ int sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd >= 0)
		sigprocmask(SIG_BLOCK, &mask, NULL);

	/* A closed stdout must not kill us before the exit code is known. */
	signal(SIGPIPE, SIG_IGN);
	struct run_forward fw = {ctx, id, 0};
	const char *args[] = {"start", id, NULL};
	if (!ctl_runtime_run(ctx, args, NULL, error))
		return -1;
	int r = ctl_attach_relay(afd, STDOUT_FILENO, STDERR_FILENO, sig_fd, forward_signal, &fw);
	if (r == -EINTR)
		return detached(id, error);
	if (r < 0)
		diag_warn("attach socket of %s: %s", id, g_strerror(-r));
	fdutil_close(&afd);

	struct ctl_state st;
	ctl_state_load_lenient(cdir, id, &st);
	gint64 deadline = ctl_now_ms() + CTL_RUN_EXIT_WAIT_MS;
	int code = 0;
	do {
		gint64 left = MAX(0, deadline - ctl_now_ms());
		r = ctl_exit_wait(cdir, id, (int)left, st.shim_pid, st.shim, sig_fd, &code);
	} while (r == -ECANCELED && drain_signals(sig_fd, &fw));
	if (r == -ECANCELED) {
		ctl_state_clear(&st);
		return detached(id, error);
	}
	ctl_state_clear(&st);
	if (r == 0)
		/* -1 (a shim's --timeout kill) reads as 255, as conmon exits. */
		return code >= 0 && code <= 255 ? code : 255;
	if (r == -ESRCH)
		g_set_error(error, CTL_ERROR, CTL_ERROR_SHIM,
			    "the shim of container %s is gone and left no exit code", id);
	else
		g_set_error(error, CTL_ERROR, CTL_ERROR_TIMEOUT,
			    "no exit code for container %s: %s", id, g_strerror(-r));
	return -1;
}

int ctl_run_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	g_autofree char *bundle = NULL, *name = NULL, *exit_command = NULL;
	g_auto(GStrv) exit_args = NULL;
	g_auto(ctl_logcfg_args) log_args = CTL_LOGCFG_ARGS_INIT;
	gboolean detach = FALSE;
	const GOptionEntry entries[] = {
		{"detach", 'd', 0, G_OPTION_ARG_NONE, &detach,
		 "Start it in the background and print its id", NULL},
		{"bundle", 'b', 0, G_OPTION_ARG_FILENAME, &bundle,
		 "OCI bundle holding config.json (default: .)", "DIR"},
		{"name", 'n', 0, G_OPTION_ARG_STRING, &name, "Name (default: the id)", "NAME"},
		{"exit-command", 0, 0, G_OPTION_ARG_FILENAME, &exit_command,
		 "Program the shim runs after the container exits", "PATH"},
		{"exit-command-arg", 0, 0, G_OPTION_ARG_STRING_ARRAY, &exit_args,
		 "Argument for the exit command (repeatable)", "ARG"},
		CTL_LOGCFG_OPTION_ENTRIES(&log_args),
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("run", "ID [COMMAND [ARG...]]",
			       "Create and start a container; without -d, relay its output and "
			       "exit with its exit code.",
			       entries, true, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	if (argc < 2) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_USAGE, "run: missing container id");
		return -1;
	}
	struct ctl_create_opts opts = {
		.id = argv[1],
		.name = name,
		.bundle = bundle,
		.args = ctl_command_args(argc, argv, 2),
		.exit_command = exit_command,
		.exit_command_args = exit_args,
	};
	if (!ctl_check_id(opts.id, error) ||
	    !ctl_logcfg_from_args(&log_args, opts.id, &opts.log, error))
		return -1;
	if (ctl_create_container(ctx, &opts, error) < 0)
		return -1;
	g_autofree char *cdir = ctl_container_dir(ctx, opts.id);
	if (!detach)
		return attached(ctx, opts.id, cdir, error);

	const char *args[] = {"start", opts.id, NULL};
	if (!ctl_runtime_run(ctx, args, NULL, error))
		return -1;
	printf("%s\n", opts.id);
	return 0;
}
