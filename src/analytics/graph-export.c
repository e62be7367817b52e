/*
 * Graph export: the user graph an analysis ran on, written for Gephi,
 * networkx and igraph, with the analyses' results as node attributes.
 *
 * The graph is one of the builders of graphs.c with the defaults of kith
 * communities and kith influence (social, co-interaction, kNN), or the
 * user–item graph of the store's interactions (users "u:ID", items
 * "i:ID", weight = merged interaction weight).  When a communities or
 * influence folder is given, the graph, neighbour count, item cap and
 * embedding its manifest records are the defaults, so that the file holds
 * the graph the folder was computed on.  Node attributes: community
 * (membership.npy), pagerank (influence.npy) and segment (profiles.tsv);
 * every folder is checked against the store first (checksums, then its
 * users.tsv against the store's ids, or for older folders its user count
 * and the store's creation time).
 *
 * Formats, written front to back through one buffered stream (a file
 * renamed into place at the end, or standard output), so memory is the
 * graph's CSR plus O(users) names, never the text:
 *  - graphml: keys community (long), pagerank (double), segment and type
 *    (string), weight (double, edges); node ids are the original ids;
 *  - gexf (1.2draft): the same attributes, node label = original id,
 *    edge weight as GEXF's weight attribute;
 *  - edgelist: TSV "source\ttarget\tweight" (user-item: "user\titem\t
 *    weight"), ids escaped as in ids files (io.h), no node attributes.
 * In XML, & < > " ' are entities, tab / LF / CR character references,
 * and what XML 1.0 cannot hold (other control characters, invalid UTF-8,
 * U+FFFE, U+FFFF) is written \xNN per byte.
 * An undirected graph writes each edge once (u < v); a directed social
 * graph one edge per link.  Cost O(n + nnz) after the graph is built.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kith/analytics.h"
#include "kith/community.h"
#include "kith/core.h"
#include "kith/csv.h"
#include "kith/emb.h"
#include "kith/io.h"
#include "kith/profile.h"
#include "kith/store.h"
#include "analytics/analytics-internal.h"

#define NO_SEGMENT 255

gboolean
kith_graph_format_parse(enum kith_graph_format *out, const char *name)
{
	static const char *const names[] = { "graphml", "gexf", "edgelist" };
	for (int i = 0; i < (int)G_N_ELEMENTS(names); i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (enum kith_graph_format)i;
			return TRUE;
		}
	return FALSE;
}

void
kith_graph_export_opts_init(struct kith_graph_export_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->item_cap = -1;
}

/* ---- what the folders record ---------------------------------------- */

/* An analysis folder: its manifest and the graph options it records. */
struct folder {
	const char *dir;
	JsonNode *manifest;
	const char *graph;          /* NULL: not recorded */
	int64_t neighbours;         /* 0: not recorded */
	int64_t item_cap;           /* -1: not recorded */
	const char *emb;
};

static void
folder_clear(struct folder *f)
{
	if (f->manifest)
		json_node_unref(f->manifest);
	memset(f, 0, sizeof(*f));
}

/* Reads DIR's manifest (format `format`), verifies its checksums and
 * checks that its rows are the store's users. */
