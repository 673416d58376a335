/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/asok.c - the admin socket server: a unix-socket listener on its own
 * thread and libuv loop, one request per connection, a registry of commands.
 *
 * DESIGN
 * Connection states (struct conn, loop thread only):
 *   READING --complete request--> WRITING --write_cb--> CLOSING --> freed
 *   READING --eof with no bytes | read error--> CLOSING
 *   any --asok_destroy--> CLOSING
 * A request is framed and parsed by asok_proto.c; run_command looks the
 * command up under a->lock, marks it busy, and calls the handler with the
 * lock released; asok_unregister waits until the command is not busy (unless
 * it runs on the server thread, i.e. from a handler), so after it returns
 * the handler's arg is no longer used.
 *
 * Invariants: every struct conn is in a->conns from accept to its close
 * callback; a->busy is NULL unless a handler runs; a command's words are
 * unique in a->cmds.
 *
 *   edge                   function
 *   accept -> READING      on_connection
 *   READING -> WRITING     on_read, serve, send_reply
 *   WRITING -> CLOSING     on_write
 *   * -> CLOSING -> freed  conn_close, on_conn_close
 *   server stop            on_stop (posted by asok_destroy through stop_async)
 *
 * Locking: a->lock guards cmds and busy; it is a leaf lock and is never held
 * across a handler or any libuv call. The server thread blocks every signal
 * so that a write to a vanished client cannot raise SIGPIPE in the process. */
#include "common/asok.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "common/asok_int.h"
#include "common/list.h"
#include "common/log.h"
#include "common/mem.h"

struct asok_cmd {
	struct list_node node; /* in a->cmds */
	json_t *words;         /* the prefix as an array of words */
	char *prefix;          /* the words joined by single spaces */
	char *help;
	asok_cmd_fn *fn;
	void *arg;
};

struct conn {
	struct list_node node; /* in a->conns; loop thread only */
	struct asok *a;
	uv_pipe_t pipe; /* pipe.data == this conn */
	uv_write_t wr;
	char *buf; /* request bytes received */
	size_t len, cap;
	char *out; /* encoded reply being written */
	bool closing;
};

struct asok {
	char *path;
	pthread_t thread;
	uv_loop_t loop; /* server thread only once started */
	uv_pipe_t listener;
	uv_async_t stop_async;
	uv_pipe_t reject;       /* takes a connection we have no memory for */
	bool rejecting;         /* reject is closing */
	struct list_node conns; /* struct conn; loop thread only */
	/* a->lock guards cmds and busy; leaf. */
	pthread_mutex_t lock;
	pthread_cond_t idle_cv; /* busy changed */
	struct list_node cmds;  /* struct asok_cmd */
	struct asok_cmd *busy;  /* command whose handler is running */
};

static void on_conn_close(uv_handle_t *h)
{
	struct conn *c = h->data;

	list_remove(&c->node);
	mem_free(c->out);
	mem_free(c->buf);
	mem_free(c);
}

static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->pipe, on_conn_close);
}

static void on_write(uv_write_t *wr, int status)
{
	struct conn *c = wr->data;

	if (status < 0 && status != UV_ECANCELED)
		log_debug(asok, "asok %s: reply not delivered: %s", c->a->path,
		          uv_strerror(status));
	conn_close(c);
}

static void send_reply(struct conn *c, json_t *reply)
{
	uv_buf_t b;
	size_t len;
	int rc = reply != NULL ? asok_proto_reply_encode(reply, &c->out, &len) : -ENOMEM;

	json_decref(reply);
	if (rc < 0) {
		log_warn(asok, "asok %s: cannot encode reply: %s", c->a->path, strerror(-rc));
		conn_close(c);
		return;
	}
	b = uv_buf_init(c->out, (unsigned)len);
	c->wr.data = c;
	rc = uv_write(&c->wr, (uv_stream_t *)&c->pipe, &b, 1, on_write);
	if (rc < 0)
		conn_close(c);
}

/* Caller holds a->lock. The best command for r and how many words it took. */
static struct asok_cmd *cmd_lookup_locked(struct asok *a, struct asok_req *r, size_t *nwords)
{
	struct asok_cmd *best = NULL;
	struct list_node *n;
	size_t m, best_m = 0;

	LIST_FOR_EACH(n, &a->cmds)
	{
		struct asok_cmd *cmd = LIST_CONTAINER(n, struct asok_cmd, node);

		m = asok_proto_match(cmd->words, r->words);
		if (r->nfixed > 0 && (m != r->nfixed || json_array_size(cmd->words) != m))
			continue;
		if (m > best_m) {
			best = cmd;
			best_m = m;
		}
	}
	*nwords = best_m;
	return best;
}

