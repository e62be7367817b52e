/* kith embed STORE -o EMB [--model auto|filter|lightgcn|sage|gcn] [options]:
 * maps the options (from the command line, or the keys of kith run's
 * [embed] stage) to a kith_embed_request (src/nn/embed.c) and prints. */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kith/dist.h"
#include "kith/memest.h"
#include "kith/models.h"
#include "kith/store.h"

/* The options as given; -1 / 0 / NULL / FALSE: not given (the model's
 * default). */
struct embed_opts {
	char *model, *output, *labels, *from, *aggregator, *fanout;
	char *checkpoint_every;
	int dim, layers, epochs, batch, neg, eval_every, patience;
	double lr, l2, lowpass, val_ratio, time_limit, social_weight;
	gboolean resume, no_spectral, no_refit, no_hard_neg, id_emb;
};

static void
embed_opts_clear(struct embed_opts *o)
{
	char *own[] = { o->model, o->output, o->labels, o->from,
	                o->aggregator, o->fanout, o->checkpoint_every };
	for (size_t i = 0; i < G_N_ELEMENTS(own); i++)
		g_free(own[i]);
}

/* The per-epoch line on a terminal. */
static void
embed_epoch(const struct kith_train_point *pt, void *data)
{
	const struct kith_cli *cli = data;

	if (!cli->tty || kith_dist_rank() != 0)
		return;
	fprintf(stderr, "\r\033[K%s %4d  loss %.4f", pt->phase ? "refit" :
	        "epoch", pt->epoch, pt->loss);
	if (pt->val >= 0)
		fprintf(stderr, "  val %.4f", pt->val);
	if (pt->val2 >= 0)
		fprintf(stderr, " / %.4f", pt->val2);
	fprintf(stderr, "  %6.1f s\n", pt->seconds);
}

/* --checkpoint-every: "N" epochs, or "N" followed by s, m or h (a wall
 * time between checkpoints; N may have a fraction). */
static gboolean
parse_checkpoint_every(const char *text, struct kith_train_options *t)
{
	char *end = NULL;
	double v;

	if (!g_ascii_isdigit(text[0]))
		return FALSE;
	v = g_ascii_strtod(text, &end);
	if (!(v >= 0) || v > 1e9)
		return FALSE;
	if (*end == '\0') {
		if (v != floor(v) || v > G_MAXINT)
			return FALSE;
		t->checkpoint_every = (int)v;
		return TRUE;
	}
	double unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600
	                                                                : 0;
	if (unit == 0 || end[1] != '\0')
		return FALSE;
	t->checkpoint_seconds = v * unit;
	return TRUE;
}

/* The options every model shares, into its training options t. */
static int
train_options(struct kith_train_options *t, const struct embed_opts *o,
              struct kith_cli *cli)
{
	if (o->checkpoint_every && !parse_checkpoint_every(o->checkpoint_every,
	                                                   t))
		return kith_cli_usage("embed", "--checkpoint-every: '%s' is not "
		                      "a number of epochs or a time such as "
		                      "10m", o->checkpoint_every);
	if (o->epochs > 0)
		t->max_epochs = o->epochs;
	if (o->patience > 0)
		t->patience = o->patience;
	t->time_limit = o->time_limit;
	t->resume = o->resume;
	t->on_epoch = embed_epoch;
	t->on_epoch_data = cli;
	return 0;
}

static void
map_lightgcn(struct kith_lightgcn_params *p, const struct embed_opts *o)
{
	if (o->dim > 0)
		p->dim = o->dim;
	if (o->layers >= 0)
		p->layers = o->layers;
	if (o->batch > 0)
		p->batch = o->batch;
	if (o->lr > 0)
		p->lr = o->lr;
	if (o->l2 >= 0)
		p->l2 = o->l2;
	if (o->neg > 0)
		p->neg = o->neg;
	if (o->val_ratio >= 0)
		p->val_ratio = o->val_ratio;
	if (o->eval_every > 0)
		p->eval_every = o->eval_every;
	p->social_weight = o->social_weight;
	p->spectral_init = !o->no_spectral;
	p->refit = !o->no_refit;
	p->hard_neg = !o->no_hard_neg;
}

static void
map_gcn(struct kith_gcn_params *p, const struct embed_opts *o)
{
	if (o->dim > 0)
		p->hidden = p->dim = o->dim;
	if (o->l2 >= 0)
		p->weight_decay = o->l2;
	if (o->lr > 0)
		p->lr = o->lr;
	if (o->neg > 0)
		p->neg = o->neg;
}

