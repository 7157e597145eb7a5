/* pfs audit: human text and JSON output of the findings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/audit.h"
#include "pfs/cleanup.h"
#include "pfs/json.h"

#define ENTRY_MAX 240

/* null for NULL, else a JSON string. */
static void json_str(FILE *f, const char *s)
{
	if (s)
		pfs_json_str(f, s);
	else
		fputs("null", f);
}

/* The value and the entry as shown: redacted unless show_values. */
struct shown {
	char *value, *entry;
};

static void shown_free(struct shown *s)
{
	free(s->value);
	free(s->entry);
}

/* Counts, process names, sysctl paths, interface names, socket inodes and variable
 * names (memory) are shown as they are. */
static bool sensitive(const struct pfs_finding *fd)
{
	if (fd->value && !strncmp(fd->value, "socket:[", 8))
		return false; /* an inode number */
	return strcmp(fd->category, "pids") != 0 && strcmp(fd->category, "net") != 0 &&
	       strcmp(fd->category, "write") != 0 && strcmp(fd->category, "memory") != 0;
}

static int shown_make(const struct pfs_finding *fd, bool show_values, struct shown *s)
{
	show_values = show_values || !sensitive(fd);
	const char *v = fd->value ? fd->value : "";
	s->value = show_values ? strdup(v) : pfs_audit_redact(v);
	const char *e = fd->entry ? fd->entry : "";
	s->entry = show_values ? strdup(e) : pfs_audit_redact_in(e, fd->value);
	if (!s->value || !s->entry) {
		shown_free(s);
		return -1;
	}
	/* control characters (NULs of cmdline are gone already) as '?' */
	for (char *p = s->entry; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return 0;
}

void pfs_audit_print_text(FILE *f, const char *what, const struct pfs_findings *fs,
			  bool show_values)
{
	unsigned per[PFS_SEV_CRITICAL + 1] = {0};
	for (size_t i = 0; i < fs->n; i++)
		per[fs->v[i].severity]++;
	fprintf(f, "pfs audit of %s: %zu finding%s", what, fs->n, fs->n == 1 ? "" : "s");
	if (fs->n) {
		const char *sep = " (";
		for (int s = PFS_SEV_CRITICAL; s >= PFS_SEV_INFO; s--) {
			if (!per[s])
				continue;
			fprintf(f, "%s%u %s", sep, per[s], pfs_severity_name((enum pfs_severity)s));
			sep = ", ";
		}
		fputc(')', f);
	}
	fputc('\n', f);
	for (size_t i = 0; i < fs->n; i++) {
		const struct pfs_finding *fd = &fs->v[i];
		struct shown s;
		if (shown_make(fd, show_values, &s) < 0)
			continue;
		char sev[16];
		size_t k = 0;
		for (const char *p = pfs_severity_name(fd->severity); *p && k < sizeof(sev) - 1;
		     p++)
			sev[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		sev[k] = '\0';
		fprintf(f, "\n[%s] %s/%s", sev, fd->category, fd->check);
		if (fd->count > 1)
			fprintf(f, " (%u occurrences)", fd->count);
		fprintf(f, "\n  path:  %s\n", fd->path ? fd->path : "");
		if (strlen(s.entry) > ENTRY_MAX)
			fprintf(f, "  entry: %.*s...\n", ENTRY_MAX, s.entry);
		else
			fprintf(f, "  entry: %s\n", s.entry);
		fprintf(f, "  value: %s\n  why:   %s\n", s.value, fd->why ? fd->why : "");
		if (fd->rule) {
			const char *lead = "  rule:  ";
			for (const char *p = fd->rule; *p;) {
				size_t n = strcspn(p, "\n");
				fprintf(f, "%s%.*s\n", lead, (int)n, p);
				lead = "         ";
				p += n + (p[n] == '\n');
			}
		} else {
			fprintf(f, "  rule:  (none: not a policy matter, see why)\n");
		}
		if (fd->verify != PFS_VERIFY_NONE)
			fprintf(f, "  check: %s%s%s\n", pfs_verify_name(fd->verify),
				fd->verify_note ? ": " : "",
				fd->verify_note ? fd->verify_note : "");
		shown_free(&s);
	}
}

void pfs_audit_print_json(FILE *f, const char *what, const char *mode,
			  const struct pfs_findings *fs, bool show_values,
			  enum pfs_severity fail_on, bool failed)
{
	unsigned per[PFS_SEV_CRITICAL + 1] = {0};
	for (size_t i = 0; i < fs->n; i++)
		per[fs->v[i].severity]++;
	fputs("{\"proc\":", f);
	json_str(f, what);
	fputs(",\"mode\":", f);
	json_str(f, mode);
	fputs(",\"fail_on\":", f);
	json_str(f, pfs_severity_name(fail_on));
	fprintf(f, ",\"failed\":%s,\"summary\":{", failed ? "true" : "false");
	for (int s = PFS_SEV_INFO; s <= PFS_SEV_CRITICAL; s++)
		fprintf(f, "%s\"%s\":%u", s ? "," : "", pfs_severity_name((enum pfs_severity)s),
			per[s]);
	fputs("},\"findings\":[", f);
	for (size_t i = 0; i < fs->n; i++) {
		const struct pfs_finding *fd = &fs->v[i];
		struct shown s;
		if (shown_make(fd, show_values, &s) < 0)
			continue;
		fputs(i ? ",{" : "{", f);
		fputs("\"category\":", f);
		json_str(f, fd->category);
		fputs(",\"check\":", f);
		json_str(f, fd->check);
		fputs(",\"severity\":", f);
		json_str(f, pfs_severity_name(fd->severity));
		fputs(",\"path\":", f);
		json_str(f, fd->path);
		fputs(",\"entry\":", f);
		json_str(f, s.entry);
		fputs(",\"value\":", f);
		json_str(f, s.value);
		fputs(",\"why\":", f);
		json_str(f, fd->why);
		fputs(",\"rule\":", f);
		json_str(f, fd->rule);
		fprintf(f, ",\"count\":%u,\"verify\":", fd->count);
		json_str(f, fd->verify == PFS_VERIFY_NONE ? NULL : pfs_verify_name(fd->verify));
		fputs(",\"verify_note\":", f);
		json_str(f, fd->verify_note);
		fputc('}', f);
		shown_free(&s);
	}
	fputs("]}\n", f);
}
