/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* msg/msg.h - the messenger: asynchronous, ordered, checksummed messages
 * between entities over TCP, on libuv worker threads.
 * Threads: msg_send, msg_connect, msg_conn_* and msg_* (message) calls are
 * safe from any thread. Dispatcher callbacks run on the dispatch thread,
 * except fast_dispatch and can_fast_dispatch which run on a worker thread.
 * See src/msg/README.md for the wire format, policies and mutex order. */
#ifndef SEPIA_MSG_MSG_H
#define SEPIA_MSG_MSG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/list.h"
#include "common/refcnt.h"

struct buf;
struct enc;
struct dec;
struct cfg;
struct msg_conn;      /* opaque, refcounted */
struct msg_messenger; /* opaque */
struct msg_registry;  /* opaque */

/* ---- entities and addresses ---- */
enum msg_entity_type {
	MSG_ENTITY_MON = 1,
	MSG_ENTITY_MDS = 2,
	MSG_ENTITY_OSD = 3,
	MSG_ENTITY_CLIENT = 4,
	MSG_ENTITY_MGR = 5,
};
#define MSG_ENTITY_ID_MAX  24 /* id bytes including the NUL */
#define MSG_ENTITY_STR_MAX 32 /* "client.18446744073709551615" fits */

/* mon.a, mds.b: ids of [A-Za-z0-9_-]; osd.3, client.4711: decimal ids. */
struct msg_entity {
	uint8_t type;               /* enum msg_entity_type */
	char id[MSG_ENTITY_ID_MAX]; /* NUL-terminated */
};

/* An IPv4 or IPv6 endpoint; family 0 means "no address". */
struct msg_addr {
	uint16_t family; /* AF_INET, AF_INET6 or 0 */
	uint16_t port;   /* host order */
	uint8_t ip[16];  /* network order; 4 bytes used for AF_INET */
};
#define MSG_ADDR_STR_MAX 56

/* "osd.3" -> entity. 0 or -EINVAL. */
int msg_entity_parse(const char *s, struct msg_entity *out);
/* 0, -EINVAL (bad type or id). */
int msg_entity_set(struct msg_entity *e, enum msg_entity_type type, const char *id);
/* Writes "osd.3" into buf (>= MSG_ENTITY_STR_MAX); returns buf. */
const char *msg_entity_str(const struct msg_entity *e, char *buf);
/* Total order: type, then numeric ids by value, string ids bytewise. */
int msg_entity_cmp(const struct msg_entity *a, const struct msg_entity *b);
bool msg_entity_is_valid(const struct msg_entity *e);
void msg_entity_encode(const struct msg_entity *e, struct enc *enc);
int msg_entity_decode(struct dec *d, struct msg_entity *out); /* 0, -EBADMSG */

/* "127.0.0.1:6800", "[::1]:6800". 0 or -EINVAL. */
int msg_addr_parse(const char *s, struct msg_addr *out);
const char *msg_addr_str(const struct msg_addr *a, char *buf); /* >= MSG_ADDR_STR_MAX */
bool msg_addr_is_set(const struct msg_addr *a);
void msg_addr_encode(const struct msg_addr *a, struct enc *enc);
int msg_addr_decode(struct dec *d, struct msg_addr *out); /* 0, -EBADMSG */

/* ---- messages ---- */
enum msg_priority { MSG_PRIO_LOW = 64, MSG_PRIO_DEFAULT = 127, MSG_PRIO_HIGH = 196 };

/* A typed message is a struct whose first member is a struct msg. */
struct msg {
	uint16_t type;                     /* MSG_TYPE_* of the owning module */
	uint16_t version;                  /* encoding version of front (set by msg_encode) */
	uint8_t priority;                  /* enum msg_priority */
	bool no_data_crc;                  /* sender: skip the data crc for this message */
	uint64_t seq;                      /* assigned by msg_send; on receipt the sender's */
	struct buf *front, *middle, *data; /* owned; NULL when empty */
	struct msg_conn *conn;             /* received: a ref to the arrival connection */
	uint64_t recv_ns;                  /* received: monotonic arrival time */
	const struct msg_type_ops *ops;    /* NULL for an untyped message */
	/* private to the messenger */
	struct refcnt ref;
	struct list_node node;        /* session or dispatch queue link */
	uint64_t release_ns;          /* injected delivery delay */
	uint32_t front_crc, data_crc; /* computed once by msg_send */
	uint8_t event;                /* dispatch queue: a connection event */
};

