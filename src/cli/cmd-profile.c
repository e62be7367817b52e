/* kith profile STORE [--emb EMB] -o PROFILES: options → one library call
 * (kith_profile_job_run()) → the summary.  kith run's [profile] stage
 * sets the same options from its keys. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>

#include "cli.h"
#include "kith/profile.h"

struct profile_opts {
	struct kith_profile_job job;
	gboolean json;
};

#define PO(f) offsetof(struct profile_opts, f)
static const struct kith_cli_option profile_options[] = {
	{ "output", 'o', G_OPTION_ARG_FILENAME, PO(job.output),
	  "profiles folder to write", "PROFILES", 0 },
	{ "emb", 0, G_OPTION_ARG_FILENAME, PO(job.emb),
	  "append these user embeddings to profiles.npy", "EMB", 0 },
	{ "half-life", 0, G_OPTION_ARG_DOUBLE, PO(job.params.half_life_days),
	  "time decay of category preferences in days; 0: none (90)", "DAYS", 0 },
	{ "cold-k", 0, G_OPTION_ARG_DOUBLE, PO(job.params.cold_k),
	  "confidence = 1 - exp(-events/K); cold below 0.5 (10)", "K", 0 },
	{ "new-days", 0, G_OPTION_ARG_DOUBLE, PO(job.params.new_days),
	  "segment 'new': first event within DAYS of the end (30)", "DAYS", 0 },
	{ "json", 0, G_OPTION_ARG_NONE, PO(json),
	  "print the summary as JSON", NULL, 0 },
};

static void
profile_init(void *p)
{
	struct profile_opts *o = p;
	kith_profile_job_init(&o->job);
	o->json = FALSE;
}

static void
profile_clear(void *p)
{
	kith_profile_job_clear(&((struct profile_opts *)p)->job);
}

static int
profile_check(void *p, int argc, char **argv)
{
	const struct kith_profile_job *j = &((struct profile_opts *)p)->job;

	if (argc != 2)
		return kith_cli_usage("profile", "expected one STORE");
	if (!j->output)
		return kith_cli_usage("profile", "-o PROFILES is required");
	if (!(j->params.cold_k > 0))
		return kith_cli_usage("profile", "--cold-k must be positive");
	if (j->params.half_life_days < 0 || j->params.new_days < 0)
		return kith_cli_usage("profile", "--half-life and --new-days "
		                      "must not be negative");
	return 0;
}

static void
print_summary(const struct kith_profile_summary *r, gboolean json)
{
	if (json) {
		printf("{\n  \"users\": %" G_GINT64_FORMAT ",\n  \"cold\": %"
		       G_GINT64_FORMAT ",\n  \"source\": \"%s\",\n"
		       "  \"segments\": {", r->n_users, r->n_cold,
		       r->from_log ? "event_log" : "pairs");
		for (int g = 0; g < KITH_SEG_COUNT; g++)
			printf("%s\n    \"%s\": %" G_GINT64_FORMAT, g ? "," : "",
			       kith_segment_name(g), r->segment_count[g]);
		printf("\n  },\n  \"seconds\": %.3f\n}\n", r->seconds);
	} else {
		printf("users %" G_GINT64_FORMAT "  cold %" G_GINT64_FORMAT
		       "  source %s\n", r->n_users, r->n_cold,
		       r->from_log ? "event log" : "pairs");
		for (int g = 0; g < KITH_SEG_COUNT; g++)
			printf("  %-12s %" G_GINT64_FORMAT "\n",
			       kith_segment_name(g), r->segment_count[g]);
		printf("seconds %.2f\n", r->seconds);
	}
}

static int
profile_exec(void *p, const char *store, struct kith_cli *cli)
{
	struct profile_opts *o = p;
	struct kith_cli_note note = { cli, "profile" };
	struct kith_profile_summary r;
	GError *err = NULL;

	g_free(o->job.store);
	o->job.store = g_strdup(store);
	o->job.max_memory = cli->max_memory;
	o->job.note = kith_cli_note;
	o->job.note_data = &note;
	if (!kith_profile_job_run(&o->job, &r, &err))
		return kith_cli_fail("profile", err);
	print_summary(&r, o->json);
	return 0;
}

const struct kith_cli_stage kith_cli_stage_profile = {
	"profile", "STORE", "per-user behavioural profiles and segments",
	"Writes profiles.tsv, profiles.npy, columns.tsv, catprefs.npy "
	"and manifest.json.\nSee kith-profile(1).",
	profile_options, G_N_ELEMENTS(profile_options),
	sizeof(struct profile_opts), profile_init, profile_clear,
	profile_check, profile_exec,
	NULL, 0, 0, FALSE
};

int
cmd_profile(int argc, char **argv, struct kith_cli *cli)
{
	return kith_cli_stage_main(&kith_cli_stage_profile, argc, argv, cli);
}
