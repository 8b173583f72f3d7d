/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `mech sim`: its options, the controller loop, a clean stop on SIGINT
 * or SIGTERM, and SIGHUP: what an operator's re-apply of every tenant's
 * argocd/ (`kubectl apply -n argocd -f argocd/`) does. The flags are parsed by the shell from the command table;
 * what is checked here is what only the sim knows (loopback addresses, a
 * token file, a fraction). The signals are blocked in every thread and
 * taken synchronously by the main thread between ticks, so no handler runs
 * inside libgit2, libmicrohttpd or a lock.
 */
#include "sim.h"
#include "sim_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mech/buf.h"
#include "mech/config.h"
#include "mech/error.h"

#define DEFAULT_PORT 8089
#define DEFAULT_KEEPALIVE_MS 15000 /* as Argo CD */
#define DEFAULT_POLL_MS 100

void sim_opts_init(sim_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->port = DEFAULT_PORT;
	o->sync_delay_ms = 1000;
	o->health_delay_ms = 1000;
	o->keepalive_ms = DEFAULT_KEEPALIVE_MS;
	o->poll_ms = DEFAULT_POLL_MS;
}

void sim_opts_dispose(sim_opts *o)
{
	free(o->host);
	if (o->token)
		explicit_bzero(o->token, strlen(o->token));
	free(o->token);
	free(o->degrade_tag);
	memset(o, 0, sizeof(*o));
}

/* Loopback only: 127.0.0.1:PORT, [::1]:PORT, localhost:PORT. */
int sim_opts_listen(sim_opts *o, const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end = NULL, *host;
	long port;
	if (!colon)
		goto bad;
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || port < 0 || port > 65535)
		goto bad;
	host = mech_strndup(s, (size_t)(colon - s));
	free(o->host);
	o->host = NULL;
	if (!strcmp(host, "127.0.0.1") || !strcmp(host, "localhost")) {
		o->host = mech_strdup("127.0.0.1");
	} else if (!strcmp(host, "[::1]") || !strcmp(host, "::1")) {
		o->host = mech_strdup("::1");
	} else {
		free(host);
		return mech_error_set(MECH_EINVALID,
				      "refusing to listen on %s: mech sim serves loopback only "
				      "(127.0.0.1:PORT or [::1]:PORT)",
				      s);
	}
	free(host);
	o->port = (int)port;
	return 0;
bad:
	return mech_error_set(MECH_EINVALID, "--listen '%s' is not HOST:PORT (e.g. 127.0.0.1:0)", s);
}

int sim_opts_token_file(sim_opts *o, const char *path)
{
	mech_buf b = MECH_BUF_INIT;
	if (mech_buf_read_file(&b, path, 64 * 1024) < 0)
		goto bad;
	while (b.len && (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r' ||
			 b.ptr[b.len - 1] == ' ' || b.ptr[b.len - 1] == '\t'))
		b.ptr[--b.len] = '\0';
	if (!b.len || strchr(b.ptr, '\n'))
		goto bad;
	if (o->token)
		explicit_bzero(o->token, strlen(o->token));
	free(o->token);
	o->token = mech_buf_detach(&b);
	return 0;
bad:
	if (b.ptr)
		explicit_bzero(b.ptr, b.len);
	mech_buf_dispose(&b);
	return mech_error_set(MECH_EINVALID, "--token-file %s: cannot read one token line from it",
			      path);
}

int sim_opts_fail_rate(sim_opts *o, const char *s)
{
	char *end = NULL;
	double p;
	errno = 0;
	p = strtod(s, &end);
	if (errno || end == s || *end || !(p >= 0 && p <= 1))
		return mech_error_set(MECH_EINVALID, "--fail-rate '%s': want a fraction 0..1", s);
	o->fail_rate = p;
	return 0;
}

void sim_opts_degrade_tag(sim_opts *o, const char *tag)
{
	free(o->degrade_tag);
	o->degrade_tag = mech_strdup(tag);
}

int sim_run(sim_opts *o, const mech_config *cfg, sim_listening_fn listening, void *arg)
{
	sim_world w;
	sim_server *srv = NULL;
	sigset_t set, old;
	char *url = NULL, *cert = NULL, *key = NULL, *ca = NULL;
	int rc;

	if (!o->host)
		o->host = mech_strdup("127.0.0.1");
	if (o->keepalive_ms <= 0)
		o->keepalive_ms = DEFAULT_KEEPALIVE_MS;
	if (o->poll_ms <= 0)
		o->poll_ms = DEFAULT_POLL_MS;

	if (o->tls && sim_tls_load(cfg->home, &cert, &key, &ca) < 0)
		return -1;
	if (sim_kustomize_init(o->kustomize) < 0) {
		free(cert);
		if (key)
			mech_secret_free(key);
		free(ca);
		return -1;
	}
	git_libgit2_init();
	sim_world_init(&w, o, cfg->home, cfg->gitops_branch, cfg->argocd_namespace);
	sim_world_tick(&w); /* the first answers already reflect the repos */

	/* before any thread starts, so they all inherit the mask */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, &old);

	if (sim_server_start(&srv, &w, o, cert, key, &url) < 0) {
		rc = -1;
		goto done;
	}
	listening(url, arg);
	fprintf(stderr,
		"mech sim: serving Argo CD and Kubernetes for the tenants in %s/tenants; "
		"set argocd.url and kubernetes.url to %s\n",
		cfg->home, url);
	if (ca)
		fprintf(stderr,
			"mech sim: TLS with its own CA; set argocd.ca_file and kubernetes.ca_file "
			"to %s\n",
			ca);

	for (;;) {
		struct timespec ts = {o->poll_ms / 1000, (o->poll_ms % 1000) * 1000000L};
		int sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (sig == SIGHUP)
			sim_world_reapply(&w); /* an operator applied argocd/ again */
		sim_world_tick(&w);
	}
	fprintf(stderr, "mech sim: stopping\n");
	rc = 0;
done:
	sim_world_stop(&w);
	sim_server_stop(srv);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	sim_world_dispose(&w);
	sim_kustomize_dispose();
	git_libgit2_shutdown();
	free(url);
	free(cert);
	if (key)
		mech_secret_free(key);
	free(ca);
	return rc;
}
