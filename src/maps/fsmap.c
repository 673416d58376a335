/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* maps/fsmap.c - file system map: file systems, MDS ranks, standbys. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/enc.h"
#include "maps/fsmap.h"

#define FSMAP_V 1

static const char *const state_names[FSMAP_STATE_COUNT] = {
	"up:standby", "up:standby-replay", "up:replay", "up:resolve",  "up:reconnect",
	"up:rejoin",  "up:clientreplay",   "up:active", "up:stopping",
};

const char *fsmap_state_name(enum fsmap_state st)
{
	return (unsigned)st < FSMAP_STATE_COUNT ? state_names[st] : "unknown";
}

void fsmap_init(struct fsmap *m)
{
	memset(m, 0, sizeof(*m));
	m->next_fs_id = 1;
	m->next_gid = 1;
}

static bool fs_name_is_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= FSMAP_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || strchr("_-.", name[i])))
			return false;
	return true;
}

const struct fsmap_fs *fsmap_fs_by_name(const struct fsmap *m, const char *name)
{
	for (size_t i = 0; i < m->nfs; i++)
		if (strcmp(m->fs[i].name, name) == 0)
			return &m->fs[i];
	return NULL;
}

static struct fsmap_fs *fs_by_id(struct fsmap *m, int32_t id)
{
	for (size_t i = 0; i < m->nfs; i++)
		if (m->fs[i].id == id)
			return &m->fs[i];
	return NULL;
}

int fsmap_fs_add(struct fsmap *m, const char *name, int64_t metadata_pool, int64_t data_pool,
                 int32_t *id)
{
	struct fsmap_fs *f;

	if (!fs_name_is_valid(name) || metadata_pool < 0 || data_pool < 0)
		return -EINVAL;
	if (fsmap_fs_by_name(m, name))
		return -EEXIST;
	if (m->nfs == FSMAP_MAX_FS)
		return -ENOSPC;
	f = &m->fs[m->nfs++];
	memset(f, 0, sizeof(*f));
	f->id = m->next_fs_id++;
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->metadata_pool = metadata_pool;
	f->data_pools[0] = data_pool;
	f->ndata = 1;
	f->max_mds = 1;
	f->created_epoch = m->epoch + 1;
	*id = f->id;
	return 0;
}

int fsmap_fs_remove(struct fsmap *m, const char *name)
{
	const struct fsmap_fs *f = fsmap_fs_by_name(m, name);
	size_t i;

	if (!f)
		return -ENOENT;
	for (i = 0; i < m->nmds; i++) {
		if (m->mds[i].fs == f->id) {
			m->mds[i].fs = m->mds[i].rank = -1;
			m->mds[i].state = FSMAP_STANDBY;
		}
	}
	i = (size_t)(f - m->fs);
	memmove(&m->fs[i], &m->fs[i + 1], (m->nfs - i - 1) * sizeof(m->fs[0]));
	m->nfs--;
	return 0;
}

struct fsmap_mds *fsmap_mds_by_gid(struct fsmap *m, uint64_t gid)
{
	for (size_t i = 0; i < m->nmds; i++)
		if (m->mds[i].gid == gid)
			return &m->mds[i];
	return NULL;
}

int fsmap_mds_add(struct fsmap *m, const char *name, const struct msg_addr *addr, uint64_t *gid)
{
	struct msg_entity e;
	struct fsmap_mds *d;

	if (msg_entity_set(&e, MSG_ENTITY_MDS, name) < 0)
		return -EINVAL;
	for (size_t i = 0; i < m->nmds; i++)
		if (strcmp(m->mds[i].name, name) == 0)
			return -EEXIST;
	if (m->nmds == FSMAP_MAX_MDS)
		return -ENOSPC;
	d = &m->mds[m->nmds++];
	memset(d, 0, sizeof(*d));
	d->gid = m->next_gid++;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->addr = *addr;
	d->fs = d->rank = -1;
	d->state = FSMAP_STANDBY;
	*gid = d->gid;
	return 0;
}

