/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rados/client.c - the cluster handle (rados_t): configuration, connect
 * (messenger, monitor client, OSD map subscription, tick thread), shutdown,
 * monitor commands, cluster-wide queries.
 *
 * DESIGN
 * State: NEW --connect--> CONNECTED --shutdown--> (freed). A failed connect
 * undoes its steps in reverse and leaves the handle NEW. Threads once
 * connected: the messenger's workers and its dispatch thread (replies, maps,
 * resets, completion callbacks), and our tick thread (monc_tick, op
 * timeouts, delayed resends and reconnects, every RADOSC_TICK_MS). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/timer.h"
#include "maps/uuid.h"
#include "monc/monc.h"
#include "rados/client_int.h"

void rados_version(int *major, int *minor, int *extra)
{
	if (major)
		*major = LIBRADOS_VER_MAJOR;
	if (minor)
		*minor = LIBRADOS_VER_MINOR;
	if (extra)
		*extra = LIBRADOS_VER_EXTRA;
}

/* ---- time helpers ------------------------------------------------------------- */

uint64_t radosc_deadline(uint64_t timeout_ns)
{
	return timeout_ns ? tmr_now_ns() + timeout_ns : 0;
}

bool radosc_cond_wait_until(struct radosc_client *cl, uint64_t deadline_ns)
{
	struct timespec ts;
	uint64_t now = tmr_now_ns();

	if (!deadline_ns) {
		pthread_cond_wait(&cl->cond, &cl->lock);
		return true;
	}
	if (now >= deadline_ns)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec +
	      (deadline_ns - tmr_now_ns());
	ts.tv_sec = (time_t)(now / 1000000000ull);
	ts.tv_nsec = (long)(now % 1000000000ull);
	pthread_cond_timedwait(&cl->cond, &cl->lock, &ts);
	return true;
}

uint64_t radosc_mon_timeout_ms(const struct radosc_client *cl)
{
	return (uint64_t)(cfg_double(cl->cfg, CFG_KEY_rados_mon_op_timeout) * 1000.0);
}

/* Logging is per process. A library stays quiet unless asked: with
 * log_level at its default only warnings and errors are written; an
 * explicit log_level / log_levels applies as in the daemons, and an
 * explicit log_file (conf file, environment, rados_conf_set) is opened. */
static void apply_logging(struct radosc_client *cl)
{
	const char *lvl = cfg_str(cl->cfg, CFG_KEY_log_level);
	const char *levels = cfg_str(cl->cfg, CFG_KEY_log_levels);
	const char *file = cfg_str(cl->cfg, CFG_KEY_log_file);
	enum log_level l;
	int rc;

	if (cfg_source(cl->cfg, CFG_KEY_log_level) == CFG_LAYER_DEFAULT)
		log_set_all_levels(LOG_LVL_WARN);
	else if (log_level_parse(lvl, &l) == 0)
		log_set_all_levels(l);
	else if (log_apply_spec(lvl) < 0)
		log_warn(rados, "log_level '%s' is not a level", lvl);
	if (levels && *levels && log_apply_spec(levels) < 0)
		log_warn(rados, "log_levels '%s' is not a level list", levels);
	if (file && *file && strcmp(file, "-") != 0 &&
	    cfg_source(cl->cfg, CFG_KEY_log_file) != CFG_LAYER_DEFAULT && (rc = log_open(file)) < 0)
		log_warn(rados, "cannot open log file %s: %s", file, strerror(-rc));
}

/* Reads the options the objecter uses while running. */
static void load_opts(struct radosc_client *cl)
{
	pthread_mutex_lock(&cl->lock);
	cl->thr.max_ops = (uint64_t)cfg_int(cl->cfg, CFG_KEY_objecter_inflight_ops);
	cl->thr.max_bytes = cfg_size(cl->cfg, CFG_KEY_objecter_inflight_op_bytes);
	cl->op_timeout_ns =
	    (uint64_t)(cfg_double(cl->cfg, CFG_KEY_rados_osd_op_timeout) * 1000000000.0);
	pthread_cond_broadcast(&cl->cond);
	pthread_mutex_unlock(&cl->lock);
}

/* ---- create and configure ------------------------------------------------------ */

