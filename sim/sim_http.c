/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sim's HTTP front: the Argo CD routes mech reads (list, get with
 * ?refresh=, resource-tree, managed-resources, sync, the watch stream, the
 * ApplicationSet's get and upsert for its refresh annotation) and the
 * Kubernetes API (sim_kube.c answers; its watches stream from here), with
 * their error bodies: Argo CD's runtimeError, its stream error, and
 * Kubernetes' Status. With --tls, HTTPS through libmicrohttpd's GnuTLS. Faults for tests are injected here: latency, a
 * failure rate (500/503 with proper bodies), malformed bodies, and watch
 * streams cut in the middle of an event.
 *
 * libmicrohttpd runs a thread per connection so a watch stream can wait
 * on the world's condition variable between events.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* POLLRDHUP */
#endif
#include "sim_int.h"

#include "mech/dl.h"
#include "mech/error.h"
#include "mech/http.h" /* mech_json_path */

#include <microhttpd.h>

#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

/* libmicrohttpd is loaded when the sim starts (mech/dl.h) */
#define MHD_SYMBOLS(X)                                                                             \
	X(MHD_start_daemon)                                                                        \
	X(MHD_is_feature_supported)                                                                \
	X(MHD_stop_daemon)                                                                         \
	X(MHD_get_daemon_info)                                                                     \
	X(MHD_get_connection_info)                                                                 \
	X(MHD_get_connection_values)                                                               \
	X(MHD_lookup_connection_value)                                                             \
	X(MHD_create_response_from_buffer)                                                         \
	X(MHD_create_response_from_callback)                                                       \
	X(MHD_add_response_header)                                                                 \
	X(MHD_queue_response)                                                                      \
	X(MHD_destroy_response)

static struct {
	MHD_SYMBOLS(MECH_DL_FIELD)
} mhd;
static const char *const mhd_names[] = {MHD_SYMBOLS(MECH_DL_NAME)};
static int mhd_loaded; /* one server per process, started from the main thread */

#define MHD_start_daemon (*mhd.MHD_start_daemon)
#define MHD_stop_daemon (*mhd.MHD_stop_daemon)
#define MHD_is_feature_supported (*mhd.MHD_is_feature_supported)
#define MHD_get_daemon_info (*mhd.MHD_get_daemon_info)
#define MHD_get_connection_info (*mhd.MHD_get_connection_info)
#define MHD_get_connection_values (*mhd.MHD_get_connection_values)
#define MHD_lookup_connection_value (*mhd.MHD_lookup_connection_value)
#define MHD_create_response_from_buffer (*mhd.MHD_create_response_from_buffer)
#define MHD_create_response_from_callback (*mhd.MHD_create_response_from_callback)
#define MHD_add_response_header (*mhd.MHD_add_response_header)
#define MHD_queue_response (*mhd.MHD_queue_response)
#define MHD_destroy_response (*mhd.MHD_destroy_response)

#define BODY_MAX (2u << 20) /* a 1 MiB Secret in base64, with room */
#define CONNECTIONS_MAX 64

struct sim_server {
	sim_world *w;
	const sim_opts *o;
	struct MHD_Daemon *d;
};

typedef struct {
	mech_buf body;
	int too_large;
} request;

/* ---- small things ---- */

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static double random_unit(void)
{
	uint32_t r;
	sim_random(&r, sizeof(r));
	return (double)r / 4294967296.0;
}

/* Constant-time: the token comparison must not leak a prefix. */
static int same_secret(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b), i;
	unsigned char diff = (unsigned char)(na != nb);
	for (i = 0; i < na; i++)
		diff |= (unsigned char)(a[i] ^ b[i % (nb ? nb : 1)]);
	return diff == 0;
}

static int is_kube_path(const char *url)
{
	static const char *const core[] = {"/api/v1/pods", "/api/v1/services", "/api/v1/secrets",
					   "/api/v1/events"};
	size_t i;
	for (i = 0; i < sizeof(core) / sizeof(*core); i++)
		if (!strcmp(url, core[i]))
			return 1;
	return !strncmp(url, "/apis/", 6) || !strcmp(url, "/apis") ||
	       !strcmp(url, "/api/v1/namespaces") || !strncmp(url, "/api/v1/namespaces/", 19) ||
	       !strcmp(url, "/version") || !strcmp(url, "/api") || !strcmp(url, "/api/v1") ||
	       !strncmp(url, "/openapi/", 9);
}

/* Split "/a/b/c" into at most `max` segments (pointers into `copy`). */
static size_t split_path(char *copy, char **seg, size_t max)
{
	size_t n = 0;
	char *save = NULL, *tok;
	for (tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (n == max)
			return max + 1;
		seg[n++] = tok;
	}
	return n;
}

