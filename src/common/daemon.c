/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/daemon.c - the init table runner and the standard daemon steps. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/asok.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/perf.h"

#define EXIT_USAGE     2
#define EXIT_INFO_ONLY -1 /* --help or --version was answered: exit 0 */

static void print_common_usage(const struct daemon *d)
{
	printf("usage: %s [-i ID] [-c FILE] [--OPTION VALUE ...]\n\n"
	       "Common options:\n"
	       "  -i, --id ID          daemon id (default %s), so the name is %s.ID\n"
	       "  -n, --name TYPE.ID   the full name instead of --id\n"
	       "  -c, --conf FILE      configuration file (default: $SEPIA_CONF, then\n"
	       "                       /etc/sepia/$cluster.conf if it exists)\n"
	       "  --cluster NAME       cluster name (default sepia)\n"
	       "  --OPTION VALUE       set any configuration option, e.g. --log-file x.log\n"
	       "                       or --log_level=debug; list them with\n"
	       "                       'sepia config help', explain one with\n"
	       "                       'sepia config help OPTION'\n"
	       "  -h, --help           this text\n"
	       "  --version            print the version and exit\n",
	       d->prog, d->default_id, cfg_daemon_name(d->type));
	if (d->usage)
		d->usage(d->prog);
}

/* 1 if argv asks for help or the version (printed), 0 otherwise. */
static int handle_info_flags(struct daemon *d)
{
	for (int i = 1; i < d->argc && strcmp(d->argv[i], "--") != 0; i++) {
		if (strcmp(d->argv[i], "-h") == 0 || strcmp(d->argv[i], "--help") == 0) {
			print_common_usage(d);
			return 1;
		}
		if (strcmp(d->argv[i], "--version") == 0) {
			printf("%s %s\n", d->prog, SEPIA_VERSION);
			return 1;
		}
	}
	return 0;
}

int daemon_step_loop(struct daemon *d)
{
	return uv_loop_init(&d->loop);
}

void daemon_unstep_loop(struct daemon *d)
{
	/* Let close callbacks of handles closed by earlier unsteps run. */
	uv_run(&d->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&d->loop) < 0)
		log_warn(common, "%s: event loop closed with live handles", d->prog);
}

int daemon_step_config(struct daemon *d)
{
	int rc;

	if (handle_info_flags(d)) {
		d->exit_code = EXIT_INFO_ONLY;
		return -ECANCELED;
	}
	rc = cfg_create(d->type, d->default_id, &d->cfg);
	if (rc < 0)
		return rc;
	rc = cfg_parse_argv(d->cfg, &d->argc, d->argv);
	if (rc == 0)
		rc = cfg_load(d->cfg);
	if (rc < 0) {
		d->exit_code = EXIT_USAGE;
		daemon_unstep_config(d); /* a failed step undoes its own part */
		return rc;
	}
	log_set_prefix(cfg_name(d->cfg));
	return 0;
}

void daemon_unstep_config(struct daemon *d)
{
	cfg_destroy(d->cfg);
	d->cfg = NULL;
}

static void apply_log_levels(struct cfg *c, enum cfg_key key, void *arg)
{
	(void)key;
	(void)arg;
	if (log_apply_spec(cfg_str(c, CFG_KEY_log_level)) < 0)
		log_err(common, "log_level '%s' is not a level", cfg_str(c, CFG_KEY_log_level));
	if (cfg_str(c, CFG_KEY_log_levels)[0] && log_apply_spec(cfg_str(c, CFG_KEY_log_levels)) < 0)
		log_err(common, "log_levels '%s' is not a valid spec",
		        cfg_str(c, CFG_KEY_log_levels));
}

static void apply_log_file(struct cfg *c, enum cfg_key key, void *arg)
{
	int rc = log_open(cfg_str(c, key));

	(void)arg;
	if (rc < 0)
		log_err(common, "cannot open log file %s: %s", cfg_str(c, key), strerror(-rc));
}

int daemon_step_log(struct daemon *d)
{
	enum log_level lvl;
	int rc;

	if (log_level_parse(cfg_str(d->cfg, CFG_KEY_log_level), &lvl) < 0 &&
	    log_apply_spec(cfg_str(d->cfg, CFG_KEY_log_level)) < 0) {
		log_err(common, "log_level '%s' is not a level",
		        cfg_str(d->cfg, CFG_KEY_log_level));
		d->exit_code = EXIT_USAGE;
		return -EINVAL;
	}
	rc = log_open(cfg_str(d->cfg, CFG_KEY_log_file));
	if (rc < 0) {
		log_err(common, "cannot open log file %s: %s", cfg_str(d->cfg, CFG_KEY_log_file),
		        strerror(-rc));
		return rc;
	}
	apply_log_levels(d->cfg, CFG_KEY_log_level, NULL);
	rc = cfg_observe(d->cfg, CFG_KEY_log_level, apply_log_levels, NULL);
	if (rc == 0)
		rc = cfg_observe(d->cfg, CFG_KEY_log_levels, apply_log_levels, NULL);
	if (rc == 0)
		rc = cfg_observe(d->cfg, CFG_KEY_log_file, apply_log_file, NULL);
	if (rc == 0)
		log_info(common, "%s %s starting, pid %d", d->prog, SEPIA_VERSION, (int)getpid());
	return rc;
}

