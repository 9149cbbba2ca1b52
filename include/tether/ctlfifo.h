/* ctlfifo: conmon's BUNDLE/ctl and BUNDLE/winsz FIFOs.
 * ctl lines are "TYPE A B\n": 1 = resize to A rows, B columns; 2 = reopen the
 * log files (A and B ignored). winsz lines are "ROWS COLS\n". */
#ifndef TETHER_CTLFIFO_H
#define TETHER_CTLFIFO_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

struct handover_fds;

#define CTLFIFO_RESIZE	   1
#define CTLFIFO_REOPEN_LOG 2
/* conmon's line buffer. */
#define CTLFIFO_LINE_MAX 200

struct ctlfifo_ops {
	void (*resize)(void *data, unsigned rows, unsigned cols);
	void (*reopen_log)(void *data);
};

typedef struct ctlfifo ctlfifo;

struct ctlfifo *ctlfifo_new(const char *bundle, const struct ctlfifo_ops *ops, void *data,
			    GError **error);
void ctlfifo_free(struct ctlfifo *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ctlfifo, ctlfifo_free)

/* Live upgrade (upgrade.h): both FIFOs with any partial line, fds added to
 * keep; and adopted back after the exec. */
struct json_object;
struct json_object *ctlfifo_export(struct ctlfifo *c, GArray *keep);
struct ctlfifo *ctlfifo_adopt(struct json_object *st, const struct handover_fds *fds,
			      const struct ctlfifo_ops *ops, void *data, GError **error);

/* Parse one ctl line (without "\n"). Returns 0 or -EINVAL. */
int ctlfifo_parse_ctl(const char *line, int *ret_type, unsigned *ret_a, unsigned *ret_b);
/* Parse one winsz line. */
int ctlfifo_parse_winsz(const char *line, unsigned *ret_rows, unsigned *ret_cols);

/* Line assembly: feed bytes, get complete lines through cb. A line longer
 * than CTLFIFO_LINE_MAX is dropped (returned count of dropped lines). */
struct ctlfifo_lines {
	char buf[CTLFIFO_LINE_MAX + 1];
	size_t len;
	bool overlong;
};
unsigned ctlfifo_lines_feed(struct ctlfifo_lines *lines, const char *data, size_t len,
			    void (*cb)(void *data, const char *line), void *cb_data);

#endif