/* ---- responses ---- */

static enum MHD_Result send_body(sim_server *s, struct MHD_Connection *c, unsigned int status,
				 const char *type, const char *body, int json)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = strlen(body);

	/* --malformed: JSON answers arrive cut in half */
	if (json && s->o->malformed && len > 1)
		len /= 2;
	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A Secret's body, handed to the server by a callback so that it is wiped when dropped. */
typedef struct {
	char *body;
	size_t len;
} secret_body;

static ssize_t secret_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	secret_body *b = cls;
	size_t n;
	if (pos >= b->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = b->len - (size_t)pos < max ? b->len - (size_t)pos : max;
	memcpy(buf, b->body + pos, n);
	return (ssize_t)n;
}

static void secret_free(void *cls)
{
	secret_body *b = cls;
	mech_secret_free(b->body);
	free(b);
}

/* send_body for a body that holds a password; takes `body`. */
static enum MHD_Result send_secret(sim_server *s, struct MHD_Connection *c, unsigned int status,
				   char *body)
{
	secret_body *b = mech_calloc(1, sizeof(*b));
	struct MHD_Response *r;
	enum MHD_Result ret;
	b->body = body;
	b->len = strlen(body);
	if (s->o->malformed && b->len > 1)
		b->len /= 2;
	r = MHD_create_response_from_callback(b->len, 4096, secret_read, b, secret_free);
	if (!r) {
		secret_free(b);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_json(sim_server *s, struct MHD_Connection *c, unsigned int status,
				 char *body)
{
	enum MHD_Result ret = send_body(s, c, status, "application/json", body, 1);
	free(body);
	return ret;
}

static enum MHD_Result send_text(sim_server *s, struct MHD_Connection *c, unsigned int status,
				 const char *text)
{
	return send_body(s, c, status, "text/plain; charset=utf-8", text, 0);
}

/* Argo CD's runtimeError: {"error","code","message"} with the gRPC code. */
static enum MHD_Result argo_error(sim_server *s, struct MHD_Connection *c, unsigned int status,
				  int grpc, const char *message)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "error", message);
	cJSON_AddNumberToObject(e, "code", grpc);
	cJSON_AddStringToObject(e, "message", message);
	char *body = cJSON_PrintUnformatted(e);
	cJSON_Delete(e);
	return send_json(s, c, status, body);
}

/* Kubernetes' Status. */
static enum MHD_Result kube_error(sim_server *s, struct MHD_Connection *c, unsigned int status,
				  const char *reason, const char *message)
{
	return send_json(s, c, status, sim_kube_status(status, reason, message, NULL, NULL, NULL));
}

/* ---- query arguments ---- */

typedef struct {
	mech_strv projects; /* projects= (repeatable) */
	mech_strv project;  /* legacy project=, replaces projects when present */
	const char *name;
	const char *resource_version;
	int refresh; /* refresh= given: normal, hard or (as Argo CD reads it) anything */
	int upsert;  /* upsert=true */
} query;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	query *q = cls;
	if (!strcmp(key, "refresh"))
		q->refresh = 1; /* Argo CD: any value but "hard" is a normal refresh */
	if (!value)
		return MHD_YES;
	if (!strcmp(key, "upsert"))
		q->upsert = !strcmp(value, "true") || !strcmp(value, "1");
	if (!strcmp(key, "projects"))
		mech_strv_push(&q->projects, value);
	else if (!strcmp(key, "project"))
		mech_strv_push(&q->project, value);
	else if (!strcmp(key, "name"))
		q->name = value;
	else if (!strcmp(key, "resourceVersion"))
		q->resource_version = value;
	return MHD_YES;
}

static void query_read(struct MHD_Connection *c, query *q)
{
	memset(q, 0, sizeof(*q));
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, q);
	if (q->project.len) {
		mech_strv_dispose(&q->projects);
		q->projects = q->project;
		memset(&q->project, 0, sizeof(q->project));
	}
}

static void query_dispose(query *q)
{
	mech_strv_dispose(&q->projects);
	mech_strv_dispose(&q->project);
}

static int project_match(const query *q, const sim_app *a)
{
	return !q->projects.len || mech_strv_contains(&q->projects, a->want.project);
}

/* ---- Argo CD ---- */

static enum MHD_Result apps_list(sim_server *s, struct MHD_Connection *c)
{
	mech_buf b = MECH_BUF_INIT;
	query q;
	size_t i, n = 0;

