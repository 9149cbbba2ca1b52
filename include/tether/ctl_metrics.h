/* ctl_metrics: `tetherctl stats --prometheus`, the shims' `metrics` replies
 * (Prometheus' text format, one container each) as one exposition. */
#ifndef TETHER_CTL_METRICS_H
#define TETHER_CTL_METRICS_H

#include <glib.h>

/* Merge texts (NULL-ended): each family's HELP and TYPE once, its samples
 * together, families in the order first seen. Lines that are neither a
 * comment nor a sample are dropped. g_free the result. */
char *ctl_metrics_merge(char *const *texts);

#endif
