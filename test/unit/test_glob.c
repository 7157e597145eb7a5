#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "pfs/glob.h"

static struct pfs_glob *compile(const char *pat, enum pfs_glob_kind kind)
{
	struct pfs_glob *g = NULL;
	struct pfs_error err = {0};
	int r = pfs_glob_compile(pat, kind, &g, &err);
	cr_assert_eq(r, 0, "compile '%s': %d %s", pat, r, err.msg);
	cr_assert_not_null(g);
	return g;
}

static bool pm(const char *pat, const char *path)
{
	struct pfs_glob *g = compile(pat, PFS_GLOB_PATH);
	struct pfs_match_ctx m = {.self_tgid = 42};
	bool r = pfs_glob_match(g, path, &m);
	pfs_glob_free(g);
	return r;
}

static bool tm(const char *pat, const char *s)
{
	struct pfs_glob *g = compile(pat, PFS_GLOB_TEXT);
	bool r = pfs_glob_match(g, s, NULL);
	pfs_glob_free(g);
	return r;
}

static void bad(const char *pat, enum pfs_glob_kind kind, const char *needle)
{
	struct pfs_glob *g = (struct pfs_glob *)1;
	struct pfs_error err = {0};
	int r = pfs_glob_compile(pat, kind, &g, &err);
	cr_assert_eq(r, -EINVAL, "'%s' should not compile", pat);
	cr_assert_null(g);
	cr_assert_eq(err.code, EINVAL);
	cr_assert(strstr(err.msg, needle), "'%s': message [%s] lacks [%s]", pat, err.msg, needle);
}

Test(glob, literal)
{
	cr_assert(pm("/proc/kcore", "/proc/kcore"));
	cr_assert_not(pm("/proc/kcore", "/proc/kcore2"));
	cr_assert_not(pm("/proc/kcore", "/proc/kcor"));
	cr_assert_not(pm("/proc/kcore", "/proc"));
	cr_assert_not(pm("/proc/kcore", "/proc/kcore/x"));
	cr_assert_not(pm("/proc/kcore", "proc/kcore"));
	cr_assert(pm("/proc", "/proc"));
	cr_assert(pm("/proc/kcore", "/proc//kcore/"), "empty components are ignored");
}

Test(glob, star_stays_in_component)
{
	cr_assert(pm("/proc/*/environ", "/proc/12/environ"));
	cr_assert(pm("/proc/*/environ", "/proc/self/environ"));
	cr_assert_not(pm("/proc/*/environ", "/proc/12/task/13/environ"));
	cr_assert(pm("/proc/kpage*", "/proc/kpagecount"));
	cr_assert(pm("/proc/kpage*", "/proc/kpage"));
	cr_assert_not(pm("/proc/kpage*", "/proc/kpage/x"));
	cr_assert(pm("/proc/*a*b*", "/proc/xxaybzz"));
	cr_assert_not(pm("/proc/*a*b*", "/proc/xxbyazz"));
	cr_assert(pm("/proc/*.*", "/proc/a.b.c"));
}

Test(glob, question_and_class)
{
	cr_assert(pm("/proc/tty?", "/proc/tty1"));
	cr_assert_not(pm("/proc/tty?", "/proc/tty"));
	cr_assert_not(pm("/proc/tty?", "/proc/tty12"));
	cr_assert(pm("/proc/[a-c]x", "/proc/bx"));
	cr_assert_not(pm("/proc/[a-c]x", "/proc/dx"));
	cr_assert(pm("/proc/[!a-c]x", "/proc/dx"));
	cr_assert_not(pm("/proc/[!a-c]x", "/proc/ax"));
	cr_assert(pm("/proc/[^a]x", "/proc/bx"));
	cr_assert(pm("/proc/[]a]", "/proc/]"));
	cr_assert(pm("/proc/[a-]", "/proc/-"));
	cr_assert_not(pm("/proc/a?b", "/proc/a/b"));
	cr_assert(pm("/proc/\\*", "/proc/*"));
	cr_assert_not(pm("/proc/\\*", "/proc/x"));
	cr_assert(pm("/proc/\\{pid}", "/proc/{pid}"));
}