	query_read(c, &q);
	pthread_mutex_lock(&s->w->lock);
	mech_buf_printf(&b, "{\"metadata\":{\"resourceVersion\":\"%llu\"},\"items\":[", s->w->rv);
	for (i = 0; i < s->w->napps; i++) {
		const sim_app *a = s->w->apps[i];
		char *item;
		if (!a->json || !project_match(&q, a) || (q.name && strcmp(q.name, a->name)))
			continue;
		item = sim_render_app_listed(a->json);
		mech_buf_printf(&b, "%s%s", n++ ? "," : "", item);
		free(item);
	}
	pthread_mutex_unlock(&s->w->lock);
	mech_buf_puts(&b, "]}");
	query_dispose(&q);
	return send_json(s, c, MHD_HTTP_OK, mech_buf_detach(&b));
}

/*
 * Argo CD's lookup rule: without a project a missing app reads as
 * "permission denied" (no existence leak); with one, absent or in another
 * project is 404. Returns the app (lock held) or NULL after answering.
 */
static sim_app *app_lookup(sim_server *s, struct MHD_Connection *c, const char *name,
			   const char *project, enum MHD_Result *ret)
{
	sim_app *a;
	char *msg;
	pthread_mutex_lock(&s->w->lock);
	a = sim_world_app(s->w, name);
	if (a && a->json && (!project || !strcmp(project, a->want.project)))
		return a;
	pthread_mutex_unlock(&s->w->lock);
	if (!project) {
		*ret = argo_error(s, c, MHD_HTTP_FORBIDDEN, 7, "permission denied");
		return NULL;
	}
	msg = mech_sprintf("applications.argoproj.io \"%s\" not found", name);
	*ret = argo_error(s, c, MHD_HTTP_NOT_FOUND, 5, msg);
	free(msg);
	return NULL;
}

static enum MHD_Result app_read(sim_server *s, struct MHD_Connection *c, const char *name,
				const char *what)
{
	enum MHD_Result ret = MHD_NO;
	sim_app *a;
	char *body;
	query q;

	query_read(c, &q);
	if (q.projects.len > 1) {
		query_dispose(&q);
		return argo_error(s, c, MHD_HTTP_BAD_REQUEST, 3,
				  "multiple projects specified - the get endpoint accepts either "
				  "zero or one project");
	}
	a = app_lookup(s, c, name, q.projects.len ? q.projects.items[0] : NULL, &ret);
	if (a && q.refresh && !strcmp(what, "app")) {
		/* RBAC first, then the refresh, answered once the controller has compared */
		sim_world_refresh(s->w, name);
		a = sim_world_app(s->w, name);
		if (!a || !a->json) {
			pthread_mutex_unlock(&s->w->lock);
			a = app_lookup(s, c, name, q.projects.len ? q.projects.items[0] : NULL,
				       &ret);
		}
	}
	query_dispose(&q);
	if (!a)
		return ret;
	if (!strcmp(what, "app"))
		body = mech_strdup(a->json);
	else if (!strcmp(what, "resource-tree"))
		body = sim_render_tree(s->w, a);
	else
		body = sim_render_managed(s->w, a);
	pthread_mutex_unlock(&s->w->lock);
	return send_json(s, c, MHD_HTTP_OK, body);
}

static enum MHD_Result app_sync(sim_server *s, struct MHD_Connection *c, const char *name,
				request *rq)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	enum MHD_Result ret = MHD_NO;
	const cJSON *v;
	const char *project = NULL, *revision = NULL;
	const cJSON *retry = NULL;
	cJSON *req = NULL;
	sim_app *a;
	char *body;
	int prune = 0, dry = 0;

	/* Argo CD refuses non-JSON writes before anything else */
	if (!ct || strncmp(ct, "application/json", 16))
		return send_text(s, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Invalid content type");
	if (rq->too_large)
		return argo_error(s, c, MHD_HTTP_BAD_REQUEST, 3, "request body too large");
	if (rq->body.len) {
		req = cJSON_ParseWithLength(rq->body.ptr, rq->body.len);
		if (!cJSON_IsObject(req)) {
			cJSON_Delete(req);
			return argo_error(s, c, MHD_HTTP_BAD_REQUEST, 3,
					  "invalid character in request body");
		}
		v = cJSON_GetObjectItemCaseSensitive(req, "project");
		project = cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
		v = cJSON_GetObjectItemCaseSensitive(req, "revision");
		revision = cJSON_IsString(v) ? v->valuestring : NULL;
		prune = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "prune"));
		dry = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "dryRun"));
		v = cJSON_GetObjectItemCaseSensitive(req, "retryStrategy");
		retry = cJSON_IsObject(v) ? v : NULL;
	}
	a = app_lookup(s, c, name, project, &ret);
	if (!a) {
		cJSON_Delete(req);
		return ret;
	}
	/* the server checks the project's sync windows before anything else (as a manual sync) */
	if (!sim_project_can_sync(sim_world_project(s->w, a), a, 1, time(NULL))) {
		pthread_mutex_unlock(&s->w->lock);
		cJSON_Delete(req);
		return argo_error(s, c, MHD_HTTP_FORBIDDEN, 7,
				  "cannot sync: blocked by sync window");
	}
	if (!dry && sim_world_sync(s->w, a, revision, prune, retry) < 0) {
		pthread_mutex_unlock(&s->w->lock);
		cJSON_Delete(req);
		return argo_error(s, c, MHD_HTTP_BAD_REQUEST, 9,
				  "another operation is already in progress");
	}
	/* the answer shows the requested operation; operationState is cleared */
	body = sim_render_app(s->w, a, 1, 0);
	pthread_mutex_unlock(&s->w->lock);
	cJSON_Delete(req);
	return send_json(s, c, MHD_HTTP_OK, body);
}

