/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/mon_consensus.c - drives the consensus core (raft.h) for the daemon:
 * every call's persistence ops and the map changes of the entries it
 * commits go to the store in one atomic fsync'd batch on a worker; only
 * when that batch is durable are the messages sent, waiting commands
 * answered and subscribers given the new maps.
 *
 * DESIGN
 * States: IDLE (busy = false) and PERSISTING (busy = true, one batch in a
 * wq worker). Edges:
 *   IDLE --raft call with ops/applies/snapshots--> PERSISTING   run_actions
 *   IDLE --raft call with only messages--> IDLE                 run_actions
 *   PERSISTING --batch durable--> IDLE                          on_durable
 *   PERSISTING --store error--> daemon stops (exit 1)           on_durable
 * Invariants:
 *   C1 no consensus call and no inbound event is handled while busy
 *      (mon_net_drain and the tick check it): a call never overlaps an
 *      unfinished batch (raft.h, step 2 before step 1).
 *   C2 m->applied is the last applied index; once !busy it is durable.
 *   C3 the in-memory committed maps equal the store's at m->applied once
 *      !busy: they are changed only by mon_svc_apply, whose changes ride the
 *      same batch as the applied index.
 *   C4 a batch holding a SNAPSHOT op carries no applies: the services are
 *      reloaded from the store after it (m->reload) before anything else.
 *   C5 group commit: m->group holds operations queued by this leader since
 *      the last proposal; it is proposed as one entry at the end of every
 *      drain and tick (mon_consensus_flush), or when full, and discarded
 *      (its commands answered -EAGAIN) when the leadership ends.
 *   C6 a MonMap change is alone in its log entry (group_solo), and the
 *      consensus configuration follows the committed MonMap: the leader
 *      proposes one CONF change per tick while the MonMap's ids differ from
 *      mon_raft_conf (reconcile_conf). So an added monitor is in the MonMap
 *      before it is a member, and a removed one leaves the MonMap first.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/perf.h"
#include "common/timer.h"
#include "common/wq.h"
#include "mon/mon.h"
#include "mon/mon_store.h"

/* Results of the entries applied by the batch in flight, for the waiters. */
struct applied_res {
	uint64_t index, term;
	int rc;
};

static void assert_consensus_state(const struct mon *m)
{
	assert(!m->busy);                                            /* C1 */
	assert(m->applied <= mon_raft_commit(m->raft) || m->reload); /* C2 */
	(void)m;
}

uint64_t mon_now_ms(void)
{
	return tmr_now_ns() / 1000000u;
}

bool mon_is_leader(const struct mon *m)
{
	return m->raft && mon_raft_role(m->raft) == MON_RAFT_LEADER;
}

bool mon_can_read(const struct mon *m)
{
	uint64_t v = 0;

	return m->raft && !m->busy && mon_raft_read_is_safe(m->raft, mon_now_ms(), &v) &&
	       m->applied >= v;
}

/* Writes need the leader to have applied every entry of earlier terms once
 * (then its pending view covers the rest); unlike reads they do not wait
 * for its own later entries to apply. */
bool mon_can_write(const struct mon *m)
{
	return mon_is_leader(m) && !m->busy && (m->write_ready || mon_can_read(m));
}

uint64_t mon_quorum_mask(const struct mon *m)
{
	uint64_t conf = m->raft ? mon_raft_conf(m->raft) : 0, mask = 0;
	uint64_t now = mon_now_ms(),
	         window = (uint64_t)(cfg_double(m->d.cfg, CFG_KEY_mon_election_timeout) * 2000);

	if (m->leader == MON_RAFT_NONE)
		return 0;
	/* In the quorum: members heard from recently, and since this leadership
	 * began (a monitor that died before the election is not in it). */
	for (uint32_t r = 0; r < m->svc.monmap.n && r < 64; r++) {
		uint32_t id = m->svc.monmap.mons[r].id;

		if (mon_raft_conf_has(conf, id) &&
		    (id == m->id || (now - m->peer_seen_ms[id] <= window &&
		                     m->peer_seen_ms[id] >= m->leader_since_ms)))
			mask |= 1ull << r;
	}
	return mask;
}

const char *mon_id_name(const struct mon *m, uint32_t id)
{
	int r = monmap_rank_by_id(&m->svc.monmap, id);

	return r < 0 ? "" : m->svc.monmap.mons[r].name;
}

