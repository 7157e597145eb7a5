/*
 * Logging, to stderr or syslog, through one token bucket: a sandbox that
 * makes the daemon fail on purpose (thousands of opens over the cap) must not
 * be able to fill the host's disk or journal through it. The bucket is global,
 * not per message site: an attacker varies paths and operations at will, and
 * only a global bound bounds the volume. What is dropped is counted, reported
 * in the next line that passes and in a summary at exit. Debug logging (-d) is
 * an operator's explicit choice and is not limited.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "pfs/log.h"

static const char *log_ident = "pfs";
static enum pfs_log_level log_max = PFS_LOG_WARN;
static int log_syslog;

static pthread_mutex_t bucket_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	double burst, rate; /* lines; lines per second (0: no refill) */
	double tokens;
	double last; /* seconds, monotonic */
	unsigned long dropped; /* since the last line that passed */
	unsigned long dropped_total;
} bucket = {PFS_LOG_BURST, PFS_LOG_RATE, PFS_LOG_BURST, 0, 0, 0};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void pfs_log_init(const char *ident, enum pfs_log_level max, int use_syslog)
{
	log_ident = ident;
	log_max = max;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void pfs_log_set_level(enum pfs_log_level max)
{
	log_max = max;
}

void pfs_log_set_rate(unsigned burst, unsigned per_second)
{
	pthread_mutex_lock(&bucket_lock);
	bucket.burst = burst;
	bucket.rate = per_second;
	bucket.tokens = burst;
	bucket.last = now_seconds();
	pthread_mutex_unlock(&bucket_lock);
}

unsigned long pfs_log_suppressed(void)
{
	pthread_mutex_lock(&bucket_lock);
	unsigned long n = bucket.dropped_total;
	pthread_mutex_unlock(&bucket_lock);
	return n;
}

int pfs_log_enabled(enum pfs_log_level level)
{
	return level <= log_max;
}

static void emit(enum pfs_log_level level, const char *msg)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	if (log_syslog)
		syslog(prio[level], "%s", msg);
	else
		fprintf(stderr, "%s: %s: %s\n", log_ident, names[level], msg);
}

/* Takes a token; 0 when the line must be dropped. *dropped: lines dropped before it. */
static int take_token(unsigned long *dropped)
{
	pthread_mutex_lock(&bucket_lock);
	double t = now_seconds();
	if (bucket.last == 0)
		bucket.last = t;
	bucket.tokens += (t - bucket.last) * bucket.rate;
	if (bucket.tokens > bucket.burst)
		bucket.tokens = bucket.burst;
	bucket.last = t;
	int ok = bucket.tokens >= 1.0;
	*dropped = 0;
	if (ok) {
		bucket.tokens -= 1.0;
		*dropped = bucket.dropped;
		bucket.dropped = 0;
	} else {
		bucket.dropped++;
		bucket.dropped_total++;
	}
	pthread_mutex_unlock(&bucket_lock);
	return ok;
}

void pfs_log(enum pfs_log_level level, const char *fmt, ...)
{
	if (level > log_max)
		return;
	unsigned long dropped = 0;
	if (log_max < PFS_LOG_DEBUG && !take_token(&dropped))
		return;
	if (dropped) {
		char note[128];
		snprintf(note, sizeof(note), "%lu log lines suppressed (rate limit)", dropped);
		emit(PFS_LOG_WARN, note);
	}
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(level, msg);
}

void pfs_log_summary(void)
{
	unsigned long total = pfs_log_suppressed();
	if (!total)
		return;
	char note[160];
	snprintf(note, sizeof(note),
		 "%lu log lines suppressed in total by the rate limit (%g lines/s, burst %g)",
		 total, bucket.rate, bucket.burst);
	emit(PFS_LOG_WARN, note);
}
