/* kith run PIPELINE.ini -o OUT: every stage of a pipeline file, make-style.
 * Every stage is a library call whose keys set the command's options by
 * name: [embed] through kith_cli_embed_stage(), the others through their
 * struct kith_cli_stage (library_stage()); nothing is parsed from an
 * argument vector.
 * A stage is skipped when its fingerprint (option words + content of its
 * inputs) and its output manifest are those of the last run, recorded in
 * OUT/run-state.json. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kith/io.h"
#include "kith/pipeline.h"

/* Keys whose values are input paths, relative to the pipeline file. */
static const char *const path_keys[] = {
	"events", "social", "users", "items", "user-features", "labels",
	"truth", "seeds", "test", "from", NULL
};

/* Keys a pipeline may not set: run decides them. */
static const char *const reserved_keys[] = {
	"output", "o", "help", "help-all", "help-global", "json", NULL
};

static gboolean
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return TRUE;
	return FALSE;
}

/* The stages that are library calls with an options table (cli.h);
 * [embed] has its own (kith_cli_embed_stage()). */
static const struct kith_cli_stage *
library_stage(const char *name)
{
	static const struct kith_cli_stage *const stages[] = {
		&kith_cli_stage_ingest,
		&kith_cli_stage_profile,
		&kith_cli_stage_propagate,
		&kith_cli_stage_communities,
		&kith_cli_stage_influence,
		&kith_cli_stage_report,
		&kith_cli_stage_export,
	};
	for (size_t i = 0; i < G_N_ELEMENTS(stages); i++)
		if (strcmp(stages[i]->name, name) == 0)
			return stages[i];
	return NULL;
}

/* A stage as run: its options as (key, value) pairs — the folders run
 * passes (--emb, the report's inputs) then the pipeline's keys — and the
 * words of the equivalent command line, which the fingerprint hashes (so
 * that the run state of earlier versions, which ran that command line,
 * stays valid). */
struct stage_run {
	GPtrArray *argv;     /* char *: the words of the command line */
	GPtrArray *keys;     /* char *: option names, without --output */
	GPtrArray *values;   /* char *: their values */
	GPtrArray *inputs;   /* char * */
	char *positional;    /* the store (the embeddings for export) */
	char *output;        /* folder (or file for export) */
};

static void
stage_run_clear(struct stage_run *r)
{
	g_ptr_array_free(r->argv, TRUE);
	g_ptr_array_free(r->keys, TRUE);
	g_ptr_array_free(r->values, TRUE);
	g_ptr_array_free(r->inputs, TRUE);
	g_free(r->positional);
	g_free(r->output);
}

static void
add(GPtrArray *a, const char *s)
{
	g_ptr_array_add(a, g_strdup(s));
}

/* Option KEY = VALUE of a stage: "--KEY=VALUE" (FLAG: "--KEY") in the
 * words, (KEY, VALUE) in the pairs. */
static void
put(struct stage_run *r, const char *key, const char *value, gboolean flag)
{
	g_ptr_array_add(r->argv, flag ? g_strdup_printf("--%s", key)
	                              : g_strdup_printf("--%s=%s", key, value));
	add(r->keys, key);
	add(r->values, value);
}

static gboolean
is_true(const char *v)
{
	return g_ascii_strcasecmp(v, "true") == 0 ||
	       g_ascii_strcasecmp(v, "yes") == 0 || strcmp(v, "1") == 0;
}

static gboolean
is_false(const char *v)
{
	return g_ascii_strcasecmp(v, "false") == 0 ||
	       g_ascii_strcasecmp(v, "no") == 0 || strcmp(v, "0") == 0;
}

/* The option of one key: "--key=value", "--key" (a true value), or
 * nothing (a false value: the option is not given). */
static void
key_args(struct stage_run *r, const struct kith_pipeline *p,
         const struct kith_pipeline_key *k)
{
	if (in_list(path_keys, k->key)) {
		g_autofree char *path = kith_pipeline_path(p, k->value);
		put(r, k->key, path, FALSE);
		add(r->inputs, path);
	} else if (!is_false(k->value)) {
		put(r, k->key, k->value, is_true(k->value));
	}
}