static gboolean
folder_open(struct folder *f, const char *dir, const char *format,
            const char *what, struct kith_store *s, GError **error)
{
	g_autofree char *mp = g_build_filename(dir, "manifest.json", NULL);
	g_autofree char *up = g_build_filename(dir, "users.tsv", NULL);
	JsonObject *m;
	int64_t users;
	const char *created, *store_created;

	memset(f, 0, sizeof(*f));
	f->dir = dir;
	f->item_cap = -1;
	if (!(f->manifest = kith_json_read(mp, error)))
		return FALSE;
	m = json_node_get_object(f->manifest);
	if (g_strcmp0(kith_json_str(m, "format"), format) != 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "'%s' is not %s "
		            "folder", dir, what);
		return FALSE;
	}
	if (!kith_manifest_verify(dir, error)) {
		g_prefix_error(error, "'%s': ", dir);
		return FALSE;
	}
	users = kith_json_int_or(m, "users", -1);
	if (users >= 0 && users != s->n_users) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "'%s' has %"
		            G_GINT64_FORMAT " users, the store %" G_GINT64_FORMAT
		            ": not a folder of this store", dir, users,
		            s->n_users);
		return FALSE;
	}
	if (g_file_test(up, G_FILE_TEST_EXISTS)) {
		if (!kith_ids_check(up, s->user_ids, s->n_users, error)) {
			g_prefix_error(error, "not a folder of this store: ");
			return FALSE;
		}
	} else {
		/* a folder from before ids files: the store's creation time */
		created = s->manifest ? kith_json_str(json_node_get_object(
		                                s->manifest), "created") : NULL;
		store_created = kith_json_str(m, "store_created");
		if (created && store_created &&
		    strcmp(created, store_created) != 0) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "'%s' was "
			            "made from a store created %s, this one was "
			            "created %s", dir, store_created, created);
			return FALSE;
		}
	}
	f->graph = kith_json_str(m, "graph");
	f->neighbours = kith_json_int_or(m, "neighbours", 0);
	f->item_cap = kith_json_int_or(m, "item_cap", -1);
	f->emb = kith_json_str(m, "emb");
	return TRUE;
}

/* segment[u] from PROFILES/profiles.tsv (NO_SEGMENT for users it does not
 * list), matched to the store by the user column. */
static gboolean
read_segments(uint8_t *segment, struct kith_store *s, const char *dir,
              GError **error)
{
	g_autofree char *path = g_build_filename(dir, "profiles.tsv", NULL);
	struct kith_csv_options o = KITH_CSV_OPTIONS_INIT;
	g_autoptr(kith_csv) r = NULL;
	const char *const *h;
	struct kith_csv_record rec;
	int cu = -1, cs = -1, rc;

	o.sep = '\t';
	o.header = KITH_CSV_HEADER_YES;
	o.no_quotes = TRUE;
	if (!(r = kith_csv_open(path, &o, error)))
		return FALSE;
	h = kith_csv_header_names(r);
	for (int i = 0; h && h[i]; i++) {
		if (strcmp(h[i], "user") == 0)
			cu = i;
		else if (strcmp(h[i], "segment") == 0)
			cs = i;
	}
	if (cu < 0 || cs < 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "'%s' has no user "
		            "and segment columns", path);
		return FALSE;
	}
	memset(segment, NO_SEGMENT, (size_t)s->n_users);
	while ((rc = kith_csv_next(r, &rec, error)) > 0) {
		int64_t u;
		if (rec.reason != KITH_CSV_OK ||
		    (u = kith_store_user_index(s, rec.field[cu])) < 0)
			continue;
		for (int g = 0; g < KITH_SEG_COUNT; g++)
			if (strcmp(rec.field[cs], kith_segment_name(g)) == 0)
				segment[u] = (uint8_t)g;
	}
	return rc == 0;
}

/* ---- the graph -------------------------------------------------------- */

/* The choices once options and folders are merged. */
struct spec {
	gboolean bipartite;
	enum kith_ugraph graph;
	int neighbours;
	int item_cap;
	const char *emb;
};

