/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/mem.h - allocation wrappers with a fault-injection hook.
 * Threads: all functions are thread-safe.
 *
 * Library code allocates only through mem_* so that tests can make the Nth
 * allocation fail and check that every caller returns -ENOMEM cleanly. */
#ifndef SEPIA_COMMON_MEM_H
#define SEPIA_COMMON_MEM_H
#include <stddef.h>

void *mem_malloc(size_t n);               /* NULL on failure (or injected failure) */
void *mem_calloc(size_t nmemb, size_t n); /* NULL on overflow or failure */
void *mem_realloc(void *p, size_t n);     /* NULL on failure; p is then untouched */
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);
void mem_free(void *p); /* NULL is a no-op */

/* Grows *arr (element size elem) so that it holds at least want elements;
 * doubles the capacity *cap. 0 or -ENOMEM (then *arr and *cap are untouched). */
int mem_grow(void *arr, size_t elem, size_t *cap, size_t want);

/* Test hook: the nth allocation from now fails (1 = the next one); 0 turns
 * injection off. mem_fail_pending() is true while an armed failure has not fired. */
void mem_fail_at(long nth);
int mem_fail_pending(void);

#endif /* SEPIA_COMMON_MEM_H */
