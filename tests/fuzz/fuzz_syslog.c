/* Fuzz target: the syslog sink's line splitter. Container output is any
 * bytes in any pieces; the sink sends one record per line, cutting lines
 * longer than LOG_SYSLOG_MSG_MAX. A real datagram socket (in a temporary
 * directory) receives the records; the receiver's short queue also makes
 * records fail, which the sink counts as lost. Whatever the input:
 *   - each record is "<27>" or "<30>" + a header ending in "fuzz[PID]: ",
 *     with at most LOG_SYSLOG_MSG_MAX bytes of message and no newline;
 *   - the bytes received plus the bytes counted lost are exactly the
 *     output's bytes less its newlines: nothing dropped silently, nothing
 *     counted twice;
 *   - on its own stream, the received messages are the output's bytes in
 *     order (with the lost ones missing).
 *
 * Input: byte 0 selects each chunk's stream (bits 0-4); bytes 1-4 are chunk
 * lengths; the rest is the output, in up to five chunks. */
#include "tether/diag.h"
#include "tether/log_syslog.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CHUNKS 5

static char *dir, *path;
static int rx = -1;

static void remove_dir(void)
{
	(void)unlink(path);
	(void)rmdir(dir);
}

static void setup(void)
{
	diag_setup("fuzz", DIAG_ERROR); /* the sink's warnings are expected */
	dir = g_dir_make_tmp("fuzz-syslog.XXXXXX", NULL);
	if (dir == NULL)
		__builtin_trap();
	path = g_build_filename(dir, "log", NULL);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path))
		__builtin_trap();
	strcpy(addr.sun_path, path);
	rx = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (rx < 0 || bind(rx, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		__builtin_trap();
	atexit(remove_dir);
}

/* Take every queued record: check its form, append its message to its
 * stream's text, and count its bytes. */
static void drain(GString *got[2], size_t *ret_bytes)
{
	char buf[LOG_SYSLOG_HDR_MAX + LOG_SYSLOG_MSG_MAX + 16];
	for (;;) {
		ssize_t n = recv(rx, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		if ((size_t)n > sizeof(buf) || n < 4)
			__builtin_trap();
		int s = memcmp(buf, "<27>", 4) == 0 ? 1 : memcmp(buf, "<30>", 4) == 0 ? 0 : -1;
		if (s < 0)
			__builtin_trap();
		const char *end = memmem(buf, (size_t)n, "]: ", 3);
		if (end == NULL || memmem(buf, (size_t)(end - buf), " fuzz[", 6) == NULL)
			__builtin_trap();
		const char *msg = end + 3;
		size_t len = (size_t)(buf + n - msg);
		if (len > LOG_SYSLOG_MSG_MAX || memchr(msg, '\n', len) != NULL)
			__builtin_trap();
		g_string_append_len(got[s], msg, (gssize)len);
		*ret_bytes += len;
	}
}

/* Is a a subsequence of b? The received text is the output less what was
 * lost, in order. */
static bool subsequence(const GString *a, const GString *b)
{
	size_t j = 0;
	for (size_t i = 0; i < a->len; i++) {
		while (j < b->len && b->str[j] != a->str[i])
			j++;
		if (j == b->len)
			return false;
		j++;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	if (dir == NULL)
		setup();
	const struct log_syslog_config cfg = {
		.socket_path = path, .tag = "fuzz", .cid = "c", .block_ms = 1};
	struct log_syslog *sl = log_syslog_new(&cfg, NULL);
	if (sl == NULL)
		__builtin_trap();
	g_autoptr(GString) got0 = g_string_new(NULL), got1 = g_string_new(NULL);
	g_autoptr(GString) want0 = g_string_new(NULL), want1 = g_string_new(NULL);
	GString *got[2] = {got0, got1}, *want[2] = {want0, want1};
	const char *out = (const char *)data + 5;
	size_t out_len = size - 5, off = 0, received = 0, expected = 0;
	const struct timespec ts = {1795435200, 5};
	for (int i = 0; i < CHUNKS && off < out_len; i++) {
		size_t n = i == CHUNKS - 1 ? out_len - off
					   : MIN((size_t)data[1 + i] + 1, out_len - off);
		int s = (data[0] >> i) & 1;
		log_syslog_write(sl, s ? K8SLOG_STDERR : K8SLOG_STDOUT, out + off, n, &ts);
		drain(got, &received);
		for (size_t k = 0; k < n; k++)
			if (out[off + k] != '\n') {
				g_string_append_c(want[s], out[off + k]);
				expected++;
			}
		off += n;
	}
	log_syslog_flush(sl);
	drain(got, &received);
	if (received + log_syslog_lost_bytes(sl) != expected)
		__builtin_trap();
	for (int s = 0; s < 2; s++)
		if (!subsequence(got[s], want[s]))
			__builtin_trap();
	log_syslog_free(sl);
	return 0;
}
