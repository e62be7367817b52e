/* The training driver (src/nn/train.c) and the checkpoint format
 * (src/nn/ckpt.c) on a toy model whose steps and validation scores are
 * known: validation every N epochs, early stopping, the best epoch, the
 * refit's epoch count and learning-rate cuts, the time limit, checkpoints
 * (periodic, timed inside an epoch, at an interrupt) and resumes that end
 * byte-identical, and the refusal of damaged, foreign and older
 * checkpoints with a message naming the versions. */
#include "config.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "kith/core.h"
#include "kith/io.h"
#include "kith/models.h"
#include "nn/train-internal.h"

enum { D = 5, MAX_EP = 40 };

/* The toy: x (D floats) moves by a known amount each step; the score of
 * a validation at epoch e is score[e] (scripted by the test). */
struct toy {
	float x[D], best[D];
	int64_t t;                      /* steps taken (a counter) */
	int steps;                      /* per epoch */
	const double *score;            /* [epoch], 1-based */
	int setups[4], n_setups;        /* phases set up */
	double lr_scale[2][MAX_EP + 1]; /* seen by epoch_begin */
	int interrupt_epoch, interrupt_step;  /* request an interrupt */
	struct train_outcome out;
	float y[D];                     /* the output */
};

static gboolean
toy_setup(void *m, int phase, gboolean resuming, GError **error)
{
	struct toy *t = m;
	t->setups[t->n_setups++] = phase;
	for (int i = 0; i < D; i++)
		t->x[i] = resuming ? NAN : (float)(1 + phase + i);
	t->t = 0;
	return TRUE;
}

static int
toy_steps(void *m)
{
	return ((struct toy *)m)->steps;
}

static void
toy_epoch_begin(void *m, int phase, int epoch, double lr_scale)
{
	((struct toy *)m)->lr_scale[phase][epoch] = lr_scale;
}

/* x ← 0.9 x + a value keyed by (phase, epoch, step); weight step + 1. */
static gboolean
toy_step(void *m, int phase, int epoch, int step, int steps, double *loss,
         int64_t *weight, GError **error)
{
	struct toy *t = m;
	struct kith_rng r;
	double l = 0;

	kith_rng_seed(&r, 99, ((uint64_t)phase << 40) ^
	              ((uint64_t)epoch << 20) ^ (uint64_t)step);
	for (int i = 0; i < D; i++) {
		t->x[i] = 0.9f * t->x[i] + (float)kith_rng_uniform(&r);
		l += (double)t->x[i] * t->x[i];
	}
	t->t++;
	*loss = l;
	*weight = step + 1;
	if (epoch == t->interrupt_epoch && step + 1 == t->interrupt_step)
		kith_interrupt_request();
	return TRUE;
}

static gboolean
toy_validate(void *m, int epoch, struct train_val *v, GError **error)
{
	struct toy *t = m;
	*v = (struct train_val){ t->score[epoch], t->score[epoch] / 2, NAN };
	return TRUE;
}

static void
toy_keep_best(void *m)
{
	struct toy *t = m;
	memcpy(t->best, t->x, sizeof t->x);
}

static void
toy_items(void *m, struct ckpt_items *it)
{
	struct toy *t = m;
	memset(it, 0, sizeof *it);
	ckpt_add_array(it, "x.npy", t->x, D, 0);
	ckpt_add_array(it, "best.npy", t->best, 1, D);
	ckpt_add_counter(it, "t", &t->t);
}

static gboolean
toy_finish(void *m, const struct train_outcome *o,
           struct kith_train_report *rep, GError **error)
{
	struct toy *t = m;
	t->out = *o;
	memcpy(t->y, o->refit_done || !o->have_best ? t->x : t->best,
	       sizeof t->y);
	return TRUE;
}

