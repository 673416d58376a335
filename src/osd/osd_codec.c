/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/osd_codec.c - codecs of the superblock, object info and PG info, and
 * the PG log's omap keys. Each record is one enc envelope v1; a decoder
 * reads the fields it knows and skips any newer tail. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/enc.h"
#include "osd/osd_codec.h"

static void enc_ever(struct enc *e, struct osd_eversion v)
{
	enc_u32(e, v.epoch);
	enc_u64(e, v.v);
}

static int dec_ever(struct dec *d, struct osd_eversion *v)
{
	int rc = dec_u32(d, &v->epoch);

	return rc ? rc : dec_u64(d, &v->v);
}

/* --- superblock ------------------------------------------------------------ */

void osd_super_encode(struct enc *e, const struct osd_super *s)
{
	size_t pos = enc_begin(e, 1, 1);

	enc_u64(e, OSD_SUPER_MAGIC);
	enc_raw(e, s->fsid, 16);
	enc_s32(e, s->whoami);
	enc_raw(e, s->uuid, 16);
	enc_u32(e, s->current_epoch);
	enc_u32(e, s->oldest_epoch);
	enc_end(e, pos);
}

int osd_super_decode(const void *p, size_t n, struct osd_super *out)
{
	struct osd_super s;
	struct dec d, body;
	uint64_t magic = 0;
	uint8_t v;
	int rc;

	dec_init(&d, p, n);
	rc = dec_begin(&d, 1, &v, &body);
	if (rc == 0)
		rc = dec_u64(&body, &magic);
	if (rc == 0 && magic != OSD_SUPER_MAGIC)
		rc = -EBADMSG;
	if (rc == 0)
		rc = dec_raw(&body, s.fsid, 16);
	if (rc == 0)
		rc = dec_s32(&body, &s.whoami);
	if (rc == 0 && s.whoami < 0)
		rc = -EBADMSG;
	if (rc == 0)
		rc = dec_raw(&body, s.uuid, 16);
	if (rc == 0)
		rc = dec_u32(&body, &s.current_epoch);
	if (rc == 0)
		rc = dec_u32(&body, &s.oldest_epoch);
	if (rc == 0 && s.oldest_epoch > s.current_epoch)
		rc = -EBADMSG;
	if (rc < 0)
		return rc;
	*out = s;
	return 0;
}

/* --- object info ------------------------------------------------------------ */

void osd_obj_info_encode(struct enc *e, const struct osd_obj_info *oi)
{
	size_t pos = enc_begin(e, 1, 1);

	enc_ever(e, oi->version);
	enc_ever(e, oi->prior_version);
	enc_u64(e, oi->user_version);
	enc_u64(e, oi->size);
	enc_u64(e, oi->mtime_ns);
	enc_end(e, pos);
}

int osd_obj_info_decode(const void *p, size_t n, struct osd_obj_info *out)
{
	struct osd_obj_info oi;
	struct dec d, body;
	uint8_t v;
	int rc;

	dec_init(&d, p, n);
	rc = dec_begin(&d, 1, &v, &body);
	if (rc == 0)
		rc = dec_ever(&body, &oi.version);
	if (rc == 0)
		rc = dec_ever(&body, &oi.prior_version);
	if (rc == 0)
		rc = dec_u64(&body, &oi.user_version);
	if (rc == 0)
		rc = dec_u64(&body, &oi.size);
	if (rc == 0)
		rc = dec_u64(&body, &oi.mtime_ns);
	if (rc < 0)
		return rc;
	*out = oi;
	return 0;
}

/* --- PG info ----------------------------------------------------------------- */

void pg_info_encode(struct enc *e, const struct pg_info *pi)
{
	size_t pos = enc_begin(e, 1, 1);

	enc_s64(e, pi->pool);
	enc_u32(e, pi->ps);
	enc_ever(e, pi->last_update);
	enc_ever(e, pi->last_complete);
	enc_ever(e, pi->log_tail);
	enc_u32(e, pi->epoch_created);
	enc_u32(e, pi->same_interval_since);
	enc_end(e, pos);
}

int pg_info_decode(const void *p, size_t n, struct pg_info *out)
{
	struct pg_info pi;
	struct dec d, body;
	uint8_t v;
	int rc;

	dec_init(&d, p, n);
	rc = dec_begin(&d, 1, &v, &body);
	if (rc == 0)
		rc = dec_s64(&body, &pi.pool);
	if (rc == 0 && pi.pool < 0)
		rc = -EBADMSG;
	if (rc == 0)
		rc = dec_u32(&body, &pi.ps);
	if (rc == 0)
		rc = dec_ever(&body, &pi.last_update);
	if (rc == 0)
		rc = dec_ever(&body, &pi.last_complete);
	if (rc == 0)
		rc = dec_ever(&body, &pi.log_tail);
	if (rc == 0)
		rc = dec_u32(&body, &pi.epoch_created);
	if (rc == 0)
		rc = dec_u32(&body, &pi.same_interval_since);
	if (rc == 0 && (osd_eversion_cmp(pi.last_complete, pi.last_update) > 0 ||
	                osd_eversion_cmp(pi.log_tail, pi.last_update) > 0))
		rc = -EBADMSG;
	if (rc < 0)
		return rc;
	*out = pi;
	return 0;
}

/* --- log keys ---------------------------------------------------------------- */

const char *pg_log_key(struct osd_eversion v, char *buf)
{
	snprintf(buf, PG_LOG_KEY_LEN, "%010" PRIu32 ".%020" PRIu64, v.epoch, v.v);
	return buf;
}

int pg_log_key_parse(const char *key, struct osd_eversion *out)
{
	char *end;
	unsigned long long e, v;

	if (strlen(key) != 31 || key[10] != '.')
		return -EINVAL;
	for (int i = 0; i < 31; i++)
		if (i != 10 && (key[i] < '0' || key[i] > '9'))
			return -EINVAL;
	e = strtoull(key, &end, 10);
	if (end != key + 10 || e > UINT32_MAX)
		return -EINVAL;
	errno = 0;
	v = strtoull(key + 11, &end, 10);
	if (*end || errno == ERANGE)
		return -EINVAL; /* 20 digits can exceed a u64 */
	out->epoch = (uint32_t)e;
	out->v = v;
	return 0;
}
