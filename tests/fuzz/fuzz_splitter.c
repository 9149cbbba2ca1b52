/* Fuzz target: the record splitter, that is the shim's file sinks cutting
 * container output into k8s-file or json-file records, read back with the
 * reader tetherctl logs uses. Whatever the output and however it arrives in
 * chunks, the records must parse and give back every byte, in order, on the
 * right stream (json-file: when each chunk is valid UTF-8; otherwise the
 * bad bytes become U+FFFD, as with Docker, and only the lines are counted).
 *
 * Input: byte 0 selects the format (bit 0) and each chunk's stream (bits
 * 1-5); bytes 1-4 are chunk lengths; the rest is the output, in up to five
 * chunks. The file, in a temporary directory, is emptied for each input
 * (the sinks refuse to open a log through a symlink, /proc/self/fd/N
 * included). */
#include "tether/ctl_logread.h"
#include "tether/log_file.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#define CHUNKS 5

static char *dir, *path;

static void remove_dir(void)
{
	(void)unlink(path);
	(void)rmdir(dir);
}

static GString *read_back(void)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	if (!g_file_get_contents(path, &text, &len, NULL))
		__builtin_trap();
	GString *s = g_string_new_len(text, (gssize)len);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	if (dir == NULL) {
		dir = g_dir_make_tmp("fuzz-splitter.XXXXXX", NULL);
		if (dir == NULL)
			__builtin_trap();
		path = g_build_filename(dir, "ctr.log", NULL);
		atexit(remove_dir);
	}
	/* Empty for each input (created by the first). */
	if (truncate(path, 0) < 0 && errno != ENOENT)
		__builtin_trap();

	bool json = data[0] & 1;
	const char *out = (const char *)data + 5;
	size_t out_len = size - 5;
	g_autoptr(GError) error = NULL;
	struct log_file *log =
		log_file_new(path, json ? LOG_FILE_JSON : LOG_FILE_K8S, NULL, &error);
	if (log == NULL)
		__builtin_trap();

	/* What each stream should read back. */
	g_autoptr(GString) want0 = g_string_new(NULL);
	g_autoptr(GString) want1 = g_string_new(NULL);
	GString *want[2] = {want0, want1};
	bool exact = true;
	size_t newlines = 0;
	const struct timespec ts = {1795435200, 5};
	size_t off = 0;
	for (int i = 0; i < CHUNKS && off < out_len; i++) {
		size_t n = i == CHUNKS - 1 ? out_len - off
					   : MIN((size_t)data[1 + i] + 1, out_len - off);
		enum k8slog_stream stream =
			(data[0] >> (1 + i)) & 1 ? K8SLOG_STDERR : K8SLOG_STDOUT;
		log_file_write(log, stream, out + off, n, &ts);
		g_string_append_len(want[stream], out + off, n);
		if (json && !g_utf8_validate(out + off, n, NULL))
			exact = false;
		off += n;
	}
	for (size_t k = 0; k < out_len; k++)
		newlines += out[k] == '\n';
	log_file_free(log);

	g_autoptr(GString) file = read_back();
	g_autoptr(GString) got0 = g_string_new(NULL);
	g_autoptr(GString) got1 = g_string_new(NULL);
	GString *got[2] = {got0, got1};
	g_autoptr(ctl_logread) r = ctl_logread_new(json ? CTL_LOGREAD_JSON : CTL_LOGREAD_K8S);
	size_t full = 0;
	const char *p = file->str, *end = file->str + file->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			__builtin_trap(); /* every record ends its line */
		struct ctl_logread_record rec;
		struct timespec t;
		if (ctl_logread_parse(r, p, (size_t)(nl - p), &rec) < 0 ||
		    ctl_logread_record_time(&rec, &t) < 0 || t.tv_sec != ts.tv_sec ||
		    t.tv_nsec != ts.tv_nsec)
			__builtin_trap();
		g_string_append_len(got[rec.stream], rec.content, rec.content_len);
		if (!rec.partial) {
			g_string_append_c(got[rec.stream], '\n');
			full++;
		}
		p = nl + 1;
	}
	if (full != newlines)
		__builtin_trap();
	for (int s = 0; s < 2 && exact; s++)
		if (!g_string_equal(want[s], got[s]))
			__builtin_trap();
	return 0;
}