Test(glob, globstar)
{
	cr_assert(pm("/proc/sys/**", "/proc/sys"), "** matches no component");
	cr_assert(pm("/proc/sys/**", "/proc/sys/kernel/core_pattern"));
	cr_assert_not(pm("/proc/sys/**", "/proc/sysvipc"));
	cr_assert(pm("/proc/**/environ", "/proc/environ"));
	cr_assert(pm("/proc/**/environ", "/proc/1/task/2/environ"));
	cr_assert_not(pm("/proc/**/environ", "/proc/1/environ2"));
	cr_assert(pm("/**", "/proc/anything/at/all"));
	cr_assert(pm("/proc/**/**/x", "/proc/x"));
	cr_assert(pm("/proc/**/task/**/x", "/proc/1/task/2/y/x"));
	cr_assert_not(pm("/proc/**/task/**/x", "/proc/1/tusk/2/y/x"));
}

Test(glob, placeholders)
{
	cr_assert(pm("/proc/{pid}/environ", "/proc/1/environ"));
	cr_assert(pm("/proc/{pid}/environ", "/proc/123456/environ"));
	cr_assert_not(pm("/proc/{pid}/environ", "/proc/self/environ"));
	cr_assert_not(pm("/proc/{pid}/environ", "/proc/12a/environ"));
	cr_assert_not(pm("/proc/{pid}", "/proc"));
	cr_assert(pm("/proc/{self}/mem", "/proc/42/mem"));
	cr_assert_not(pm("/proc/{self}/mem", "/proc/43/mem"));
	cr_assert_not(pm("/proc/{self}/mem", "/proc/042/mem"));
	cr_assert_not(pm("/proc/{self}/mem", "/proc/self/mem"));
	struct pfs_glob *g = compile("/proc/{self}", PFS_GLOB_PATH);
	struct pfs_match_ctx none = {.self_tgid = 0};
	cr_assert_not(pfs_glob_match(g, "/proc/0", &none), "no caller: {self} never matches");
	cr_assert_not(pfs_glob_match(g, "/proc/42", NULL));
	pfs_glob_free(g);
}

Test(glob, text_kind)
{
	cr_assert(tm("socket:*", "socket:[1234]"));
	cr_assert_not(tm("socket:*", "pipe:[1]"));
	cr_assert(tm("/home/*", "/home/alice/secret/file"), "TEXT '*' crosses '/'");
	cr_assert(tm("*_TOKEN", "GITHUB_TOKEN"));
	cr_assert_not(tm("*_TOKEN", "GITHUB_TOKENS"));
	cr_assert(tm("*SECRET*", "MY_SECRET_X"));
	cr_assert(tm("[[]heap]", "[heap]"));
	cr_assert(tm("a?c", "a/c"));
	cr_assert(tm("**", ""));
}

Test(glob, compile_errors)
{
	bad("proc/x", PFS_GLOB_PATH, "start it with /proc");
	bad("/proc/a**", PFS_GLOB_PATH, "whole path component");
	bad("/proc/[abc", PFS_GLOB_PATH, "unterminated '['");
	bad("/proc/[z-a]", PFS_GLOB_PATH, "reversed range");
	bad("/proc/{tid}", PFS_GLOB_PATH, "{pid}");
	bad("/proc/x{pid}", PFS_GLOB_PATH, "{pid}");
	bad("/proc/x\\", PFS_GLOB_PATH, "trailing backslash");
	bad("{pid}", PFS_GLOB_TEXT, "path globs only");
	bad("", PFS_GLOB_TEXT, "empty glob");
	struct pfs_error err = {0};
	struct pfs_glob *g = NULL;
	char big[5000];
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(pfs_glob_compile(big, PFS_GLOB_PATH, &g, &err), -EINVAL);
}

static void prefix_is(const char *pat, enum pfs_glob_kind kind, const char *want)
{
	struct pfs_glob *g = compile(pat, kind);
	size_t n = 99;
	const char *p = pfs_glob_literal_prefix(g, &n);
	cr_assert_str_eq(p, want, "prefix of %s", pat);
	cr_assert_eq(n, strlen(want));
	cr_assert_str_eq(pfs_glob_pattern(g), pat);
	pfs_glob_free(g);
}

