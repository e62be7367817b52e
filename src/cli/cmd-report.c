/* kith report STORE [--profiles P] [--communities C] [--influence I]
 *             [--prefs R] [--emb E] -o REPORT [--min-group N] [--title T]:
 * options → one library call (kith_report_make()) → the file names.
 * kith run's [report] stage sets the same options from its keys. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>

#include "cli.h"
#include "kith/report.h"

struct report_opts {
	char *out, *profiles, *communities, *influence, *prefs, *emb, *title;
	gint64 min_group;
	int top, max_points;
};

#define RO(f) offsetof(struct report_opts, f)
static const struct kith_cli_option report_options[] = {
	{ "output", 'o', G_OPTION_ARG_FILENAME, RO(out),
	  "report folder to write (replaced atomically)", "REPORT", 0 },
	{ "profiles", 0, G_OPTION_ARG_FILENAME, RO(profiles),
	  "folder from kith profile (RFM segments)", "PROFILES", 0 },
	{ "communities", 0, G_OPTION_ARG_FILENAME, RO(communities),
	  "folder from kith communities", "COMM", 0 },
	{ "influence", 0, G_OPTION_ARG_FILENAME, RO(influence),
	  "folder from kith influence", "INFL", 0 },
	{ "prefs", 0, G_OPTION_ARG_FILENAME, RO(prefs),
	  "folder from kith propagate", "PREFS", 0 },
	{ "emb", 0, G_OPTION_ARG_FILENAME, RO(emb),
	  "folder from kith embed (projection, training curve)", "EMB", 0 },
	{ "min-group", 0, G_OPTION_ARG_INT64, RO(min_group),
	  "suppress communities and segments smaller than N users "
	  "(default 10)", "N", 0 },
	{ "title", 0, G_OPTION_ARG_STRING, RO(title),
	  "page title (default: kith report: STORE)", "T", 0 },
	{ "top", 0, G_OPTION_ARG_INT, RO(top),
	  "rows of the influencer table (default 20)", "N", 0 },
	{ "max-points", 0, G_OPTION_ARG_INT, RO(max_points),
	  "users drawn in the projection (default 3000)", "N", 0 },
};

static void
report_init(void *p)
{
	struct report_opts *o = p;
	struct kith_report_options d;

	kith_report_options_init(&d);
	*o = (struct report_opts){ .min_group = d.min_group, .top = d.top,
	                           .max_points = d.max_points };
}

static void
report_clear(void *p)
{
	struct report_opts *o = p;
	char *own[] = { o->out, o->profiles, o->communities, o->influence,
	                o->prefs, o->emb, o->title };

	for (size_t i = 0; i < G_N_ELEMENTS(own); i++)
		g_free(own[i]);
	report_init(o);
}

static int
report_check(void *p, int argc, char **argv)
{
	struct report_opts *o = p;

	if (argc != 2)
		return kith_cli_usage("report", argc < 2 ? "missing STORE"
		                      : "expected one STORE argument");
	if (o->out == NULL)
		return kith_cli_usage("report", "missing -o REPORT");
	if (o->min_group < 1)
		return kith_cli_usage("report", "--min-group must be at least 1");
	if (o->top < 1 || o->top > 1000)
		return kith_cli_usage("report", "--top must be in 1..1000");
	if (o->max_points < 0 || o->max_points > 100000)
		return kith_cli_usage("report", "--max-points must be in "
		                      "0..100000");
	return 0;
}

static int
report_exec(void *p, const char *store, struct kith_cli *cli)
{
	struct report_opts *o = p;
	struct kith_report_options r;
	GError *err = NULL;

	kith_report_options_init(&r);
	r.profiles = o->profiles;
	r.communities = o->communities;
	r.influence = o->influence;
	r.prefs = o->prefs;
	r.emb = o->emb;
	r.title = o->title;
	r.min_group = o->min_group;
	r.top = o->top;
	r.max_points = o->max_points;
	r.seed = (uint64_t)cli->seed;
	if (!kith_report_make(o->out, store, &r, &err))
		return kith_cli_fail("report", err);
	kith_cli_info(cli, "report", "wrote '%s/report.html'", o->out);
	printf("%s/report.html\n%s/report.md\n%s/report.json\n", o->out,
	       o->out, o->out);
	return 0;
}

const struct kith_cli_stage kith_cli_stage_report = {
	"report", "STORE -o REPORT", "write an HTML, Markdown and JSON report",
	"Writes REPORT/report.html (self-contained), report.md and "
	"report.json.\nSections whose folder is not given are omitted "
	"with a note.",
	report_options, G_N_ELEMENTS(report_options),
	sizeof(struct report_opts), report_init, report_clear, report_check,
	report_exec,
	NULL, 0, 0, FALSE
};

int
cmd_report(int argc, char **argv, struct kith_cli *cli)
{
	return kith_cli_stage_main(&kith_cli_stage_report, argc, argv, cli);
}