static gboolean
resolve(struct spec *sp, const struct kith_graph_export_opts *o,
        const struct folder *comm, const struct folder *infl,
        const struct kith_store *s, GError **error)
{
	const char *name = o->graph;
	const struct folder *from = NULL;

	memset(sp, 0, sizeof(*sp));
	sp->item_cap = -1;
	if (!name) {
		if (comm->graph && infl->graph &&
		    strcmp(comm->graph, infl->graph) != 0) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE, "'%s' was "
			            "computed on the %s graph and '%s' on the %s "
			            "graph: choose one with --graph", comm->dir,
			            comm->graph, infl->dir, infl->graph);
			return FALSE;
		}
		name = comm->graph ? comm->graph : infl->graph;
		if (!name)
			name = s->uu.nnz > 0 ? "social" : "cointeraction";
	}
	if (strcmp(name, "user-item") == 0) {
		sp->bipartite = TRUE;
		return TRUE;
	}
	if (!kith_ugraph_parse(&sp->graph, name)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE, "unknown graph "
		            "'%s' (social, cointeraction, knn, user-item)", name);
		return FALSE;
	}
	/* the folder computed on this graph gives the defaults */
	if (comm->graph && strcmp(comm->graph, name) == 0)
		from = comm;
	else if (infl->graph && strcmp(infl->graph, name) == 0)
		from = infl;
	sp->neighbours = o->neighbours;
	sp->item_cap = o->item_cap;
	sp->emb = o->emb_path;
	if (from && sp->neighbours <= 0 && from->neighbours > 0)
		sp->neighbours = (int)MIN(from->neighbours, G_MAXINT);
	if (from && sp->item_cap < 0 && from->item_cap >= 0)
		sp->item_cap = (int)MIN(from->item_cap, G_MAXINT);
	if (from && !sp->emb)
		sp->emb = from->emb;
	if (sp->graph == KITH_UGRAPH_SOCIAL && s->uu.nnz == 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "the store has no "
		            "social links; use --graph cointeraction, knn or "
		            "user-item");
		return FALSE;
	}
	if (sp->graph == KITH_UGRAPH_KNN && !sp->emb) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE, "the knn graph "
		            "needs --emb EMB");
		return FALSE;
	}
	if (sp->neighbours <= 0)
		sp->neighbours = sp->graph == KITH_UGRAPH_KNN
		        ? KITH_KNN_NEIGHBOURS : KITH_COINTERACTION_NEIGHBOURS;
	if (sp->item_cap < 0)
		sp->item_cap = kith_cointeraction_default_cap(s);
	if (sp->graph == KITH_UGRAPH_SOCIAL)
		sp->neighbours = 0;
	if (sp->graph != KITH_UGRAPH_COINTERACTION)
		sp->item_cap = -1;
	return TRUE;
}

/* Builds the user graph of sp into g (for a directed social graph a
 * borrowed view of the store's links). */
static gboolean
build(struct kith_csr *g, gboolean *directed, const struct spec *sp,
      const struct kith_store *s, GError **error)
{
	*directed = FALSE;
	switch (sp->graph) {
	case KITH_UGRAPH_SOCIAL:
		if (s->directed_social) {
			*g = s->uu;
			g->owned = FALSE;
			*directed = TRUE;
			return TRUE;
		}
		return kith_social_undirected(g, s, error);
	case KITH_UGRAPH_COINTERACTION:
		return kith_cointeraction_graph(g, s, sp->neighbours,
		                                sp->item_cap, error);
	case KITH_UGRAPH_KNN: {
		g_autoptr(kith_emb) e = kith_emb_open(sp->emb, error);
		if (!e)
			return FALSE;
		if (e->n_users != s->n_users) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "'%s' has %"
			            G_GINT64_FORMAT " users, the store %"
			            G_GINT64_FORMAT, sp->emb, e->n_users,
			            s->n_users);
			return FALSE;
		}
		return kith_knn_graph(g, e->users, e->n_users, e->dim,
		                      sp->neighbours, 0.0, TRUE, error);
	}
	}
	return FALSE;
}

/* ---- writing ---------------------------------------------------------- */

/* "cointeraction graph (k 30, item cap 1000) of the store PATH" */
static char *
describe(const struct spec *sp, const char *name, gboolean directed,
         const char *store)
{
	GString *d = g_string_new(name);

	g_string_append(d, directed ? " graph (directed" : " graph (undirected");
	if (sp->neighbours > 0)
		g_string_append_printf(d, ", k %d", sp->neighbours);
	if (sp->item_cap >= 0)
		g_string_append_printf(d, ", item cap %d", sp->item_cap);
	if (sp->graph == KITH_UGRAPH_KNN && !sp->bipartite)
		g_string_append_printf(d, ", embeddings %s", sp->emb);
	g_string_append_printf(d, ") of the store %s", store);
	return g_string_free(d, FALSE);
}

