/*
 * The training driver of every model (see train-internal.h).
 *
 * Phase 0 trains epochs 1..max_epochs of `steps` steps each; the loss of
 * an epoch is the mean of its steps' losses weighted by their sample
 * counts.  With validation, every eval_every epochs (and at the last) the
 * model is validated: a higher score is kept as the best state (a lower
 * validation loss breaks ties; a negative score, no validation data,
 * keeps every epoch), `patience` validations without a better score stop
 * the phase, and each one that does not stop it cuts the learning rate by
 * lr_decay (when < 1).  With refit, phase 1 then trains best_epoch epochs
 * on all the data, replaying the cuts.  The time limit is checked after
 * every epoch.  Checkpoints are written every checkpoint_every epochs,
 * after a step once checkpoint_seconds have passed since the last one, at
 * a stop and at a phase's last epoch.  After SIGINT/SIGTERM the step in
 * progress finishes; when the epoch has steps left a checkpoint of that
 * step is written, else the epoch finishes (with its validation) and is
 * checkpointed.  A resumed run replays exactly what the uninterrupted run
 * would have done: the model's random draws are keyed by (phase, epoch,
 * step), never by a stream that runs across calls.
 * Over the ranks of an MPI job (config dist) every rank runs this loop
 * in step: the interrupt and timed-checkpoint flags are or-ed over the
 * ranks after every step, the time limit after every epoch, so all
 * ranks stop and checkpoint together; a resume is agreed (every rank
 * reads the folder); the bytes of the steps are counted for the report.
 * Cost: the hooks' plus O(1) per step (one Allreduce of 16 bytes when
 * distributed) and O(curve) per checkpoint.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "kith/core.h"
#include "kith/dist.h"
#include "kith/io.h"
#include "nn/train-internal.h"

void
kith_train_report_init(struct kith_train_report *r)
{
	memset(r, 0, sizeof *r);
	r->curve = g_array_new(FALSE, TRUE, sizeof(struct kith_train_point));
	r->val = r->val2 = -1;
	r->lowpass_val[0] = r->lowpass_val[1] = -1;
	r->train_acc = r->val_acc = r->test_acc = -1;
	r->stop_reason = "max-epochs";
}

void
kith_train_report_clear(struct kith_train_report *r)
{
	if (r->curve)
		g_array_unref(r->curve);
	g_free(r->selection);
	g_free(r->row_bounds);
	memset(r, 0, sizeof *r);
}

void
train_report_to_json(JsonBuilder *b, const struct kith_train_report *rep,
                     const char *val_key, const char *val2_key,
                     gboolean phases)
{
	json_builder_set_member_name(b, "curve");
	json_builder_begin_array(b);
	for (guint i = 0; i < rep->curve->len; i++) {
		const struct kith_train_point *pt =
		    &g_array_index(rep->curve, struct kith_train_point, i);
		json_builder_begin_object(b);
		kith_json_put_int(b, "epoch", pt->epoch);
		if (phases)
			kith_json_put_string(b, "phase",
			                     pt->phase ? "refit" : "select");
		kith_json_put_double(b, "loss", pt->loss);
		if (pt->val >= 0)
			kith_json_put_double(b, val_key, pt->val);
		if (pt->val >= 0 && val2_key)
			kith_json_put_double(b, val2_key, pt->val2);
		kith_json_put_double(b, "seconds", pt->seconds);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "training");
	json_builder_begin_object(b);
	kith_json_put_int(b, "epochs_run", rep->epochs_run);
	kith_json_put_int(b, "best_epoch", rep->best_epoch);
	if (phases)
		kith_json_put_int(b, "refit_epochs", rep->refit_epochs);
	kith_json_put_string(b, "stop_reason", rep->stop_reason);
	if (phases) {
		kith_json_put_int(b, "val_users", rep->val_users);
		kith_json_put_int(b, "val_pairs", rep->val_pairs);
	}
	json_builder_end_object(b);
	json_builder_set_member_name(b, "timings");
	json_builder_begin_object(b);
	kith_json_put_double(b, "init", rep->seconds_init);
	kith_json_put_double(b, "train", rep->seconds_train);
	if (phases)
		kith_json_put_double(b, "eval", rep->seconds_eval);
	kith_json_put_double(b, "model", rep->seconds_total);
	json_builder_end_object(b);
	if (rep->ranks > 0)
		train_report_dist_to_json(b, rep);
}

void
train_report_dist_to_json(JsonBuilder *b, const struct kith_train_report *rep)
{
	json_builder_set_member_name(b, "mpi");
	json_builder_begin_object(b);
	kith_json_put_int(b, "ranks", rep->ranks);
	json_builder_set_member_name(b, "row_bounds");
	json_builder_begin_array(b);
	for (int q = 0; q <= rep->ranks; q++)
		json_builder_add_int_value(b, rep->row_bounds[q]);
	json_builder_end_array(b);
	if (g_strcmp0(rep->stop_reason, "closed-form") == 0) {
		/* the filter: the bytes of the whole fit */
		kith_json_put_int(b, "bytes", rep->bytes_steps);
		kith_json_put_int(b, "bytes_formula", rep->bytes_formula);
		kith_json_put_string(b, "formula", rep->bytes_formula_text);
		json_builder_end_object(b);
		return;
	}
	kith_json_put_int(b, "halo_rows", rep->halo_rows);
	kith_json_put_int(b, "steps", rep->dist_steps);
	kith_json_put_int(b, "batch_halo_rows", rep->batch_halo_rows);
	kith_json_put_int(b, "bytes_steps", rep->bytes_steps);
	kith_json_put_int(b, "bytes_steps_formula", rep->bytes_formula);
	kith_json_put_int(b, "steps_per_epoch", rep->steps_per_epoch);
	kith_json_put_int(b, "bytes_per_epoch", kith_train_bytes_per_epoch(
	                  rep, rep->bytes_steps));
	kith_json_put_int(b, "bytes_per_epoch_formula",
	                  kith_train_bytes_per_epoch(rep, rep->bytes_formula));
	kith_json_put_string(b, "formula", rep->bytes_formula_text);
	json_builder_end_object(b);
}

