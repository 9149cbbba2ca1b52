/* events: the containers' events as JSON lines, each with its container id.
 *
 * Without --follow: the events known now, read from the state directory:
 * an "exited" event (exit_code, time: when the exit file was written) for
 * each container that has exited; nothing for the others.
 *
 * With --follow: subscribe to the control socket of each container's shim
 * (every container, or the ids given) and print each event as it arrives,
 * until interrupted (SIGINT, SIGTERM) or, with ids given, until each of
 * their shims has gone. Without ids, ROOT/containers is watched with
 * inotify, so containers created later are followed too: their control
 * socket is subscribed to as soon as the shim binds it. The shim sends
 * "created" before anyone can subscribe, so a follower sees it only for
 * containers that were in the middle of being created. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl.h"
#include "tether/ctl_control.h"
#include "tether/ctl_exit.h"
#include "tether/ctl_fs.h"
#include "tether/ctl_state.h"
#include "tether/fdutil.h"
#include "tether/jsonutil.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define CTL_EVENTS_SUBSCRIBE_TIMEOUT_MS 5000
#define CTL_EVENTS_RETRY_MS		250

struct follower {
	char *id;
	int wd; /* inotify watch on its directory, -1: none */
	struct ctl_control conn;
	bool done; /* subscribed once and the shim has gone */
};

struct events {
	struct ctl_context *ctx;
	GPtrArray *followers; /* struct follower */
	int ifd;	      /* inotify, -1 with ids given */
	int root_wd;
};

static void follower_free(gpointer p)
{
	struct follower *f = p;
	ctl_control_close(&f->conn);
	g_free(f->id);
	g_free(f);
}

static void print_event(const char *id, json_object *ev)
{
	json_object_object_add(ev, "id", json_object_new_string(id));
	printf("%s\n", json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
}

/* The "exited" event from the exit file, or NULL. */
static json_object *exited_event(const char *cdir, const char *id)
{
	int code = 0;
	if (ctl_exit_read(cdir, id, &code) < 0)
		return NULL;
	json_object *ev = json_object_new_object();
	json_object_object_add(ev, "event", json_object_new_string("exited"));
	g_autofree char *path = g_build_filename(cdir, "exits", id, NULL);
	struct stat sb;
	if (stat(path, &sb) == 0) {
		g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(sb.st_mtime);
		g_autofree char *text = t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ") : NULL;
		if (text != NULL)
			json_object_object_add(ev, "time", json_object_new_string(text));
	}
	json_object_object_add(ev, "exit_code", json_object_new_int(code));
	return ev;
}

static struct follower *find_follower(struct events *ev, const char *id)
{
	for (guint i = 0; i < ev->followers->len; i++) {
		struct follower *f = ev->followers->pdata[i];
		if (strcmp(f->id, id) == 0)
			return f;
	}
	return NULL;
}

/* Subscribe f if its shim serves the control socket now; quietly not yet
 * otherwise (no socket, or an exited shim: nothing more will come). */
static void try_subscribe(struct events *ev, struct follower *f)
{
	if (f->conn.fd >= 0 || f->done)
		return;
	g_autofree char *cdir = ctl_container_dir(ev->ctx, f->id);
	int code = 0;
	if (ctl_control_open(cdir, &f->conn) < 0) {
		/* Exited, and the shim gone: nothing more will come. */
		if (ctl_exit_read(cdir, f->id, &code) == 0)
			f->done = true;
		return;
	}
	g_autoptr(json_object) req = json_object_new_object();
	json_object_object_add(req, "request", json_object_new_string("subscribe"));
	if (ctl_control_send(&f->conn, req) < 0) {
		ctl_control_close(&f->conn);
		return;
	}
	/* Lines before the reply cannot be events for us; events after it
	 * stay buffered for the main loop. */
	json_object *reply = NULL;
	int r;
	while ((r = ctl_control_read(&f->conn, CTL_EVENTS_SUBSCRIBE_TIMEOUT_MS, &reply)) > 0 &&
	       !json_object_object_get_ex(reply, "ok", NULL))
		g_clear_pointer(&reply, json_object_put);
	json_object *ok = NULL;
	if (r <= 0 || !json_object_object_get_ex(reply, "ok", &ok) ||
	    !json_object_get_boolean(ok)) {
		diag_debug("cannot subscribe to the shim of %s", f->id);
		ctl_control_close(&f->conn);
	}
	json_object_put(reply);
}

static struct follower *add_follower(struct events *ev, const char *id)
{
	struct follower *f = find_follower(ev, id);
	if (f == NULL) {
		f = g_new0(struct follower, 1);
		f->id = g_strdup(id);
		f->wd = -1;
		f->conn.fd = -1;
		g_ptr_array_add(ev->followers, f);
	}
	if (ev->ifd >= 0 && f->wd < 0) {
		/* Before connecting, so a socket bound in between is seen. */
		g_autofree char *cdir = ctl_container_dir(ev->ctx, id);
		f->wd = inotify_add_watch(ev->ifd, cdir, IN_CREATE | IN_ONLYDIR);
	}
	try_subscribe(ev, f);
	return f;
}

/* Print what f's connection has buffered; close it at EOF. */
static void drain(struct follower *f, bool eof)
{
	json_object *obj = NULL;
	int r;
	while ((r = ctl_control_next(&f->conn, &obj)) > 0) {
		if (json_object_object_get_ex(obj, "event", NULL))
			print_event(f->id, obj);
		json_object_put(obj);
	}
	if (r < 0 || eof) {
		ctl_control_close(&f->conn);
		f->done = true;
	}
}

static void handle_inotify(struct events *ev)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n = read(ev->ifd, buf, sizeof(buf));
	for (char *p = buf; n > 0 && p < buf + n;) {
		const struct inotify_event *ie = (const struct inotify_event *)p;
		p += sizeof(*ie) + ie->len;
		if (ie->len == 0)
			continue;
		if (ie->wd == ev->root_wd) {
			if ((ie->mask & IN_ISDIR) && ctl_id_valid(ie->name))
				add_follower(ev, ie->name);
			continue;
		}
		/* Any change in a container's directory: the shim binds the
		 * socket before it listens, so "control" appearing is not enough. */
		for (guint i = 0; i < ev->followers->len; i++) {
			struct follower *f = ev->followers->pdata[i];
			if (f->wd == ie->wd)
				try_subscribe(ev, f);
		}
	}
}

