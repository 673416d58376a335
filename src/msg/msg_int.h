/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* msg/msg_int.h - messenger internals shared by the runtime files: the
 * messenger, its workers, connections (sessions), sockets and the dispatch
 * queue. Threads and mutexes are named per field; the order is
 *   msgr->lock -> conn->lock -> worker->lock,   dq->lock is a leaf.
 * "loop" marks fields touched only on the owning worker's loop thread. */
#ifndef SEPIA_MSG_INT_H
#define SEPIA_MSG_INT_H
#include <pthread.h>
#include <stdatomic.h>
#include <uv.h>

#include "msg/msg.h"
#include "msg/msg_wire.h"

#define MSG_TICK_MS      10
#define MSG_SLOW_SCAN_NS (250ull * 1000 * 1000)
#define MSG_RBUF_LEN     (64 * 1024)
#define MSG_DIRECT_MIN   (32 * 1024) /* segment bytes worth a direct read */
#define MSG_BATCH_MAX    128         /* messages per writev */
#define MSG_CONN_BUCKETS 64

enum msg_event {
	MSG_EV_NONE,
	MSG_EV_CONNECT,
	MSG_EV_ACCEPT,
	MSG_EV_RESET,
	MSG_EV_REMOTE_RESET,
	MSG_EV_REFUSED,
};

/* The dispatch queue: one thread delivering messages and events in order. */
struct msg_dq {
	pthread_mutex_t lock; /* dq->lock: items, stopping */
	pthread_cond_t cond;
	struct list_node items; /* struct msg.node */
	bool stopping, started;
	pthread_t thread;
	atomic_uint_fast64_t bytes; /* payload bytes queued (dispatch throttle) */
};

enum msg_task_kind { MSG_TASK_CONN_START, MSG_TASK_HANDOFF, MSG_TASK_MARK_DOWN, MSG_TASK_FD };

struct msg_task {
	struct list_node node;
	enum msg_task_kind kind;
	struct msg_conn *conn; /* a reference */
	int fd;
	struct msg_hello hello; /* MSG_TASK_HANDOFF (auth fields cleared) */
	struct msg_connect connect;
};

struct msg_worker {
	struct msg_messenger *msgr;
	unsigned idx;
	uv_loop_t loop;
	uv_thread_t thread;
	uv_async_t async;
	uv_timer_t tick;
	uv_poll_t listen_poll;   /* worker 0 when bound */
	bool listening;          /* loop */
	pthread_mutex_t lock;    /* worker->lock: kick_q, task_q, stopping */
	struct list_node kick_q; /* struct msg_conn.kick_node */
	struct list_node task_q; /* struct msg_task.node */
	bool stopping;
	struct list_node socks; /* loop: struct msg_sock.wnode */
	struct list_node conns; /* loop: struct msg_conn.wnode, a ref each */
	uint64_t rng;           /* loop: fault injection */
	uint8_t *rbuf;          /* loop: shared read buffer */
	uint64_t next_slow_ns;  /* loop */
	unsigned accept_rr;     /* loop: next worker for an accepted socket */
};

enum msg_conn_state {
	MSG_CS_NEW,
	MSG_CS_CONNECTING,
	MSG_CS_OPEN,
	MSG_CS_STANDBY,
	MSG_CS_BACKOFF,
	MSG_CS_WAIT,
	MSG_CS_CLOSED,
};

struct msg_conn {
	struct refcnt ref;
	struct msg_messenger *msgr; /* valid while closed is false */
	struct msg_worker *worker;  /* fixed for life */
	struct msg_entity peer;     /* fixed (server conns: set at accept) */
	enum msg_policy policy;
	bool crc_header, crc_data;
	struct list_node map_node; /* msgr->lock */
	bool in_map;               /* msgr->lock */
	pthread_mutex_t lock;      /* conn->lock: inbox, out_seq, kicked, closed,
				     * want_keepalive */
	struct list_node inbox;    /* sent, not yet taken by the worker */
	uint64_t out_seq;
	bool kicked, closed, want_keepalive;
	struct list_node kick_node; /* worker->lock */
	atomic_size_t queued;
	atomic_uint_fast64_t ka_ack, peer_nonce_pub;
	atomic_bool open_pub;
	atomic_uint_fast64_t rx_bytes, rx_msgs; /* received, not yet dispatched */
	void *_Atomic priv;
	enum msg_conn_state state; /* loop */
	bool started;              /* loop: on worker->conns */
	struct msg_addr peer_addr; /* loop */
	struct msg_session sess;   /* loop */
	struct msg_sock *sock;     /* loop: attached socket */
	struct list_node wnode;    /* loop: worker->conns */
	struct list_node delayed;  /* loop: injected delivery delays */
	uint64_t retry_at;         /* loop: BACKOFF / WAIT deadline, ns */
	double backoff;            /* loop: seconds */
};

enum msg_sock_state {
	MSG_SS_CONNECTING,
	MSG_SS_HELLO,
	MSG_SS_SESSION,
	MSG_SS_OPEN,
	MSG_SS_CLOSING
};

struct msg_sock {
	uv_tcp_t tcp; /* freed only in the close callback */
	uv_connect_t creq;
	struct msg_worker *w;
	struct msg_conn *conn; /* a reference once attached; NULL before */
	bool outgoing, writing, read_paused, close_after_write;
	enum msg_sock_state state;
	struct msg_hello hello; /* the peer's (auth fields cleared) */
	bool got_hello;
	struct msg_task *handoff; /* a CONNECT waiting for writes to drain */
	struct msg_parser parser;
	struct list_node wnode; /* w->socks */
	unsigned writes_pending;
	uint64_t last_rx, last_tx; /* ns */
};

