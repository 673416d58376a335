/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/sim/peering/sim_scenario.c - scripted runs of situations that the
 * random runs reach rarely, checked by the same invariants (sim_check.c).
 *
 * One PG, six OSDs, CRUSH order 0..5 (up = the first three that are in and
 * up), a reliable network, no allocation failures. Both scenarios write
 * while acting is {0,1,2}, then mark 0, 1 and 2 out in one map: the new up
 * set {3,4,5} holds three copies created in that epoch, which know nothing
 * of the interval that took the writes, and whose only survivors are now
 * outside up and acting.
 *   history-out:  0, 1 and 2 stay up; the new primary must learn the
 *                 history from them (it asks every up OSD) and recover.
 *   history-down: 0, 1 and 2 crash first; the new primary must stay
 *                 inactive until they restart, then recover. */
#include <stdio.h>
#include <string.h>

#include "sim.h"

#define SCEN_LIMIT_MS 300000

const char *const sim_scenarios[] = { "history-out", "history-down", NULL };

static struct pg_peer *primary_core(struct sim *s)
{
	const struct sim_map *m = sim_latest(s);
	if (!m->m[0].n_acting || !s->osd[m->m[0].acting[0]].alive)
		return NULL;
	return s->osd[m->m[0].acting[0]].pg[0];
}

static bool is_clean(struct sim *s)
{
	struct pg_peer *p = primary_core(s);
	const struct sim_map *m = sim_latest(s);
	if (s->n_msgs || s->n_mon || s->n_writes || !p ||
	    pg_peer_state(p) != (PG_PEER_ST_ACTIVE | PG_PEER_ST_CLEAN))
		return false;
	for (int o = 0; o < s->n_osds; o++)
		if (s->osd[o].alive && (s->osd[o].pend || s->osd[o].epoch + 1 != s->n_maps))
			return false;
	return m->m[0].n_acting == m->m[0].size;
}

static bool no_writes(struct sim *s)
{
	return !s->n_writes;
}

/* Runs events until done(s) or for ms (done NULL); false on a failure. */
static bool run_until(struct sim *s, bool (*done)(struct sim *s), uint64_t ms, const char *what)
{
	uint64_t deadline = s->now + ms;
	while (!s->failure[0] && !(done && done(s))) {
		if (s->now > deadline) {
			if (done)
				sim_fail(s, "scenario: not %s within %llu ms", what,
				         (unsigned long long)ms);
			break;
		}
		sim_step(s);
	}
	return !s->failure[0];
}

static void write_keys(struct sim *s, int n)
{
	struct pg_peer *p = primary_core(s);
	for (int k = 0; k < n && p; k++) {
		char key[SIM_KEY_LEN];
		snprintf(key, sizeof(key), "k%02d", k);
		if (pg_peer_can_write(p, key))
			sim_client_write(s, 0, key, sim_latest(s)->m[0].acting[0], false);
	}
}

static void set_out(struct sim *s, int first, int n)
{
	struct sim_map m = *sim_latest(s);
	for (int o = first; o < first + n; o++)
		m.in[o] = false;
	sim_publish(s, &m);
}

static bool old_down(struct sim *s)
{
	const struct sim_map *m = sim_latest(s);
	return !m->up[0] && !m->up[1] && !m->up[2];
}

/* While the survivors are down, the PG must not go active. */
static bool stays_inactive(struct sim *s, uint64_t ms)
{
	uint64_t end = s->now + ms;
	while (!s->failure[0] && s->now < end) {
		struct pg_peer *p = primary_core(s);
		if (p && pg_peer_is_active(p))
			sim_fail(s, "scenario: active while every copy with the data is down");
		sim_step(s);
	}
	return !s->failure[0];
}

static void scenario_init(struct sim *s, const struct sim_opts *o)
{
	memset(s, 0, sizeof(*s));
	s->o = *o;
	s->seed = s->rng = 1;
	s->n_osds = 6;
	s->n_pgs = 1;
	s->n_keys = 8;
	s->cfg = (struct pg_peer_config){
		.resend_ticks = 3, .log_max = 40, .log_keep = 20, .recovery_max = 2, .scan_max = 3
	};
	s->max_delay = 10;
	s->scripted = true;
	for (int i = 0; i < s->n_osds; i++)
		s->perm[0][i] = i;
	sim_start(s);
}

int sim_scenario(const char *name, const struct sim_opts *o, struct sim *s)
{
	bool down = !strcmp(name, "history-down");
	scenario_init(s, o);
	if (!down && strcmp(name, "history-out")) {
		sim_fail(s, "unknown scenario %s", name);
		return -1;
	}
	if (run_until(s, is_clean, SCEN_LIMIT_MS, "active+clean at the start")) {
		write_keys(s, s->n_keys);
		run_until(s, no_writes, SCEN_LIMIT_MS, "done writing");
	}
	if (!s->failure[0] && !s->stats_acks)
		sim_fail(s, "scenario: no write was acknowledged");
	if (!s->failure[0] && down) {
		for (int osd = 0; osd < 3; osd++)
			sim_osd_crash(s, osd);
		run_until(s, old_down, SCEN_LIMIT_MS, "marked down");
	}
	if (!s->failure[0])
		set_out(s, 0, 3);
	if (!s->failure[0] && down && stays_inactive(s, 20000))
		for (int osd = 0; osd < 3; osd++)
			sim_osd_restart(s, osd);
	if (!s->failure[0])
		run_until(s, is_clean, SCEN_LIMIT_MS, "active+clean after the remap");
	if (!s->failure[0])
		sim_check_final(s);
	if (s->failure[0] && o->verbose)
		sim_dump(s);
	return s->failure[0] ? -1 : 0;
}
