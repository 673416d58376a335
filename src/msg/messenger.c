/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* msg/messenger.c - the messenger object: identity and nonce, binding,
 * starting and stopping workers and the dispatch thread, the map of
 * connections by peer entity, msg_connect, statistics.
 *
 * DESIGN
 *   Invariants
 *     - buckets hold every connection that is unique per peer (lossless and
 *       outgoing lossy), each with one reference, none of them closed.
 *     - Once stopping is set no connection is added; destroy closes the
 *       remaining ones after the workers have stopped.
 *   States: CREATED --bind--> BOUND --start--> RUNNING --destroy--> freed
 *           (bind is optional: a messenger that only connects never listens) */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mem.h"
#include "msg/msg_int.h"

static unsigned entity_hash(const struct msg_entity *e)
{
	uint32_t h = 2166136261u ^ e->type;

	for (size_t i = 0; i < MSG_ENTITY_ID_MAX && e->id[i]; i++)
		h = (h ^ (uint8_t)e->id[i]) * 16777619u;
	return h % MSG_CONN_BUCKETS;
}

/* A peer that resets the socket must not kill the process: writev on a
 * dead TCP socket raises SIGPIPE, so the messenger ignores it unless the
 * program installed its own handler. */
static void ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
	}
}

static uint64_t make_nonce(void)
{
	uint64_t n = 0;

	if (getrandom(&n, sizeof(n), 0) != sizeof(n))
		n = msg_wall_ns() ^ ((uint64_t)getpid() << 32);
	return n ? n : 1;
}

int msg_messenger_create(const struct msg_entity *me, const struct msg_opts *opts,
                         const struct msg_registry *reg, const struct msg_dispatcher *d,
                         struct msg_messenger **out)
{
	struct msg_messenger *m;

	if (!msg_entity_is_valid(me) || opts->workers < 1 || opts->workers > 64 || !opts->auth ||
	    !opts->auth->verify || opts->max_message_size < 4096)
		return -EINVAL;
	m = mem_calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->workers = mem_calloc(opts->workers, sizeof(*m->workers));
	if (!m->workers) {
		mem_free(m);
		return -ENOMEM;
	}
	ignore_sigpipe();
	m->me = *me;
	m->nonce = make_nonce();
	m->opts = *opts;
	m->nworkers = opts->workers;
	m->reg = reg;
	if (d)
		m->disp = *d;
	m->listen_fd = -1;
	atomic_init(&m->next_sess, 0);
	for (unsigned i = 0; i < MSG_CONN_BUCKETS; i++)
		list_init(&m->buckets[i]);
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->dq.lock, NULL);
	pthread_cond_init(&m->dq.cond, NULL);
	list_init(&m->dq.items);
	*out = m;
	return 0;
}

static void to_sockaddr(const struct msg_addr *a, uint16_t port, struct sockaddr_storage *ss,
                        socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->ip, 16);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->ip, 4);
		*len = sizeof(*s4);
	}
}

/* Tries ports [lo, hi]; port 0 lets the kernel choose. */
static int bind_range(int fd, const struct msg_addr *a, int lo, int hi)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int rc = -EADDRINUSE;

	for (int port = lo; port <= hi; port++) {
		to_sockaddr(a, (uint16_t)port, &ss, &len);
		if (bind(fd, (struct sockaddr *)&ss, len) == 0)
			return 0;
		rc = -errno;
		if (rc != -EADDRINUSE)
			break;
	}
	return rc;
}

static void read_bound(struct msg_messenger *m, int fd, const struct msg_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	m->addr = *a;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		m->addr.port =
		    ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
		                                   : ((struct sockaddr_in *)&ss)->sin_port);
}