/* The value of a key as kith embed reads it: a path made absolute. */
static char *
key_value(const struct kith_pipeline *p, const struct kith_pipeline_key *k)
{
	return in_list(path_keys, k->key) ? kith_pipeline_path(p, k->value)
	                                   : g_strdup(k->value);
}

/* Whether key k of a library stage (or of [embed]) sets one of its
 * options; a false value of a library stage's key is not an option
 * (see key_args()). */
static gboolean
stage_key_ok(const struct kith_pipeline *p,
             const struct kith_pipeline_stage *s,
             const struct kith_pipeline_key *k, GError **error)
{
	const struct kith_cli_stage *st = library_stage(s->name);
	g_autofree char *v = key_value(p, k);
	g_autofree char *why = NULL;

	if (st ? is_false(k->value) || kith_cli_stage_key(st, k->key, v, &why)
	       : kith_cli_embed_key(k->key, v, &why))
		return TRUE;
	g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE, "%s:%d: [%s] %s: %s",
	            p->path, k->line, s->name, k->key, why);
	return FALSE;
}

/* Runs the [embed] stage s: its keys set kith embed's options. */
static int
run_embed(const struct kith_pipeline *p, const struct kith_pipeline_stage *s,
          const char *out, const char *output, struct kith_cli *sub)
{
	g_autofree char *store = g_build_filename(out, "store", NULL);
	g_autoptr(GPtrArray) keys = g_ptr_array_new();
	g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < s->keys->len; i++) {
		const struct kith_pipeline_key *k = g_ptr_array_index(s->keys, i);
		g_ptr_array_add(keys, k->key);
		g_ptr_array_add(values, key_value(p, k));
	}
	return kith_cli_embed_stage((const char *const *)keys->pdata,
	                            (const char *const *)values->pdata,
	                            (int)keys->len, store, output, sub);
}

/* Checks every key of a stage: by parsing it alone with the stage's
 * command in check-only mode, or for [embed] by setting it. */
static gboolean
validate_stage(const struct kith_pipeline *p,
               const struct kith_pipeline_stage *s, GError **error)
{
	if (strcmp(s->name, "embed") != 0 && !library_stage(s->name)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "%s:%d: stage '[%s]' is not available in this build",
		            p->path, s->line, s->name);
		return FALSE;
	}
	for (guint i = 0; i < s->keys->len; i++) {
		const struct kith_pipeline_key *k = g_ptr_array_index(s->keys, i);

		if (in_list(reserved_keys, k->key)) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "%s:%d: key '%s' cannot be set in a pipeline "
			            "(kith run chooses it)", p->path, k->line, k->key);
			return FALSE;
		}
		if (!stage_key_ok(p, s, k, error))
			return FALSE;
	}
	return TRUE;
}

/* Builds the argument vector of a stage.  out: the run folder. */
static void
build_stage(struct stage_run *r, const struct kith_pipeline *p,
            const struct kith_pipeline_stage *s, const char *out)
{
	g_autofree char *store = g_build_filename(out, "store", NULL);
	g_autofree char *emb = g_build_filename(out, "embed", NULL);
	gboolean have_emb = kith_pipeline_stage(p, "embed") != NULL;
	guint i;

	r->argv = g_ptr_array_new_with_free_func(g_free);
	r->keys = g_ptr_array_new_with_free_func(g_free);
	r->values = g_ptr_array_new_with_free_func(g_free);
	r->inputs = g_ptr_array_new_with_free_func(g_free);
	r->positional = NULL;
	add(r->argv, s->name);
	if (strcmp(s->name, "ingest") == 0) {
		r->output = g_strdup(store);
	} else if (strcmp(s->name, "export") == 0) {
		const char *fmt = kith_pipeline_get(s, "format");
		static const char *const names[] = {
			"w2v", "embeddings.w2v.txt", "w2v-bin", "embeddings.w2v.bin",
			"fvecs", "embeddings.fvecs", "npy", "embeddings.npy",
			"projector", "projector", NULL
		};
		const char *name = "embeddings";
		int j;
		for (j = 0; fmt != NULL && names[j] != NULL; j += 2)
			if (strcmp(fmt, names[j]) == 0)
				name = names[j + 1];
		add(r->argv, emb);
		r->positional = g_strdup(emb);
		add(r->inputs, emb);
		r->output = g_build_filename(out, "export", name, NULL);
	} else {
		add(r->argv, store);
		r->positional = g_strdup(store);
		add(r->inputs, store);
		r->output = g_build_filename(out, strcmp(s->name, "embed") == 0
		                                          ? "embed" : s->name, NULL);
		if (have_emb && strcmp(s->name, "embed") != 0 &&
		    strcmp(s->name, "influence") != 0 &&
		    (strcmp(s->name, "communities") != 0 ||
		     g_strstr_len(kith_pipeline_get(s, "graph") ?
		                  kith_pipeline_get(s, "graph") : "", -1, "knn"))) {
			put(r, "emb", emb, FALSE);
			add(r->inputs, emb);
		}
		if (strcmp(s->name, "report") == 0) {
			static const char *const ups[] = { "profile", "profiles",
			                                   "communities", "communities",
			                                   "influence", "influence",
			                                   "propagate", "prefs", NULL };
			int j;
			for (j = 0; ups[j] != NULL; j += 2)
				if (kith_pipeline_stage(p, ups[j]) != NULL) {
					g_autofree char *f = g_build_filename(out, ups[j], NULL);
					put(r, ups[j + 1], f, FALSE);
					add(r->inputs, f);
				}
		}
	}
	g_ptr_array_add(r->argv, g_strdup_printf("--output=%s", r->output));
	for (i = 0; i < s->keys->len; i++)
		key_args(r, p, g_ptr_array_index(s->keys, i));
}

