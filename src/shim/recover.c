#define G_LOG_DOMAIN "recover"

/* Crash recovery (recover.h). While the container runs, the shim keeps its
 * state (upgrade_export without connections) in one of two memfds, saved a
 * second after anything in it changes, and a handler for the signals of a
 * crash. The handler does only what is async-signal-safe and was prepared
 * beforehand: it clears FD_CLOEXEC on the fds the current state names and
 * execs /proc/self/exe with argv + --adopt-state=MEMFD --recovered-from=SIG.
 * The new image adopts as after a live upgrade (shim.c): an fd closed and
 * its number reused since the save is left out there (handover.h), and
 * recover_check counts the deadlines down by the time since the save.
 *
 * Not recovered from: a crash within RECOVER_MIN_UP_US of a recovery (the
 * same crash again would loop), a SIGABRT that another process sent (the
 * watchdog of systemd, someone after a core dump), a crash after the
 * container exited. Those die of the signal, with its core dump, as before. */

#include "tether/recover.h"
#include "tether/diag.h"
#include "tether/fdsource.h"
#include "tether/fdutil.h"
#include "tether/handover.h"
#include "tether/jsonutil.h"
#include "tether/sdnotify.h"
#include "tether/signame.h"
#include "tether/upgrade.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define RECOVER_MIN_UP_US    (10 * G_USEC_PER_SEC)
#define RECOVER_SAVE_DELAY_S 1
/* The handler writes the memfd's number and the signal's into these. */
#define ADOPT_STATE    "--adopt-state=          "
#define RECOVERED_FROM "--recovered-from=  "

static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS, SIGABRT};

/* One of two saved states: the handler execs with the current one while the
 * main loop writes the other. */
struct slot {
	int memfd;
	int *fds; /* the fds the state names, to keep open across the exec */
	size_t nfds;
};

/* The one mutable global besides the log level (STYLE.md): a signal handler
 * reaches nothing else. The main loop writes only the slot that is not
 * current, then switches; the handler only reads, and fills in argv. */
static struct {
	struct slot slot[2];
	volatile sig_atomic_t current; /* -1: disarmed */
	char **argv;		       /* ours, then ADOPT_STATE, RECOVERED_FROM */
	char **envp;		       /* NULL: environ as it is */
	gint64 recovered_at;	       /* monotonic µs; 0 if this image is no recovery */
} rec = {.slot = {{.memfd = -1}, {.memfd = -1}}, .current = -1};

/* n in the blanks that end arg, right-aligned (strtol skips the blanks). */
static void put_number(char *arg, unsigned n)
{
	char *p = arg + strlen(arg);
	do {
		*--p = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0 && p[-1] == ' ');
}

static void on_crash(int sig, siginfo_t *si, void *context)
{
	(void)context;
	int cur = rec.current;
	bool sent = si != NULL && si->si_code <= 0 && si->si_pid != getpid();
	struct timespec now;
	if (cur >= 0 && !(sig == SIGABRT && sent) && clock_gettime(CLOCK_MONOTONIC, &now) == 0 &&
	    (rec.recovered_at == 0 ||
	     (gint64)now.tv_sec * G_USEC_PER_SEC + now.tv_nsec / 1000 - rec.recovered_at >=
		     RECOVER_MIN_UP_US)) {
		struct slot *sl = &rec.slot[cur];
		for (size_t i = 0; i < sl->nfds; i++)
			(void)fcntl(sl->fds[i], F_SETFD, 0);
		(void)fcntl(sl->memfd, F_SETFD, 0);
		size_t n = 0;
		while (rec.argv[n] != NULL)
			n++;
		put_number(rec.argv[n - 2], (unsigned)sl->memfd);
		put_number(rec.argv[n - 1], (unsigned)sig);
		static const char msg[] = "tether: crashed: re-executing to keep the container\n";
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		execve("/proc/self/exe", rec.argv, rec.envp != NULL ? rec.envp : environ);
	}
	/* Die of it as without us: the default action, and its core dump. */
	signal(sig, SIG_DFL);
	raise(sig);
}

/* --- systemd's fd store (--fd-store) ------------------------------------------ */

#define FDSTORE_STATE "tether-state-"
#define FDSTORE_FD    "tether-fd-"

static void fdstore_remove(struct shim *s, const char *name)
{
	g_autofree char *text = g_strdup_printf("FDSTOREREMOVE=1\nFDNAME=%s", name);
	(void)sdnotify_send(s->sd, text);
}

static void fdstore_add(struct shim *s, const char *name, int fd)
{
	g_autofree char *text = g_strdup_printf("FDSTORE=1\nFDNAME=%s", name);
	(void)sdnotify_send_fd(s->sd, text, fd);
}

/* The service manager holds the fds the state names (by their number: a
 * restarted shim gets them back at it, see tetherctl run), as they are now. */