struct writer {
	FILE *f;
	enum kith_graph_format fmt;
	gboolean bipartite;
	const char **uname;         /* escaped names (borrowed or chunk) */
	const char **iname;
	GStringChunk *chunk;
	const int32_t *community;   /* attributes, NULL when absent */
	const double *pagerank;
	int64_t pr_stride;
	const uint8_t *segment;
	int64_t edges;
};

/* Appends s to out as XML attribute or element text (see the banner). */
static void
xml_escape(GString *out, const char *s)
{
	const char *p = s;

	while (*p) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x80) {
			switch (c) {
			case '&': g_string_append(out, "&amp;"); break;
			case '<': g_string_append(out, "&lt;"); break;
			case '>': g_string_append(out, "&gt;"); break;
			case '"': g_string_append(out, "&quot;"); break;
			case '\'': g_string_append(out, "&apos;"); break;
			case '\t': g_string_append(out, "&#9;"); break;
			case '\n': g_string_append(out, "&#10;"); break;
			case '\r': g_string_append(out, "&#13;"); break;
			default:
				if (c < 0x20)
					g_string_append_printf(out, "\\x%02X", c);
				else
					g_string_append_c(out, (char)c);
			}
			p++;
			continue;
		}
		gunichar ch = g_utf8_get_char_validated(p, -1);
		if (ch == (gunichar)-1 || ch == (gunichar)-2 || ch == 0xFFFE ||
		    ch == 0xFFFF) {
			g_string_append_printf(out, "\\x%02X", c);
			p++;
		} else {
			const char *q = g_utf8_next_char(p);
			g_string_append_len(out, p, q - p);
			p = q;
		}
	}
}

/* True when s is written as it is (no byte escaped) in format fmt. */
static gboolean
plain_name(const char *s, gboolean xml)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == '\\' || (xml && (c >= 0x80 || c == '&' ||
		    c == '<' || c == '>' || c == '"' || c == '\'')))
			return FALSE;
	}
	return TRUE;
}

/* names[i] = ids[i] escaped for the format (copies only when needed). */
static const char **
escaped_names(struct writer *w, char *const *ids, int64_t n, GError **error)
{
	const char **names = kith_alloc_n((size_t)n + 1, sizeof(char *), error);
	g_autoptr(GString) buf = g_string_new(NULL);
	gboolean xml = w->fmt != KITH_GRAPH_EDGELIST;

	if (!names)
		return NULL;
	for (int64_t i = 0; i < n; i++) {
		const char *id = ids[i] ? ids[i] : "";
		if (plain_name(id, xml)) {
			names[i] = id;
			continue;
		}
		g_string_truncate(buf, 0);
		if (xml)
			xml_escape(buf, id);
		else
			kith_ids_escape(buf, id);
		names[i] = g_string_chunk_insert_len(w->chunk, buf->str,
		                                     (gssize)buf->len);
	}
	return names;
}

static void
put_comment_text(FILE *f, const char *s)
{
	/* "--" may not appear inside an XML comment */
	for (; *s; s++) {
		fputc(*s, f);
		if (*s == '-' && s[1] == '-')
			fputc(' ', f);
	}
}

/* Node attributes: GraphML key / GEXF attribute id a, with its type in
 * both formats. */
enum { ATTR_TYPE, ATTR_COMMUNITY, ATTR_PAGERANK, ATTR_SEGMENT, N_ATTRS };
static const struct {
	const char *name;
	const char *type;
} attrs[N_ATTRS] = {
	{ "type", "string" }, { "community", "long" },
	{ "pagerank", "double" }, { "segment", "string" },
};

