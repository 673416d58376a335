/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench/msg/bench_plain.c - the anchors: a plain blocking-socket pump for
 * bulk data and a plain ping-pong of 64-byte records, both over loopback,
 * written for the benchmark as the ceiling the messenger is compared with. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_msg.h"

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int full_io(int fd, void *p, size_t n, int wr)
{
	size_t off = 0;

	while (off < n) {
		ssize_t r =
		    wr ? write(fd, (char *)p + off, n - off) : read(fd, (char *)p + off, n - off);

		if (r <= 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

/* A connected pair over 127.0.0.1: *a dialled, *b accepted. */
static void tcp_pair(int *a, int *b)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(l, (struct sockaddr *)&sa, sizeof(sa));
	listen(l, 1);
	getsockname(l, (struct sockaddr *)&sa, &len);
	*a = socket(AF_INET, SOCK_STREAM, 0);
	connect(*a, (struct sockaddr *)&sa, sizeof(sa));
	*b = accept(l, NULL, NULL);
	setsockopt(*a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(*b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	close(l);
}

struct pump {
	int fd;
	double seconds;
	atomic_bool stop;
	uint64_t bytes;
};

static void *bulk_reader(void *arg)
{
	struct pump *p = arg;
	char *buf = malloc(BULK_SIZE);

	while (full_io(p->fd, buf, BULK_SIZE, 0) == 0)
		p->bytes += BULK_SIZE;
	free(buf);
	return NULL;
}

double plain_bulk(double seconds)
{
	struct pump p = { 0 };
	pthread_t th;
	char *buf = malloc(BULK_SIZE);
	int a, b;
	double t0, t;

	memset(buf, 0x5a, BULK_SIZE);
	tcp_pair(&a, &b);
	p.fd = b;
	pthread_create(&th, NULL, bulk_reader, &p);
	t0 = bench_now();
	do
		full_io(a, buf, BULK_SIZE, 1);
	while ((t = bench_now()) - t0 < seconds);
	shutdown(a, SHUT_WR);
	pthread_join(th, NULL);
	t = bench_now() - t0;
	close(a);
	close(b);
	free(buf);
	return (double)p.bytes / t / 1e6;
}

static void *echo_main(void *arg)
{
	struct pump *p = arg;
	char rec[SMALL_SIZE];

	while (full_io(p->fd, rec, SMALL_SIZE, 0) == 0 && full_io(p->fd, rec, SMALL_SIZE, 1) == 0)
		;
	return NULL;
}

double plain_pingpong(double seconds, unsigned inflight)
{
	struct pump p = { 0 };
	pthread_t th;
	char rec[SMALL_SIZE] = { 0 };
	uint64_t done = 0;
	int a, b;
	double t0, t;

	tcp_pair(&a, &b);
	p.fd = b;
	pthread_create(&th, NULL, echo_main, &p);
	for (unsigned i = 0; i < inflight; i++)
		full_io(a, rec, SMALL_SIZE, 1);
	t0 = bench_now();
	do {
		full_io(a, rec, SMALL_SIZE, 0);
		done++;
		full_io(a, rec, SMALL_SIZE, 1);
	} while ((done & 63) || (t = bench_now()) - t0 < seconds);
	t -= t0;
	shutdown(a, SHUT_WR);
	pthread_join(th, NULL);
	close(a);
	close(b);
	return inflight == 1 ? t / (double)done * 1e6 : (double)done / t;
}
