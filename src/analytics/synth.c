/*
 * kith synth: a synthetic shop with planted ground truth.
 *
 * Model (N users, M items, C categories, K communities, mixing MU, D days):
 *  - communities: sizes proportional to w_c ~ U(0.6, 1.4) (each >= 1),
 *    users assigned by a seeded shuffle;
 *  - categories: sizes proportional to U(0.5, 1.5) (each >= 1 item); an
 *    item has a primary category and, with probability 0.15, a second one;
 *    popularity pop_i = U^(-1/1.2) (power law, tail index 1.2); price
 *    log-normal around a per-category median in [5, 400];
 *  - preferences: community c draws pi_c ~ Dirichlet(alpha) with alpha = 10
 *    for its top category, 6 for 0-2 further preferred ones and 0.25 for
 *    the rest (written to truth/preferences.tsv); F = clamp(M / 10K, 3, 100)
 *    favourite items per community, drawn from its preferred categories
 *    and distinct across communities while possible;
 *  - social: user u initiates k_u stubs, k_u Pareto (tail index 2, capped
 *    at 40x the mean) with mean social_degree / 2; a stub ends at a uniform member of u's own
 *    community with probability 1 - MU, else at a uniform user of another
 *    community; pairs are made undirected and deduplicated, self-loops
 *    never arise, so the measured mixed fraction is MU up to duplicates;
 *  - activity: e_u = max(1, floor(s * a_u)) with a_u Pareto (tail index 1.5,
 *    capped at 1000x the minimum) and s found by bisection so that the e_u
 *    sum exactly to the requested event count;
 *  - events: sessions (1 + geometric visits, mean 4) start on a day of the
 *    user's active window (weekly rhythm, mild growth) at an hour of a
 *    daily profile shifted by the user's chronotype.  A visit views an item
 *    chosen as: a revisit of one of the user's earlier items (p 0.12), else
 *    a community favourite (0.45), a category ~ pi_c then an item by
 *    popularity (0.43), or an item by global popularity (0.12).  A view is
 *    followed by a cart with p 0.25; at the session's end each cart turns
 *    into a purchase with p 0.5, at strictly increasing timestamps.
 *
 * Every random quantity of user u (attributes, stubs, activity, events)
 * comes from kith_rng_seed(seed, PHASE | u), so output does not depend on
 * the thread count.  Cost: O(N + M + C K) to build, O(E log e_u) to
 * generate events, O(S) radix sort for S social stubs; memory O(N + M + S)
 * plus one block of about 2^20 events while writing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kith/core.h"
#include "kith/synth.h"

#define PH_ITEM (1ULL << 56)
#define PH_USER (2ULL << 56)
#define PH_ACT (3ULL << 56)
#define PH_SOCIAL (4ULL << 56)
#define PH_EVENT (5ULL << 56)
#define PH_MODEL (6ULL << 56)

#define P_SECOND_CAT 0.15
#define P_REVISIT 0.12
#define P_FAV 0.45
#define P_COMM 0.88 /* favourite + preferred categories */
#define P_CART 0.25
#define P_BUY 0.5
#define MAX_SESSION_VISITS 40
#define MAX_USER_EVENTS ((1 << 24) - 1)
#define BLOCK_EVENTS (1 << 20)

static const char *const category_names[] = {
	"books", "electronics", "fashion", "home", "garden", "toys",
	"sports", "beauty", "grocery", "music", "movies", "games",
	"health", "automotive", "pets", "office", "jewelry", "shoes",
	"baby", "tools", "outdoor", "kitchen", "crafts", "travel",
	"furniture", "software", "cameras", "phones", "watches", "bags",
	"stationery", "wine",
};
#define N_NAMES G_N_ELEMENTS(category_names)

static const char *const countries[] = {
	"DE", "FR", "GB", "ES", "IT", "NL", "PL", "SE", "US", "CA", "BR", "IN",
};
static const double country_w[] = {
	14, 11, 12, 8, 9, 4, 6, 3, 20, 5, 5, 3,
};
#define N_COUNTRIES G_N_ELEMENTS(countries)

/* Relative activity by hour of day (UTC) and day of week (0 = Sunday). */
static const double hour_w[24] = {
	0.30, 0.20, 0.15, 0.10, 0.10, 0.15, 0.30, 0.50, 0.70, 0.80, 0.85, 0.90,
	1.00, 0.95, 0.90, 0.90, 0.95, 1.05, 1.20, 1.40, 1.50, 1.35, 1.00, 0.60,
};
static const double dow_w[7] = { 1.20, 0.90, 0.90, 0.95, 1.00, 1.05, 1.25 };

/* Vose alias table over n weights. */
struct alias {
	int64_t n;
	double *prob;
	int32_t *alias;
};

struct kith_synth {
	struct kith_synth_params p;
	int64_t N, M;
	int C, K;
	int uw, iw;                 /* zero-padded id widths */
	int32_t *comm;              /* N */
	int64_t *comm_off;          /* K + 1 */
	int32_t *members;           /* N, users grouped by community */
	int32_t *n_events;          /* N */
	int64_t max_events;
	int32_t *cat0, *cat1;       /* M; cat1 = -1 when single */
	double *pop;                /* M */
	int64_t *cents;             /* M */
	int64_t *cat_off;           /* C + 1 */
	int32_t *cat_items;         /* items of each category */
	struct alias *cat_alias;    /* C, over cat_items slices */
	struct alias global;        /* M */
	double *pref;               /* K x C */
	double *pref_cdf;           /* K x C */
	int64_t *fav_off;           /* K + 1 */
	int32_t *fav;
	double *age_mean, *p_female;
	int *home;
	char **cat_name;            /* C */
	double hour_cdf[24];
	int start_dow;
};

static double
rng_pos(struct kith_rng *r)
{
	return 1.0 - kith_rng_uniform(r); /* (0, 1] */
}

/* Gamma(a, 1), Marsaglia–Tsang; a < 1 through the boost a+1, U^(1/a). */
static double
rng_gamma(struct kith_rng *r, double a)
{
	double d, c, x, v, u;

	if (a < 1.0)
		return rng_gamma(r, a + 1.0) * pow(rng_pos(r), 1.0 / a);
	d = a - 1.0 / 3.0;
	c = 1.0 / sqrt(9.0 * d);
	for (;;) {
		do {
			x = kith_rng_normal(r);
			v = 1.0 + c * x;
		} while (v <= 0.0);
		v = v * v * v;
		u = rng_pos(r);
		if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
			return d * v;
	}
}