/* ---- ApplicationSets ---- */

static enum MHD_Result appset_not_found(sim_server *s, struct MHD_Connection *c, const char *name)
{
	char *msg = mech_sprintf("error getting ApplicationSet: applicationsets.argoproj.io \"%s\" "
				 "not found",
				 name);
	enum MHD_Result ret = argo_error(s, c, MHD_HTTP_NOT_FOUND, 5, msg);
	free(msg);
	return ret;
}

static enum MHD_Result appset_get(sim_server *s, struct MHD_Connection *c, const char *name)
{
	sim_tenant *t;
	char *body;
	pthread_mutex_lock(&s->w->lock);
	t = sim_world_appset(s->w, name);
	if (!t) {
		pthread_mutex_unlock(&s->w->lock);
		return appset_not_found(s, c, name);
	}
	body = sim_render_appset(s->w, t);
	pthread_mutex_unlock(&s->w->lock);
	return send_json(s, c, MHD_HTTP_OK, body);
}

/*
 * Create with upsert: the sim makes no ApplicationSets (they come from the
 * tenant repo) and takes nothing from the body but the refresh annotation,
 * which runs the generator at the next tick, as the controller would.
 */
static enum MHD_Result appset_upsert(sim_server *s, struct MHD_Connection *c, request *rq)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	const cJSON *name, *project, *refresh;
	enum MHD_Result ret;
	sim_tenant *t;
	cJSON *req;
	query q;
	char *body;

	if (!ct || strncmp(ct, "application/json", 16))
		return send_text(s, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Invalid content type");
	if (rq->too_large)
		return argo_error(s, c, MHD_HTTP_BAD_REQUEST, 3, "request body too large");
	req = cJSON_ParseWithLength(rq->body.ptr ? rq->body.ptr : "", rq->body.len);
	name = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(req, "metadata"),
						"name");
	if (!cJSON_IsObject(req) || !cJSON_IsString(name) || !*name->valuestring) {
		cJSON_Delete(req);
		return argo_error(s, c, MHD_HTTP_BAD_REQUEST, 3,
				  "invalid character in request body");
	}
	project = mech_json_path(req, "spec.template.spec.project");
	refresh = mech_json_path(req, "metadata.annotations");
	refresh =
		cJSON_IsObject(refresh)
			? cJSON_GetObjectItemCaseSensitive(refresh,
							   "argocd.argoproj.io/application-set-refresh")
			: NULL;
	query_read(c, &q);
	pthread_mutex_lock(&s->w->lock);
	t = sim_world_appset(s->w, name->valuestring);
	/* a tenant's token may not create ApplicationSets, nor touch another project's */
	if (!t || (cJSON_IsString(project) && strcmp(project->valuestring, t->name))) {
		pthread_mutex_unlock(&s->w->lock);
		ret = argo_error(s, c, MHD_HTTP_FORBIDDEN, 7, "permission denied");
	} else if (!q.upsert && cJSON_IsString(refresh) && !strcmp(refresh->valuestring, "true") &&
		   t->appset_want == t->appset_done) {
		/* Argo CD's Create: an unchanged ApplicationSet is returned as it is,
		 * a changed one (here: the annotation added) needs upsert */
		pthread_mutex_unlock(&s->w->lock);
		ret = argo_error(s, c, MHD_HTTP_BAD_REQUEST, 3,
				 "existing ApplicationSet spec is different, use upsert flag to "
				 "force update");
	} else {
		if (cJSON_IsString(refresh) && !strcmp(refresh->valuestring, "true") &&
		    t->appset_want == t->appset_done) {
			t->appset_want++;
			s->w->rv++;
		}
		body = sim_render_appset(s->w, t);
		pthread_mutex_unlock(&s->w->lock);
		ret = send_json(s, c, MHD_HTTP_OK, body);
	}
	query_dispose(&q);
	cJSON_Delete(req);
	return ret;
}