static int client_create(const char *id, struct radosc_client **out)
{
	struct radosc_client *cl = mem_calloc(1, sizeof(*cl));
	pthread_condattr_t ca;
	int rc;

	if (!cl)
		return -ENOMEM;
	rc = cfg_create(CFG_D_CLIENT, id, &cl->cfg);
	if (rc < 0) {
		mem_free(cl);
		return rc;
	}
	pthread_mutex_init(&cl->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cl->cond, &ca);
	pthread_condattr_destroy(&ca);
	radosc_objecter_init(cl);
	load_opts(cl);
	*out = cl;
	return 0;
}

int rados_create(rados_t *cluster, const char *const id)
{
	struct radosc_client *cl;
	int rc;

	if (!cluster)
		return -EINVAL;
	rc = client_create(id ? id : "admin", &cl);
	if (rc == 0)
		*cluster = cl;
	return rc;
}

int rados_create2(rados_t *pcluster, const char *const clustername, const char *const name,
                  uint64_t flags)
{
	static const char pfx[] = "client.";
	struct radosc_client *cl;
	const char *id = "admin";
	int rc;

	if (!pcluster || flags)
		return -EINVAL;
	if (name) {
		if (strncmp(name, pfx, sizeof(pfx) - 1) != 0)
			return -EINVAL;
		id = name + sizeof(pfx) - 1;
	}
	rc = client_create(id, &cl);
	if (rc < 0)
		return rc;
	if (clustername && clustername[0]) {
		rc = cfg_set(cl->cfg, CFG_LAYER_CMDLINE, "cluster", clustername);
		if (rc < 0) {
			rados_shutdown(cl);
			return rc;
		}
	}
	*pcluster = cl;
	return 0;
}

static bool file_exists(const char *p)
{
	return p && p[0] && access(p, F_OK) == 0;
}

int rados_conf_read_file(rados_t cluster, const char *path)
{
	struct radosc_client *cl = cluster;
	char def[PATH_MAX];
	const char *cands[4];

	if (!cl)
		return -EINVAL;
	if (path && path[0])
		return cfg_load_file(cl->cfg, path);
	snprintf(def, sizeof(def), "/etc/sepia/%s.conf", cfg_str(cl->cfg, CFG_KEY_cluster));
	cands[0] = cl->conf_path;
	cands[1] = getenv("SEPIA_CONF");
	cands[2] = "sepia.conf";
	cands[3] = def;
	for (size_t i = 0; i < 4; i++)
		if (file_exists(cands[i]))
			return cfg_load_file(cl->cfg, cands[i]);
	return -ENOENT;
}

/* Remembers -c/--conf FILE for rados_conf_read_file(NULL). */
static int note_conf(struct radosc_client *cl, int argc, const char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;

		if (strcmp(a, "--") == 0)
			break;
		if ((strcmp(a, "-c") == 0 || strcmp(a, "--conf") == 0) && i + 1 < argc)
			v = argv[i + 1];
		else if (strncmp(a, "--conf=", 7) == 0)
			v = a + 7;
		if (v) {
			char *p = mem_strdup(v);

			if (!p)
				return -ENOMEM;
			mem_free(cl->conf_path);
			cl->conf_path = p;
		}
	}
	return 0;
}

int rados_conf_parse_argv(rados_t cluster, int argc, const char **argv)
{
	struct radosc_client *cl = cluster;
	char **copy;
	int n = argc, rc;

	if (!cl || argc < 0 || (argc && !argv))
		return -EINVAL;
	if (argc == 0)
		return 0;
	copy = mem_calloc((size_t)argc + 1, sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, argv, (size_t)argc * sizeof(*copy));
	rc = note_conf(cl, argc, argv);
	if (rc == 0)
		rc = cfg_parse_argv(cl->cfg, &n, copy);
	mem_free(copy);
	if (rc == 0)
		load_opts(cl);
	return rc;
}

int rados_conf_parse_env(rados_t cluster, const char *var)
{
	struct radosc_client *cl = cluster;
	const char *args[64], *val;
	char *text, *save = NULL;
	int n = 1, rc;

	if (!cl)
		return -EINVAL;
	rc = cfg_load_env(cl->cfg);
	val = getenv(var ? var : "SEPIA_ARGS");
	if (rc < 0 || !val || !val[0]) {
		load_opts(cl);
		return rc;
	}
	text = mem_strdup(val);
	if (!text)
		return -ENOMEM;
	args[0] = "rados";
	for (char *w = strtok_r(text, " \t\n", &save); w && n < 64;
	     w = strtok_r(NULL, " \t\n", &save))
		args[n++] = w;
	rc = rados_conf_parse_argv(cl, n, args);
	mem_free(text);
	return rc;
}

