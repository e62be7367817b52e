/* Fuzz target: the pipeline (key-file) reader of `kith run`, and the
 * fingerprint of every stage it parses. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "kith/pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *path;
	struct kith_pipeline *p;
	GError *err = NULL;
	guint i, j;

	if (path == NULL)
		path = g_strdup_printf("%s/kith-fuzz-pipeline-%d.ini",
		                       g_get_tmp_dir(), (int)getpid());
	if (!g_file_set_contents(path, (const char *)data, (gssize)size, NULL))
		return 0;
	p = kith_pipeline_load(path, &err);
	if (p == NULL) {
		g_clear_error(&err);
		unlink(path);
		return 0;
	}
	for (i = 0; i < p->stages->len; i++) {
		const struct kith_pipeline_stage *s = g_ptr_array_index(p->stages, i);
		GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
		char *fp;
		for (j = 0; j < s->keys->len; j++) {
			const struct kith_pipeline_key *k = g_ptr_array_index(s->keys, j);
			g_ptr_array_add(argv, g_strdup_printf("--%s=%s", k->key,
			                                      k->value));
			g_free(kith_pipeline_path(p, k->value));
		}
		(void)kith_pipeline_get(s, "events");
		fp = kith_pipeline_fingerprint((char *const *)argv->pdata,
		                               (int)argv->len, NULL, 0, &err);
		g_free(fp);
		g_clear_error(&err);
		g_ptr_array_free(argv, TRUE);
	}
	kith_pipeline_free(p);
	unlink(path);
	return 0;
}