int64_t
kith_train_bytes_per_epoch(const struct kith_train_report *rep, int64_t total)
{
	if (rep->dist_steps <= 0)
		return 0;
	return (int64_t)llround((double)total * rep->steps_per_epoch /
	                        (double)rep->dist_steps);
}

void
train_config_init(struct train_config *c, const struct kith_train_options *o,
                  int def_epochs, int def_patience)
{
	*c = (struct train_config){
		.max_epochs = o->max_epochs > 0 ? o->max_epochs : def_epochs,
		.eval_every = 1,
		.patience = o->patience > 0 ? o->patience : def_patience,
		.lr_decay = 1.0, .validate = TRUE, .refit = FALSE,
		.time_limit = o->time_limit,
		.checkpoint_dir = o->checkpoint_dir,
		.checkpoint_every = o->checkpoint_every,
		.checkpoint_seconds = o->checkpoint_seconds,
		.resume = o->resume,
		.on_epoch = o->on_epoch, .on_epoch_data = o->on_epoch_data,
	};
}

gboolean
train_options_check(const struct kith_train_options *o, GError **error)
{
	const char *bad = NULL;

	if (o->max_epochs < 0 || o->patience < 0 || !(o->time_limit >= 0))
		bad = "negative epochs, patience or time limit";
	else if (o->checkpoint_every < 0 || !(o->checkpoint_seconds >= 0))
		bad = "negative checkpoint interval";
	else if ((o->checkpoint_every > 0 || o->checkpoint_seconds > 0 ||
	          o->resume) && !o->checkpoint_dir)
		bad = "checkpoints need a checkpoint folder";
	if (bad)
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE, "%s", bad);
	return bad == NULL;
}

/* One call of train_run(). */
struct run {
	const struct train_hooks *h;
	void *m;
	const struct train_config *c;
	struct kith_train_report *rep;
	struct train_state st;
	struct ckpt_items it;
	double t0;              /* start, minus the restored elapsed time */
	double last_ckpt;
	double t_train, t_eval;
	gboolean resumed;
	gboolean interrupted;
	int int_epoch, int_step, int_steps;  /* an interrupt inside an epoch */
	const char *reason;
};

/* Over the ranks of an MPI job every rank must take the decisions that
 * hang on a clock or a signal (stop, checkpoint) at the same step: the
 * flags of all ranks are or-ed (one Allreduce of n int64).  A no-op for
 * one process. */
static gboolean
agree(const struct run *r, int64_t *flags, int n, GError **error)
{
	return !r->c->dist ||
	       kith_dist_allreduce_i64(flags, n, KITH_DIST_MAX, error);
}