static const struct train_hooks toy_hooks = {
	.model = "toy",
	.setup = toy_setup,
	.steps = toy_steps,
	.epoch_begin = toy_epoch_begin,
	.step = toy_step,
	.validate = toy_validate,
	.keep_best = toy_keep_best,
	.items = toy_items,
	.finish = toy_finish,
};

static char *dir, *ck;

static void
config(struct train_config *c, int max_epochs, int patience)
{
	struct kith_train_options o = { .max_epochs = max_epochs,
	                                .patience = patience };
	train_config_init(c, &o, 0, 0);
	c->refit = TRUE;
	c->config_hash = "toy-hash";
}

/* Runs the toy; returns train_run's result, the report in *rep. */
static gboolean
run(struct toy *t, const struct train_config *c,
    struct kith_train_report *rep, GError **error)
{
	kith_train_report_init(rep);
	return train_run(&toy_hooks, t, c, rep, error);
}

/* Scores that peak at epoch 3 (0.1 0.3 0.5 0.4 0.45 0.2 ...). */
static const double peak3[MAX_EP + 1] = {
	0, 0.1, 0.3, 0.5, 0.4, 0.45, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2
};

static void
test_early_stop_refit(void)
{
	struct toy t = { .steps = 3, .score = peak3 };
	struct train_config c;
	struct kith_train_report rep;

	config(&c, 30, 3);
	g_assert_true(run(&t, &c, &rep, NULL));
	/* bad validations at 4, 5, 6: stops after 6, best 3, refit 3 */
	g_assert_cmpstr(rep.stop_reason, ==, "early-stop");
	g_assert_cmpint(rep.epochs_run, ==, 6);
	g_assert_cmpint(rep.best_epoch, ==, 3);
	g_assert_cmpint(rep.refit_epochs, ==, 3);
	g_assert_cmpfloat(rep.val, ==, 0.5);
	g_assert_cmpfloat(rep.val2, ==, 0.25);
	g_assert_cmpint(t.n_setups, ==, 2);
	g_assert_cmpint(t.setups[1], ==, 1);
	g_assert_true(t.out.refit_done);
	g_assert_cmpint(t.t, ==, 3 * 3);        /* the refit's steps */
	g_assert_cmpint(rep.curve->len, ==, 6 + 3);
	const struct kith_train_point *pt = &g_array_index(
	    rep.curve, struct kith_train_point, 6);
	g_assert_cmpint(pt->phase, ==, 1);
	g_assert_cmpfloat(pt->val, <, 0);
	kith_train_report_clear(&rep);

	/* validation every 2 epochs (and at the last): 2, 4, 5 */
	struct toy u = { .steps = 1, .score = peak3 };
	config(&c, 5, 10);
	c.eval_every = 2;
	c.refit = FALSE;
	g_assert_true(run(&u, &c, &rep, NULL));
	g_assert_cmpint(rep.curve->len, ==, 3);
	int want[3] = { 2, 4, 5 };
	for (int i = 0; i < 3; i++)
		g_assert_cmpint(g_array_index(rep.curve,
		    struct kith_train_point, i).epoch, ==, want[i]);
	g_assert_cmpint(rep.best_epoch, ==, 5);  /* 0.45 > 0.4 > 0.3 */
	g_assert_cmpstr(rep.stop_reason, ==, "max-epochs");
	g_assert_false(u.out.refit_done);
	g_assert_cmpmem(u.y, sizeof u.y, u.best, sizeof u.best);
	kith_train_report_clear(&rep);
}

/* The epoch's loss is the mean of its steps' losses weighted by their
 * sample counts. */