/* "unknown command 'a b c'; try help" */
static json_t *unknown_command(json_t *words)
{
	char text[256];
	size_t i, n = 0;
	json_t *w;

	n += (size_t)snprintf(text, sizeof(text), "unknown command '");
	json_array_foreach(words, i, w)
	{
		if (n < sizeof(text))
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s", i ? " " : "",
			                      json_string_value(w) ? json_string_value(w) : "?");
	}
	if (n < sizeof(text))
		snprintf(text + n, sizeof(text) - n, "'; try help");
	return json_string(text);
}

static int call_handler(struct asok *a, struct asok_req *r, json_t **result)
{
	struct asok_cmd *cmd;
	asok_cmd_fn *fn;
	json_t *args;
	size_t nwords;
	void *arg;
	int rc;

	pthread_mutex_lock(&a->lock);
	cmd = cmd_lookup_locked(a, r, &nwords);
	if (cmd == NULL) {
		pthread_mutex_unlock(&a->lock);
		*result = unknown_command(r->words);
		return -EINVAL;
	}
	a->busy = cmd; /* cmd itself may be freed by a handler's unregister */
	fn = cmd->fn;
	arg = cmd->arg;
	pthread_mutex_unlock(&a->lock);
	args = asok_proto_tail(r->words, nwords);
	rc = args != NULL ? fn(arg, args, r->req, result) : -ENOMEM;
	json_decref(args);
	pthread_mutex_lock(&a->lock);
	a->busy = NULL;
	pthread_cond_broadcast(&a->idle_cv);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

/* Runs the request in buf[0..len) and returns the reply object. */
static json_t *serve(struct asok *a, const char *buf, size_t len)
{
	struct asok_req r;
	json_t *result = NULL;
	int rc;

	rc = asok_proto_parse(buf, len, &r);
	if (rc < 0)
		return asok_proto_reply_err(rc, rc == -EINVAL ? "malformed request" : NULL);
	rc = call_handler(a, &r, &result);
	if (rc >= 0) {
		asok_req_fini(&r);
		return asok_proto_reply_ok(result);
	}
	log_debug(asok, "asok %s: command failed: %s", a->path, strerror(-rc));
	asok_req_fini(&r);
	if (json_is_string(result)) {
		json_t *reply = asok_proto_reply_err(rc, json_string_value(result));

		json_decref(result);
		return reply;
	}
	json_decref(result);
	return asok_proto_reply_err(rc, NULL);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct conn *c = h->data;
	size_t want = c->cap < 4096 ? 4096 : c->cap * 2;
	char *nb;

	(void)suggested;
	if (want > ASOK_MAX_REQUEST + 1)
		want = ASOK_MAX_REQUEST + 1;
	if (c->cap - c->len < 1024 && want > c->cap) {
		nb = mem_realloc(c->buf, want);
		if (nb != NULL) {
			c->buf = nb;
			c->cap = want;
		}
	}
	/* A zero-length buffer makes libuv report UV_ENOBUFS to on_read. */
	*b = uv_buf_init(c->buf != NULL ? c->buf + c->len : NULL, (unsigned)(c->cap - c->len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct conn *c = s->data;
	ssize_t r;

	(void)b;
	if (nread == 0)
		return;
	if (nread < 0 && nread != UV_EOF) {
		log_debug(asok, "asok %s: read: %s", c->a->path, uv_strerror((int)nread));
		conn_close(c);
		return;
	}
	if (nread > 0)
		c->len += (size_t)nread;
	r = asok_proto_frame(c->buf, c->len, nread == UV_EOF);
	if (r == 0)
		return;
	uv_read_stop(s);
	if (r == -ENODATA) { /* the client left without asking anything */
		conn_close(c);
		return;
	}
	if (r < 0)
		send_reply(c, asok_proto_reply_err((int)r, r == -EMSGSIZE ? "request too large"
		                                                          : "empty request"));
	else
		send_reply(c, serve(c->a, c->buf, (size_t)r));
}

static void on_reject_close(uv_handle_t *h)
{
	struct asok *a = h->data;

	a->rejecting = false;
}

/* libuv stops listening until a pending connection is accepted: accept it
 * into a->reject and close it at once. */
static void reject_connection(struct asok *a)
{
	log_warn(asok, "asok %s: no memory for a connection; dropping it", a->path);
	if (a->rejecting)
		return; /* listening resumes at the next accept */
	uv_pipe_init(&a->loop, &a->reject, 0);
	a->reject.data = a;
	a->rejecting = true;
	uv_accept((uv_stream_t *)&a->listener, (uv_stream_t *)&a->reject);
	uv_close((uv_handle_t *)&a->reject, on_reject_close);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct asok *a = server->data;
	struct conn *c;

	if (status < 0) {
		log_warn(asok, "asok %s: accept: %s", a->path, uv_strerror(status));
		return;
	}
	c = mem_calloc(1, sizeof(*c));
	if (c == NULL) {
		reject_connection(a);
		return;
	}
	c->a = a;
	uv_pipe_init(&a->loop, &c->pipe, 0);
	c->pipe.data = c;
	list_push_back(&a->conns, &c->node);
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0)
		conn_close(c);
}

static void on_stop(uv_async_t *h)
{
	struct asok *a = h->data;
	struct list_node *n;

	LIST_FOR_EACH(n, &a->conns)
	conn_close(LIST_CONTAINER(n, struct conn, node));
	uv_close((uv_handle_t *)&a->listener, NULL);
	uv_close((uv_handle_t *)&a->stop_async, NULL);
}

static void *server_main(void *p)
{
	struct asok *a = p;

	pthread_setname_np(pthread_self(), "asok");
	uv_run(&a->loop, UV_RUN_DEFAULT);
	return NULL;
}

/* 0 when path is free or held by a stale socket (then removed), else -errno. */
static int clear_stale(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 0; /* absent, or not ours to remove: bind reports it */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(sun.sun_path, path);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ? -EADDRINUSE : -errno;
	close(fd);
	if (rc == -EADDRINUSE)
		return rc; /* a live server answers */
	if (rc != -ECONNREFUSED)
		return 0;
	log_info(asok, "asok %s: removing stale socket", path);
	return unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
}

static int start_thread(struct asok *a)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&a->thread, NULL, server_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -rc;
}

/* Sets up the loop, the listener and the stop handle; on error everything
 * set up is closed again. */
static int open_loop(struct asok *a)
{
	int rc = uv_loop_init(&a->loop);

	if (rc < 0)
		return rc;
	uv_pipe_init(&a->loop, &a->listener, 0);
	a->listener.data = a;
	rc = uv_pipe_bind(&a->listener, a->path);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&a->listener, 16, on_connection);
	if (rc == 0)
		rc = uv_async_init(&a->loop, &a->stop_async, on_stop);
	if (rc == 0) {
		a->stop_async.data = a;
		return 0;
	}
	uv_close((uv_handle_t *)&a->listener, NULL);
	uv_run(&a->loop, UV_RUN_DEFAULT);
	uv_loop_close(&a->loop);
	return rc;
}

