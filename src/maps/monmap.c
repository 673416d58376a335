/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* maps/monmap.c - monitor map: membership, encoding, mon_host parsing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/enc.h"
#include "maps/monmap.h"
#include "maps/uuid.h"

/* v2 appends the ids (u32 per monitor, in rank order) after the monitors; a
 * v1 map's ids are its ranks (maps before add/remove existed). */
#define MONMAP_V 2

void monmap_init(struct monmap *m, const uint8_t fsid[16])
{
	memset(m, 0, sizeof(*m));
	memcpy(m->fsid, fsid, 16);
}

static bool name_is_valid(const char *name)
{
	struct msg_entity e;

	return msg_entity_set(&e, MSG_ENTITY_MON, name) == 0;
}

int monmap_rank(const struct monmap *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->mons[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int monmap_rank_by_addr(const struct monmap *m, const struct msg_addr *addr)
{
	for (size_t i = 0; i < m->n; i++)
		if (memcmp(&m->mons[i].addr, addr, sizeof(*addr)) == 0)
			return (int)i;
	return -ENOENT;
}

int monmap_rank_by_id(const struct monmap *m, uint32_t id)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->mons[i].id == id)
			return (int)i;
	return -ENOENT;
}

uint64_t monmap_id_mask(const struct monmap *m)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < m->n; i++)
		if (m->mons[i].id < MONMAP_MAX_ID)
			mask |= 1ull << m->mons[i].id;
	return mask;
}

/* The largest id + 1, else the lowest free one (there are at most
 * MONMAP_MAX_MONS < MONMAP_MAX_ID monitors, so one is free). */
static uint32_t fresh_id(const struct monmap *m)
{
	uint64_t used = monmap_id_mask(m);
	uint32_t id = 0;

	for (size_t i = 0; i < m->n; i++)
		if (m->mons[i].id + 1 > id)
			id = m->mons[i].id + 1;
	if (id < MONMAP_MAX_ID)
		return id;
	for (id = 0; id < MONMAP_MAX_ID && (used >> id) & 1u; id++)
		;
	return id;
}

int monmap_add(struct monmap *m, const char *name, const struct msg_addr *addr)
{
	size_t i = 0;
	uint32_t id;

	if (!name_is_valid(name))
		return -EINVAL;
	if (monmap_rank(m, name) >= 0 || monmap_rank_by_addr(m, addr) >= 0)
		return -EEXIST;
	if (m->n == MONMAP_MAX_MONS)
		return -ENOSPC;
	id = fresh_id(m);
	while (i < m->n && strcmp(m->mons[i].name, name) < 0)
		i++;
	memmove(&m->mons[i + 1], &m->mons[i], (m->n - i) * sizeof(m->mons[0]));
	snprintf(m->mons[i].name, sizeof(m->mons[i].name), "%s", name);
	m->mons[i].addr = *addr;
	m->mons[i].id = id;
	m->n++;
	return 0;
}

int monmap_remove(struct monmap *m, const char *name)
{
	int r = monmap_rank(m, name);

	if (r < 0)
		return r;
	memmove(&m->mons[r], &m->mons[r + 1], (m->n - (size_t)r - 1) * sizeof(m->mons[0]));
	m->n--;
	return 0;
}

void monmap_encode(const struct monmap *m, struct enc *e)
{
	size_t at = enc_begin(e, MONMAP_V, 1);

	enc_u32(e, m->epoch);
	enc_raw(e, m->fsid, 16);
	enc_u64(e, m->created_ns);
	enc_u64(e, m->modified_ns);
	enc_u32(e, (uint32_t)m->n);
	for (size_t i = 0; i < m->n; i++) {
		enc_str(e, m->mons[i].name);
		msg_addr_encode(&m->mons[i].addr, e);
	}
	for (size_t i = 0; i < m->n; i++)
		enc_u32(e, m->mons[i].id);
	enc_end(e, at);
}

static int ids_decode(struct dec *b, struct monmap *m)
{
	uint64_t seen = 0;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < m->n; i++) {
		uint32_t id;

		rc = dec_u32(b, &id);
		if (rc == 0 && (id >= MONMAP_MAX_ID || (seen >> id) & 1u))
			rc = -EBADMSG; /* in range, unique */
		if (rc == 0) {
			seen |= 1ull << id;
			m->mons[i].id = id;
		}
	}
	return rc;
}