static void
test_loss_mean(void)
{
	struct toy t = { .steps = 3, .score = peak3 }, u = t;
	struct train_config c;
	struct kith_train_report rep;
	double sum = 0;
	int64_t w = 0;

	config(&c, 1, 5);
	c.validate = FALSE;
	g_assert_true(run(&t, &c, &rep, NULL));
	toy_setup(&u, 0, FALSE, NULL);
	for (int s = 0; s < 3; s++) {
		double l;
		int64_t k;
		toy_step(&u, 0, 1, s, 3, &l, &k, NULL);
		sum += l * k;
		w += k;
	}
	g_assert_cmpint(rep.curve->len, ==, 1);
	g_assert_cmpfloat(g_array_index(rep.curve, struct kith_train_point,
	                                0).loss, ==, sum / w);
	g_assert_cmpint(rep.best_epoch, ==, 0);
	g_assert_cmpfloat(rep.val, ==, -1);
	kith_train_report_clear(&rep);
}

/* Learning-rate cuts after validations without gain, replayed by the
 * refit. */
static void
test_lr_cuts(void)
{
	static const double sc[MAX_EP + 1] = { 0, 0.5, 0.4, 0.3, 0.6, 0.1,
	                                       0.1, 0.1 };
	struct toy t = { .steps = 2, .score = sc };
	struct train_config c;
	struct kith_train_report rep;

	config(&c, 7, 3);
	c.lr_decay = 0.5;
	g_assert_true(run(&t, &c, &rep, NULL));
	/* cuts after 2 and 3, after 5 and 6; stop at 7 (3 bad) */
	double want[8] = { 0, 1, 1, 0.5, 0.25, 0.25, 0.125, 0.0625 };
	for (int e = 1; e <= 7; e++)
		g_assert_cmpfloat(t.lr_scale[0][e], ==, want[e]);
	g_assert_cmpint(rep.epochs_run, ==, 7);
	g_assert_cmpint(rep.best_epoch, ==, 4);
	g_assert_cmpint(rep.refit_epochs, ==, 4);
	for (int e = 1; e <= 4; e++)
		g_assert_cmpfloat(t.lr_scale[1][e], ==, want[e]);
	kith_train_report_clear(&rep);
}

static void
test_time_limit(void)
{
	struct toy t = { .steps = 2, .score = peak3 };
	struct train_config c;
	struct kith_train_report rep;

	config(&c, 10, 5);
	c.time_limit = 1e-9;
	g_assert_true(run(&t, &c, &rep, NULL));
	g_assert_cmpstr(rep.stop_reason, ==, "time-limit");
	g_assert_cmpint(rep.epochs_run, ==, 1);
	g_assert_cmpint(rep.refit_epochs, ==, 0);
	g_assert_cmpint(t.n_setups, ==, 1);
	g_assert_false(t.out.refit_done);
	kith_train_report_clear(&rep);
}

/* The toy's full run (its output and curve without times). */
static void
full_run(struct toy *t, struct kith_train_report *rep)
{
	struct train_config c;
	*t = (struct toy){ .steps = 3, .score = peak3 };
	config(&c, 30, 3);
	g_assert_true(run(t, &c, rep, NULL));
}

static void
assert_same_run(const struct toy *a, const struct kith_train_report *ra,
                const struct toy *b, const struct kith_train_report *rb)
{
	g_assert_cmpmem(a->y, sizeof a->y, b->y, sizeof b->y);
	g_assert_cmpint(ra->curve->len, ==, rb->curve->len);
	for (guint i = 0; i < ra->curve->len; i++) {
		struct kith_train_point p = g_array_index(
		    ra->curve, struct kith_train_point, i);
		struct kith_train_point q = g_array_index(
		    rb->curve, struct kith_train_point, i);
		p.seconds = q.seconds = 0;
		g_assert_cmpmem(&p, sizeof p, &q, sizeof q);
	}
	g_assert_cmpint(ra->epochs_run, ==, rb->epochs_run);
	g_assert_cmpint(ra->best_epoch, ==, rb->best_epoch);
	g_assert_cmpint(ra->refit_epochs, ==, rb->refit_epochs);
	g_assert_cmpstr(ra->stop_reason, ==, rb->stop_reason);
}

/* Cut by the time limit after every epoch (both phases), resumed each
 * time: the same output and curve as one run. */