/* ---- the watch stream ---- */

typedef struct {
	sim_server *s;
	query q;
	int sse;
	mech_strv names; /* last event sent per Application (forwarder dedupe) */
	mech_strv jsons;
	unsigned long long seen;
	int started;
	mech_buf out;
	size_t off;
	double t_start;
	double t_write;
	int cutting;
	int fd; /* the client's socket, to notice a client that left */
} stream;

static void stream_free(void *cls)
{
	stream *st = cls;
	query_dispose(&st->q);
	mech_strv_dispose(&st->names);
	mech_strv_dispose(&st->jsons);
	mech_buf_dispose(&st->out);
	free(st);
}

static void frame(stream *st, const char *type, const char *app_json)
{
	size_t start;
	mech_buf_puts(&st->out, st->sse ? "data: " : "");
	start = st->out.len;
	mech_buf_printf(&st->out, "{\"result\":{\"type\":\"%s\",\"application\":%s}}", type,
			app_json);
	if (st->s->o->malformed) {
		/* keep the framing, break the JSON inside it */
		st->out.len = start + (st->out.len - start) / 2;
		st->out.ptr[st->out.len] = '\0';
	}
	/* Argo CD writes "data: %s \n\n" then grpc-gateway's "\n" delimiter */
	mech_buf_puts(&st->out, st->sse ? " \n\n\n" : "\n");
}

static ssize_t find_name(const mech_strv *v, const char *name)
{
	size_t i;
	for (i = 0; i < v->len; i++)
		if (!strcmp(v->items[i], name))
			return (ssize_t)i;
	return -1;
}

/* Under the lock: events for what changed since the last call. */
static void stream_collect(stream *st, int silent)
{
	sim_world *w = st->s->w;
	mech_strv names = MECH_STRV_INIT, jsons = MECH_STRV_INIT;
	size_t i;

	for (i = 0; i < w->napps; i++) {
		const sim_app *a = w->apps[i];
		ssize_t k;
		if (!a->json || !project_match(&st->q, a) ||
		    (st->q.name && strcmp(st->q.name, a->name)))
			continue;
		mech_strv_push(&names, a->name);
		mech_strv_push(&jsons, a->json);
		k = find_name(&st->names, a->name);
		if (silent)
			continue;
		if (k < 0)
			frame(st, "ADDED", a->json);
		else if (strcmp(st->jsons.items[k], a->json))
			frame(st, "MODIFIED", a->json);
	}
	for (i = 0; !silent && i < st->names.len; i++)
		if (find_name(&names, st->names.items[i]) < 0)
			frame(st, "DELETED", st->jsons.items[i]);
	mech_strv_dispose(&st->names);
	mech_strv_dispose(&st->jsons);
	st->names = names;
	st->jsons = jsons;
	st->seen = w->rv;
}

