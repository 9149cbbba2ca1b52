/* Fuzz target: the sync-pipe message parser (what tetherctl reads from any
 * monitor), and the formatter round trip of whatever it accepted. */
#include "tether/syncmsg.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long long v;
	char *msg = NULL;
	if (syncmsg_parse((const char *)data, size, &v, &msg) == 0) {
		char buf[SYNCMSG_MAX + 1];
		size_t n = syncmsg_format(buf, sizeof(buf), "data", v, msg);
		long long v2;
		g_autofree char *msg2 = NULL;
		/* What we write must parse back to the same value. */
		if (syncmsg_parse(buf, n, &v2, &msg2) != 0 || v2 != v)
			__builtin_trap();
	}
	g_free(msg);
	return 0;
}
