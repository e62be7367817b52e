/*
 * Pipelines (`kith run`): a GLib key file with one group per stage —
 * [ingest] [embed] [profile] [propagate] [communities] [influence]
 * [report] [export] — whose keys are the long options of that stage's
 * command.  This module parses the file, keeps the line of every group and
 * key for messages, resolves input paths relative to the file, and
 * computes stage fingerprints so that `kith run` can skip stages whose
 * inputs and options are unchanged (decided from content hashes of the
 * input files and of upstream manifests, never from timestamps).
 */
#ifndef KITH_PIPELINE_H
#define KITH_PIPELINE_H

#include <glib.h>

G_BEGIN_DECLS

struct kith_pipeline_key {
	char *key;
	char *value;
	int line;
};

struct kith_pipeline_stage {
	char *name;                 /* "ingest", "embed", ... */
	int line;                   /* line of the [group] header */
	GPtrArray *keys;            /* struct kith_pipeline_key *, file order */
};

struct kith_pipeline {
	char *path;
	char *dir;                  /* folder of the file, for relative paths */
	GPtrArray *stages;          /* struct kith_pipeline_stage *, in the
	                               canonical order, present ones only */
};

/* The stage names in execution order (NULL-terminated, static). */
const char *const *kith_pipeline_stage_names(void);

/* Loads PATH.  Unknown groups, duplicate keys and syntax errors are
 * KITH_ERROR_USAGE errors that start with "PATH:LINE: ".  Caller frees
 * with kith_pipeline_free(). */
struct kith_pipeline *kith_pipeline_load(const char *path, GError **error);
void kith_pipeline_free(struct kith_pipeline *p);
typedef struct kith_pipeline kith_pipeline;   /* for g_autoptr() */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(kith_pipeline, kith_pipeline_free)

/* The stage called NAME, or NULL. */
const struct kith_pipeline_stage *
kith_pipeline_stage(const struct kith_pipeline *p, const char *name);

/* Value of KEY in a stage, or NULL (borrowed). */
const char *kith_pipeline_get(const struct kith_pipeline_stage *s,
                              const char *key);

/* An input path as written in the file, made absolute relative to the
 * pipeline file's folder.  Caller frees. */
char *kith_pipeline_path(const struct kith_pipeline *p, const char *value);

/* Fingerprint of a stage run: SHA-256 over its argument vector and the
 * content of its inputs — for a file, its SHA-256; for a kith folder, the
 * bytes of its manifest.json.  Caller frees the hex string. */
char *kith_pipeline_fingerprint(char *const *argv, int argc,
                                char *const *inputs, int n_inputs,
                                GError **error);

G_END_DECLS

#endif
