/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/asok_client.c - asok_call: the blocking admin socket client used by
 * `sepia daemon NAME CMD` and the tests. One connection per call; every wait
 * is a poll() bounded by the call's deadline. A negative timeout_ms waits
 * forever. Threads: any thread; no shared state. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/asok_int.h"
#include "common/mem.h"
#include "common/timer.h"

#define MS_NS 1000000ull

/* Milliseconds left before deadline_ns (0: none), -1 for no deadline. */
static int time_left_ms(uint64_t deadline_ns)
{
	uint64_t now;

	if (deadline_ns == 0)
		return -1;
	now = tmr_now_ns();
	return now >= deadline_ns ? 0 : (int)((deadline_ns - now + MS_NS - 1) / MS_NS);
}

/* Waits for events on fd; 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, uint64_t deadline_ns)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;

	do {
		int left = time_left_ms(deadline_ns);

		if (left == 0)
			return -ETIMEDOUT;
		rc = poll(&p, 1, left);
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return -errno;
	return rc == 0 ? -ETIMEDOUT : 0;
}

/* Connects without blocking past the deadline; fd or -errno. */
static int connect_path(const char *path, uint64_t deadline_ns)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A unix connect completes at once or fails with EAGAIN (backlog full). */
	while ((rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun))) < 0 &&
	       (errno == EAGAIN || errno == EINTR)) {
		if (time_left_ms(deadline_ns) == 0) {
			errno = ETIMEDOUT;
			break;
		}
		usleep(1000);
	}
	if (rc < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* Sends all of buf; a peer that hung up (EPIPE) may still have replied. */
static int send_all(int fd, const char *buf, size_t len, uint64_t deadline_ns)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		int rc;

		if (n >= 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EPIPE || errno == ECONNRESET)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		rc = wait_fd(fd, POLLOUT, deadline_ns);
		if (rc < 0)
			return rc;
	}
	shutdown(fd, SHUT_WR);
	return 0;
}

/* Reads exactly len bytes; -EBADMSG when the server closes early. */
static int recv_all(int fd, char *buf, size_t len, uint64_t deadline_ns)
{
	while (len > 0) {
		ssize_t n = recv(fd, buf, len, 0);
		int rc;

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0 || errno == ECONNRESET)
			return -EBADMSG;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		rc = wait_fd(fd, POLLIN, deadline_ns);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The request as compact JSON followed by '\n'; caller frees with mem_free. */
static char *encode_request(json_t *req, size_t *len)
{
	size_t n = json_dumpb(req, NULL, 0, JSON_COMPACT);
	char *buf;

	if (n == 0 || n > ASOK_MAX_REQUEST)
		return NULL;
	buf = mem_malloc(n + 1);
	if (buf == NULL)
		return NULL;
	json_dumpb(req, buf, n, JSON_COMPACT);
	buf[n] = '\n';
	*len = n + 1;
	return buf;
}

static int read_reply(int fd, uint64_t deadline_ns, json_t **reply)
{
	unsigned char hdr[4];
	ssize_t len;
	char *body;
	int rc;

	rc = recv_all(fd, (char *)hdr, sizeof(hdr), deadline_ns);
	if (rc < 0)
		return rc;
	len = asok_proto_reply_len(hdr);
	if (len < 0)
		return (int)len;
	body = mem_malloc((size_t)len + 1);
	if (body == NULL)
		return -ENOMEM;
	rc = recv_all(fd, body, (size_t)len, deadline_ns);
	if (rc == 0)
		rc = asok_proto_reply_decode(body, (size_t)len, reply);
	mem_free(body);
	return rc;
}

int asok_call(const char *path, json_t *req, int timeout_ms, json_t **reply)
{
	uint64_t deadline_ns = 0;
	size_t len = 0;
	char *buf;
	int fd, rc;

	if (path == NULL || !json_is_object(req) || reply == NULL)
		return -EINVAL;
	if (timeout_ms >= 0)
		deadline_ns = tmr_now_ns() + (uint64_t)timeout_ms * MS_NS + 1;
	buf = encode_request(req, &len);
	if (buf == NULL)
		return json_dumpb(req, NULL, 0, JSON_COMPACT) > ASOK_MAX_REQUEST ? -EMSGSIZE
		                                                                 : -ENOMEM;
	fd = connect_path(path, deadline_ns);
	if (fd < 0) {
		rc = fd;
		goto out_free;
	}
	rc = send_all(fd, buf, len, deadline_ns);
	if (rc == 0)
		rc = read_reply(fd, deadline_ns, reply);
	close(fd);
out_free:
	mem_free(buf);
	return rc;
}