Test(glob, literal_prefix)
{
	prefix_is("/proc/kcore", PFS_GLOB_PATH, "/proc/kcore");
	prefix_is("/proc/sys/**", PFS_GLOB_PATH, "/proc/sys");
	prefix_is("/proc/{pid}/environ", PFS_GLOB_PATH, "/proc/");
	prefix_is("/proc/kpage*", PFS_GLOB_PATH, "/proc/kpage");
	prefix_is("/proc/\\*x", PFS_GLOB_PATH, "/proc/*x");
	prefix_is("/**", PFS_GLOB_PATH, "");
	prefix_is("socket:*", PFS_GLOB_TEXT, "socket:");
	prefix_is("*_TOKEN", PFS_GLOB_TEXT, "");
}

Test(glob, prefix_is_consistent_with_match)
{
	const char *pats[] = {"/proc/sys/**", "/proc/{pid}/environ", "/proc/kpage*",
			      "/proc/net",    "/proc/*/task/**",     "/proc/[ab]c"};
	const char *paths[] = {"/proc/sys",	   "/proc/sys/kernel", "/proc/1/environ",
			       "/proc/kpagecount", "/proc/net",	       "/proc/1/task/2/x",
			       "/proc/ac",	   "/proc/self"};
	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		struct pfs_glob *g = compile(pats[i], PFS_GLOB_PATH);
		size_t n;
		const char *pre = pfs_glob_literal_prefix(g, &n);
		for (size_t j = 0; j < sizeof(paths) / sizeof(paths[0]); j++)
			if (pfs_glob_match(g, paths[j], NULL))
				cr_assert(!strncmp(paths[j], pre, n),
					  "%s matches %s but not prefix %s", pats[i], paths[j],
					  pre);
		pfs_glob_free(g);
	}
}

static bool rejects(const char *pat, const char *s)
{
	struct pfs_glob *g = compile(pat, PFS_GLOB_TEXT);
	bool r = pfs_glob_prefix_rejects(g, s, strlen(s));
	pfs_glob_free(g);
	return r;
}

Test(glob, prefix_rejects_on_the_literal_head)
{
	/* prefixes shorter than, equal to and longer than one 8-byte word */
	cr_assert(!rejects("/op*", "/opt/x"));
	cr_assert(rejects("/op*", "/tmp/x"));
	cr_assert(rejects("/op*", "/o"));
	cr_assert(!rejects("/opt/ten*", "/opt/tenant"));
	cr_assert(rejects("/opt/ten*", "/opt/tex"));
	cr_assert(!rejects("/opt/tenant00/lib/*", "/opt/tenant00/lib/a.so"));
	cr_assert(rejects("/opt/tenant00/lib/*", "/opt/tenant01/lib/a.so"));
	cr_assert(rejects("/opt/tenant00/lib/*", "/opt/tenant00/li"));
	cr_assert(rejects("/opt/tenant00/lib/*", "/opt/ten"));
	cr_assert(rejects("/opt/tenant00/lib/*", ""));
	/* no literal head: never rejects; escaped wildcards are literal */
	cr_assert(!rejects("*lib*", ""));
	cr_assert(!rejects("\\[heap\\]", "[heap]"));
	cr_assert(rejects("\\[heap\\]", "[stack]"));
	/* never rejects what matches */
	const char *pats[] = {"/opt/tenant0?/lib/*", "[heap]*", "/home/*/secret/*", "x"};
	const char *subj[] = {"/opt/tenant01/lib/x", "[heap]", "/home/a/secret/b", "x", "y"};
	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
		for (size_t j = 0; j < sizeof(subj) / sizeof(subj[0]); j++)
			if (tm(pats[i], subj[j]))
				cr_assert(!rejects(pats[i], subj[j]), "%s %s", pats[i], subj[j]);
	/* strnlen up to the prefix length is enough (mount fields) */
	struct pfs_glob *g = compile("/dev/mapper/*", PFS_GLOB_TEXT);
	cr_assert(!pfs_glob_prefix_rejects(g, "/dev/mapper/vg-root", strlen("/dev/mapper/")));
	char shorter[16] = "/dev/map";
	cr_assert(pfs_glob_prefix_rejects(g, shorter, strnlen(shorter, 12)));
	pfs_glob_free(g);
}