static int follow(struct events *ev, bool ids_given, GError **error)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGPIPE);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	_cleanup_close_ int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "signalfd: %s", g_strerror(errno));
		return -1;
	}
	for (;;) {
		g_autofree struct pollfd *pfds = g_new0(struct pollfd, ev->followers->len + 2);
		nfds_t n = 0;
		pfds[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
		if (ev->ifd >= 0)
			pfds[n++] = (struct pollfd){.fd = ev->ifd, .events = POLLIN};
		bool pending = false, unsubscribed = false;
		for (guint i = 0; i < ev->followers->len; i++) {
			struct follower *f = ev->followers->pdata[i];
			pfds[n++] = (struct pollfd){.fd = f->conn.fd, .events = POLLIN};
			if (!f->done)
				pending = true;
			if (!f->done && f->conn.fd < 0)
				unsubscribed = true;
		}
		if (ids_given && !pending)
			return 0;
		/* A shim still starting: retry now and then as well. */
		int pr = poll(pfds, n, unsubscribed ? CTL_EVENTS_RETRY_MS : -1);
		if (pr == 0) {
			for (guint i = 0; i < ev->followers->len; i++)
				try_subscribe(ev, ev->followers->pdata[i]);
			continue;
		}
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "poll: %s",
				    g_strerror(errno));
			return -1;
		}
		if (pfds[0].revents)
			return 0;
		nfds_t k = 1;
		if (ev->ifd >= 0 && pfds[k++].revents)
			handle_inotify(ev);
		/* handle_inotify may have added followers after the polled ones. */
		for (guint i = 0; k < n; i++, k++) {
			struct follower *f = ev->followers->pdata[i];
			if (pfds[k].revents == 0 || f->conn.fd < 0)
				continue;
			int r = ctl_control_fill(&f->conn);
			drain(f, r == 0 || (r < 0 && r != -EAGAIN));
		}
	}
}

int ctl_events_main(struct ctl_context *ctx, int argc, char **argv, GError **error)
{
	gboolean follow_opt = FALSE;
	const GOptionEntry entries[] = {
		{"follow", 'f', 0, G_OPTION_ARG_NONE, &follow_opt,
		 "Follow the shims' events until interrupted", NULL},
		G_OPTION_ENTRY_NULL,
	};
	bool help;
	if (!ctl_parse_options("events", "[ID...]",
			       "Print container events as JSON lines: exits known now, or with "
			       "--follow each event as the shims send it.",
			       entries, false, &argc, &argv, &help, error))
		return -1;
	if (help)
		return 0;
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	for (int i = 1; i < argc; i++) {
		g_autofree char *cdir = ctl_lookup_container(ctx, argv[i], error);
		if (cdir == NULL)
			return -1;
		g_ptr_array_add(ids, g_strdup(argv[i]));
	}
	g_autofree char *dir = ctl_containers_dir(ctx);
	struct events ev = {.ctx = ctx, .ifd = -1, .root_wd = -1};
	if (follow_opt && argc == 1) {
		int r = ctl_fs_mkdir_p(dir, 0700);
		ev.ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (r < 0 || ev.ifd < 0 ||
		    (ev.root_wd = inotify_add_watch(ev.ifd, dir,
						    IN_CREATE | IN_MOVED_TO | IN_ONLYDIR)) < 0) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot watch %s: %s", dir,
				    g_strerror(r < 0 ? -r : errno));
			if (ev.ifd >= 0)
				close(ev.ifd);
			return -1;
		}
	}
	if (argc == 1) {
		DIR *d = opendir(dir);
		struct dirent *de;
		while (d != NULL && (de = readdir(d)) != NULL)
			if (de->d_type == DT_DIR && ctl_id_valid(de->d_name))
				g_ptr_array_add(ids, g_strdup(de->d_name));
		if (d != NULL)
			closedir(d);
	}
	if (!follow_opt) {
		for (guint i = 0; i < ids->len; i++) {
			g_autofree char *cdir = ctl_container_dir(ctx, ids->pdata[i]);
			g_autoptr(json_object) e = exited_event(cdir, ids->pdata[i]);
			if (e != NULL)
				print_event(ids->pdata[i], e);
		}
		return 0;
	}
	ev.followers = g_ptr_array_new_with_free_func(follower_free);
	for (guint i = 0; i < ids->len; i++) {
		struct follower *f = add_follower(&ev, ids->pdata[i]);
		/* A given container whose shim is not serving: nothing to wait for. */
		if (argc > 1 && f->conn.fd < 0)
			f->done = true;
	}
	int ret = follow(&ev, argc > 1, error);
	g_ptr_array_free(ev.followers, TRUE);
	if (ev.ifd >= 0)
		close(ev.ifd);
	return ret;
}