static gboolean
alias_build(struct alias *a, const double *w, int64_t n, GError **error)
{
	g_autofree int64_t *small = NULL, *large = NULL;
	g_autofree double *q = NULL;
	int64_t ns = 0, nl = 0, i;
	double sum = 0;

	a->n = n;
	a->prob = g_try_new(double, n);
	a->alias = g_try_new(int32_t, n);
	small = g_try_new(int64_t, n);
	large = g_try_new(int64_t, n);
	q = g_try_new(double, n);
	if (!a->prob || !a->alias || !small || !large || !q) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "out of memory for an alias table of %" G_GINT64_FORMAT
		            " entries", n);
		return FALSE;
	}
	for (i = 0; i < n; i++)
		sum += w[i];
	for (i = 0; i < n; i++) {
		q[i] = sum > 0 ? w[i] * n / sum : 1.0;
		if (q[i] < 1.0)
			small[ns++] = i;
		else
			large[nl++] = i;
	}
	while (ns > 0 && nl > 0) {
		int64_t s = small[--ns], l = large[--nl];
		a->prob[s] = q[s];
		a->alias[s] = (int32_t)l;
		q[l] = (q[l] + q[s]) - 1.0;
		if (q[l] < 1.0)
			small[ns++] = l;
		else
			large[nl++] = l;
	}
	while (nl > 0) {
		int64_t l = large[--nl];
		a->prob[l] = 1.0;
		a->alias[l] = (int32_t)l;
	}
	while (ns > 0) {
		int64_t s = small[--ns];
		a->prob[s] = 1.0;
		a->alias[s] = (int32_t)s;
	}
	return TRUE;
}

static inline int64_t
alias_draw(const struct alias *a, struct kith_rng *r)
{
	int64_t j = (int64_t)kith_rng_below(r, (uint64_t)a->n);
	return kith_rng_uniform(r) < a->prob[j] ? j : a->alias[j];
}

static void
alias_clear(struct alias *a)
{
	g_free(a->prob);
	g_free(a->alias);
}

