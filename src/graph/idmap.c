/*
 * String id -> dense index map for ingest.
 *
 * Open addressing with linear probing over a power-of-two table of 64-bit
 * slots: high 32 bits of the key's xxh3 hash, low 32 bits index + 1 (0 =
 * empty).  The table doubles at 50 % load.  Keys are copied, NUL-
 * terminated, into 1 MiB arena blocks; keys[i] points to key i.
 * Expected cost per lookup: one hash of the key, ~1.5 probes, one memcmp.
 */
#include <string.h>
#include <xxhash.h>

#include "kith/core.h"
#include "kith/ingest.h"

#define ARENA_BLOCK ((size_t)1 << 20)

struct kith_idmap {
	uint64_t *slot;
	size_t mask;
	char **keys;
	uint32_t *lens;
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
	m->blocks = g_ptr_array_new_with_free_func(g_free);
	return m;
}

void
kith_idmap_free(struct kith_idmap *m)
{
	if (!m)
		return;
	g_free(m->slot);
	g_free(m->keys);
	g_free(m->lens);
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

static void
grow_table(struct kith_idmap *m)
{
	size_t nmask = m->mask * 2 + 1;
	uint64_t *ns = g_new0(uint64_t, nmask + 1);
	for (size_t i = 0; i <= m->mask; i++) {
		uint64_t v = m->slot[i];
		if (!v)
			continue;
		/* rehash from the stored high bits plus the key */
		int64_t idx = (int64_t)(v & 0xffffffffu) - 1;
		uint64_t h = XXH3_64bits(m->keys[idx], m->lens[idx]);
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
			if (m->lens[idx] == len &&
			    memcmp(m->keys[idx], key, len) == 0)
				return idx;
		}
		j = (j + 1) & m->mask;
	}
}

int64_t
kith_idmap_add(struct kith_idmap *m, const char *key, size_t len,
               gboolean *added)
{
	uint64_t h = XXH3_64bits(key, len);
	size_t where = 0;
	int64_t idx = probe(m, key, len, h, &where);
	if (added)
		*added = FALSE;
	if (idx >= 0)
		return idx;
	if (m->n >= INT32_MAX || len > UINT32_MAX)
		return -1;
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->keys = g_renew(char *, m->keys, m->cap);
		m->lens = g_renew(uint32_t, m->lens, m->cap);
	}
	idx = m->n++;
	m->keys[idx] = arena_copy(m, key, len);
	m->lens[idx] = (uint32_t)len;
	m->slot[where] = (h & 0xffffffff00000000ull) | (uint64_t)(idx + 1);
	if ((size_t)m->n * 2 > m->mask)
		grow_table(m);
	if (added)
		*added = TRUE;
	return idx;
}

int64_t
kith_idmap_find(const struct kith_idmap *m, const char *key, size_t len)
{
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
	return m->keys[i];
}

char **
kith_idmap_give(struct kith_idmap *m, struct kith_store *s)
{
	char **keys = g_renew(char *, m->keys, m->n + 1);
	keys[m->n] = NULL;
	for (guint i = 0; i < m->blocks->len; i++)
		kith_store_own(s, m->blocks->pdata[i]);
	g_ptr_array_set_free_func(m->blocks, NULL);
	g_ptr_array_set_size(m->blocks, 0);
	g_ptr_array_set_free_func(m->blocks, g_free);
	kith_store_own(s, keys);
	m->keys = NULL;
	g_free(m->lens);
	m->lens = NULL;
	m->n = m->cap = 0;
	memset(m->slot, 0, (m->mask + 1) * sizeof *m->slot);
	m->cur = NULL;
	m->cur_left = 0;
	return keys;
}
