/*
 * Logging: to stderr, or syslog when the daemon runs in the background.
 * Below debug level, lines pass through one global token bucket (burst
 * PFS_LOG_BURST lines, refilled at PFS_LOG_RATE lines per second); dropped
 * lines are counted and reported.
 */
#ifndef PFS_LOG_H
#define PFS_LOG_H

enum pfs_log_level { PFS_LOG_ERR, PFS_LOG_WARN, PFS_LOG_INFO, PFS_LOG_DEBUG };

void pfs_log_init(const char *ident, enum pfs_log_level max, int use_syslog);
void pfs_log_set_level(enum pfs_log_level max);

#define PFS_LOG_BURST 50
#define PFS_LOG_RATE 10
/* Sets the bucket (and fills it); per_second 0 never refills. */
void pfs_log_set_rate(unsigned burst, unsigned per_second);
/* Lines dropped by the rate limit since start. */
unsigned long pfs_log_suppressed(void);
/* Logs the number of dropped lines, if any: call once at exit. */
void pfs_log_summary(void);
int pfs_log_enabled(enum pfs_log_level level);
void pfs_log(enum pfs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pfs_err(...) pfs_log(PFS_LOG_ERR, __VA_ARGS__)
#define pfs_warn(...) pfs_log(PFS_LOG_WARN, __VA_ARGS__)
#define pfs_info(...) pfs_log(PFS_LOG_INFO, __VA_ARGS__)
#define pfs_debug(...)                                                                             \
	do {                                                                                       \
		if (pfs_log_enabled(PFS_LOG_DEBUG))                                                \
			pfs_log(PFS_LOG_DEBUG, __VA_ARGS__);                                       \
	} while (0)

#endif