/* Index of the first cdf entry > u (cdf ascending, last entry ~1). */
static int
cdf_draw(const double *cdf, int n, double u)
{
	int lo = 0, hi = n - 1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Labels 0..k-1 for n >= k slots, every label at least once, the rest drawn
 * with probability proportional to w, then shuffled. */
static void
assign_labels(int32_t *lab, int64_t n, const double *w, int k,
              struct kith_rng *r)
{
	g_autofree double *cdf = g_new(double, k);
	double s = 0;
	int64_t i;

	for (int j = 0; j < k; j++)
		s += w[j];
	for (int j = 0; j < k; j++)
		cdf[j] = (j ? cdf[j - 1] : 0) + w[j] / s;
	cdf[k - 1] = 1.0;
	for (i = 0; i < n; i++)
		lab[i] = i < k ? (int32_t)i
		               : cdf_draw(cdf, k, kith_rng_uniform(r));
	for (i = n - 1; i > 0; i--) {
		int64_t j = (int64_t)kith_rng_below(r, (uint64_t)i + 1);
		int32_t t = lab[i];
		lab[i] = lab[j];
		lab[j] = t;
	}
}

static int
digits(int64_t v)
{
	int d = 1;
	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

void
kith_synth_params_init(struct kith_synth_params *p)
{
	memset(p, 0, sizeof(*p));
	p->users = 1000;
	p->items = 500;
	p->categories = 12;
	p->communities = 8;
	p->mixing = 0.2;
	p->days = 90;
	p->seed = 42;
	p->events = 0;
	p->events_per_user = 20;
	p->social_degree = 20;
	p->start = 1704067200; /* 2024-01-01T00:00:00Z */
}

static gboolean
usage(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean
usage(GError **error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (error && !*error)
		*error = g_error_new_valist(KITH_ERROR, KITH_ERROR_USAGE, fmt, ap);
	va_end(ap);
	return FALSE;
}

gboolean
kith_synth_params_check(const struct kith_synth_params *p, GError **error)
{
	double events;

	if (p->users < 1 || p->users > INT32_MAX)
		return usage(error, "--users must be between 1 and %d", INT32_MAX);
	if (p->categories < 1 || p->categories > 4096)
		return usage(error, "--categories must be between 1 and 4096");
	if (p->items < p->categories || p->items > INT32_MAX)
		return usage(error, "--items must be between --categories (%d) "
		             "and %d", p->categories, INT32_MAX);
	if (p->communities < 1 || p->communities > p->users)
		return usage(error, "--communities must be between 1 and --users");
	if (!(p->mixing >= 0.0 && p->mixing <= 1.0))
		return usage(error, "--mixing must be between 0 and 1");
	if (p->days < 1 || p->days > 36500)
		return usage(error, "--days must be between 1 and 36500");
	if (!(p->social_degree >= 0.0 && p->social_degree <= 1000.0))
		return usage(error, "--social-degree must be between 0 and 1000");
	if (p->events < 0)
		return usage(error, "--events must not be negative");
	if (p->events == 0 && !(p->events_per_user >= 1.0 &&
	                        p->events_per_user <= 1e6))
		return usage(error, "--events-per-user must be between 1 and "
		             "1000000");
	events = p->events ? (double)p->events
	                   : round((double)p->users * p->events_per_user);
	if (events < (double)p->users)
		return usage(error, "--events must be at least --users (every "
		             "user has one event or more)");
	if (events > (double)p->users * 1000.0 || events > 1e12)
		return usage(error, "--events must be at most 1000 per user");
	if (p->start < 0 || p->start > 4102444800LL)
		return usage(error, "--start must lie between 1970 and 2100");
	return TRUE;
}

/* Sum of max(1, min(cap, floor(a_u * s))). */
static int64_t
activity_total(const double *a, int64_t n, double s)
{
	int64_t tot = 0;

#pragma omp parallel for reduction(+ : tot) schedule(static) if (n > 200000)
	for (int64_t u = 0; u < n; u++) {
		double x = floor(a[u] * s);
		tot += x < 1 ? 1 : x > MAX_USER_EVENTS ? MAX_USER_EVENTS
		                                      : (int64_t)x;
	}
	return tot;
}

static gboolean
build_activity(struct kith_synth *s, GError **error)
{
	g_autofree double *a = kith_alloc_n(s->N, sizeof(double), error);
	int64_t E = s->p.events, tot, diff;
	double lo = 0, hi = (double)E / s->N + 1;
	struct kith_rng r;

	if (a == NULL)
		return FALSE;
#pragma omp parallel for schedule(static) if (s->N > 20000)
	for (int64_t u = 0; u < s->N; u++) {
		struct kith_rng ru;
		double x;
		kith_rng_seed(&ru, s->p.seed, PH_ACT | (uint64_t)u);
		x = pow(rng_pos(&ru), -1.0 / 1.5);
		a[u] = x > 1000 ? 1000 : x;
	}
	for (int it = 0; it < 80; it++) {
		double mid = 0.5 * (lo + hi);
		if (activity_total(a, s->N, mid) <= E)
			lo = mid;
		else
			hi = mid;
	}
	tot = 0;
	for (int64_t u = 0; u < s->N; u++) {
		double x = floor(a[u] * lo);
		s->n_events[u] = x < 1 ? 1 : x > MAX_USER_EVENTS ? MAX_USER_EVENTS
		                                                : (int32_t)x;
		tot += s->n_events[u];
	}
	diff = E - tot; /* >= 0 and small: spread over random users */
	kith_rng_seed(&r, s->p.seed, PH_MODEL | 1);
	while (diff > 0) {
		int64_t u = (int64_t)kith_rng_below(&r, (uint64_t)s->N);
		if (s->n_events[u] < MAX_USER_EVENTS) {
			s->n_events[u]++;
			diff--;
		}
	}
	s->max_events = 0;
	for (int64_t u = 0; u < s->N; u++)
		if (s->n_events[u] > s->max_events)
			s->max_events = s->n_events[u];
	return TRUE;
}

static gboolean
build_items(struct kith_synth *s, struct kith_rng *r, GError **error)
{
	g_autofree double *w = g_new(double, s->C);
	g_autofree double *median = g_new(double, s->C);
	g_autofree int64_t *fill = NULL;
	g_autofree double *cw = NULL;
	int64_t total;

	for (int k = 0; k < s->C; k++) {
		w[k] = 0.5 + kith_rng_uniform(r);
		median[k] = exp(log(5.0) + kith_rng_uniform(r) * log(400.0 / 5.0));
	}
	assign_labels(s->cat0, s->M, w, s->C, r);
#pragma omp parallel for schedule(static) if (s->M > 20000)
	for (int64_t i = 0; i < s->M; i++) {
		struct kith_rng ri;
		double price;
		int k = s->cat0[i];
		kith_rng_seed(&ri, s->p.seed, PH_ITEM | (uint64_t)i);
		s->pop[i] = pow(rng_pos(&ri), -1.0 / 1.2);
		if (s->pop[i] > 1e6)
			s->pop[i] = 1e6;
		price = median[k] * exp(0.45 * kith_rng_normal(&ri));
		if (price >= 10)
			s->cents[i] = (int64_t)floor(price) * 100 + 99;
		else
			s->cents[i] = MAX(50, (int64_t)llround(price * 100));
		s->cat1[i] = -1;
		if (s->C > 1 && kith_rng_uniform(&ri) < P_SECOND_CAT) {
			int k2 = (int)kith_rng_below(&ri, s->C - 1);
			s->cat1[i] = k2 >= k ? k2 + 1 : k2;
		}
	}
	memset(s->cat_off, 0, (s->C + 1) * sizeof(int64_t));
	for (int64_t i = 0; i < s->M; i++) {
		s->cat_off[s->cat0[i] + 1]++;
		if (s->cat1[i] >= 0)
			s->cat_off[s->cat1[i] + 1]++;
	}
	for (int k = 0; k < s->C; k++)
		s->cat_off[k + 1] += s->cat_off[k];
	total = s->cat_off[s->C];
	s->cat_items = kith_alloc_n(total, sizeof(int32_t), error);
	fill = g_new(int64_t, s->C);
	cw = kith_alloc_n(total, sizeof(double), error);
	if (s->cat_items == NULL || cw == NULL)
		return FALSE;
	memcpy(fill, s->cat_off, s->C * sizeof(int64_t));
	for (int64_t i = 0; i < s->M; i++) {
		s->cat_items[fill[s->cat0[i]]++] = (int32_t)i;
		if (s->cat1[i] >= 0)
			s->cat_items[fill[s->cat1[i]]++] = (int32_t)i;
	}
	for (int64_t j = 0; j < total; j++)
		cw[j] = s->pop[s->cat_items[j]];
	s->cat_alias = g_new0(struct alias, s->C);
	for (int k = 0; k < s->C; k++)
		if (!alias_build(&s->cat_alias[k], cw + s->cat_off[k],
		                 s->cat_off[k + 1] - s->cat_off[k], error))
			return FALSE;
	return alias_build(&s->global, s->pop, s->M, error);
}

static void
build_preferences(struct kith_synth *s, struct kith_rng *r)
{
	int C = s->C, K = s->K;
	int npref = MAX(1, MIN(3, (C + 3) / 5));
	g_autofree int *perm = g_new(int, C);
	g_autofree double *alpha = g_new(double, C);

	for (int k = 0; k < C; k++)
		perm[k] = k;
	for (int k = C - 1; k > 0; k--) {
		int j = (int)kith_rng_below(r, k + 1), t = perm[k];
		perm[k] = perm[j];
		perm[j] = t;
	}
	for (int c = 0; c < K; c++) {
		double *pi = s->pref + (size_t)c * C, sum = 0;
		for (int k = 0; k < C; k++)
			alpha[k] = 0.25;
		alpha[perm[c % C]] = 10.0;
		for (int j = 1; j < npref; j++) {
			int k;
			do
				k = (int)kith_rng_below(r, C);
			while (alpha[k] > 1.0);
			alpha[k] = 6.0;
		}
		for (int k = 0; k < C; k++) {
			pi[k] = rng_gamma(r, alpha[k]);
			sum += pi[k];
		}
		for (int k = 0; k < C; k++) {
			pi[k] /= sum;
			s->pref_cdf[(size_t)c * C + k] =
				(k ? s->pref_cdf[(size_t)c * C + k - 1] : 0) + pi[k];
		}
		s->pref_cdf[(size_t)c * C + C - 1] = 1.0;
	}
}

static void
build_favourites(struct kith_synth *s, struct kith_rng *r)
{
	int64_t F = CLAMP(s->M / (10 * (int64_t)s->K), 3, 100);
	g_autofree guint8 *taken = g_new0(guint8, s->M);

	F = MIN(F, s->M);
	s->fav_off = g_new(int64_t, s->K + 1);
	s->fav = g_new(int32_t, F * s->K);
	s->fav_off[0] = 0;
	for (int c = 0; c < s->K; c++) {
		const double *cdf = s->pref_cdf + (size_t)c * s->C;
		int64_t n = s->fav_off[c];
		for (int64_t f = 0; f < F; f++) {
			int32_t item = -1;
			for (int t = 0; t < 64; t++) {
				int k = cdf_draw(cdf, s->C, kith_rng_uniform(r));
				int64_t len = s->cat_off[k + 1] - s->cat_off[k];
				item = s->cat_items[s->cat_off[k] +
				                    (int64_t)kith_rng_below(r, len)];
				if (!taken[item])
					break;
			}
			taken[item] = 1;
			s->fav[n++] = item;
		}
		s->fav_off[c + 1] = n;
	}
}

struct kith_synth *
kith_synth_new(const struct kith_synth_params *p, GError **error)
{
	g_autoptr(kith_synth) s = NULL;
	g_autofree double *cw = NULL;
	struct kith_rng r;
	double hs = 0;

	if (!kith_synth_params_check(p, error))
		return NULL;
	s = g_new0(struct kith_synth, 1);
	s->p = *p;
	if (s->p.events == 0)
		s->p.events = (int64_t)llround((double)p->users *
		                               p->events_per_user);
	s->p.events_per_user = (double)s->p.events / p->users;
	s->N = p->users;
	s->M = p->items;
	s->C = p->categories;
	s->K = p->communities;
	s->uw = MAX(6, digits(s->N - 1));
	s->iw = MAX(5, digits(s->M - 1));
	s->comm = kith_alloc_n(s->N, sizeof(int32_t), error);
	if (!s->comm)
		return NULL;
	s->members = kith_alloc_n(s->N, sizeof(int32_t), error);
	if (!s->members)
		return NULL;
	s->n_events = kith_alloc_n(s->N, sizeof(int32_t), error);
	if (!s->n_events)
		return NULL;
	s->cat0 = kith_alloc_n(s->M, sizeof(int32_t), error);
	if (!s->cat0)
		return NULL;
	s->cat1 = kith_alloc_n(s->M, sizeof(int32_t), error);
	if (!s->cat1)
		return NULL;
	s->pop = kith_alloc_n(s->M, sizeof(double), error);
	if (!s->pop)
		return NULL;
	s->cents = kith_alloc_n(s->M, sizeof(int64_t), error);
	if (!s->cents)
		return NULL;
	s->comm_off = g_new0(int64_t, s->K + 1);
	s->cat_off = g_new0(int64_t, s->C + 1);
	s->pref = g_new(double, (size_t)s->K * s->C);
	s->pref_cdf = g_new(double, (size_t)s->K * s->C);
	s->age_mean = g_new(double, s->K);
	s->p_female = g_new(double, s->K);
	s->home = g_new(int, s->K);
	s->cat_name = g_new0(char *, s->C + 1);

	kith_rng_seed(&r, p->seed, PH_MODEL);
	/* communities */
	cw = g_new(double, s->K);
	for (int c = 0; c < s->K; c++) {
		cw[c] = 0.6 + 0.8 * kith_rng_uniform(&r);
		s->age_mean[c] = 24 + 26 * kith_rng_uniform(&r);
		s->p_female[c] = 0.3 + 0.4 * kith_rng_uniform(&r);
		s->home[c] = (int)kith_rng_below(&r, N_COUNTRIES);
	}
	assign_labels(s->comm, s->N, cw, s->K, &r);
	for (int64_t u = 0; u < s->N; u++)
		s->comm_off[s->comm[u] + 1]++;
	for (int c = 0; c < s->K; c++)
		s->comm_off[c + 1] += s->comm_off[c];
	{
		g_autofree int64_t *fill = g_memdup2(s->comm_off,
		                                     s->K * sizeof(int64_t));
		for (int64_t u = 0; u < s->N; u++)
			s->members[fill[s->comm[u]]++] = (int32_t)u;
	}
	for (int k = 0; k < s->C; k++)
		s->cat_name[k] = k < (int)N_NAMES
			? g_strdup(category_names[k])
			: g_strdup_printf("%s-%d", category_names[k % N_NAMES],
			                  (int)(k / N_NAMES) + 1);
	if (!build_items(s, &r, error))
		return NULL;
	build_preferences(s, &r);
	build_favourites(s, &r);
	if (!build_activity(s, error))
		return NULL;
	for (int h = 0; h < 24; h++)
		hs += hour_w[h];
	for (int h = 0; h < 24; h++)
		s->hour_cdf[h] = (h ? s->hour_cdf[h - 1] : 0) + hour_w[h] / hs;
	s->hour_cdf[23] = 1.0;
	s->start_dow = (int)(((p->start / 86400) + 4) % 7);
	return g_steal_pointer(&s);
}

void
kith_synth_free(struct kith_synth *s)
{
	if (s == NULL)
		return;
	g_free(s->comm);
	g_free(s->comm_off);
	g_free(s->members);
	g_free(s->n_events);
	g_free(s->cat0);
	g_free(s->cat1);
	g_free(s->pop);
	g_free(s->cents);
	g_free(s->cat_off);
	g_free(s->cat_items);
	if (s->cat_alias)
		for (int k = 0; k < s->C; k++)
			alias_clear(&s->cat_alias[k]);
	g_free(s->cat_alias);
	alias_clear(&s->global);
	g_free(s->pref);
	g_free(s->pref_cdf);
	g_free(s->fav_off);
	g_free(s->fav);
	g_free(s->age_mean);
	g_free(s->p_female);
	g_free(s->home);
	g_strfreev(s->cat_name);
	g_free(s);
}

const struct kith_synth_params *
kith_synth_params(const struct kith_synth *s)
{
	return &s->p;
}

int
kith_synth_community(const struct kith_synth *s, int64_t u)
{
	return s->comm[u];
}

int64_t
kith_synth_user_events(const struct kith_synth *s, int64_t u)
{
	return s->n_events[u];
}

int64_t
kith_synth_max_user_events(const struct kith_synth *s)
{
	return s->max_events;
}

double
kith_synth_preference(const struct kith_synth *s, int c, int k)
{
	return s->pref[(size_t)c * s->C + k];
}

const char *
kith_synth_category_name(const struct kith_synth *s, int k)
{
	return s->cat_name[k];
}

int
kith_synth_item_categories(const struct kith_synth *s, int64_t i, int cats[2])
{
	cats[0] = s->cat0[i];
	cats[1] = s->cat1[i];
	return s->cat1[i] >= 0 ? 2 : 1;
}

int64_t
kith_synth_item_cents(const struct kith_synth *s, int64_t i)
{
	return s->cents[i];
}

/* ---- events ---------------------------------------------------------- */

static int32_t
pick_item(const struct kith_synth *s, int c, struct kith_rng *r,
          const struct kith_synth_event *prev, int64_t nprev)
{
	double x;

	if (nprev > 0 && kith_rng_uniform(r) < P_REVISIT)
		return prev[kith_rng_below(r, (uint64_t)nprev)].item;
	x = kith_rng_uniform(r);
	if (x < P_FAV) {
		int64_t n = s->fav_off[c + 1] - s->fav_off[c];
		return s->fav[s->fav_off[c] + (int64_t)kith_rng_below(r, n)];
	}
	if (x < P_COMM) {
		int k = cdf_draw(s->pref_cdf + (size_t)c * s->C, s->C,
		                 kith_rng_uniform(r));
		return s->cat_items[s->cat_off[k] +
		                    alias_draw(&s->cat_alias[k], r)];
	}
	return (int32_t)alias_draw(&s->global, r);
}

/* In-place heapsort by ts (keys are unique: they carry the sequence). */
static void
sift(struct kith_synth_event *a, int64_t i, int64_t n)
{
	for (;;) {
		int64_t l = 2 * i + 1, m = i;
		struct kith_synth_event t;
		if (l < n && a[l].ts > a[m].ts)
			m = l;
		if (l + 1 < n && a[l + 1].ts > a[m].ts)
			m = l + 1;
		if (m == i)
			return;
		t = a[i];
		a[i] = a[m];
		a[m] = t;
		i = m;
	}
}

static void
sort_events(struct kith_synth_event *a, int64_t n)
{
	int64_t i;
	gboolean sorted = TRUE;

	for (i = 1; i < n && sorted; i++)
		sorted = a[i - 1].ts < a[i].ts;
	if (sorted)
		return;
	for (i = n / 2 - 1; i >= 0; i--)
		sift(a, i, n);
	for (i = n - 1; i > 0; i--) {
		struct kith_synth_event t = a[0];
		a[0] = a[i];
		a[i] = t;
		sift(a, 0, i);
	}
}

void
kith_synth_generate_user(const struct kith_synth *s, int64_t u,
                         struct kith_synth_event *out)
{
	struct kith_rng r;
	int64_t n = s->n_events[u], k = 0;
	int c = s->comm[u];
	int64_t D = s->p.days, span = D * 86400;
	int64_t life, begin;
	int shift;

	kith_rng_seed(&r, s->p.seed, PH_EVENT | (uint64_t)u);
	life = 1 + (int64_t)((0.25 + 0.75 * kith_rng_uniform(&r)) * (D - 1));
	begin = (int64_t)kith_rng_below(&r, (uint64_t)(D - life + 1));
	shift = (int)lround(1.5 * kith_rng_normal(&r));
	shift = CLAMP(shift, -4, 4);
	while (k < n) {
		int64_t day, t, first = k, last_visit;
		int hour, visits = 1;

		for (;;) {
			double g;
			day = begin + (int64_t)kith_rng_below(&r, (uint64_t)life);
			g = dow_w[(s->start_dow + day) % 7] / 1.25 *
			    (0.85 + 0.15 * (double)day / D);
			if (kith_rng_uniform(&r) < g)
				break;
		}
		hour = cdf_draw(s->hour_cdf, 24, kith_rng_uniform(&r));
		hour = (hour + shift + 24) % 24;
		t = day * 86400 + hour * 3600 +
		    (int64_t)kith_rng_below(&r, 3600);
		while (visits < MAX_SESSION_VISITS &&
		       kith_rng_uniform(&r) < 0.75)
			visits++;
		for (int v = 0; v < visits && k < n; v++) {
			int32_t item = pick_item(s, c, &r, out, k);
			out[k].ts = t;
			out[k].item = item;
			out[k].type = KITH_SYNTH_VIEW;
			out[k].cents = 0;
			k++;
			if (k < n && kith_rng_uniform(&r) < P_CART) {
				t += 5 + (int64_t)kith_rng_below(&r, 180);
				out[k].ts = t;
				out[k].item = item;
				out[k].type = KITH_SYNTH_CART;
				out[k].cents = s->cents[item];
				k++;
			}
			t += 15 + (int64_t)kith_rng_below(&r, 300);
		}
		last_visit = k;
		for (int64_t j = first; j < last_visit && k < n; j++) {
			if (out[j].type != KITH_SYNTH_CART ||
			    kith_rng_uniform(&r) >= P_BUY)
				continue;
			t += 20 + (int64_t)kith_rng_below(&r, 300);
			out[k].ts = t;
			out[k].item = out[j].item;
			out[k].type = KITH_SYNTH_PURCHASE;
			out[k].cents = out[j].cents;
			k++;
		}
		/* keep the session inside the span (sessions last < 1 day) */
		if (out[k - 1].ts >= span) {
			int64_t d = out[k - 1].ts - (span - 1);
			for (int64_t j = first; j < k; j++)
				out[j].ts -= d;
		}
	}
	/* sort by (time, generation order); a session keeps its order */
	for (int64_t j = 0; j < n; j++)
		out[j].ts = (out[j].ts << 24) | j;
	sort_events(out, n);
	for (int64_t j = 0; j < n; j++)
		out[j].ts = (out[j].ts >> 24) + s->p.start;
}

/* ---- social ---------------------------------------------------------- */

static void
radix_sort_u64(uint64_t *a, uint64_t *tmp, int64_t n, int bits)
{
	g_autofree size_t *count = g_new(size_t, 1 << 16);
	for (int shift = 0; shift < bits; shift += 16) {
		memset(count, 0, (1 << 16) * sizeof(size_t));
		for (int64_t i = 0; i < n; i++)
			count[(a[i] >> shift) & 0xffff]++;
		for (size_t j = 0, acc = 0; j < (1 << 16); j++) {
			size_t c = count[j];
			count[j] = acc;
			acc += c;
		}
		for (int64_t i = 0; i < n; i++)
			tmp[count[(a[i] >> shift) & 0xffff]++] = a[i];
		memcpy(a, tmp, n * sizeof(uint64_t));
	}
}

gboolean
kith_synth_social(const struct kith_synth *s, int64_t **pairs_out,
                  int64_t *n_out, GError **error)
{
	int64_t N = s->N, S = 0, n = 0;
	double xmin = s->p.social_degree / 2.0 / 2.0; /* Pareto 2: mean 2 xmin */
	double cap = MIN((double)(N - 1), MAX(10.0, 40.0 * s->p.social_degree / 2));
	g_autofree int64_t *off = NULL;
	g_autofree uint64_t *keys = NULL, *tmp = NULL;
	int64_t *pairs;

	*pairs_out = NULL;
	*n_out = 0;
	off = kith_alloc_n(N + 1, sizeof(int64_t), error);
	if (off == NULL)
		return FALSE;
	off[0] = 0;
	if (s->p.social_degree > 0 && N > 1) {
#pragma omp parallel for schedule(static) if (N > 20000)
		for (int64_t u = 0; u < N; u++) {
			struct kith_rng r;
			double x;
			kith_rng_seed(&r, s->p.seed, PH_SOCIAL | (uint64_t)u);
			x = xmin / sqrt(rng_pos(&r));
			x = MIN(x, cap);
			off[u + 1] = (int64_t)x +
			             (kith_rng_uniform(&r) < x - floor(x));
		}
	} else {
		memset(off, 0, (N + 1) * sizeof(int64_t));
	}
	for (int64_t u = 0; u < N; u++)
		off[u + 1] += off[u];
	S = off[N];
	keys = kith_alloc_n(MAX(S, 1), sizeof(uint64_t), error);
	if (keys == NULL)
		return FALSE;
	tmp = kith_alloc_n(MAX(S, 1), sizeof(uint64_t), error);
	if (tmp == NULL)
		return FALSE;
#pragma omp parallel for schedule(dynamic, 1024) if (N > 20000)
	for (int64_t u = 0; u < N; u++) {
		struct kith_rng r;
		int c = s->comm[u];
		int64_t lo = s->comm_off[c], size = s->comm_off[c + 1] - lo;
		kith_rng_seed(&r, s->p.seed, PH_SOCIAL | (uint64_t)u);
		kith_rng_uniform(&r); /* the two draws of the stub count */
		kith_rng_uniform(&r);
		for (int64_t j = off[u]; j < off[u + 1]; j++) {
			gboolean inside = size > 1 &&
				(size == N || kith_rng_uniform(&r) >= s->p.mixing);
			int64_t v;
			if (inside) {
				do
					v = s->members[lo + (int64_t)kith_rng_below(
						&r, (uint64_t)size)];
				while (v == u);
			} else {
				int64_t x = (int64_t)kith_rng_below(
					&r, (uint64_t)(N - size));
				v = s->members[x < lo ? x : x + size];
			}
			keys[j] = u < v ? ((uint64_t)u << 32) | (uint64_t)v
			                : ((uint64_t)v << 32) | (uint64_t)u;
		}
	}
	radix_sort_u64(keys, tmp, S,
	               32 + 64 - __builtin_clzll((uint64_t)N | 1));
	g_clear_pointer(&tmp, g_free);
	for (int64_t j = 0; j < S; j++)
		if (j == 0 || keys[j] != keys[j - 1])
			keys[n++] = keys[j];
	pairs = kith_alloc_n(MAX(n, 1), 2 * sizeof(int64_t), error);
	if (pairs == NULL)
		return FALSE;
	for (int64_t j = 0; j < n; j++) {
		pairs[2 * j] = (int64_t)(keys[j] >> 32);
		pairs[2 * j + 1] = (int64_t)(keys[j] & 0xffffffffu);
	}
	*pairs_out = pairs;
	*n_out = n;
	return TRUE;
}

/* ---- formatting ------------------------------------------------------ */

/* Writes prefix and v zero-padded to width; returns the end. */
static inline char *
put_id(char *p, char prefix, int64_t v, int width)
{
	char buf[24];
	int n = 0;
	*p++ = prefix;
	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (int i = n; i < width; i++)
		*p++ = '0';
	while (n > 0)
		*p++ = buf[--n];
	return p;
}

static inline char *
put_int(char *p, int64_t v)
{
	char buf[24];
	int n = 0;
	if (v < 0) {
		*p++ = '-';
		v = -v;
	}
	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n > 0)
		*p++ = buf[--n];
	return p;
}

static inline char *
put_cents(char *p, int64_t cents)
{
	p = put_int(p, cents / 100);
	*p++ = '.';
	*p++ = (char)('0' + (cents % 100) / 10);
	*p++ = (char)('0' + cents % 10);
	return p;
}

static gboolean
put_buf(FILE *f, const char *name, const char *buf, size_t len,
        struct kith_synth_stats *st, GError **error)
{
	if (len > 0 && fwrite(buf, 1, len, f) != len) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot write '%s': %s", name, g_strerror(errno));
		return FALSE;
	}
	if (st)
		st->bytes += (int64_t)len;
	return TRUE;
}

static gboolean
put_str(FILE *f, const char *name, GString *g, struct kith_synth_stats *st,
        GError **error)
{
	gboolean ok = put_buf(f, name, g->str, g->len, st, error);
	g_string_truncate(g, 0);
	return ok;
}

gboolean
kith_synth_write_events(const struct kith_synth *s, FILE *f,
                        const char *name, struct kith_synth_stats *stats,
                        GError **error)
{
	static const char header[] = "user_id,item_id,event,timestamp,value\n";
	const size_t line = (size_t)s->uw + s->iw + 64;
	int64_t cap_ev = MAX((int64_t)BLOCK_EVENTS, s->max_events);
	int64_t cap_users = MIN(s->N, cap_ev) + 1;
	g_autofree struct kith_synth_event *ev = NULL;
	g_autofree char *text = NULL;
	g_autofree int64_t *off = NULL, *len = NULL;
	int64_t u0 = 0, cnt[3] = { 0, 0, 0 };
	size_t text_bytes;

	if (!kith_mul_size((size_t)cap_ev, line, &text_bytes)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "event block too large");
		return FALSE;
	}
	ev = kith_alloc_n(cap_ev, sizeof(*ev), error);
	if (ev == NULL)
		return FALSE;
	text = kith_alloc_n(text_bytes, 1, error);
	if (text == NULL)
		return FALSE;
	off = kith_alloc_n(cap_users, sizeof(int64_t), error);
	if (off == NULL)
		return FALSE;
	len = kith_alloc_n(cap_users, sizeof(int64_t), error);
	if (len == NULL)
		return FALSE;
	if (!put_buf(f, name, header, sizeof(header) - 1, stats, error))
		return FALSE;
	while (u0 < s->N) {
		int64_t u1 = u0, nev = 0, nb, pos;
		int64_t v = 0, c = 0, p = 0;

		if (kith_interrupted()) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_INTERRUPTED,
			            "interrupted");
			return FALSE;
		}
		off[0] = 0;
		while (u1 < s->N && (u1 == u0 ||
		                     nev + s->n_events[u1] <= cap_ev)) {
			nev += s->n_events[u1];
			u1++;
			off[u1 - u0] = nev;
		}
		nb = u1 - u0;