static void cmd_free(struct asok_cmd *cmd)
{
	json_decref(cmd->words);
	mem_free(cmd->prefix);
	mem_free(cmd->help);
	mem_free(cmd);
}

static void free_cmds(struct asok *a)
{
	struct list_node *n;

	while ((n = list_pop_front(&a->cmds)) != NULL)
		cmd_free(LIST_CONTAINER(n, struct asok_cmd, node));
}

static struct asok *asok_alloc(const char *path)
{
	struct asok *a = mem_calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->path = mem_strdup(path);
	if (a->path == NULL || pthread_mutex_init(&a->lock, NULL) != 0) {
		mem_free(a->path);
		mem_free(a);
		return NULL;
	}
	pthread_cond_init(&a->idle_cv, NULL);
	list_init(&a->conns);
	list_init(&a->cmds);
	return a;
}

static void asok_free(struct asok *a)
{
	free_cmds(a);
	pthread_cond_destroy(&a->idle_cv);
	pthread_mutex_destroy(&a->lock);
	mem_free(a->path);
	mem_free(a);
}

int asok_create(const char *path, struct cfg *cfg, struct perf_reg *perf, struct asok **out)
{
	struct asok *a;
	int rc;

	if (path == NULL || path[0] == '\0' || out == NULL)
		return -EINVAL;
	rc = clear_stale(path);
	if (rc < 0)
		return rc;
	a = asok_alloc(path);
	if (a == NULL)
		return -ENOMEM;
	rc = asok_builtin_register(a, cfg, perf);
	if (rc < 0)
		goto out_free;
	rc = open_loop(a);
	if (rc < 0)
		goto out_free;
	rc = start_thread(a);
	if (rc < 0)
		goto out_close_loop;
	log_info(asok, "asok %s: listening", path);
	*out = a;
	return 0;

out_close_loop:
	uv_close((uv_handle_t *)&a->stop_async, NULL);
	uv_close((uv_handle_t *)&a->listener, NULL);
	uv_run(&a->loop, UV_RUN_DEFAULT);
	uv_loop_close(&a->loop);
	unlink(path);
out_free:
	if (rc != -EADDRINUSE)
		log_err(asok, "asok %s: cannot start: %s", path, strerror(-rc));
	asok_free(a);
	return rc;
}

