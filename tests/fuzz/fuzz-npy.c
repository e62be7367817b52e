/* Fuzz target: the .npy reader (header parsing, size checks). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "kith/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *path;
	struct kith_npy a;
	GError *err = NULL;

	if (path == NULL)
		path = g_strdup_printf("%s/kith-fuzz-npy-%d.npy", g_get_tmp_dir(),
		                       (int)getpid());
	if (!g_file_set_contents(path, (const char *)data, (gssize)size, NULL))
		return 0;
	if (kith_npy_map(&a, path, &err)) {
		volatile uint8_t sum = 0;
		size_t i;
		for (i = 0; i < a.nbytes; i++)
			sum ^= ((const uint8_t *)a.data)[i];
		(void)sum;
		kith_npy_unmap(&a);
	} else {
		g_clear_error(&err);
	}
	unlink(path);
	return 0;
}