#pragma omp parallel for schedule(dynamic, 64) reduction(+ : v, c, p) \
	if (nev > 20000)
		for (int64_t b = 0; b < nb; b++) {
			int64_t u = u0 + b, n = s->n_events[u];
			struct kith_synth_event *e = ev + off[b];
			char *q = text + (size_t)off[b] * line, *q0 = q;
			char uid[32];
			size_t ulen;
			kith_synth_generate_user(s, u, e);
			ulen = (size_t)(put_id(uid, 'u', u, s->uw) - uid);
			uid[ulen++] = ',';
			for (int64_t j = 0; j < n; j++) {
				memcpy(q, uid, ulen);
				q = put_id(q + ulen, 'i', e[j].item, s->iw);
				*q++ = ',';
				switch (e[j].type) {
				case KITH_SYNTH_VIEW:
					memcpy(q, "view,", 5);
					q += 5;
					v++;
					break;
				case KITH_SYNTH_CART:
					memcpy(q, "cart,", 5);
					q += 5;
					c++;
					break;
				default:
					memcpy(q, "purchase,", 9);
					q += 9;
					p++;
					break;
				}
				q = put_int(q, e[j].ts);
				*q++ = ',';
				if (e[j].type == KITH_SYNTH_VIEW)
					*q++ = '0';
				else
					q = put_cents(q, e[j].cents);
				*q++ = '\n';
			}
			len[b] = q - q0;
		}
		cnt[0] += v;
		cnt[1] += c;
		cnt[2] += p;
		pos = 0;
		for (int64_t b = 0; b < nb; b++) {
			memmove(text + pos, text + (size_t)off[b] * line, len[b]);
			pos += len[b];
		}
		if (!put_buf(f, name, text, (size_t)pos, stats, error))
			return FALSE;
		kith_progress("events", (double)u1, (double)s->N);
		u0 = u1;
	}
	if (stats) {
		for (int t = 0; t < 3; t++)
			stats->by_type[t] += cnt[t];
		stats->events += cnt[0] + cnt[1] + cnt[2];
	}
	return TRUE;
}

