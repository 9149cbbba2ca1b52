/* shim: the monitor's one context. It owns every fd, GSource id and option;
 * the modules (stdio, log_k8s, attach, ctlfifo, runtime, exitfile) keep their
 * own small structs, owned from here. */
#ifndef TETHER_SHIM_H
#define TETHER_SHIM_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tether/opts.h"

struct handover_fds;

/* One read from the container's stdout/stderr. conmon reads 8 KiB at a time;
 * tether makes the pipes 1 MiB deep and reads up to 256 KiB, so a busy
 * container costs a fraction of the wake-ups and syscalls per MiB. */
#define SHIM_READ_BUF  (256 * 1024)
#define SHIM_PIPE_SIZE (1024 * 1024)
/* Buffers are taken on the first output and given back after this long
 * without any, so an idle shim holds none. */
#define SHIM_IDLE_TRIM_S 5

/* The life cycle, as a state table (see docs/tether.8.md):
 * CREATING (runtime running) -> RUNNING (container pid known) -> EXITED
 * (container reaped; drain, exit files, exit command follow outside the loop).
 * FAILED ends in a message on the sync pipe and exit status 1. */
enum shim_state {
	SHIM_CREATING,
	SHIM_RUNNING,
	SHIM_EXITED,
	SHIM_FAILED,
};

struct log;
struct attach;
struct ctlfifo;
struct console;
struct oom;
struct notify;
struct control;
struct control_ops;

struct shim {
	struct tether_opts *opts;
	GMainLoop *loop;
	enum shim_state state;
	char *failure; /* set with SHIM_FAILED */

	/* Pipes handed over by the caller (-1 when absent). */
	int sync_fd;
	int start_fd;
	/* fds the caller left open for us (port reservations, preserved fds):
	 * closed just before the exit files are written. */
	GArray *inherited_fds;

	int signal_fd;
	guint signal_src;

	pid_t runtime_pid;
	int runtime_status;
	pid_t container_pid;
	int container_status;
	struct oom *oom;		 /* the container's memory cgroup, watched */
	struct mempressure *mempressure; /* --memory-warn */
	struct health *health;		 /* --health-cmd */
	struct replay *replay;		 /* --replay-size: a sink of s->log, borrowed */
	struct notify *notify;		 /* --sdnotify-socket */
	struct control *control;	 /* BUNDLE/control, tether's JSON socket */
	struct sdnotify *sd;		 /* --systemd-notify: our service manager */
	guint watchdog_src;
	bool started;			/* the caller said it started the container */
	bool stopping;			/* asked to stop: STOPPING=1 sent, the kill timer set */
	guint stop_src;			/* --stop-timeout: SIGKILL when it fires */
	uint64_t bytes[2];		/* relayed, per stream */
	gint64 created_at, finished_at; /* realtime µs */
	int exit_code;

	/* -T: the timer, and whether it fired (exit code -1, as conmon). */
	guint timeout_src;
	bool timed_out;
	/* Asked to stop while the runtime creates: the grace timer before its
	 * process group is killed. */
	guint runtime_kill_src;
	/* Children reaped before we knew which they were: pid -> wait status. */
	GHashTable *early_exits;

	/* Read ends of the container's stdout and stderr. */
	int out_fd[2];
	guint out_src[2];
	char *buf;	    /* SHIM_READ_BUF bytes while output flows, else NULL */
	bool paused;	    /* a slow attach client holds the relay up */
	gint64 last_output; /* monotonic, µs */
	guint trim_src;

	struct log *log;	     /* every -l sink */
	struct ratelimit *ratelimit; /* --log-rate, or NULL */
	struct attach *attach;
	struct ctlfifo *ctl;

	/* The container's stdin (-i: a pipe; -t: the terminal), fed by attach
	 * clients through a bounded queue. */
	int stdin_fd;
	GByteArray *stdin_queue;
	guint stdin_src;
	bool stdin_close_pending;
	bool stdin_dead;

	/* -t: the console socket until the runtime sends the PTY master. */
	struct console *console;
	int term_fd;
	unsigned rows, cols; /* the size asked for, kept until a terminal exists */
	bool have_size;

	int oom_score_adj; /* the caller's, restored for the runtime */
	bool have_oom_score_adj;

	/* Live upgrade (upgrade.h). */
	char **argv;		 /* as we were started, for the re-exec */
	char *upgrade_binary;	 /* set while one is under way */
	guint upgrade_src;	 /* waits for a moment without children in flight */
	unsigned generation;	 /* upgrades so far */
	gint64 timeout_deadline; /* -T: monotonic µs, 0 if none */
	gint64 stop_deadline;	 /* --stop-timeout: monotonic µs, 0 if none */
	uint64_t lost_before;	 /* log bytes lost by earlier generations */

	/* Crash recovery (recover.h). */
	unsigned recoveries; /* crashes recovered from so far */
	guint recover_src;   /* saves the state a second after a change */
	/* --fd-store: the container as a pidfd, and what the service manager
	 * holds of ours (fd number -> its identity). */
	int container_pidfd;
	GHashTable *fd_store;
	/* Taken over from the fd store: the container is not our child. */
	GSource *reparented_src; /* its pidfd */
	guint reaped_src;	 /* then until the exit status is there */
	gint64 reaped_since;
};

struct shim *shim_new(struct tether_opts *opts);
void shim_free(struct shim *shim);

/* Run the whole life cycle; returns the process's exit status. Returns in
 * the daemonized monitor only: the caller's first process _exit()s inside. */
int shim_run(struct shim *shim);

/* Tell the caller about a failure before or instead of a container pid:
 * {"data": -1, "message": "..."} on the sync pipe, if there is one. */
