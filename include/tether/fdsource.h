/* fdsource: a GSource watching one fd whose events can change over time
 * (e.g. POLLOUT only while a client has queued output). */
#ifndef TETHER_FDSOURCE_H
#define TETHER_FDSOURCE_H

#include <glib.h>

/* Return G_SOURCE_REMOVE to destroy the source. */
typedef gboolean (*fdsource_func)(int fd, GIOCondition revents, gpointer data);

/* Attached to the default main context; returns a new reference. */
GSource *fdsource_new(int fd, GIOCondition events, fdsource_func func, gpointer data);
void fdsource_set_events(GSource *source, GIOCondition events);

#endif