gboolean
kith_synth_write_social(const struct kith_synth *s, FILE *f,
                        const char *name, struct kith_synth_stats *stats,
                        GError **error)
{
	g_autofree int64_t *pairs = NULL;
	g_autofree char *buf = NULL;
	int64_t n, mixed = 0;
	size_t cap = 1 << 20, pos = 0;

	if (!kith_synth_social(s, &pairs, &n, error))
		return FALSE;
	buf = g_malloc(cap);
	if (!put_buf(f, name, "src,dst\n", 8, stats, error))
		return FALSE;
	for (int64_t j = 0; j < n; j++) {
		char *q = buf + pos;
		q = put_id(q, 'u', pairs[2 * j], s->uw);
		*q++ = ',';
		q = put_id(q, 'u', pairs[2 * j + 1], s->uw);
		*q++ = '\n';
		pos = q - buf;
		mixed += s->comm[pairs[2 * j]] != s->comm[pairs[2 * j + 1]];
		if (pos + 2 * s->uw + 64 > cap) {
			if (!put_buf(f, name, buf, pos, stats, error))
				return FALSE;
			pos = 0;
		}
	}
	if (!put_buf(f, name, buf, pos, stats, error))
		return FALSE;
	if (stats) {
		stats->social_pairs += n;
		stats->social_mixed += mixed;
	}
	return TRUE;
}