void mon_monmap_changed(struct mon *m)
{
	int r = monmap_rank_by_id(&m->svc.monmap, m->id);

	if (r >= 0)
		m->rank = (uint32_t)r;
	if (m->in_monmap && r < 0)
		log_info(mon, "mon.%s: removed from the monitor map (epoch %u)", m->name,
		         m->svc.monmap.epoch);
	m->in_monmap = r >= 0;
	for (uint32_t id = 0; id < MONMAP_MAX_ID; id++) {
		if (!m->peers[id] || monmap_rank_by_id(&m->svc.monmap, id) >= 0)
			continue;
		msg_conn_mark_down(m->peers[id]); /* a removed monitor */
		msg_conn_put(m->peers[id]);
		m->peers[id] = NULL;
	}
}

bool mon_change_in_progress(const struct mon *m)
{
	return m->group_solo || m->monmap_index ||
	       monmap_id_mask(&m->svc.monmap) != mon_raft_conf(m->raft);
}

struct mon_job {
	struct mon *m;
	struct applied_res *res;
	size_t nres;
	uint8_t *snap; /* snapshot job: the built snapshot */
	size_t snap_len;
	uint64_t snap_index;
};

static void run_actions(struct mon *m);
static void idle_work(struct mon *m);

static void group_reset(struct mon *m)
{
	mon_txn_fini(&m->group);
	mon_txn_init(&m->group);
	m->group_solo = false;
}

static void fatal(struct mon *m, const char *what, int rc)
{
	log_err(mon, "mon.%s: %s: %s; stopping (restart recovers from the store)", m->name, what,
	        strerror(-rc));
	m->busy = true; /* handle nothing more */
	daemon_stop(&m->d, 1);
}

static void note_role(struct mon *m)
{
	uint32_t leader = mon_raft_leader(m->raft);
	bool was = m->leader == m->id;

	m->term = mon_raft_term(m->raft);
	if (leader == m->leader)
		return;
	m->leader = leader;
	m->leader_since_ms = mon_now_ms();
	if (leader == MON_RAFT_NONE)
		log_info(mon, "mon.%s: no leader (term %llu)", m->name,
		         (unsigned long long)m->term);
	else
		log_info(mon, "mon.%s: leader is mon.%s (id %u, term %llu)", m->name,
		         mon_id_name(m, leader), leader, (unsigned long long)m->term);
	if (leader == m->id)
		perf_inc(m->pc, MON_P_ELECTIONS, 1);
	if (was || leader == m->id) {
		if (m->group.n) { /* queued changes of a leadership that ended */
			group_reset(m);
			mon_cmd_proposed(m, -EAGAIN, 0);
		}
		mon_svc_drop_pending(m);
		m->write_ready = false;
		m->osd_leader_init = false;
		mon_pg_fini(m); /* soft state: refilled by the OSDs' next reports */
		m->init_proposed = false;
		m->monmap_index = 0;
	}
}

static void send_msgs(struct mon *m)
{
	for (size_t i = 0; i < m->act.n_msgs; i++)
		mon_net_send_raft(m, m->act.msgs[i].to, m->act.msgs[i].data, m->act.msgs[i].len);
}

static int job_commit(void *arg)
{
	struct mon_job *j = arg;

	return mon_store_batch_commit(j->m->batch);
}

static void job_done(int status, void *arg)
{
	struct mon_job *j = arg;
	struct mon *m = j->m;
	int rc;

	if (status < 0) {
		fatal(m, "cannot persist a consensus batch", status);
		goto out;
	}
	if (m->reload && (rc = mon_svc_load(m)) < 0) {
		fatal(m, "cannot reload the maps after a snapshot", rc);
		goto out;
	}
	m->reload = false;
	send_msgs(m);
	m->snap_want |= m->act.snap_peers;
	mon_raft_actions_reset(&m->act);
	m->busy = false;
	perf_inc(m->pc, MON_P_BATCHES, 1);
	for (size_t i = 0; i < j->nres; i++)
		mon_cmd_applied(m, j->res[i].index, j->res[i].term, j->res[i].rc);
	mon_sub_publish(m);
	if (j->nres)
		mon_status_publish(m); /* the admin socket sees the change at once */
	idle_work(m);
out:
	mem_free(j->res);
	mem_free(j);
}

