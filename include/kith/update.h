/*
 * kith update: incremental ingest of a new batch into an existing store
 * (src/graph/update.c), its ledger, and the warm-started refresh of
 * LightGCN embeddings.
 */
#ifndef KITH_UPDATE_H
#define KITH_UPDATE_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "kith/ingest.h"
#include "kith/store.h"

G_BEGIN_DECLS

struct kith_update_result {
	struct kith_ingest_result batch; /* the batch's ingest; batch.store
	                                    is the new store (not when noop) */
	gboolean noop;          /* every file was applied before: nothing
	                           written */
	GPtrArray *skipped;     /* "kind 'path'" of files already in the
	                           ledger (char *, owned) */
	int64_t index;          /* ledger index of this batch (0 = ingest) */
	int64_t old_users;      /* counts of the store before the batch */
	int64_t old_items;
	int64_t old_interactions;
	JsonNode *entry;        /* the batch's ledger entry (owned) */
	char *store_created;    /* "created" of the new store's manifest */
	int64_t *touched;       /* users whose set of items changed in the
	                           batch (a new pair, or new since the last
	                           version), ascending; owned */
	int64_t n_touched;
	int64_t *new_u;         /* the pairs (new_u[k], new_i[k]) the batch
	                           created, by user then item; owned */
	int32_t *new_i;
	int64_t n_new;
};

/* Applies the batch named by opt (events, social, users, items,
 * user_features: any input file, see input.h) to the store at PATH and
 * writes the
 * new version atomically over it (kith_store_write(), same file modes
 * as before).  opt->base and opt->directed are set here; when
 * opt->columns / opt->event_weights are NULL the original ingest's
 * column mapping of the events file (when it had no header) and its
 * event weights are reused.  A file whose SHA-256 the ledger already
 * lists for the same kind is skipped (listed in out->skipped); when every
 * file is skipped, out->noop is set and the store is left untouched.  A
 * stream (stdin, a pipe, a FIFO) is hashed while the batch is read, so
 * it is checked after: when every file of the batch is one already
 * applied, the batch is a no-op as well; when only some are,
 * KITH_ERROR_DATA (a stream cannot be read twice).
 * The manifest gets "ledger": one entry per batch, the first being the
 * original ingest (see kith_update_ledger()).
 * Errors: as kith_ingest_run() (the store is then untouched);
 * KITH_ERROR_USAGE for a pseudonymized store;
 * KITH_ERROR_CORRUPT / KITH_ERROR_IO for the store.  Release *out with
 * kith_update_result_clear(). */
gboolean kith_update_store(const char *path,
                           const struct kith_ingest_options *opt,
                           struct kith_update_result *out, GError **error);
void kith_update_result_clear(struct kith_update_result *r);

/* The ledger of a store manifest (a new array node, caller unrefs): its
 * "ledger" member, or for a store never updated one entry made from its
 * "ingest" summary, "sources" and "created".  Entry members: index,
 * kind ("ingest" | "update"), time, files (kind, path, size, sha256,
 * lines, header, comments, blank, accepted, rejected, rejected_by_reason,
 * unique, merged, self_loops), users_added, items_added, and "counts"
 * after the batch (users, items, events, interactions).  NULL with
 * KITH_ERROR_CORRUPT when the manifest has neither. */
JsonNode *kith_update_ledger(JsonObject *manifest, GError **error);

/* Checks the accounting identity of every file of every ledger entry:
 * lines = header + comments + blank + accepted + rejected and accepted =
 * unique + merged + self_loops, rejected = Σ rejected_by_reason.  FALSE
 * with KITH_ERROR_CORRUPT naming the first entry and file that fails. */
gboolean kith_update_ledger_check(JsonNode *ledger, GError **error);

/* The warm-started refresh of a LightGCN embedding folder after a batch
 * (kith update --emb; src/nn/embed.c): the folder's model definition
 * (layers, l2, negatives, social weight) and its ego embeddings
 * lightgcn.ego.npy (else its propagated rows) start `steps` BPR steps of
 * the usual batch size on the new store, a share `focus` of each batch
 * drawn among the batch's new pairs (or users whose items changed), seed
 * seed + the batch's ledger index; the folder is rewritten atomically
 * with the new store's counts and one more entry in its "updates".
 * KITH_ERROR_DATA when the folder was not trained on the store before
 * this batch, KITH_ERROR_CORRUPT for a damaged ego array, the trainer's
 * errors, KITH_ERROR_IO. */
struct kith_refresh_options {
	int steps;              /* 8 */
	double focus;           /* 0.25 */
	uint64_t seed;          /* 42 */
};
void kith_refresh_options_init(struct kith_refresh_options *o);
gboolean kith_lightgcn_refresh(const char *emb_path, const char *store_path,
                               const struct kith_update_result *u,
                               const struct kith_refresh_options *o,
                               GError **error);

/* Refits the filter folder EMB (model "filter") on the updated store:
 * its parameters and seed, no validation, one pass from its own item
 * rows (the filter is training-free: a refit is its update).  The folder
 * is rewritten atomically.  KITH_ERROR_DATA when EMB holds another model,
 * the filter's errors, KITH_ERROR_IO. */
gboolean kith_filter_refresh(const char *emb_path, const char *store_path,
                             GError **error);

G_END_DECLS

#endif