gboolean
kith_synth_write_users(const struct kith_synth *s, FILE *f, const char *name,
                       struct kith_synth_stats *stats, GError **error)
{
	g_autoptr(GString) g = g_string_sized_new(1 << 16);
	double cdf[N_COUNTRIES], tot = 0;

	for (size_t j = 0; j < N_COUNTRIES; j++)
		tot += country_w[j];
	for (size_t j = 0; j < N_COUNTRIES; j++)
		cdf[j] = (j ? cdf[j - 1] : 0) + country_w[j] / tot;
	cdf[N_COUNTRIES - 1] = 1.0;
	g_string_append(g, "user_id,age,gender,country,signup\n");
	for (int64_t u = 0; u < s->N; u++) {
		struct kith_rng r;
		int c = s->comm[u], country;
		double x;
		int64_t age, signup;
		const char *gender;
		char id[32];

		kith_rng_seed(&r, s->p.seed, PH_USER | (uint64_t)u);
		age = lround(s->age_mean[c] + 11 * kith_rng_normal(&r));
		age = CLAMP(age, 16, 90);
		x = kith_rng_uniform(&r);
		gender = x < 0.02 ? "X" : x < 0.02 + 0.98 * s->p_female[c]
		                              ? "F" : "M";
		x = kith_rng_uniform(&r);
		country = x < 0.4 ? s->home[c]
		                  : cdf_draw(cdf, N_COUNTRIES,
		                             kith_rng_uniform(&r));
		signup = s->p.start - 86400 -
		         (int64_t)kith_rng_below(&r, 3 * 365 * 86400ULL);
		*put_id(id, 'u', u, s->uw) = '\0';
		g_string_append_printf(g, "%s,%" G_GINT64_FORMAT ",%s,%s,%"
		                       G_GINT64_FORMAT "\n", id, age, gender,
		                       countries[country], MAX(signup, 0));
		if (g->len > (1 << 16) - 256 && !put_str(f, name, g, stats, error))
			return FALSE;
	}
	return put_str(f, name, g, stats, error);
}