void asok_destroy(struct asok *a)
{
	if (a == NULL)
		return;
	assert(!pthread_equal(pthread_self(), a->thread));
	uv_async_send(&a->stop_async);
	pthread_join(a->thread, NULL);
	if (uv_loop_close(&a->loop) < 0)
		log_err(asok, "asok %s: loop still busy at close", a->path);
	unlink(a->path);
	log_info(asok, "asok %s: stopped", a->path);
	asok_free(a);
}

/* Caller holds a->lock. */
static struct asok_cmd *cmd_find_locked(struct asok *a, json_t *words)
{
	struct list_node *n;

	LIST_FOR_EACH(n, &a->cmds)
	{
		struct asok_cmd *cmd = LIST_CONTAINER(n, struct asok_cmd, node);

		if (json_equal(cmd->words, words))
			return cmd;
	}
	return NULL;
}

/* The words joined by single spaces; caller owns; NULL on ENOMEM. */
static char *words_join(json_t *words)
{
	size_t i, len = 0;
	json_t *w;
	char *s;

	json_array_foreach(words, i, w) len += json_string_length(w) + 1;
	s = mem_malloc(len + 1);
	if (s == NULL)
		return NULL;
	len = 0;
	json_array_foreach(words, i, w)
	{
		if (i > 0)
			s[len++] = ' ';
		memcpy(s + len, json_string_value(w), json_string_length(w));
		len += json_string_length(w);
	}
	s[len] = '\0';
	return s;
}

static struct asok_cmd *cmd_new(const char *prefix, const char *help, asok_cmd_fn *fn, void *arg)
{
	struct asok_cmd *cmd = mem_calloc(1, sizeof(*cmd));

	if (cmd == NULL)
		return NULL;
	cmd->words = asok_proto_split(prefix, ASOK_MAX_WORDS);
	cmd->prefix = cmd->words != NULL ? words_join(cmd->words) : NULL;
	cmd->help = mem_strdup(help != NULL ? help : "");
	if (cmd->prefix == NULL || cmd->help == NULL) {
		cmd_free(cmd);
		return NULL;
	}
	cmd->fn = fn;
	cmd->arg = arg;
	return cmd;
}

int asok_register(struct asok *a, const char *prefix, const char *help, asok_cmd_fn *fn, void *arg)
{
	struct asok_cmd *cmd;
	int rc = 0;

	if (a == NULL || prefix == NULL || fn == NULL || strspn(prefix, " \t") == strlen(prefix))
		return -EINVAL;
	cmd = cmd_new(prefix, help, fn, arg);
	if (cmd == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&a->lock);
	if (cmd_find_locked(a, cmd->words) != NULL)
		rc = -EEXIST;
	else
		list_push_back(&a->cmds, &cmd->node);
	pthread_mutex_unlock(&a->lock);
	if (rc < 0)
		cmd_free(cmd);
	return rc;
}

void asok_unregister(struct asok *a, const char *prefix)
{
	json_t *words;
	struct asok_cmd *cmd;
	bool on_server = a != NULL && pthread_equal(pthread_self(), a->thread);

	if (a == NULL || prefix == NULL)
		return;
	words = asok_proto_split(prefix, ASOK_MAX_WORDS);
	if (words == NULL)
		return;
	pthread_mutex_lock(&a->lock);
	cmd = cmd_find_locked(a, words);
	if (cmd != NULL)
		list_remove(&cmd->node);
	while (cmd != NULL && a->busy == cmd && !on_server)
		pthread_cond_wait(&a->idle_cv, &a->lock);
	pthread_mutex_unlock(&a->lock);
	json_decref(words);
	if (cmd != NULL)
		cmd_free(cmd);
}

json_t *asok_help_json(struct asok *a)
{
	json_t *help = json_object();
	struct list_node *n;

	pthread_mutex_lock(&a->lock);
	LIST_FOR_EACH(n, &a->cmds)
	{
		struct asok_cmd *cmd = LIST_CONTAINER(n, struct asok_cmd, node);

		if (help != NULL &&
		    json_object_set_new(help, cmd->prefix, json_string(cmd->help)) < 0) {
			json_decref(help);
			help = NULL;
		}
	}
	pthread_mutex_unlock(&a->lock);
	return help;
}
