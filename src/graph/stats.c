/*
 * Store statistics for `kith info`: degree summaries (exact order
 * statistics by sorting, O(n log n)), connected components of the
 * user–item bipartite graph and of the social graph (igraph, O(n + nnz)),
 * density, time span and bytes on disk.
 */
#include "config.h"

#include <igraph.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kith/core.h"
#include "kith/store.h"

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static gboolean
degree_stats(struct kith_degree_stats *d, const int64_t *indptr, int64_t n,
             GError **error)
{
	g_autofree int64_t *deg = NULL;
	int64_t i, sum = 0;

	memset(d, 0, sizeof(*d));
	if (n == 0 || indptr == NULL)
		return TRUE;
	deg = kith_alloc_n((size_t)n, sizeof(int64_t), error);
	if (deg == NULL)
		return FALSE;
	for (i = 0; i < n; i++) {
		deg[i] = indptr[i + 1] - indptr[i];
		sum += deg[i];
		if (deg[i] == 0)
			d->zero++;
	}
	qsort(deg, (size_t)n, sizeof(int64_t), cmp_i64);
	d->min = deg[0];
	d->max = deg[n - 1];
	d->median = deg[(n - 1) / 2];
	d->p99 = deg[(int64_t)((double)(n - 1) * 0.99)];
	d->mean = (double)sum / (double)n;
	return TRUE;
}

/* Components over nodes that have at least one edge. */
static gboolean
components(int64_t *count, int64_t *largest, int64_t n_nodes,
           const struct kith_csr *a, int64_t col_offset, GError **error)
{
	igraph_vector_int_t edges, membership, csize;
	igraph_integer_t ncomp = 0;
	igraph_t g;
	int64_t i, j, k = 0, isolated = 0;
	g_autofree gboolean *touched = NULL;
	igraph_error_t rc;

	*count = 0;
	*largest = 0;
	if (n_nodes == 0 || a->nnz == 0)
		return TRUE;
	touched = kith_alloc0_n((size_t)n_nodes, sizeof(gboolean), error);
	if (touched == NULL)
		return FALSE;
	if (igraph_vector_int_init(&edges, 2 * a->nnz) != IGRAPH_SUCCESS) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "out of memory building the graph");
		return FALSE;
	}
	for (i = 0; i < a->n_rows; i++)
		for (j = a->indptr[i]; j < a->indptr[i + 1]; j++) {
			int64_t v = a->indices[j] + col_offset;
			VECTOR(edges)[k++] = i;
			VECTOR(edges)[k++] = v;
			touched[i] = TRUE;
			touched[v] = TRUE;
		}
	for (i = 0; i < n_nodes; i++)
		if (!touched[i])
			isolated++;
	rc = igraph_create(&g, &edges, n_nodes, IGRAPH_UNDIRECTED);
	igraph_vector_int_destroy(&edges);
	if (rc != IGRAPH_SUCCESS) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "igraph: %s", igraph_strerror(rc));
		return FALSE;
	}
	igraph_vector_int_init(&membership, 0);
	igraph_vector_int_init(&csize, 0);
	rc = igraph_connected_components(&g, &membership, &csize, &ncomp,
	                                 IGRAPH_WEAK);
	if (rc == IGRAPH_SUCCESS) {
		*count = (int64_t)ncomp - isolated;
		for (i = 0; i < igraph_vector_int_size(&csize); i++)
			if (VECTOR(csize)[i] > *largest)
				*largest = VECTOR(csize)[i];
	}
	igraph_vector_int_destroy(&membership);
	igraph_vector_int_destroy(&csize);
	igraph_destroy(&g);
	if (rc != IGRAPH_SUCCESS) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM, "igraph: %s",
		            igraph_strerror(rc));
		return FALSE;
	}
	return TRUE;
}

static int64_t
dir_bytes(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;
	int64_t total = 0;

	if (d == NULL)
		return 0;
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(path, name, NULL);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			total += st.st_size;
	}
	g_dir_close(d);
	return total;
}

gboolean
kith_store_stats(struct kith_store_stats *out, const struct kith_store *s,
                 GError **error)
{
	int64_t j;

	memset(out, 0, sizeof(*out));
	if (!degree_stats(&out->user_items, s->ui.indptr, s->n_users, error) ||
	    !degree_stats(&out->item_users, s->iu.indptr, s->n_items, error) ||
	    !degree_stats(&out->user_social, s->uu.indptr, s->n_users, error))
		return FALSE;
	if (!components(&out->ui_components, &out->ui_largest,
	                s->n_users + s->n_items, &s->ui, s->n_users, error) ||
	    !components(&out->uu_components, &out->uu_largest, s->n_users,
	                &s->uu, 0, error))
		return FALSE;
	out->density = s->n_users > 0 && s->n_items > 0
	                       ? (double)s->ui.nnz /
	                                 ((double)s->n_users * (double)s->n_items)
	                       : 0.0;
	out->ts_min = INT64_MIN;
	out->ts_max = INT64_MIN;
	if (s->ui_ts_first != NULL && s->ui_ts_last != NULL)
		for (j = 0; j < s->ui.nnz; j++) {
			if (s->ui_ts_first[j] != INT64_MIN &&
			    (out->ts_min == INT64_MIN || s->ui_ts_first[j] < out->ts_min))
				out->ts_min = s->ui_ts_first[j];
			if (s->ui_ts_last[j] != INT64_MIN && s->ui_ts_last[j] > out->ts_max)
				out->ts_max = s->ui_ts_last[j];
		}
	out->bytes_on_disk = s->path ? dir_bytes(s->path) : 0;
	return TRUE;
}
