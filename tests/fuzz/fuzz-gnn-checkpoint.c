/* Fuzz target: the checkpoint reader (src/nn/ckpt.c) through GCN, whose
 * state holds 1-D and 2-D arrays and four optimisers.  A valid GCN
 * checkpoint of a tiny graph is made once; each input replaces its
 * state.json (inputs whose first byte is '#' replace w1.npy instead) and
 * a resumed training must either continue or fail with an error, never
 * crash. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kith/csr.h"
#include "kith/models.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { N = 24, F = 5, D = 4 };

static struct kith_csr A, X;
static char *dir, *ck, *state, *w1;
static char *good_state, *good_w1;
static gsize good_state_len, good_w1_len;

static void
params(struct kith_gcn_params *p)
{
	kith_gcn_params_init(p);
	p->hidden = D;
	p->dim = D;
	p->train.max_epochs = 3;
	p->train.checkpoint_dir = ck;
}

static void
cleanup(void)
{
	kith_checkpoint_remove(ck);
	rmdir(dir);
}

static void
setup(void)
{
	int32_t r[4 * N], c[4 * N], xr[N * 2], xc[N * 2];
	struct kith_gcn_params p;
	struct kith_gcn_model m;
	struct kith_train_report rep;
	float emb[N * D];
	int i, k = 0;

	for (i = 0; i < N; i++) {
		int j = (i + 1) % N, l = (i * 5 + 2) % N;
		r[k] = i, c[k++] = j;
		r[k] = j, c[k++] = i;
		r[k] = i, c[k++] = l;
		r[k] = l, c[k++] = i;
		xr[2 * i] = xr[2 * i + 1] = i;
		xc[2 * i] = i % F;
		xc[2 * i + 1] = (i * 3 + 1) % F;
	}
	kith_csr_from_coo(&A, N, N, k, r, c, NULL, NULL);
	kith_csr_from_coo(&X, N, F, 2 * N, xr, xc, NULL, NULL);
	dir = g_strdup_printf("%s/kith-fuzz-gnn-ckpt-%d", g_get_tmp_dir(),
	                      (int)getpid());
	g_mkdir_with_parents(dir, 0700);
	ck = g_build_filename(dir, "ck", NULL);
	state = g_build_filename(ck, "state.json", NULL);
	w1 = g_build_filename(ck, "w1.npy", NULL);
	atexit(cleanup);
	params(&p);
	p.train.checkpoint_every = 1;
	p.train.time_limit = 1e-9;    /* stops, with a checkpoint, after epoch 1 */
	kith_train_report_init(&rep);
	kith_gcn_train(emb, NULL, &m, &rep, &A, &X, NULL, NULL, 0, &p, NULL);
	kith_gcn_model_clear(&m);
	kith_train_report_clear(&rep);
	g_file_get_contents(state, &good_state, &good_state_len, NULL);
	g_file_get_contents(w1, &good_w1, &good_w1_len, NULL);
	if (g_getenv("KITH_FUZZ_SEED_OUT") != NULL && good_state != NULL)
		g_file_set_contents(g_getenv("KITH_FUZZ_SEED_OUT"), good_state,
		                    (gssize)good_state_len, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kith_gcn_params p;
	struct kith_gcn_model m;
	struct kith_train_report rep;
	float emb[N * D];
	GError *err = NULL;

	if (dir == NULL)
		setup();
	if (good_state == NULL || good_w1 == NULL)
		return 0;
	g_file_set_contents(state, good_state, (gssize)good_state_len, NULL);
	g_file_set_contents(w1, good_w1, (gssize)good_w1_len, NULL);
	if (size > 0 && data[0] == '#')
		g_file_set_contents(w1, (const char *)data + 1, (gssize)size - 1,
		                    NULL);
	else
		g_file_set_contents(state, (const char *)data, (gssize)size, NULL);
	params(&p);
	p.train.resume = TRUE;
	kith_train_report_init(&rep);
	if (kith_gcn_train(emb, NULL, &m, &rep, &A, &X, NULL, NULL, 0, &p,
	                   &err))
		kith_gcn_model_clear(&m);
	g_clear_error(&err);
	kith_train_report_clear(&rep);
	return 0;
}
