/* A shim's fds back from systemd's fd store (tether --fd-store): when the
 * service manager restarts a unit whose shim was killed, `tetherctl run`
 * is its ExecStart= again and gets what the shim stored (LISTEN_FDS,
 * LISTEN_FDNAMES, sd_listen_fds(3)): its saved states ("tether-state-0",
 * "-1", memfds) and each fd they name ("tether-fd-N", N its number in the
 * shim). It puts every fd back at its number and becomes the shim:
 * tether with the state's own argv and --adopt-state, as a crash recovery
 * would (docs/crash-recovery.md). */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl_fdstore.h"
#include "tether/ctl.h"
#include "tether/ctl_state.h"
#include "tether/fileio.h"
#include "tether/jsonutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FDSTORE_STATE "tether-state-"
#define FDSTORE_FD    "tether-fd-"
/* The highest fd number a shim's state may name, and so we take. */
#define FDSTORE_MAX 1024
#define STATE_MAX   (16 << 20)

static json_object *read_state(int fd)
{
	struct stat sb;
	if (fstat(fd, &sb) < 0 || sb.st_size <= 0 || sb.st_size > STATE_MAX)
		return NULL;
	g_autofree char *text = g_malloc((size_t)sb.st_size + 1);
	if (pread(fd, text, (size_t)sb.st_size, 0) != sb.st_size)
		return NULL;
	text[sb.st_size] = '\0';
	json_object *st = json_tokener_parse(text);
	json_object *argv;
	if (st == NULL || !json_object_is_type(st, json_type_object) ||
	    !json_object_object_get_ex(st, "argv", &argv) ||
	    !json_object_is_type(argv, json_type_array) || json_object_array_length(argv) < 2) {
		json_object_put(st);
		return NULL;
	}
	return st;
}

static int64_t get_int(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* The state's argv names container id (as -c/--cid ID or --cid=ID). */
static bool names_id(json_object *argv, const char *id)
{
	for (size_t i = 1; i < json_object_array_length(argv); i++) {
		const char *a = json_object_get_string(json_object_array_get_idx(argv, i));
		const char *next =
			i + 1 < json_object_array_length(argv)
				? json_object_get_string(json_object_array_get_idx(argv, i + 1))
				: NULL;
		if ((g_strcmp0(a, "-c") == 0 || g_strcmp0(a, "--cid") == 0) &&
		    g_strcmp0(next, id) == 0)
			return true;
		if (g_str_has_prefix(a, "--cid=") && strcmp(a + strlen("--cid="), id) == 0)
			return true;
	}
	return false;
}

static void close_received(int n)
{
	for (int i = 0; i < n; i++)
		close(3 + i);
}

int ctl_fdstore_adopt(const struct ctl_context *ctx, const char *id, GError **error)
{
	const char *pid = g_getenv("LISTEN_PID"), *nfds = g_getenv("LISTEN_FDS");
	const char *names = g_getenv("LISTEN_FDNAMES");
	if (pid == NULL || nfds == NULL || names == NULL || atol(pid) != (long)getpid())
		return 0;
	int n = atoi(nfds);
	g_auto(GStrv) name = g_strsplit(names, ":", -1);
	if (n <= 0 || n > 1024 || g_strv_length(name) != (guint)n)
		return 0;
	/* The newest state that is this container's. */
	g_autoptr(json_object) st = NULL;
	int state_fd = -1;
	for (int i = 0; i < n; i++) {
		if (!g_str_has_prefix(name[i], FDSTORE_STATE))
			continue;
		json_object *cand = read_state(3 + i);
		json_object *argv;
		if (cand == NULL || !json_object_object_get_ex(cand, "argv", &argv) ||
		    !names_id(argv, id) ||
		    (st != NULL && get_int(cand, "saved_at") <= get_int(st, "saved_at"))) {
			json_object_put(cand);
			continue;
		}
		json_object_put(st);
		st = cand;
		state_fd = 3 + i;
	}
	if (st == NULL) {
		close_received(n);
		return 0;
	}
	/* Every fd up out of the way (above the numbers wanted), then down to
	 * the number the shim had. */
	int want[1024], high[1024];
	int top = 2, base = 3 + n;
	for (int i = 0; i < n; i++) {
		char *end = NULL;
		long w = g_str_has_prefix(name[i], FDSTORE_FD)
				 ? strtol(name[i] + strlen(FDSTORE_FD), &end, 10)
				 : -1;
		want[i] = end != NULL && *end == '\0' && w >= 3 && w < FDSTORE_MAX ? (int)w : -1;
		base = MAX(base, want[i] + 1);
	}
	for (int i = 0; i < n; i++) {
		high[i] = fcntl(3 + i, F_DUPFD_CLOEXEC, base);
		if (high[i] < 0) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED,
				    "cannot take the fd store's fds: %s", g_strerror(errno));
			return -1;
		}
		close(3 + i);
	}
	for (int i = 0; i < n; i++)
		if (want[i] >= 0 && dup2(high[i], want[i]) == want[i])
			top = MAX(top, want[i]);
	/* The state last, above them all. */
	int adopt_fd = fcntl(high[state_fd - 3], F_DUPFD, top + 1);
	for (int i = 0; i < n; i++)
		close(high[i]);
	if (adopt_fd < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot take the state: %s",
			    g_strerror(errno));
		return -1;
	}

	/* We become the shim: its pid, for tetherctl and the pidfile. */
	g_autofree char *cdir = ctl_container_dir(ctx, id);
	struct ctl_state cst = {0};
	if (ctl_state_load(cdir, &cst) == 0) {
		cst.shim_pid = getpid();
		(void)ctl_state_save(cdir, &cst);
	}
	ctl_state_clear(&cst);
	g_autofree char *pidfile = g_build_filename(cdir, "shim.pid", NULL);
	g_autofree char *mypid = g_strdup_printf("%d", (int)getpid());
	(void)fileio_write_atomic(pidfile, mypid, strlen(mypid), 0644);

	json_object *argv;
	json_object_object_get_ex(st, "argv", &argv);
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	for (size_t i = 0; i < json_object_array_length(argv); i++) {
		const char *arg = json_object_get_string(json_object_array_get_idx(argv, i));
		if (g_str_has_prefix(arg, "--adopt-state=") ||
		    g_str_has_prefix(arg, "--recovered-from="))
			continue;
		g_ptr_array_add(a, g_strdup(arg));
	}
	g_ptr_array_add(a, g_strdup_printf("--adopt-state=%d", adopt_fd));
	g_ptr_array_add(a, g_strdup("--recovered-from=9")); /* SIGKILL, we may assume */
	g_ptr_array_add(a, NULL);
	g_unsetenv("LISTEN_PID");
	g_unsetenv("LISTEN_FDS");
	g_unsetenv("LISTEN_FDNAMES");
	diag_info("taking container %s over from the fd store: exec %s", id,
		  (const char *)a->pdata[0]);
	execv(a->pdata[0], (char **)a->pdata);
	g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot execute the shim %s: %s",
		    (const char *)a->pdata[0], g_strerror(errno));
	g_ptr_array_unref(a);
	return -1;
}