struct msg_messenger {
	struct msg_entity me;
	uint64_t nonce;
	struct msg_opts opts;
	const struct msg_registry *reg;
	struct msg_dispatcher disp;
	struct msg_addr addr; /* bound address */
	int listen_fd;
	unsigned nworkers;
	struct msg_worker *workers;
	struct msg_dq dq;
	pthread_mutex_t lock; /* msgr->lock: buckets, next_worker, stopping */
	struct list_node buckets[MSG_CONN_BUCKETS];
	unsigned next_worker;
	bool started, stopping;
	atomic_uint_fast64_t next_sess;
	struct {
		atomic_uint_fast64_t msgs_sent, msgs_recv, bytes_sent, bytes_recv;
		atomic_uint_fast64_t injected_failures, injected_drops, injected_delays;
		atomic_uint_fast64_t sock_failures, reconnects, resets, dup_dropped;
	} st;
};

#define MSG_STAT_ADD(msgr, field, v) \
	atomic_fetch_add_explicit(&(msgr)->st.field, (v), memory_order_relaxed)

/* dispatch.c */
int msg_dq_start(struct msg_messenger *m);
void msg_dq_stop(struct msg_messenger *m);
/* Delivers m (received) inline or through the queue; takes ownership. */
void msg_dq_deliver(struct msg_messenger *m, struct msg_worker *w, struct msg *msg);
/* Queues a connection event (takes a conn ref). */
void msg_dq_event(struct msg_messenger *m, struct msg_conn *c, enum msg_event ev);
bool msg_dq_is_throttled(struct msg_messenger *m, struct msg_conn *c);

/* worker.c */
int msg_worker_start(struct msg_worker *w, struct msg_messenger *m, unsigned idx);
void msg_worker_stop(struct msg_worker *w);
void msg_worker_kick(struct msg_worker *w, struct msg_conn *c); /* under conn->lock */
void msg_worker_post(struct msg_worker *w, struct msg_task *t);
bool msg_worker_inject(struct msg_worker *w, int64_t one_in);
double msg_worker_rand(struct msg_worker *w); /* [0, 1) */
uint64_t msg_now_ns(void);                    /* monotonic */
uint64_t msg_wall_ns(void);                   /* since 1970 */

/* sock.c */
int msg_sock_connect(struct msg_worker *w, struct msg_conn *c, struct msg_sock **out);
/* Adopts an accepted descriptor; handed != NULL for one handed over by
 * another worker after its HELLO and CONNECT (no banner follows). */
int msg_sock_adopt(struct msg_worker *w, int fd, const struct msg_hello *handed,
                   struct msg_sock **out);
void msg_sock_writes_drained(struct msg_sock *s); /* last pending write done */
void msg_sock_fail(struct msg_sock *s, const char *reason);
void msg_sock_close(struct msg_sock *s);
void msg_sock_flush(struct msg_sock *s);
int msg_sock_send_ctl(struct msg_sock *s, uint8_t tag, uint64_t seq, struct enc *front);
void msg_sock_resume_check(struct msg_sock *s);
void msg_sock_slow_check(struct msg_sock *s, uint64_t now);

/* conn.c */
int msg_conn_create(struct msg_messenger *m, struct msg_worker *w, const struct msg_entity *peer,
                    enum msg_policy policy, struct msg_conn **out);
void msg_conn_start(struct msg_conn *c);                         /* loop: joins w->conns */
void msg_conn_kicked(struct msg_conn *c);                        /* loop */
void msg_conn_tick(struct msg_conn *c, uint64_t now);            /* loop */
void msg_conn_shutdown(struct msg_conn *c);                      /* loop: at messenger stop */
void msg_conn_do_mark_down(struct msg_conn *c);                  /* loop */
void msg_conn_sock_lost(struct msg_conn *c, struct msg_sock *s); /* loop */
/* loop: frames of an attached socket during the handshake and when open */
int msg_conn_on_hello(struct msg_conn *c, struct msg_sock *s);
int msg_conn_on_reply(struct msg_conn *c, struct msg_sock *s, struct msg_frame *f);
void msg_conn_on_connect(struct msg_conn *c, struct msg_sock *s, const struct msg_hello *h,
                         const struct msg_connect *cn);
int msg_conn_on_frame(struct msg_conn *c, struct msg_sock *s, struct msg_frame *f);
void msg_conn_release(struct msg_conn *c, struct list_node *msgs);
/* conn.c, used by conn_proto.c (loop) */
void msg_conn_connect(struct msg_conn *c);
void msg_conn_close(struct msg_conn *c, enum msg_event ev);
void msg_conn_session_reset(struct msg_conn *c, bool notify);
void msg_conn_opened(struct msg_conn *c, struct msg_sock *s, enum msg_event ev);
void msg_conn_detach(struct msg_conn *c);             /* closes the attached socket */
void msg_conn_schedule(struct msg_conn *c, bool now); /* after losing the socket */

/* messenger.c */
struct msg_conn *msg_messenger_lookup_or_add(struct msg_messenger *m, struct msg_worker *w,
                                             const struct msg_entity *peer);
void msg_messenger_unmap(struct msg_messenger *m, struct msg_conn *c);
uint64_t msg_messenger_next_sess(struct msg_messenger *m);

#endif /* SEPIA_MSG_INT_H */
