/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench/msg/bench_msg.c - messenger benchmark over loopback, one figure per
 * run so that run.sh can repeat and take medians:
 *   bench_msg msg-bulk SECS [nocrc]   4 MiB lossless messages, MB/s
 *   bench_msg plain-bulk SECS         blocking-socket pump (anchor), MB/s
 *   bench_msg msg-rate SECS           64-byte messages, 16 in flight, round trips/s
 *   bench_msg plain-rate SECS         plain ping-pong, 16 in flight (anchor)
 *   bench_msg msg-lat SECS            one in flight: round-trip latency, us
 *   bench_msg plain-lat SECS          plain ping-pong latency (anchor), us
 *   bench_msg msg-idle N              bytes of RSS per idle server connection */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_msg.h"
#include "common/buf.h"
#include "common/enc.h"
#include "common/log.h"
#include "msg/msg_wire.h"

#define TYPE_SMALL 2

struct side {
	struct msg_messenger *m;
	struct msg_registry *reg;
	atomic_uint_fast64_t bytes, msgs;
	bool echo, refill;
	struct buf *payload;
};

static bool always(const struct msg *m, void *arg)
{
	(void)m, (void)arg;
	return true;
}

static int send_small(struct msg_conn *c, struct buf *payload)
{
	struct msg *m;

	if (msg_create(TYPE_SMALL, &m))
		return -1;
	m->front = buf_get(payload);
	return msg_send(c, m);
}

/* Inline on the worker: count, and echo or refill to keep the window. */
static void on_msg(struct msg *m, void *arg)
{
	struct side *s = arg;

	atomic_fetch_add(&s->bytes, msg_payload_len(m));
	atomic_fetch_add(&s->msgs, 1);
	if (s->echo || s->refill)
		send_small(m->conn, s->payload);
	msg_put(m);
}

static int side_start(struct side *s, const char *name, bool listen, struct msg_addr *addr,
                      bool crc_data)
{
	struct msg_dispatcher d = { .can_fast_dispatch = always,
		                    .fast_dispatch = on_msg,
		                    .arg = s };
	struct msg_entity e;
	struct msg_opts o;

	msg_opts_default(&o);
	o.workers = 1;
	o.bind_port_min = o.bind_port_max = 0;
	o.crc_data = crc_data;
	o.dispatch_throttle_bytes = 0;
	msg_entity_parse(name, &e);
	if (msg_registry_create(&s->reg) || msg_messenger_create(&e, &o, s->reg, &d, &s->m))
		return -1;
	if (listen) {
		msg_addr_parse("127.0.0.1:0", addr);
		if (msg_messenger_bind(s->m, addr))
			return -1;
		msg_messenger_addr(s->m, addr);
	}
	return msg_messenger_start(s->m);
}

static void side_stop(struct side *s)
{
	msg_messenger_destroy(s->m);
	msg_registry_destroy(s->reg);
	buf_put(s->payload);
}

static struct msg_conn *pair(struct side *srv, struct side *cli, bool crc)
{
	struct msg_addr a;
	struct msg_entity e;
	struct msg_conn *c;

	if (side_start(srv, "osd.1", true, &a, crc) || side_start(cli, "osd.2", false, NULL, crc))
		exit(1);
	msg_entity_parse("osd.1", &e);
	if (msg_connect(cli->m, &e, &a, MSG_POLICY_LOSSLESS_PEER, &c))
		exit(1);
	return c;
}

static double msg_bulk(double secs, bool crc)
{
	static struct side srv, cli;
	struct msg_conn *c = pair(&srv, &cli, crc);
	struct buf *src;
	void *p;
	double t0, t;
	uint64_t b0;

	buf_create(&src);
	buf_append_space(src, BULK_SIZE, &p);
	memset(p, 0x5a, BULK_SIZE);
	t0 = bench_now();
	b0 = 0;
	for (bool warm = true;;) {
		struct msg *m;

		while (msg_conn_queued(c) >= 4)
			usleep(20);
		if (warm && bench_now() - t0 > 0.3) { /* connection set up, caches warm */
			warm = false;
			t0 = bench_now();
			b0 = atomic_load(&srv.bytes);
		}
		if (!warm && (t = bench_now() - t0) >= secs)
			break;
		msg_create(TYPE_SMALL, &m);
		buf_create(&m->data);
		buf_append_buf(m->data, src, 0, BULK_SIZE);
		msg_send(c, m);
	}
	t = (double)(atomic_load(&srv.bytes) - b0) / (bench_now() - t0) / 1e6;
	msg_conn_put(c);
	side_stop(&cli);
	side_stop(&srv);
	buf_put(src);
	return t;
}

