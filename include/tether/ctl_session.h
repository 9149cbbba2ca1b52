/* ctl_session: one attached session, what run and attach share: relay the
 * attach socket's packets to stdout/stderr and our stdin to the socket,
 * with a raw local terminal, window size and detach keys when the container
 * has a terminal, then the container's exit code from its exit file.
 *
 * Signals arrive on a signalfd (blocked for good), so the terminal is
 * restored in one place whatever ends the session. */
#ifndef TETHER_CTL_SESSION_H
#define TETHER_CTL_SESSION_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "tether/ctl.h"

/* docker's and podman's default. */
#define CTL_DETACH_KEYS_DEFAULT "ctrl-p,ctrl-q"

/* After this many SIGINT/SIGTERM (each forwarded to the container)
 * tetherctl stops relaying and leaves the container to its shim: a pid 1
 * without a handler ignores them, and a person needs a way out. */
#define CTL_SESSION_SIGNALS_TO_DETACH 3

/* After the attach socket's EOF the shim writes the exit file at once;
 * conmon's callers give it 5 s, we give it a little more. */
#define CTL_SESSION_EXIT_WAIT_MS 10000

/* "ctrl-p,ctrl-q", "ctrl-a,d", "x": comma-separated keys, each one
 * character or ctrl-X (X in a-z, @ [ \ ] ^ _). "" gives no keys (detaching
 * by keys is off). ret_keys is g_malloc'd. 0 or -EINVAL. */
int ctl_detach_keys_parse(const char *spec, char **ret_keys, size_t *ret_len);

/* Watching typed input for the detach keys. A byte that could begin or
 * continue the sequence is held back; when the sequence breaks, what was
 * held is passed on. */
struct ctl_detach {
	const char *keys;
	size_t len; /* 0: never detach */
	size_t matched;
};

/* Feed len bytes of input: what is to be sent goes into out. Returns the
 * bytes consumed: len, or fewer when the sequence completed (detach: the
 * rest is dropped; *ret_detach set). */
size_t ctl_detach_feed(struct ctl_detach *d, const char *in, size_t len, GString *out,
		       bool *ret_detach);

struct ctl_session_opts {
	int in_fd;	  /* relayed to the socket; -1: none */
	bool terminal;	  /* the container has a terminal */
	bool start;	  /* run the runtime's start once ready (run) */
	const char *keys; /* detach keys */
	size_t keys_len;
	/* exec: signals go to this pid rather than to the container (0). */
	int signal_pid;
	/* exec: NULL reads the container's exit file; else the exit code
	 * once the output has ended (0 and *ret_code, or -errno). */
	int (*exit_fn)(void *data, int timeout_ms, int *ret_code);
	void *exit_data;
};

/* Run the session on the connected attach socket afd (taken over and
 * closed). Returns the container's exit code, 0 after detaching by keys,
 * or -1 with *error (also when signals made us leave the container). */
int ctl_session_run(struct ctl_context *ctx, const char *id, const char *cdir, int afd,
		    const struct ctl_session_opts *opts, GError **error);

#endif
