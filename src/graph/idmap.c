/*
 * String id -> dense index map for ingest.
 *
 * Two lookups share one index space (order of insertion):
 *  - canonical decimal ids ("0", "17", "123456"; no sign, no leading
 *    zero, at most 19 digits) are looked up by value: values below the
 *    size of a direct table (grown by doubling while it stays within 16
 *    slots per key and 2^24 slots) index it, others go to an open-
 *    addressing table of 64-bit values (multiplicative hash);
 *  - every other id goes to an open-addressing table of 32-byte slots
 *    (half a cache line): low 32 bits of the key's xxh3 hash, index + 1,
 *    length, and the key itself when it has at most 20 bytes (else a
 *    pointer to its copy), so that a lookup reads one slot and nothing
 *    else; growing moves slots by their stored hash, without rehashing.
 * Both hash tables use linear probing and double at 50 % load.  The key
 * bytes of every id (numeric ones too, so that kith_idmap_key() works)
 * are copied, NUL-terminated, into arena blocks at insertion (64 KiB,
 * then 2 MiB on huge pages).
 * kith_idmap_prepare() classifies and hashes a key once and prefetches
 * its slot, so that a caller can prepare the keys of a few rows before
 * it inserts them and overlap their cache misses.
 * Expected cost per lookup of a numeric id: one pass over its digits and
 * one memory access; of another id: one xxh3, ~1.5 probes in one or two
 * cache lines, and one more access (the key's copy) for keys longer than
 * 20 bytes.  Memory: 64-128 B of slots per string id, 16 B of index and
 * the key's bytes.
 */
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "kith/core.h"
#include "kith/ingest.h"

#define ARENA_FIRST ((size_t)1 << 16)
#define ARENA_BLOCK KITH_HUGE_PAGE
#define DENSE_MAX ((uint64_t)1 << 24)
#define DENSE_PER_KEY 16
#define INLINE_MAX 20

struct ent {
	const char *key;
	uint32_t len;
};

/* A slot of the string table; x == 0: empty. */
struct sslot {
	uint32_t h;             /* low 32 bits of the key's xxh3 */
	uint32_t x;             /* index + 1 */
	uint32_t len;
	char key[INLINE_MAX];   /* len <= INLINE_MAX: the key, zero-padded;
	                           else a pointer to its copy */
};
G_STATIC_ASSERT(sizeof(struct sslot) == 32);

