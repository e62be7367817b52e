/* Replays fuzz inputs through a target's LLVMFuzzerTestOneInput without
 * libFuzzer, so that the committed corpus and every crash ever found run
 * in `make check` (under the sanitizers in the ASan build).  Prints TAP:
 * one test per folder: $top_srcdir/tests/fuzz/corpus/NAME and
 * $top_srcdir/tests/fuzz/crashes/NAME, NAME being FUZZ_NAME of the build.
 * Arguments are ignored (the harness passes GTest flags). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	const char *top = g_getenv("top_srcdir");
	char *dirs[3];
	int i, n = 0;

	(void)argc;
	(void)argv;
	if (top == NULL)
		top = ".";
	dirs[0] = g_build_filename(top, "tests", "fuzz", "corpus", FUZZ_NAME,
	                           NULL);
	dirs[1] = g_build_filename(top, "tests", "fuzz", "crashes", FUZZ_NAME,
	                           NULL);
	dirs[2] = NULL;
	for (i = 0; dirs[i] != NULL; i++) {
		GDir *d = g_dir_open(dirs[i], 0, NULL);
		const char *name;
		int files = 0;

		if (d == NULL) {
			printf("ok %d - %s # SKIP absent\n", ++n, dirs[i]);
			continue;
		}
		while ((name = g_dir_read_name(d)) != NULL) {
			g_autofree char *p = g_build_filename(dirs[i], name, NULL);
			g_autofree char *buf = NULL;
			gsize len;
			if (!g_file_get_contents(p, &buf, &len, NULL))
				continue;
			LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
			files++;
		}
		g_dir_close(d);
		printf("ok %d - replayed %d inputs of %s\n", ++n, files, dirs[i]);
	}
	printf("1..%d\n", n);
	g_free(dirs[0]);
	g_free(dirs[1]);
	return 0;
}