int fsmap_mds_assign(struct fsmap *m, uint64_t gid, int32_t fs, int32_t rank, enum fsmap_state st)
{
	struct fsmap_mds *d = fsmap_mds_by_gid(m, gid);
	const struct fsmap_fs *f = fs < 0 ? NULL : fs_by_id(m, fs);

	if (!d || (fs >= 0 && !f))
		return -ENOENT;
	if ((unsigned)st >= FSMAP_STATE_COUNT || (fs < 0) != (rank < 0) ||
	    (f && (uint32_t)rank >= f->max_mds) || (fs < 0 && st != FSMAP_STANDBY))
		return -EINVAL;
	/* One holder per rank; a standby-replay daemon follows the holder. */
	for (size_t i = 0; fs >= 0 && st != FSMAP_STANDBY_REPLAY && i < m->nmds; i++)
		if (m->mds[i].gid != gid && m->mds[i].fs == fs && m->mds[i].rank == rank &&
		    m->mds[i].state != FSMAP_STANDBY_REPLAY)
			return -EBUSY;
	d->fs = fs;
	d->rank = rank;
	d->state = (uint8_t)st;
	return 0;
}

int fsmap_mds_remove(struct fsmap *m, uint64_t gid)
{
	struct fsmap_mds *d = fsmap_mds_by_gid(m, gid);
	size_t i;

	if (!d)
		return -ENOENT;
	i = (size_t)(d - m->mds);
	memmove(&m->mds[i], &m->mds[i + 1], (m->nmds - i - 1) * sizeof(m->mds[0]));
	m->nmds--;
	return 0;
}

static void fs_encode(struct enc *e, const struct fsmap_fs *f)
{
	size_t at = enc_begin(e, 1, 1);

	enc_s32(e, f->id);
	enc_str(e, f->name);
	enc_s64(e, f->metadata_pool);
	enc_u32(e, f->ndata);
	for (uint32_t i = 0; i < f->ndata; i++)
		enc_s64(e, f->data_pools[i]);
	enc_u32(e, f->max_mds);
	enc_u32(e, f->created_epoch);
	enc_end(e, at);
}

static int fs_decode(struct dec *d, struct fsmap_fs *f)
{
	struct dec b;
	uint8_t v;
	int rc = dec_begin(d, 1, &v, &b);

	if (rc == 0)
		rc = dec_s32(&b, &f->id);
	if (rc == 0)
		rc = dec_str_buf(&b, f->name, sizeof(f->name));
	if (rc == 0)
		rc = dec_s64(&b, &f->metadata_pool);
	if (rc == 0)
		rc = dec_u32(&b, &f->ndata);
	if (rc == 0 && (f->ndata == 0 || f->ndata > FSMAP_MAX_DATA_POOLS))
		rc = -EBADMSG;
	for (uint32_t i = 0; rc == 0 && i < f->ndata; i++)
		rc = dec_s64(&b, &f->data_pools[i]);
	if (rc == 0)
		rc = dec_u32(&b, &f->max_mds);
	if (rc == 0)
		rc = dec_u32(&b, &f->created_epoch);
	if (rc == 0 && (!fs_name_is_valid(f->name) || f->max_mds == 0 || f->max_mds > 256))
		rc = -EBADMSG;
	if (rc == 0)
		dec_end(d, &b);
	return rc;
}

static void mds_encode(struct enc *e, const struct fsmap_mds *m)
{
	size_t at = enc_begin(e, 1, 1);

	enc_u64(e, m->gid);
	enc_str(e, m->name);
	msg_addr_encode(&m->addr, e);
	enc_s32(e, m->fs);
	enc_s32(e, m->rank);
	enc_u8(e, m->state);
	enc_end(e, at);
}

static int mds_decode(struct dec *d, struct fsmap_mds *m)
{
	struct dec b;
	uint8_t v;
	int rc = dec_begin(d, 1, &v, &b);

	if (rc == 0)
		rc = dec_u64(&b, &m->gid);
	if (rc == 0)
		rc = dec_str_buf(&b, m->name, sizeof(m->name));
	if (rc == 0)
		rc = msg_addr_decode(&b, &m->addr);
	if (rc == 0)
		rc = dec_s32(&b, &m->fs);
	if (rc == 0)
		rc = dec_s32(&b, &m->rank);
	if (rc == 0)
		rc = dec_u8(&b, &m->state);
	if (rc == 0 && (m->state >= FSMAP_STATE_COUNT || m->rank < -1 || m->fs < -1))
		rc = -EBADMSG;
	if (rc == 0)
		dec_end(d, &b);
	return rc;
}