void shim_report_failure(int sync_fd, const struct tether_opts *opts, const char *message);

/* A message on the sync pipe (closed, not fatal, if the caller is gone). */
void shim_sync_send(int *sync_fd, const struct tether_opts *opts, long long value,
		    const char *message);
/* Enter SHIM_FAILED with message (owned), and leave the loop. */
void shim_fail(struct shim *shim, char *message);
/* The container exited with this wait status. */
void shim_container_exited(struct shim *shim, int status);

/* startup.c: the steps before the runtime runs; false with shim->failure set. */
void startup_lower_oom_score(struct shim *shim);
bool startup_wait_start_pipe(struct shim *shim);
bool startup_daemonize(struct shim *shim);
bool startup_tell_attach_ready(struct shim *shim);
void startup_detach_stdio(void);
/* Return freed heap pages and the stack's unused depth to the kernel. */
void startup_release_memory(void);

/* Exit status as conmon reports it: the code, or 128+N for signal N. */
int shim_exit_code(int wait_status);

/* shim_service.c: what the shim tells its service manager (--systemd-notify)
 * and how it stops (--stop-signal, --stop-timeout). setup reads the
 * environment before daemonizing; announce sends MAINPID once the pid is
 * final; the others mark each step. */
bool shim_service_setup(struct shim *shim, GError **error);
void shim_service_announce(struct shim *shim);
void shim_service_created(struct shim *shim);
/* The control socket's "started": NULL, or why not (static). */
const char *shim_service_started(struct shim *shim);
/* SIGTERM, SIGINT or SIGQUIT for the container. */
void shim_service_stop(struct shim *shim, int signo);
/* After a live upgrade: MAINPID and the watchdog again, a stop under way
 * re-armed (stop_left_ms, -1: none). */
void shim_service_adopted(struct shim *shim, int64_t stop_left_ms);
void shim_service_exited(struct shim *shim, int exit_code);
void shim_service_failed(struct shim *shim);
void shim_service_clear(struct shim *shim);
/* health.c: --health-cmd, checks run by the monitor (runtime exec). */
enum health_status { HEALTH_STARTING, HEALTH_HEALTHY, HEALTH_UNHEALTHY };
void health_start(struct shim *shim);
/* True if pid was the running check (then it is accounted for). */
bool health_reap(struct shim *shim, pid_t pid, int wait_status);
/* Add "health" to a state reply (nothing without --health-cmd). */
struct json_object;
void health_state(struct shim *shim, struct json_object *obj);
/* "starting", "healthy", "unhealthy", or NULL without --health-cmd. */
const char *health_status_name(const struct shim *shim);
/* A check is running (a live upgrade waits for it). */
bool health_busy(const struct shim *shim);
/* Live upgrade (upgrade.h): status and streak, and back after the exec
 * (health_start first). */
struct json_object *health_export(const struct shim *shim);
void health_adopt(struct shim *shim, struct json_object *st);
void health_free(struct shim *shim);

/* The container's process is no longer the runtime's init (it was
 * started), or is gone. */
bool shim_container_started(struct shim *shim);

/* SIGKILL to the container and its process group (never ours). */
void shim_kill_container(struct shim *shim);

/* stdio.c: the container's output. */
int stdio_make_pipes(int ret_parent[2], int ret_child[2]);
void stdio_watch(struct shim *shim);
/* Stop (true) or go on (false) reading the container's output: an attach
 * client is far behind. */
void stdio_pause(struct shim *shim, bool pause);
/* Read what is left in the pipes (until EOF or EAGAIN). */
void stdio_drain(struct shim *shim);
void stdio_close(struct shim *shim);

/* shim_io.c: every -l sink, opened now (before daemonizing, so that a log
 * that cannot be opened is an error the caller sees); and the attach socket,
 * the FIFOs and the control socket, made, or adopted from a live upgrade's
 * state st with its fds (none with passthrough: nothing to relay). */
bool shim_open_logs(struct shim *shim, GError **error);
bool shim_open_endpoints(struct shim *shim, struct json_object *st, const struct handover_fds *fds,
			 GError **error);

/* shim_control.c: what the control socket asks of the monitor. */
extern const struct control_ops shim_control_ops;

/* stdin.c: attach clients' input to the container's stdin. */
int stdin_make_pipe(struct shim *shim, int *ret_child_fd);
void stdin_set_fd(struct shim *shim, int fd);
void stdin_close(struct shim *shim);
/* The attach socket's input ops (attach.h). */
size_t stdin_room(void *shim);
void stdin_input(void *shim, const char *buf, size_t len);
void stdin_eof(void *shim);

/* terminal.c: -t, the PTY the runtime makes for the container. */
bool terminal_setup(struct shim *shim, GError **error);
const char *terminal_console_path(const struct shim *shim);
/* After the runtime's create: false if it sent no terminal. */
bool terminal_check(struct shim *shim);
void terminal_resize(struct shim *shim, unsigned rows, unsigned cols);
void terminal_close(struct shim *shim);

/* runtime.c: the OCI runtime's command line and process. */
GStrv runtime_argv(const struct tether_opts *opts, const char *console_socket);
int runtime_spawn(struct shim *shim, char **argv, int child_stdio[3], pid_t *ret_pid);

/* exitfile.c: PERSIST_DIR/exit then EXIT_DIR/CID, and the exit command. */
int exitfile_write_all(const struct tether_opts *opts, int exit_code, GError **error);
/* An empty "oom" file in the bundle (podman 4, CRI-O) and the persist dir
 * (podman 5): the container was killed for lack of memory. */
void exitfile_write_oom(const struct tether_opts *opts);
int exitfile_run_command(const struct tether_opts *opts, int oom_score_adj,
			 bool have_oom_score_adj);

#endif
