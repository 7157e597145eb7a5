/* compat_pthread: pthread_getattr_np on the main thread reads /proc/self/maps. */
#include <pthread.h>
#include <stdio.h>

int main(void)
{
	pthread_attr_t a;
	void *addr = NULL;
	size_t size = 0;
	if (pthread_getattr_np(pthread_self(), &a) != 0 ||
	    pthread_attr_getstack(&a, &addr, &size)) {
		fprintf(stderr, "pthread_getattr_np failed\n");
		return 1;
	}
	pthread_attr_destroy(&a);
	int local = 0;
	char *lo = addr, *hi = lo + size, *p = (char *)&local;
	if (size == 0 || p < lo || p >= hi) {
		fprintf(stderr, "stack %p+%zu does not hold %p\n", addr, size, (void *)p);
		return 1;
	}
	printf("stack ok\n");
	return 0;
}