/* Puts the applies of m->act into the batch; 0 or a fatal error. */
static int apply_entries(struct mon *m, struct mon_job *j)
{
	struct mon_raft_actions *a = &m->act;

	j->res = mem_calloc(a->n_apply ? a->n_apply : 1, sizeof(*j->res));
	if (!j->res)
		return -ENOMEM;
	for (size_t i = 0; i < a->n_apply; i++) {
		const struct mon_raft_entry *e = &a->apply[i];
		int rc = 0;

		if (e->type == MON_RAFT_ENTRY_DATA)
			rc = mon_svc_apply(m, e->data, e->len, m->batch);
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0)
			log_info(mon, "entry %llu did not apply: %s", (unsigned long long)e->index,
			         strerror(-rc));
		j->res[j->nres++] = (struct applied_res){ e->index, e->term, rc };
		if (m->monmap_index && e->index >= m->monmap_index)
			m->monmap_index = 0; /* our MonMap change applied (or lost) */
		m->applied = e->index;
		m->applied_term = e->term;
		perf_inc(m->pc, MON_P_APPLIED, 1);
	}
	if (a->n_apply)
		mon_store_batch_applied(m->batch, m->applied);
	return 0;
}

static void start_batch(struct mon *m)
{
	struct mon_raft_actions *a = &m->act;
	struct mon_job *j = mem_calloc(1, sizeof(*j));
	int rc = j ? mon_store_batch_ops(m->batch, a->ops, a->n_ops) : -ENOMEM;

	if (rc < 0)
		goto fail;
	j->m = m;
	for (size_t i = 0; i < a->n_ops; i++) {
		if (a->ops[i].kind != MON_RAFT_OP_SNAPSHOT)
			continue;
		m->reload = true;
		m->applied = a->ops[i].index;
		m->applied_term = a->ops[i].term;
	}
	if (m->reload && a->n_apply)
		log_err(mon, "a snapshot batch carries %zu applies: ignored", a->n_apply);
	else if ((rc = apply_entries(m, j)) < 0)
		goto fail;
	m->busy = true;
	rc = wq_submit(m->wq, job_commit, job_done, j);
	if (rc < 0)
		goto fail;
	return;
fail:
	if (j)
		mem_free(j->res);
	mem_free(j);
	fatal(m, "cannot start a consensus batch", rc);
}

static void run_actions(struct mon *m)
{
	struct mon_raft_actions *a = &m->act;

	assert_consensus_state(m);
	if (a->err || mon_raft_is_broken(m->raft)) {
		fatal(m, "consensus state broken", a->err ? a->err : -ENOMEM);
		return;
	}
	if (a->role_changed)
		note_role(m);
	if (!m->write_ready && mon_is_leader(m) && mon_can_read(m))
		m->write_ready = true;
	if (a->n_ops == 0 && a->n_apply == 0) {
		send_msgs(m);
		m->snap_want |= a->snap_peers;
		mon_raft_actions_reset(a);
		return;
	}
	start_batch(m);
}

/* --- snapshots for lagging peers -------------------------------------------- */

static int snap_build(void *arg)
{
	struct mon_job *j = arg;

	return mon_store_snapshot_build(j->m->store, &j->snap, &j->snap_len, &j->snap_index);
}

static void snap_done(int status, void *arg)
{
	struct mon_job *j = arg;
	struct mon *m = j->m;
	uint64_t want = m->snap_want;

	m->busy = false;
	m->snap_want = 0;
	for (uint32_t p = 0; status == 0 && p < 64 && !m->busy; p++) {
		if (!(want & (1ull << p)))
			continue;
		want &= ~(1ull << p);
		if (mon_raft_send_snapshot(m->raft, p, j->snap, j->snap_len, j->snap_index,
		                           &m->act) == 0)
			log_info(mon, "sent a snapshot at %llu to mon.%s (id %u)",
			         (unsigned long long)j->snap_index, mon_id_name(m, p), p);
		run_actions(m);
	}
	if (status < 0)
		log_err(mon, "cannot build a snapshot: %s", strerror(-status));
	else
		m->snap_want |= want;
	mem_free(j->snap);
	mem_free(j);
	idle_work(m);
}

static void start_snapshot(struct mon *m)
{
	struct mon_job *j = mem_calloc(1, sizeof(*j));

	if (!j)
		return;
	j->m = m;
	m->busy = true;
	if (wq_submit(m->wq, snap_build, snap_done, j) < 0) {
		m->busy = false;
		mem_free(j);
	}
}

/* --- ticks and the idle pipeline ------------------------------------------ */

static void maybe_bootstrap_maps(struct mon *m)
{
	struct mon_txn tx;

	if (m->init_proposed || m->svc.osdmap->epoch != 0 || !mon_can_write(m))
		return;
	mon_txn_init(&tx);
	if (mon_svc_initial_txn(m, &tx) == 0 && mon_consensus_queue(m, &tx) == 0) {
		m->init_proposed = true;
		log_info(mon, "proposing the initial maps");
	}
	mon_txn_fini(&tx);
}

