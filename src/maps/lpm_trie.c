/* lpm_trie.c - the path-compressed binary trie lpm_trie lookups walk
 * (kernel/bpf/lpm_trie.c's shape and rules: a node per entry, intermediate
 * nodes where two prefixes part, the same insert and delete cases).  The
 * entries themselves stay in the hash core (lpm.c); a trie node names its
 * entry's hash slot.  Bits are numbered from the most significant bit of
 * data[0] (network order). */
#include "maps/maps_internal.h"

#include <errno.h>
#include <string.h>

#include "base/base.h"

enum { NONE = 0, IM = UINT32_MAX };   /* link "no node"; slot of an intermediate node */

static inline uint8_t *node_data(const struct jn_lpm_trie *t, uint32_t n)
{
	return t->data + (size_t)n * t->dlen;
}

static inline uint32_t bit_at(const uint8_t *d, uint32_t i)
{
	return d[i / 8] >> (7 - i % 8) & 1;
}

/* Big-endian value of the n (1..8) bytes at p, in the top bits. */
static inline uint64_t load_be(const uint8_t *p, uint32_t n)
{
	uint64_t v = 0;

	if (n == 8) {
		memcpy(&v, p, 8);
		return __builtin_bswap64(v);
	}
	if (n == 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		return (uint64_t)__builtin_bswap32(w) << 32;
	}
	for (uint32_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (56 - 8 * i);
	return v;
}

/* Leading bits a and b share, at most limit. */
static uint32_t common_bits(const uint8_t *a, const uint8_t *b, uint32_t limit)
{
	uint32_t done = 0;

	while (done < limit) {
		uint32_t left = (limit - done + 7) / 8, n = left < 8 ? left : 8;
		uint64_t x = load_be(a + done / 8, n) ^ load_be(b + done / 8, n);
		if (x) {
			done += (uint32_t)__builtin_clzll(x);
			return done < limit ? done : limit;
		}
		done += n * 8;
	}
	return limit;
}

static inline uint32_t match(const struct jn_lpm_trie *t, uint32_t n, const uint8_t *d, uint32_t plen)
{
	uint32_t np = t->nodes[n].plen;
	return common_bits(node_data(t, n), d, np < plen ? np : plen);
}

int jn_lpm_trie_init(struct jn_lpm_trie *t, uint32_t max_entries, uint32_t dlen)
{
	size_t nodes, nlen, dbytes;

	memset(t, 0, sizeof(*t));
	/* every entry, and an intermediate node per entry at most */
	if (jn_size_mul(max_entries, 2, &nodes) || jn_size_mul(nodes, sizeof(*t->nodes), &nlen) ||
	    jn_size_mul(nodes, dlen, &dbytes) || jn_size_add(dbytes, 8, &dbytes) ||
	    nodes > UINT32_MAX - 1)
		return -E2BIG;
	t->cap = (uint32_t)nodes;
	t->dlen = dlen;
	t->nodes = jn_maps_area_alloc(nlen);
	t->data = jn_maps_area_alloc(dbytes);
	if (!t->nodes || !t->data) {
		jn_lpm_trie_fini(t);
		return -ENOMEM;
	}
	return 0;
}

void jn_lpm_trie_fini(struct jn_lpm_trie *t)
{
	jn_maps_area_free(t->nodes, (size_t)t->cap * sizeof(*t->nodes));
	jn_maps_area_free(t->data, (size_t)t->cap * t->dlen + 8);
	t->nodes = NULL;
	t->data = NULL;
}

static uint32_t node_new(struct jn_lpm_trie *t, const uint8_t *d, uint32_t plen, uint32_t slot)
{
	uint32_t n;

	if (t->free_head) {
		n = t->free_head - 1;
		t->free_head = t->nodes[n].child[0];
	} else {
		n = t->hw++;
	}
	t->nodes[n].plen = plen;
	t->nodes[n].slot = slot;
	t->nodes[n].child[0] = t->nodes[n].child[1] = NONE;
	memcpy(node_data(t, n), d, t->dlen);
	return n;
}

static void node_free(struct jn_lpm_trie *t, uint32_t n)
{
	t->nodes[n].child[0] = t->free_head;
	t->free_head = n + 1;
}

/* The kernel's lookup walk.  n: the data bytes when at most 8 (the key is
 * then one big-endian word, compared a node at a time), else 0. */
static inline int64_t walk(const struct jn_lpm_trie *t, const uint8_t *d, uint32_t plen, uint32_t n)
{
	uint32_t max = t->dlen * 8, link = t->root;
	uint64_t k = n ? load_be(d, n) : 0;
	int64_t found = -1;

	while (link) {
		const struct jn_lpm_node *nd = &t->nodes[link - 1];
		uint32_t m;
		if (n) {
			uint64_t x = load_be(t->data + (size_t)(link - 1) * n, n) ^ k;
			uint32_t lim = nd->plen < plen ? nd->plen : plen;
			m = x ? (uint32_t)__builtin_clzll(x) : 64;
			m = m < lim ? m : lim;
		} else {
			m = match(t, link - 1, d, plen);
		}
		if (m == max)
			return nd->slot;
		if (m < nd->plen)
			break;
		if (nd->slot != IM)
			found = nd->slot;
		link = nd->child[n ? k >> (63 - nd->plen) & 1 : bit_at(d, nd->plen)];
	}
	return found;
}

int64_t jn_lpm_trie_lookup(const struct jn_lpm_trie *t, const uint8_t *d, uint32_t plen)
{
	if (t->dlen == 4)   /* IPv4: the length known to the compiler */
		return walk(t, d, plen, 4);
	return walk(t, d, plen, t->dlen <= 8 ? t->dlen : 0);
}

void jn_lpm_trie_insert(struct jn_lpm_trie *t, const uint8_t *d, uint32_t plen, uint32_t slot)
{
	uint32_t max = t->dlen * 8, *link = &t->root, n = 0, m = 0;

	while (*link) {
		n = *link - 1;
		m = match(t, n, d, plen);
		if (t->nodes[n].plen != m || m == plen || m == max)
			break;
		link = &t->nodes[n].child[bit_at(d, m)];
	}
	if (!*link) {
		*link = node_new(t, d, plen, slot) + 1;
		return;
	}
	if (t->nodes[n].plen == m) {   /* the same prefix: an intermediate node becomes the entry */
		t->nodes[n].slot = slot;
		return;
	}
	uint32_t nn = node_new(t, d, plen, slot);
	if (m == plen) {               /* the new prefix is an ancestor of node n */
		t->nodes[nn].child[bit_at(node_data(t, n), m)] = n + 1;
		*link = nn + 1;
		return;
	}
	uint32_t im = node_new(t, node_data(t, n), m, IM);
	t->nodes[im].child[bit_at(d, m)] = nn + 1;
	t->nodes[im].child[bit_at(node_data(t, n), m)] = n + 1;
	*link = im + 1;
}

void jn_lpm_trie_delete(struct jn_lpm_trie *t, const uint8_t *d, uint32_t plen)
{
	uint32_t *trim = &t->root, *trim2 = trim, n = 0, parent = UINT32_MAX, m = 0;

	while (*trim) {
		n = *trim - 1;
		m = match(t, n, d, plen);
		if (t->nodes[n].plen != m || m == plen)
			break;
		parent = n;
		trim2 = trim;
		trim = &t->nodes[n].child[bit_at(d, m)];
	}
	if (!*trim || t->nodes[n].plen != plen || m != plen || t->nodes[n].slot == IM)
		return;   /* not there (lpm.c only deletes what the hash holds) */
	struct jn_lpm_node *nd = &t->nodes[n];
	if (nd->child[0] && nd->child[1]) {
		nd->slot = IM;
		return;
	}
	if (parent != UINT32_MAX && t->nodes[parent].slot == IM && !nd->child[0] && !nd->child[1]) {
		const struct jn_lpm_node *p = &t->nodes[parent];
		*trim2 = p->child[0] == n + 1 ? p->child[1] : p->child[0];
		node_free(t, parent);
		node_free(t, n);
		return;
	}
	*trim = nd->child[0] ? nd->child[0] : nd->child[1];
	node_free(t, n);
}
