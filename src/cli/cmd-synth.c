/* kith synth -o DIR [options]: a synthetic shop with ground truth */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "kith/synth.h"

int
cmd_synth(int argc, char **argv, struct kith_cli *cli)
{
	struct kith_synth_params p;
	struct kith_synth_stats st = { 0 };
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(kith_synth) s = NULL;
	g_autofree char *out = NULL, *start = NULL;
	GError *err = NULL;
	gint64 users, items, events;
	int categories, communities, days, rc;
	double mixing, epu, degree, t0;
	gboolean json = FALSE;

	kith_synth_params_init(&p);
	users = p.users;
	items = p.items;
	categories = p.categories;
	communities = p.communities;
	mixing = p.mixing;
	days = p.days;
	events = 0;
	epu = p.events_per_user;
	degree = p.social_degree;
	{
		GOptionEntry entries[] = {
			{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
			  "output folder (created; files replaced)", "DIR" },
			{ "users", 0, 0, G_OPTION_ARG_INT64, &users,
			  "number of users (default 1000)", "N" },
			{ "items", 0, 0, G_OPTION_ARG_INT64, &items,
			  "number of items (default 500)", "M" },
			{ "categories", 0, 0, G_OPTION_ARG_INT, &categories,
			  "number of categories (default 12)", "C" },
			{ "communities", 0, 0, G_OPTION_ARG_INT, &communities,
			  "number of planted communities (default 8)", "K" },
			{ "mixing", 0, 0, G_OPTION_ARG_DOUBLE, &mixing,
			  "fraction of social pairs across communities "
			  "(default 0.2)", "MU" },
			{ "days", 0, 0, G_OPTION_ARG_INT, &days,
			  "time span in days (default 90)", "D" },
			{ "events", 0, 0, G_OPTION_ARG_INT64, &events,
			  "exact number of events (default users x "
			  "events-per-user)", "E" },
			{ "events-per-user", 0, 0, G_OPTION_ARG_DOUBLE, &epu,
			  "mean events per user (default 20)", "X" },
			{ "social-degree", 0, 0, G_OPTION_ARG_DOUBLE, &degree,
			  "mean social degree (default 20, 0: no pairs)", "X" },
			{ "start", 0, 0, G_OPTION_ARG_STRING, &start,
			  "first day, YYYY-MM-DD or unix seconds "
			  "(default 2024-01-01)", "DATE" },
			{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
			  "print the summary as JSON", NULL },
			{ NULL }
		};
		ctx = kith_cli_context("synth", "-o DIR", "generate a synthetic "
		                       "shop with planted communities",
		                       "Writes events.csv, social.csv, users.csv, "
		                       "items.csv, truth/*.tsv and synth.json "
		                       "into DIR.", entries, cli);
		rc = kith_cli_parse(ctx, &argc, &argv, cli);
		if (rc != 0)
			return rc;
	}
	if (argc > 1)
		return kith_cli_usage("synth", "unexpected argument '%s'",
		                      argv[1]);
	if (out == NULL)
		return kith_cli_usage("synth", "missing -o DIR");
	p.users = users;
	p.items = items;
	p.categories = categories;
	p.communities = communities;
	p.mixing = mixing;
	p.days = days;
	p.events = events;
	p.events_per_user = epu;
	p.social_degree = degree;
	p.seed = (uint64_t)cli->seed;
	if (start != NULL && !kith_synth_parse_start(start, &p.start, &err))
		return kith_cli_fail("synth", err);
	t0 = kith_now();
	s = kith_synth_new(&p, &err);
	if (s == NULL)
		return kith_cli_fail("synth", err);
	kith_cli_info(cli, "synth", "writing %" G_GINT64_FORMAT " events of %"
	              G_GINT64_FORMAT " users to '%s'",
	              kith_synth_params(s)->events, p.users, out);
	if (!kith_synth_write_dir(s, out, &st, &err))
		return kith_cli_fail("synth", err);
	if (json)
		printf("{\n  \"users\": %" G_GINT64_FORMAT ",\n"
		       "  \"items\": %" G_GINT64_FORMAT ",\n"
		       "  \"categories\": %d,\n  \"communities\": %d,\n"
		       "  \"events\": %" G_GINT64_FORMAT ",\n"
		       "  \"views\": %" G_GINT64_FORMAT ",\n"
		       "  \"carts\": %" G_GINT64_FORMAT ",\n"
		       "  \"purchases\": %" G_GINT64_FORMAT ",\n"
		       "  \"social_pairs\": %" G_GINT64_FORMAT ",\n"
		       "  \"mixing_measured\": %.6f,\n"
		       "  \"bytes\": %" G_GINT64_FORMAT ",\n"
		       "  \"seconds\": %.3f\n}\n",
		       p.users, p.items, p.categories, p.communities, st.events,
		       st.by_type[0], st.by_type[1], st.by_type[2],
		       st.social_pairs,
		       st.social_pairs ? (double)st.social_mixed / st.social_pairs
		                       : 0.0, st.bytes, kith_now() - t0);
	else
		printf("users %" G_GINT64_FORMAT "  items %" G_GINT64_FORMAT
		       "  events %" G_GINT64_FORMAT " (view %" G_GINT64_FORMAT
		       ", cart %" G_GINT64_FORMAT ", purchase %" G_GINT64_FORMAT
		       ")\nsocial_pairs %" G_GINT64_FORMAT "  mixing %.4f  "
		       "bytes %" G_GINT64_FORMAT "  seconds %.2f\n",
		       p.users, p.items, st.events, st.by_type[0], st.by_type[1],
		       st.by_type[2], st.social_pairs,
		       st.social_pairs ? (double)st.social_mixed / st.social_pairs
		                       : 0.0, st.bytes, kith_now() - t0);
	return 0;
}