/* C6: one CONF change towards the committed MonMap's ids. */
static void reconcile_conf(struct mon *m)
{
	uint64_t want = monmap_id_mask(&m->svc.monmap), conf = mon_raft_conf(m->raft), diff;
	uint32_t id;
	bool add;
	int64_t idx;

	if (!mon_can_write(m) || want == 0 || want == conf)
		return;
	diff = want ^ conf;
	id = (uint32_t)__builtin_ctzll(diff);
	add = (want >> id) & 1u;
	idx = mon_raft_propose_conf(m->raft, add, id, &m->act);
	if (idx > 0 && add)
		log_info(mon, "proposing to add member id %u (mon.%s) at %lld", id,
		         mon_id_name(m, id), (long long)idx);
	else if (idx > 0)
		log_info(mon, "proposing to remove member id %u at %lld", id, (long long)idx);
	else if (idx != -EBUSY)
		log_debug(mon, "cannot propose a configuration change: %s", strerror((int)-idx));
	run_actions(m);
}

static void do_tick(struct mon *m)
{
	uint64_t now = mon_now_ms();

	m->tick_due = false;
	if (mon_raft_tick(m->raft, now, &m->act) < 0 && !m->act.err)
		m->act.err = -ENOMEM;
	run_actions(m);
	if (!m->busy)
		mon_cmd_tick(m, now);
	if (!m->busy)
		maybe_bootstrap_maps(m);
	if (!m->busy && mon_can_write(m) && m->svc.osdmap->epoch > 0)
		mon_osd_tick(m, now);
	if (!m->busy)
		reconcile_conf(m);
	mon_consensus_flush(m);
	if (!m->busy && m->snap_want)
		start_snapshot(m);
	mon_status_publish(m);
}

static void idle_work(struct mon *m)
{
	if (!m->msgr)
		return; /* shutting down: the last batch completed, nothing follows */
	if (!m->busy && m->snap_want)
		start_snapshot(m);
	if (!m->busy && m->tick_due)
		do_tick(m);
	mon_net_drain(m);
}

static void on_tick(struct tmr *t, void *arg)
{
	struct mon *m = arg;

	(void)t;
	if (m->busy) {
		m->tick_due = true;
		return;
	}
	do_tick(m);
	mon_net_drain(m);
}

void mon_consensus_step(struct mon *m, const void *p, size_t len)
{
	int rc = mon_raft_step(m->raft, p, len, mon_now_ms(), &m->act);

	if (rc == -EBADMSG || rc == -EPROTONOSUPPORT)
		log_warn(mon, "dropping a consensus message: %s", strerror(-rc));
	else if (rc < 0 && !m->act.err)
		m->act.err = rc;
	run_actions(m);
}

void mon_consensus_flush(struct mon *m)
{
	int64_t idx;
	int rc = enc_error(&m->group.e);

	if (m->group.n == 0 || m->busy || !m->raft)
		return;
	idx = rc ? rc : mon_raft_propose(m->raft, m->group.e.data, m->group.e.len, &m->act);
	if (m->group_solo && idx > 0)
		m->monmap_index = (uint64_t)idx;
	group_reset(m);
	if (idx > 0)
		perf_inc(m->pc, MON_P_PROPOSALS, 1);
	else
		mon_svc_drop_pending(m);
	mon_cmd_proposed(m, idx, mon_raft_term(m->raft));
	run_actions(m);
}

static bool txn_has_monmap(const struct mon_txn *tx)
{
	struct mon_svc_opref ops[MON_TXN_MAX_OPS];
	size_t n = 0;

	if (mon_svc_split(tx->e.data, tx->e.len, ops, &n) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ops[i].op == MON_OP_MONMAP)
			return true;
	return false;
}

int mon_consensus_queue(struct mon *m, const struct mon_txn *tx)
{
	bool solo;

	if (m->busy)
		return -EAGAIN;
	if (enc_error(&tx->e))
		return enc_error(&tx->e);
	solo = txn_has_monmap(tx);
	/* full, or a MonMap change on either side (C6): propose the group now;
	 * tx starts the next one */
	if (m->group.n && (m->group.n + tx->n > MON_TXN_MAX_OPS || solo || m->group_solo))
		mon_consensus_flush(m);
	enc_raw(&m->group.e, tx->e.data, tx->e.len);
	m->group.n += tx->n;
	m->group_solo = solo;
	return enc_error(&m->group.e);
}

