/* Fuzz target: the checkpoint reader (src/nn/ckpt.c, every model's
 * format) through LightGCN.  A valid checkpoint of a tiny graph is made
 * once; each input replaces its state.json and a resumed training must
 * either continue or fail with an error, never crash.  Inputs whose first
 * byte is '#' replace ego.npy instead (array damage). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kith/csr.h"
#include "kith/models.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { NU = 12, NI = 9, D = 4 };

static struct kith_csr R;
static char *dir, *ck, *state, *ego;
static char *good_state, *good_ego;
static gsize good_state_len, good_ego_len;

static void
params(struct kith_lightgcn_params *p)
{
	kith_lightgcn_params_init(p);
	p->dim = D;
	p->train.max_epochs = 3;
	p->val_ratio = 0;
	p->spectral_init = FALSE;
	p->threads = 1;
	p->train.checkpoint_dir = ck;
	p->train.checkpoint_every = 1;
}

static void
cleanup(void)
{
	GDir *d = g_dir_open(ck, 0, NULL);
	const char *n;

	while (d != NULL && (n = g_dir_read_name(d)) != NULL) {
		g_autofree char *f = g_build_filename(ck, n, NULL);
		unlink(f);
	}
	if (d != NULL)
		g_dir_close(d);
	rmdir(ck);
	rmdir(dir);
}

static void
setup(void)
{
	int32_t rows[NU * 3], cols[NU * 3];
	struct kith_lightgcn_params p;
	float U[NU * D], V[NI * D];
	int i;

	for (i = 0; i < NU * 3; i++) {
		rows[i] = i / 3;
		cols[i] = (i * 5 + i / 3) % NI;
	}
	kith_csr_from_coo(&R, NU, NI, NU * 3, rows, cols, NULL, NULL);
	dir = g_strdup_printf("%s/kith-fuzz-ckpt-%d", g_get_tmp_dir(),
	                      (int)getpid());
	g_mkdir_with_parents(dir, 0700);
	ck = g_build_filename(dir, "ck", NULL);
	state = g_build_filename(ck, "state.json", NULL);
	ego = g_build_filename(ck, "ego.npy", NULL);
	atexit(cleanup);
	params(&p);
	p.train.max_epochs = 1;
	kith_lightgcn_train(U, V, NULL, &R, NULL, &p, NULL);
	g_file_get_contents(state, &good_state, &good_state_len, NULL);
	g_file_get_contents(ego, &good_ego, &good_ego_len, NULL);
	/* tools/fuzz seeds the corpus with the valid state */
	if (g_getenv("KITH_FUZZ_SEED_OUT") != NULL && good_state != NULL)
		g_file_set_contents(g_getenv("KITH_FUZZ_SEED_OUT"), good_state,
		                    (gssize)good_state_len, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kith_lightgcn_params p;
	struct kith_train_report rep;
	float U[NU * D], V[NI * D];
	GError *err = NULL;

	if (dir == NULL)
		setup();
	if (good_state == NULL || good_ego == NULL)
		return 0;
	g_file_set_contents(state, good_state, (gssize)good_state_len, NULL);
	g_file_set_contents(ego, good_ego, (gssize)good_ego_len, NULL);
	if (size > 0 && data[0] == '#')
		g_file_set_contents(ego, (const char *)data + 1, (gssize)size - 1,
		                    NULL);
	else
		g_file_set_contents(state, (const char *)data, (gssize)size, NULL);
	params(&p);
	p.train.resume = TRUE;
	p.train.checkpoint_every = 0;
	kith_train_report_init(&rep);
	(void)kith_lightgcn_train(U, V, &rep, &R, NULL, &p, &err);
	g_clear_error(&err);
	kith_train_report_clear(&rep);
	return 0;
}
