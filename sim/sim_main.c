/*
 * `mech sim`: flags, the controller loop, and a clean stop on SIGINT or
 * SIGTERM. The signals are blocked in every thread and taken synchronously
 * by the main thread between ticks, so no handler runs inside libgit2,
 * libmicrohttpd or a lock.
 */
#include "sim.h"
#include "sim_int.h"

#include "mech/error.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mech/buf.h"
#include "mech/config.h"
#include "mech/error.h"

#define EXIT_USAGE 64
#define EXIT_INVALID 65
#define EXIT_CONFIG 78

static const char usage[] =
	"usage: mech sim [--listen 127.0.0.1:PORT] [--token-file F] [--sync-delay D]\n"
	"                [--health-delay D] [--degrade-tag TAG]\n"
	"                [--latency D] [--fail-rate P] [--malformed] [--drop-stream D]\n"
	"                [--keepalive D] [--poll D] [-v]\n"
	"\n"
	"A local stand-in for Argo CD and Kubernetes: serves the API subset mech reads,\n"
	"computing state from the tenant repos under MECH_HOME the way the ApplicationSet\n"
	"controller and Argo CD would. Listens on loopback only.\n"
	"\n"
	"  --listen ADDR       127.0.0.1:PORT or [::1]:PORT; port 0 picks a free one\n"
	"                      (default 127.0.0.1:8089). The URL is printed on stdout.\n"
	"  --token-file F      require `Authorization: Bearer <token in F>`\n"
	"  --sync-delay D      OutOfSync until an automated sync completes (default 1s)\n"
	"  --health-delay D    rollout time after a sync: Progressing, then Healthy (default 1s)\n"
	"  --degrade-tag TAG   images with this tag end Degraded (progress deadline exceeded)\n"
	"faults for tests:\n"
	"  --latency D         delay every answer\n"
	"  --fail-rate P       answer this fraction (0..1) of requests with 500/503\n"
	"  --malformed         truncate every JSON body\n"
	"  --drop-stream D     cut watch streams in the middle of an event after D\n"
	"  --keepalive D       SSE keepalive interval (default 15s, as Argo CD)\n"
	"  --poll D            how often the repos are checked (default 100ms)\n"
	"Durations: 250ms, 2s, 1m. Stop with Ctrl-C or SIGTERM.\n";

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(int code, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "mech sim: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* "500ms", "2s", "1m", "1h", "0" → milliseconds; -1 when invalid. */
static long parse_duration(const char *s)
{
	char *end = NULL;
	double v;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || v > 86400000.0)
		return -1;
	if (!strcmp(end, "ms"))
		return (long)v;
	if (!strcmp(end, "s") || (!*end && v == 0))
		return (long)(v * 1000);
	if (!strcmp(end, "m"))
		return (long)(v * 60000);
	if (!strcmp(end, "h"))
		return (long)(v * 3600000);
	return -1;
}

/* Loopback only: 127.0.0.1:PORT, [::1]:PORT, localhost:PORT. */
static int parse_listen(const char *s, sim_opts *o)
{
	const char *colon = strrchr(s, ':');
	char *end = NULL, *host;
	long port;
	if (!colon)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || port < 0 || port > 65535)
		return -1;
	host = mech_strndup(s, (size_t)(colon - s));
	if (!strcmp(host, "127.0.0.1") || !strcmp(host, "localhost")) {
		o->host = mech_strdup("127.0.0.1");
	} else if (!strcmp(host, "[::1]") || !strcmp(host, "::1")) {
		o->host = mech_strdup("::1");
	} else {
		free(host);
		return -2;
	}
	free(host);
	o->port = (int)port;
	return 0;
}

static int read_token(const char *path, sim_opts *o)
{
	mech_buf b = MECH_BUF_INIT;
	if (mech_buf_read_file(&b, path, 64 * 1024) < 0) {
		mech_buf_dispose(&b);
		return -1;
	}
	while (b.len && (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r' ||
			 b.ptr[b.len - 1] == ' ' || b.ptr[b.len - 1] == '\t'))
		b.ptr[--b.len] = '\0';
	if (!b.len || strchr(b.ptr, '\n')) {
		mech_buf_dispose(&b);
		return -1;
	}
	o->token = mech_buf_detach(&b);
	return 0;
}

static void opts_dispose(sim_opts *o)
{
	free(o->host);
	if (o->token)
		explicit_bzero(o->token, strlen(o->token));
	free(o->token);
	free(o->degrade_tag);
}