static void
write_head(struct writer *w, gboolean directed, const char *desc)
{
	FILE *f = w->f;
	const char *ed = directed ? "directed" : "undirected";
	const gboolean has[N_ATTRS] = {
		w->bipartite, w->community != NULL, w->pagerank != NULL,
		w->segment != NULL,
	};

	switch (w->fmt) {
	case KITH_GRAPH_GRAPHML:
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- ", f);
		put_comment_text(f, desc);
		fputs(" -->\n<graphml xmlns=\"http://graphml.graphdrawing.org/"
		      "xmlns\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-"
		      "instance\" xsi:schemaLocation=\"http://graphml."
		      "graphdrawing.org/xmlns http://graphml.graphdrawing.org/"
		      "xmlns/1.0/graphml.xsd\">\n", f);
		for (int a = 0; a < N_ATTRS; a++)
			if (has[a])
				fprintf(f, "  <key id=\"%s\" for=\"node\" attr.name="
				        "\"%s\" attr.type=\"%s\"/>\n", attrs[a].name,
				        attrs[a].name, attrs[a].type);
		fprintf(f, "  <key id=\"weight\" for=\"edge\" attr.name=\"weight\" "
		        "attr.type=\"double\"/>\n  <graph id=\"G\" "
		        "edgedefault=\"%s\">\n", ed);
		break;
	case KITH_GRAPH_GEXF:
		fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gexf "
		        "xmlns=\"http://www.gexf.net/1.2draft\" version=\"1.2\">\n"
		        "  <meta>\n    <creator>kith %s</creator>\n"
		        "    <description>", kith_version());
		{
			g_autoptr(GString) d = g_string_new(NULL);
			xml_escape(d, desc);
			fputs(d->str, f);
		}
		fprintf(f, "</description>\n  </meta>\n  <graph mode=\"static\" "
		        "defaultedgetype=\"%s\">\n    <attributes class=\"node\">\n",
		        ed);
		for (int a = 0; a < N_ATTRS; a++)
			if (has[a])
				fprintf(f, "      <attribute id=\"%d\" title=\"%s\" "
				        "type=\"%s\"/>\n", a, attrs[a].name,
				        attrs[a].type);
		fputs("    </attributes>\n    <nodes>\n", f);
		break;
	case KITH_GRAPH_EDGELIST:
		fputs(w->bipartite ? "user\titem\tweight\n"
		                   : "source\ttarget\tweight\n", f);
		break;
	}
}

/* One node attribute: GraphML <data>, GEXF <attvalue>. */
static void
put_attr(struct writer *w, int a, const char *val)
{
	if (w->fmt == KITH_GRAPH_GRAPHML)
		fprintf(w->f, "<data key=\"%s\">%s</data>", attrs[a].name, val);
	else
		fprintf(w->f, "<attvalue for=\"%d\" value=\"%s\"/>", a, val);
}

static void
write_node(struct writer *w, gboolean user, int64_t i)
{
	FILE *f = w->f;
	const char *name = user ? w->uname[i] : w->iname[i];
	const char *pfx = !w->bipartite ? "" : user ? "u:" : "i:";
	gboolean attrs = w->bipartite || (user && (w->community ||
	                 w->pagerank || w->segment));
	char num[40];

	if (w->fmt == KITH_GRAPH_GRAPHML) {
		fprintf(f, "    <node id=\"%s%s\"%s", pfx, name, attrs ? ">" : "/>\n");
	} else {
		fprintf(f, "      <node id=\"%s%s\" label=\"%s\"%s", pfx, name,
		        name, attrs ? ">" : "/>\n");
		if (attrs)
			fputs("<attvalues>", f);
	}
	if (!attrs)
		return;
	if (w->bipartite)
		put_attr(w, ATTR_TYPE, user ? "user" : "item");
	if (user && w->community) {
		g_snprintf(num, sizeof(num), "%d", (int)w->community[i]);
		put_attr(w, ATTR_COMMUNITY, num);
	}
	if (user && w->pagerank && isfinite(w->pagerank[i * w->pr_stride])) {
		g_snprintf(num, sizeof(num), "%.17g",
		           w->pagerank[i * w->pr_stride]);
		put_attr(w, ATTR_PAGERANK, num);
	}
	if (user && w->segment && w->segment[i] != NO_SEGMENT)
		put_attr(w, ATTR_SEGMENT, kith_segment_name(w->segment[i]));
	fputs(w->fmt == KITH_GRAPH_GRAPHML ? "</node>\n"
	                                   : "</attvalues></node>\n", f);
}

/* Writes the decimal digits of v (>= 0) into buf (room for 21); returns
 * the length. */