void fsmap_encode(const struct fsmap *m, struct enc *e)
{
	size_t at = enc_begin(e, FSMAP_V, 1);

	enc_u32(e, m->epoch);
	enc_u64(e, m->modified_ns);
	enc_s32(e, m->next_fs_id);
	enc_u64(e, m->next_gid);
	enc_u32(e, (uint32_t)m->nfs);
	for (size_t i = 0; i < m->nfs; i++)
		fs_encode(e, &m->fs[i]);
	enc_u32(e, (uint32_t)m->nmds);
	for (size_t i = 0; i < m->nmds; i++)
		mds_encode(e, &m->mds[i]);
	enc_end(e, at);
}

static int body_decode(struct dec *b, struct fsmap *m)
{
	uint32_t n;
	int rc = dec_u32(b, &m->epoch);

	if (rc == 0)
		rc = dec_u64(b, &m->modified_ns);
	if (rc == 0)
		rc = dec_s32(b, &m->next_fs_id);
	if (rc == 0)
		rc = dec_u64(b, &m->next_gid);
	if (rc == 0)
		rc = dec_count(b, 6, &n);
	if (rc == 0 && n > FSMAP_MAX_FS)
		rc = -EBADMSG;
	for (m->nfs = 0; rc == 0 && m->nfs < n; m->nfs++)
		rc = fs_decode(b, &m->fs[m->nfs]);
	if (rc == 0)
		rc = dec_count(b, 6, &n);
	if (rc == 0 && n > FSMAP_MAX_MDS)
		rc = -EBADMSG;
	for (m->nmds = 0; rc == 0 && m->nmds < n; m->nmds++)
		rc = mds_decode(b, &m->mds[m->nmds]);
	return rc;
}

int fsmap_decode(struct dec *d, struct fsmap *out)
{
	struct fsmap m; /* decoded aside, copied out only when whole */
	struct dec b, save = *d;
	uint8_t v;
	int rc = dec_begin(d, FSMAP_V, &v, &b);

	if (rc < 0)
		return rc;
	fsmap_init(&m);
	rc = body_decode(&b, &m);
	if (rc < 0) {
		*d = save;
		return rc;
	}
	dec_end(d, &b);
	*out = m;
	return 0;
}

json_t *fsmap_dump_json(const struct fsmap *m)
{
	char addr[MSG_ADDR_STR_MAX];
	json_t *fss = json_array(), *mdss = json_array(), *pools;

	for (size_t i = 0; fss && i < m->nfs; i++) {
		const struct fsmap_fs *f = &m->fs[i];

		pools = json_array();
		for (uint32_t k = 0; pools && k < f->ndata; k++)
			json_array_append_new(pools, json_integer(f->data_pools[k]));
		json_array_append_new(fss, json_pack("{s:i, s:s, s:I, s:o, s:i}", "id", f->id,
		                                     "name", f->name, "metadata_pool",
		                                     (json_int_t)f->metadata_pool, "data_pools",
		                                     pools, "max_mds", (int)f->max_mds));
	}
	for (size_t i = 0; mdss && i < m->nmds; i++) {
		const struct fsmap_mds *d = &m->mds[i];

		json_array_append_new(
		    mdss, json_pack("{s:I, s:s, s:s, s:i, s:i, s:s}", "gid", (json_int_t)d->gid,
		                    "name", d->name, "addr", msg_addr_str(&d->addr, addr), "fs",
		                    d->fs, "rank", d->rank, "state", fsmap_state_name(d->state)));
	}
	return json_pack("{s:i, s:o, s:o}", "epoch", (int)m->epoch, "filesystems", fss, "mds",
	                 mdss);
}
