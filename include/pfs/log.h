/* Logging: to stderr, or syslog when the daemon runs in the background. */
#ifndef PFS_LOG_H
#define PFS_LOG_H

enum pfs_log_level { PFS_LOG_ERR, PFS_LOG_WARN, PFS_LOG_INFO, PFS_LOG_DEBUG };

void pfs_log_init(const char *ident, enum pfs_log_level max, int use_syslog);
void pfs_log_set_level(enum pfs_log_level max);
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