/* --- lifecycle ------------------------------------------------------------------ */

static int load_bootstrap(struct mon *m, uint64_t *mask)
{
	void *v = NULL;
	size_t n = 0;
	int rc = mon_store_get(m->store, "mon", "bootstrap", 9, &v, &n);

	*mask = 0;
	if (rc == 0 && n == 8)
		for (int i = 0; i < 8; i++)
			*mask |= (uint64_t)((uint8_t *)v)[i] << (8 * i);
	mem_free(v);
	return rc == 0 && n != 8 ? -EIO : rc;
}

static void timing(struct mon *m, struct mon_raft_timing *t)
{
	const struct cfg *c = m->d.cfg;

	t->election_ms = (uint32_t)(cfg_double(c, CFG_KEY_mon_election_timeout) * 1000);
	t->heartbeat_ms = t->election_ms / 5 ? t->election_ms / 5 : 1;
	t->lease_ms = (uint32_t)(cfg_double(c, CFG_KEY_mon_lease) * 1000);
	t->keep_versions = (uint32_t)cfg_int(c, CFG_KEY_mon_min_versions_kept);
	t->max_batch = 64;
	t->seed = tmr_wall_ns() ^ ((uint64_t)m->id << 32);
}

static int create_raft(struct mon *m, uint64_t *tick_ms)
{
	struct mon_raft_state st;
	struct mon_raft_timing t;
	uint64_t mask, tk;
	int rc;

	if ((rc = load_bootstrap(m, &mask)) < 0 || (rc = mon_store_load(m->store, mask, &st)) < 0)
		return rc;
	timing(m, &t);
	rc = mon_raft_create(m->id, &t, &st, mon_now_ms(), &m->raft);
	m->applied = st.applied;
	mon_store_state_free(&st);
	tk = (uint64_t)(cfg_double(m->d.cfg, CFG_KEY_mon_tick_interval) * 1000);
	if (tk > t.heartbeat_ms / 2)
		tk = t.heartbeat_ms / 2;
	*tick_ms = tk < 5 ? 5 : tk;
	return rc;
}

int mon_step_consensus(struct daemon *d)
{
	struct mon *m = mon_of(d);
	uint64_t tick_ms;
	int rc;

	if (m->mkfs)
		return 0;
	m->leader = MON_RAFT_NONE;
	mon_txn_init(&m->group);
	list_init(&m->waiters);
	list_init(&m->subs);
	pthread_mutex_init(&m->status_lock, NULL);
	mon_raft_actions_init(&m->act);
	if ((rc = create_raft(m, &tick_ms)) < 0)
		goto out_act;
	if ((rc = mon_svc_load(m)) < 0)
		goto out_raft;
	if ((rc = mon_store_batch_create(m->store, &m->batch)) < 0)
		goto out_svc;
	if ((rc = wq_create("mon-store", 1, 64, &d->loop, &m->wq)) < 0)
		goto out_batch;
	if ((rc = tmr_create(&d->loop, &m->tick)) < 0)
		goto out_wq;
	if ((rc = tmr_start(m->tick, tick_ms, tick_ms, on_tick, m)) < 0)
		goto out_tmr;
	log_info(mon, "mon.%s: applied %llu, osdmap e%u", m->name, (unsigned long long)m->applied,
	         m->svc.osdmap->epoch);
	return 0;
out_tmr:
	tmr_destroy(m->tick);
out_wq:
	wq_destroy(m->wq);
out_batch:
	mon_store_batch_destroy(m->batch);
out_svc:
	mon_svc_fini(&m->svc);
out_raft:
	mon_raft_destroy(m->raft);
	m->raft = NULL;
out_act:
	mon_raft_actions_fini(&m->act);
	mon_txn_fini(&m->group);
	pthread_mutex_destroy(&m->status_lock);
	return rc;
}

void mon_unstep_consensus(struct daemon *d)
{
	struct mon *m = mon_of(d);

	if (m->mkfs)
		return;
	tmr_destroy(m->tick);
	wq_destroy(m->wq); /* delivers the pending done: the last batch completes */
	mon_osd_fini(m);
	mon_pg_fini(m);
	mon_store_batch_destroy(m->batch);
	mon_svc_fini(&m->svc);
	mon_raft_destroy(m->raft);
	m->raft = NULL;
	mon_raft_actions_fini(&m->act);
	mon_txn_fini(&m->group);
	json_decref(m->status_snap);
	pthread_mutex_destroy(&m->status_lock);
}
