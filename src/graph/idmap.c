/*
 * String id -> dense index map for ingest.
 *
 * Two lookups share one index space (order of insertion):
 *  - canonical decimal ids ("0", "17", "123456"; no sign, no leading
 *    zero, at most 19 digits) are looked up by value: values below the
 *    size of a direct table (grown by doubling while it stays within 16
 *    slots per key and 2^24 slots) index it, others go to an open-
 *    addressing table of 64-bit values (multiplicative hash);
 *  - every other id goes to an open-addressing table of 64-bit slots:
 *    high 32 bits of the key's xxh3 hash, low 32 bits index + 1.
 * Both hash tables use linear probing and double at 50 % load.  The key
 * bytes of every id (numeric ones too, so that kith_idmap_key() works)
 * are copied, NUL-terminated, into 1 MiB arena blocks at insertion.
 * Expected cost per lookup of a numeric id: one pass over its digits and
 * one memory access; of another id: one xxh3, ~1.5 probes, one memcmp.
 */
#include <string.h>
#include <xxhash.h>

#include "kith/core.h"
#include "kith/ingest.h"

#define ARENA_BLOCK ((size_t)1 << 20)
#define DENSE_MAX ((uint64_t)1 << 24)
#define DENSE_PER_KEY 16

struct ent {
	const char *key;
	uint32_t len;
};

struct kith_idmap {
	/* string ids */
	uint64_t *slot;
	size_t mask;
	int64_t sn;             /* string ids in slot[] */
	/* numeric ids: direct table [0, dn) and hash of the others */
	uint32_t *dense;        /* index + 1, 0 = absent */
	uint64_t dn;
	uint64_t *ikey;
	uint32_t *ival;         /* index + 1, 0 = empty slot */
	size_t imask;
	int64_t in;             /* numeric ids in the hash */

	struct ent *ent;
	int64_t n;
	int64_t cap;
	GPtrArray *blocks;
	char *cur;
	size_t cur_left;
};

struct kith_idmap *
kith_idmap_new(void)
{
	struct kith_idmap *m = g_new0(struct kith_idmap, 1);
	m->mask = 1023;
	m->slot = g_new0(uint64_t, m->mask + 1);
	m->imask = 1023;
	m->ikey = g_new(uint64_t, m->imask + 1);
	m->ival = g_new0(uint32_t, m->imask + 1);
	m->blocks = g_ptr_array_new_with_free_func(g_free);
	return m;
}

void
kith_idmap_free(struct kith_idmap *m)
{
	if (!m)
		return;
	g_free(m->slot);
	g_free(m->dense);
	g_free(m->ikey);
	g_free(m->ival);
	g_free(m->ent);
	g_ptr_array_free(m->blocks, TRUE);
	g_free(m);
}

static char *
arena_copy(struct kith_idmap *m, const char *key, size_t len)
{
	if (len + 1 > m->cur_left) {
		size_t sz = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;
		m->cur = g_malloc(sz);
		m->cur_left = sz;
		g_ptr_array_add(m->blocks, m->cur);
	}
	char *p = m->cur;
	memcpy(p, key, len);
	p[len] = '\0';
	m->cur += len + 1;
	m->cur_left -= len + 1;
	return p;
}

/* Appends key i (not yet in a table); -1 when the map is full. */
static int64_t
append_key(struct kith_idmap *m, const char *key, size_t len)
{
	if (m->n >= INT32_MAX || len > UINT32_MAX)
		return -1;
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->ent = g_renew(struct ent, m->ent, m->cap);
	}
	int64_t idx = m->n++;
	m->ent[idx].key = arena_copy(m, key, len);
	m->ent[idx].len = (uint32_t)len;
	return idx;
}

/* ------------------------------------------------------------ numeric */

/* Value of a canonical decimal id, or FALSE. */
static inline gboolean
canonical_number(const char *s, size_t len, uint64_t *out)
{
	if (len == 0 || len > 19 || (s[0] == '0' && len > 1))
		return FALSE;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9)
			return FALSE;
		v = v * 10 + d;
	}
	*out = v;
	return TRUE;
}