static int
map_sage(struct kith_sage_params *p, const struct embed_opts *o)
{
	if (o->dim > 0)
		p->dim = o->dim;
	if (o->l2 >= 0)
		p->l2 = o->l2;
	if (o->val_ratio >= 0)
		p->val_ratio = o->val_ratio;
	if (o->lr > 0)
		p->lr = o->lr;
	if (o->neg > 0)
		p->neg = o->neg;
	p->id_emb = o->id_emb;
	if (o->aggregator && strcmp(o->aggregator, "mean") != 0 &&
	    strcmp(o->aggregator, "pool") != 0)
		return kith_cli_usage("embed", "--aggregator must be mean or "
		                      "pool");
	p->pool = o->aggregator && strcmp(o->aggregator, "pool") == 0;
	if (o->fanout) {
		char *end;
		long a = strtol(o->fanout, &end, 10), b = -1;
		if (*end == ',')
			b = strtol(end + 1, &end, 10);
		if (*end || a < 1 || b < 1 || a > 10000 || b > 10000)
			return kith_cli_usage("embed", "--fanout must be two "
			                      "positive counts, e.g. 25,10");
		p->fanout[0] = (int)a;
		p->fanout[1] = (int)b;
	}
	return 0;
}

/* The request of the parsed options o (checked); 0 or a usage status. */
static int
embed_request(struct kith_embed_request *r, const struct embed_opts *o,
              struct kith_cli *cli)
{
	kith_embed_request_init(r);
	if (o->model)
		r->model = o->model;
	if (!kith_embed_model_known(r->model))
		return kith_cli_usage("embed", "unknown model '%s'", r->model);
	r->output = o->output;
	r->labels = o->labels;
	r->from = o->from;
	r->seed = cli->seed;
	if (strcmp(r->model, "gcn") == 0) {
		map_gcn(&r->gcn, o);
		return train_options(&r->gcn.train, o, cli);
	}
	if (strcmp(r->model, "sage") == 0) {
		int rc = map_sage(&r->sage, o);
		return rc ? rc : train_options(&r->sage.train, o, cli);
	}
	/* filter, and auto: the filter's and LightGCN's options */
	if (o->dim > 0)
		r->filter.dim = o->dim;
	if (o->val_ratio >= 0)
		r->filter.val_ratio = o->val_ratio;
	if (o->lowpass >= 0)
		r->filter.lowpass = o->lowpass;
	map_lightgcn(&r->lightgcn, o);
	return train_options(&r->lightgcn.train, o, cli);
}

static int
check_opts(const struct embed_opts *o, int argc)
{
	if (argc != 2)
		return kith_cli_usage("embed", "expected one STORE");
	if (!o->output)
		return kith_cli_usage("embed", "-o EMB is required");
	if (o->dim != -1 && (o->dim < 1 || o->dim > 4096))
		return kith_cli_usage("embed", "--dim must be in 1..4096");
	if (o->epochs < 0 || o->batch < 0 || o->neg < 0 ||
	    o->eval_every < 0 || o->patience < 0)
		return kith_cli_usage("embed", "--epochs, --batch, --neg, "
		                      "--checkpoint-every, --eval-every and "
		                      "--patience must be >= 0");
	if (o->layers < -1 || o->layers > 16)
		return kith_cli_usage("embed", "--layers must be in 0..16");
	if (o->val_ratio != -1 && !(o->val_ratio >= 0 && o->val_ratio < 1))
		return kith_cli_usage("embed", "--val-ratio must be in [0, 1)");
	if (o->lr != -1 && !(o->lr > 0))
		return kith_cli_usage("embed", "--lr must be positive");
	if (o->lowpass != -1 && !(o->lowpass >= 0 && o->lowpass <= 100))
		return kith_cli_usage("embed", "--lowpass must be in [0, 100]");
	if (o->l2 != -1 && !(o->l2 >= 0))
		return kith_cli_usage("embed", "--l2 must be >= 0");
	if (!(o->time_limit >= 0) || !(o->social_weight >= 0))
		return kith_cli_usage("embed", "--time-limit and "
		                      "--social-weight must be >= 0");
	return 0;
}