gboolean
kith_synth_write_items(const struct kith_synth *s, FILE *f, const char *name,
                       struct kith_synth_stats *stats, GError **error)
{
	g_autoptr(GString) g = g_string_sized_new(1 << 16);

	g_string_append(g, "item_id,category,price\n");
	for (int64_t i = 0; i < s->M; i++) {
		char id[32], price[32];
		*put_id(id, 'i', i, s->iw) = '\0';
		*put_cents(price, s->cents[i]) = '\0';
		g_string_append_printf(g, "%s,%s%s%s,%s\n", id,
		                       s->cat_name[s->cat0[i]],
		                       s->cat1[i] >= 0 ? "|" : "",
		                       s->cat1[i] >= 0 ? s->cat_name[s->cat1[i]]
		                                       : "", price);
		if (g->len > (1 << 16) - 256 && !put_str(f, name, g, stats, error))
			return FALSE;
	}
	return put_str(f, name, g, stats, error);
}

gboolean
kith_synth_write_truth_communities(const struct kith_synth *s, FILE *f,
                                   const char *name,
                                   struct kith_synth_stats *stats,
                                   GError **error)
{
	g_autoptr(GString) g = g_string_sized_new(1 << 16);

	g_string_append(g, "user\tcommunity\n");
	for (int64_t u = 0; u < s->N; u++) {
		char id[32];
		*put_id(id, 'u', u, s->uw) = '\0';
		g_string_append_printf(g, "%s\t%d\n", id, s->comm[u]);
		if (g->len > (1 << 16) - 256 && !put_str(f, name, g, stats, error))
			return FALSE;
	}
	return put_str(f, name, g, stats, error);
}

gboolean
kith_synth_write_truth_preferences(const struct kith_synth *s, FILE *f,
                                   const char *name,
                                   struct kith_synth_stats *stats,
                                   GError **error)
{
	g_autoptr(GString) g = g_string_sized_new(1 << 16);

	g_string_append(g, "community\tcategory\tweight\n");
	for (int c = 0; c < s->K; c++) {
		for (int k = 0; k < s->C; k++)
			g_string_append_printf(g, "%d\t%s\t%.6f\n", c,
			                       s->cat_name[k],
			                       s->pref[(size_t)c * s->C + k]);
		if (g->len > (1 << 16) - 4096 && !put_str(f, name, g, stats, error))
			return FALSE;
	}
	return put_str(f, name, g, stats, error);
}