static gboolean
save(struct run *r, const struct train_state *st, GError **error)
{
	if (!ckpt_write(r->c->checkpoint_dir, r->h->model, r->c->config_hash,
	                st, r->rep->curve, &r->it, error))
		return FALSE;
	r->last_ckpt = kith_now();
	return TRUE;
}

/* A checkpoint inside epoch ep after `step` of its steps: the state of the
 * epochs finished so far plus the step, its loss sum and weight. */
static gboolean
save_step(struct run *r, int ep, int step, double loss, int64_t weight,
          GError **error)
{
	struct train_state si = r->st;
	si.epoch = ep - 1;
	si.step = step;
	si.step_loss = loss;
	si.step_weight = weight;
	si.elapsed = kith_now() - r->t0;
	return save(r, &si, error);
}

/* The steps of epoch ep: their weighted loss sum into *loss, *weight.
 * Sets r->interrupted (and where, when steps are left). */
static gboolean
run_steps(struct run *r, int phase, int ep, int steps, double *loss,
          int64_t *weight, GError **error)
{
	const struct train_config *c = r->c;
	int s0 = MIN(r->st.step, steps);

	*loss = s0 > 0 ? r->st.step_loss : 0;      /* resumed inside */
	*weight = s0 > 0 ? r->st.step_weight : 0;
	r->st.step = 0;
	r->st.step_loss = 0;
	r->st.step_weight = 0;
	for (int s = s0; s < steps; s++) {
		double l;
		int64_t w;
		uint64_t b0 = kith_dist_bytes();
		if (!r->h->step(r->m, phase, ep, s, steps, &l, &w, error))
			return FALSE;
		*loss += l * w;
		*weight += w;
		int64_t flag[2] = {
			kith_interrupted(),
			c->checkpoint_seconds > 0 && s + 1 < steps &&
			    kith_now() - r->last_ckpt >= c->checkpoint_seconds
		};
		if (!agree(r, flag, 2, error))
			return FALSE;
		if (c->dist) {
			/* the step's traffic, with the Allreduce above */
			r->rep->bytes_steps += (int64_t)(kith_dist_bytes() - b0);
			r->rep->bytes_formula += kith_dist_size() > 1 ? 16 : 0;
			r->rep->dist_steps++;
			r->rep->steps_per_epoch = steps;
		}
		if (flag[0]) {
			r->interrupted = TRUE;
			if (s + 1 == steps)
				break;          /* the epoch finishes */
			r->int_epoch = ep;
			r->int_step = s + 1;
			r->int_steps = steps;
			return !c->checkpoint_dir ||
			       save_step(r, ep, s + 1, *loss, *weight, error);
		}
		if (flag[1] && !save_step(r, ep, s + 1, *loss, *weight, error))
			return FALSE;
	}
	return TRUE;
}

/* The bookkeeping of a validation of epoch ep; *stop on early stopping. */
static void
judge(struct run *r, int ep, const struct train_val *v, gboolean *stop)
{
	struct train_state *st = &r->st;
	gboolean better = v->score > st->best;

	if (better || (v->score == st->best && v->loss < st->best_loss) ||
	    v->score < 0) {
		st->best = v->score;
		st->best2 = v->score2;
		st->best_loss = v->loss;
		st->best_epoch = ep;
		if (better)
			st->bad_evals = 0;
		r->h->keep_best(r->m);
	} else if (++st->bad_evals >= r->c->patience) {
		r->reason = "early-stop";
		*stop = TRUE;
	} else if (r->c->lr_decay < 1 && st->n_cuts < TRAIN_MAX_CUTS) {
		st->cut_epoch[st->n_cuts++] = ep;
	}
}

/* Whether the epoch just finished ends with a checkpoint. */
static gboolean
checkpoint_due(const struct run *r, int ep, int n_epochs, gboolean stop)
{
	const struct train_config *c = r->c;

	if (r->interrupted && c->checkpoint_dir)
		return TRUE;
	if (c->checkpoint_every <= 0 && c->checkpoint_seconds <= 0)
		return FALSE;
	return (c->checkpoint_every > 0 && ep % c->checkpoint_every == 0) ||
	       (c->checkpoint_seconds > 0 &&
	        kith_now() - r->last_ckpt >= c->checkpoint_seconds) ||
	       stop || ep == n_epochs;
}