int msg_messenger_bind(struct msg_messenger *m, const struct msg_addr *addr)
{
	int one = 1, fd, rc, lo = addr->port, hi = addr->port;
	char name[MSG_ADDR_STR_MAX];

	if (m->started || m->listen_fd >= 0 || !msg_addr_is_set(addr))
		return -EINVAL;
	if (addr->port == 0 && m->opts.bind_port_min > 0) {
		lo = m->opts.bind_port_min;
		hi = m->opts.bind_port_max;
	}
	fd = socket(addr->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	rc = bind_range(fd, addr, lo, hi);
	if (!rc && listen(fd, 1024) < 0)
		rc = -errno;
	if (rc) {
		close(fd);
		return rc;
	}
	m->listen_fd = fd;
	read_bound(m, fd, addr);
	log_info(msg, "listening on %s", msg_addr_str(&m->addr, name));
	return 0;
}

int msg_messenger_start(struct msg_messenger *m)
{
	unsigned i;
	int rc;

	if (m->started)
		return -EINVAL;
	rc = msg_dq_start(m);
	if (rc)
		return rc;
	for (i = 0; i < m->nworkers; i++) {
		rc = msg_worker_start(&m->workers[i], m, i);
		if (rc)
			goto out_stop;
	}
	m->started = true;
	return 0;
out_stop:
	while (i-- > 0)
		msg_worker_stop(&m->workers[i]);
	msg_dq_stop(m);
	return rc;
}

/* Closes conns still in the map (never started on a worker) and drops refs. */
static void drop_map(struct msg_messenger *m)
{
	for (unsigned b = 0; b < MSG_CONN_BUCKETS; b++) {
		struct list_node *n;

		while ((n = list_pop_front(&m->buckets[b]))) {
			struct msg_conn *c = LIST_CONTAINER(n, struct msg_conn, map_node);

			pthread_mutex_lock(&c->lock);
			c->closed = true;
			pthread_mutex_unlock(&c->lock);
			c->in_map = false;
			msg_conn_put(c);
		}
	}
}

void msg_messenger_destroy(struct msg_messenger *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->stopping = true;
	pthread_mutex_unlock(&m->lock);
	if (m->started) {
		for (unsigned i = 0; i < m->nworkers; i++)
			msg_worker_stop(&m->workers[i]);
		msg_dq_stop(m);
	}
	drop_map(m);
	if (m->listen_fd >= 0)
		close(m->listen_fd);
	pthread_cond_destroy(&m->dq.cond);
	pthread_mutex_destroy(&m->dq.lock);
	pthread_mutex_destroy(&m->lock);
	mem_free(m->workers);
	mem_free(m);
}

void msg_messenger_addr(const struct msg_messenger *m, struct msg_addr *out)
{
	*out = m->addr;
}
uint64_t msg_messenger_nonce(const struct msg_messenger *m)
{
	return m->nonce;
}
const struct msg_entity *msg_messenger_entity(const struct msg_messenger *m)
{
	return &m->me;
}

uint64_t msg_messenger_next_sess(struct msg_messenger *m)
{
	return atomic_fetch_add(&m->next_sess, 1) + 1;
}

void msg_messenger_stats(const struct msg_messenger *cm, struct msg_stats *o)
{
	struct msg_messenger *m = (struct msg_messenger *)cm;

	o->msgs_sent = atomic_load(&m->st.msgs_sent);
	o->msgs_recv = atomic_load(&m->st.msgs_recv);
	o->bytes_sent = atomic_load(&m->st.bytes_sent);
	o->bytes_recv = atomic_load(&m->st.bytes_recv);
	o->injected_failures = atomic_load(&m->st.injected_failures);
	o->injected_drops = atomic_load(&m->st.injected_drops);
	o->injected_delays = atomic_load(&m->st.injected_delays);
	o->sock_failures = atomic_load(&m->st.sock_failures);
	o->reconnects = atomic_load(&m->st.reconnects);
	o->resets = atomic_load(&m->st.resets);
	o->dup_dropped = atomic_load(&m->st.dup_dropped);
}

/* Under msgr->lock. */
static struct msg_conn *map_find(struct msg_messenger *m, const struct msg_entity *peer)
{
	struct list_node *n;

	LIST_FOR_EACH(n, &m->buckets[entity_hash(peer)])
	{
		struct msg_conn *c = LIST_CONTAINER(n, struct msg_conn, map_node);

		if (msg_entity_cmp(&c->peer, peer) == 0)
			return c;
	}
	return NULL;
}

static void map_add(struct msg_messenger *m, struct msg_conn *c)
{
	list_push_back(&m->buckets[entity_hash(&c->peer)], &c->map_node);
	c->in_map = true;
	msg_conn_get(c);
}

struct msg_conn *msg_messenger_lookup_or_add(struct msg_messenger *m, struct msg_worker *w,
                                             const struct msg_entity *peer)
{
	struct msg_conn *c = NULL;

	pthread_mutex_lock(&m->lock);
	if (!m->stopping) {
		c = map_find(m, peer);
		if (c)
			msg_conn_get(c);
		else if (msg_conn_create(m, w, peer, MSG_POLICY_LOSSLESS_PEER, &c) == 0)
			map_add(m, c);
		else
			c = NULL;
	}
	pthread_mutex_unlock(&m->lock);
	return c;
}

void msg_messenger_unmap(struct msg_messenger *m, struct msg_conn *c)
{
	bool was;

	pthread_mutex_lock(&m->lock);
	was = c->in_map;
	if (was) {
		list_remove(&c->map_node);
		c->in_map = false;
	}
	pthread_mutex_unlock(&m->lock);
	if (was)
		msg_conn_put(c);
}

int msg_connect(struct msg_messenger *m, const struct msg_entity *peer, const struct msg_addr *addr,
                enum msg_policy policy, struct msg_conn **out)
{
	struct msg_task *t;
	struct msg_conn *c;
	int rc = 0;

	if (!msg_entity_is_valid(peer) || !msg_addr_is_set(addr) || policy == MSG_POLICY_SERVER)
		return -EINVAL;
	t = mem_calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	pthread_mutex_lock(&m->lock);
	c = m->stopping || !m->started ? NULL : map_find(m, peer);
	if (m->stopping || !m->started) {
		rc = -ESHUTDOWN;
	} else if (c) {
		msg_conn_get(c);
	} else {
		rc = msg_conn_create(m, &m->workers[m->next_worker++ % m->nworkers], peer, policy,
		                     &c);
		if (!rc) {
			c->peer_addr = *addr;
			map_add(m, c);
			t->kind = MSG_TASK_CONN_START;
			t->conn = msg_conn_get(c);
			msg_worker_post(c->worker, t);
			t = NULL;
		}
	}
	pthread_mutex_unlock(&m->lock);
	mem_free(t);
	if (!rc)
		*out = c;
	return rc;
}