void daemon_unstep_log(struct daemon *d)
{
	log_info(common, "%s stopped", d->prog);
	log_close();
}

int daemon_step_pidfile(struct daemon *d)
{
	const char *path = cfg_str(d->cfg, CFG_KEY_pid_file);
	char line[32];
	int fd, n;

	d->pid_fd = -1;
	if (!path[0])
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int rc = -errno;

		log_err(common, "pid file %s: %s%s", path, strerror(-rc),
		        rc == -EWOULDBLOCK ? " (is another instance running?)" : "");
		if (fd >= 0)
			close(fd);
		return rc;
	}
	n = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, line, (size_t)n) != n) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	d->pid_fd = fd;
	return 0;
}

void daemon_unstep_pidfile(struct daemon *d)
{
	if (d->pid_fd < 0)
		return;
	unlink(cfg_str(d->cfg, CFG_KEY_pid_file));
	close(d->pid_fd);
	d->pid_fd = -1;
}

int daemon_step_perf(struct daemon *d)
{
	return perf_reg_create(&d->perf);
}

void daemon_unstep_perf(struct daemon *d)
{
	perf_reg_destroy(d->perf);
	d->perf = NULL;
}

/* Creates the socket's directory if it is missing (one level, like run_dir). */
static void make_parent_dir(const char *path)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
}

int daemon_step_asok(struct daemon *d)
{
	const char *path = cfg_str(d->cfg, CFG_KEY_admin_socket);
	int rc;

	if (!path[0])
		return 0;
	make_parent_dir(path);
	rc = asok_create(path, d->cfg, d->perf, &d->asok);
	if (rc < 0)
		log_err(common, "admin socket %s: %s", path, strerror(-rc));
	return rc;
}

void daemon_unstep_asok(struct daemon *d)
{
	asok_destroy(d->asok);
	d->asok = NULL;
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	if (signum == SIGHUP) {
		int rc = log_reopen();

		log_info(common, "SIGHUP: log reopened%s%s", rc < 0 ? ": " : "",
		         rc < 0 ? strerror(-rc) : "");
		return;
	}
	log_info(common, "%s received, shutting down", strsignal(signum));
	daemon_stop(d, 0);
}

int daemon_step_signals(struct daemon *d)
{
	uv_signal_t *hs[] = { &d->sig_term, &d->sig_int, &d->sig_hup };
	int sigs[] = { SIGTERM, SIGINT, SIGHUP };

	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < 3; i++) {
		int rc = uv_signal_init(&d->loop, hs[i]);

		if (rc == 0)
			rc = uv_signal_start(hs[i], on_signal, sigs[i]);
		if (rc < 0)
			return rc;
		hs[i]->data = d;
	}
	return 0;
}

void daemon_unstep_signals(struct daemon *d)
{
	uv_close((uv_handle_t *)&d->sig_term, NULL);
	uv_close((uv_handle_t *)&d->sig_int, NULL);
	uv_close((uv_handle_t *)&d->sig_hup, NULL);
}

void daemon_stop(struct daemon *d, int exit_code)
{
	if (exit_code && !d->exit_code)
		d->exit_code = exit_code;
	uv_stop(&d->loop);
}

static void undo(struct daemon *d, const struct daemon_step *steps, size_t done)
{
	while (done-- > 0)
		if (steps[done].fini)
			steps[done].fini(d);
}

int daemon_main(struct daemon *d, const struct daemon_step *steps, size_t n)
{
	size_t i;
	int rc = 0;

	d->pid_fd = -1;
	for (i = 0; i < n; i++) {
		rc = steps[i].init(d);
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		if (d->exit_code != EXIT_INFO_ONLY)
			fprintf(stderr, "%s: %s failed: %s\n", d->prog, steps[i].name,
			        strerror(-rc));
		undo(d, steps, i);
		if (d->exit_code == EXIT_INFO_ONLY)
			return 0;
		return d->exit_code ? d->exit_code : 1;
	}
	/* The signal handles keep the loop alive: it returns on daemon_stop. */
	uv_run(&d->loop, UV_RUN_DEFAULT);
	undo(d, steps, n);
	return d->exit_code;
}
