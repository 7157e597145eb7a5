/*
 * Resource limits: "cpu=2s,wall=5s,mem=256M,procs=64,threads=256,fds=256,output=16M".
 * Shared by `pfs run --limit`, `limit` lines in policies and the monitor.
 */
#ifndef PFS_LIMITS_H
#define PFS_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

#include "pfs/err.h"

struct pfs_limits {
	/* 0 = unlimited. Times in microseconds, sizes in bytes. */
	uint64_t cpu_us;
	uint64_t wall_us;
	uint64_t mem_bytes;
	uint64_t procs;
	uint64_t threads;
	uint64_t fds;
	uint64_t output_bytes;
};

/* Parses spec into *out, overriding only the keys spec names. */
int pfs_limits_parse(const char *spec, struct pfs_limits *out, struct pfs_error *err);

#endif
