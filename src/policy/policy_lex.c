/* The policy lexer: words, quoted strings with escapes, /ERE/ tokens. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_i.h"

int plex_error(const struct plex *lx, unsigned col, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pfs_err_set(lx->err, EINVAL, "%s:%u:%u: %s", lx->file, lx->line, col, msg);
}

void ptok_clear(struct ptok *t)
{
	free(t->s);
	t->s = NULL;
	t->len = 0;
	t->col = 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

bool plex_at_end(struct plex *lx)
{
	while (lx->p < lx->eol && is_blank(*lx->p))
		lx->p++;
	return lx->p >= lx->eol || *lx->p == '#';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes one escape at lx->p (just past the backslash) into *out. */
static int decode_escape(struct plex *lx, const char *bs, char *out)
{
	if (lx->p >= lx->eol)
		return plex_error(lx, plex_col(lx, bs),
				  "backslash at the end of the line inside a quoted string; "
				  "close the string with '\"'");
	char c = *lx->p++;
	switch (c) {
	case 'n':
		*out = '\n';
		return 0;
	case 't':
		*out = '\t';
		return 0;
	case 'r':
		*out = '\r';
		return 0;
	case '\\':
	case '"':
		*out = c;
		return 0;
	case 'x': {
		int hi = lx->p < lx->eol ? hexval(lx->p[0]) : -1;
		int lo = lx->p + 1 < lx->eol ? hexval(lx->p[1]) : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return plex_error(lx, plex_col(lx, bs),
					  "bad \\x escape; write two hex digits, 01 to ff");
		lx->p += 2;
		*out = (char)(hi * 16 + lo);
		return 0;
	}
	default:
		return plex_error(lx, plex_col(lx, bs),
				  "unknown escape '\\%c' in a quoted string; use \\n, \\t, \\r, "
				  "\\\\, \\\" or \\xHH",
				  c);
	}
}

int plex_word(struct plex *lx, struct ptok *t)
{
	ptok_clear(t);
	if (plex_at_end(lx))
		return 1;
	const char *start = lx->p;
	t->col = plex_col(lx, start);
	/* Decoded text is never longer than the source. */
	char *buf = malloc((size_t)(lx->eol - start) + 1);
	if (!buf)
		return -ENOMEM;
	size_t n = 0;
	while (lx->p < lx->eol && !is_blank(*lx->p)) {
		if (*lx->p != '"') {
			buf[n++] = *lx->p++;
			continue;
		}
		const char *open = lx->p++;
		for (;;) {
			if (lx->p >= lx->eol) {
				free(buf);
				return plex_error(
					lx, plex_col(lx, open),
					"missing closing quote for the string opened here; "
					"add '\"' before the end of the line");
			}
			char c = *lx->p++;
			if (c == '"')
				break;
			if (c == '\\') {
				int r = decode_escape(lx, lx->p - 1, &c);
				if (r < 0) {
					free(buf);
					return r;
				}
			}
			buf[n++] = c;
		}
	}
	buf[n] = '\0';
	t->s = buf;
	t->len = n;
	return 0;
}

int plex_regex(struct plex *lx, struct ptok *t)
{
	ptok_clear(t);
	if (plex_at_end(lx))
		return 1;
	const char *start = lx->p;
	t->col = plex_col(lx, start);
	if (*start != '/')
		return plex_error(
			lx, t->col,
			"expected a /regular expression/ between slashes, e.g. /^Serial/");
	char *buf = malloc((size_t)(lx->eol - start) + 1);
	if (!buf)
		return -ENOMEM;
	size_t n = 0;
	lx->p++;
	for (;;) {
		if (lx->p >= lx->eol) {
			free(buf);
			return plex_error(lx, t->col,
					  "missing closing '/' for this regular expression; write "
					  "\\/ for a literal slash");
		}
		char c = *lx->p++;
		if (c == '/')
			break;
		if (c == '\\' && lx->p < lx->eol && *lx->p == '/') {
			buf[n++] = '/';
			lx->p++;
			continue;
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	if (lx->p < lx->eol && !is_blank(*lx->p)) {
		free(buf);
		return plex_error(lx, plex_col(lx, lx->p),
				  "unexpected text right after the closing '/'; add a space");
	}
	t->s = buf;
	t->len = n;
	return 0;
}
