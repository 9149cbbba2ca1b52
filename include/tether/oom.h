/* oom: notice the kernel's OOM killer in the container's memory cgroup.
 * The kernel counts kills in the cgroup (oom_kill in memory.oom_control on
 * cgroup v1, memory.events on v2): the count when the container starts is
 * compared with later ones, on each event (v1: eventfd registered through
 * cgroup.event_control; v2: inotify on memory.events) and once more at exit,
 * so a missed event does not lose the fact. */
#ifndef TETHER_OOM_H
#define TETHER_OOM_H

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct oom oom;

typedef void (*oom_func)(void *data);

/* Watch pid's memory cgroup. NULL (with a debug message) when there is none
 * to watch: no memory controller, or a cgroup we cannot read. */
struct oom *oom_watch(pid_t pid, oom_func func, void *data);
void oom_free(struct oom *o);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(oom, oom_free)

/* Live upgrade (upgrade.h): the kill count at the start, into st; and back
 * into a watch made anew after the exec. */
struct json_object;
void oom_export(const struct oom *o, struct json_object *st);
void oom_adopt(struct oom *o, struct json_object *st);

/* Look once more (at exit); true if the container was OOM-killed. */
bool oom_check(struct oom *o);

/* The kill count in a memory.oom_control or memory.events text: -1 if it
 * has no oom_kill line. */
long long oom_parse_kill_count(const char *text);

/* The memory cgroup path of a /proc/PID/cgroup text ("" for the root), v1
 * line "N:...memory...:/path" or, if none, the v2 line "0::/path". Sets
 * *ret_v2. NULL if neither. */
char *oom_parse_cgroup(const char *text, bool *ret_v2);

/* The directory of pid's memory cgroup under /sys/fs/cgroup (v1's memory
 * controller, else v2's unified one; *ret_v2 says which), or NULL. */
char *oom_memory_cgroup_dir(pid_t pid, bool *ret_v2);

#endif