typedef void msg_encode_fn(const struct msg *m, struct enc *e); /* errors are sticky in e */
/* Reads the typed fields from the front envelope body; 0 or -EBADMSG. */
typedef int msg_decode_fn(struct msg *m, struct dec *d, uint8_t struct_v);
typedef void msg_fini_fn(struct msg *m); /* frees typed fields */

/* One per message type, declared once by the module that owns the type. */
struct msg_type_ops {
	uint16_t type;
	const char *name;
	uint8_t version, compat; /* front envelope struct_v / compat_v */
	size_t size;             /* sizeof the typed struct */
	msg_encode_fn *encode;
	msg_decode_fn *decode;
	msg_fini_fn *fini; /* may be NULL */
};

/* An untyped message. 0 or -ENOMEM. */
int msg_create(uint16_t type, struct msg **out);
/* A zeroed typed message of ops->size bytes. 0 or -ENOMEM. */
int msg_create_typed(const struct msg_type_ops *ops, struct msg **out);
struct msg *msg_get(struct msg *m);
void msg_put(struct msg *m); /* NULL is a no-op; last put frees */
/* Encodes the typed fields into a new front (no-op for untyped messages or
 * when front is already set). 0 or -ENOMEM. msg_send calls it. */
int msg_encode(struct msg *m);
size_t msg_payload_len(const struct msg *m); /* front + middle + data bytes */

/* Registry: wire bytes -> typed messages. Build before any messenger uses it;
 * afterwards read-only and shareable between messengers and threads. */
int msg_registry_create(struct msg_registry **out);
void msg_registry_destroy(struct msg_registry *reg);
/* ops is borrowed and must outlive reg. 0, -EEXIST, -EINVAL, -ENOMEM. */
int msg_registry_add(struct msg_registry *reg, const struct msg_type_ops *ops);
const struct msg_type_ops *msg_registry_find(const struct msg_registry *reg, uint16_t type);
/* Builds a message from received segments (takes ownership of the three
 * bufs, even on error). Registered types are decoded; others stay untyped.
 * 0, -EBADMSG, -EPROTONOSUPPORT, -ENOMEM. */
int msg_registry_decode(const struct msg_registry *reg, uint16_t type, uint16_t version,
                        struct buf *front, struct buf *middle, struct buf *data, struct msg **out);

/* The messenger's own numbered test message, used by tests and benchmarks. */
enum { MSG_TYPE_PING = 1 };
struct msg_ping {
	struct msg m;
	uint32_t src; /* sender index */
	uint32_t flags;
	uint64_t counter; /* sender's running number */
	uint64_t stamp;   /* sender's clock, ns */
};
extern const struct msg_type_ops msg_ping_ops;
int msg_ping_create(uint32_t src, uint64_t counter, struct msg_ping **out);

/* ---- policies, callbacks, options ---- */
enum msg_policy {
	MSG_POLICY_LOSSY,         /* client: failure drops the connection, owner told */
	MSG_POLICY_LOSSLESS_PEER, /* daemons: exactly-once, in order across failures */
	MSG_POLICY_SERVER,        /* accepting side of lossy clients */
};

typedef void msg_dispatch_fn(struct msg *m, void *arg); /* takes ownership of m */
typedef bool msg_can_fast_fn(const struct msg *m, void *arg);
typedef void msg_conn_event_fn(struct msg_conn *c, void *arg); /* c is borrowed */

/* Any member may be NULL. Messages without fast dispatch and every
 * connection event run on the dispatch thread, in arrival order. */
struct msg_dispatcher {
	msg_dispatch_fn *dispatch;
	msg_can_fast_fn *can_fast_dispatch;     /* on a worker */
	msg_dispatch_fn *fast_dispatch;         /* on a worker, must not block */
	msg_conn_event_fn *handle_connect;      /* our connect was accepted */
	msg_conn_event_fn *handle_accept;       /* a peer's connect was accepted */
	msg_conn_event_fn *handle_reset;        /* lossy conn failed and was dropped */
	msg_conn_event_fn *handle_remote_reset; /* session reset: peer restarted or
					      * forgot us; unacked messages lost */
	msg_conn_event_fn *handle_refused;      /* our connect was refused: nothing
					      * listens at the peer's address */
	void *arg;
};

/* Authentication hook (pluggable; "none" built in). build puts our
 * credentials into HELLO; verify checks the peer's. 0 or -EACCES. */
struct msg_auth_ops {
	const char *name;
	int (*build)(void *arg, struct enc *e);
	int (*verify)(void *arg, const struct msg_entity *peer, const void *p, size_t n);
	void *arg;
};
extern const struct msg_auth_ops msg_auth_none;

