/* Helpers of the filter unit tests. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_filter_util.h"

static unsigned rule_count(const struct pfs_policy *p)
{
	return (unsigned)(p->n_mount_rules + p->n_maps_rules + p->n_fd_rules + p->n_environ_rules +
			  p->n_content_rules + 1);
}

static struct pfs_rule_src src_of(const struct pfs_policy *p)
{
	return (struct pfs_rule_src){"test.policy", rule_count(p), 1};
}

static struct pfs_glob *glob(const char *pat, enum pfs_glob_kind k)
{
	struct pfs_glob *g = NULL;
	struct pfs_error err = {0};
	int r = pfs_glob_compile(pat, k, &g, &err);
	cr_assert_eq(r, 0, "glob %s: %s", pat, err.msg);
	return g;
}

#define GROW(arr, n)                                                                               \
	({                                                                                         \
		arr = realloc(arr, sizeof(*arr) * (n + 1));                                        \
		cr_assert_not_null(arr);                                                           \
		memset(&arr[n], 0, sizeof(*arr));                                                  \
		&arr[n++];                                                                         \
	})

struct pfs_policy *tp_new(void)
{
	struct pfs_policy *p = calloc(1, sizeof(*p));
	cr_assert_not_null(p);
	return p;
}

struct pfs_mount_rule *tp_mount(struct pfs_policy *p, enum pfs_mount_action a, const char *value)
{
	struct pfs_rule_src s = src_of(p);
	struct pfs_mount_rule *r = GROW(p->mount_rules, p->n_mount_rules);
	r->action = a;
	r->value = value ? strdup(value) : NULL;
	r->src = s;
	return r;
}

void tp_mount_match(struct pfs_mount_rule *r, enum pfs_mount_field f, const char *pat)
{
	struct pfs_mount_match *m = GROW(r->matches, r->n_matches);
	m->field = f;
	m->glob = glob(pat, PFS_GLOB_TEXT);
}

void tp_mount_option(struct pfs_mount_rule *r, const char *name)
{
	char **o = GROW(r->options, r->n_options);
	*o = strdup(name);
}

void tp_maps(struct pfs_policy *p, enum pfs_maps_action a, const char *pat, const char *value)
{
	struct pfs_rule_src s = src_of(p);
	struct pfs_maps_rule *r = GROW(p->maps_rules, p->n_maps_rules);
	r->action = a;
	r->glob = glob(pat, PFS_GLOB_TEXT);
	r->value = value ? strdup(value) : NULL;
	r->src = s;
}

void tp_fd(struct pfs_policy *p, const char *pat)
{
	struct pfs_rule_src s = src_of(p);
	struct pfs_fd_rule *r = GROW(p->fd_rules, p->n_fd_rules);
	r->glob = glob(pat, PFS_GLOB_TEXT);
	r->src = s;
}

void tp_env(struct pfs_policy *p, const char *pat, enum pfs_environ_scope sc, const char *value)
{
	struct pfs_rule_src s = src_of(p);
	struct pfs_environ_rule *r = GROW(p->environ_rules, p->n_environ_rules);
	r->glob = glob(pat, PFS_GLOB_TEXT);
	r->scope = sc;
	r->value = value ? strdup(value) : NULL;
	r->src = s;
}

void tp_replace(struct pfs_policy *p, const char *path, const char *text)
{
	struct pfs_rule_src s = src_of(p);
	struct pfs_content_rule *r = GROW(p->content_rules, p->n_content_rules);
	r->action = PFS_CONTENT_REPLACE;
	r->path = glob(path, PFS_GLOB_PATH);
	r->text = strdup(text);
	r->text_len = strlen(text);
	r->src = s;
}

void tp_hide_lines(struct pfs_policy *p, const char *path, const char *regex)
{
	struct pfs_rule_src s = src_of(p);
	struct pfs_content_rule *r = GROW(p->content_rules, p->n_content_rules);
	r->action = PFS_CONTENT_HIDE_LINES;
	r->path = glob(path, PFS_GLOB_PATH);
	cr_assert_eq(regcomp(&r->re, regex, REG_EXTENDED | REG_NOSUB), 0);
	r->has_re = true;
	r->src = s;
}

void tp_free(struct pfs_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_mount_rules; i++) {
		struct pfs_mount_rule *r = &p->mount_rules[i];
		for (size_t j = 0; j < r->n_matches; j++)
			pfs_glob_free(r->matches[j].glob);
		for (size_t j = 0; j < r->n_options; j++)
			free(r->options[j]);
		free(r->matches);
		free(r->options);
		free(r->value);
	}
	for (size_t i = 0; i < p->n_maps_rules; i++) {
		pfs_glob_free(p->maps_rules[i].glob);
		free(p->maps_rules[i].value);
	}
	for (size_t i = 0; i < p->n_fd_rules; i++)
		pfs_glob_free(p->fd_rules[i].glob);
	for (size_t i = 0; i < p->n_environ_rules; i++) {
		pfs_glob_free(p->environ_rules[i].glob);
		free(p->environ_rules[i].value);
	}
	for (size_t i = 0; i < p->n_content_rules; i++) {
		struct pfs_content_rule *r = &p->content_rules[i];
		pfs_glob_free(r->path);
		free(r->text);
		if (r->has_re)
			regfree(&r->re);
	}
	free(p->mount_rules);
	free(p->maps_rules);
	free(p->fd_rules);
	free(p->environ_rules);
	free(p->content_rules);
	free(p);
}

static void record(void *opaque, enum pfs_trace_action a, const char *what, size_t len,
		   const struct pfs_rule_src *rule)
{
	struct tr_rec *rec = opaque;
	cr_assert_lt(rec->n, sizeof(rec->ev) / sizeof(rec->ev[0]));
	struct tr_event *e = &rec->ev[rec->n++];
	e->action = a;
	snprintf(e->what, sizeof(e->what), "%.*s", (int)len, what);
	e->line = rule ? rule->line : 0;
	if (rule)
		cr_assert_str_eq(rule->file, "test.policy");
}

struct pfs_trace tr_recorder(struct tr_rec *rec)
{
	memset(rec, 0, sizeof(*rec));
	return (struct pfs_trace){.event = record, .opaque = rec};
}

char *tp_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open %s", path);
	struct pfs_buf b = PFS_BUF_INIT;
	for (;;) {
		cr_assert_eq(pfs_buf_reserve(&b, 65536), 0);
		ssize_t n = read(fd, b.data + b.len, 65536);
		cr_assert_geq(n, 0, "read %s", path);
		if (n == 0)
			break;
		b.len += (size_t)n;
	}
	close(fd);
	b.data[b.len] = '\0';
	return pfs_buf_steal(&b, len);
}