/* The summary line of a training run. */
static void
embed_summary(struct kith_cli *cli, const struct kith_embed_request *r,
              const struct kith_store *s, const struct kith_train_report *rep)
{
	const char *m = rep->model ? rep->model : r->model;

	if (rep->resumed_epoch > 0)
		kith_cli_info(cli, "embed", "resumed after epoch %d from "
		              "'%s.ckpt%s'", rep->resumed_epoch, r->output,
		              rep->resumed_generation ? ".old" : "");
	if (rep->selection)
		kith_cli_info(cli, "embed", "%s", rep->selection);
	if (strcmp(m, "filter") == 0 && rep->lowpass_val[0] >= 0)
		kith_cli_info(cli, "embed", "filter d=%d, low-pass %g (val "
		              "recall@%d %.4f at 0, %.4f at %g): closed form; "
		              "val recall@%d %.4f ndcg@%d %.4f; %.1f s",
		              kith_filter_dim(&r->filter, &s->ui), rep->lowpass,
		              rep->k, rep->lowpass_val[0], rep->lowpass_val[1],
		              KITH_FILTER_LOWPASS, rep->k, rep->val, rep->k,
		              rep->val2, rep->seconds_total);
	else if (strcmp(m, "filter") == 0)
		kith_cli_info(cli, "embed", "filter d=%d, low-pass %g: closed "
		              "form; val recall@%d %.4f ndcg@%d %.4f; %.1f s",
		              kith_filter_dim(&r->filter, &s->ui), rep->lowpass,
		              rep->k, rep->val, rep->k, rep->val2,
		              rep->seconds_total);
	else if (strcmp(m, "lightgcn") == 0)
		kith_cli_info(cli, "embed", "lightgcn d=%d: %d epochs, best %d, "
		              "refit %d (%s); val recall@%d %.4f ndcg@%d %.4f; "
		              "%.1f s", r->lightgcn.dim, rep->epochs_run,
		              rep->best_epoch, rep->refit_epochs,
		              rep->stop_reason, rep->k, rep->val, rep->k,
		              rep->val2, rep->seconds_total);
	else if (strcmp(m, "gcn") == 0 && r->labels)
		kith_cli_info(cli, "embed", "gcn h=%d: %d epochs, best %d (%s); "
		              "accuracy train %.4f val %.4f test %.4f; %.2f s",
		              r->gcn.hidden, rep->epochs_run, rep->best_epoch,
		              rep->stop_reason, rep->train_acc, rep->val_acc,
		              rep->test_acc, rep->seconds_total);
	else
		kith_cli_info(cli, "embed", "%s d=%d: %d epochs, best %d (%s); "
		              "val %s %.4f; %.2f s", strcmp(m, "gcn") == 0 ?
		              "gcn auto-encoder" : r->sage.pool ? "sage-pool" :
		              "sage-mean", strcmp(m, "gcn") == 0 ? r->gcn.dim :
		              r->sage.dim, rep->epochs_run, rep->best_epoch,
		              rep->stop_reason, r->labels ? "accuracy" :
		              "link auc", rep->val, rep->seconds_total);
	if (rep->ranks > 0 && strcmp(m, "filter") == 0)
		kith_cli_info(cli, "embed", "mpi ranks %d: bytes %"
		              G_GINT64_FORMAT " (formula %s: %" G_GINT64_FORMAT
		              ")", rep->ranks, rep->bytes_steps,
		              rep->bytes_formula_text, rep->bytes_formula);
	else if (rep->ranks > 0)
		kith_cli_info(cli, "embed", "mpi ranks %d: halo rows %"
		              G_GINT64_FORMAT ", bytes per epoch %" G_GINT64_FORMAT
		              " (formula %s: %" G_GINT64_FORMAT ")", rep->ranks,
		              rep->halo_rows, kith_train_bytes_per_epoch(rep,
		              rep->bytes_steps), rep->bytes_formula_text,
		              kith_train_bytes_per_epoch(rep, rep->bytes_formula));
}

/* The options of kith embed, declared once: the command line and the
 * keys of kith run's [embed] stage both go through this table. */