/* A snapshot of the ms_* options (see common/cfg_opts.h). */
struct msg_opts {
	unsigned workers;
	uint64_t max_message_size;
	bool crc_header, crc_data, tcp_nodelay;
	double keepalive_interval, idle_timeout; /* seconds, 0 = off */
	double initial_backoff, max_backoff;     /* seconds */
	uint64_t dispatch_throttle_bytes;        /* 0 = unlimited */
	uint64_t conn_throttle_bytes, conn_throttle_msgs;
	int64_t inject_socket_failures; /* 1 in N socket ops, 0 = off */
	double inject_delay_probability, inject_delay_max, inject_drop_probability;
	uint64_t seed; /* fault injection rng, 0 = time */
	char bind_addr[64];
	int bind_port_min, bind_port_max;
	const struct msg_auth_ops *auth;
};
void msg_opts_default(struct msg_opts *o);
/* Reads every ms_* option. 0 or -EINVAL (unknown ms_auth). */
int msg_opts_load(const struct cfg *c, struct msg_opts *o);

/* ---- the messenger ---- */
/* me, opts, reg and d are copied/borrowed (reg must outlive the messenger).
 * 0, -EINVAL, -ENOMEM; *out untouched on error. */
int msg_messenger_create(const struct msg_entity *me, const struct msg_opts *opts,
                         const struct msg_registry *reg, const struct msg_dispatcher *d,
                         struct msg_messenger **out);
/* Listens on addr; port 0 picks the first free port of ms_bind_port_min..max
 * (or any port if addr->port is 0 and the range is empty). Before start. */
int msg_messenger_bind(struct msg_messenger *m, const struct msg_addr *addr);
/* Starts workers and the dispatch thread. 0 or -errno. */
int msg_messenger_start(struct msg_messenger *m);
/* Closes every connection, stops threads, frees. Pending sends are dropped;
 * no callback runs after it returns. Conn refs may be put afterwards. */
void msg_messenger_destroy(struct msg_messenger *m);
void msg_messenger_addr(const struct msg_messenger *m, struct msg_addr *out);
uint64_t msg_messenger_nonce(const struct msg_messenger *m);
const struct msg_entity *msg_messenger_entity(const struct msg_messenger *m);

struct msg_stats {
	uint64_t msgs_sent, msgs_recv, bytes_sent, bytes_recv;
	uint64_t injected_failures, injected_drops, injected_delays;
	uint64_t sock_failures, reconnects, resets, dup_dropped;
};
void msg_messenger_stats(const struct msg_messenger *m, struct msg_stats *out);

/* ---- connections ---- */
/* The connection to peer (a new reference). Lossless peers and outgoing
 * lossy connections are unique per peer entity: a second call returns the
 * same object while it is alive. 0, -EINVAL, -ENOMEM, -ESHUTDOWN. */
int msg_connect(struct msg_messenger *m, const struct msg_entity *peer, const struct msg_addr *addr,
                enum msg_policy policy, struct msg_conn **out);
/* Queues m (takes ownership, even on error); never blocks on the network.
 * 0, -ENOTCONN (lossy connection already failed), -ESHUTDOWN, -ENOMEM. */
int msg_send(struct msg_conn *c, struct msg *m);
/* Sends a keepalive stamped with the wall clock now. 0 or -ENOTCONN. */
int msg_conn_send_keepalive(struct msg_conn *c);
/* Closes the connection and forgets the session without callbacks. */
void msg_conn_mark_down(struct msg_conn *c);

struct msg_conn *msg_conn_get(struct msg_conn *c);
void msg_conn_put(struct msg_conn *c); /* NULL is a no-op */
const struct msg_entity *msg_conn_peer(const struct msg_conn *c);
enum msg_policy msg_conn_policy(const struct msg_conn *c);
uint64_t msg_conn_peer_nonce(const struct msg_conn *c); /* 0 until known */
bool msg_conn_is_open(const struct msg_conn *c);
/* Closed for good (mark_down, lossy failure, shutdown): msg_send fails. */
bool msg_conn_is_closed(struct msg_conn *c);
/* Messages sent and not yet released (lossless: not yet acknowledged). */
size_t msg_conn_queued(const struct msg_conn *c);
/* Wall-clock stamp of the latest keepalive the peer echoed, 0 if none. */
uint64_t msg_conn_last_keepalive_ack(const struct msg_conn *c);
void msg_conn_set_priv(struct msg_conn *c, void *priv);
void *msg_conn_priv(const struct msg_conn *c);

#endif /* SEPIA_MSG_MSG_H */
