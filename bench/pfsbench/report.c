/* pfsbench: the markdown report (tables, headline figures, goals). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "pfsbench.h"
#include "pfs/sysinfo.h"

FILE *md;

__attribute__((format(printf, 1, 2))) static void out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(md, fmt, ap);
	va_end(ap);
}

static void fmt_us(char *buf, size_t size, double us)
{
	if (us >= 10000)
		snprintf(buf, size, "%.0f", us);
	else if (us >= 100)
		snprintf(buf, size, "%.0f", us);
	else
		snprintf(buf, size, "%.1f", us);
}

static const int col_order[NT] = {T_NATIVE,  T_NULL, T_FLOOR, T_PASS,
				  T_DEFAULT, T_ALT,  T_R200,  T_LXCFS};

/* Columns of the table: the alternate build only when one was given. */
static bool shown(int t)
{
	return t != T_ALT || cfg.alt;
}

static void table_row(const struct scenario *s)
{
	out("| %s |", s->name);
	const struct stats *nat = &s->st[T_NATIVE];
	for (int k = 0; k < NT; k++) {
		int t = col_order[k];
		if (!shown(t))
			continue;
		const struct stats *st = &s->st[t];
		if (!(s->mask & M(t)) || !tg[t].ok) {
			out(" – |");
		} else if (st->err) {
			out(" error: %s |", strerror(st->err));
		} else if (!st->n) {
			out(" – |");
		} else {
			char a[32], b[32];
			fmt_us(a, sizeof(a), st->p50);
			fmt_us(b, sizeof(b), st->p99);
			if (t == T_NATIVE || !nat->n)
				out(" %s / %s |", a, b);
			else
				out(" %s / %s (%.1f×) |", a, b, st->p50 / nat->p50);
		}
	}
	const struct stats *d = &s->st[T_DEFAULT], *nl = &s->st[T_NULL];
	if (d->n && nl->n)
		out(" %.2f× |", d->p50 / nl->p50);
	else
		out(" – |");
	if (cfg.alt && s->st[T_ALT].n && nl->n)
		out(" %.2f× |", s->st[T_ALT].p50 / nl->p50);
	else if (cfg.alt)
		out(" – |");
	const int cpu_cols[] = {T_NULL, T_DEFAULT};
	for (size_t i = 0; i < 2; i++) {
		double us = s->cpu_us[cpu_cols[i]];
		if (isnan(us) || !s->st[cpu_cols[i]].n)
			out(" – |");
		else
			out(" %.0f |", us);
	}
	out("\n");
}

static double ratio(const struct scenario *s, int a, int b)
{
	if (!s->st[a].n || !s->st[b].n)
		return NAN;
	return s->st[a].p50 / s->st[b].p50;
}

static const char *met(bool ok)
{
	return ok ? "**met**" : "**not met**";
}

