/* Replays fuzz inputs without libFuzzer, so that make check runs every
 * target's corpus (and every crash once found) as regression inputs, with
 * any compiler. Prints TAP: one test per input directory or file. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int has_inputs(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;
	while (d != NULL && !found && (e = readdir(d)) != NULL)
		found = e->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	return found;
}

int main(int argc, char **argv)
{
	/* With no arguments: this target's corpus and any crashes kept from
	 * make fuzz, under $TETHER_SRC (the source tree). */
	char corpus[4096], crashes[4096];
	char *defaults[] = {argv[0], corpus, crashes, NULL};
	if (argc == 1) {
		const char *src = getenv("TETHER_SRC") ? getenv("TETHER_SRC") : ".";
		snprintf(corpus, sizeof(corpus), "%s/tests/fuzz/corpus/%s", src, FUZZ_NAME);
		snprintf(crashes, sizeof(crashes), "%s/tests/fuzz/crashes/%s", src, FUZZ_NAME);
		/* make fuzz keeps the crashes directory while a target runs, empty
		 * unless it finds one. */
		argc = has_inputs(crashes) ? 3 : 2;
		argv = defaults;
	}
	printf("1..%d\n", argc - 1);
	int failed = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int inputs = 0, bad = 0;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *e;
			while (d != NULL && (e = readdir(d)) != NULL) {
				if (e->d_name[0] == '.')
					continue;
				char path[4096];
				snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
				bad += run_file(path) < 0;
				inputs++;
			}
			if (d != NULL)
				closedir(d);
		} else {
			bad += run_file(argv[i]) < 0;
			inputs = 1;
		}
		/* A crash never gets here: the process dies and TAP is short. */
		printf("%s %d - %s: %d inputs replayed\n", bad || !inputs ? "not ok" : "ok", i, argv[i],
		       inputs);
		failed += bad || !inputs;
	}
	return failed ? 1 : 0;
}