static void deadline(struct timespec *ts, double ms_from_now)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms_from_now / 1000);
	ts->tv_nsec += (long)((long long)ms_from_now % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/*
 * Under the world's lock: sleep until the world changes or `ms` pass, at
 * most a second (so a stream notices a client that went).
 */
static void wait_changed(sim_world *w, double ms)
{
	struct timespec ts;
	deadline(&ts, ms > 1000 ? 1000 : ms);
	pthread_cond_timedwait(&w->changed, &w->lock, &ts);
}

static int client_gone(int fd)
{
	struct pollfd p = {fd, POLLRDHUP, 0};
	if (fd < 0)
		return 0;
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	stream *st = cls;
	sim_world *w = st->s->w;
	const sim_opts *o = st->s->o;

	for (;;) {
		double now = sim_now_ms(), wait;
		if (st->off < st->out.len) {
			size_t n = st->out.len - st->off;
			if (n > max)
				n = max;
			memcpy(buf, st->out.ptr + st->off, n);
			st->off += n;
			if (st->off == st->out.len) {
				mech_buf_clear(&st->out);
				st->off = 0;
			}
			st->t_write = now;
			return (ssize_t)n;
		}
		if (st->cutting)
			return MHD_CONTENT_READER_END_WITH_ERROR; /* no final chunk: a cut */
		pthread_mutex_lock(&w->lock);
		if (w->stopping) {
			pthread_mutex_unlock(&w->lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (o->drop_stream_ms && now >= st->t_start + (double)o->drop_stream_ms) {
			/* --drop-stream: half an event, then the connection dies */
			const char *json = w->napps && w->apps[0]->json ? w->apps[0]->json : "{}";
			frame(st, "MODIFIED", json);
			st->out.len = st->out.len / 2;
			st->out.ptr[st->out.len] = '\0';
			st->cutting = 1;
			pthread_mutex_unlock(&w->lock);
			continue;
		}
		if (!st->started || w->rv != st->seen) {
			stream_collect(st, 0);
			st->started = 1;
			pthread_mutex_unlock(&w->lock);
			continue;
		}
		wait = st->sse ? st->t_write + (double)o->keepalive_ms - now : 60000.0;
		if (o->drop_stream_ms && st->t_start + (double)o->drop_stream_ms - now < wait)
			wait = st->t_start + (double)o->drop_stream_ms - now;
		if (client_gone(st->fd)) {
			/* do not hold a connection slot until the next keepalive */
			pthread_mutex_unlock(&w->lock);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (wait > 0)
			wait_changed(w, wait);
		else if (st->sse) {
			mech_buf_puts(&st->out, ":\n"); /* keepalive comment */
		}
		pthread_mutex_unlock(&w->lock);
	}
}

static enum MHD_Result apps_watch(sim_server *s, struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	struct MHD_Response *r;
	enum MHD_Result ret;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	stream *st = mech_calloc(1, sizeof(*st));

	st->s = s;
	st->fd = ci ? ci->connect_fd : -1;
	/* grpc-gateway's forwarder switches on Accept being exactly text/event-stream */
	st->sse = accept && !strcmp(accept, "text/event-stream");
	query_read(c, &st->q);
	st->t_start = st->t_write = sim_now_ms();
	if (st->q.resource_version && *st->q.resource_version && !st->q.name) {
		/* resuming: no initial burst of ADDED */
		pthread_mutex_lock(&s->w->lock);
		stream_collect(st, 1);
		st->started = 1;
		pthread_mutex_unlock(&s->w->lock);
	}
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, st,
					      stream_free);
	if (!r) {
		stream_free(st);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type",
				st->sse ? "text/event-stream" : "application/json");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* A stream refused before it starts: grpc-gateway's runtimeStreamError chunk. */
static enum MHD_Result stream_error(sim_server *s, struct MHD_Connection *c, unsigned int status,
				    int grpc, const char *http_status, const char *message)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	int sse = accept && !strcmp(accept, "text/event-stream");
	cJSON *doc = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(doc, "error");
	char *json, *body;
	enum MHD_Result ret;

	cJSON_AddNumberToObject(e, "grpc_code", grpc);
	cJSON_AddNumberToObject(e, "http_code", status);
	cJSON_AddStringToObject(e, "message", message);
	cJSON_AddStringToObject(e, "http_status", http_status);
	json = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	body = sse ? mech_sprintf("data: %s \n\n", json) : mech_sprintf("%s\n", json);
	ret = send_body(s, c, status, sse ? "text/event-stream" : "application/json", body, 0);
	free(json);
	free(body);
	return ret;
}

/* ---- Kubernetes ---- */

static const char *kube_arg(void *ctx, const char *key)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, key);
}

/* A watch: event lines as the journal grows, until timeoutSeconds or the client leaves. */
typedef struct {
	sim_server *s;
	sim_kube_watch *kw;
	mech_buf out;
	size_t off;
	int ended;
	int fd;
} kube_stream;

static void kube_stream_free(void *cls)
{
	kube_stream *ks = cls;
	sim_kube_watch_free(ks->kw);
	mech_buf_dispose(&ks->out);
	free(ks);
}

static ssize_t kube_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	kube_stream *ks = cls;
	sim_world *w = ks->s->w;

	for (;;) {
		double wait;
		if (ks->off < ks->out.len) {
			size_t n = ks->out.len - ks->off;
			if (n > max)
				n = max;
			memcpy(buf, ks->out.ptr + ks->off, n);
			ks->off += n;
			if (ks->off == ks->out.len) {
				if (ks->out.secret) /* a watch of Secrets: sent, then wiped */
					explicit_bzero(ks->out.ptr, ks->out.len);
				mech_buf_clear(&ks->out);
				ks->off = 0;
			}
			return (ssize_t)n;
		}
		if (ks->ended)
			return MHD_CONTENT_READER_END_OF_STREAM;
		pthread_mutex_lock(&w->lock);
		if (w->stopping) {
			pthread_mutex_unlock(&w->lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		ks->ended = sim_kube_watch_next(w, ks->kw, &ks->out, sim_now_ms(), &wait);
		if (ks->out.len || ks->ended) {
			pthread_mutex_unlock(&w->lock);
			continue;
		}
		if (client_gone(ks->fd)) {
			pthread_mutex_unlock(&w->lock);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (wait > 0)
			wait_changed(w, wait);
		pthread_mutex_unlock(&w->lock);
	}
}

static enum MHD_Result kube_watch(sim_server *s, struct MHD_Connection *c, sim_kube_watch *kw,
				  int text)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	kube_stream *ks = mech_calloc(1, sizeof(*ks));
	struct MHD_Response *r;
	enum MHD_Result ret;

	ks->s = s;
	ks->kw = kw;
	ks->fd = ci ? ci->connect_fd : -1;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, kube_stream_read, ks,
					      kube_stream_free);
	if (!r) {
		kube_stream_free(ks);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type",
				text ? "text/plain; charset=utf-8" : "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-cache, private");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result kube_route(sim_server *s, struct MHD_Connection *c, const char *url,
				  const char *method, request *rq)
{
	sim_kube_answer ans;

	if (!strcmp(url, "/version"))
		return send_json(s, c, MHD_HTTP_OK,
				 mech_strdup("{\"major\":\"1\",\"minor\":\"33\",\"gitVersion\":"
					     "\"v1.33.0+mech-sim\",\"platform\":\"linux/amd64\"}"));
	if (strcmp(method, "GET"))
		sim_secrets_write(s->w, method, url,
				  MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
				  rq->body.ptr, rq->body.len, rq->too_large, &ans);
	else
		sim_kube_serve(s->w, method, url,
			       MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept"), kube_arg,
			       c, &ans);
	if (ans.watch)
		return kube_watch(s, c, ans.watch, ans.text);
	if (ans.text) { /* a pod's log (errors are Status JSON) */
		enum MHD_Result ret = send_text(s, c, ans.status, ans.body);
		free(ans.body);
		return ret;
	}
	if (ans.secret)
		return send_secret(s, c, ans.status, ans.body);
	return send_json(s, c, ans.status, ans.body);
}

/* ---- routing ---- */

static int authorized(sim_server *s, struct MHD_Connection *c)
{
	const char *h;
	if (!s->o->token)
		return 1;
	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7))
		return 0;
	h += 7;
	while (*h == ' ')
		h++;
	return same_secret(h, s->o->token);
}