/* A stage's standard output (its data summary) goes to OUT/STAGE.out so
 * that `kith run` prints one line per stage.  Returns the saved descriptor
 * (-1 when stdout was left alone). */
static int
redirect_stdout(const char *path)
{
	int fd, saved;

	fflush(stdout);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	saved = dup(STDOUT_FILENO);
	if (saved < 0 || dup2(fd, STDOUT_FILENO) < 0) {
		if (saved >= 0)
			close(saved);
		close(fd);
		return -1;
	}
	close(fd);
	return saved;
}

static void
restore_stdout(int saved)
{
	if (saved < 0)
		return;
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
}

static char *
output_hash(const char *output)
{
	g_autofree char *m = g_build_filename(output, "manifest.json", NULL);

	if (g_file_test(m, G_FILE_TEST_EXISTS))
		return kith_file_sha256(m, NULL, NULL);
	if (g_file_test(output, G_FILE_TEST_IS_REGULAR))
		return kith_file_sha256(output, NULL, NULL);
	return NULL;
}

int
kith_cli_run_pipeline(const char *ini, const char *out, gboolean force,
                      struct kith_cli *cli)
{
	g_autoptr(kith_pipeline) p = NULL;
	g_autoptr(JsonNode) state = NULL;
	g_autofree char *state_path = NULL;
	g_autofree char *abs_out = NULL;
	JsonObject *st;
	GError *err = NULL;
	guint i;
	int ran = 0, skipped = 0;

