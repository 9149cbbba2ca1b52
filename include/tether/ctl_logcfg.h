/* ctl_logcfg: a container's log driver and limits, from create's and run's
 * options to the shim's command line and back from state.json.
 *
 *   k8s-file   CDIR/ctr.log  (CRI records, see k8slog.h)
 *   json-file  CDIR/ctr.json (Docker's json-file records)
 *   journald   the journal; read back with journalctl
 *   syslog     /dev/log; not read back (docs/log-policies.md)
 *   none       nothing is kept
 *
 * With a size limit, a full file starts anew (conmon's behaviour), or with
 * max_files it is rotated: PATH.1 ... PATH.N are kept, nothing is lost. */
#ifndef TETHER_CTL_LOGCFG_H
#define TETHER_CTL_LOGCFG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

enum ctl_log_driver {
	CTL_LOG_K8S_FILE,
	CTL_LOG_JSON_FILE,
	CTL_LOG_JOURNALD,
	CTL_LOG_NONE,
	CTL_LOG_SYSLOG,
};

/* journald's CONTAINER_ID is the id's first 12 characters; the shim wants
 * more than that, as conmon does. */
#define CTL_LOGCFG_JOURNALD_MIN_ID 13

/* tether(8)'s log policies (docs/log-policies.md). */
struct ctl_log_policy {
	int64_t rate;  /* --log-rate, bytes a second per stream; 0: none */
	int64_t burst; /* --log-burst; 0: the shim's default (a second's worth) */
	bool block;    /* --log-rate-policy block (else drop) */
	bool compress; /* --log-compress: rotated files gzipped */
};

struct ctl_log_config {
	enum ctl_log_driver driver;
	int64_t size_max; /* bytes; 0: no limit */
	int max_files;	  /* 0: start anew when full; N: rotate, keep N */
	struct ctl_log_policy policy;
};

/* The options as given, before they are checked; create and run add the
 * entries of CTL_LOGCFG_OPTION_ENTRIES to their tables. */
struct ctl_logcfg_args {
	char *driver;
	char *size_max;
	int max_files; /* CTL_LOGCFG_UNSET: not given */
	char *rate, *burst, *rate_policy;
	gboolean compress;
};
#define CTL_LOGCFG_UNSET G_MININT
#define CTL_LOGCFG_ARGS_INIT                                                                       \
	{                                                                                          \
		NULL, NULL, CTL_LOGCFG_UNSET, NULL, NULL, NULL, FALSE                              \
	}

#define CTL_LOGCFG_OPTION_ENTRIES(a)                                                               \
	{"log-driver",                                                                             \
	 0,                                                                                        \
	 0,                                                                                        \
	 G_OPTION_ARG_STRING,                                                                      \
	 &(a)->driver,                                                                             \
	 "k8s-file (default), json-file, journald, syslog or none",                                \
	 "DRIVER"},                                                                                \
		{"log-size-max",                                                                   \
		 0,                                                                                \
		 0,                                                                                \
		 G_OPTION_ARG_STRING,                                                              \
		 &(a)->size_max,                                                                   \
		 "Largest log file: bytes, or k, m, g (k = 1024)",                                 \
		 "SIZE"},                                                                          \
		{"log-max-files",                                                                  \
		 0,                                                                                \
		 0,                                                                                \
		 G_OPTION_ARG_INT,                                                                 \
		 &(a)->max_files,                                                                  \
		 "With --log-size-max: rotate, keeping N old files (ctr.log.1 ... .N)",            \
		 "N"},                                                                             \
		{"log-rate", 0,                                                                    \
		 0,	     G_OPTION_ARG_STRING,                                                  \
		 &(a)->rate, "Log at most this many bytes a second per stream (k, m, g)",          \
		 "SIZE"},                                                                          \
		{"log-burst",                                                                      \
		 0,                                                                                \
		 0,                                                                                \
		 G_OPTION_ARG_STRING,                                                              \
		 &(a)->burst,                                                                      \
		 "With --log-rate: bytes a stream may log at once (default: a second's worth)",    \
		 "SIZE"},                                                                          \
		{"log-rate-policy",                                                                \
		 0,                                                                                \
		 0,                                                                                \
		 G_OPTION_ARG_STRING,                                                              \
		 &(a)->rate_policy,                                                                \
		 "Over --log-rate: drop lines (default) or block the container's writes",          \
		 "drop|block"},                                                                    \
	{                                                                                          \
		"log-compress", 0, 0, G_OPTION_ARG_NONE, &(a)->compress,                           \
			"With --log-max-files: gzip the rotated files (ctr.log.1.gz ...)", NULL    \
	}

typedef struct ctl_logcfg_args ctl_logcfg_args;
void ctl_logcfg_args_clear(struct ctl_logcfg_args *a);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ctl_logcfg_args, ctl_logcfg_args_clear)

/* Check the options for container id; fills ret_cfg or sets *error. */
bool ctl_logcfg_from_args(const struct ctl_logcfg_args *a, const char *id,
			  struct ctl_log_config *ret_cfg, GError **error);

/* "k8s-file" ...; and back (-EINVAL for an unknown name). */
const char *ctl_logcfg_driver_name(enum ctl_log_driver driver);
int ctl_logcfg_driver_from_name(const char *name, enum ctl_log_driver *ret_driver);

/* "123", "20k", "5M", "1g", "2KiB", "3mb": binary multiples. -EINVAL, -ERANGE. */
int ctl_logcfg_parse_size(const char *text, int64_t *ret_bytes);

/* The log file in cdir for a file driver (g_free), NULL for the others. */
char *ctl_logcfg_file_path(enum ctl_log_driver driver, const char *cdir);

/* Append the shim's log flags (-l ..., --log-size-max, --log-rotate,
 * --log-max-files, the policies) to argv, strings owned by argv. */
void ctl_logcfg_shim_args(const struct ctl_log_config *cfg, const char *cdir, GPtrArray *argv);

#endif