static void fdstore_sync(struct shim *s, json_object *ids)
{
	if (!s->opts->fd_store || s->sd == NULL)
		return;
	if (s->fd_store == NULL)
		s->fd_store = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, s->fd_store);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		json_object *now;
		if (json_object_object_get_ex(ids, key, &now) &&
		    g_strcmp0(json_object_get_string(now), value) == 0)
			continue;
		g_autofree char *name = g_strconcat(FDSTORE_FD, (const char *)key, NULL);
		fdstore_remove(s, name);
		g_hash_table_iter_remove(&it);
	}
	json_object_object_foreach(ids, fd, id)
	{
		if (g_hash_table_contains(s->fd_store, fd))
			continue;
		g_autofree char *name = g_strconcat(FDSTORE_FD, fd, NULL);
		fdstore_add(s, name, atoi(fd));
		g_hash_table_insert(s->fd_store, g_strdup(fd),
				    g_strdup(json_object_get_string(id)));
	}
}

/* The states, anew (an earlier image's are gone with it); or none. */
static void fdstore_states(struct shim *s, bool add)
{
	if (!s->opts->fd_store || s->sd == NULL)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(rec.slot); i++) {
		char name[32];
		snprintf(name, sizeof(name), FDSTORE_STATE "%zu", i);
		fdstore_remove(s, name);
		if (add)
			fdstore_add(s, name, rec.slot[i].memfd);
	}
}

/* Nothing of ours stays with the service manager: the container is gone. */
static void fdstore_clear(struct shim *s)
{
	if (s->fd_store == NULL)
		return;
	GHashTableIter it;
	gpointer key;
	g_hash_table_iter_init(&it, s->fd_store);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		g_autofree char *name = g_strconcat(FDSTORE_FD, (const char *)key, NULL);
		fdstore_remove(s, name);
	}
	g_clear_pointer(&s->fd_store, g_hash_table_unref);
	fdstore_states(s, false);
}

static bool save(struct shim *s)
{
	int next = rec.current == 0 ? 1 : 0;
	struct slot *sl = &rec.slot[next];
	g_autoptr(GArray) keep = g_array_new(FALSE, FALSE, sizeof(int));
	g_autoptr(json_object) st = upgrade_export(s, "", keep, false);
	json_object_object_add(st, "saved_at", json_object_new_int64(g_get_monotonic_time()));
	size_t len;
	const char *text = json_object_to_json_string_length(st, JSON_C_TO_STRING_PLAIN, &len);
	int r = 0;
	if (ftruncate(sl->memfd, 0) < 0 || lseek(sl->memfd, 0, SEEK_SET) < 0)
		r = -errno;
	if (r == 0)
		r = fdutil_write_all(sl->memfd, text, len);
	if (r < 0) {
		diag_warn("Failed to save the state for crash recovery: %s", g_strerror(-r));
		return false;
	}
	g_free(sl->fds);
	sl->nfds = keep->len;
	sl->fds = g_memdup2(keep->data, keep->len * sizeof(int));
	rec.current = next;
	fdstore_sync(s, handover_get(st, "fd_ids", json_type_object));
	return true;
}

static gboolean on_save(gpointer data)
{
	struct shim *s = data;
	s->recover_src = 0;
	(void)save(s);
	return G_SOURCE_REMOVE;
}

static void set_handlers(bool on)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};
	if (on) {
		/* Reset and not deferred: a fault in the handler itself kills. */
		sa.sa_sigaction = on_crash;
		sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
	}
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < G_N_ELEMENTS(crash_signals); i++)
		(void)sigaction(crash_signals[i], &sa, NULL);
}

static void free_slots(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(rec.slot); i++) {
		struct slot *sl = &rec.slot[i];
		fdutil_close(&sl->memfd);
		g_clear_pointer(&sl->fds, g_free);
		sl->nfds = 0;
	}
	g_clear_pointer(&rec.argv, g_strfreev);
	g_clear_pointer(&rec.envp, g_strfreev);
}

void recover_arm(struct shim *s)
{
	if (s->opts->exec || s->argv == NULL || s->state != SHIM_RUNNING || rec.current >= 0)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(rec.slot); i++) {
		if ((rec.slot[i].memfd = memfd_create("tether-recover", MFD_CLOEXEC)) < 0) {
			diag_warn("No crash recovery: memfd_create: %s", g_strerror(errno));
			free_slots();
			return;
		}
	}
	rec.argv = upgrade_argv(s->argv, (const char *const[]){ADOPT_STATE, RECOVERED_FROM, NULL});
	/* The service manager's variables, if we took them out of environ. */
	if (s->sd != NULL)
		rec.envp = sdnotify_environ(s->sd, g_get_environ());
	rec.recovered_at = s->opts->recovered_from > 0 ? g_get_monotonic_time() : 0;
	fdstore_states(s, true);
	if (!save(s)) {
		fdstore_states(s, false);
		free_slots();
		return;
	}
	set_handlers(true);
}

void recover_touch(struct shim *s)
{
	if (rec.current >= 0 && s->recover_src == 0)
		s->recover_src = g_timeout_add_seconds(RECOVER_SAVE_DELAY_S, on_save, s);
}

