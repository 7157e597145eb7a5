/* pfsbench: timing a scenario on every target and summarizing the samples (p50, p99). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfsbench.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void summarize(double *v, size_t n, struct stats *st)
{
	st->n = n;
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	st->p50 = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	size_t i99 = (size_t)ceil(0.99 * (double)n);
	st->p99 = v[i99 ? i99 - 1 : 0];
}

/* prefix + "/" + rel, where a leading "PID" in rel stands for arg. */
void make_path(char *out, size_t size, const struct target *t, const char *rel, int arg)
{
	if (!strncmp(rel, "PID", 3))
		snprintf(out, size, "%s/%d%s", t->prefix, arg, rel + 3);
	else
		snprintf(out, size, "%s%s%s", t->prefix, *rel ? "/" : "", rel);
}

/*
 * Runs one scenario on every applicable target: a warm-up, then repetitions
 * of a batch per target, round-robin with a rotating start, each operation
 * timed on its own.
 */
void run_scenario(struct scenario *s, int arg)
{
	unsigned total = cfg.samples / (s->div ? s->div : 1);
	unsigned batch = s->kind == OP_WALK ? 1 : 10;
	if (total < batch)
		total = batch;
	unsigned reps = (total + batch - 1) / batch;
	char path[NT][PATH_MAX];
	int fds[NT];
	double *v[NT];
	size_t n[NT];
	bool active[NT];
	uint64_t cpu0[NT], ops0[NT];
	for (int t = 0; t < NT; t++) {
		cpu0[t] = tg[t].pid ? daemon_cpu_ns(tg[t].pid) : 0;
		ops0[t] = tg[t].ops;
		s->cpu_us[t] = NAN;
		fds[t] = -1;
		v[t] = NULL;
		n[t] = 0;
		active[t] = tg[t].ok && (s->mask & M(t));
		s->st[t] = (struct stats){0};
		if (!active[t])
			continue;
		make_path(path[t], sizeof(path[t]), &tg[t], s->rel, arg);
		if (s->kind == OP_PREAD) {
			fds[t] = open(path[t], O_RDONLY | O_CLOEXEC);
			if (fds[t] < 0) {
				s->st[t].err = errno;
				active[t] = false;
				continue;
			}
		}
		v[t] = calloc(reps * batch, sizeof(double));
		if (!v[t])
			die("out of memory");
		unsigned warm = s->kind == OP_WALK ? 1 : 10;
		for (unsigned i = 0; i < warm && active[t]; i++) {
			int r = do_op(s->kind, path[t], fds[t], &s->st[t].seen);
			tg[t].ops++;
			if (r < 0) {
				s->st[t].err = -r;
				active[t] = false;
			}
		}
	}
	for (unsigned rep = 0; rep < reps; rep++) {
		for (int k = 0; k < NT; k++) {
			int t = (int)((rep + (unsigned)k) % NT);
			for (unsigned b = 0; b < batch && active[t]; b++) {
				uint64_t t0 = now_ns();
				int r = do_op(s->kind, path[t], fds[t], &s->st[t].seen);
				uint64_t t1 = now_ns();
				tg[t].ops++;
				if (r < 0) {
					s->st[t].err = -r;
					active[t] = false;
					break;
				}
				v[t][n[t]++] = (double)(t1 - t0) / 1000.0;
			}
		}
	}
	for (int t = 0; t < NT; t++) {
		if (tg[t].pid && tg[t].ops > ops0[t])
			s->cpu_us[t] = (double)(daemon_cpu_ns(tg[t].pid) - cpu0[t]) / 1000.0 /
				       (double)(tg[t].ops - ops0[t]);
		if (v[t] && !s->st[t].err)
			summarize(v[t], n[t], &s->st[t]);
		free(v[t]);
		if (fds[t] >= 0)
			close(fds[t]);
	}
}
