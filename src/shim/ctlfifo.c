#define G_LOG_DOMAIN "ctl"

#include "tether/ctlfifo.h"
#include "tether/diag.h"
#include "tether/fdsource.h"
#include "tether/fdutil.h"
#include "tether/handover.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fifo {
	int fd;
	int dummy_fd; /* our own writer: callers closing theirs is no EOF */
	GSource *source;
	struct ctlfifo_lines lines;
};

struct ctlfifo {
	struct fifo ctl, winsz;
	const struct ctlfifo_ops *ops;
	void *data;
};

/* Strict decimal: digits only, no sign, within max. */
static int parse_uint(const char **p, unsigned max, unsigned *ret)
{
	const char *s = *p;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	unsigned long v = 0;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -EINVAL;
		s++;
	}
	*ret = (unsigned)v;
	*p = s;
	return 0;
}

static int parse_uints(const char *line, unsigned *vals, size_t n)
{
	const char *p = line;
	for (size_t i = 0; i < n; i++) {
		while (*p == ' ' || *p == '\t')
			p++;
		/* Terminal sizes are 16-bit in struct winsize. */
		if (parse_uint(&p, 65535, &vals[i]) < 0)
			return -EINVAL;
	}
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return *p == '\0' ? 0 : -EINVAL;
}

int ctlfifo_parse_ctl(const char *line, int *ret_type, unsigned *ret_a, unsigned *ret_b)
{
	unsigned v[3];
	if (parse_uints(line, v, 3) < 0)
		return -EINVAL;
	if (v[0] != CTLFIFO_RESIZE && v[0] != CTLFIFO_REOPEN_LOG)
		return -EINVAL;
	*ret_type = (int)v[0];
	*ret_a = v[1];
	*ret_b = v[2];
	return 0;
}

int ctlfifo_parse_winsz(const char *line, unsigned *ret_rows, unsigned *ret_cols)
{
	unsigned v[2];
	if (parse_uints(line, v, 2) < 0)
		return -EINVAL;
	*ret_rows = v[0];
	*ret_cols = v[1];
	return 0;
}

unsigned ctlfifo_lines_feed(struct ctlfifo_lines *lines, const char *data, size_t len,
			    void (*cb)(void *data, const char *line), void *cb_data)
{
	unsigned dropped = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = data[i];
		if (ch == '\n') {
			if (lines->overlong)
				dropped++;
			else {
				lines->buf[lines->len] = '\0';
				cb(cb_data, lines->buf);
			}
			lines->len = 0;
			lines->overlong = false;
		} else if (lines->len < CTLFIFO_LINE_MAX) {
			lines->buf[lines->len++] = ch;
		} else {
			lines->overlong = true;
		}
	}
	return dropped;
}

static void on_ctl_line(void *data, const char *line)
{
	struct ctlfifo *c = data;
	int type;
	unsigned a, b;
	if (ctlfifo_parse_ctl(line, &type, &a, &b) < 0) {
		diag_warn("Ignoring malformed ctl message '%s'", line);
		return;
	}
	diag_debug("ctl message %d %u %u", type, a, b);
	if (type == CTLFIFO_RESIZE)
		c->ops->resize(c->data, a, b);
	else
		c->ops->reopen_log(c->data);
}

static void on_winsz_line(void *data, const char *line)
{
	struct ctlfifo *c = data;
	unsigned rows, cols;
	if (ctlfifo_parse_winsz(line, &rows, &cols) < 0) {
		diag_warn("Ignoring malformed winsz message '%s'", line);
		return;
	}
	c->ops->resize(c->data, rows, cols);
}