#define EO(f) offsetof(struct embed_opts, f)
static const struct kith_cli_option embed_options[] = {
	{ "output", 'o', G_OPTION_ARG_FILENAME, EO(output),
	  "embedding folder to write", "EMB", 0 },
	{ "model", 'm', G_OPTION_ARG_STRING, EO(model),
	  "auto (default: filter or lightgcn, chosen on validation), filter, "
	  "lightgcn, sage or gcn", "MODEL", 0 },
	{ "dim", 'd', G_OPTION_ARG_INT, EO(dim),
	  "embedding width (filter: 256, others: 64)", "D", 0 },
	{ "layers", 0, G_OPTION_ARG_INT, EO(layers),
	  "propagation layers (lightgcn: 3)", "L", 0 },
	{ "epochs", 0, G_OPTION_ARG_INT, EO(epochs),
	  "maximum epochs (lightgcn: 300, early stopping)", "N", 0 },
	{ "batch", 0, G_OPTION_ARG_INT, EO(batch),
	  "users per step (lightgcn: pairs/16, >= 1024)", "B", 0 },
	{ "lowpass", 0, G_OPTION_ARG_DOUBLE, EO(lowpass),
	  "filter: weight of the low-pass term (default: 0 or 0.3, chosen "
	  "on validation)", "A", 0 },
	{ "lr", 0, G_OPTION_ARG_DOUBLE, EO(lr),
	  "Adam learning rate (lightgcn: 0.01)", "LR", 0 },
	{ "l2", 0, G_OPTION_ARG_DOUBLE, EO(l2),
	  "L2 penalty (lightgcn: 1e-4 on the batch's ego embeddings)", "W", 0 },
	{ "neg", 0, G_OPTION_ARG_INT, EO(neg),
	  "negatives per positive (lightgcn: 8)", "N", 0 },
	{ "val-ratio", 0, G_OPTION_ARG_DOUBLE, EO(val_ratio),
	  "share of each user's pairs held out for model selection "
	  "(0.1; 0 = none)", "R", 0 },
	{ "time-limit", 0, G_OPTION_ARG_DOUBLE, EO(time_limit),
	  "stop training after this many seconds (0 = none)", "S", 0 },
	{ "checkpoint-every", 0, G_OPTION_ARG_STRING, EO(checkpoint_every),
	  "write EMB.ckpt every N epochs, or every N minutes with Nm (also "
	  "Ns, Nh; 0 = never)", "N", 0 },
	{ "resume", 0, G_OPTION_ARG_NONE, EO(resume), "continue from EMB.ckpt",
	  NULL, 0 },
	{ "social-weight", 0, G_OPTION_ARG_DOUBLE, EO(social_weight),
	  "weight of user-user links in the graph (0)", "W", 0 },
	{ "eval-every", 0, G_OPTION_ARG_INT, EO(eval_every),
	  "lightgcn: epochs between validations (2)", "N", 0 },
	{ "patience", 0, G_OPTION_ARG_INT, EO(patience),
	  "lightgcn: validations without gain before stopping (5)", "N", 0 },
	{ "no-spectral", 0, G_OPTION_ARG_NONE, EO(no_spectral),
	  "lightgcn: random N(0, 0.1²) start instead of truncated SVD", NULL, 0 },
	{ "no-hard-neg", 0, G_OPTION_ARG_NONE, EO(no_hard_neg),
	  "lightgcn: every sampled negative counts, not only the best-scored",
	  NULL, 0 },
	{ "no-refit", 0, G_OPTION_ARG_NONE, EO(no_refit),
	  "lightgcn: keep the best validation model, no refit on all pairs",
	  NULL, 0 },
	{ "labels", 0, G_OPTION_ARG_FILENAME, EO(labels),
	  "gcn: node labels (node label split) for semi-supervised training",
	  "FILE", 0 },
	{ "from", 0, G_OPTION_ARG_FILENAME, EO(from),
	  "sage, gcn: embed with the trained weights of EMB0 (no training)",
	  "EMB0", 0 },
	{ "aggregator", 0, G_OPTION_ARG_STRING, EO(aggregator),
	  "sage: mean (default) or pool", "AGG", 0 },
	{ "fanout", 0, G_OPTION_ARG_STRING, EO(fanout),
	  "sage: neighbours sampled at hop 1,2 (25,10)", "F1,F2", 0 },
	{ "id-emb", 0, G_OPTION_ARG_NONE, EO(id_emb),
	  "sage: add learned per-node id embeddings (default when the store "
	  "has fewer than 32 feature columns)", NULL, 0 },
};
#define N_EMBED_OPTIONS G_N_ELEMENTS(embed_options)

static void
embed_opts_init(struct embed_opts *o)
{
	*o = (struct embed_opts){ .dim = -1, .layers = -1, .lr = -1, .l2 = -1,
	                          .lowpass = -1, .val_ratio = -1 };
}

/* The memory gate of r on s: under mpirun (lightgcn, filter, auto) the
 * largest of the ranks' estimates, which every rank computes alike, so
 * every rank refuses alike; else the process's.  Returns the exit
 * status. */
