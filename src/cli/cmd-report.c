/* kith report STORE [--profiles P] [--communities C] [--influence I]
 *             [--prefs R] [--emb E] -o REPORT [--min-group N] [--title T] */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "kith/report.h"
#include "kith/store.h"

int
cmd_report(int argc, char **argv, struct kith_cli *cli)
{
	struct kith_report_options o;
	g_autofree char *out = NULL, *profiles = NULL, *communities = NULL,
	                *influence = NULL, *prefs = NULL, *emb = NULL,
	                *title = NULL;
	gint64 min_group = 10;
	int top = 20, max_points = 3000;
	GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
		  "report folder to write (replaced atomically)", "REPORT" },
		{ "profiles", 0, 0, G_OPTION_ARG_FILENAME, &profiles,
		  "folder from kith profile (RFM segments)", "PROFILES" },
		{ "communities", 0, 0, G_OPTION_ARG_FILENAME, &communities,
		  "folder from kith communities", "COMM" },
		{ "influence", 0, 0, G_OPTION_ARG_FILENAME, &influence,
		  "folder from kith influence", "INFL" },
		{ "prefs", 0, 0, G_OPTION_ARG_FILENAME, &prefs,
		  "folder from kith propagate", "PREFS" },
		{ "emb", 0, 0, G_OPTION_ARG_FILENAME, &emb,
		  "folder from kith embed (projection, training curve)", "EMB" },
		{ "min-group", 0, 0, G_OPTION_ARG_INT64, &min_group,
		  "suppress communities and segments smaller than N users "
		  "(default 10)", "N" },
		{ "title", 0, 0, G_OPTION_ARG_STRING, &title,
		  "page title (default: kith report: STORE)", "T" },
		{ "top", 0, 0, G_OPTION_ARG_INT, &top,
		  "rows of the influencer table (default 20)", "N" },
		{ "max-points", 0, 0, G_OPTION_ARG_INT, &max_points,
		  "users drawn in the projection (default 3000)", "N" },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = kith_cli_context("report",
	        "STORE -o REPORT", "write an HTML, Markdown and JSON report",
	        "Writes REPORT/report.html (self-contained), report.md and "
	        "report.json.\nSections whose folder is not given are omitted "
	        "with a note.", entries, cli);
	g_autoptr(kith_store) s = NULL;
	GError *err = NULL;
	int rc;

	if ((rc = kith_cli_parse(ctx, &argc, &argv, cli)) != 0)
		return rc;
	if (argc != 2)
		return kith_cli_usage("report", argc < 2 ? "missing STORE"
		                      : "expected one STORE argument");
	if (out == NULL)
		return kith_cli_usage("report", "missing -o REPORT");
	if (min_group < 1)
		return kith_cli_usage("report", "--min-group must be at least 1");
	if (top < 1 || top > 1000)
		return kith_cli_usage("report", "--top must be in 1..1000");
	if (max_points < 0 || max_points > 100000)
		return kith_cli_usage("report", "--max-points must be in "
		                      "0..100000");
	s = kith_store_open(argv[1], &err);
	if (s == NULL)
		return kith_cli_fail("report", err);
	kith_report_options_init(&o);
	o.profiles = profiles;
	o.communities = communities;
	o.influence = influence;
	o.prefs = prefs;
	o.emb = emb;
	o.title = title;
	o.min_group = min_group;
	o.top = top;
	o.max_points = max_points;
	o.seed = (uint64_t)cli->seed;
	if (!kith_report_write(out, s, &o, &err))
		return kith_cli_fail("report", err);
	kith_cli_info(cli, "report", "wrote '%s/report.html'", out);
	printf("%s/report.html\n%s/report.md\n%s/report.json\n", out, out, out);
	return 0;
}
