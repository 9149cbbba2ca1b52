#define G_LOG_DOMAIN "replay"

#include "tether/replay.h"

#include <string.h>

struct piece {
	enum k8slog_stream stream;
	size_t start; /* bytes of data dropped from the front */
	GBytes *data;
};

struct replay {
	size_t capacity;
	size_t size; /* sum of the pieces' kept bytes */
	GQueue pieces;
};

static size_t kept(const struct piece *p)
{
	return g_bytes_get_size(p->data) - p->start;
}

static void piece_free(gpointer data)
{
	struct piece *p = data;
	g_bytes_unref(p->data);
	g_free(p);
}

struct replay *replay_new(size_t capacity)
{
	struct replay *r = g_new0(struct replay, 1);
	r->capacity = capacity;
	g_queue_init(&r->pieces);
	return r;
}

static void write_piece(void *sink, enum k8slog_stream stream, const char *data, size_t len,
			const struct timespec *ts)
{
	struct replay *r = sink;
	if (len == 0 || r->capacity == 0)
		return;
	/* Only the end of a piece longer than everything we keep matters. */
	if (len > r->capacity) {
		data += len - r->capacity;
		len = r->capacity;
	}
	struct piece *last = g_queue_peek_tail(&r->pieces);
	if (last != NULL && last->stream == stream && last->start == 0 &&
	    g_bytes_get_size(last->data) + len <= 4096) {
		/* Small writes of one stream are joined: fewer headers. */
		gsize old = 0;
		const char *prev = g_bytes_get_data(last->data, &old);
		char *joined = g_malloc(old + len);
		memcpy(joined, prev, old);
		memcpy(joined + old, data, len);
		g_bytes_unref(last->data);
		last->data = g_bytes_new_take(joined, old + len);
	} else {
		struct piece *p = g_new0(struct piece, 1);
		p->stream = stream;
		p->data = g_bytes_new(data, len);
		g_queue_push_tail(&r->pieces, p);
	}
	r->size += len;
	while (r->size > r->capacity) {
		struct piece *head = g_queue_peek_head(&r->pieces);
		size_t excess = r->size - r->capacity;
		if (kept(head) <= excess) {
			r->size -= kept(head);
			piece_free(g_queue_pop_head(&r->pieces));
		} else {
			head->start += excess;
			r->size -= excess;
		}
	}
}

json_object *replay_last(const struct replay *r, size_t n)
{
	json_object *arr = json_object_new_array();
	/* Find where the last n bytes begin, then walk forwards. */
	size_t skip = r->size > n ? r->size - n : 0;
	for (GList *l = r->pieces.head; l != NULL; l = l->next) {
		const struct piece *p = l->data;
		size_t have = kept(p);
		if (skip >= have) {
			skip -= have;
			continue;
		}
		gsize total = 0;
		const char *bytes = g_bytes_get_data(p->data, &total);
		g_autofree char *b64 =
			g_base64_encode((const guchar *)bytes + p->start + skip, have - skip);
		skip = 0;
		json_object *o = json_object_new_object();
		json_object_object_add(
			o, "stream",
			json_object_new_string(p->stream == K8SLOG_STDOUT ? "stdout" : "stderr"));
		json_object_object_add(o, "data", json_object_new_string(b64));
		json_object_array_add(arr, o);
	}
	return arr;
}

size_t replay_size(const struct replay *r)
{
	return r->size;
}

static void replay_free(void *sink)
{
	struct replay *r = sink;
	g_queue_clear_full(&r->pieces, piece_free);
	g_free(r);
}

const struct log_sink_ops replay_sink_ops = {
	.name = "replay",
	.write = write_piece,
	.free = replay_free,
};