static int body_decode(struct dec *b, uint8_t v, struct monmap *m)
{
	uint32_t n;
	int rc = dec_u32(b, &m->epoch);

	if (rc == 0)
		rc = dec_raw(b, m->fsid, 16);
	if (rc == 0)
		rc = dec_u64(b, &m->created_ns);
	if (rc == 0)
		rc = dec_u64(b, &m->modified_ns);
	if (rc == 0)
		rc = dec_count(b, 5, &n);
	if (rc == 0 && n > MONMAP_MAX_MONS)
		rc = -EBADMSG;
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		char name[MSG_ENTITY_ID_MAX];
		struct msg_addr a;

		rc = dec_str_buf(b, name, sizeof(name));
		if (rc == 0)
			rc = msg_addr_decode(b, &a);
		if (rc == 0 && (i > 0 && strcmp(m->mons[i - 1].name, name) >= 0))
			rc = -EBADMSG; /* sorted, unique */
		if (rc == 0 && monmap_add(m, name, &a) < 0)
			rc = -EBADMSG;
		if (rc == 0)
			m->mons[i].id = i; /* v1: the rank */
	}
	if (rc == 0 && v >= 2)
		rc = ids_decode(b, m);
	return rc;
}

int monmap_decode(struct dec *d, struct monmap *out)
{
	struct dec b, save = *d;
	struct monmap m;
	uint8_t v;
	int rc = dec_begin(d, MONMAP_V, &v, &b);

	if (rc < 0)
		return rc;
	memset(&m, 0, sizeof(m));
	rc = body_decode(&b, v, &m);
	if (rc < 0) {
		*d = save;
		return rc;
	}
	dec_end(d, &b);
	*out = m;
	return 0;
}

json_t *monmap_dump_json(const struct monmap *m)
{
	char fsid[MAPS_UUID_STR_LEN], addr[MSG_ADDR_STR_MAX];
	json_t *mons = json_array();

	for (size_t i = 0; mons && i < m->n; i++)
		json_array_append_new(mons,
		                      json_pack("{s:i, s:i, s:s, s:s}", "rank", (int)i, "id",
		                                (int)m->mons[i].id, "name", m->mons[i].name, "addr",
		                                msg_addr_str(&m->mons[i].addr, addr)));
	return json_pack("{s:i, s:s, s:I, s:I, s:o}", "epoch", (int)m->epoch, "fsid",
	                 maps_uuid_str(m->fsid, fsid), "created_ns", (json_int_t)m->created_ns,
	                 "modified_ns", (json_int_t)m->modified_ns, "mons", mons);
}

/* One "name=addr" or "addr" item; position names unnamed monitors. */
static int parse_item(struct monmap *m, const char *item, size_t pos)
{
	const char *eq = strchr(item, '=');
	char name[MSG_ENTITY_ID_MAX];
	struct msg_addr a;

	if (eq) {
		if ((size_t)(eq - item) >= sizeof(name) || eq == item)
			return -EINVAL;
		snprintf(name, sizeof(name), "%.*s", (int)(eq - item), item);
	} else if (pos < 26) {
		snprintf(name, sizeof(name), "%c", (char)('a' + pos));
	} else {
		return -EINVAL;
	}
	if (msg_addr_parse(eq ? eq + 1 : item, &a) < 0)
		return -EINVAL;
	return monmap_add(m, name, &a) < 0 ? -EINVAL : 0;
}

int monmap_parse_hosts(struct monmap *m, const char *spec)
{
	char copy[1024], *save = NULL, *tok;
	size_t pos = 0;
	struct monmap tmp = *m;

	if (strlen(spec) >= sizeof(copy))
		return -EINVAL;
	snprintf(copy, sizeof(copy), "%s", spec);
	tmp.n = 0;
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
		if (parse_item(&tmp, tok, pos++) < 0)
			return -EINVAL;
	if (tmp.n == 0)
		return -EINVAL;
	for (size_t i = 0; i < tmp.n; i++)
		tmp.mons[i].id = (uint32_t)i;
	*m = tmp;
	return 0;
}