static bool cmp(const char *pat)
{
	struct pfs_glob *g = compile(pat, PFS_GLOB_PATH);
	bool r = pfs_glob_can_match_proc(g);
	pfs_glob_free(g);
	return r;
}

Test(glob, can_match_proc)
{
	cr_assert(cmp("/proc/kcore"));
	cr_assert(cmp("/proc"));
	cr_assert(cmp("/pr*/x"));
	cr_assert(cmp("/**/x"));
	cr_assert_not(cmp("/sys/kernel"));
	cr_assert_not(cmp("/"));
	cr_assert_not(cmp("/{pid}/environ"));
	cr_assert_not(cmp("/proc2/x"));
}

static bool sub(const char *a, const char *b, enum pfs_glob_kind k)
{
	struct pfs_glob *ga = compile(a, k), *gb = compile(b, k);
	bool r = pfs_glob_subsumes(ga, gb);
	pfs_glob_free(ga);
	pfs_glob_free(gb);
	return r;
}

Test(glob, subsumes)
{
	enum pfs_glob_kind P = PFS_GLOB_PATH;
	cr_assert(sub("/proc/kcore", "/proc/kcore", P));
	cr_assert(sub("/proc/sys/**", "/proc/sys", P));
	cr_assert(sub("/proc/sys/**", "/proc/sys/kernel/*", P));
	cr_assert(sub("/proc/*/environ", "/proc/{pid}/environ", P));
	cr_assert(sub("/proc/{pid}/environ", "/proc/{self}/environ", P));
	cr_assert(sub("/proc/{pid}/environ", "/proc/12/environ", P));
	cr_assert(sub("/proc/kpage*", "/proc/kpagecount", P));
	cr_assert(sub("/proc/**/environ", "/proc/*/task/*/environ", P));
	cr_assert_not(sub("/proc/sys/kernel/*", "/proc/sys/**", P));
	cr_assert_not(sub("/proc/{self}/environ", "/proc/{pid}/environ", P));
	cr_assert_not(sub("/proc/*/environ", "/proc/**/environ", P));
	cr_assert_not(sub("/proc/kcore", "/proc/kmsg", P));
	cr_assert(sub("socket:*", "socket:[1]*", PFS_GLOB_TEXT));
	cr_assert(sub("*", "anything?", PFS_GLOB_TEXT));
	cr_assert_not(sub("pipe:*", "socket:*", PFS_GLOB_TEXT));
}

static const char *gkey(const char *pat, char *buf)
{
	struct pfs_glob *g = compile(pat, PFS_GLOB_PATH);
	bool ok = pfs_glob_proc_key(g, buf, 64);
	pfs_glob_free(g);
	return ok ? buf : NULL;
}

static const char *pkey(const char *path, char *buf)
{
	return pfs_glob_path_key(path, buf, 64) ? buf : NULL;
}

Test(glob, index_keys)
{
	char b[64];
	cr_assert_str_eq(gkey("/proc/sys/**", b), "sys");
	cr_assert_str_eq(gkey("/proc/kcore", b), "kcore");
	cr_assert_str_eq(gkey("/proc/{pid}/environ", b), "#environ");
	cr_assert_str_eq(gkey("/proc/{self}/net/**", b), "#net");
	cr_assert_null(gkey("/proc/1/status", b), "numeric names have no key");
	cr_assert_null(gkey("/proc/*/environ", b));
	cr_assert_null(gkey("/proc/kpage*", b));
	cr_assert_null(gkey("/proc/{pid}", b));
	cr_assert_null(gkey("/proc/{pid}/*", b));
	cr_assert_null(gkey("/proc/**", b));
	cr_assert_null(gkey("/sys/x", b));
	cr_assert_str_eq(pkey("/proc/sys/kernel/x", b), "sys");
	cr_assert_str_eq(pkey("/proc/sys", b), "sys");
	cr_assert_str_eq(pkey("/proc/12/environ", b), "#environ");
	cr_assert_str_eq(pkey("/proc/12/task/13/environ", b), "#task");
	cr_assert_null(pkey("/proc/12", b));
	cr_assert_null(pkey("/proc", b));
	cr_assert_null(pkey("/other", b));
}