/* Epoch ep of n_epochs; *stop when the phase ends here. */
static gboolean
run_epoch(struct run *r, int phase, int ep, int n_epochs, int steps,
          gboolean *stop, GError **error)
{
	const struct train_config *c = r->c;
	double ts = kith_now(), loss;
	int64_t weight;
	int cuts = 0;

	for (int i = 0; i < r->st.n_cuts; i++)
		cuts += r->st.cut_epoch[i] < ep;
	if (r->h->epoch_begin)
		r->h->epoch_begin(r->m, phase, ep, pow(c->lr_decay, cuts));
	if (!run_steps(r, phase, ep, steps, &loss, &weight, error))
		return FALSE;
	r->t_train += kith_now() - ts;
	*stop = r->int_step > 0;
	if (*stop) {
		r->reason = "interrupted";
		return TRUE;
	}
	r->st.epoch = ep;
	struct kith_train_point pt = { ep, phase,
	                               loss / (double)MAX(weight, (int64_t)1),
	                               -1, -1, 0 };
	gboolean do_eval = phase == 0 && c->validate &&
	                   (ep % c->eval_every == 0 || ep == n_epochs);
	if (do_eval) {
		struct train_val v;
		double te = kith_now();
		if (!r->h->validate(r->m, ep, &v, error))
			return FALSE;
		r->t_eval += kith_now() - te;
		pt.val = v.score;
		pt.val2 = v.score2;
		judge(r, ep, &v, stop);
	}
	pt.seconds = kith_now() - r->t0;
	r->st.elapsed = pt.seconds;
	if (do_eval || phase == 1 || !c->validate) {
		g_array_append_val(r->rep->curve, pt);
		if (c->on_epoch)
			c->on_epoch(&pt, c->on_epoch_data);
	}
	kith_progress(phase == 0 ? "training" : "refit", ep, n_epochs);
	int64_t time_up = c->time_limit > 0 && kith_now() - r->t0 >=
	                  c->time_limit;
	if (c->time_limit > 0 && !agree(r, &time_up, 1, error))
		return FALSE;
	if (time_up && !*stop) {
		r->reason = "time-limit";
		*stop = TRUE;
	}
	if (r->interrupted) {
		r->reason = "interrupted";
		*stop = TRUE;
	}
	int64_t due = checkpoint_due(r, ep, n_epochs, *stop);
	if (c->checkpoint_seconds > 0 && !agree(r, &due, 1, error))
		return FALSE;
	if (due && !save(r, &r->st, error))
		return FALSE;
	return TRUE;
}

/* The epochs of one phase. */
static gboolean
run_phase(struct run *r, int phase, GError **error)
{
	const struct train_config *c = r->c;
	int n_epochs = phase == 0 ? c->max_epochs : r->st.best_epoch;
	int steps = r->h->steps ? r->h->steps(r->m) : 1;
	gboolean stop = FALSE;

	/* a resumed selection phase that had already stopped early */
	if (phase == 0 && strcmp(r->reason, "early-stop") == 0)
		n_epochs = r->st.epoch;
	for (int ep = r->st.epoch + 1; ep <= n_epochs && !stop; ep++)
		if (!run_epoch(r, phase, ep, n_epochs, steps, &stop, error))
			return FALSE;
	if (phase == 0)
		r->rep->epochs_run = r->st.epoch;
	else
		r->rep->refit_epochs = r->st.epoch;
	return TRUE;
}

/* Restores the newest valid checkpoint generation, if any, after the
 * setup of the phase it was written in. */
static gboolean
start(struct run *r, GError **error)
{
	const struct train_config *c = r->c;
	struct ckpt_gen g = { 0 };
	int got = 0;

	if (c->resume) {
		got = ckpt_pick(&g, &r->st, r->rep->curve, c->checkpoint_dir,
		                r->h->model, c->config_hash, error);
		/* every rank reads the folder: they must find the same */
		int64_t mm[2] = { got, -got };
		if (c->dist && (!kith_dist_all_ok(got >= 0, error) ||
		                !kith_dist_allreduce_i64(mm, 2, KITH_DIST_MIN,
		                                         error))) {
			ckpt_gen_clear(&g);
			return FALSE;
		}
		if (c->dist && mm[0] != -mm[1]) {
			ckpt_gen_clear(&g);
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
			            "the ranks do not all see the checkpoint "
			            "'%s' (it must be on a shared file system)",
			            c->checkpoint_dir);
			return FALSE;
		}
		if (got < 0)
			return FALSE;
	}
	r->resumed = got > 0;
	gboolean ok = r->h->setup(r->m, r->st.phase, r->resumed, error);
	if (ok) {
		r->h->items(r->m, &r->it);
		ok = !r->resumed || ckpt_load(&g, &r->it, error);
		if (c->dist && r->resumed)
			ok = kith_dist_all_ok(ok, error);
	}
	if (ok && r->resumed) {
		r->rep->resumed_epoch = r->st.epoch;
		r->rep->resumed_generation = g.generation;
	}
	ckpt_gen_clear(&g);
	return ok;
}

