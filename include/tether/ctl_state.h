/* ctl_state: a container's state.json and its live status.
 *
 * state.json is written atomically by create; everything in it can also be
 * recovered from the container directory (shim.pid, pidfile, exits/), so a
 * tetherctl killed half-way leaves a container that ps still understands. */
#ifndef TETHER_CTL_STATE_H
#define TETHER_CTL_STATE_H

#include <glib.h>

#include "tether/ctl_logcfg.h"
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tether/ctl.h"
#include "tether/ctl_logcfg.h"

struct ctl_state {
	char *id;
	char *name;
	char *bundle;	      /* the original bundle, absolute */
	char *runtime;	      /* absolute */
	char *shim;	      /* absolute */
	char *created;	      /* RFC 3339, UTC */
	char *log_driver;     /* NULL (older state.json): k8s-file */
	char *log_path;	      /* NULL: none (journald, none) */
	int64_t log_size_max; /* 0: no limit */
	int log_max_files;    /* 0: no rotation */
	struct ctl_log_policy log_policy;
	bool terminal;	  /* -t: process.terminal, a PTY */
	bool interactive; /* -i: stdin kept open for attach clients */
	struct ctl_service service;
	pid_t shim_pid; /* 0: not known yet */
	pid_t pid;	/* 0: not known yet */
};

void ctl_state_clear(struct ctl_state *st);

/* Serialize / parse; returns a g_malloc'd string / 0 or -EINVAL. */
char *ctl_state_to_json(const struct ctl_state *st);
int ctl_state_from_json(const char *text, size_t len, struct ctl_state *ret_st);

/* CDIR/state.json, written atomically; read fills ret_st (-errno). */
int ctl_state_save(const char *cdir, const struct ctl_state *st);
int ctl_state_load(const char *cdir, struct ctl_state *ret_st);

/* Like ctl_state_load, but a missing or damaged state.json is rebuilt
 * from the directory (id from its name, pids from shim.pid and pidfile). */
void ctl_state_load_lenient(const char *cdir, const char *id, struct ctl_state *ret_st);

enum ctl_status {
	CTL_STATUS_UNKNOWN,
	CTL_STATUS_CREATED,
	CTL_STATUS_RUNNING,
	CTL_STATUS_PAUSED,
	CTL_STATUS_STOPPED, /* the runtime says so, but no exit file yet */
	CTL_STATUS_EXITED,
	CTL_STATUS_SHIM_DEAD,
};

const char *ctl_status_name(enum ctl_status status);

/* Map the runtime's "status" string. */
enum ctl_status ctl_status_from_runtime(const char *status);

/* True for created/running/paused: a process that rm must not leave behind. */
bool ctl_status_is_live(enum ctl_status status);

/* Is pid still this container's shim? (kill 0 and /proc/PID/cmdline naming
 * the shim binary and "-c ID"). */
bool ctl_shim_alive(pid_t pid, const char *shim, const char *id);

/* Work out the status: the exit file, else the runtime's state, with
 * shim-dead when the shim is gone and left no exit file. ret_exit_code is
 * set for CTL_STATUS_EXITED. */
enum ctl_status ctl_status_get(const struct ctl_context *ctx, const char *cdir,
			       const struct ctl_state *st, int *ret_exit_code);

/* What most verbs start with: the container's directory (g_free), its
 * state (lenient; ctl_state_clear it) and status, with the exit code when
 * it exited. NULL and "no such container" when there is none. */
char *ctl_container_open(const struct ctl_context *ctx, const char *id, struct ctl_state *ret_st,
			 enum ctl_status *ret_status, int *ret_code, GError **error);

/* pause and resume: run the runtime's verb when the container is in the
 * state need, else fail with a message naming the state it is in. */
int ctl_pause_resume(struct ctl_context *ctx, const char *verb, enum ctl_status need, int argc,
		     char **argv, GError **error);

#endif
