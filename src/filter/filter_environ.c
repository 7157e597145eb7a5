/*
 * environ filter. The content is NUL-separated "NAME=VALUE" entries. An entry
 * whose NAME matches an environ rule that applies (scope ALL always, OTHERS
 * only when the reader is not the process itself) keeps "NAME=" and gets the
 * rule's value, or "[redacted]" when the rule has none (as docs/policy.md): visibly a
 * placeholder, and not a plausible secret. The first applying rule decides.
 * Everything else keeps its bytes: entries without '=', empty entries, and a
 * missing final NUL are reproduced as they came.
 */
#include <string.h>

#include "pfs/cleanup.h"
#include "pfs/filter.h"

#define PFS_ENV_REDACTED "[redacted]"

static const struct pfs_environ_rule *env_rule(const struct pfs_policy *p, const char *name,
					       bool is_self)
{
	static const struct pfs_match_ctx m = {0};
	for (size_t i = 0; i < p->n_environ_rules; i++) {
		const struct pfs_environ_rule *r = &p->environ_rules[i];
		if (r->scope == PFS_ENV_OTHERS && is_self)
			continue;
		if (pfs_glob_match(r->glob, name, &m))
			return r;
	}
	return NULL;
}

static bool any_applies(const struct pfs_policy *p, bool is_self)
{
	for (size_t i = 0; i < p->n_environ_rules; i++)
		if (p->environ_rules[i].scope == PFS_ENV_ALL || !is_self)
			return true;
	return false;
}

int pfs_filter_environ(const struct pfs_policy *p, const char *in, size_t len, bool is_self,
		       struct pfs_buf *out, const struct pfs_trace *t)
{
	if (!p || !any_applies(p, is_self))
		return pfs_buf_append(out, in, len);
	char small[256];
	cleanup_buf struct pfs_buf big = PFS_BUF_INIT;
	int r = pfs_buf_reserve(out, len);
	for (size_t pos = 0; r == 0 && pos < len;) {
		const char *e = in + pos;
		const char *nul = memchr(e, '\0', len - pos);
		size_t el = nul ? (size_t)(nul - e) : len - pos;
		size_t adv = el + (nul ? 1 : 0);
		const char *eq = memchr(e, '=', el);
		const struct pfs_environ_rule *rule = NULL;
		if (eq) {
			/* The name, NUL-terminated: on the stack unless it is long. */
			size_t nl = (size_t)(eq - e);
			char *name = small;
			if (nl >= sizeof(small)) {
				pfs_buf_reset(&big);
				if ((r = pfs_buf_append(&big, e, nl)) < 0)
					break;
				name = big.data;
			} else {
				memcpy(small, e, nl);
				small[nl] = '\0';
			}
			rule = env_rule(p, name, is_self);
		}
		if (rule) {
			const char *v = rule->value ? rule->value : PFS_ENV_REDACTED;
			r = pfs_buf_append(out, e, (size_t)(eq + 1 - e));
			/* A NUL in the value would split the entry: stop at it. */
			if (r == 0)
				r = pfs_buf_append(out, v, strlen(v));
			if (r == 0 && nul)
				r = pfs_buf_append(out, "", 1);
			pfs_trace_emit(t, PFS_TR_REDACTED, e, el, &rule->src);
		} else {
			r = pfs_buf_append(out, e, adv);
		}
		pos += adv;
	}
	return r;
}

int pfs_fk_environ(const struct pfs_filter_in *in, struct pfs_buf *out)
{
	return pfs_filter_environ(in->policy, in->data, in->len, in->is_self(in->ctx), out,
				  in->trace);
}
