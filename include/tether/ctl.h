/* ctl: tetherctl's shared context, error domain, dispatch table and the
 * helpers every verb uses (ids, paths, option parsing).
 *
 * State layout under ROOT (default /run/tether):
 *   ROOT/runtime/          the OCI runtime's own --root
 *   ROOT/containers/ID/    one container: its OCI bundle, state.json, its log
 *                          (ctr.log or ctr.json, rotated ones .1 ... .N),
 *                          exits/, shim.pid, pidfile, and the shim's sockets. */
#ifndef TETHER_CTL_H
#define TETHER_CTL_H

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

#include "tether/ctl_logcfg.h"
#include "tether/ctl_service.h"
#include "tether/diag.h"

/* Exit status for every tetherctl failure (usage, unknown container,
 * runtime or shim failure), as podman and docker use it. */
#define CTL_EXIT_ERROR 125

#define CTL_DEFAULT_ROOT "/run/tether"
#define CTL_ID_MAX	 64

struct ctl_context {
	char *root;	       /* absolute */
	char *runtime;	       /* absolute path, NULL if not found */
	char *runtime_name;    /* as given, for messages */
	char *shim;	       /* absolute path, NULL if not found */
	const char *log_level; /* the name handed to the shim */
	enum diag_level level;
};

/* Resolve defaults: root from TETHER_ROOT or /run/tether; runtime "runc"
 * in PATH; shim "tether" beside /proc/self/exe, else in PATH. A runtime or
 * shim that cannot be found is left NULL: only the verbs that need one fail. */
int ctl_context_init(struct ctl_context *ctx, const char *root, const char *runtime,
		     const char *shim, const char *log_level, GError **error);
void ctl_context_clear(struct ctl_context *ctx);

GQuark ctl_error_quark(void);
#define CTL_ERROR ctl_error_quark()
enum ctl_error_code {
	CTL_ERROR_FAILED,
	CTL_ERROR_USAGE,
	CTL_ERROR_NOT_FOUND,
	CTL_ERROR_EXISTS,
	CTL_ERROR_RUNNING,
	CTL_ERROR_RUNTIME,
	CTL_ERROR_SHIM,
	CTL_ERROR_TIMEOUT,
};

/* Verbs return the process exit status, or -1 with *error set. */
typedef int (*ctl_verb_fn)(struct ctl_context *ctx, int argc, char **argv, GError **error);
struct ctl_verb {
	const char *name;
	ctl_verb_fn fn;
	const char *summary;
};

int ctl_create_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_start_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_run_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_ps_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_logs_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_kill_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_wait_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_rm_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_attach_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_stop_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_pause_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_resume_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_inspect_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_resize_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_upgrade_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_events_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_gc_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_exec_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_top_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_stats_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_update_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_checkpoint_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_restore_main(struct ctl_context *ctx, int argc, char **argv, GError **error);
int ctl_generate_main(struct ctl_context *ctx, int argc, char **argv, GError **error);

/* What create and run share. */
struct ctl_create_opts {
	const char *id;
	const char *name;   /* NULL: the id */
	const char *bundle; /* NULL: the current directory */
	char **args;	    /* NULL: keep process.args */
	const char *exit_command;
	char **exit_command_args;
	struct ctl_log_config log;
	struct ctl_service service;
	bool terminal;	  /* -t */
	bool interactive; /* -i */
};

/* The options create and run share, as parsed: add the entries of
 * ctl_create_args_entries to a verb's table, then turn them into
 * struct ctl_create_opts with ctl_create_args_finish. */
struct ctl_create_args {
	char *bundle, *name, *exit_command;
	char **exit_args;
	gboolean terminal, interactive;
	struct ctl_logcfg_args log;
	struct ctl_service_args service;
};
#define CTL_CREATE_ARGS_INIT                                                                       \
	{                                                                                          \
		.log = CTL_LOGCFG_ARGS_INIT, .service = CTL_SERVICE_ARGS_INIT                      \
	}
#define CTL_CREATE_N_ENTRIES 26 /* without a terminator */
typedef struct ctl_create_args ctl_create_args;
void ctl_create_args_clear(struct ctl_create_args *a);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ctl_create_args, ctl_create_args_clear)
void ctl_create_args_entries(struct ctl_create_args *a, GOptionEntry ret[CTL_CREATE_N_ENTRIES]);
/* argv[1] is the id, argv[2...] the command; ret_opts points into a and argv. */
bool ctl_create_args_finish(const struct ctl_create_args *a, const char *verb, int argc,
			    char **argv, struct ctl_create_opts *ret_opts, GError **error);
/* Create the container under its shim; returns its pid or -1. */
pid_t ctl_create_container(struct ctl_context *ctx, const struct ctl_create_opts *opts,
			   GError **error);

/* Ids and names: 1..64 of [A-Za-z0-9_.-], not starting with '.'. */
bool ctl_id_valid(const char *id);
bool ctl_check_id(const char *id, GError **error);

/* The container ids in ROOT/containers, sorted (g_free'd elements); a
 * missing root has none. */
GPtrArray *ctl_list_ids(const struct ctl_context *ctx, GError **error);

/* Paths; g_free the result. */
char *ctl_containers_dir(const struct ctl_context *ctx);
char *ctl_container_dir(const struct ctl_context *ctx, const char *id);
/* rm (-f if force): the container out of the runtime, its state removed. */
int ctl_rm(struct ctl_context *ctx, const char *id, bool force, GError **error);
char *ctl_runtime_root(const struct ctl_context *ctx);

/* The directory of an existing container, or NULL and "no such container". */
char *ctl_lookup_container(const struct ctl_context *ctx, const char *id, GError **error);

/* The command line after the id: argv + first, without a leading "--";
 * NULL when there is none. */
char **ctl_command_args(int argc, char **argv, int first);

/* Parse a verb's options with GOptionContext, without GLib's --help (which
 * calls exit()): -h/--help prints the help and sets *ret_help. posix: stop
 * at the first non-option (for verbs followed by a command line). */
/* After option parsing: argv[1] must be the one container id. False with a
 * usage error ("VERB: missing container id" / "one container id only"). */
bool ctl_one_id(const char *verb, int argc, GError **error);

/* Set a CTL_ERROR_USAGE error with the formatted message; returns false. */
bool ctl_usage_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

bool ctl_parse_options(const char *verb, const char *params, const char *summary,
		       const GOptionEntry *entries, bool posix, int *argc, char ***argv,
		       bool *ret_help, GError **error);

#endif