gboolean
kith_synth_write_truth_favourites(const struct kith_synth *s, FILE *f,
                                  const char *name,
                                  struct kith_synth_stats *stats,
                                  GError **error)
{
	g_autoptr(GString) g = g_string_sized_new(1 << 16);

	g_string_append(g, "community\titem\n");
	for (int c = 0; c < s->K; c++) {
		for (int64_t j = s->fav_off[c]; j < s->fav_off[c + 1]; j++) {
			char id[32];
			*put_id(id, 'i', s->fav[j], s->iw) = '\0';
			g_string_append_printf(g, "%d\t%s\n", c, id);
		}
		if (g->len > (1 << 16) - 8192 && !put_str(f, name, g, stats, error))
			return FALSE;
	}
	return put_str(f, name, g, stats, error);
}

/* ---- output folder --------------------------------------------------- */

typedef gboolean (*writer_fn)(const struct kith_synth *, FILE *,
                              const char *, struct kith_synth_stats *,
                              GError **);

/* Writes DIR/NAME through NAME.tmp: write, fflush, fsync, rename. */
static gboolean
write_one(const struct kith_synth *s, const char *dir, const char *name,
          writer_fn fn, const char *text, struct kith_synth_stats *st,
          GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
	g_autofree char *vbuf = g_malloc(1 << 20);
	FILE *f = fopen(tmp, "wb");
	gboolean ok;

	if (f == NULL) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot create '%s': %s", tmp, g_strerror(errno));
		return FALSE;
	}
	setvbuf(f, vbuf, _IOFBF, 1 << 20);
	if (fn != NULL)
		ok = fn(s, f, path, st, error);
	else
		ok = put_buf(f, path, text, strlen(text), st, error);
	if (ok && (fflush(f) != 0 || fsync(fileno(f)) != 0)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot write '%s': %s", path, g_strerror(errno));
		ok = FALSE;
	}
	if (fclose(f) != 0 && ok) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot write '%s': %s", path, g_strerror(errno));
		ok = FALSE;
	}
	if (ok && rename(tmp, path) != 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot rename '%s': %s", tmp, g_strerror(errno));
		ok = FALSE;
	}
	if (!ok)
		unlink(tmp);
	return ok;
}

static char *
params_json(const struct kith_synth *s, const struct kith_synth_stats *st)
{
	const struct kith_synth_params *p = &s->p;
	GString *g = g_string_new("{\n  \"format\": \"kith-synth\",\n");
	char start[32];
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(p->start);

	if (dt)
		g_snprintf(start, sizeof(start), "%04d-%02d-%02dT%02d:%02d:%02dZ",
		           g_date_time_get_year(dt), g_date_time_get_month(dt),
		           g_date_time_get_day_of_month(dt),
		           g_date_time_get_hour(dt), g_date_time_get_minute(dt),
		           g_date_time_get_second(dt));
	else
		g_snprintf(start, sizeof(start), "%" G_GINT64_FORMAT, p->start);
	g_string_append_printf(g,
		"  \"kith_version\": \"%s\",\n"
		"  \"seed\": %" G_GUINT64_FORMAT ",\n"
		"  \"users\": %" G_GINT64_FORMAT ",\n"
		"  \"items\": %" G_GINT64_FORMAT ",\n"
		"  \"categories\": %d,\n"
		"  \"communities\": %d,\n"
		"  \"mixing\": %.6g,\n"
		"  \"days\": %d,\n"
		"  \"start\": \"%s\",\n"
		"  \"start_unix\": %" G_GINT64_FORMAT ",\n"
		"  \"social_degree\": %.6g,\n"
		"  \"events\": %" G_GINT64_FORMAT ",\n"
		"  \"views\": %" G_GINT64_FORMAT ",\n"
		"  \"carts\": %" G_GINT64_FORMAT ",\n"
		"  \"purchases\": %" G_GINT64_FORMAT ",\n"
		"  \"social_pairs\": %" G_GINT64_FORMAT ",\n"
		"  \"social_mixed\": %" G_GINT64_FORMAT "\n}\n",
		kith_version(), p->seed, p->users, p->items, p->categories,
		p->communities, p->mixing, p->days, start, p->start,
		p->social_degree, st->events, st->by_type[0], st->by_type[1],
		st->by_type[2], st->social_pairs, st->social_mixed);
	return g_string_free(g, FALSE);
}

gboolean
kith_synth_write_dir(const struct kith_synth *s, const char *dir,
                     struct kith_synth_stats *stats, GError **error)
{
	g_autofree char *truth = g_build_filename(dir, "truth", NULL);
	g_autofree char *json = NULL;
	struct kith_synth_stats st = { 0 };
	static const struct {
		const char *name;
		writer_fn fn;
	} files[] = {
		{ "items.csv", kith_synth_write_items },
		{ "users.csv", kith_synth_write_users },
		{ "social.csv", kith_synth_write_social },
		{ "truth/communities.tsv", kith_synth_write_truth_communities },
		{ "truth/preferences.tsv", kith_synth_write_truth_preferences },
		{ "truth/favourites.tsv", kith_synth_write_truth_favourites },
		{ "events.csv", kith_synth_write_events },
	};

	if (g_mkdir_with_parents(truth, 0755) != 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot create '%s': %s", truth, g_strerror(errno));
		return FALSE;
	}
	for (size_t j = 0; j < G_N_ELEMENTS(files); j++)
		if (!write_one(s, dir, files[j].name, files[j].fn, NULL, &st,
		               error))
			return FALSE;
	json = params_json(s, &st);
	if (!write_one(s, dir, "synth.json", NULL, json, &st, error))
		return FALSE;
	if (stats)
		*stats = st;
	return TRUE;
}

gboolean
kith_synth_parse_start(const char *text, int64_t *out, GError **error)
{
	g_autoptr(GDateTime) dt = NULL;
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	int y, m, d, n = 0;
	char *end;
	gint64 v;

	errno = 0;
	v = g_ascii_strtoll(text, &end, 10);
	if (*text != '\0' && *end == '\0' && errno == 0 &&
	    strlen(text) > 8) {
		*out = v;
		return TRUE;
	}
	if (sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 &&
	    text[n] == '\0')
		dt = g_date_time_new_utc(y, m, d, 0, 0, 0);
	else
		dt = g_date_time_new_from_iso8601(text, utc);
	if (dt == NULL)
		return usage(error, "cannot parse date '%s' (want YYYY-MM-DD, "
		             "an ISO-8601 time or unix seconds)", text);
	*out = g_date_time_to_unix(dt);
	return TRUE;
}