static gboolean on_readable(struct ctlfifo *c, struct fifo *f, void (*cb)(void *, const char *))
{
	char buf[512];
	for (;;) {
		ssize_t n = read(f->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (ctlfifo_lines_feed(&f->lines, buf, (size_t)n, cb, c) > 0)
			diag_warn("Ignoring an overlong control line");
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_ctl(int fd, GIOCondition revents, gpointer data)
{
	struct ctlfifo *c = data;
	return on_readable(c, &c->ctl, on_ctl_line);
}

static gboolean on_winsz(int fd, GIOCondition revents, gpointer data)
{
	struct ctlfifo *c = data;
	return on_readable(c, &c->winsz, on_winsz_line);
}

static int fifo_open(struct fifo *f, const char *bundle, const char *name, fdsource_func func,
		     void *data)
{
	g_autofree char *path = g_build_filename(bundle, name, NULL);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	/* Only the owner writes commands (conmon's 0666 left it to the umask). */
	if (mkfifo(path, 0600) < 0)
		return -errno;
	f->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (f->fd < 0)
		return -errno;
	f->dummy_fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (f->dummy_fd < 0)
		return -errno;
	f->source = fdsource_new(f->fd, G_IO_IN, func, data);
	return 0;
}

static void fifo_close(struct fifo *f)
{
	if (f->source != NULL) {
		g_source_destroy(f->source);
		g_clear_pointer(&f->source, g_source_unref);
	}
	fdutil_close(&f->fd);
	fdutil_close(&f->dummy_fd);
}

struct ctlfifo *ctlfifo_new(const char *bundle, const struct ctlfifo_ops *ops, void *data,
			    GError **error)
{
	g_autoptr(ctlfifo) c = g_new0(struct ctlfifo, 1);
	c->ctl.fd = c->ctl.dummy_fd = c->winsz.fd = c->winsz.dummy_fd = -1;
	c->ops = ops;
	c->data = data;
	int r = fifo_open(&c->ctl, bundle, "ctl", on_ctl, c);
	const char *which = "ctl";
	if (r == 0) {
		which = "winsz";
		r = fifo_open(&c->winsz, bundle, "winsz", on_winsz, c);
	}
	if (r < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(-r),
			    "Failed to create %s FIFO in %s: %s", which, bundle, g_strerror(-r));
		return NULL;
	}
	return g_steal_pointer(&c);
}

static json_object *fifo_export(struct fifo *f, GArray *keep)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "fd", json_object_new_int(handover_keep_fd(keep, f->fd)));
	json_object_object_add(o, "dummy_fd",
			       json_object_new_int(handover_keep_fd(keep, f->dummy_fd)));
	json_object_object_add(o, "partial", handover_bytes(f->lines.buf, f->lines.len));
	json_object_object_add(o, "overlong", json_object_new_boolean(f->lines.overlong));
	return o;
}

json_object *ctlfifo_export(struct ctlfifo *c, GArray *keep)
{
	json_object *st = json_object_new_object();
	json_object_object_add(st, "ctl", fifo_export(&c->ctl, keep));
	json_object_object_add(st, "winsz", fifo_export(&c->winsz, keep));
	return st;
}

static bool fifo_adopt(struct fifo *f, const struct handover_fds *fds, json_object *o,
		       fdsource_func func, void *data)
{
	f->fd = handover_get_fd(fds, o, "fd");
	f->dummy_fd = handover_get_fd(fds, o, "dummy_fd");
	if (f->fd < 0 || f->dummy_fd < 0)
		return false;
	g_autoptr(GBytes) partial = handover_get_bytes(o, "partial");
	gsize len = 0;
	const void *p = partial ? g_bytes_get_data(partial, &len) : NULL;
	if (p != NULL && len <= CTLFIFO_LINE_MAX) {
		memcpy(f->lines.buf, p, len);
		f->lines.len = len;
	}
	f->lines.overlong = handover_get_bool(o, "overlong");
	f->source = fdsource_new(f->fd, G_IO_IN, func, data);
	return true;
}

struct ctlfifo *ctlfifo_adopt(json_object *st, const struct handover_fds *fds,
			      const struct ctlfifo_ops *ops, void *data, GError **error)
{
	g_autoptr(ctlfifo) c = g_new0(struct ctlfifo, 1);
	c->ctl.fd = c->ctl.dummy_fd = c->winsz.fd = c->winsz.dummy_fd = -1;
	c->ops = ops;
	c->data = data;
	if (!fifo_adopt(&c->ctl, fds, handover_get(st, "ctl", json_type_object), on_ctl, c) ||
	    !fifo_adopt(&c->winsz, fds, handover_get(st, "winsz", json_type_object), on_winsz, c)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_BADF,
			    "the handed-over state lacks the ctl and winsz FIFOs");
		return NULL;
	}
	return g_steal_pointer(&c);
}

void ctlfifo_free(struct ctlfifo *c)
{
	if (c == NULL)
		return;
	fifo_close(&c->ctl);
	fifo_close(&c->winsz);
	g_free(c);
}
