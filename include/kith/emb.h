/*
 * Embedding folders (EMB/): users.npy (n_users x d, float32, row i = store
 * user i), items.npy (n_items x d; 0 x d when the model embeds no items),
 * users.tsv and items.tsv (the ids of those rows, see io.h; items.tsv only
 * when there are item rows),
 * manifest.json (format "kith-emb": model, hyper-parameters, seed, store
 * path and checksum, training curve, timings, validation metrics), plus any
 * model weights a model adds (for --from).  Written by src/nn/embed.c and
 * src/nn/emb.c; read back through kith_emb_open() and, for what readers
 * show of the model, kith_emb_summary_read().
 */
#ifndef KITH_EMB_H
#define KITH_EMB_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "kith/io.h"

G_BEGIN_DECLS

#define KITH_EMB_FORMAT "kith-emb"
#define KITH_EMB_VERSION 1

struct kith_emb {
	char *path;
	JsonNode *manifest;      /* owned */
	int64_t n_users;
	int64_t n_items;
	int dim;
	const float *users;      /* n_users x dim, borrowed from the mapping */
	const float *items;      /* n_items x dim (NULL when n_items == 0) */
	/* private */
	struct kith_npy map_users;
	struct kith_npy map_items;
};

/* Opens EMB, validating shapes against each other.  Caller frees with
 * kith_emb_free(). */
struct kith_emb *kith_emb_open(const char *path, GError **error);
void kith_emb_free(struct kith_emb *e);
typedef struct kith_emb kith_emb;   /* for g_autoptr() */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(kith_emb, kith_emb_free)

/* Extra arrays a model stores beside the embeddings (weights for --from). */
struct kith_emb_array {
	const char *name;        /* file name, e.g. "sage.w1.npy" */
	enum kith_dtype dtype;
	int64_t nrows;
	int64_t ncols;           /* 0 for 1-D */
	const void *data;
};

/* Writes an embedding folder atomically at PATH.  user_ids / item_ids
 * (borrowed; NULL: no ids file) name the rows: users.tsv (mode 0600, like
 * every per-user file of kith) and items.tsv (when n_items > 0).
 * `fields` (may be NULL) is a JSON object whose members are copied into
 * manifest.json (model, params, curve, ...); the function adds format,
 * version, dims and the checksums of the arrays and ids files.
 * extra/n_extra: additional arrays (may be NULL/0). */
gboolean kith_emb_write(const char *path, const float *users,
                        int64_t n_users, const float *items, int64_t n_items,
                        int dim, char *const *user_ids,
                        char *const *item_ids, JsonObject *fields,
                        const struct kith_emb_array *extra, int n_extra,
                        GError **error);

/* One series of a folder's training curve: the values a manifest member
 * took over the epochs. */
struct kith_emb_series {
	char *name;              /* "loss", "recall@20", "seconds", ... */
	GArray *epoch;           /* double: the entry's "epoch", else its
	                            1-based position in the curve */
	GArray *value;           /* double, finite */
};

/* What an embedding folder's manifest says about its model, for readers
 * that show it (kith report).  Members the manifest lacks are NULL. */
struct kith_emb_summary {
	char *model;             /* "lightgcn", "sage", "gcn" */
	char *store_created;     /* creation time of the store it was
	                            trained on (or last updated from) */
	GPtrArray *curve;        /* struct kith_emb_series *, in the order
	                            their names first appear; never NULL */
};

/* Fills out from e's manifest.  The training curve is read from
 * "curve" (an array, or an object with an "epochs" array) whose entries
 * are numbers (series "loss") or objects: every finite number member but
 * "epoch" is a point of the series of that name, and so is every finite
 * number member of an object member (by its inner name).  Never fails;
 * clear with kith_emb_summary_clear(). */
void kith_emb_summary_read(struct kith_emb_summary *out,
                           const struct kith_emb *e);
void kith_emb_summary_clear(struct kith_emb_summary *s);

/* Maps an extra array of an opened embedding folder (caller unmaps). */
gboolean kith_emb_array(const struct kith_emb *e, const char *name,
                        struct kith_npy *out, GError **error);

G_END_DECLS

#endif
