#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "pfs/log.h"

static const char *log_ident = "pfs";
static enum pfs_log_level log_max = PFS_LOG_WARN;
static int log_syslog;

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

int pfs_log_enabled(enum pfs_log_level level)
{
	return level <= log_max;
}

void pfs_log(enum pfs_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	if (level > log_max)
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_syslog)
		syslog(prio[level], "%s", msg);
	else
		fprintf(stderr, "%s: %s: %s\n", log_ident, names[level], msg);
}
