/*
 * pfs audit: secrets in the environ and cmdline of visible processes.
 * Names like *_TOKEN, *SECRET*, *PASSWORD*, AWS_*_KEY; values like private
 * key headers, cloud and forge token formats, URLs with passwords, and
 * high-entropy values after token=/secret=/key=. Tuned against the usual
 * false positives: paths, booleans, GPG fingerprints, *_FILE indirections.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfs/audit.h"
#include "pfs/cleanup.h"

#define ENV_MAX (256 * 1024)

static const char *const secret_words[] = {
	"TOKEN",       "SECRET",  "PASSWORD", "PASSWD",	    "PASSPHRASE", "CREDENTIAL",
	"PRIVATE_KEY", "API_KEY", "APIKEY",   "ACCESS_KEY", "AUTH_KEY",	  "CLIENT_SECRET",
};
static const char *const secret_suffixes[] = {"_KEY", "_PASS", "_PWD", "_PAT"};
/* Names that look secret but hold pointers or public data. */
static const char *const benign_suffixes[] = {"_FILE",	 "_PATH", "_DIR",    "_URL_FILE",
					      "_TYPE",	 "_TTL",  "_EXPIRY", "_ENABLED",
					      "_LENGTH", "_NAME", "_ID_FILE"};
static const char *const benign_words[] = {"GPG",     "FINGERPRINT", "PUBLIC",	"PUBKEY",
					   "KEYRING", "KEYMAP",	     "KEYBOARD"};

static bool has_suffix(const char *s, size_t len, const char *suf)
{
	size_t l = strlen(suf);
	return len >= l && !memcmp(s + len - l, suf, l);
}

bool pfs_audit_secret_name(const char *name)
{
	char up[128];
	size_t len = 0;
	for (; len < sizeof(up) - 1 && name[len]; len++)
		up[len] = (char)toupper((unsigned char)name[len]);
	up[len] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(benign_words); i++)
		if (strstr(up, benign_words[i]))
			return false;
	for (size_t i = 0; i < ARRAY_SIZE(benign_suffixes); i++)
		if (has_suffix(up, len, benign_suffixes[i]))
			return false;
	for (size_t i = 0; i < ARRAY_SIZE(secret_words); i++)
		if (strstr(up, secret_words[i]))
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(secret_suffixes); i++)
		if (has_suffix(up, len, secret_suffixes[i]))
			return true;
	return false;
}

/* log2 without libm (the unit tests link the core without -lm). */
static double log2_approx(double x)
{
	double e = 0;
	while (x < 0.5)
		x *= 2, e -= 1;
	while (x >= 1)
		x /= 2, e += 1;
	/* x in [0.5, 1): ln x = 2 atanh((x-1)/(x+1)) */
	double y = (x - 1) / (x + 1), y2 = y * y, term = y, sum = 0;
	for (int k = 1; k < 40; k += 2) {
		sum += term / k;
		term *= y2;
	}
	return e + 2 * sum / 0.69314718055994530942;
}

double pfs_audit_entropy(const char *s, size_t len)
{
	if (!len)
		return 0;
	unsigned cnt[256] = {0};
	for (size_t i = 0; i < len; i++)
		cnt[(unsigned char)s[i]]++;
	double h = 0;
	for (size_t i = 0; i < 256; i++) {
		if (!cnt[i])
			continue;
		double p = (double)cnt[i] / (double)len;
		h -= p * log2_approx(p);
	}
	return h;
}

static size_t run_of(const char *s, const char *set_extra)
{
	size_t n = 0;
	while (s[n] && (isalnum((unsigned char)s[n]) || strchr(set_extra, s[n])))
		n++;
	return n;
}

