#include "tether/diag.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/* The one process-wide global the house style allows: the log level, and the
 * few fixed facts its writer needs. */
static struct {
	enum diag_level level;
	const char *ident;
	bool to_stderr;
	bool to_syslog;
	int file_fd;
	char syslog_id[24];
} diag = {DIAG_WARNING, "tether", true, false, -1, ""};

int diag_parse_level(const char *name, enum diag_level *ret_level)
{
	static const struct {
		const char *name;
		enum diag_level level;
	} names[] = {
		{"error", DIAG_ERROR},	{"fatal", DIAG_ERROR},	   {"panic", DIAG_ERROR},
		{"warn", DIAG_WARNING}, {"warning", DIAG_WARNING}, {"info", DIAG_INFO},
		{"debug", DIAG_DEBUG},	{"trace", DIAG_TRACE},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		if (g_ascii_strcasecmp(name, names[i].name) == 0) {
			*ret_level = names[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

static enum diag_level level_of(GLogLevelFlags flags)
{
	if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		return DIAG_ERROR;
	if (flags & G_LOG_LEVEL_WARNING)
		return DIAG_WARNING;
	if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		return DIAG_INFO;
	return DIAG_DEBUG;
}

static GLogWriterOutput writer(GLogLevelFlags flags, const GLogField *fields, gsize n_fields,
			       gpointer user_data)
{
	enum diag_level lvl = level_of(flags);
	if (lvl > diag.level)
		return G_LOG_WRITER_HANDLED;

	const char *message = NULL, *domain = NULL;
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
		else if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
	}
	if (message == NULL)
		return G_LOG_WRITER_UNHANDLED;

	static const char kinds[] = "ewidt";
	if (diag.to_stderr || diag.file_fd >= 0) {
		/* One write per line so concurrent writers do not interleave. */
		g_autofree char *line =
			g_strdup_printf("[%s:%c]: %s%s%s\n", diag.ident, kinds[lvl],
					domain ? domain : "", domain ? ": " : "", message);
		if (diag.to_stderr)
			(void)!write(STDERR_FILENO, line, strlen(line));
		if (diag.file_fd >= 0) {
			/* A file outlives the moment: say when. */
			g_autoptr(GDateTime) now = g_date_time_new_now_local();
			g_autofree char *ts = g_date_time_format(now, "%FT%T.%f%:z ");
			g_autofree char *stamped = g_strconcat(ts, line, NULL);
			(void)!write(diag.file_fd, stamped, strlen(stamped));
		}
	}
	if (diag.to_syslog)
		syslog(lvl == DIAG_ERROR ? LOG_ERR : LOG_INFO, "%s %s %c: %s", diag.ident,
		       diag.syslog_id, kinds[lvl], message);
	return G_LOG_WRITER_HANDLED;
}

void diag_setup(const char *ident, enum diag_level level)
{
	diag.ident = ident;
	diag.level = level;
	g_log_set_writer_func(writer, NULL, NULL);
}

void diag_set_level(enum diag_level level)
{
	diag.level = level;
}

void diag_set_syslog(bool on, const char *id)
{
	if (on && !diag.to_syslog)
		openlog(diag.ident, LOG_PID, LOG_DAEMON);
	diag.to_syslog = on;
	g_strlcpy(diag.syslog_id, id ? id : "", 21);
}

void diag_set_stderr(bool on)
{
	diag.to_stderr = on;
}

void diag_set_file(int fd)
{
	diag.file_fd = fd;
}
