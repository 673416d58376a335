/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/faulty.h - the data-file I/O layer of the BlockStore with a
 * fault-injection shim for tests: injected EIO, short writes, and a crash at
 * the Nth sync that drops every write not yet synced (as power loss would).
 * Threads: every call is thread-safe (the shim's state has its own mutex). */
#ifndef SEPIA_STORE_FAULTY_H
#define SEPIA_STORE_FAULTY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_file; /* opaque */

/* Direct I/O alignment of offsets, lengths and (preferably) memory. */
#define STORE_FILE_ALIGN 4096u

enum store_file_flags {
	STORE_FILE_FAULTY = 1 << 0, /* buffer writes in memory until sync so
	                             * that a simulated crash can drop them */
	STORE_FILE_DIRECT = 1 << 1, /* O_DIRECT (buffered, with a warning, where
	                             * the filesystem refuses it) */
};

/* Opens path (creating it with size bytes when create; creation never uses
 * O_DIRECT). flags: enum store_file_flags. 0 or -errno; *out untouched on
 * error. */
int store_file_open(const char *path, bool create, uint64_t size, unsigned flags,
                    struct store_file **out);
void store_file_close(struct store_file *f); /* NULL is a no-op; never syncs */
uint64_t store_file_size(const struct store_file *f);
bool store_file_is_direct(const struct store_file *f);
/* Writes all n bytes (loops over short writes). Direct: off and n must be
 * STORE_FILE_ALIGN multiples (-EINVAL); unaligned memory is copied into an
 * aligned bounce buffer first. 0 or -errno. */
int store_file_pwrite(struct store_file *f, const void *p, size_t n, uint64_t off);
/* Memory aligned for direct I/O (STORE_FILE_ALIGN); NULL on failure.
 * Free with store_file_buf_free (NULL is a no-op). */
void *store_file_buf_alloc(size_t n);
void store_file_buf_free(void *p);
/* The same, reusing buffers given back with store_file_buf_put (which must
 * happen before f is closed). */
void *store_file_buf_get(struct store_file *f, size_t n);
void store_file_buf_put(struct store_file *f, void *p);
/* Reads n bytes; bytes past the end of the file read as zeros. Direct:
 * alignment as for store_file_pwrite. 0 or -errno. */
int store_file_pread(struct store_file *f, void *p, size_t n, uint64_t off);
int store_file_sync(struct store_file *f); /* fdatasync; 0 or -errno */

/* ---- test controls (no effect unless opened faulty) ---- */
struct store_faulty_plan {
	long eio_write_at;    /* the Nth write from now fails with EIO (0: never) */
	long eio_read_at;     /* the Nth read from now fails with EIO */
	long crash_sync_at;   /* the Nth sync "crashes": unsynced writes vanish and
	                      * every later call fails with EIO */
	unsigned short_every; /* every Nth write call writes only part (0: never) */
};
void store_faulty_arm(struct store_file *f, const struct store_faulty_plan *plan);
bool store_faulty_has_crashed(const struct store_file *f);
/* The data file of an open BlockStore (NULL for other stores). */
struct store_file *store_bs_file(struct store *st);

#endif /* SEPIA_STORE_FAULTY_H */