static int
put_u64(char *buf, uint64_t v)
{
	char tmp[21];
	int n = 0, len;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	len = n;
	while (n > 0)
		*buf++ = tmp[--n];
	return len;
}

/* weight as %.9g would print it (exact for float32); integers, the
 * common case (link counts), without printf. */
static void
put_weight(FILE *f, float weight)
{
	char buf[40];
	int n;

	if (weight >= 0 && weight < 1e7f && weight == (float)(int32_t)weight)
		n = put_u64(buf, (uint64_t)weight);
	else
		n = g_snprintf(buf, sizeof(buf), "%.9g", (double)weight);
	fwrite_unlocked(buf, 1, (size_t)n, f);
}

/* One edge; written piece by piece (no printf parsing per edge). */
static void
write_edge(struct writer *w, int64_t a, int64_t b, float weight)
{
	FILE *f = w->f;
	const char *na = w->uname[a];
	const char *nb = w->bipartite ? w->iname[b] : w->uname[b];
	const char *pa = w->bipartite ? "u:" : "", *pb = w->bipartite ? "i:" : "";
	char id[24];

	switch (w->fmt) {
	case KITH_GRAPH_GRAPHML:
		fputs_unlocked("    <edge source=\"", f);
		break;
	case KITH_GRAPH_GEXF:
		fputs_unlocked("      <edge id=\"", f);
		fwrite_unlocked(id, 1, (size_t)put_u64(id, (uint64_t)w->edges),
		                f);
		fputs_unlocked("\" source=\"", f);
		break;
	case KITH_GRAPH_EDGELIST:
		fputs_unlocked(na, f);
		fputc_unlocked('\t', f);
		fputs_unlocked(nb, f);
		fputc_unlocked('\t', f);
		put_weight(f, weight);
		fputc_unlocked('\n', f);
		w->edges++;
		return;
	}
	fputs_unlocked(pa, f);
	fputs_unlocked(na, f);
	fputs_unlocked("\" target=\"", f);
	fputs_unlocked(pb, f);
	fputs_unlocked(nb, f);
	if (w->fmt == KITH_GRAPH_GRAPHML) {
		fputs_unlocked("\"><data key=\"weight\">", f);
		put_weight(f, weight);
		fputs_unlocked("</data></edge>\n", f);
	} else {
		fputs_unlocked("\" weight=\"", f);
		put_weight(f, weight);
		fputs_unlocked("\"/>\n", f);
	}
	w->edges++;
}

static void
write_edges(struct writer *w, const struct kith_csr *g, gboolean directed)
{
	if (w->fmt == KITH_GRAPH_GEXF)
		fputs("    </nodes>\n    <edges>\n", w->f);
	for (int64_t u = 0; u < g->n_rows; u++)
		for (int64_t e = g->indptr[u]; e < g->indptr[u + 1]; e++) {
			int32_t v = g->indices[e];
			/* the builders' undirected graphs hold both directions
			 * of every edge: write it from its lower end */
			if (!w->bipartite && (v == u || (!directed && v < u)))
				continue;
			write_edge(w, u, v, g->values ? g->values[e] : 1.0f);
		}
	switch (w->fmt) {
	case KITH_GRAPH_GRAPHML:
		fputs("  </graph>\n</graphml>\n", w->f);
		break;
	case KITH_GRAPH_GEXF:
		fputs("    </edges>\n  </graph>\n</gexf>\n", w->f);
		break;
	case KITH_GRAPH_EDGELIST:
		break;
	}
}

gboolean
kith_graph_export(const char *path, struct kith_store *s,
                  const struct kith_graph_export_opts *o,
                  struct kith_graph_export_info *info, GError **error)
{
	struct folder comm = { 0 }, infl = { 0 }, prof = { 0 };
	struct kith_npy memb = { 0 }, ia = { 0 };
	struct kith_csr g = { 0 };
	struct writer w = { 0 };
	struct kith_i_atomic af = { 0 };
	struct spec sp;
	g_autofree uint8_t *segment = NULL;
	g_autofree char *desc = NULL, *buf = NULL;
	gboolean directed = FALSE, ok = FALSE, opened = FALSE;
	double t0 = kith_now();