static void machine(void)
{
	char model[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[512];
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');
		if (!strncmp(line, "model name", 10) && c) {
			snprintf(model, sizeof(model), "%s", c + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
	struct utsname u;
	uname(&u);
	time_t now = time(NULL);
	char date[64];
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	char placement[160];
	if (cfg.cpu >= 0)
		snprintf(placement, sizeof(placement),
			 "latency scenarios with the bench and all daemons pinned to CPU %d "
			 "(BENCH_CPU); concurrency unpinned",
			 cfg.cpu);
	else
		snprintf(placement, sizeof(placement), "not pinned (BENCH_CPU=none)");
	out("## Machine\n\n- CPU: %s, %ld online CPUs (nproc)\n- kernel: %s %s %s\n- date: %s\n"
	    "- mode: %s\n- placement: %s\n\n",
	    model, sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, u.machine, date,
	    cfg.smoke	? "smoke test (a few samples: figures meaningless)"
	    : cfg.quick ? "BENCH_QUICK=1 (short run, fewer samples)"
			: "full",
	    placement);
}

static double geomean_ratio(int a, int b, double *worst, const char **worst_name)
{
	double sum = 0;
	int n = 0;
	*worst = 0;
	for (size_t i = 0; i < NFILES; i++) {
		if (!files[i].per_file)
			continue;
		double r = ratio(&files[i], a, b);
		if (isnan(r))
			continue;
		sum += log(r);
		n++;
		if (r > *worst) {
			*worst = r;
			*worst_name = files[i].name;
		}
	}
	return n ? exp(sum / n) : NAN;
}

/*
 * Issue 18: each virtualised file (default.policy says `sysinfo virtual`, the
 * daemon reads the benchmark's own cgroups) against LXCFS and against the
 * same file unvirtualised (passthrough.policy) in the same run.
 */
static void sysinfo_goals(void)
{
	out("\n## The sandbox's machine (issue 18)\n\n"
	    "default.policy virtualises these files from the benchmark's own cgroups "
	    "(`cgroup_pid=`, v1 here); passthrough.policy serves them unvirtualised through "
	    "the same daemon. p50 µs per open+read+close. The last column is what the null proxy "
	    "(bare FUSE, no work at all) reaches against LXCFS: where it is under 3×, so is any "
	    "FUSE daemon. cgroup figures are reused for %llu ms (a read after that pays the "
	    "cgroup reads).\n\n"
	    "| file | virtual | unvirtual | LXCFS | LXCFS / virtual (goal ≥ 3×) | virtual / "
	    "unvirtual (goal ≤ 1.2×) | LXCFS / null proxy |\n|---|---|---|---|---|---|---|\n",
	    PFS_SYSINFO_CACHE_NS / 1000000);
	for (size_t i = 4; i < 9; i++) {
		const struct scenario *s = &files[i];
		double lx = ratio(s, T_LXCFS, T_DEFAULT), own = ratio(s, T_DEFAULT, T_PASS);
		double floor = ratio(s, T_LXCFS, T_NULL);
		out("| %s | %.1f | %.1f | ", s->name, s->st[T_DEFAULT].p50, s->st[T_PASS].p50);
		if (tg[T_LXCFS].ok && !isnan(lx))
			out("%.1f | %.1f× %s | ", s->st[T_LXCFS].p50, lx, met(lx >= 3.0));
		else
			out("– | – | ");
		out("%.2f× %s | ", own, met(own <= 1.2));
		if (isnan(floor))
			out("– |\n");
		else
			out("%.1f× |\n", floor);
	}
}

/* One cell: the victim's p99 and the daemon's peak RSS, or the victim's failure. */
static void hostile_cell(int t, int a)
{
	const struct hostile *h = &ex.hostile[t];
	double idle = h->p99_ms[A_IDLE], bound = 3 * idle > 30 ? 3 * idle : 30;
	if (h->err[a])
		out(" %.1f ms (victim: %s) | %.1f MiB |", h->p99_ms[a], strerror(h->err[a]),
		    h->hwm_kib[a] / 1024.0);
	else
		out(" %.1f ms%s | %.1f MiB |", h->p99_ms[a],
		    a != A_IDLE && h->p99_ms[a] > bound ? " (over)" : "", h->hwm_kib[a] / 1024.0);
}

static void hostile_report(void)
{
	static const int who[] = {T_DEFAULT, T_ALT};
	out("\n## Hostile load (issue 14)\n\n"
	    "Each attack runs in processes other than the victim's against the daemon; the "
	    "victim opens, reads and closes self/status every 10 ms; p99 of its reads, and the "
	    "daemon's peak RSS (VmHWM, reset before each attack). Unpinned. The goal: the "
	    "victim's p99 within max(3× its idle p99, 30 ms), \"(over)\" where it is not.\n\n"
	    "| attack |");
	for (size_t k = 0; k < 2; k++)
		if (tg[who[k]].ok)
			out(" %s: victim p99 | %s: daemon peak RSS |", tg[who[k]].label,
			    tg[who[k]].label);
	out("\n|---|");
	for (size_t k = 0; k < 2; k++)
		if (tg[who[k]].ok)
			out("---|---|");
	out("\n");
	for (int a = 0; a < NATTACKS; a++) {
		out("| %s |", hostile_names[a]);
		for (size_t k = 0; k < 2; k++)
			if (tg[who[k]].ok)
				hostile_cell(who[k], a);
		out("\n");
	}
	out("\nThe smaps attacks' reads (opened and read to the end, or failed: ENOMEM past the "
	    "budget):");
	for (int a = A_SMAPS; a <= A_SMAPS_BIG; a++)
		for (size_t k = 0; k < 2; k++)
			if (tg[who[k]].ok)
				out(" %s, %s: %ld whole, %ld failed;", hostile_names[a],
				    tg[who[k]].label, ex.hostile[who[k]].served[a],
				    ex.hostile[who[k]].refused[a]);
	out("\n");
}

/* Issue 16's stress-ng goal and issue 15's cost of each way to the real object. */
static void sandbox_report(void)
{
	const struct sng_result *r = &ex.sng;
	out("\n## Inside `pfs run` (issues 15 and 16)\n\n"
	    "`stress-ng --procfs 2 -t %us --metrics-brief`, rounds: %u, native and sandboxed "
	    "alternating, unpinned; median bogo-ops/s of the rounds (stress-ng's real-time "
	    "figure). Native: the kernel's proc of fresh pid, mount, net, ipc and uts "
	    "namespaces, stress-ng as host uid 100000 (the id of the sandbox's root), so both "
	    "see the same few processes and the same readable files; only /proc (and the "
	    "sandbox's seccomp filters) differ. Daemon CPU: utime+stime of the sandbox's "
	    "procfilterfs over the stress-ng run, per 1000 bogo-ops. Null proxy: the same "
	    "fresh proc served through bench/nullproxy.c (a bare FUSE passthrough doing no "
	    "work) mounted on /proc. FUSE floor: the same proxy with `-o memo`, which serves "
	    "every file from memory after its first read (no system call per request): what "
	    "FUSE's round trips alone cost stress-ng.\n\n"
	    "| measure | native | null proxy | FUSE floor | pfs run, default.policy | null ÷ "
	    "native | floor ÷ native | pfs ÷ native (goal ≥ 0.8×) | pfs ÷ null | daemon CPU ms "
	    "per 1000 bogo-ops |\n"
	    "|---|---|---|---|---|---|---|---|---|---|\n",
	    r->secs, r->rounds);
	const double *bo = r->bops_s;
	if (isnan(bo[SNG_NATIVE]) || isnan(bo[SNG_PFS]) || !r->rounds)
		out("| `stress-ng --procfs 2` (bogo-ops/s) | – | – | – | – | – | – | not measured "
		    "| "
		    "– | – |\n");
	else
		out("| `stress-ng --procfs 2` (bogo-ops/s) | %.1f | %.1f | %.1f | %.1f | %.2f× | "
		    "%.2f× | %.2f× %s | %.2f× | %.1f |\n",
		    bo[SNG_NATIVE], bo[SNG_NULL], bo[SNG_FLOOR], bo[SNG_PFS],
		    bo[SNG_NULL] / bo[SNG_NATIVE], bo[SNG_FLOOR] / bo[SNG_NATIVE],
		    bo[SNG_PFS] / bo[SNG_NATIVE], met(bo[SNG_PFS] / bo[SNG_NATIVE] >= 0.8),
		    bo[SNG_PFS] / bo[SNG_NULL], r->cpu_ms_per_k);
	if (r->note[0])
		out("\nNote: stress-ng: %s\n", r->note);

	out("\nReaching the real object through /proc (docs/compat.md, \"The object behind a "
	    "link\", \"System calls on /proc files\", \"pidfds and namespaces\"): µs per "
	    "operation, `p50 / p99`, with the bench pinned like the latency scenarios. Inside "
	    "one `pfs run` sandbox (default.policy), procfilterfs's `/proc` and the kernel's proc "
	    "of the same sandbox (`--unsafe-kernel-proc /kproc`), interleaved; \"no sandbox\" is "
	    "the bench's own kernel proc, without pfs run's object supervisor (the seccomp "
	    "user notification that every sendfile, splice, pidfd_send_signal and setns of the "
	    "sandbox pays, on either proc). The PID is the caller's own.\n\n"
	    "| operation | no sandbox | pfs run, kernel proc | pfs run, procfilterfs | "
	    "procfilterfs ÷ kernel proc | daemon CPU ms per 1000 ops |\n"
	    "|---|---|---|---|---|---|\n");
	for (int row = 0; row < NOBJ; row++) {
		const struct obj_row *o = &ex.obj[row];
		out("| %s |", obj_names[row]);
		if (o->skip[0] && !o->st[OBJ_PFS].n) {
			out(" skipped: %s | | | | |\n", o->skip);
			continue;
		}
		for (int k = 0; k < NOBJCOL; k++) {
			const struct stats *st = &o->st[k];
			char a[32], b[32];
			fmt_us(a, sizeof(a), st->p50);
			fmt_us(b, sizeof(b), st->p99);
			if (row == OB_SENDFILE && st->n)
				out(" %s / %s (%s) |", a, b,
				    st->err ? strerrorname_np(st->err) : "ok");
			else if (st->err)
				out(" error: %s |", strerror(st->err));
			else if (!st->n)
				out(" – |");
			else
				out(" %s / %s |", a, b);
		}
		const struct stats *kp = &o->st[OBJ_KPROC], *pf = &o->st[OBJ_PFS];
		if (kp->n && pf->n && (row == OB_SENDFILE || (!kp->err && !pf->err)))
			out(" %.1f× |", pf->p50 / kp->p50);
		else
			out(" – |");
		out(" %.1f |\n", o->cpu_ms_per_k);
	}
	if (ex.obj_note[0])
		out("\nNote: objects: %s\n", ex.obj_note);
	for (int row = 0; row < NOBJ; row++)
		if (ex.obj[row].skip[0] && ex.obj[row].st[OBJ_PFS].n)
			out("\nNote: %s: %s\n", obj_names[row], ex.obj[row].skip);
}

/*
 * Issue 16: what FUSE's round trips cost by themselves. A goal that the
 * floor misses is out of reach for any FUSE daemon making those requests.
 */
static void floor_report(void)
{
	if (!tg[T_FLOOR].ok)
		return;
	out("\n## The FUSE floor (issue 16)\n\n"
	    "The same requests answered from memory (`nullproxy -o memo`: no system call, no "
	    "filtering, no per-caller work). p50 in µs; a walk is one readdir of /proc and an "
	    "open, two reads and a release of stat, status and cmdline per process.\n\n"
	    "| measure | native | FUSE floor | pfs default | floor ÷ native | default ÷ floor |\n"
	    "|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < NWALKS; i++) {
		const struct stats *st = walks[i].st;
		if (!st[T_FLOOR].n || !st[T_NATIVE].n || !st[T_DEFAULT].n)
			continue;
		out("| %s | %.0f | %.0f | %.0f | %.1f× | %.2f× |\n", walks[i].name,
		    st[T_NATIVE].p50, st[T_FLOOR].p50, st[T_DEFAULT].p50,
		    st[T_FLOOR].p50 / st[T_NATIVE].p50, st[T_DEFAULT].p50 / st[T_FLOOR].p50);
	}
	double walk200 = ratio(&walks[1], T_FLOOR, T_NATIVE);
	out("\nA walk of 200 processes costs the floor %.1f× native: the goal of ≤ 3× native is "
	    "%s for a daemon that answers these requests.",
	    walk200,
	    isnan(walk200)  ? "not measured"
	    : walk200 > 3.0 ? "out of reach"
			    : "within reach");
	const double *b = ex.sng.bops_s;
	if (!isnan(b[SNG_FLOOR]) && !isnan(b[SNG_NATIVE]))
		out(" stress-ng through the floor: %.2f× native bogo-ops/s, so its goal of ≥ 0.8× "
		    "is %s.",
		    b[SNG_FLOOR] / b[SNG_NATIVE],
		    b[SNG_FLOOR] / b[SNG_NATIVE] < 0.8 ? "out of reach too" : "within reach");
	out("\n");
}

void report(void)
{
	if (cfg.hostile_only) {
		hostile_report();
		return;
	}
	double nat_geo_w, null_geo_w, r200_w;
	const char *nat_w = "", *null_w = "", *r200_wn = "";
	double nat_geo = geomean_ratio(T_DEFAULT, T_NATIVE, &nat_geo_w, &nat_w);
	double null_geo = geomean_ratio(T_DEFAULT, T_NULL, &null_geo_w, &null_w);
	double r200_geo = geomean_ratio(T_R200, T_DEFAULT, &r200_w, &r200_wn);
	double lx[3];
	double lx_min = INFINITY;
	for (int i = 0; i < 3; i++) {
		lx[i] = ratio(&files[4 + i], T_LXCFS, T_DEFAULT);
		if (!isnan(lx[i]) && lx[i] < lx_min)
			lx_min = lx[i];
	}
	bool have_lx = tg[T_LXCFS].ok && !isinf(lx_min);
	double walk200 = ratio(&walks[1], T_DEFAULT, T_NATIVE);
	double two = ex.tput[T_DEFAULT][1] / ex.tput[T_DEFAULT][0];
	double rss1000 = ex.rss_1000[T_DEFAULT] / 1024.0;
	double growth = (ex.rss_end - ex.rss_25k) / 1024.0;

	out("# procfilterfs benchmark results\n\n"
	    "Generated by `make bench` (bench/pfsbench/, scripts/bench.sh). All figures "
	    "come from one run: every target is measured in the same pass, round-robin, "
	    "so the ratios are comparable even on a noisy machine; absolute µs are not.\n\n");
	out("## Headline\n\n");
	out("- Per-file open+read+close with `default.policy`: **%.1f× native** procfs and "
	    "**%.2f× the null FUSE proxy** (geometric mean over %s files; worst %.2f× on %s).\n",
	    nat_geo, null_geo, "9", null_geo_w, null_w);
	if (have_lx)
		out("- Against LXCFS 5.0.3 on meminfo / uptime / stat: **%.1f× / %.1f× / %.1f× "
		    "faster**.\n",
		    lx[0], lx[1], lx[2]);
	else
		out("- LXCFS: not measured (%s).\n", tg[T_LXCFS].note);
	out("- `ps aux`-like walk of 200 processes: **%.1f× native** (%.1f ms vs %.1f ms).\n",
	    walk200, walks[1].st[T_DEFAULT].p50 / 1000, walks[1].st[T_NATIVE].p50 / 1000);
	out("- A 200-rule policy costs **%.2f×** `default.policy` per file (geometric mean).\n",
	    r200_geo);
	out("- Daemon RSS: %.1f MiB with 1000 processes; %+.2f MiB over %ld opens after "
	    "the first quarter.\n",
	    rss1000, growth * 1.0, ex.rss_opens);
	out("- 2 concurrent readers: %.2f× the throughput of 1 (2 shared vCPUs).\n", two);
	const double *sb = ex.sng.bops_s;
	if (!isnan(sb[SNG_NATIVE]) && !isnan(sb[SNG_PFS]) && ex.sng.rounds)
		out("- `stress-ng --procfs 2` inside `pfs run`: **%.2f× native** bogo-ops/s (goal "
		    "≥ 0.8×; the bare FUSE proxy over the same proc: %.2f×, the FUSE floor: "
		    "%.2f×), %.1f ms of daemon CPU per 1000 bogo-ops.\n",
		    sb[SNG_PFS] / sb[SNG_NATIVE], sb[SNG_NULL] / sb[SNG_NATIVE],
		    sb[SNG_FLOOR] / sb[SNG_NATIVE], ex.sng.cpu_ms_per_k);
	out("\n");

	machine();

	out("## Per-operation latency\n\n"
	    "µs per operation, `p50 / p99 (ratio of p50 to native)`. "
	    "Targets: native procfs; null proxy = bench/nullproxy.c, a bare libfuse low-level "
	    "passthrough (1 s entry/attr cache, direct_io; no filtering and no per-caller "
	    "logic: its /proc/self is its own pid); FUSE floor = the same proxy with `-o memo`, "
	    "which reads each file once and then serves every open and read from memory with "
	    "no system call (the cost of FUSE's round trips alone: its content is stale, its "
	    "figures are a lower bound, not a target); procfilterfs with passthrough.policy, "
	    "default.policy and a generated 200-rule policy; LXCFS only for the files it "
	    "serves. Daemon CPU: the CPU time of the daemon's threads over the scenario "
	    "(schedstat; every target's operations interleaved) divided by its operations, "
	    "µs per operation (per walk for the walks).\n\n");
	out("| scenario |");
	int ncols = 1;
	for (int k = 0; k < NT; k++)
		if (shown(col_order[k])) {
			out(" %s |", tg[col_order[k]].label);
			ncols++;
		}
	out(" default ÷ null |%s daemon CPU µs/op: null | daemon CPU µs/op: default |\n|---|",
	    cfg.alt ? " alt ÷ null |" : "");
	for (int k = 0; k < ncols + 2 + (cfg.alt ? 1 : 0); k++)
		out("---|");
	out("\n");
	for (size_t i = 0; i < NFILES; i++)
		table_row(&files[i]);
	for (size_t i = 0; i < sizeof(walks) / sizeof(*walks); i++)
		table_row(&walks[i]);
	out("\n");
	for (size_t i = 0; i < sizeof(walks) / sizeof(*walks); i++) {
		out("Walk over %ld processes, processes seen:", walk_procs[i]);
		for (int t = 0; t < NT; t++)
			if (walks[i].st[t].n)
				out(" %s %ld;", tg[t].key, walks[i].st[t].seen);
		out("\n");
	}
	out("\n## Concurrent readers\n\nopen+read+close of /proc/self/status in N reader "
	    "processes, total ops/s (median of the repetitions).\n\n"
	    "| target | 1 reader | 2 readers | 4 readers | 2 vs 1 | 4 vs 1 |\n"
	    "|---|---|---|---|---|---|\n");
	for (int t = 0; t < NT; t++) {
		if (!ex.tput[t][0])
			continue;
		out("| %s | %.0f | %.0f | %.0f | %.2f× | %.2f× |\n", tg[t].label, ex.tput[t][0],
		    ex.tput[t][1], ex.tput[t][2], ex.tput[t][1] / ex.tput[t][0],
		    ex.tput[t][2] / ex.tput[t][0]);
	}
	out("\n## Daemons\n\n| target | CPU ms per 1000 ops (per-op scenarios) | RSS with 1000 "
	    "processes (MiB) |\n|---|---|---|\n");
	for (int t = T_NULL; t < NT; t++) {
		if (!tg[t].ok)
			continue;
		char rss[32] = "–";
		if (ex.rss_1000[t] > 0)
			snprintf(rss, sizeof(rss), "%.1f", ex.rss_1000[t] / 1024.0);
		out("| %s | %.3f | %s |\n", tg[t].label, ex.cpu_ms_per_k[t], rss);
	}
	out("\nRSS of procfilterfs (default.policy) over %ld opens (self/status, meminfo, "
	    "PID/stat of many pids): %.1f MiB after a 1000-open warm-up, %.1f MiB after "
	    "%ld, %.1f MiB at the end.\n",
	    ex.rss_opens, ex.rss_start / 1024.0, ex.rss_25k / 1024.0, ex.rss_opens / 4,
	    ex.rss_end / 1024.0);
	if (ex.monitor_err)
		out("\nMonitor: pfs_monitor_sample_once failed: %s\n", strerror(ex.monitor_err));
	else
		out("\nMonitor (pfs_monitor_sample_once on the backing proc) at %llu processes: "
		    "%.0f µs CPU per sampling pass, i.e. %.2f%% of one CPU at 10 Hz.\n",
		    (unsigned long long)ex.monitor_procs, ex.monitor_us_per_pass,
		    ex.monitor_us_per_pass * 10 / 1e6 * 100);

	hostile_report();
	sandbox_report();
	floor_report();

	/* What the FUSE floor (the null proxy) itself reaches on the same measure. */
	double lxn[3];
	for (int i = 0; i < 3; i++)
		lxn[i] = ratio(&files[4 + i], T_LXCFS, T_NULL);
	double walk200_null = ratio(&walks[1], T_NULL, T_NATIVE);
	double two_null = ex.tput[T_NULL][1] / ex.tput[T_NULL][0];
	double two_native = ex.tput[T_NATIVE][1] / ex.tput[T_NATIVE][0];
	out("\n## Goals (issue 7)\n\nThe last column is what the null proxy (bare FUSE, no "
	    "filtering) reaches on the same measure in this run: where it misses a goal too, the "
	    "goal is out of reach for any FUSE daemon doing one round trip per request.\n\n"
	    "| measure | goal | measured (pfs default) | | null proxy, same measure |\n"
	    "|---|---|---|---|---|\n");
	out("| default.policy per-file p50 vs null proxy | ≤ 1.0× | %.2f× geomean, worst "
	    "%.2f× (%s) | %s | 1.00× |\n",
	    null_geo, null_geo_w, null_w, met(null_geo_w <= 1.0));
	if (have_lx)
		out("| vs LXCFS on meminfo, uptime, stat | ≥ 3× faster | %.1f×, %.1f×, %.1f× | "
		    "%s | %.1f×, %.1f×, %.1f× |\n",
		    lx[0], lx[1], lx[2], met(lx_min >= 3.0), lxn[0], lxn[1], lxn[2]);
	else
		out("| vs LXCFS on meminfo, uptime, stat | ≥ 3× faster | not measured | – | – |\n");
	out("| ps aux walk of 200 processes vs native | ≤ 3× | %.2f× | %s | %.2f× |\n", walk200,
	    met(walk200 <= 3.0), walk200_null);
	out("| 200-rule policy vs default.policy | ≤ 1.1× | %.2f× geomean, worst %.2f× (%s) "
	    "| %s | – |\n",
	    r200_geo, r200_w, r200_wn, met(r200_geo <= 1.1));
	out("| 2 readers vs 1 | ≥ 1.6× | %.2f× | %s | %.2f× (native: %.2f×) |\n", two,
	    met(two >= 1.6), two_null, two_native);
	out("| daemon RSS at 1000 processes | ≤ 16 MiB | %.1f MiB | %s | %.1f MiB |\n", rss1000,
	    met(rss1000 > 0 && rss1000 <= 16), ex.rss_1000[T_NULL] / 1024.0);
	out("| daemon RSS after %ld opens | flat | %+.2f MiB after the first quarter | %s | – |\n",
	    ex.rss_opens, growth, met(ex.rss_end > 0 && growth <= 1.0));
	out("\n\"Flat\" means under 1 MiB of growth between a quarter of the opens and the end. "
	    "Walk and per-file ratios compare p50s from the same run.\n");
	sysinfo_goals();
	for (int t = 0; t < NT; t++)
		if (tg[t].note[0])
			out("\nNote: %s: %s\n", tg[t].label, tg[t].note);
}
