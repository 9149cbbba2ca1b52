/* Fuzz target: the json-file record reader tetherctl logs uses (the file
 * may have been written by anyone with access to the log directory), the
 * k8s-file reader behind the same interface, and the --since parser. */
#include "tether/ctl_logread.h"

#include <stdint.h>
#include <string.h>

static void check(enum ctl_logread_format format, const char *line, size_t len)
{
	g_autoptr(ctl_logread) r = ctl_logread_new(format);
	struct ctl_logread_record rec;
	/* Twice: the reader keeps state (the last record) between lines. */
	for (int i = 0; i < 2; i++) {
		if (ctl_logread_parse(r, line, len, &rec) < 0)
			continue;
		if (rec.time == NULL || rec.time_len == 0 || rec.content == NULL ||
		    (rec.stream != K8SLOG_STDOUT && rec.stream != K8SLOG_STDERR))
			__builtin_trap();
		/* k8s-file records point into the line. */
		if (format == CTL_LOGREAD_K8S &&
		    (rec.content < line || rec.content + rec.content_len > line + len))
			__builtin_trap();
		/* Touch every byte, so that ASan sees a bad length. */
		volatile unsigned sum = 0;
		for (size_t k = 0; k < rec.content_len; k++)
			sum += (unsigned char)rec.content[k];
		for (size_t k = 0; k < rec.time_len; k++)
			sum += (unsigned char)rec.time[k];
		struct timespec ts;
		if (ctl_logread_record_time(&rec, &ts) == 0 &&
		    (ts.tv_nsec < 0 || ts.tv_nsec > 999999999))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy: a read past the line is then an ASan error. */
	char *line = g_memdup2(data, size);
	check(CTL_LOGREAD_JSON, line, size);
	check(CTL_LOGREAD_K8S, line, size);
	g_free(line);

	g_autofree char *text = g_strndup((const char *)data, size);
	const struct timespec now = {1795435200, 123456789};
	struct timespec ts;
	if (ctl_logread_parse_since(text, &now, &ts) == 0 &&
	    (ts.tv_nsec < 0 || ts.tv_nsec > 999999999))
		__builtin_trap();
	return 0;
}