static void
test_resume_every_epoch(void)
{
	struct toy a, b;
	struct kith_train_report ra, rb;
	struct train_config c;
	int runs = 0;

	full_run(&a, &ra);
	kith_checkpoint_remove(ck);
	do {
		b = (struct toy){ .steps = 3, .score = peak3 };
		config(&c, 30, 3);
		c.checkpoint_dir = ck;
		c.checkpoint_every = 1;
		c.time_limit = 1e-9;
		c.resume = runs > 0;
		if (runs > 0)
			kith_train_report_clear(&rb);
		g_assert_true(run(&b, &c, &rb, NULL));
		/* runs 1..5 resume after epochs 1..5; run 5 ends the
		 * selection (early stop) and trains refit epoch 1 */
		g_assert_cmpint(rb.resumed_epoch, ==, runs <= 5 ? runs
		                                                : runs - 5);
		runs++;
	} while (strcmp(rb.stop_reason, "time-limit") == 0);
	g_assert_cmpint(runs, ==, 6 + 3);
	assert_same_run(&a, &ra, &b, &rb);
	kith_train_report_clear(&ra);
	kith_train_report_clear(&rb);
	kith_checkpoint_remove(ck);
}

/* on_epoch of test_timed: after epoch 2, copies the checkpoint folder,
 * which holds the timed checkpoint after step 2 of 3 of epoch 2. */
static void
copy_epoch2(const struct kith_train_point *pt, void *data)
{
	const char *names[] = { "x.npy", "best.npy", "state.json" };
	g_autofree char *to = g_strconcat(ck, "-copy", NULL);
	if (pt->epoch != 2 || pt->phase != 0)
		return;
	g_assert_cmpint(g_mkdir_with_parents(to, 0755), ==, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *a = g_build_filename(ck, names[i], NULL);
		g_autofree char *b = g_build_filename(to, names[i], NULL);
		g_autofree char *buf = NULL;
		gsize len = 0;
		g_assert_true(g_file_get_contents(a, &buf, &len, NULL));
		g_assert_true(g_file_set_contents(b, buf, (gssize)len, NULL));
	}
}

/* Timed checkpoints inside epochs change nothing; a run resumed from
 * one (epoch 1 done, 2 of the 3 steps of epoch 2) ends the same. */
static void
test_timed(void)
{
	struct toy a, b;
	struct kith_train_report ra, rb;
	struct train_config c;
	g_autofree char *cp = g_strconcat(ck, "-copy", NULL);
	g_autofree char *sp = g_build_filename(cp, "state.json", NULL);

	full_run(&a, &ra);
	b = (struct toy){ .steps = 3, .score = peak3 };
	config(&c, 30, 3);
	c.checkpoint_dir = ck;
	c.checkpoint_seconds = 1e-9;
	c.on_epoch = copy_epoch2;
	g_assert_true(run(&b, &c, &rb, NULL));
	assert_same_run(&a, &ra, &b, &rb);
	kith_train_report_clear(&rb);
	g_autoptr(JsonNode) st = kith_json_read(sp, NULL);
	g_assert_nonnull(st);
	g_assert_cmpint(kith_json_int_or(json_node_get_object(st), "epoch", -1),
	                ==, 1);
	g_assert_cmpint(kith_json_int_or(json_node_get_object(st), "step", -1),
	                ==, 2);
	b = (struct toy){ .steps = 3, .score = peak3 };
	config(&c, 30, 3);
	c.checkpoint_dir = cp;
	c.resume = TRUE;
	g_assert_true(run(&b, &c, &rb, NULL));
	g_assert_cmpint(rb.resumed_epoch, ==, 1);
	assert_same_run(&a, &ra, &b, &rb);
	kith_train_report_clear(&ra);
	kith_train_report_clear(&rb);
	kith_checkpoint_remove(ck);
	kith_checkpoint_remove(cp);
}