void recover_save(struct shim *s)
{
	if (rec.current < 0)
		return;
	if (s->recover_src != 0) {
		g_source_remove(s->recover_src);
		s->recover_src = 0;
	}
	(void)save(s);
}

void recover_disarm(struct shim *s)
{
	if (s->recover_src != 0) {
		g_source_remove(s->recover_src);
		s->recover_src = 0;
	}
	if (rec.current < 0)
		return;
	rec.current = -1;
	set_handlers(false);
	if (s->state == SHIM_EXITED)
		fdstore_clear(s);
	free_slots();
}

/* --- the new image ---------------------------------------------------------- */

/* A time left in st, less the time since the save (-1: none). */
static void count_down(json_object *st, const char *key, int64_t elapsed_ms)
{
	int64_t left = handover_get_int(st, key, -1);
	if (left >= 0)
		json_object_object_add(st, key, json_object_new_int64(MAX(left - elapsed_ms, 0)));
}

void recover_check(struct shim *s, json_object *st)
{
	int64_t saved_at = handover_get_int(st, "saved_at", 0);
	int64_t elapsed_ms = saved_at > 0 ? MAX(g_get_monotonic_time() - saved_at, 0) / 1000 : 0;
	count_down(st, "timeout_left_ms", elapsed_ms);
	count_down(st, "stop_left_ms", elapsed_ms);
	s->recoveries++;
}

void recover_adopted(struct shim *s)
{
	const char *name = signame_name(s->opts->recovered_from);
	g_autofree char *sig = name != NULL ? g_strconcat("SIG", name, NULL)
					    : g_strdup_printf("%d", s->opts->recovered_from);
	diag_error("recovered from a crash (%s): container %d kept; attach clients and control "
		   "connections were cut",
		   sig, s->container_pid);
}

/* --- a container that is not our child -------------------------------------- */

/* PIDFD_GET_INFO (Linux 6.13) and its PIDFD_INFO_EXIT (6.15), which Debian's
 * headers predate: the layout of <linux/pidfd.h>. */
struct pidfd_info {
	uint64_t mask;
	uint64_t cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	int32_t exit_code;
};
#define PIDFD_GET_INFO	_IOWR(0xFF, 11, struct pidfd_info)
#define PIDFD_INFO_EXIT (1UL << 3)
/* How long the service manager may take to reap it. */
#define REAPED_WAIT_MS 3000
#define REAPED_POLL_MS 10

static pid_t parent_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	g_autofree char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -1;
	/* "PID (COMM) S PPID ...": COMM may hold anything but ends at the last ')'. */
	const char *p = strrchr(text, ')');
	int ppid;
	if (p == NULL || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

static gboolean on_reaped(gpointer data)
{
	struct shim *s = data;
	struct pidfd_info info = {.mask = PIDFD_INFO_EXIT};
	bool known = ioctl(s->container_pidfd, PIDFD_GET_INFO, &info) == 0 &&
		     (info.mask & PIDFD_INFO_EXIT);
	gint64 waited_ms = (g_get_monotonic_time() - s->reaped_since) / 1000;
	if (!known && waited_ms < REAPED_WAIT_MS)
		return G_SOURCE_CONTINUE;
	s->reaped_src = 0;
	int status = info.exit_code;
	if (!known) {
		diag_error("container %d exited, but its exit code is lost: its parent, a shim "
			   "that was killed, is gone, and this kernel keeps no exit status for a "
			   "pidfd (Linux 6.15 does): reporting 255",
			   s->container_pid);
		status = 255 << 8;
	}
	shim_container_exited(s, status);
	return G_SOURCE_REMOVE;
}

static gboolean on_container_gone(gint fd, GIOCondition cond, gpointer data)
{
	struct shim *s = data;
	g_clear_pointer(&s->reparented_src, g_source_unref);
	/* Its exit status is the pidfd's once its new parent reaped it. */
	s->reaped_since = g_get_monotonic_time();
	if (on_reaped(s) == G_SOURCE_CONTINUE)
		s->reaped_src = g_timeout_add(REAPED_POLL_MS, on_reaped, s);
	return G_SOURCE_REMOVE;
}

void recover_watch_reparented(struct shim *s)
{
	if (s->container_pid <= 0 || parent_of(s->container_pid) == getpid())
		return;
	if (s->container_pidfd < 0)
		s->container_pidfd = fdutil_pidfd_open(s->container_pid);
	if (s->container_pidfd < 0) {
		diag_error("container %d is not ours to reap, and pidfd_open: %s: taken as exited",
			   s->container_pid, g_strerror(-s->container_pidfd));
		shim_container_exited(s, 255 << 8);
		return;
	}
	diag_warn("container %d was taken over from the service manager's fd store: it is not "
		  "our child (its shim was killed)",
		  s->container_pid);
	s->reparented_src = fdsource_new(s->container_pidfd, G_IO_IN, on_container_gone, s);
}
