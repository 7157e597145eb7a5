/*
 * An index of path rules by key (pfs_glob_proc_key: "sys" for /proc/sys/...,
 * "#environ" for /proc/{pid}/environ), so that a decision looks only at the
 * rules that could match: those with the path's key plus those without a key
 * (*, **, ...). Each list keeps load order, so decisions are the same as a
 * scan of all rules.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/cleanup.h"
#include "policy_i.h"

struct index_key {
	char *name;
	size_t *rules; /* indices into path_rules, ascending */
	size_t n;
	bool root_hidden; /* /proc/<name> itself is hidden, for every caller */
	bool root_decided; /* root_hidden is known (pfs_policy_index_root_verdicts) */
};

struct pfs_path_index {
	struct index_key *keys; /* sorted by name */
	size_t n_keys;
	size_t *generic; /* rules without a literal name, ascending */
	size_t n_generic;
	bool generic_hides; /* a hide rule among them */
	bool digit_keys; /* a key of digits only (a literal over 10 digits: not a pid) */
	uint64_t first_bytes[4]; /* the keys' first bytes, a bit each */
	bool generic_hides_pid_dir; /* one whose literal prefix admits /proc/<digits> */
};

#define KEY_MAX 256

/* *out: the rule's key (pfs_glob_proc_key), or NULL if it has none. */
static int rule_key(const struct pfs_path_rule *r, char **out)
{
	char buf[KEY_MAX];
	*out = NULL;
	if (!pfs_glob_proc_key(r->glob, buf, sizeof(buf)))
		return 0;
	*out = strdup(buf);
	return *out ? 0 : -ENOMEM;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void pfs_policy_free_index(struct pfs_path_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->n_keys; i++) {
		free(ix->keys[i].name);
		free(ix->keys[i].rules);
	}
	free(ix->keys);
	free(ix->generic);
	free(ix);
}

