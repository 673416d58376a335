/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/export_int.h - record types and version of the export format shared
 * by its writer (export.c) and reader (import.c); the format is in export.h. */
#ifndef SEPIA_STORE_EXPORT_INT_H
#define SEPIA_STORE_EXPORT_INT_H
#include "store/export.h"
#include "store/store_int.h"

#define EXP_V 1 /* struct_v and compat_v of every record */

enum exp_rec {
	EXP_HEADER = 1,
	EXP_OBJECT = 2,
	EXP_DATA = 3,
	EXP_OMAP = 4,
	EXP_OBJECT_END = 5,
	EXP_TRAILER = 6,
};

#endif /* SEPIA_STORE_EXPORT_INT_H */
