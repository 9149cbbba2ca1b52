#include "tether/fdsource.h"

struct fdsource {
	GSource base;
	gpointer tag;
	int fd;
	fdsource_func func;
	gpointer data;
};

static gboolean dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	struct fdsource *s = (struct fdsource *)source;
	GIOCondition revents = g_source_query_unix_fd(source, s->tag);
	return s->func(s->fd, revents, s->data);
}

static GSourceFuncs fdsource_funcs = {
	.dispatch = dispatch,
};

GSource *fdsource_new(int fd, GIOCondition events, fdsource_func func, gpointer data)
{
	GSource *source = g_source_new(&fdsource_funcs, sizeof(struct fdsource));
	struct fdsource *s = (struct fdsource *)source;
	s->fd = fd;
	s->func = func;
	s->data = data;
	s->tag = g_source_add_unix_fd(source, fd, events);
	/* No blocking around dispatch: glib would remove the fd from its poll
	 * set and add it back each time, waking itself through its eventfd
	 * (3 syscalls and a wasted poll per event). No callback here runs the
	 * main loop recursively. */
	g_source_set_can_recurse(source, TRUE);
	g_source_attach(source, NULL);
	return source;
}

void fdsource_set_events(GSource *source, GIOCondition events)
{
	struct fdsource *s = (struct fdsource *)source;
	g_source_modify_unix_fd(source, s->tag, events);
}