static enum MHD_Result unauthorized(sim_server *s, struct MHD_Connection *c, const char *url)
{
	if (is_kube_path(url))
		return kube_error(s, c, MHD_HTTP_UNAUTHORIZED, "Unauthorized", "Unauthorized");
	if (!strcmp(url, "/api/v1/stream/applications"))
		return stream_error(s, c, MHD_HTTP_UNAUTHORIZED, 16, "Unauthorized",
				    "no session information");
	return argo_error(s, c, MHD_HTTP_UNAUTHORIZED, 16, "no session information");
}

/* --fail-rate: an upstream that fails now and then, with proper bodies. */
static enum MHD_Result injected_failure(sim_server *s, struct MHD_Connection *c, const char *url)
{
	int unavailable = random_unit() < 0.5;
	if (is_kube_path(url))
		return unavailable
			       ? kube_error(s, c, MHD_HTTP_SERVICE_UNAVAILABLE,
					    "ServiceUnavailable",
					    "the server is currently unable to handle the request")
			       : kube_error(s, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "InternalError",
					    "Internal error occurred: injected failure (mech sim "
					    "--fail-rate)");
	if (!strcmp(url, "/api/v1/stream/applications"))
		return stream_error(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, 14, "Service Unavailable",
				    "connection error: injected failure (mech sim --fail-rate)");
	return unavailable ? argo_error(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, 14,
					"connection error: desc = \"transport: injected failure "
					"(mech sim --fail-rate)\"")
			   : argo_error(s, c, MHD_HTTP_INTERNAL_SERVER_ERROR, 2,
					"rpc error: code = Unknown desc = injected failure (mech "
					"sim --fail-rate)");
}

