/* mempressure: warn before the OOM killer strikes (--memory-warn).
 *
 * cgroup v1: the memory controller's usage threshold (an eventfd registered
 * on memory.usage_in_bytes through cgroup.event_control) fires when usage
 * crosses the threshold; it warns once per crossing upwards.
 * cgroup v2: the "high" and "max" counts of memory.events (inotify), and a
 * PSI trigger on memory.pressure (tasks stalled 100 ms in any 1 s window),
 * warn whenever they move.
 * The threshold is bytes, or a percentage of the cgroup's limit. */
#ifndef TETHER_MEMPRESSURE_H
#define TETHER_MEMPRESSURE_H

#include <glib.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct mempressure mempressure;

/* usage and limit in bytes (limit 0: none); why: "threshold", "high",
 * "max" or "psi". */
typedef void (*mempressure_func)(void *data, const char *why, uint64_t usage, uint64_t limit);

/* "80%" (1-100, of the limit) or bytes with an optional k, m or g
 * (binary). 0 or -EINVAL. */
int mempressure_parse_threshold(const char *text, uint64_t *ret_bytes, unsigned *ret_percent);

/* The "high" and "max" counts of a v2 memory.events text (-1 if absent). */
void mempressure_parse_events(const char *text, long long *ret_high, long long *ret_max);

/* Watch pid's memory cgroup; NULL with a warning when there is nothing to
 * watch (no memory cgroup, a percentage without a limit). */
struct mempressure *mempressure_watch(pid_t pid, uint64_t bytes, unsigned percent,
				      mempressure_func func, void *data);
void mempressure_free(struct mempressure *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mempressure, mempressure_free)

#endif