static inline size_t
ihash(uint64_t v, size_t mask)
{
	return (size_t)((v * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

static void
ihash_put(uint64_t *keys, uint32_t *vals, size_t mask, uint64_t v,
          uint32_t x)
{
	size_t j = ihash(v, mask);
	while (vals[j])
		j = (j + 1) & mask;
	keys[j] = v;
	vals[j] = x;
}

static void
ihash_rebuild(struct kith_idmap *m, size_t nmask)
{
	uint64_t *nk = g_new(uint64_t, nmask + 1);
	uint32_t *nv = g_new0(uint32_t, nmask + 1);
	int64_t kept = 0;
	for (size_t i = 0; i <= m->imask; i++) {
		uint32_t x = m->ival[i];
		if (!x)
			continue;
		uint64_t v = m->ikey[i];
		if (v < m->dn) {
			m->dense[v] = x;     /* now covered by the direct table */
			continue;
		}
		ihash_put(nk, nv, nmask, v, x);
		kept++;
	}
	g_free(m->ikey);
	g_free(m->ival);
	m->ikey = nk;
	m->ival = nv;
	m->imask = nmask;
	m->in = kept;
}

/* Grows the direct table to cover v when that stays dense enough. */
static gboolean
dense_cover(struct kith_idmap *m, uint64_t v)
{
	if (v >= DENSE_MAX)
		return FALSE;
	uint64_t nd = m->dn ? m->dn : 1024;
	while (nd <= v)
		nd *= 2;
	uint64_t room = (uint64_t)(m->n + 1) * DENSE_PER_KEY;
	if (nd > room && nd > 65536)
		return FALSE;
	uint32_t *d = g_renew(uint32_t, m->dense, nd);
	memset(d + m->dn, 0, (nd - m->dn) * sizeof *d);
	m->dense = d;
	m->dn = nd;
	ihash_rebuild(m, m->imask);
	return TRUE;
}

static int64_t
num_add(struct kith_idmap *m, uint64_t v, const char *key, size_t len,
        gboolean *added)
{
	if (v < m->dn) {
		uint32_t x = m->dense[v];
		if (x)
			return (int64_t)x - 1;
	} else {
		size_t j = ihash(v, m->imask);
		for (;;) {
			uint32_t x = m->ival[j];
			if (!x)
				break;
			if (m->ikey[j] == v)
				return (int64_t)x - 1;
			j = (j + 1) & m->imask;
		}
	}
	int64_t idx = append_key(m, key, len);
	if (idx < 0)
		return -1;
	uint32_t x = (uint32_t)(idx + 1);
	if (v < m->dn || dense_cover(m, v)) {
		m->dense[v] = x;
	} else {
		ihash_put(m->ikey, m->ival, m->imask, v, x);
		m->in++;
		if ((size_t)m->in * 2 > m->imask)
			ihash_rebuild(m, m->imask * 2 + 1);
	}
	if (added)
		*added = TRUE;
	return idx;
}

static int64_t
num_find(const struct kith_idmap *m, uint64_t v)
{
	if (v < m->dn)
		return (int64_t)m->dense[v] - 1;
	size_t j = ihash(v, m->imask);
	for (;;) {
		uint32_t x = m->ival[j];
		if (!x)
			return -1;
		if (m->ikey[j] == v)
			return (int64_t)x - 1;
		j = (j + 1) & m->imask;
	}
}

/* ------------------------------------------------------------- strings */

static void
grow_table(struct kith_idmap *m)
{
	size_t nmask = m->mask * 2 + 1;
	uint64_t *ns = g_new0(uint64_t, nmask + 1);
	for (size_t i = 0; i <= m->mask; i++) {
		uint64_t v = m->slot[i];
		if (!v)
			continue;
		int64_t idx = (int64_t)(v & 0xffffffffu) - 1;
		uint64_t h = XXH3_64bits(m->ent[idx].key, m->ent[idx].len);
		size_t j = (size_t)h & nmask;
		while (ns[j])
			j = (j + 1) & nmask;
		ns[j] = v;
	}
	g_free(m->slot);
	m->slot = ns;
	m->mask = nmask;
}

static inline int64_t
probe(const struct kith_idmap *m, const char *key, size_t len, uint64_t h,
      size_t *where)
{
	uint32_t hi = (uint32_t)(h >> 32);
	size_t j = (size_t)h & m->mask;
	for (;;) {
		uint64_t v = m->slot[j];
		if (!v) {
			*where = j;
			return -1;
		}
		if ((uint32_t)(v >> 32) == hi) {
			int64_t idx = (int64_t)(v & 0xffffffffu) - 1;
			const struct ent *e = &m->ent[idx];
			if (e->len == len && memcmp(e->key, key, len) == 0)
				return idx;
		}
		j = (j + 1) & m->mask;
	}
}

int64_t
kith_idmap_add(struct kith_idmap *m, const char *key, size_t len,
               gboolean *added)
{
	uint64_t v;
	if (added)
		*added = FALSE;
	if (canonical_number(key, len, &v))
		return num_add(m, v, key, len, added);
	uint64_t h = XXH3_64bits(key, len);
	size_t where = 0;
	int64_t idx = probe(m, key, len, h, &where);
	if (idx >= 0)
		return idx;
	idx = append_key(m, key, len);
	if (idx < 0)
		return -1;
	m->slot[where] = (h & 0xffffffff00000000ull) | (uint64_t)(idx + 1);
	if ((size_t)++m->sn * 2 > m->mask)
		grow_table(m);
	if (added)
		*added = TRUE;
	return idx;
}

int64_t
kith_idmap_find(const struct kith_idmap *m, const char *key, size_t len)
{
	uint64_t v;
	if (canonical_number(key, len, &v))
		return num_find(m, v);
	size_t where;
	return probe(m, key, len, XXH3_64bits(key, len), &where);
}

int64_t
kith_idmap_size(const struct kith_idmap *m)
{
	return m->n;
}

const char *
kith_idmap_key(const struct kith_idmap *m, int64_t i)
{
	return m->ent[i].key;
}

size_t
kith_idmap_key_len(const struct kith_idmap *m, int64_t i)
{
	return m->ent[i].len;
}

char **
kith_idmap_give(struct kith_idmap *m, struct kith_store *s)
{
	char **keys = g_new(char *, m->n + 1);
	for (int64_t i = 0; i < m->n; i++)
		keys[i] = (char *)m->ent[i].key;
	keys[m->n] = NULL;
	for (guint i = 0; i < m->blocks->len; i++)
		kith_store_own(s, m->blocks->pdata[i]);
	g_ptr_array_set_free_func(m->blocks, NULL);
	g_ptr_array_set_size(m->blocks, 0);
	g_ptr_array_set_free_func(m->blocks, g_free);
	kith_store_own(s, keys);
	g_free(m->ent);
	m->ent = NULL;
	m->n = m->cap = m->sn = 0;
	memset(m->slot, 0, (m->mask + 1) * sizeof *m->slot);
	g_free(m->dense);
	m->dense = NULL;
	m->dn = 0;
	memset(m->ival, 0, (m->imask + 1) * sizeof *m->ival);
	m->in = 0;
	m->cur = NULL;
	m->cur_left = 0;
	return keys;
}
