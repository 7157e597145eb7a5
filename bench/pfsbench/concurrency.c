/* pfsbench: throughput of concurrent reader processes per target. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfsbench.h"

/* Throughput (ops/s) of `readers` processes reading path for dur_ms. */
static double concurrent(const char *path, int readers, unsigned dur_ms)
{
	int pipefd[2];
	if (pipe(pipefd) < 0)
		die("pipe: %s", strerror(errno));
	uint64_t start = now_ns() + 30000000u; /* all start together */
	uint64_t end = start + (uint64_t)dur_ms * 1000000u;
	pid_t pids[8];
	for (int i = 0; i < readers; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(pipefd[0]);
			while (now_ns() < start)
				;
			uint64_t ops = 0;
			while (now_ns() < end) {
				if (read_file(path) < 0)
					_exit(1);
				ops++;
			}
			if (write(pipefd[1], &ops, sizeof(ops)) != sizeof(ops))
				_exit(1);
			_exit(0);
		}
	}
	close(pipefd[1]);
	uint64_t total = 0, ops;
	while (read(pipefd[0], &ops, sizeof(ops)) == sizeof(ops))
		total += ops;
	close(pipefd[0]);
	bool fail = false;
	for (int i = 0; i < readers; i++) {
		int status;
		waitpid(pids[i], &status, 0);
		fail |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	return fail ? -1 : (double)total * 1000.0 / dur_ms;
}

void pin_everything(int cpu)
{
	if (cfg.cpu < 0)
		return;
	set_affinity(0, cpu);
	for (int t = T_NULL; t < NT; t++)
		if (tg[t].pid)
			set_affinity_all(tg[t].pid, cpu);
}

void measure_concurrency(void)
{
	pin_everything(-1);
	static const int levels[3] = {1, 2, 4};
	static const int who[] = {T_NATIVE, T_NULL, T_PASS, T_DEFAULT, T_ALT};
	unsigned reps = cfg.quick ? 1 : 3, dur = cfg.smoke ? 50 : cfg.quick ? 200 : 400;
	double v[NT][3][3] = {{{0}}};
	for (unsigned rep = 0; rep < reps; rep++) {
		for (size_t k = 0; k < sizeof(who) / sizeof(*who); k++) {
			int t = who[(k + rep) % (sizeof(who) / sizeof(*who))];
			if (!tg[t].ok)
				continue;
			char path[PATH_MAX];
			make_path(path, sizeof(path), &tg[t], "self/status", 0);
			for (int l = 0; l < 3; l++)
				v[t][l][rep] = concurrent(path, levels[l], dur);
		}
	}
	pin_everything(cfg.cpu);
	for (int t = 0; t < NT; t++)
		for (int l = 0; l < 3; l++) {
			struct stats st = {0};
			summarize(v[t][l], reps, &st);
			ex.tput[t][l] = st.p50;
		}
}
