/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/daemon.h - what every Sepia daemon's main() shares: an init table
 * of named steps undone in reverse, and the standard steps (configuration,
 * logging, pid file, perf counters, admin socket, signals).
 * Threads: everything here runs on the daemon's main thread, whose loop is
 * d->loop.
 *
 * A daemon embeds struct daemon in its own context and lists its steps:
 *   static const struct daemon_step steps[] = {
 *       { "config", daemon_step_config, NULL },
 *       { "log", daemon_step_log, daemon_unstep_log },
 *       ...
 *       { "store", osd_open_store, osd_close_store },
 *   };
 *   return daemon_main(&osd.d, steps, n);
 * daemon_main runs each init in order; when one fails it logs the step and
 * the error, runs the fini of every step that succeeded in reverse order and
 * returns an exit code. After all steps it runs the loop until SIGTERM or
 * SIGINT (or daemon_stop), then undoes every step in reverse. */
#ifndef SEPIA_COMMON_DAEMON_H
#define SEPIA_COMMON_DAEMON_H
#include <stddef.h>
#include <uv.h>

#include "common/cfg.h"

struct asok;
struct perf_reg;
struct daemon;

typedef int daemon_init_fn(struct daemon *d);
typedef void daemon_fini_fn(struct daemon *d);

struct daemon_step {
	const char *name;
	daemon_init_fn *init; /* 0 or -errno (logged by daemon_main) */
	daemon_fini_fn *fini; /* may be NULL */
};

/* Prints the daemon's own usage lines (after the common ones). */
typedef void daemon_usage_fn(const char *prog);

struct daemon {
	/* set by the daemon before daemon_main */
	const char *prog; /* "sepia-osd" */
	enum cfg_daemon type;
	const char *default_id; /* id when no -i/--name is given */
	daemon_usage_fn *usage;
	int argc; /* in: main's; after the config step: what is left */
	char **argv;
	/* owned by the standard steps */
	struct cfg *cfg;
	struct perf_reg *perf;
	struct asok *asok;
	uv_loop_t loop;
	uv_signal_t sig_term, sig_int, sig_hup;
	int pid_fd;
	int exit_code; /* returned by daemon_main when nonzero */
};

/* Runs steps[0..n) then the loop; returns the process exit code. */
int daemon_main(struct daemon *d, const struct daemon_step *steps, size_t n);
/* Asks the loop to stop; call it on the loop thread. */
void daemon_stop(struct daemon *d, int exit_code);

/* Standard steps, in the order they are meant to run. */
int daemon_step_loop(struct daemon *d); /* uv_loop_init */
void daemon_unstep_loop(struct daemon *d);
int daemon_step_config(struct daemon *d); /* --help, --version, argv, file, env */
void daemon_unstep_config(struct daemon *d);
int daemon_step_log(struct daemon *d); /* log_file/log_level(s), live updates */
void daemon_unstep_log(struct daemon *d);
int daemon_step_pidfile(struct daemon *d); /* locked pid file, if pid_file is set */
void daemon_unstep_pidfile(struct daemon *d);
int daemon_step_perf(struct daemon *d);
void daemon_unstep_perf(struct daemon *d);
int daemon_step_asok(struct daemon *d); /* admin socket, if admin_socket is set */
void daemon_unstep_asok(struct daemon *d);
int daemon_step_signals(struct daemon *d); /* TERM/INT stop, HUP reopens the log */
void daemon_unstep_signals(struct daemon *d);

#endif /* SEPIA_COMMON_DAEMON_H */