struct kith_idmap {
	/* string ids */
	struct sslot *slot;
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

/* A cleared slot table; from 2 MiB on aligned to 2 MiB and backed by
 * huge pages where the kernel grants them, which spares a TLB miss on
 * most probes of a big table and a page fault per 4 KiB when it is
 * cleared.  Freed with g_aligned_free(). */
static struct sslot *
slots_new(size_t n)
{
	size_t bytes = n * sizeof(struct sslot);
	gboolean big = bytes >= KITH_HUGE_PAGE;
	void *p = g_aligned_alloc(n, sizeof(struct sslot),
	                          big ? KITH_HUGE_PAGE : 64);
	if (big)
		kith_advise_huge(p, bytes);
	return memset(p, 0, bytes);
}

struct kith_idmap *
kith_idmap_new(void)
{
	struct kith_idmap *m = g_new0(struct kith_idmap, 1);
	m->mask = 1023;
	m->slot = slots_new(m->mask + 1);
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
	g_aligned_free(m->slot);
	g_free(m->dense);
	g_free(m->ikey);
	g_free(m->ival);
	g_free(m->ent);
	g_ptr_array_free(m->blocks, TRUE);
	g_free(m);
}

/* The first block of a map is small (most maps hold a few keys), the
 * next ones whole huge pages. */
static char *
arena_copy(struct kith_idmap *m, const char *key, size_t len)
{
	if (len + 1 > m->cur_left) {
		size_t sz = m->blocks->len ? ARENA_BLOCK : ARENA_FIRST;
		if (sz < len + 1)
			sz = len + 1;
		m->cur = m->blocks->len ? kith_alloc_huge_n(sz, 1, NULL)
		                        : g_malloc(sz);
		if (!m->cur)
			g_error("out of memory allocating %zu bytes", sz);
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

/* Room for cap entries: from 1 MiB on a new block on huge pages (a
 * fault per 2 MiB, not per 4 KiB) and a copy. */
static void
ent_room(struct kith_idmap *m, int64_t cap)
{
	if (cap <= m->cap)
		return;
	size_t bytes = (size_t)cap * sizeof(struct ent);
	if (bytes < KITH_HUGE_PAGE / 2) {
		m->ent = g_renew(struct ent, m->ent, cap);
	} else {
		struct ent *e = kith_alloc_huge_n((size_t)cap, sizeof *e, NULL);
		if (!e)
			g_error("out of memory allocating %zu bytes", bytes);
		if (m->n)
			memcpy(e, m->ent, (size_t)m->n * sizeof *e);
		g_free(m->ent);
		m->ent = e;
	}
	m->cap = cap;
}

/* Appends key i (not yet in a table); -1 when the map is full. */
static int64_t
append_key(struct kith_idmap *m, const char *key, size_t len)
{
	if (m->n >= INT32_MAX || len > UINT32_MAX)
		return -1;
	if (m->n == m->cap)
		ent_room(m, m->cap ? 2 * m->cap : 1024);
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
	uint32_t *d;
	if (nd * sizeof *d >= KITH_HUGE_PAGE / 2) {
		/* on huge pages: a fault per 2 MiB, not per 4 KiB */
		d = kith_alloc_huge_n(nd, sizeof *d, NULL);
		if (!d)
			g_error("out of memory allocating %zu bytes",
			        (size_t)nd * sizeof *d);
		if (m->dn)
			memcpy(d, m->dense, m->dn * sizeof *d);
		g_free(m->dense);
	} else {
		d = g_renew(uint32_t, m->dense, nd);
	}
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

/* Key a == key b, both of n bytes (n <= INLINE_MAX), reading no byte
 * past either: two or three overlapping 8-byte words, or two 4-byte
 * words, or bytes. */
static inline gboolean
eq_short(const char *a, const char *b, size_t n)
{
	uint64_t x, y, z, w;
	if (n >= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		memcpy(&z, a + n - 8, 8);
		memcpy(&w, b + n - 8, 8);
		if (((x ^ y) | (z ^ w)) != 0)
			return FALSE;
		if (n <= 16)
			return TRUE;
		memcpy(&x, a + 8, 8);
		memcpy(&y, b + 8, 8);
		return x == y;
	}
	if (n >= 4) {
		uint32_t p, q, r, t;
		memcpy(&p, a, 4);
		memcpy(&q, b, 4);
		memcpy(&r, a + n - 4, 4);
		memcpy(&t, b + n - 4, 4);
		return ((p ^ q) | (r ^ t)) == 0;
	}
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return FALSE;
	return TRUE;
}

static inline const char *
slot_key(const struct sslot *s)
{
	const char *p;
	if (s->len <= INLINE_MAX)
		return s->key;
	memcpy(&p, s->key, sizeof p);
	return p;
}

static void
rehash(struct kith_idmap *m, size_t nmask)
{
	struct sslot *ns = slots_new(nmask + 1);
	for (size_t i = 0; i <= m->mask; i++) {
		const struct sslot *o = &m->slot[i];
		if (!o->x)
			continue;
		size_t j = o->h & nmask;
		while (ns[j].x)
			j = (j + 1) & nmask;
		ns[j] = *o;
	}
	g_aligned_free(m->slot);
	m->slot = ns;
	m->mask = nmask;
}

/* Index of k or -1, then *where is the empty slot that ends its run. */
static inline int64_t
probe(const struct kith_idmap *m, const struct kith_idkey *k, size_t *where)
{
	uint32_t h = (uint32_t)k->v;
	size_t len = k->len;
	size_t j = h & m->mask;
	for (;;) {
		const struct sslot *s = &m->slot[j];
		if (!s->x) {
			*where = j;
			return -1;
		}
		if (s->h == h && s->len == len &&
		    (len <= INLINE_MAX ? eq_short(s->key, k->key, len)
		                       : memcmp(slot_key(s), k->key, len) == 0))
			return (int64_t)s->x - 1;
		j = (j + 1) & m->mask;
	}
}

/* ------------------------------------------------------------- the map */

void
kith_idmap_prepare(const struct kith_idmap *m, const char *key, size_t len,
                   struct kith_idkey *k)
{
	k->key = key;
	k->len = len;
	k->num = canonical_number(key, len, &k->v);
	if (!k->num)
		k->v = XXH3_64bits(key, len);
	if (!m)
		return;
	if (!k->num)
		__builtin_prefetch(&m->slot[k->v & m->mask]);
	else if (k->v < m->dn)
		__builtin_prefetch(&m->dense[k->v]);
	else
		__builtin_prefetch(&m->ival[ihash(k->v, m->imask)]);
}

int64_t
kith_idmap_add_key(struct kith_idmap *m, const struct kith_idkey *k,
                   gboolean *added)
{
	if (added)
		*added = FALSE;
	if (k->num)
		return num_add(m, k->v, k->key, k->len, added);
	size_t where = 0;
	int64_t idx = probe(m, k, &where);
	if (idx >= 0)
		return idx;
	idx = append_key(m, k->key, k->len);
	if (idx < 0)
		return -1;
	struct sslot *s = &m->slot[where];
	s->h = (uint32_t)k->v;
	s->x = (uint32_t)(idx + 1);
	s->len = (uint32_t)k->len;
	if (k->len <= INLINE_MAX)
		memcpy(s->key, k->key, k->len);
	else
		memcpy(s->key, &m->ent[idx].key, sizeof m->ent[idx].key);
	if ((size_t)++m->sn * 2 > m->mask)
		rehash(m, m->mask * 2 + 1);
	if (added)
		*added = TRUE;
	return idx;
}

void
kith_idmap_reserve(struct kith_idmap *m, int64_t n,
                   const struct kith_idmap *like)
{
	if (like->n == 0 || n <= m->n || n > INT32_MAX)
		return;
	size_t strings = (size_t)((double)n * (double)like->sn /
	                          (double)like->n);
	size_t nmask = m->mask;
	while (strings * 2 > nmask)
		nmask = nmask * 2 + 1;
	if (nmask != m->mask)
		rehash(m, nmask);
	ent_room(m, n);
}

int64_t
kith_idmap_add(struct kith_idmap *m, const char *key, size_t len,
               gboolean *added)
{
	struct kith_idkey k;
	kith_idmap_prepare(NULL, key, len, &k);
	return kith_idmap_add_key(m, &k, added);
}

int64_t
kith_idmap_find(const struct kith_idmap *m, const char *key, size_t len)
{
	struct kith_idkey k;
	kith_idmap_prepare(NULL, key, len, &k);
	if (k.num)
		return num_find(m, k.v);
	size_t where;
	return probe(m, &k, &where);
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
	g_aligned_free(m->slot);
	m->mask = 1023;
	m->slot = slots_new(m->mask + 1);
	g_free(m->dense);
	m->dense = NULL;
	m->dn = 0;
	memset(m->ival, 0, (m->imask + 1) * sizeof *m->ival);
	m->in = 0;
	m->cur = NULL;
	m->cur_left = 0;
	return keys;
}
