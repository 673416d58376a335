/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* msg/entity.c - entity names (mon.a, osd.3) and addresses: parse, print,
 * order, encode and decode. Pure. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/enc.h"
#include "msg/msg.h"

#define ENTITY_V 1
#define ADDR_V   1

static const char *const type_names[] = {
	[MSG_ENTITY_MON] = "mon",       [MSG_ENTITY_MDS] = "mds", [MSG_ENTITY_OSD] = "osd",
	[MSG_ENTITY_CLIENT] = "client", [MSG_ENTITY_MGR] = "mgr",
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

static bool type_is_numeric(uint8_t type)
{
	return type == MSG_ENTITY_OSD || type == MSG_ENTITY_CLIENT;
}

/* osd/client: a decimal u64 without leading zeros; others [A-Za-z0-9_-]+. */
static bool id_is_valid(uint8_t type, const char *id, size_t len)
{
	if (len == 0 || len >= MSG_ENTITY_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = id[i];
		bool digit = ch >= '0' && ch <= '9';

		if (type_is_numeric(type) ? !digit
		                          : !(digit || (ch >= 'a' && ch <= 'z') ||
		                              (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '-'))
			return false;
	}
	if (type_is_numeric(type)) {
		if (len > 1 && id[0] == '0')
			return false;
		if (len > 20 || (len == 20 && strncmp(id, "18446744073709551615", 20) > 0))
			return false;
	}
	return true;
}

bool msg_entity_is_valid(const struct msg_entity *e)
{
	size_t len = strnlen(e->id, MSG_ENTITY_ID_MAX);

	return e->type >= 1 && e->type < NTYPES && id_is_valid(e->type, e->id, len);
}

int msg_entity_set(struct msg_entity *e, enum msg_entity_type type, const char *id)
{
	size_t len = strnlen(id, MSG_ENTITY_ID_MAX);

	if (type < 1 || type >= NTYPES || !id_is_valid((uint8_t)type, id, len))
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	e->type = (uint8_t)type;
	memcpy(e->id, id, len);
	return 0;
}

int msg_entity_parse(const char *s, struct msg_entity *out)
{
	const char *dot = strchr(s, '.');

	if (!dot)
		return -EINVAL;
	for (size_t t = 1; t < NTYPES; t++) {
		size_t n = strlen(type_names[t]);

		if ((size_t)(dot - s) == n && strncmp(s, type_names[t], n) == 0)
			return msg_entity_set(out, (enum msg_entity_type)t, dot + 1);
	}
	return -EINVAL;
}

const char *msg_entity_str(const struct msg_entity *e, char *buf)
{
	const char *t = e->type >= 1 && e->type < NTYPES ? type_names[e->type] : "?";

	snprintf(buf, MSG_ENTITY_STR_MAX, "%s.%.*s", t, MSG_ENTITY_ID_MAX - 1, e->id);
	return buf;
}

int msg_entity_cmp(const struct msg_entity *a, const struct msg_entity *b)
{
	size_t la, lb;

	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	la = strnlen(a->id, MSG_ENTITY_ID_MAX);
	lb = strnlen(b->id, MSG_ENTITY_ID_MAX);
	if (type_is_numeric(a->type) && la != lb)
		return la < lb ? -1 : 1; /* no leading zeros: shorter is smaller */
	return strncmp(a->id, b->id, MSG_ENTITY_ID_MAX);
}

void msg_entity_encode(const struct msg_entity *e, struct enc *enc)
{
	size_t pos = enc_begin(enc, ENTITY_V, 1);

	enc_u8(enc, e->type);
	enc_str(enc, e->id);
	enc_end(enc, pos);
}

int msg_entity_decode(struct dec *d, struct msg_entity *out)
{
	struct dec body;
	struct msg_entity e;
	uint8_t v;
	int rc;

	rc = dec_begin(d, ENTITY_V, &v, &body);
	if (rc)
		return rc == -EPROTONOSUPPORT ? -EBADMSG : rc;
	memset(&e, 0, sizeof(e));
	if (dec_u8(&body, &e.type) || dec_str_buf(&body, e.id, sizeof(e.id)))
		return -EBADMSG;
	if (!msg_entity_is_valid(&e))
		return -EBADMSG;
	dec_end(d, &body);
	*out = e;
	return 0;
}

bool msg_addr_is_set(const struct msg_addr *a)
{
	return a->family == AF_INET || a->family == AF_INET6;
}

static size_t addr_ip_len(uint16_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int msg_addr_parse(const char *s, struct msg_addr *out)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	struct msg_addr a;
	char *end;
	unsigned long port;
	size_t hl;

	if (!colon)
		return -EINVAL;
	hl = (size_t)(colon - s);
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port > 65535)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.port = (uint16_t)port;
	if (host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		a.family = AF_INET6;
		if (inet_pton(AF_INET6, host + 1, a.ip) != 1)
			return -EINVAL;
	} else {
		a.family = AF_INET;
		if (inet_pton(AF_INET, host, a.ip) != 1)
			return -EINVAL;
	}
	*out = a;
	return 0;
}

const char *msg_addr_str(const struct msg_addr *a, char *buf)
{
	char ip[INET6_ADDRSTRLEN];

	if (!msg_addr_is_set(a) || !inet_ntop(a->family, a->ip, ip, sizeof(ip)))
		snprintf(buf, MSG_ADDR_STR_MAX, "-");
	else if (a->family == AF_INET6)
		snprintf(buf, MSG_ADDR_STR_MAX, "[%s]:%u", ip, a->port);
	else
		snprintf(buf, MSG_ADDR_STR_MAX, "%s:%u", ip, a->port);
	return buf;
}

void msg_addr_encode(const struct msg_addr *a, struct enc *enc)
{
	size_t pos = enc_begin(enc, ADDR_V, 1);
	uint8_t fam = a->family == AF_INET ? 4 : a->family == AF_INET6 ? 6 : 0;

	enc_u8(enc, fam);
	enc_u16(enc, a->port);
	enc_raw(enc, a->ip, addr_ip_len(a->family));
	enc_end(enc, pos);
}

int msg_addr_decode(struct dec *d, struct msg_addr *out)
{
	struct dec body;
	struct msg_addr a;
	uint8_t v, fam;
	int rc;

	rc = dec_begin(d, ADDR_V, &v, &body);
	if (rc)
		return rc == -EPROTONOSUPPORT ? -EBADMSG : rc;
	memset(&a, 0, sizeof(a));
	if (dec_u8(&body, &fam) || dec_u16(&body, &a.port))
		return -EBADMSG;
	if (fam != 0 && fam != 4 && fam != 6)
		return -EBADMSG;
	a.family = fam == 4 ? AF_INET : fam == 6 ? AF_INET6 : 0;
	if (dec_raw(&body, a.ip, addr_ip_len(a.family)))
		return -EBADMSG;
	dec_end(d, &body);
	*out = a;
	return 0;
}
