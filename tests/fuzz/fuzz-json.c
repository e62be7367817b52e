/* Fuzz target: manifest reading and verification of a folder whose
 * manifest.json is the input. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "kith/emb.h"
#include "kith/io.h"
#include "kith/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir, *path;

static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GError *err = NULL;
	JsonNode *n;
	struct kith_store *s;
	struct kith_emb *e;

	if (dir == NULL) {
		dir = g_strdup_printf("%s/kith-fuzz-json-%d", g_get_tmp_dir(),
		                      (int)getpid());
		g_mkdir_with_parents(dir, 0700);
		path = g_build_filename(dir, "manifest.json", NULL);
		atexit(cleanup);
	}
	if (!g_file_set_contents(path, (const char *)data, (gssize)size, NULL))
		return 0;
	n = kith_json_read(path, &err);
	if (n != NULL)
		json_node_unref(n);
	g_clear_error(&err);
	(void)kith_manifest_verify(dir, &err);
	g_clear_error(&err);
	s = kith_store_open(dir, &err);
	kith_store_free(s);
	g_clear_error(&err);
	e = kith_emb_open(dir, &err);
	kith_emb_free(e);
	g_clear_error(&err);
	unlink(path);
	return 0;
}
