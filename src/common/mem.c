/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/mem.c - allocation wrappers and the fail-the-Nth-call test hook. */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

/* Allocations left before the injected failure; 0 = injection off. */
static _Atomic long fail_countdown;

static int should_fail(void)
{
	long n = atomic_load_explicit(&fail_countdown, memory_order_relaxed);

	while (n > 0) {
		if (atomic_compare_exchange_weak(&fail_countdown, &n, n - 1))
			return n == 1;
	}
	return 0;
}

void *mem_malloc(size_t n)
{
	return should_fail() ? NULL : malloc(n ? n : 1);
}

void *mem_calloc(size_t nmemb, size_t n)
{
	if (n && nmemb > SIZE_MAX / n)
		return NULL;
	return should_fail() ? NULL : calloc(nmemb ? nmemb : 1, n ? n : 1);
}

void *mem_realloc(void *p, size_t n)
{
	return should_fail() ? NULL : realloc(p, n ? n : 1);
}

char *mem_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = mem_malloc(len + 1);

	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

char *mem_strdup(const char *s)
{
	return mem_strndup(s, SIZE_MAX);
}

void mem_free(void *p)
{
	free(p);
}

int mem_grow(void *arr, size_t elem, size_t *cap, size_t want)
{
	void **slot = arr;
	size_t ncap = *cap ? *cap : 4;
	void *p;

	if (want <= *cap)
		return 0;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2 / elem)
			return -ENOMEM;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / elem)
		return -ENOMEM;
	p = mem_realloc(*slot, ncap * elem);
	if (!p)
		return -ENOMEM;
	*slot = p;
	*cap = ncap;
	return 0;
}

void mem_fail_at(long nth)
{
	atomic_store(&fail_countdown, nth > 0 ? nth : 0);
}

int mem_fail_pending(void)
{
	return atomic_load(&fail_countdown) > 0;
}
