/*
 * pfs audit: the text of suggested policy rules. Every rule the audit
 * suggests is built here, so the syntax lives in one place (docs/policy.md).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/audit.h"
#include "pfs/buf.h"
#include "pfs/cleanup.h"

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	char *s = NULL;
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

char *pfs_audit_rule_quote_always(const char *s)
{
	size_t n = strlen(s);
	char *q = malloc(2 * n + 3), *p = q;
	if (!q)
		return NULL;
	*p++ = '"';
	for (; *s; s++) {
		if (*s == '\n') {
			*p++ = '\\';
			*p++ = 'n';
			continue;
		}
		if (*s == '"' || *s == '\\')
			*p++ = '\\';
		*p++ = *s;
	}
	*p++ = '"';
	*p = '\0';
	return q;
}

char *pfs_audit_rule_quote(const char *s)
{
	if (*s && !strpbrk(s, " \t\n\r\"#\\"))
		return strdup(s);
	return pfs_audit_rule_quote_always(s);
}

char *pfs_audit_glob_escape(const char *s)
{
	char *e = malloc(2 * strlen(s) + 1), *p = e;
	if (!e)
		return NULL;
	for (; *s; s++) {
		if (strchr("*?[]{}\\", *s))
			*p++ = '\\';
		*p++ = *s;
	}
	*p = '\0';
	return e;
}

char *pfs_audit_rule_path(const char *action, const char *glob)
{
	cleanup_free char *g = pfs_audit_rule_quote(glob);
	return g ? fmt("%s %s", action, g) : NULL;
}

char *pfs_audit_rule_mount_drop(const char *field, const char *glob)
{
	cleanup_free char *g = pfs_audit_rule_quote(glob);
	return g ? fmt("mount drop %s=%s", field, g) : NULL;
}

char *pfs_audit_rule_mount_drop2(const char *f1, const char *g1, const char *f2, const char *g2)
{
	cleanup_free char *a = pfs_audit_rule_quote(g1);
	cleanup_free char *b = pfs_audit_rule_quote(g2);
	return a && b ? fmt("mount drop %s=%s %s=%s", f1, a, f2, b) : NULL;
}

char *pfs_audit_rule_mount_redact(const char *match_field, const char *match_glob,
				  const char *options)
{
	cleanup_free char *g = pfs_audit_rule_quote(match_glob);
	return g ? fmt("mount redact-options %s %s=%s", options, match_field, g) : NULL;
}

char *pfs_audit_rule_mount_rewrite(const char *match_field, const char *match_glob,
				   const char *source)
{
	cleanup_free char *g = pfs_audit_rule_quote(match_glob);
	cleanup_free char *v = pfs_audit_rule_quote(source);
	return g && v ? fmt("mount rewrite-source %s=%s to=%s", match_field, g, v) : NULL;
}

char *pfs_audit_rule_maps(const char *glob)
{
	cleanup_free char *g = pfs_audit_rule_quote(glob);
	return g ? fmt("maps redact %s", g) : NULL;
}

char *pfs_audit_rule_fd(const char *glob)
{
	cleanup_free char *g = pfs_audit_rule_quote(glob);
	return g ? fmt("fd hide %s", g) : NULL;
}

char *pfs_audit_rule_environ(const char *name)
{
	cleanup_free char *e = pfs_audit_glob_escape(name);
	cleanup_free char *g = e ? pfs_audit_rule_quote(e) : NULL;
	return g ? fmt("environ redact %s", g) : NULL;
}

char *pfs_audit_rule_lines(const char *path, const char *regex)
{
	cleanup_free char *p = pfs_audit_rule_quote(path);
	cleanup_buf struct pfs_buf re = PFS_BUF_INIT;
	for (const char *s = regex; *s; s++) {
		if (*s == '/' && pfs_buf_append(&re, "\\", 1) < 0)
			return NULL;
		if (pfs_buf_append(&re, s, 1) < 0)
			return NULL;
	}
	if (pfs_buf_reserve(&re, 0) < 0)
		return NULL;
	return p ? fmt("hide-lines %s /%s/", p, re.data) : NULL;
}

char *pfs_audit_rule_replace(const char *path, const char *text)
{
	cleanup_free char *p = pfs_audit_rule_quote(path);
	cleanup_free char *t = pfs_audit_rule_quote_always(text);
	return p && t ? fmt("replace %s %s", p, t) : NULL;
}

char *pfs_audit_rule_hide_pid(const char *comm)
{
	cleanup_free char *e = pfs_audit_glob_escape(comm);
	cleanup_free char *g = e ? pfs_audit_rule_quote(e) : NULL;
	return g ? fmt("hide-pid comm=%s", g) : NULL;
}

char *pfs_audit_rule_pids(const char *mode)
{
	return fmt("pids %s", mode);
}