int rados_conf_set(rados_t cluster, const char *option, const char *value)
{
	struct radosc_client *cl = cluster;
	int rc;

	if (!cl || !option || !value)
		return -EINVAL;
	rc = cfg_set(cl->cfg, CFG_LAYER_CMDLINE, option, value);
	if (rc == 0)
		load_opts(cl);
	return rc;
}

int rados_conf_get(rados_t cluster, const char *option, char *buf, size_t len)
{
	struct radosc_client *cl = cluster;
	int n;

	if (!cl || !option || !buf || !len)
		return -EINVAL;
	n = cfg_get_text(cl->cfg, option, buf, len);
	if (n < 0)
		return n;
	return (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* ---- connect and shutdown ------------------------------------------------------ */

static void on_dispatch(struct msg *m, void *arg)
{
	struct radosc_client *cl = arg;

	radosc_callback_enter();
	if (m->type == OSD_MSG_OPREPLY)
		radosc_handle_reply(cl, (struct osd_msg_opreply *)(void *)m);
	else if (!monc_handle_message(cl->monc, m))
		msg_put(m);
	radosc_callback_exit();
}

static void on_reset(struct msg_conn *c, void *arg)
{
	struct radosc_client *cl = arg;

	radosc_handle_reset(cl, c);
	monc_handle_reset(cl->monc, c);
}

static void *tick_main(void *arg)
{
	struct radosc_client *cl = arg;

	pthread_mutex_lock(&cl->lock);
	while (!cl->stopping) {
		uint64_t until = tmr_now_ns() + RADOSC_TICK_MS * 1000000ull;

		while (!cl->stopping && tmr_now_ns() < until)
			radosc_cond_wait_until(cl, until);
		if (cl->stopping)
			break;
		pthread_mutex_unlock(&cl->lock);
		monc_tick(cl->monc);
		radosc_objecter_tick(cl);
		pthread_mutex_lock(&cl->lock);
	}
	pthread_mutex_unlock(&cl->lock);
	return NULL;
}

static int new_gid(uint64_t *gid)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = tmr_wall_ns() ^ ((uint64_t)getpid() << 32);
	*gid = (v >> 1) | 1; /* nonzero, and no leading zero as text */
	return 0;
}

static int start_msgr(struct radosc_client *cl, const struct monmap *mons)
{
	struct msg_dispatcher d = { .dispatch = on_dispatch, .handle_reset = on_reset, .arg = cl };
	struct msg_opts o;
	char id[24];
	int rc;

	new_gid(&cl->gid);
	snprintf(id, sizeof(id), "%llu", (unsigned long long)cl->gid);
	rc = msg_entity_set(&cl->me, MSG_ENTITY_CLIENT, id);
	if (rc == 0)
		rc = msg_opts_load(cl->cfg, &o);
	if (rc == 0)
		rc = msg_registry_create(&cl->reg);
	if (rc == 0)
		rc = mon_proto_register(cl->reg);
	if (rc == 0)
		rc = osd_proto_register(cl->reg);
	if (rc == 0)
		rc = msg_messenger_create(&cl->me, &o, cl->reg, &d, &cl->msgr);
	if (rc == 0)
		rc = monc_create(cl->msgr, mons, &cl->monc);
	if (rc < 0)
		return rc;
	monc_set_map_cb(cl->monc, radosc_handle_map, cl);
	rc = msg_messenger_start(cl->msgr);
	if (rc == 0) {
		cl->nonce = msg_messenger_nonce(cl->msgr);
		rc = monc_start(cl->monc);
	}
	if (rc == 0)
		rc = monc_subscribe(cl->monc, MON_MAP_OSDMAP, 0, false);
	return rc;
}

/* Undoes start_msgr and the tick thread (any prefix of them). */
static void stop_net(struct radosc_client *cl)
{
	if (cl->tick_started) {
		pthread_mutex_lock(&cl->lock);
		cl->stopping = true;
		pthread_cond_broadcast(&cl->cond);
		pthread_mutex_unlock(&cl->lock);
		pthread_join(cl->tick, NULL);
		cl->tick_started = false;
	}
	msg_messenger_destroy(cl->msgr); /* no callback runs after this */
	cl->msgr = NULL;
	radosc_objecter_shutdown(cl);
	monc_destroy(cl->monc);
	cl->monc = NULL;
	msg_registry_destroy(cl->reg);
	cl->reg = NULL;
	osdmap_destroy(cl->map);
	cl->map = NULL;
}

static int wait_first_map(struct radosc_client *cl)
{
	uint64_t deadline = radosc_deadline(radosc_mon_timeout_ms(cl) * 1000000ull);
	int rc = 0;

	pthread_mutex_lock(&cl->lock);
	while (!cl->map && rc == 0)
		if (!radosc_cond_wait_until(cl, deadline))
			rc = -ETIMEDOUT;
	if (rc == 0)
		cl->state = RADOSC_CONNECTED;
	pthread_mutex_unlock(&cl->lock);
	return rc;
}

int rados_connect(rados_t cluster)
{
	static const uint8_t nofsid[16];
	struct radosc_client *cl = cluster;
	struct monmap mons;
	int rc;

	if (!cl)
		return -EINVAL;
	if (cl->state != RADOSC_NEW)
		return -EISCONN;
	monmap_init(&mons, nofsid);
	if (monmap_parse_hosts(&mons, cfg_str(cl->cfg, CFG_KEY_mon_host)) < 0 || mons.n == 0) {
		log_err(rados, "no monitors: set mon_host (conf file or rados_conf_set)");
		return -ENOENT;
	}
	apply_logging(cl);
	load_opts(cl);
	cl->stopping = false;
	rc = start_msgr(cl, &mons);
	if (rc == 0) {
		rc = -pthread_create(&cl->tick, NULL, tick_main, cl);
		cl->tick_started = rc == 0;
	}
	if (rc == 0)
		rc = wait_first_map(cl);
	if (rc < 0) {
		log_err(rados, "connect: %s", strerror(-rc));
		stop_net(cl);
		pthread_mutex_lock(&cl->lock);
		cl->state = RADOSC_NEW;
		pthread_mutex_unlock(&cl->lock);
		return rc;
	}
	log_debug(rados, "connected as %s, OSD map e%u", cfg_name(cl->cfg), cl->map->epoch);
	return 0;
}

void rados_shutdown(rados_t cluster)
{
	struct radosc_client *cl = cluster;

	if (!cl)
		return;
	pthread_mutex_lock(&cl->lock);
	cl->state = RADOSC_SHUTDOWN; /* new ops fail with -ENOTCONN from here on */
	pthread_cond_broadcast(&cl->cond);
	pthread_mutex_unlock(&cl->lock);
	stop_net(cl);
	cfg_destroy(cl->cfg);
	mem_free(cl->conf_path);
	pthread_cond_destroy(&cl->cond);
	pthread_mutex_destroy(&cl->send_lock);
	pthread_mutex_destroy(&cl->lock);
	mem_free(cl);
}

/* ---- queries ------------------------------------------------------------------- */

int rados_cluster_fsid(rados_t cluster, char *buf, size_t len)
{
	struct radosc_client *cl = cluster;
	char s[MAPS_UUID_STR_LEN];
	int rc = -ENOTCONN;

	if (!cl || !buf)
		return -EINVAL;
	pthread_mutex_lock(&cl->lock);
	if (cl->map) {
		maps_uuid_str(cl->map->fsid, s);
		rc = 0;
	}
	pthread_mutex_unlock(&cl->lock);
	if (rc < 0)
		return rc;
	if (len < sizeof(s))
		return -ERANGE;
	memcpy(buf, s, sizeof(s));
	return (int)strlen(s);
}

uint64_t rados_get_instance_id(rados_t cluster)
{
	struct radosc_client *cl = cluster;

	return cl ? cl->gid : 0;
}

/* ---- monitor commands ---------------------------------------------------------- */

int radosc_mon_command(struct radosc_client *cl, const char *cmd, const void *in, size_t in_len,
                       char **out, size_t *out_len, char **status)
{
	uint64_t ms = radosc_mon_timeout_ms(cl);
	struct monc_reply r;
	int rc;

	if (cl->state != RADOSC_CONNECTED)
		return -ENOTCONN;
	if (radosc_in_callback())
		return -EDEADLK;
	rc = monc_command_sync(cl->monc, cmd, in, in_len, ms && ms < INT_MAX ? (int)ms : INT_MAX,
	                       &r);
	if (rc < 0)
		return rc;
	if (out) {
		*out = (char *)r.out;
		r.out = NULL;
	}
	if (out_len)
		*out_len = r.out_len;
	if (status) {
		*status = r.status;
		r.status = NULL;
	}
	mem_free(r.out);
	mem_free(r.status);
	return r.rc;
}

void rados_buffer_free(char *buf)
{
	mem_free(buf);
}

/* Ceph-style {"prefix": "osd pool create", "pool": "x", ...} -> Sepia's
 * {"cmd": [words...]} (prefix words, then the other values in order). */
static char *convert_prefix(const char *text)
{
	json_t *j = json_loads(text, 0, NULL), *words, *v, *o = NULL;
	const char *k, *fmt = "plain";
	char *res = NULL;

	if (!j || !json_is_object(j) || !json_is_string(json_object_get(j, "prefix")) ||
	    json_object_get(j, "cmd")) {
		json_decref(j);
		return NULL;
	}
	words = json_array();
	json_object_foreach(j, k, v)
	{
		if (strcmp(k, "format") == 0 && json_is_string(v)) {
			fmt = json_string_value(v);
		} else if (strcmp(k, "prefix") == 0) {
			char *p = mem_strdup(json_string_value(v)), *save = NULL;

			for (char *w = p ? strtok_r(p, " ", &save) : NULL; w;
			     w = strtok_r(NULL, " ", &save))
				json_array_append_new(words, json_string(w));
			mem_free(p);
		} else if (json_is_string(v) || json_is_integer(v) || json_is_real(v)) {
			char *s = json_dumps(v, JSON_ENCODE_ANY);

			if (s && json_is_string(v))
				json_array_append(words, v);
			else if (s)
				json_array_append_new(words, json_string(s));
			free(s);
		} else if (json_is_array(v)) {
			size_t i;
			json_t *x;

			json_array_foreach(v, i, x) if (json_is_string(x))
			    json_array_append(words, x);
		}
	}
	o = json_pack("{s:o, s:s}", "cmd", words, "format", fmt);
	res = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	json_decref(j);
	return res;
}

int rados_mon_command(rados_t cluster, const char **cmd, size_t cmdlen, const char *inbuf,
                      size_t inbuflen, char **outbuf, size_t *outbuflen, char **outs,
                      size_t *outslen)
{
	struct radosc_client *cl = cluster;
	char *text, *conv, *out = NULL, *st = NULL;
	size_t total = 1, out_len = 0;
	int rc;

	if (!cl || !cmd || cmdlen == 0)
		return -EINVAL;
	for (size_t i = 0; i < cmdlen; i++)
		total += cmd[i] ? strlen(cmd[i]) : 0;
	text = mem_calloc(1, total);
	if (!text)
		return -ENOMEM;
	for (size_t i = 0; i < cmdlen; i++) /* librados joins the pieces */
		if (cmd[i])
			strcat(text, cmd[i]);
	conv = convert_prefix(text);
	rc = radosc_mon_command(cl, conv ? conv : text, inbuf, inbuflen, &out, &out_len, &st);
	free(conv);
	mem_free(text);
	if (outbuf)
		*outbuf = out;
	else
		mem_free(out);
	if (outbuflen)
		*outbuflen = out ? out_len : 0;
	if (outs)
		*outs = st;
	else
		mem_free(st);
	if (outslen)
		*outslen = st ? strlen(st) : 0;
	return rc;
}

/* Waits until the map reaches the newest epoch the monitors report. */
int rados_wait_for_latest_osdmap(rados_t cluster)
{
	struct radosc_client *cl = cluster;
	uint64_t deadline;
	char *out = NULL;
	json_t *j;
	json_int_t epoch = 0;
	int rc;

	if (!cl)
		return -EINVAL;
	rc = radosc_mon_command(cl, "{\"cmd\":[\"osd\",\"stat\"],\"format\":\"json\"}", NULL, 0,
	                        &out, NULL, NULL);
	if (rc < 0) {
		mem_free(out);
		return rc;
	}
	j = out ? json_loads(out, 0, NULL) : NULL;
	epoch = json_integer_value(json_object_get(j, "epoch"));
	json_decref(j);
	mem_free(out);
	deadline = radosc_deadline(radosc_mon_timeout_ms(cl) * 1000000ull);
	pthread_mutex_lock(&cl->lock);
	while (rc == 0 && cl->map && (json_int_t)cl->map->epoch < epoch)
		if (!radosc_cond_wait_until(cl, deadline))
			rc = -ETIMEDOUT;
	pthread_mutex_unlock(&cl->lock);
	return rc;
}
