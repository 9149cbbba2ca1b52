#define G_LOG_DOMAIN "handover"

#include "tether/handover.h"
#include "tether/fdutil.h"

#include <fcntl.h>

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

int handover_get_fd(json_object *o, const char *key)
{
	return handover_to_fd(handover_get(o, key, json_type_int));
}

int handover_to_fd(json_object *v)
{
	if (v == NULL || !json_object_is_type(v, json_type_int))
		return -1;
	int64_t fd = json_object_get_int64(v);
	/* Never stdio: no handed-over fd is one, and a state that says so is
	 * wrong. */
	if (fd < 3 || fd > G_MAXINT || fcntl((int)fd, F_GETFD) < 0)
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
