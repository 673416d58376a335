/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/integration/fakeosd/fake_osd.c - a stand-in for OSD daemons in the
 * monitor tests: one process speaks for many OSD ids through the monitor
 * client. Commands on stdin, one per line:
 *   boot ID HOST [WEIGHT]   send an OSD boot for ID (host bucket HOST)
 *   beat ID...              send beacons for these ids every interval
 *   mute ID...              stop sending their beacons
 *   fail TARGET REPORTER    report TARGET failed (from REPORTER)
 *   alive TARGET REPORTER   cancel that report
 *   sub START               subscribe to the OSD map from epoch START
 *   upthru ID WANT          ask for up_thru >= WANT for ID (MON_MSG_OSD_ALIVE)
 *   pgtemp ID POOL PS [OSD...]  ask for pg_temp POOL.PS = OSDs (none: remove)
 *   quit
 * stdout: "map full=E incs=A-B newest=N" for every OSD map message, and
 * "ok" after each command, flushed. Options: -c CONF, --interval SECONDS. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/log.h"
#include "common/timer.h"
#include "maps/uuid.h"
#include "monc/monc.h"

struct fake {
	struct cfg *cfg;
	struct msg_registry *reg;
	struct msg_messenger *msgr;
	struct monc *monc;
	uint8_t fsid[16];
	pthread_mutex_t lock; /* guards beating */
	bool beating[1024];
	double interval;
	atomic_bool stop;
};

static void on_message(struct msg *m, void *arg)
{
	struct fake *f = arg;

	if (!f->monc || !monc_handle_message(f->monc, m))
		msg_put(m);
}

static void on_reset(struct msg_conn *c, void *arg)
{
	struct fake *f = arg;

	if (f->monc)
		monc_handle_reset(f->monc, c);
}

static void on_map(const struct mon_msg_map *m, void *arg)
{
	(void)arg;
	if (m->kind != MON_MAP_OSDMAP)
		return;
	printf("map full=%u incs=%u-%u newest=%u\n", m->full_epoch, m->first_inc,
	       m->ninc ? m->first_inc + m->ninc - 1 : 0, m->newest);
	fflush(stdout);
}

static int send_boot(struct fake *f, int id, const char *host, double weight)
{
	struct mon_msg_osd_boot *b;
	struct msg *m;
	char a[32];
	int rc = msg_create_typed(&mon_osd_boot_ops, &m);

	if (rc < 0)
		return rc;
	b = (void *)m;
	b->osd = id;
	memcpy(b->fsid, f->fsid, 16);
	snprintf(a, sizeof(a), "127.0.0.1:%d", 7000 + id);
	msg_addr_parse(a, &b->addr);
	b->nonce = tmr_wall_ns() + (uint64_t)id;
	b->epoch = monc_have(f->monc, MON_MAP_OSDMAP);
	b->weight = weight;
	snprintf(b->host, sizeof(b->host), "%s", host);
	return monc_send(f->monc, m);
}

static int send_failure(struct fake *f, int target, int reporter, bool alive)
{
	struct mon_msg_osd_failure *r;
	struct msg *m;
	int rc = msg_create_typed(&mon_osd_failure_ops, &m);

	if (rc < 0)
		return rc;
	r = (void *)m;
	r->target = target;
	r->reporter = reporter;
	r->epoch = monc_have(f->monc, MON_MAP_OSDMAP);
	r->failed_for = 20;
	r->still_alive = alive;
	return monc_send(f->monc, m);
}

static int send_alive(struct fake *f, int id, unsigned want)
{
	struct mon_msg_osd_alive *a;
	struct msg *m;
	int rc = msg_create_typed(&mon_osd_alive_ops, &m);

	if (rc < 0)
		return rc;
	a = (void *)m;
	a->osd = id;
	a->epoch = monc_have(f->monc, MON_MAP_OSDMAP);
	a->want_up_thru = want;
	return monc_send(f->monc, m);
}

/* "ID POOL PS [OSD...]" -> one PGTEMP entry. */
static int send_pgtemp(struct fake *f, const char *args)
{
	struct mon_msg_osd_pgtemp *t;
	struct msg *m;
	int id, ps, osd, n = 0, k;
	long long pool;
	int rc;

	if (sscanf(args, "%d %lld %d%n", &id, &pool, &ps, &n) != 3)
		return -EINVAL;
	rc = msg_create_typed(&mon_osd_pgtemp_ops, &m);
	if (rc < 0)
		return rc;
	t = (void *)m;
	t->osd = id;
	t->epoch = monc_have(f->monc, MON_MAP_OSDMAP);
	t->n = 1;
	t->ents[0].pool = pool;
	t->ents[0].ps = (uint32_t)ps;
	for (args += n; t->ents[0].n < 16 && sscanf(args, "%d%n", &osd, &k) == 1; args += k)
		t->ents[0].osds[t->ents[0].n++] = osd;
	return monc_send(f->monc, m);
}

static void send_beacons(struct fake *f)
{
	for (int id = 0; id < 1024; id++) {
		struct mon_msg_osd_beacon *b;
		struct msg *m;
		bool on;

		pthread_mutex_lock(&f->lock);
		on = f->beating[id];
		pthread_mutex_unlock(&f->lock);
		if (!on || msg_create_typed(&mon_osd_beacon_ops, &m) < 0)
			continue;
		b = (void *)m;
		b->osd = id;
		b->epoch = monc_have(f->monc, MON_MAP_OSDMAP);
		monc_send(f->monc, m);
	}
}