/* In a subprocess (the interrupt flag cannot be cleared): an interrupt
 * after step 1 of epoch 2 writes that step's checkpoint and fails with
 * KITH_ERROR_INTERRUPTED naming it; one after the last step of epoch 3
 * finishes the epoch first. */
static void
interrupt_child(int epoch, int step)
{
	struct toy t = { .steps = 3, .score = peak3, .interrupt_epoch = epoch,
	                 .interrupt_step = step };
	struct train_config c;
	struct kith_train_report rep;
	GError *err = NULL;

	config(&c, 30, 3);
	c.checkpoint_dir = ck;
	g_assert_false(run(&t, &c, &rep, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_INTERRUPTED);
	g_assert_true(t.out.interrupted);
	g_printerr("%s\n", err->message);
	g_error_free(err);
	kith_train_report_clear(&rep);
}

static void
test_interrupt_step(void)
{
	if (g_test_subprocess()) {
		interrupt_child(2, 1);
		return;
	}
	struct toy a, b;
	struct kith_train_report ra, rb;
	struct train_config c;
	g_autofree char *sp = g_build_filename(ck, "state.json", NULL);

	kith_checkpoint_remove(ck);
	g_test_trap_subprocess(NULL, 0, 0);
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("*after step 1 of 3 of epoch 2; checkpoint*");
	g_autoptr(JsonNode) st = kith_json_read(sp, NULL);
	g_assert_nonnull(st);
	g_assert_cmpint(kith_json_int_or(json_node_get_object(st), "step", -1),
	                ==, 1);
	full_run(&a, &ra);
	b = (struct toy){ .steps = 3, .score = peak3 };
	config(&c, 30, 3);
	c.checkpoint_dir = ck;
	c.resume = TRUE;
	g_assert_true(run(&b, &c, &rb, NULL));
	assert_same_run(&a, &ra, &b, &rb);
	kith_train_report_clear(&ra);
	kith_train_report_clear(&rb);
	kith_checkpoint_remove(ck);
}

static void
test_interrupt_epoch(void)
{
	if (g_test_subprocess()) {
		interrupt_child(3, 3);
		return;
	}
	g_autofree char *sp = g_build_filename(ck, "state.json", NULL);

	kith_checkpoint_remove(ck);
	g_test_trap_subprocess(NULL, 0, 0);
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("*interrupted after epoch 3; checkpoint*");
	g_autoptr(JsonNode) st = kith_json_read(sp, NULL);
	g_assert_nonnull(st);
	JsonObject *o = json_node_get_object(st);
	g_assert_cmpint(kith_json_int_or(o, "epoch", -1), ==, 3);
	g_assert_cmpint(kith_json_int_or(o, "step", -1), ==, 0);
	g_assert_cmpint(kith_json_int_or(o, "best_epoch", -1), ==, 3);
	kith_checkpoint_remove(ck);
}

/* Resuming from dir must fail with a message containing want. */
static void
assert_refused(const struct train_hooks *h, const char *want)
{
	struct toy t = { .steps = 3, .score = peak3 };
	struct train_config c;
	struct kith_train_report rep;
	GError *err = NULL;

	config(&c, 30, 3);
	c.checkpoint_dir = ck;
	c.resume = TRUE;
	kith_train_report_init(&rep);
	g_assert_false(train_run(h, &t, &c, &rep, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_CORRUPT);
	if (strstr(err->message, want) == NULL)
		g_error("'%s' does not say '%s'", err->message, want);
	g_error_free(err);
	kith_train_report_clear(&rep);
}

/* A checkpoint after epoch 2 in ck (its .old removed). */
static void
make_checkpoint(void)
{
	struct toy t = { .steps = 3, .score = peak3 };
	struct train_config c;
	struct kith_train_report rep;
	g_autofree char *old = g_strconcat(ck, ".old", NULL);

	kith_checkpoint_remove(ck);
	config(&c, 2, 3);
	c.refit = FALSE;
	c.checkpoint_dir = ck;
	c.checkpoint_every = 1;
	g_assert_true(run(&t, &c, &rep, NULL));
	kith_train_report_clear(&rep);
	kith_checkpoint_remove(old);
}

static void
put_state(const char *text)
{
	g_autofree char *sp = g_build_filename(ck, "state.json", NULL);
	g_assert_true(g_file_set_contents(sp, text, -1, NULL));
}

static void
test_refused(void)
{
	struct train_hooks other = toy_hooks;

	make_checkpoint();
	other.model = "other";
	assert_refused(&other, "(toy, not other)");
	/* the formats of kith before version 2 */
	put_state("{ \"format\": \"kith-lightgcn-checkpoint\", \"epoch\": 3 }");
	assert_refused(&toy_hooks, "older format kith-lightgcn-checkpoint "
	               "version 1; this kith reads kith-checkpoint version 2");
	put_state("{ \"format\": \"kith-gcn-checkpoint\", \"format_version\": "
	          "1 }");
	assert_refused(&toy_hooks, "kith-gcn-checkpoint version 1");
	put_state("{ \"format\": \"kith-checkpoint\", \"version\": 3 }");
	assert_refused(&toy_hooks, "has version 3; this kith reads "
	               "kith-checkpoint version 2");
	/* another configuration */
	make_checkpoint();
	g_autofree char *sp = g_build_filename(ck, "state.json", NULL);
	g_autofree char *good = NULL;
	g_assert_true(g_file_get_contents(sp, &good, NULL, NULL));
	GString *s = g_string_new(good);
	g_string_replace(s, "toy-hash", "another", 1);
	put_state(s->str);
	assert_refused(&toy_hooks, "another store or other parameters");
	/* an array list that is not the model's */
	g_string_assign(s, good);
	g_string_replace(s, "\"t\" :", "\"u\" :", 1);
	put_state(s->str);
	assert_refused(&toy_hooks, "does not hold this model's state");
	/* a damaged array */
	put_state(good);
	g_autofree char *xp = g_build_filename(ck, "x.npy", NULL);
	g_autofree char *x = NULL;
	gsize len;
	g_assert_true(g_file_get_contents(xp, &x, &len, NULL));
	x[len - 1] ^= 1;
	g_assert_true(g_file_set_contents(xp, x, (gssize)len, NULL));
	assert_refused(&toy_hooks, "x.npy' is damaged");
	g_string_free(s, TRUE);
	kith_checkpoint_remove(ck);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* the subprocesses of the interrupt tests share the parent's folder */
	if (g_getenv("KITH_TEST_TRAIN_DIR") != NULL) {
		dir = g_strdup(g_getenv("KITH_TEST_TRAIN_DIR"));
	} else {
		dir = g_dir_make_tmp("kith-test-train-XXXXXX", NULL);
		g_setenv("KITH_TEST_TRAIN_DIR", dir, TRUE);
	}
	ck = g_build_filename(dir, "ck", NULL);
	g_test_add_func("/train/early-stop-refit", test_early_stop_refit);
	g_test_add_func("/train/loss-mean", test_loss_mean);
	g_test_add_func("/train/lr-cuts", test_lr_cuts);
	g_test_add_func("/train/time-limit", test_time_limit);
	g_test_add_func("/train/resume-every-epoch", test_resume_every_epoch);
	g_test_add_func("/train/timed-checkpoint", test_timed);
	g_test_add_func("/train/interrupt-step", test_interrupt_step);
	g_test_add_func("/train/interrupt-epoch", test_interrupt_epoch);
	g_test_add_func("/train/refused", test_refused);
	int rc = g_test_run();
	if (!g_test_subprocess()) {
		kith_checkpoint_remove(ck);
		g_rmdir(dir);
	}
	return rc;
}
