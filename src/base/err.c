#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pfs/err.h"

int pfs_err_set(struct pfs_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return -code;
}

int pfs_err_prefix(struct pfs_error *err, const char *fmt, ...)
{
	if (!err)
		return 0;
	char prefix[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	size_t plen = strnlen(prefix, sizeof(prefix));
	size_t olen = strnlen(err->msg, sizeof(err->msg) - 1);
	if (plen + 2 >= sizeof(err->msg))
		return -err->code;
	if (plen + 2 + olen >= sizeof(err->msg))
		olen = sizeof(err->msg) - plen - 3;
	memmove(err->msg + plen + 2, err->msg, olen);
	memcpy(err->msg, prefix, plen);
	memcpy(err->msg + plen, ": ", 2);
	err->msg[plen + 2 + olen] = '\0';
	return -err->code;
}