	p = kith_pipeline_load(ini, &err);
	if (p == NULL)
		return kith_cli_fail("run", err);
	for (i = 0; i < p->stages->len; i++)
		if (!validate_stage(p, g_ptr_array_index(p->stages, i), &err))
			return kith_cli_fail("run", err);
	abs_out = g_canonicalize_filename(out, NULL);
	if (g_mkdir_with_parents(abs_out, 0755) != 0) {
		fprintf(stderr, "kith run: cannot create '%s'\n", abs_out);
		return 1;
	}
	state_path = g_build_filename(abs_out, "run-state.json", NULL);
	state = g_file_test(state_path, G_FILE_TEST_EXISTS)
	                ? kith_json_read(state_path, NULL) : NULL;
	if (state == NULL) {
		state = json_node_new(JSON_NODE_OBJECT);
		json_node_take_object(state, json_object_new());
	}
	st = json_node_get_object(state);
	if (kith_pipeline_stage(p, "ingest") == NULL) {
		g_autofree char *store = g_build_filename(abs_out, "store", NULL);
		if (!g_file_test(store, G_FILE_TEST_IS_DIR)) {
			fprintf(stderr, "kith run: %s: no [ingest] stage and no store "
			        "at '%s'\n", ini, store);
			return 1;
		}
	}
	for (i = 0; i < p->stages->len; i++) {
		const struct kith_pipeline_stage *s = g_ptr_array_index(p->stages, i);
		struct stage_run r;
		g_autofree char *fp = NULL, *have = NULL;
		JsonObject *prev = json_object_has_member(st, s->name)
		                           ? json_object_get_object_member(st, s->name)
		                           : NULL;
		double t0;
		int rc;

		build_stage(&r, p, s, abs_out);
		fp = kith_pipeline_fingerprint((char *const *)r.argv->pdata,
		                               (int)r.argv->len,
		                               (char *const *)r.inputs->pdata,
		                               (int)r.inputs->len, &err);
		if (fp == NULL) {
			stage_run_clear(&r);
			return kith_cli_fail("run", err);
		}
		have = output_hash(r.output);
		if (!force && prev != NULL && have != NULL &&
		    g_strcmp0(json_object_get_string_member_with_default(
		                      prev, "fingerprint", ""), fp) == 0 &&
		    g_strcmp0(json_object_get_string_member_with_default(
		                      prev, "output", ""), have) == 0) {
			kith_cli_info(cli, "run", "%s: up to date", s->name);
			skipped++;
			stage_run_clear(&r);
			continue;
		}
		kith_cli_info(cli, "run", "%s: running", s->name);
		t0 = kith_now();
		{
			g_autofree char *parent = g_path_get_dirname(r.output);
			g_mkdir_with_parents(parent, 0755);
		}
		{
			struct kith_cli sub = { .seed = cli->seed,
			                        .threads = cli->threads,
			                        .quiet = cli->quiet, .tty = cli->tty,
			                        .max_memory = cli->max_memory };
			g_autofree char *log = g_strdup_printf("%s/%s.out", abs_out,
			                                       s->name);
			int saved = redirect_stdout(log);
			if (strcmp(s->name, "embed") == 0)
				rc = run_embed(p, s, abs_out, r.output, &sub);
			else
				rc = kith_cli_stage_run(library_stage(s->name),
				    (const char *const *)r.keys->pdata,
				    (const char *const *)r.values->pdata,
				    (int)r.keys->len, r.positional, r.output, &sub);
			restore_stdout(saved);
		}
		if (rc != 0) {
			fprintf(stderr, "kith run: stage '%s' (%s:%d) failed with exit "
			        "status %d\n", s->name, ini, s->line, rc);
			json_object_remove_member(st, s->name);
			kith_json_write(state_path, state, NULL);
			stage_run_clear(&r);
			return rc;
		}
		{
			JsonObject *o = json_object_new();
			g_autofree char *h = output_hash(r.output);
			json_object_set_string_member(o, "fingerprint", fp);
			json_object_set_string_member(o, "output", h ? h : "");
			json_object_set_double_member(o, "seconds", kith_now() - t0);
			json_object_set_object_member(st, s->name, o);
		}
		if (!kith_json_write(state_path, state, &err)) {
			stage_run_clear(&r);
			return kith_cli_fail("run", err);
		}
		kith_cli_info(cli, "run", "%s: done in %.2f s (output %s, log %s/%s.out)",
		              s->name, kith_now() - t0, r.output, abs_out, s->name);
		ran++;
		stage_run_clear(&r);
	}
	printf("stages run: %d, up to date: %d\n", ran, skipped);
	printf("output: %s\n", abs_out);
	return 0;
}

int
cmd_run(int argc, char **argv, struct kith_cli *cli)
{
	char *out = NULL;
	gboolean force = FALSE;
	GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
		  "run folder (one sub-folder per stage)", "OUT" },
		{ "force", 0, 0, G_OPTION_ARG_NONE, &force,
		  "rerun every stage even if up to date", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = kith_cli_context(
	        "run", "PIPELINE.ini", "run the stages of a pipeline file",
	        "Stages: ingest embed profile propagate communities influence "
	        "report export.\nSee kith-run(1) for every key.", entries, cli);
	int rc;

	if ((rc = kith_cli_parse(ctx, &argc, &argv, cli)) != 0)
		return rc;
	if (argc != 2)
		return kith_cli_usage("run", "expected one PIPELINE.ini argument");
	if (out == NULL)
		return kith_cli_usage("run", "missing --output OUT");
	rc = kith_cli_run_pipeline(argv[1], out, force, cli);
	g_free(out);
	return rc;
}
