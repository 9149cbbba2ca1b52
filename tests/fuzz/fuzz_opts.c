/* Fuzz target: the shim's command line, through the parser and the
 * validation main() runs (whoever starts the shim chooses its argv). The
 * input is the arguments, separated by NUL bytes.
 *
 * GOption prints the help and exits for -h, -?, --help and --help-*: those
 * arguments are skipped here (the help itself is tested in 10-shim-cli). */
#include "tether/opts.h"

#include <stdint.h>
#include <string.h>

#define MAX_ARGS 64

static bool asks_for_help(const char *arg)
{
	if (strncmp(arg, "--help", 6) == 0)
		return true;
	/* A cluster of short options ("-th") or a value that looks like one. */
	return arg[0] == '-' && arg[1] != '-' && strpbrk(arg, "h?") != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A GLib warning (an error set twice, say) is a finding too. */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
	g_autofree char *copy = g_malloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';

	char *argv[MAX_ARGS + 1];
	int argc = 0;
	argv[argc++] = "tether";
	for (char *p = copy; p <= copy + size && argc < MAX_ARGS; p += strlen(p) + 1)
		if (!asks_for_help(p))
			argv[argc++] = p;
	argv[argc] = NULL;

	struct tether_opts o;
	g_autoptr(GError) error = NULL;
	if (opts_parse(&o, argc, argv, &error) && opts_validate(&o, &error)) {
		/* What validation promises the rest of the shim. */
		if (o.cid == NULL || *o.cid == '\0' || strchr(o.cid, '/') != NULL ||
		    strlen(o.cid) > 255 || strcmp(o.cid, "..") == 0 || o.runtime == NULL ||
		    o.container_pidfile == NULL || o.socket_dir_path == NULL || o.timeout < 0 ||
		    o.exit_delay < 0 || o.log_max_files < 0)
			__builtin_trap();
		if (o.cuuid != NULL && (strchr(o.cuuid, '/') != NULL || strlen(o.cuuid) > 255))
			__builtin_trap();
		/* passthrough with -i is conmon's (podman run -i): the container
		 * reads our stdin; a terminal would be ours to relay. */
		if (o.log_passthrough && o.terminal)
			__builtin_trap();
		/* The log policies: a rate of 1 byte to 1 GiB a second, a burst
		 * only with a rate, compression only with rotation. */
		if ((o.log_rate != NULL) != (o.log_rate_bytes > 0) ||
		    o.log_rate_bytes > ((uint64_t)1 << 30) || o.log_burst_bytes > ((uint64_t)1 << 30) ||
		    (o.log_burst != NULL && o.log_rate == NULL) || (o.log_compress && !o.log_rotate))
			__builtin_trap();
	} else if (error == NULL || error->message == NULL || *error->message == '\0') {
		/* Every refusal says why. */
		__builtin_trap();
	}
	opts_clear(&o);
	return 0;
}