static bool all_upper_alnum(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* scheme://user:password@host with a non-empty, non-variable password: *pw, *n. */
static bool url_with_password(const char *v, const char **pw, size_t *n)
{
	const char *p = strstr(v, "://");
	if (!p)
		return false;
	p += 3;
	size_t auth = strcspn(p, "/@ ");
	if (p[auth] != '@')
		return false;
	const char *colon = memchr(p, ':', auth);
	if (!colon || colon + 1 >= p + auth || colon[1] == '$')
		return false;
	*pw = colon + 1;
	*n = (size_t)(p + auth - *pw);
	return true;
}

bool pfs_audit_secret_span(const char *v, const char **why, size_t *off, size_t *len)
{
	static const char *const forge[] = {"ghp_",  "gho_",	    "ghu_",   "ghs_",
					    "ghr_",  "github_pat_", "glpat-", "xoxb-",
					    "xoxp-", "xoxa-",	    "xoxs-",  "npm_"};
	const char *at = v;
	size_t n = strlen(v);
	bool hit = false;
	if (strstr(v, "-----BEGIN") && strstr(v, "PRIVATE KEY")) {
		*why = "a private key";
		at = strstr(v, "-----BEGIN");
		n = strlen(at);
		hit = true;
	}
	for (const char *p = v; !hit && (p = strpbrk(p, "AG")); p++) {
		if ((!strncmp(p, "AKIA", 4) || !strncmp(p, "ASIA", 4)) &&
		    all_upper_alnum(p + 4, 16) && (p == v || !isalnum((unsigned char)p[-1]))) {
			*why = "an AWS access key id";
			at = p;
			n = 20;
			hit = true;
		}
	}
	for (size_t i = 0; !hit && i < ARRAY_SIZE(forge); i++) {
		const char *p = strstr(v, forge[i]);
		size_t run = p ? run_of(p + strlen(forge[i]), "_-") : 0;
		if (p && (p == v || !isalnum((unsigned char)p[-1])) && run >= 20) {
			*why = "an API token (GitHub, GitLab, Slack or npm format)";
			at = p;
			n = strlen(forge[i]) + run;
			hit = true;
		}
	}
	const char *jwt = hit ? NULL : strstr(v, "eyJ");
	if (jwt) {
		size_t a = run_of(jwt, "_-");
		size_t b = jwt[a] == '.' ? run_of(jwt + a + 1, "_-") : 0;
		if (a >= 10 && !strncmp(jwt + a + 1, "eyJ", 3) && b >= 10) {
			*why = "a JSON web token";
			at = jwt;
			n = a + 1 + b;
			if (jwt[n] == '.')
				n += 1 + run_of(jwt + n + 1, "_-");
			hit = true;
		}
	}
	if (!hit && url_with_password(v, &at, &n)) {
		*why = "a URL with an embedded password";
		hit = true;
	}
	if (hit) {
		*off = (size_t)(at - v);
		*len = n;
	}
	return hit;
}

bool pfs_audit_secret_value(const char *v, const char **why)
{
	size_t off, len;
	return pfs_audit_secret_span(v, why, &off, &len);
}

/* Values that, under a secret-looking name, still hold no secret. */
static bool benign_value(const char *v)
{
	size_t n = strlen(v);
	if (n < 4 || v[0] == '/' || v[0] == '$' || !strncmp(v, "file:", 5))
		return true;
	static const char *const words[] = {"true",	  "false",	"none",	    "null",
					    "disabled",	  "enabled",	"changeme", "redacted",
					    "<redacted>", "[redacted]", "xxxx"};
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (!strcasecmp(v, words[i]))
			return true;
	bool stars = true;
	for (const char *p = v; *p; p++)
		stars &= *p == '*';
	return stars;
}

struct ctx {
	const struct pfs_audit_opts *o;
	struct pfs_findings *out;
	char path[96];
	const char *comm;
};

static int add_env(struct ctx *c, const char *entry, const char *name, const char *value,
		   enum pfs_severity sev, const char *what)
{
	cleanup_free char *why = NULL;
	if (asprintf(&why,
		     "%s of another process ('%s') holds %s: anything in the sandbox can read "
		     "and use it",
		     "the environment", c->comm, what) < 0)
		return -ENOMEM;
	cleanup_free char *rule = pfs_audit_rule_environ(name);
	if (!rule)
		return -ENOMEM;
	return pfs_audit_add(c->out, "environ", "environ-secret", sev, PFS_AK_ENVIRON, c->path,
			     entry, value, why, rule);
}

static int scan_environ(struct ctx *c, const char *data, size_t len)
{
	for (const char *p = data; p < data + len; p += strlen(p) + 1) {
		const char *eq = strchr(p, '=');
		if (!eq || eq == p || (size_t)(eq - p) >= 128)
			continue;
		char name[128];
		memcpy(name, p, (size_t)(eq - p));
		name[eq - p] = '\0';
		const char *value = eq + 1, *what = NULL;
		int r = 0;
		if (pfs_audit_secret_value(value, &what))
			r = add_env(c, p, name, value, PFS_SEV_CRITICAL, what);
		else if (pfs_audit_secret_name(name) && !benign_value(value))
			r = add_env(c, p, name, value, PFS_SEV_HIGH, "a credential-like variable");
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_arg(struct ctx *c, const char *entry, const char *value, enum pfs_severity sev,
		   const char *what)
{
	cleanup_free char *why = NULL;
	if (asprintf(&why,
		     "the command line of another process ('%s') holds %s: command lines are "
		     "world-readable in proc",
		     c->comm, what) < 0)
		return -ENOMEM;
	cleanup_free char *rule = pfs_audit_rule_hide_pid(c->comm);
	if (!rule)
		return -ENOMEM;
	return pfs_audit_add(c->out, "cmdline", "cmdline-secret", sev, PFS_AK_PID, c->path, entry,
			     value, why, rule);
}

/* "--db-password" -> "DB_PASSWORD" in name; false when arg is not an option. */
static bool option_name(const char *arg, size_t len, char *name, size_t cap)
{
	if (arg[0] != '-')
		return false;
	while (len && *arg == '-')
		arg++, len--;
	if (!len || len >= cap)
		return false;
	for (size_t i = 0; i < len; i++)
		name[i] = arg[i] == '-' ? '_' : arg[i];
	name[len] = '\0';
	return true;
}

/* token=VALUE inside an argument (URL queries, key=value lists). */
static const char *keyed_value(const char *arg, size_t *vlen)
{
	static const char *const keys[] = {
		"token=", "secret=", "password=", "passwd=", "api_key=", "apikey=", "access_key="};
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *p = strcasestr(arg, keys[i]);
		if (!p)
			continue;
		p += strlen(keys[i]);
		*vlen = strcspn(p, "&;, \"'");
		return p;
	}
	return NULL;
}

static int scan_cmdline(struct ctx *c, char *data, size_t len)
{
	const char *prev_secret_opt = NULL;
	for (char *p = data; p < data + len; p += strlen(p) + 1) {
		const char *what = NULL;
		char name[128];
		size_t off = 0, slen = 0;
		int r = 0;
		const char *eq = strchr(p, '=');
		if (prev_secret_opt && !benign_value(p)) {
			r = add_arg(c, prev_secret_opt, p, PFS_SEV_HIGH,
				    "a password or token option");
		} else if (pfs_audit_secret_span(p, &what, &off, &slen)) {
			cleanup_free char *val = strndup(p + off, slen);
			if (!val)
				return -ENOMEM;
			r = add_arg(c, p, val, PFS_SEV_CRITICAL, what);
		} else if (eq && option_name(p, (size_t)(eq - p), name, sizeof(name)) &&
			   pfs_audit_secret_name(name) && !benign_value(eq + 1)) {
			r = add_arg(c, p, eq + 1, PFS_SEV_HIGH, "a password or token option");
		} else {
			size_t vlen = 0;
			const char *v = keyed_value(p, &vlen);
			if (v && vlen >= 16 && pfs_audit_entropy(v, vlen) >= 3.5) {
				cleanup_free char *val = strndup(v, vlen);
				if (!val)
					return -ENOMEM;
				r = add_arg(c, p, val, PFS_SEV_HIGH, "a high-entropy token");
			}
		}
		if (r < 0)
			return r;
		prev_secret_opt = NULL;
		if (!eq && option_name(p, strlen(p), name, sizeof(name)) &&
		    pfs_audit_secret_name(name))
			prev_secret_opt = p;
	}
	return 0;
}

static void read_comm(const struct pfs_audit_opts *o, pid_t pid, char *comm, size_t cap)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "%d/comm", (int)pid);
	cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
	snprintf(comm, cap, "pid %d", (int)pid);
	if (pfs_audit_read(o->proc_fd, rel, 64, &b) == 0 && b.len) {
		b.data[strcspn(b.data, "\n")] = '\0';
		snprintf(comm, cap, "%s", b.data);
	}
}