static enum MHD_Result argo_route(sim_server *s, struct MHD_Connection *c, const char *url,
				  const char *method, request *rq)
{
	char *copy = mech_strdup(url), *seg[8];
	size_t n = split_path(copy, seg, 7);
	enum MHD_Result ret;
	int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");

	if (n == 2 && !strcmp(seg[1], "version") && get)
		ret = send_json(s, c, MHD_HTTP_OK, mech_strdup("{\"Version\":\"v3.5.1+mech-sim\"}"));
	else if (n == 3 && !strcmp(seg[2], "applications") && !strcmp(seg[1], "v1") && get)
		ret = apps_list(s, c);
	else if (n == 4 && !strcmp(seg[2], "stream") && !strcmp(seg[3], "applications") && get)
		ret = apps_watch(s, c);
	else if (n == 4 && !strcmp(seg[2], "applications") && get)
		ret = app_read(s, c, seg[3], "app");
	else if (n == 5 && !strcmp(seg[2], "applications") && get &&
		 (!strcmp(seg[4], "resource-tree") || !strcmp(seg[4], "managed-resources")))
		ret = app_read(s, c, seg[3], seg[4]);
	else if (n == 5 && !strcmp(seg[2], "applications") && !strcmp(seg[4], "sync") && post)
		ret = app_sync(s, c, seg[3], rq);
	else if (n == 4 && !strcmp(seg[2], "applicationsets") && get)
		ret = appset_get(s, c, seg[3]);
	else if (n == 3 && !strcmp(seg[2], "applicationsets") && post)
		ret = appset_upsert(s, c, rq);
	else if ((n == 3 || n == 4) && !strcmp(seg[2], "applicationsets"))
		ret = send_text(s, c, MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed");
	else if ((n >= 3 && n <= 5 && !strcmp(seg[2], "applications")) ||
		 (n == 4 && !strcmp(seg[2], "stream")))
		ret = send_text(s, c, MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed");
	else
		ret = send_text(s, c, MHD_HTTP_NOT_FOUND,
				"Not Found"); /* grpc-gateway's plain text */
	free(copy);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	sim_server *s = cls;
	request *rq = *con_cls;
	int argo_api = !strncmp(url, "/api/", 5) && !is_kube_path(url);

	if (!rq) {
		rq = mech_calloc(1, sizeof(*rq));
		rq->body.max = BODY_MAX;
		rq->body.secret = 1; /* a Secret's data may come in it: wiped when freed */
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (mech_buf_put(&rq->body, upload, *upload_size) < 0)
			rq->too_large = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (s->o->latency_ms > 0)
		sleep_ms(s->o->latency_ms);
	/* version probes answer without a token, as both servers do */
	if (strcmp(url, "/api/version") && strcmp(url, "/version") && !authorized(s, c))
		return unauthorized(s, c, url);
	if (s->o->fail_rate > 0 && random_unit() < s->o->fail_rate)
		return injected_failure(s, c, url);
	if (is_kube_path(url))
		return kube_route(s, c, url, method, rq);
	if (argo_api)
		return argo_route(s, c, url, method, rq);
	/* everything else is Argo CD's web UI: 200 and HTML, never JSON */
	return send_body(s, c, MHD_HTTP_OK, "text/html; charset=utf-8",
			 "<!doctype html><html><head><title>Argo CD (mech sim)</title></head>"
			 "<body>mech sim: the API is under /api/</body></html>",
			 0);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	request *rq = *con_cls;
	if (!rq)
		return;
	mech_buf_dispose(&rq->body);
	free(rq);
	*con_cls = NULL;
}

int sim_server_start(sim_server **out, sim_world *w, const sim_opts *opts, const char *cert,
		     const char *key, char **url)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = sizeof(ss);
	int v6 = strchr(opts->host, ':') != NULL;
	const union MHD_DaemonInfo *info;
	sim_server *s;
	int port = 0;

	*out = NULL;
	*url = NULL;
	_Static_assert(sizeof(mhd) == sizeof(mhd_names) / sizeof(*mhd_names) * sizeof(void *),
		       "one pointer per libmicrohttpd symbol");
	if (!mhd_loaded && mech_dl_load("libmicrohttpd.so.12", "libmicrohttpd12", mhd_names,
					(void **)&mhd, sizeof(mhd_names) / sizeof(*mhd_names)) < 0)
		return -1;
	mhd_loaded = 1;
	if (cert && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return mech_error_set(MECH_ECONFIG, "mech sim --tls: this libmicrohttpd is built "
						    "without TLS (GnuTLS)");
	memset(&ss, 0, sizeof(ss));
	if (v6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)opts->port);
		in6->sin6_addr = in6addr_loopback;
	} else {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)opts->port);
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	s = mech_calloc(1, sizeof(*s));
	s->w = w;
	s->o = opts;
	/* the TLS options come last: without TLS, MHD_OPTION_END stops the list before them */
	s->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD |
					(v6 ? MHD_USE_IPv6 : 0) | (cert ? MHD_USE_TLS : 0),
				(uint16_t)opts->port, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
				(unsigned int)CONNECTIONS_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned int)120, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
				cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, key,
				MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_END);
	if (!s->d) {
		free(s);
		return mech_error_set(MECH_EUNAVAILABLE, "cannot listen on %s port %d (in use?)",
				      opts->host, opts->port);
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_LISTEN_FD);
	if (info && getsockname(info->listen_fd, (struct sockaddr *)&ss, &len) == 0)
		port = ntohs(ss.ss_family == AF_INET6 ? in6->sin6_port : in4->sin_port);
	*url = v6 ? mech_sprintf("%s://[::1]:%d", cert ? "https" : "http", port)
		  : mech_sprintf("%s://127.0.0.1:%d", cert ? "https" : "http", port);
	*out = s;
	return 0;
}

void sim_server_stop(sim_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}