static int
embed_gate(struct kith_cli *cli, const struct kith_embed_request *r,
           const struct kith_store *s, const char *what)
{
	int P = kith_dist_size();
	g_autofree struct kith_memest_rank *e = g_new(struct kith_memest_rank,
	                                               P);

	if (!kith_embed_memest_ranks(r, s, e))
		return kith_cli_memory_gate(cli, "embed", what,
		                            kith_embed_memest(r, s));
	int q = kith_memest_rank_max(e, P);
	/* the filter alone: its ranks hold users, no halo */
	if (strcmp(r->model, "filter") == 0 ||
	    (strcmp(r->model, "auto") == 0 &&
	     s->ui.nnz > r->auto_lightgcn_max_pairs)) {
		g_autofree char *fw = g_strdup_printf("%s on rank %d of %d (%"
		    G_GINT64_FORMAT " users, %" G_GINT64_FORMAT " pairs%s: "
		    "the largest share)", what, q, P, e[q].rows, e[q].entries,
		    q == 0 ? ", the gathered output" : "");
		return kith_cli_memory_gate(cli, "embed", fw, e[q].bytes);
	}
	g_autofree char *rw = g_strdup_printf("%s on rank %d of %d (%"
	    G_GINT64_FORMAT " rows of the graph, %" G_GINT64_FORMAT
	    " entries, a halo of at most %" G_GINT64_FORMAT " rows%s: the "
	    "largest share)", what, q, P, e[q].rows, e[q].entries, e[q].halo,
	    q == 0 ? ", the gathered output" : "");
	return kith_cli_memory_gate(cli, "embed", rw, e[q].bytes);
}

/* Trains or applies the model of the parsed options o on STORE, writing
 * o->output; prints the memory estimate and the summary.  Returns the
 * exit status. */
static int
embed_run(struct embed_opts *o, const char *store, struct kith_cli *cli)
{
	struct kith_embed_request r;
	struct kith_train_report rep;
	GError *err = NULL;
	int rc = embed_request(&r, o, cli);

	if (rc)
		return rc;
	g_autoptr(kith_store) s = kith_store_open(store, &err);
	if (!s)
		return kith_cli_fail("embed", err);
	g_autofree char *what = g_strdup_printf("%s on %" G_GINT64_FORMAT
	    " users, %" G_GINT64_FORMAT " items", r.model, s->n_users,
	    s->n_items);
	if (embed_gate(cli, &r, s, what))
		return 1;
	kith_train_report_init(&rep);
	gboolean ok = kith_embed(&r, store, s, &rep, &err);
	if (cli->tty)
		fprintf(stderr, "\r\033[K");
	if (!ok)
		rc = kith_cli_fail("embed", err);
	else if (!r.from)
		embed_summary(cli, &r, s, &rep);
	kith_train_report_clear(&rep);
	return rc;
}

gboolean
kith_cli_embed_key(const char *key, const char *value, char **why)
{
	struct embed_opts o;
	embed_opts_init(&o);
	gboolean ok = kith_cli_option_set(embed_options, N_EMBED_OPTIONS, &o,
	                                  key, value, why);
	embed_opts_clear(&o);
	return ok;
}

int
kith_cli_embed_stage(const char *const *keys, const char *const *values,
                     int n, const char *store, const char *output,
                     struct kith_cli *cli)
{
	struct embed_opts o;
	char *why = NULL;
	int rc = 0;

	embed_opts_init(&o);
	for (int i = 0; i < n && rc == 0; i++)
		if (!kith_cli_option_set(embed_options, N_EMBED_OPTIONS, &o,
		                         keys[i], values[i], &why)) {
			rc = kith_cli_usage("embed", "%s", why);
			g_free(why);
		}
	if (rc == 0) {
		g_free(o.output);
		o.output = g_strdup(output);
		rc = check_opts(&o, 2);
	}
	if (rc == 0)
		rc = embed_run(&o, store, cli);
	embed_opts_clear(&o);
	return rc;
}

int
cmd_embed(int argc, char **argv, struct kith_cli *cli)
{
	struct embed_opts o;
	GOptionEntry entries[N_EMBED_OPTIONS + 1];

	embed_opts_init(&o);
	kith_cli_option_entries(entries, embed_options, N_EMBED_OPTIONS, &o);
	g_autoptr(GOptionContext) ctx = kith_cli_context(
		"embed", "STORE", "learn user and item embeddings",
		"Models: lightgcn (default; BPR over the user-item graph),\n"
		"sage, gcn.  See kith-embed(1).", entries, cli);
	int rc = kith_cli_parse(ctx, &argc, &argv, cli);

	if (rc == 0)
		rc = check_opts(&o, argc);
	if (rc == 0)
		rc = embed_run(&o, argv[1], cli);
	embed_opts_clear(&o);
	return rc;
}
