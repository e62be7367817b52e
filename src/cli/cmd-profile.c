/* kith profile STORE [--emb EMB] -o PROFILES */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "kith/emb.h"
#include "kith/memest.h"
#include "kith/profile.h"
#include "kith/store.h"

int
cmd_profile(int argc, char **argv, struct kith_cli *cli)
{
	g_autofree char *out = NULL, *emb_path = NULL;
	struct kith_profile_params p;
	gboolean json = FALSE;

	kith_profile_params_init(&p);
	GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
		  "profiles folder to write", "PROFILES" },
		{ "emb", 0, 0, G_OPTION_ARG_FILENAME, &emb_path,
		  "append these user embeddings to profiles.npy", "EMB" },
		{ "half-life", 0, 0, G_OPTION_ARG_DOUBLE, &p.half_life_days,
		  "time decay of category preferences in days; 0: none (90)",
		  "DAYS" },
		{ "cold-k", 0, 0, G_OPTION_ARG_DOUBLE, &p.cold_k,
		  "confidence = 1 - exp(-events/K); cold below 0.5 (10)", "K" },
		{ "new-days", 0, 0, G_OPTION_ARG_DOUBLE, &p.new_days,
		  "segment 'new': first event within DAYS of the end (30)",
		  "DAYS" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
		  "print the summary as JSON", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = kith_cli_context(
		"profile", "STORE", "per-user behavioural profiles and segments",
		"Writes profiles.tsv, profiles.npy, columns.tsv, catprefs.npy "
		"and manifest.json.\nSee kith-profile(1).", entries, cli);
	GError *err = NULL;
	int rc = kith_cli_parse(ctx, &argc, &argv, cli);

	if (rc)
		return rc;
	if (argc != 2)
		return kith_cli_usage("profile", "expected one STORE");
	if (!out)
		return kith_cli_usage("profile", "-o PROFILES is required");
	if (!(p.cold_k > 0))
		return kith_cli_usage("profile", "--cold-k must be positive");
	if (p.half_life_days < 0 || p.new_days < 0)
		return kith_cli_usage("profile", "--half-life and --new-days "
		                      "must not be negative");

	double t0 = kith_now();
	g_autoptr(kith_store) s = NULL;
	g_autoptr(kith_emb) e = NULL;
	if (!kith_cli_open_store_emb(argv[1], emb_path, &s, &e, &err))
		return kith_cli_fail("profile", err);
	{
		g_autofree char *what = g_strdup_printf("profiles of %"
		    G_GINT64_FORMAT " users", s->n_users);
		if (kith_cli_memory_gate(cli, "profile", what,
		                         kith_memest_profile(s)))
			return 1;
	}

	struct kith_profiles pr;
	if (!kith_profile_compute(&pr, s, &p, &err))
		return kith_cli_fail("profile", err);
	g_autoptr(JsonBuilder) ob = json_builder_new();
	json_builder_begin_object(ob);
	kith_json_put_double(ob, "half_life_days", p.half_life_days);
	kith_json_put_double(ob, "cold_k", p.cold_k);
	kith_json_put_double(ob, "new_days", p.new_days);
	kith_json_put_string(ob, "emb", emb_path);
	json_builder_end_object(ob);
	g_autoptr(JsonNode) opts = json_builder_get_root(ob);
	gboolean ok = kith_profile_write(out, &pr, s, e, argv[1],
	                                 json_node_get_object(opts), &err);
	if (!ok) {
		kith_profiles_clear(&pr);
		return kith_cli_fail("profile", err);
	}
	double secs = kith_now() - t0;
	if (json) {
		printf("{\n  \"users\": %" G_GINT64_FORMAT ",\n  \"cold\": %"
		       G_GINT64_FORMAT ",\n  \"source\": \"%s\",\n"
		       "  \"segments\": {", pr.n_users, pr.n_cold,
		       pr.from_log ? "event_log" : "pairs");
		for (int g = 0; g < KITH_SEG_COUNT; g++)
			printf("%s\n    \"%s\": %" G_GINT64_FORMAT, g ? "," : "",
			       kith_segment_name(g), pr.segment_count[g]);
		printf("\n  },\n  \"seconds\": %.3f\n}\n", secs);
	} else {
		printf("users %" G_GINT64_FORMAT "  cold %" G_GINT64_FORMAT
		       "  source %s\n", pr.n_users, pr.n_cold,
		       pr.from_log ? "event log" : "pairs");
		for (int g = 0; g < KITH_SEG_COUNT; g++)
			printf("  %-12s %" G_GINT64_FORMAT "\n",
			       kith_segment_name(g), pr.segment_count[g]);
		printf("seconds %.2f\n", secs);
	}
	kith_profiles_clear(&pr);
	return 0;
}