static int build(const struct pfs_policy *p, char **keys, struct pfs_path_index *ix)
{
	size_t n = p->n_path_rules;
	cleanup_free char **sorted = calloc(n + 1, sizeof(*sorted));
	ix->generic = calloc(n + 1, sizeof(*ix->generic));
	ix->keys = calloc(n + 1, sizeof(*ix->keys));
	if (!sorted || !ix->generic || !ix->keys)
		return -ENOMEM;
	size_t n_sorted = 0;
	for (size_t i = 0; i < n; i++) {
		if (keys[i])
			sorted[n_sorted++] = keys[i];
		else
			ix->generic[ix->n_generic++] = i;
	}
	qsort(sorted, n_sorted, sizeof(*sorted), cmp_name);
	for (size_t i = 0; i < n_sorted; i++) {
		if (ix->n_keys && !strcmp(ix->keys[ix->n_keys - 1].name, sorted[i]))
			continue;
		struct index_key *k = &ix->keys[ix->n_keys++];
		if (!(k->name = strdup(sorted[i])) || !(k->rules = calloc(n, sizeof(*k->rules))))
			return -ENOMEM;
		for (size_t j = 0; j < n; j++)
			if (!keys[j] || !strcmp(keys[j], k->name))
				k->rules[k->n++] = j;
	}
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Whether a glob's literal prefix lets it match some /proc/<digits>. */
static bool prefix_admits_pid_dir(const struct pfs_glob *g)
{
	static const char proc[] = "/proc/";
	size_t len = 0;
	const char *lit = pfs_glob_literal_prefix(g, &len);
	size_t common = len < sizeof(proc) - 1 ? len : sizeof(proc) - 1;
	if (strncmp(lit, proc, common) != 0)
		return false;
	return len < sizeof(proc) || (lit[sizeof(proc) - 1] >= '0' && lit[sizeof(proc) - 1] <= '9');
}

/* The keyless hide rules, and whether one of them may match /proc/<digits>. */
static void index_generic_hides(const struct pfs_policy *p, struct pfs_path_index *ix)
{
	for (size_t i = 0; i < ix->n_generic; i++) {
		const struct pfs_path_rule *r = &p->path_rules[ix->generic[i]];
		if (r->expose || r->action != PFS_ACT_HIDE)
			continue;
		ix->generic_hides = true;
		if (prefix_admits_pid_dir(r->glob))
			ix->generic_hides_pid_dir = true;
	}
}

void pfs_policy_index_root_verdicts(struct pfs_policy *p, pfs_root_hides_fn *hides)
{
	struct pfs_path_index *ix = p->path_index;
	for (size_t i = 0; ix && i < ix->n_keys; i++) {
		struct index_key *k = &ix->keys[i];
		char path[KEY_MAX + 8];
		if (k->name[0] == '#' || all_digits(k->name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s", k->name);
		k->root_hidden = hides(p, path);
		k->root_decided = true;
	}
}

int pfs_policy_build_index(struct pfs_policy *p)
{
	pfs_policy_free_index(p->path_index);
	p->path_index = NULL;
	struct pfs_path_index *ix = calloc(1, sizeof(*ix));
	cleanup_free char **keys = calloc(p->n_path_rules + 1, sizeof(*keys));
	if (!ix || !keys) {
		free(ix);
		return -ENOMEM;
	}
	int r = 0;
	for (size_t i = 0; i < p->n_path_rules && r == 0; i++)
		r = rule_key(&p->path_rules[i], &keys[i]);
	if (r == 0)
		r = build(p, keys, ix);
	for (size_t i = 0; i < p->n_path_rules; i++)
		free(keys[i]);
	if (r < 0) {
		pfs_policy_free_index(ix);
		return r;
	}
	index_generic_hides(p, ix);
	for (size_t i = 0; i < ix->n_keys; i++) {
		unsigned char c0 = (unsigned char)ix->keys[i].name[0];
		ix->digit_keys = ix->digit_keys || all_digits(ix->keys[i].name);
		ix->first_bytes[c0 / 64] |= 1ull << (c0 % 64);
	}
	p->path_index = ix;
	return 0;
}

static const struct index_key *find_key(const struct pfs_path_index *ix, const char *key)
{
	size_t lo = 0, hi = ix->n_keys;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		/* the first byte before strcmp: most probes differ there */
		const char *name = ix->keys[mid].name;
		int c = (unsigned char)name[0] - (unsigned char)key[0];
		if (c == 0)
			c = strcmp(name, key);
		if (c == 0)
			return &ix->keys[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool pfs_policy_root_entry_shown(const struct pfs_policy *p, const char *name)
{
	const struct pfs_path_index *ix = p->path_index;
	unsigned char c0 = (unsigned char)name[0];
	if (!ix || !c0 || c0 == '#')
		return false;
	bool digits = true; /* one pass: asked for every entry of every listing */
	for (const char *s = name; *s; s++) {
		if (*s == '/')
			return false;
		digits = digits && *s >= '0' && *s <= '9';
	}
	if (digits) /* a caller's {self}: only a rule no listing can match is ruled out */
		return !(ix->digit_keys && find_key(ix, name)) && !ix->generic_hides_pid_dir;
	/* most of /proc's names start with a byte no key starts with */
	bool maybe_key = ix->first_bytes[c0 / 64] & (1ull << (c0 % 64));
	const struct index_key *k = maybe_key ? find_key(ix, name) : NULL;
	return k ? k->root_decided && !k->root_hidden : !ix->generic_hides;
}

const size_t *pfs_policy_candidates(const struct pfs_policy *p, const char *path, size_t *n)
{
	const struct pfs_path_index *ix = p->path_index;
	char key[KEY_MAX];
	const struct index_key *k =
		pfs_glob_path_key(path, key, sizeof(key)) ? find_key(ix, key) : NULL;
	if (k) {
		*n = k->n;
		return k->rules;
	}
	*n = ix->n_generic;
	return ix->generic;
}
