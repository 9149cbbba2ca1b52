/* Fuzz target: bytes written to the ctl and winsz FIFOs, through the line
 * assembly and both line parsers. */
#include "tether/ctlfifo.h"

#include <stdint.h>

static void on_line(void *data, const char *line)
{
	int type;
	unsigned a, b;
	if (ctlfifo_parse_ctl(line, &type, &a, &b) == 0 && (a > 65535 || b > 65535))
		__builtin_trap();
	(void)ctlfifo_parse_winsz(line, &a, &b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctlfifo_lines lines = {0};
	/* In two writes, split where the first byte says. */
	size_t cut = size ? data[0] % (size + 1) : 0;
	ctlfifo_lines_feed(&lines, (const char *)data, cut, on_line, NULL);
	ctlfifo_lines_feed(&lines, (const char *)data + cut, size - cut, on_line, NULL);
	return 0;
}