static double msg_pingpong(double secs, unsigned inflight)
{
	static struct side srv, cli;
	struct msg_conn *c;
	double t0, t;
	uint64_t n0;

	srv.echo = true;
	cli.refill = true;
	buf_create(&srv.payload);
	buf_append_zero(srv.payload, SMALL_SIZE);
	buf_create(&cli.payload);
	buf_append_zero(cli.payload, SMALL_SIZE);
	c = pair(&srv, &cli, true);
	for (unsigned i = 0; i < inflight; i++)
		send_small(c, cli.payload);
	usleep(300000);
	n0 = atomic_load(&cli.msgs);
	t0 = bench_now();
	usleep((useconds_t)(secs * 1e6));
	t = bench_now() - t0;
	n0 = atomic_load(&cli.msgs) - n0;
	cli.refill = false;
	msg_conn_put(c);
	side_stop(&cli);
	side_stop(&srv);
	return inflight == 1 ? t / (double)n0 * 1e6 : (double)n0 / t;
}

static long rss_bytes(void)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * sysconf(_SC_PAGESIZE);
}

/* A raw client: banner, HELLO, CONNECT(lossy) built with the wire API. */
static int raw_client(const struct msg_addr *a, unsigned id, struct buf *scratch)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(a->port) };
	struct msg_hello h = { .nonce = id + 1 };
	struct msg_connect cn = { .policy = MSG_POLICY_LOSSY, .sess_id = 1, .connect_seq = 1 };
	struct msg_frame_hdr fh = { .flags = MSG_FF_CRC };
	struct msg_banner b;
	uint8_t raw[MSG_BANNER_LEN], tmp[4096];
	char name[32];
	struct enc e;
	struct buf *f;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)scratch;
	memcpy(&sa.sin_addr, a->ip, 4);
	snprintf(name, sizeof(name), "client.%u", id);
	msg_entity_parse(name, &h.entity);
	msg_banner_local(&b);
	msg_banner_encode(&b, raw);
	buf_create(&f);
	buf_append(f, raw, sizeof(raw));
	enc_init(&e);
	msg_hello_encode(&h, &msg_auth_none, &e);
	{
		struct buf *fr;

		buf_create(&fr);
		buf_append(fr, e.data, e.len);
		fh.tag = MSG_TAG_HELLO;
		msg_frame_build(&fh, fr, NULL, NULL, f);
		buf_put(fr);
		enc_fini(&e);
		enc_init(&e);
		msg_connect_encode(&cn, &e);
		buf_create(&fr);
		buf_append(fr, e.data, e.len);
		fh.tag = MSG_TAG_CONNECT;
		msg_frame_build(&fh, fr, NULL, NULL, f);
		buf_put(fr);
	}
	enc_fini(&e);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, buf_flatten(f), buf_len(f)) != (ssize_t)buf_len(f) ||
	    read(fd, tmp, sizeof(tmp)) <= 0) {
		buf_put(f);
		close(fd);
		return -1;
	}
	buf_put(f);
	return fd;
}

static double msg_idle(unsigned n)
{
	static struct side srv;
	struct rlimit rl;
	struct msg_addr a;
	struct buf *scratch;
	int *fds = calloc(n, sizeof(int));
	long r0, r1;

	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	buf_create(&scratch);
	if (side_start(&srv, "osd.1", true, &a, true))
		exit(1);
	fds[0] = raw_client(&a, 0, scratch); /* warm up allocator and code */
	usleep(200000);
	r0 = rss_bytes();
	for (unsigned i = 1; i < n; i++)
		fds[i] = raw_client(&a, i, scratch);
	usleep(500000);
	r1 = rss_bytes();
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	side_stop(&srv);
	buf_put(scratch);
	free(fds);
	return (double)(r1 - r0) / (double)(n - 1);
}

int main(int argc, char **argv)
{
	double secs = argc > 2 ? atof(argv[2]) : 3, v;

	log_set_all_levels(LOG_LVL_ERR);
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "msg-bulk"))
		v = msg_bulk(secs, !(argc > 3 && !strcmp(argv[3], "nocrc")));
	else if (!strcmp(argv[1], "plain-bulk"))
		v = plain_bulk(secs);
	else if (!strcmp(argv[1], "msg-rate"))
		v = msg_pingpong(secs, SMALL_INFLIGHT);
	else if (!strcmp(argv[1], "plain-rate"))
		v = plain_pingpong(secs, SMALL_INFLIGHT);
	else if (!strcmp(argv[1], "msg-lat"))
		v = msg_pingpong(secs, 1);
	else if (!strcmp(argv[1], "plain-lat"))
		v = plain_pingpong(secs, 1);
	else if (!strcmp(argv[1], "msg-idle"))
		v = msg_idle(argc > 2 ? (unsigned)atoi(argv[2]) : 1000);
	else
		return 2;
	printf("%.2f\n", v);
	return 0;
}