/* Returns 0, or the exit code for a bad command line. */
static int parse_flags(int argc, char **argv, sim_opts *o, int *help)
{
	static const struct {
		const char *name;
		size_t offset;
	} durations[] = {
		{"--sync-delay", offsetof(sim_opts, sync_delay_ms)},
		{"--health-delay", offsetof(sim_opts, health_delay_ms)},
		{"--latency", offsetof(sim_opts, latency_ms)},
		{"--drop-stream", offsetof(sim_opts, drop_stream_ms)},
		{"--keepalive", offsetof(sim_opts, keepalive_ms)},
		{"--poll", offsetof(sim_opts, poll_ms)},
	};
	int i;

	for (i = 1; i < argc; i++) {
		char *arg = argv[i], *eq = strchr(arg, '='), *name, *val = NULL;
		size_t d;
		int rc;
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			*help = 1;
			return 0;
		}
		if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose")) {
			o->verbose = 1;
			continue;
		}
		if (!strcmp(arg, "--malformed")) {
			o->malformed = 1;
			continue;
		}
		if (strncmp(arg, "--", 2))
			return fail(EXIT_USAGE, "unexpected argument '%s' (see mech sim -h)", arg);
		name = eq ? mech_strndup(arg, (size_t)(eq - arg)) : mech_strdup(arg);
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		rc = 0;
		if (!val) {
			rc = fail(EXIT_USAGE, "%s needs a value (see mech sim -h)", name);
		} else if (!strcmp(name, "--listen")) {
			int r;
			free(o->host);
			o->host = NULL;
			r = parse_listen(val, o);
			if (r == -2)
				rc = fail(EXIT_INVALID,
					  "refusing to listen on %s: mech sim serves loopback only "
					  "(127.0.0.1:PORT or [::1]:PORT)",
					  val);
			else if (r < 0)
				rc = fail(EXIT_INVALID,
					  "--listen '%s' is not HOST:PORT (e.g. 127.0.0.1:0)", val);
		} else if (!strcmp(name, "--token-file")) {
			if (read_token(val, o) < 0)
				rc = fail(EXIT_INVALID,
					  "--token-file %s: cannot read one token line from it", val);
		} else if (!strcmp(name, "--degrade-tag")) {
			free(o->degrade_tag);
			o->degrade_tag = mech_strdup(val);
		} else if (!strcmp(name, "--fail-rate")) {
			char *end = NULL;
			double p = strtod(val, &end);
			if (end == val || *end || p < 0 || p > 1)
				rc = fail(EXIT_INVALID, "--fail-rate '%s': want a fraction 0..1", val);
			o->fail_rate = p;
		} else {
			for (d = 0; d < sizeof(durations) / sizeof(*durations); d++)
				if (!strcmp(name, durations[d].name))
					break;
			if (d == sizeof(durations) / sizeof(*durations)) {
				rc = fail(EXIT_USAGE, "unknown flag %s (see mech sim -h)", name);
			} else {
				long ms = parse_duration(val);
				if (ms < 0)
					rc = fail(EXIT_INVALID,
						  "%s '%s': want a duration like 500ms, 2s, 1m", name,
						  val);
				else
					*(long *)((char *)o + durations[d].offset) = ms;
			}
		}
		free(name);
		if (rc)
			return rc;
	}
	return 0;
}

int sim_main(int argc, char **argv, const char *home)
{
	sim_opts o;
	sim_world w;
	sim_server *srv = NULL;
	mech_config *cfg = NULL;
	sigset_t set, old;
	char *url = NULL, *resolved = NULL;
	int rc, help = 0;

	memset(&o, 0, sizeof(o));
	o.port = 8089;
	o.sync_delay_ms = 1000;
	o.health_delay_ms = 1000;
	o.keepalive_ms = 15000;
	o.poll_ms = 100;
	rc = parse_flags(argc, argv, &o, &help);
	if (rc || help) {
		if (help)
			fputs(usage, stdout);
		opts_dispose(&o);
		return rc;
	}
	if (!o.host)
		o.host = mech_strdup("127.0.0.1");
	if (o.keepalive_ms <= 0)
		o.keepalive_ms = 15000;
	if (o.poll_ms <= 0)
		o.poll_ms = 100;
	if (!home)
		home = resolved = mech_home_resolve(NULL);
	if (mech_config_load(&cfg, home) < 0) {
		const mech_error *e = mech_error_last();
		rc = fail(EXIT_CONFIG, "%s", e && e->message ? e->message : "configuration error");
		opts_dispose(&o);
		free(resolved);
		return rc;
	}

	git_libgit2_init();
	sim_world_init(&w, &o, home, cfg->gitops_branch, cfg->argocd_namespace);
	sim_world_tick(&w); /* the first answers already reflect the repos */

	/* before any thread starts, so they all inherit the mask */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);

	if (sim_server_start(&srv, &w, &o, &url) < 0) {
		const mech_error *e = mech_error_last();

		rc = fail(69, "%s%s%s", e->message, e->hint ? "; " : "", e->hint ? e->hint : "");
		goto done;
	}
	printf("mech sim: listening on %s\n", url);
	fflush(stdout);
	fprintf(stderr,
		"mech sim: serving Argo CD and Kubernetes for the tenants in %s/tenants; "
		"set argocd.url and kubernetes.url to %s\n",
		home, url);

	for (;;) {
		struct timespec ts = {o.poll_ms / 1000, (o.poll_ms % 1000) * 1000000L};
		int sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		sim_world_tick(&w);
	}
	fprintf(stderr, "mech sim: stopping\n");
	rc = 0;
done:
	sim_world_stop(&w);
	sim_server_stop(srv);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	sim_world_dispose(&w);
	git_libgit2_shutdown();
	mech_config_free(cfg);
	opts_dispose(&o);
	free(url);
	free(resolved);
	return rc;
}