int pfs_audit_secrets(const struct pfs_audit_opts *o, struct pfs_findings *out)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;
	int r = pfs_audit_list_pids(o, &pids, &n);
	if (r < 0)
		return r == -ENOMEM ? r : 0;
	pid_t self = o->self_pid;
	for (size_t i = 0; i < n; i++) {
		if (pids[i] == self)
			continue;
		char comm[64], rel[64];
		read_comm(o, pids[i], comm, sizeof(comm));
		struct ctx c = {.o = o, .out = out, .comm = comm};
		cleanup_buf struct pfs_buf b = PFS_BUF_INIT;
		snprintf(rel, sizeof(rel), "%d/environ", (int)pids[i]);
		snprintf(c.path, sizeof(c.path), "/proc/%s", rel);
		if (pfs_audit_read(o->proc_fd, rel, ENV_MAX, &b) == 0 &&
		    (r = scan_environ(&c, b.data, b.len)) < 0)
			return r;
		snprintf(rel, sizeof(rel), "%d/cmdline", (int)pids[i]);
		snprintf(c.path, sizeof(c.path), "/proc/%s", rel);
		if (pfs_audit_read(o->proc_fd, rel, ENV_MAX, &b) == 0 &&
		    (r = scan_cmdline(&c, b.data, b.len)) < 0)
			return r;
	}
	return 0;
}
