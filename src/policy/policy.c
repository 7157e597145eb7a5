/* The policy object: creating, growing its file list, freeing. */
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "policy_i.h"

int pfs_policy_new_empty(struct pfs_policy **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

const char *pfs_policy_add_file(struct pfs_policy *p, const char *name)
{
	char **nf = realloc(p->files, (p->n_files + 1) * sizeof(*nf));
	if (!nf)
		return NULL;
	p->files = nf;
	char *copy = strdup(name);
	if (!copy)
		return NULL;
	p->files[p->n_files++] = copy;
	return copy;
}

void pfs_policy_mount_rule_free(struct pfs_mount_rule *m)
{
	for (size_t i = 0; i < m->n_matches; i++)
		pfs_glob_free(m->matches[i].glob);
	free(m->matches);
	free(m->value);
	for (size_t i = 0; i < m->n_options; i++)
		free(m->options[i]);
	free(m->options);
}

void pfs_policy_free(struct pfs_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_path_rules; i++)
		pfs_glob_free(p->path_rules[i].glob);
	free(p->path_rules);
	for (size_t i = 0; i < p->n_pid_rules; i++)
		pfs_glob_free(p->pid_rules[i].glob);
	free(p->pid_rules);
	for (size_t i = 0; i < p->n_mount_rules; i++)
		pfs_policy_mount_rule_free(&p->mount_rules[i]);
	free(p->mount_rules);
	for (size_t i = 0; i < p->n_maps_rules; i++) {
		pfs_glob_free(p->maps_rules[i].glob);
		free(p->maps_rules[i].value);
	}
	free(p->maps_rules);
	for (size_t i = 0; i < p->n_fd_rules; i++)
		pfs_glob_free(p->fd_rules[i].glob);
	free(p->fd_rules);
	for (size_t i = 0; i < p->n_environ_rules; i++) {
		pfs_glob_free(p->environ_rules[i].glob);
		free(p->environ_rules[i].value);
	}
	free(p->environ_rules);
	for (size_t i = 0; i < p->n_content_rules; i++) {
		struct pfs_content_rule *c = &p->content_rules[i];
		pfs_glob_free(c->path);
		free(c->text);
		if (c->has_re)
			regfree(&c->re);
	}
	free(p->content_rules);
	free(p->limits);
	pfs_policy_free_index(p->path_index);
	for (size_t i = 0; i < p->n_files; i++)
		free(p->files[i]);
	free(p->files);
	free(p);
}
