/*
 * The daemon's calloc: malloc and memset. glibc 2.36's calloc never takes
 * from the thread's cache (tcache) and locks the heap arena every time, and
 * the daemon has one arena (main.c says why), so every calloc of every FUSE
 * worker contended for it: libfuse makes each request with calloc. malloc
 * serves small blocks from the thread's cache without a lock. Linked into the
 * daemon only, where it takes the place of libc's for libfuse too; not under
 * AddressSanitizer, whose own calloc must stay.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__SANITIZE_ADDRESS__)
void *calloc(size_t n, size_t size)
{
	size_t bytes = 0;
	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	void *p = malloc(bytes);
	/* not memset: the compiler would make malloc+memset a call to calloc, this one */
	if (p)
		explicit_bzero(p, bytes);
	return p;
}
#endif
