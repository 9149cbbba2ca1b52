/* diag: the programs' own diagnostics (not container output). Everything
 * goes through GLib's log functions; diag installs one writer that routes to
 * stderr and, when asked, syslog. The level is the one process-wide global. */
#ifndef TETHER_DIAG_H
#define TETHER_DIAG_H

#include <glib.h>
#include <stdbool.h>

enum diag_level {
	DIAG_ERROR = 0,
	DIAG_WARNING,
	DIAG_INFO,
	DIAG_DEBUG,
	DIAG_TRACE,
};

/* Parse conmon's --log-level names (case-insensitive): error, fatal, panic,
 * warn, warning, info, debug, trace. Returns 0 or -EINVAL. */
int diag_parse_level(const char *name, enum diag_level *ret_level);

/* Install the writer. ident prefixes every line ("tether", "tetherctl");
 * id (may be NULL) names the container in syslog lines. */
void diag_setup(const char *ident, enum diag_level level);
void diag_set_level(enum diag_level level);
void diag_set_syslog(bool on, const char *id);
void diag_set_stderr(bool on);
/* Also append every line to fd (owned by the caller; -1: none). */
void diag_set_file(int fd);

/* Errors use G_LOG_LEVEL_CRITICAL: g_error() would abort. */
#define diag_error(...) g_log(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, __VA_ARGS__)
#define diag_warn(...)	g_log(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, __VA_ARGS__)
#define diag_info(...)	g_log(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, __VA_ARGS__)
#define diag_debug(...) g_log(G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