	memset(info, 0, sizeof(*info));
	comm.item_cap = infl.item_cap = -1;
	if ((o->communities && !folder_open(&comm, o->communities,
	                                    "kith-communities",
	                                    "a communities", s, error)) ||
	    (o->influence && !folder_open(&infl, o->influence,
	                                  "kith-influence", "an influence", s,
	                                  error)) ||
	    (o->profiles && !folder_open(&prof, o->profiles, "kith-profiles",
	                                 "a profiles", s, error)) ||
	    !resolve(&sp, o, &comm, &infl, s, error))
		goto out;
	if (o->communities) {
		if (!kith_npy_map_rows(&memb, o->communities, "membership.npy",
		                       KITH_DT_I32, s->n_users, 0, error))
			goto out;
		w.community = memb.data;
	}
	if (o->influence) {
		JsonArray *cols = kith_json_arr(json_node_get_object(
		                                        infl.manifest), "columns");
		int64_t c = 0, nc = cols ? json_array_get_length(cols) : 0;
		for (guint j = 0; j < nc; j++)
			if (g_strcmp0(json_array_get_string_element(cols, j),
			              "pagerank") == 0)
				c = j;
		if (!kith_npy_map_rows(&ia, o->influence, "influence.npy",
		                       KITH_DT_F64, s->n_users, MAX(nc, 1), error))
			goto out;
		w.pagerank = (const double *)ia.data + c;
		w.pr_stride = ia.shape[1];
	}
	if (o->profiles) {
		if (!(segment = kith_alloc_n((size_t)s->n_users + 1, 1, error)) ||
		    !read_segments(segment, s, o->profiles, error))
			goto out;
		w.segment = segment;
	}
	if (!sp.bipartite && !build(&g, &directed, &sp, s, error))
		goto out;
	info->seconds_graph = kith_now() - t0;
	t0 = kith_now();

	info->graph = sp.bipartite ? "user-item" : kith_ugraph_name(sp.graph);
	info->directed = directed;
	info->neighbours = sp.neighbours;
	info->item_cap = sp.item_cap;
	desc = describe(&sp, info->graph, directed,
	                o->store_path ? o->store_path : s->path);
	w.fmt = o->format;
	w.bipartite = sp.bipartite;
	w.chunk = g_string_chunk_new(1 << 16);
	if (!(w.uname = escaped_names(&w, s->user_ids, s->n_users, error)) ||
	    (sp.bipartite && !(w.iname = escaped_names(&w, s->item_ids,
	                                               s->n_items, error))))
		goto out;
	if (!kith_i_atomic_open(&af, path, error))
		goto out;
	opened = TRUE;
	w.f = af.fp;
	if (w.f != stdout) {
		/* freed after the stream is closed (commit or abort) */
		buf = g_malloc(1 << 20);
		setvbuf(w.f, buf, _IOFBF, 1 << 20);
	}
	write_head(&w, directed, desc);
	if (w.fmt != KITH_GRAPH_EDGELIST) {
		for (int64_t u = 0; u < s->n_users; u++)
			write_node(&w, TRUE, u);
		for (int64_t i = 0; sp.bipartite && i < s->n_items; i++)
			write_node(&w, FALSE, i);
	}
	write_edges(&w, sp.bipartite ? &s->ui : &g, directed);
	info->nodes = s->n_users + (sp.bipartite ? s->n_items : 0);
	info->edges = w.edges;
	opened = FALSE;
	if (!kith_i_atomic_commit(&af, error))
		goto out;
	info->seconds_write = kith_now() - t0;
	ok = TRUE;
out:
	if (opened)
		kith_i_atomic_abort(&af);
	kith_csr_clear(&g);
	kith_npy_unmap(&memb);
	kith_npy_unmap(&ia);
	folder_clear(&comm);
	folder_clear(&infl);
	folder_clear(&prof);
	g_free(w.uname);
	g_free(w.iname);
	if (w.chunk)
		g_string_chunk_free(w.chunk);
	return ok;
}
