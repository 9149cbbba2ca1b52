#define G_LOG_DOMAIN "handover"

#include "tether/handover.h"
#include "tether/diag.h"
#include "tether/fdutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct handover_fds {
	/* The fds that are still the files the state names; NULL for the
	 * state of a tether that wrote no fd_ids: any fd open is taken. */
	GHashTable *valid;
};

int handover_keep_fd(GArray *keep, int fd)
{
	if (fd < 0)
		return -1;
	g_array_append_val(keep, fd);
	return fd;
}

json_object *handover_get(json_object *o, const char *key, json_type type)
{
	json_object *v;
	if (o == NULL || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* "dev:ino", or "-" if fd is not open. */
static void fd_id(int fd, char *buf, size_t size)
{
	struct stat sb;
	if (fstat(fd, &sb) < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%ju:%ju", (uintmax_t)sb.st_dev, (uintmax_t)sb.st_ino);
}

void handover_add_fd_ids(json_object *st, GArray *keep)
{
	json_object *ids = json_object_new_object();
	for (guint i = 0; i < keep->len; i++) {
		int fd = g_array_index(keep, int, i);
		char key[16], id[48];
		snprintf(key, sizeof(key), "%d", fd);
		fd_id(fd, id, sizeof(id));
		json_object_object_add(ids, key, json_object_new_string(id));
	}
	json_object_object_add(st, "fd_ids", ids);
}

struct handover_fds *handover_fds_new(json_object *st)
{
	struct handover_fds *h = g_new0(struct handover_fds, 1);
	json_object *ids = handover_get(st, "fd_ids", json_type_object);
	if (ids == NULL)
		return h;
	h->valid = g_hash_table_new(NULL, NULL);
	json_object_object_foreach(ids, key, val)
	{
		char *end;
		long fd = strtol(key, &end, 10);
		if (*end != '\0' || fd < 3 || fd > G_MAXINT)
			continue;
		char id[48];
		fd_id((int)fd, id, sizeof(id));
		if (g_strcmp0(id, json_object_get_string(val)) == 0) {
			g_hash_table_add(h->valid, GINT_TO_POINTER((int)fd));
			continue;
		}
		diag_warn("fd %ld is no longer what the state names: left out", fd);
		/* Open without FD_CLOEXEC: the old image's, its number reused
		 * since the save and kept by the exec, and nobody's now. With
		 * it: one this binary opened itself, at a free number. */
		int flags = fcntl((int)fd, F_GETFD);
		if (flags >= 0 && !(flags & FD_CLOEXEC))
			close((int)fd);
	}
	return h;
}

void handover_fds_free(struct handover_fds *h)
{
	if (h == NULL)
		return;
	if (h->valid != NULL)
		g_hash_table_unref(h->valid);
	g_free(h);
}

int handover_get_fd(const struct handover_fds *h, json_object *o, const char *key)
{
	return handover_to_fd(h, handover_get(o, key, json_type_int));
}

int handover_to_fd(const struct handover_fds *h, json_object *v)
{
	if (v == NULL || !json_object_is_type(v, json_type_int))
		return -1;
	int64_t fd = json_object_get_int64(v);
	/* Never stdio: no handed-over fd is one, and a state that says so is
	 * wrong. */
	if (fd < 3 || fd > G_MAXINT || fcntl((int)fd, F_GETFD) < 0)
		return -1;
	if (h->valid != NULL && !g_hash_table_contains(h->valid, GINT_TO_POINTER((int)fd)))
		return -1;
	(void)fdutil_set_cloexec((int)fd, true);
	return (int)fd;
}

json_object *handover_bytes(const void *data, size_t len)
{
	g_autofree char *b64 = g_base64_encode(data, len);
	return json_object_new_string(b64);
}

GBytes *handover_get_bytes(json_object *o, const char *key)
{
	return handover_to_bytes(handover_get(o, key, json_type_string));
}

GBytes *handover_to_bytes(json_object *v)
{
	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	gsize len;
	guchar *data = g_base64_decode(json_object_get_string(v), &len);
	return g_bytes_new_take(data, len);
}

int64_t handover_get_int(json_object *o, const char *key, int64_t dflt)
{
	json_object *v = handover_get(o, key, json_type_int);
	return v ? json_object_get_int64(v) : dflt;
}

bool handover_get_bool(json_object *o, const char *key)
{
	json_object *v = handover_get(o, key, json_type_boolean);
	return v && json_object_get_boolean(v);
}