/* The report's summary and the finish hook; the interrupt error. */
static gboolean
finish(struct run *r, GError **error)
{
	const struct train_state *st = &r->st;
	struct kith_train_report *rep = r->rep;
	gboolean time_up = strcmp(r->reason, "time-limit") == 0;
	struct train_outcome o = {
		st->phase, st->epoch,
		st->phase == 1 && st->epoch == st->best_epoch &&
		    !r->interrupted && !time_up,
		st->best_epoch > 0, r->resumed, r->interrupted, r->reason,
		{ st->best, st->best2, st->best_loss }
	};
	const char *dir = r->c->checkpoint_dir;

	if (st->phase == 1 && !o.refit_done)
		rep->refit_epochs = 0;
	/* the traffic of all ranks */
	int64_t sum[3] = { rep->bytes_steps, rep->bytes_formula,
	                   rep->batch_halo_rows };
	if (r->c->dist) {
		if (!kith_dist_allreduce_i64(sum, 3, KITH_DIST_SUM, error))
			return FALSE;
		rep->bytes_steps = sum[0];
		rep->bytes_formula = sum[1];
		rep->batch_halo_rows = sum[2];
	}
	/* resumed inside the refit: the selection phase is in the curve */
	for (guint i = 0; st->phase == 1 && i < rep->curve->len; i++) {
		const struct kith_train_point *pt = &g_array_index(
		    rep->curve, struct kith_train_point, i);
		if (pt->phase == 0)
			rep->epochs_run = MAX(rep->epochs_run, pt->epoch);
	}
	rep->best_epoch = st->best_epoch;
	rep->val = o.have_best ? st->best : -1;
	rep->val2 = o.have_best ? st->best2 : -1;
	rep->stop_reason = r->reason;
	gboolean ok = r->h->finish(r->m, &o, rep, error);
	rep->seconds_train = r->t_train;
	rep->seconds_eval = r->t_eval;
	rep->seconds_total = kith_now() - r->t0;
	if (!ok || !r->interrupted)
		return ok;
	g_autofree char *where = r->int_step > 0 ?
	    g_strdup_printf("step %d of %d of epoch %d", r->int_step,
	                    r->int_steps, r->int_epoch) :
	    g_strdup_printf("epoch %d", st->epoch);
	g_set_error(error, KITH_ERROR, KITH_ERROR_INTERRUPTED,
	            "training interrupted after %s%s%s%s", where,
	            dir ? "; checkpoint in '" : "", dir ? dir : "",
	            dir ? "' (continue with --resume)" : "");
	return FALSE;
}

gboolean
train_run(const struct train_hooks *h, void *m, const struct train_config *c,
          struct kith_train_report *rep, GError **error)
{
	struct run r = { .h = h, .m = m, .c = c, .rep = rep,
	                 .reason = "max-epochs" };

	r.t0 = r.last_ckpt = kith_now();
	r.st.best = r.st.best2 = -1;
	r.st.best_loss = INFINITY;
	rep->max_epochs = c->max_epochs;
	rep->patience = c->patience;
	rep->eval_every = c->eval_every;
	if (!start(&r, error))
		return FALSE;
	rep->seconds_init = kith_now() - r.t0;
	r.t0 -= r.st.elapsed;
	/* resumed after the selection phase had stopped early (in it, or
	 * in the refit that followed) */
	if (c->validate && r.st.bad_evals >= c->patience)
		r.reason = "early-stop";
	for (int phase = r.st.phase; phase <= 1; phase++) {
		if (phase == 1) {
			if (!c->validate || !c->refit || r.st.best_epoch < 1)
				break;
			if (r.st.phase == 0) {
				if (!h->setup(m, 1, FALSE, error))
					return FALSE;
				h->items(m, &r.it);
				r.st.phase = 1;
				r.st.epoch = 0;
			}
		}
		if (!run_phase(&r, phase, error))
			return FALSE;
		if (r.interrupted || strcmp(r.reason, "time-limit") == 0)
			break;
	}
	return finish(&r, error);
}