static void *ticker(void *arg)
{
	struct fake *f = arg;
	uint64_t last = 0;

	while (!atomic_load(&f->stop)) {
		uint64_t now = tmr_now_ns();

		monc_tick(f->monc);
		if (now - last >= (uint64_t)(f->interval * 1e9)) {
			send_beacons(f);
			last = now;
		}
		usleep(100000);
	}
	return NULL;
}

static void set_beating(struct fake *f, char *rest, bool on)
{
	char *save = NULL;

	for (char *t = strtok_r(rest, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		int id = atoi(t);

		if (id < 0 || id >= 1024)
			continue;
		pthread_mutex_lock(&f->lock);
		f->beating[id] = on;
		pthread_mutex_unlock(&f->lock);
	}
}

/* Runs one stdin command; 1 to quit, 0 or -errno otherwise. */
static int command(struct fake *f, char *line)
{
	char word[16] = "", host[64] = "";
	int a = -1, b = -1, n = 0;
	double w = 1.0;

	if (sscanf(line, "%15s%n", word, &n) != 1)
		return 0;
	if (strcmp(word, "quit") == 0)
		return 1;
	if (strcmp(word, "boot") == 0 && sscanf(line + n, "%d %63s %lf", &a, host, &w) >= 2)
		return send_boot(f, a, host, w);
	if (strcmp(word, "beat") == 0 || strcmp(word, "mute") == 0) {
		set_beating(f, line + n, word[0] == 'b');
		return 0;
	}
	if ((strcmp(word, "fail") == 0 || strcmp(word, "alive") == 0) &&
	    sscanf(line + n, "%d %d", &a, &b) == 2)
		return send_failure(f, a, b, word[0] == 'a');
	if (strcmp(word, "upthru") == 0 && sscanf(line + n, "%d %d", &a, &b) == 2)
		return send_alive(f, a, (unsigned)b);
	if (strcmp(word, "pgtemp") == 0)
		return send_pgtemp(f, line + n);
	if (strcmp(word, "sub") == 0 && sscanf(line + n, "%d", &a) == 1)
		return monc_subscribe(f->monc, MON_MAP_OSDMAP, (uint32_t)a, false);
	return -EINVAL;
}

static int start(struct fake *f, int argc, char **argv)
{
	struct msg_dispatcher d = { .dispatch = on_message, .handle_reset = on_reset, .arg = f };
	struct msg_entity me;
	struct msg_opts o;
	struct monmap mons;
	int rc = cfg_create(CFG_D_OSD, "fake", &f->cfg);

	if (rc == 0)
		rc = cfg_parse_argv(f->cfg, &argc, argv);
	if (rc == 0)
		rc = cfg_load(f->cfg);
	if (rc == 0 && maps_uuid_parse(cfg_str(f->cfg, CFG_KEY_fsid), f->fsid) < 0)
		rc = -EINVAL;
	monmap_init(&mons, f->fsid);
	if (rc == 0)
		rc = monmap_parse_hosts(&mons, cfg_str(f->cfg, CFG_KEY_mon_host));
	if (rc == 0)
		rc = msg_entity_set(&me, MSG_ENTITY_OSD, "9999");
	if (rc == 0)
		rc = msg_opts_load(f->cfg, &o);
	if (rc == 0)
		rc = msg_registry_create(&f->reg);
	if (rc == 0)
		rc = mon_proto_register(f->reg);
	if (rc == 0)
		rc = msg_messenger_create(&me, &o, f->reg, &d, &f->msgr);
	if (rc == 0)
		rc = msg_messenger_start(f->msgr);
	if (rc == 0)
		rc = monc_create(f->msgr, &mons, &f->monc);
	if (rc == 0) {
		monc_set_map_cb(f->monc, on_map, f);
		monc_set_hunt_interval(f->monc, 1000);
		rc = monc_start(f->monc);
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct fake f = { .interval = 1.0 };
	char line[512];
	pthread_t tk;
	int rc;

	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--interval") == 0) {
			f.interval = atof(argv[i + 1]);
			memmove(argv + i, argv + i + 2, (size_t)(argc - i - 1) * sizeof(char *));
			argc -= 2;
			break;
		}
	pthread_mutex_init(&f.lock, NULL);
	log_set_level(LOG_SUB_msg, LOG_LVL_NONE);
	if ((rc = start(&f, argc, argv)) < 0) {
		fprintf(stderr, "sepia-fake-osd: cannot start: %s\n", strerror(-rc));
		return 1;
	}
	pthread_create(&tk, NULL, ticker, &f);
	while (fgets(line, sizeof(line), stdin)) {
		rc = command(&f, line);
		if (rc == 1)
			break;
		printf(rc < 0 ? "err %d\n" : "ok\n", rc);
		fflush(stdout);
	}
	atomic_store(&f.stop, true);
	pthread_join(tk, NULL);
	msg_messenger_destroy(f.msgr);
	monc_destroy(f.monc);
	msg_registry_destroy(f.reg);
	cfg_destroy(f.cfg);
	return 0;
}
