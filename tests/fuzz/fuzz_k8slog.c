/* Fuzz target: the k8s-file record and timestamp parsers (tetherctl logs
 * reads files anyone with access to the log directory could have written). */
#include "tether/k8slog.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct k8slog_record rec;
	if (k8slog_parse_record((const char *)data, size, &rec) == 0) {
		if (rec.content < (const char *)data || rec.content + rec.content_len > (const char *)data + size)
			__builtin_trap();
		struct timespec ts;
		(void)k8slog_parse_timestamp(rec.timestamp, rec.timestamp_len, &ts);
	}
	return 0;
}
