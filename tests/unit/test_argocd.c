/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Argo CD and Kubernetes readers: parsing of the documented shapes
 * (served by a scripted loopback server), the requests they send, error
 * mapping of in-band stream errors, the CNPG secret's allow-list, and —
 * when the built `mech sim` is available — the whole chain against the sim.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mech/argocd.h"
#include "mech/buf.h"
#include "mech/error.h"
#include "mech/kube.h"

/* ---- a scripted HTTP server (same as in test_http.c: tests stay self-contained) ---- */

#define MAX_STEPS 16
#define MAX_CONNS 4

typedef struct {
	const char *bytes;
	int pause_ms;
} step;

typedef struct {
	int listen_fd;
	int port;
	pthread_t thread;
	step script[MAX_CONNS][MAX_STEPS];
	int nconns;
	int hold_ms;
	char request[MAX_CONNS][8192];
} fake;

static void pause_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void read_request(int fd, char *out, size_t max)
{
	size_t n = 0;
	while (n + 1 < max) {
		ssize_t r = recv(fd, out + n, max - 1 - n, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
		out[n] = '\0';
		if (strstr(out, "\r\n\r\n")) {
			const char *cl = strcasestr(out, "Content-Length:");
			size_t body = cl ? (size_t)atol(cl + 15) : 0;
			if (n >= (size_t)(strstr(out, "\r\n\r\n") - out) + 4 + body)
				break;
		}
	}
	out[n] = '\0';
}

static void *fake_run(void *arg)
{
	fake *f = arg;
	int c;
	for (c = 0; c < f->nconns; c++) {
		int fd = accept(f->listen_fd, NULL, NULL);
		size_t i;
		if (fd < 0)
			break;
		read_request(fd, f->request[c], sizeof(f->request[c]));
		for (i = 0; f->script[c][i].bytes; i++) {
			const char *b = f->script[c][i].bytes;
			size_t len = strlen(b), off = 0;
			if (f->script[c][i].pause_ms)
				pause_ms(f->script[c][i].pause_ms);
			while (off < len) {
				ssize_t w = send(fd, b + off, len - off, MSG_NOSIGNAL);
				if (w <= 0)
					break;
				off += (size_t)w;
			}
		}
		if (c == f->nconns - 1 && f->hold_ms)
			pause_ms(f->hold_ms);
		close(fd);
	}
	return NULL;
}

static void fake_start(fake *f)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int one = 1;
	f->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(f->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(bind(f->listen_fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	cr_assert(listen(f->listen_fd, 8) == 0);
	getsockname(f->listen_fd, (struct sockaddr *)&a, &len);
	f->port = ntohs(a.sin_port);
	if (!f->nconns)
		f->nconns = 1;
	pthread_create(&f->thread, NULL, fake_run, f);
}

static void fake_stop(fake *f)
{
	shutdown(f->listen_fd, SHUT_RDWR);
	pthread_join(f->thread, NULL);
	close(f->listen_fd);
}

static char *json_response(const char *status, const char *content_type, const char *body)
{
	return mech_sprintf("HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			    "Connection: close\r\n\r\n%s",
			    status, content_type, strlen(body), body);
}

/* A server answering one request with `body` (200, JSON). */
static fake *serve(const char *body, char **resp)
{
	fake *f = calloc(1, sizeof(*f));
	*resp = json_response("200 OK", "application/json", body);
	f->script[0][0].bytes = *resp;
	fake_start(f);
	return f;
}

static mech_argocd *argo(const fake *f)
{
	mech_argocd *c;
	char *url = mech_sprintf("http://127.0.0.1:%d", f->port);
	cr_assert_eq(mech_argocd_open(&c, url, NULL, NULL, 3000), 0);
	free(url);
	return c;
}

static mech_kube *kube(const fake *f)
{
	mech_kube *k;
	char *url = mech_sprintf("http://127.0.0.1:%d", f->port);
	cr_assert_eq(mech_kube_open(&k, url, NULL, NULL, 3000), 0);
	free(url);
	return k;
}

/* ---- documented shapes (reference/argocd-api.md §3) ---- */

static const char list_json[] =
	"{\"metadata\":{\"resourceVersion\":\"884213\"},\"items\":["
	"{\"metadata\":{\"name\":\"alice-api-main\",\"namespace\":\"argocd\",\"resourceVersion\":"
	"\"17\"},\"spec\":{\"project\":\"alice\"},\"status\":{\"sync\":{},\"health\":{}}},"
	"{\"metadata\":{\"name\":\"alice-web-main\",\"namespace\":\"argocd\",\"resourceVersion\":"
	"\"884190\",\"creationTimestamp\":\"2026-08-01T09:00:00Z\"},"
	"\"spec\":{\"project\":\"alice\",\"source\":{\"repoURL\":\"https://git.example.com/g.git\","
	"\"path\":\"apps/web/overlays/main\",\"targetRevision\":\"HEAD\"},\"destination\":{"
	"\"server\":\"https://kubernetes.default.svc\",\"namespace\":\"x-alice\"}},"
	"\"status\":{\"sync\":{\"status\":\"Synced\",\"revision\":\"3f9c2a7d\"},\"health\":{"
	"\"status\":\"Healthy\",\"lastTransitionTime\":\"2026-08-22T10:15:03Z\"},"
	"\"resources\":[{\"version\":\"v1\",\"kind\":\"Service\",\"namespace\":\"x-alice\","
	"\"name\":\"web-main\",\"status\":\"Synced\"}],\"summary\":{\"images\":["
	"\"registry.example.com/alice/web:1.4.2\"],\"externalURLs\":[\"https://web.example\"]}}}]}";

static const char degraded_json[] =
	"{\"metadata\":{\"name\":\"web\",\"namespace\":\"argocd\",\"resourceVersion\":\"884301\"},"
	"\"spec\":{\"project\":\"default\",\"source\":{\"repoURL\":\"https://git.example.com/p.git\","
	"\"path\":\"apps/web\",\"targetRevision\":\"HEAD\"},\"destination\":{\"server\":"
	"\"https://kubernetes.default.svc\",\"namespace\":\"web\"}},"
	"\"status\":{\"sync\":{\"status\":\"OutOfSync\",\"revision\":\"a1b2c3d4e5f6\"},"
	"\"health\":{\"status\":\"Degraded\",\"lastTransitionTime\":\"2026-08-22T11:02:10Z\"},"
	"\"resourceHealthSource\":\"appTree\",\"resources\":["
	"{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\",\"namespace\":\"web\","
	"\"name\":\"web\",\"status\":\"OutOfSync\",\"health\":{\"status\":\"Degraded\","
	"\"message\":\"Deployment \\\"web\\\" exceeded its progress deadline\"}},"
	"{\"version\":\"v1\",\"kind\":\"ConfigMap\",\"namespace\":\"web\",\"name\":\"old-config\","
	"\"status\":\"OutOfSync\",\"requiresPruning\":true},"
	"{\"group\":\"postgresql.cnpg.io\",\"version\":\"v1\",\"kind\":\"Cluster\",\"namespace\":"
	"\"web\",\"name\":\"web-db\",\"status\":\"Synced\",\"health\":{\"status\":\"Healthy\"}}],"
	"\"conditions\":[{\"type\":\"SyncError\",\"message\":\"Failed sync attempt\","
	"\"lastTransitionTime\":\"2026-08-22T11:02:12Z\"}],"
	"\"reconciledAt\":\"2026-08-22T11:05:00Z\","
	"\"operationState\":{\"phase\":\"Failed\",\"message\":\"one or more objects failed to "
	"apply\",\"startedAt\":\"2026-08-22T11:02:05Z\",\"finishedAt\":\"2026-08-22T11:02:12Z\","
	"\"retryCount\":2,\"operation\":{\"sync\":{\"revision\":\"a1b2c3d4\",\"prune\":true},"
	"\"initiatedBy\":{\"automated\":true}},\"syncResult\":{\"revision\":\"a1b2c3d4\"}}}}";

Test(argocd, list_parses_items_and_defaults)
{
	char *resp;
	fake *f = serve(list_json, &resp);
	mech_argocd *c = argo(f);
	mech_argocd_apps *apps = NULL;
	const mech_argocd_app *a;

	cr_assert_eq(mech_argocd_app_list(c, "alice", &apps), 0, "%s", mech_error_last()->message);
	fake_stop(f);
	cr_expect(strstr(f->request[0], "GET /api/v1/applications?projects=alice HTTP/1.1"));
	cr_assert_eq(apps->len, 2);
	cr_expect_str_eq(apps->resource_version, "884213");
	/* encoding/json dropped the zero values: they read as Unknown and "" */
	cr_expect_str_eq(apps->items[0].sync_status, "Unknown");
	cr_expect_str_eq(apps->items[0].health_status, "Unknown");
	cr_expect_str_eq(apps->items[0].sync_revision, "");
	cr_expect_eq(apps->items[0].nresources, 0);
	a = mech_argocd_apps_find(apps, "alice-web-main");
	cr_assert_not_null(a);
	cr_expect_str_eq(a->project, "alice");
	cr_expect_str_eq(a->path, "apps/web/overlays/main");
	cr_expect_str_eq(a->dest_namespace, "x-alice");
	cr_expect_str_eq(a->sync_status, "Synced");
	cr_expect_str_eq(a->sync_revision, "3f9c2a7d");
	cr_expect_str_eq(a->health_status, "Healthy");
	cr_expect_eq(a->nresources, 1);
	cr_expect_str_eq(a->resources[0].group, "");
	cr_expect_str_eq(a->resources[0].health, "", "List leaves resource health out");
	cr_assert_eq(a->nimages, 1);
	cr_expect_str_eq(a->images[0], "registry.example.com/alice/web:1.4.2");
	cr_expect_eq(a->nexternal_urls, 1);
	cr_expect(mech_argocd_app_settled(a));
	cr_expect_null(mech_argocd_apps_find(apps, "nope"));
	mech_argocd_apps_free(apps);
	mech_argocd_free(c);
	free(resp);
	free(f);
}

/* A server's order is its own: 300 Applications in reverse order are all found, by name. */
Test(argocd, list_is_sorted_and_found_by_name)
{
	mech_buf b = MECH_BUF_INIT;
	char *resp, name[32];
	fake *f;
	mech_argocd *c;
	mech_argocd_apps *apps = NULL;
	int i;

	mech_buf_puts(&b, "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[");
	for (i = 299; i >= 0; i--)
		mech_buf_printf(&b, "%s{\"metadata\":{\"name\":\"t--app%03d--main\"},\"spec\":{}}",
				i == 299 ? "" : ",", i);
	mech_buf_puts(&b, "]}");
	f = serve(b.ptr, &resp);
	c = argo(f);
	cr_assert_eq(mech_argocd_app_list(c, "t", &apps), 0, "%s", mech_error_last()->message);
	fake_stop(f);
	cr_assert_eq(apps->len, 300);
	for (i = 0; i < 300; i++) {
		const mech_argocd_app *a;
		snprintf(name, sizeof(name), "t--app%03d--main", i);
		a = mech_argocd_apps_find(apps, name);
		cr_assert_not_null(a, "%s not found", name);
		cr_expect_str_eq(a->name, name);
		if (i)
			cr_expect(strcmp(apps->items[i - 1].name, apps->items[i].name) < 0,
				  "items sorted by name");
	}
	cr_expect_null(mech_argocd_apps_find(apps, "t--app300--main"));
	cr_expect_null(mech_argocd_apps_find(apps, ""));
	mech_argocd_apps_free(apps);
	mech_argocd_free(c);
	mech_buf_dispose(&b);
	free(resp);
	free(f);
}

/* ---- the list keeps what it reads: same Applications as a whole parse ---- */

static void expect_same_app(const mech_argocd_app *a, const mech_argocd_app *b)
{
	size_t i;
	const char *const sa[] = {a->name,
				  a->namespace,
				  a->project,
				  a->resource_version,
				  a->created_at,
				  a->repo_url,
				  a->path,
				  a->target_revision,
				  a->dest_server,
				  a->dest_namespace,
				  a->sync_status,
				  a->sync_revision,
				  a->health_status,
				  a->health_message,
				  a->reconciled_at,
				  a->operation_phase,
				  a->operation_message,
				  a->operation_started_at,
				  a->operation_finished_at,
				  a->operation_revision};
	const char *const sb[] = {b->name,
				  b->namespace,
				  b->project,
				  b->resource_version,
				  b->created_at,
				  b->repo_url,
				  b->path,
				  b->target_revision,
				  b->dest_server,
				  b->dest_namespace,
				  b->sync_status,
				  b->sync_revision,
				  b->health_status,
				  b->health_message,
				  b->reconciled_at,
				  b->operation_phase,
				  b->operation_message,
				  b->operation_started_at,
				  b->operation_finished_at,
				  b->operation_revision};
	for (i = 0; i < sizeof(sa) / sizeof(*sa); i++)
		cr_expect_str_eq(sa[i], sb[i], "%s: field %zu", b->name, i);
	cr_expect_eq(a->operation_requested, b->operation_requested, "%s", b->name);
	cr_expect_eq(a->retry_count, b->retry_count, "%s", b->name);
	cr_assert_eq(a->nconditions, b->nconditions, "%s", b->name);
	for (i = 0; i < a->nconditions; i++) {
		cr_expect_str_eq(a->conditions[i].type, b->conditions[i].type);
		cr_expect_str_eq(a->conditions[i].message, b->conditions[i].message);
		cr_expect_str_eq(a->conditions[i].last_transition, b->conditions[i].last_transition);
	}
	cr_assert_eq(a->nresources, b->nresources, "%s", b->name);
	for (i = 0; i < a->nresources; i++) {
		const mech_argocd_resource *x = &a->resources[i], *y = &b->resources[i];
		cr_expect_str_eq(x->group, y->group);
		cr_expect_str_eq(x->version, y->version);
		cr_expect_str_eq(x->kind, y->kind);
		cr_expect_str_eq(x->namespace, y->namespace);
		cr_expect_str_eq(x->name, y->name);
		cr_expect_str_eq(x->status, y->status);
		cr_expect_str_eq(x->health, y->health);
		cr_expect_str_eq(x->health_message, y->health_message);
		cr_expect_eq(x->requires_pruning, y->requires_pruning);
	}
	cr_assert_eq(a->nimages, b->nimages, "%s", b->name);
	for (i = 0; i < a->nimages; i++)
		cr_expect_str_eq(a->images[i], b->images[i]);
	cr_assert_eq(a->nexternal_urls, b->nexternal_urls, "%s", b->name);
	for (i = 0; i < a->nexternal_urls; i++)
		cr_expect_str_eq(a->external_urls[i], b->external_urls[i]);
}

/*
 * A list of N Applications in the shapes Argo CD sends, with what a reader
 * trips on: escapes (\u, surrogate pairs, \u0000, \/), numbers where
 * strings are expected, a duplicate key (the first counts), fields of the
 * wrong type, absent ones, and the bulk the list does not read (history,
 * sync results, labels), in reverse order of names.
 */
static void unusual_list(mech_buf *b, int n)
{
	int i;
	mech_buf_puts(b, "{\"metadata\":{\"resourceVersion\":884213},\"items\":[");
	for (i = n - 1; i >= 0; i--) {
		int k;
		mech_buf_printf(b,
				"%s{\"metadata\":{\"name\":\"t--app%04d--main\",\"namespace\":\"argocd\","
				"\"uid\":\"u-%d\",\"resourceVersion\":%d,\"creationTimestamp\":"
				"\"2026-08-22T11:0%d:00Z\",\"labels\":{\"mech.dev/app\":\"app%04d\"}},",
				i == n - 1 ? "" : ",", i, i, 1000 + i, i % 10, i);
		mech_buf_printf(b,
				"\"spec\":{\"project\":\"t\",\"source\":{\"repoURL\":\"file:\\/\\/\\/r.git\","
				"\"path\":\"apps\\/app%04d\\/overlays\\/main\",\"targetRevision\":\"main\"},"
				"\"destination\":{\"server\":\"https://kubernetes.default.svc\","
				"\"namespace\":%s},\"syncPolicy\":{\"automated\":{\"prune\":true}}},",
				i, i % 7 ? "\"x-t\"" : "7");
		if (i % 5 == 0)
			mech_buf_puts(b, "\"operation\":{\"sync\":{\"revision\":\"abc\"}},");
		mech_buf_printf(b,
				"\"status\":{\"sync\":{\"status\":\"%s\",\"revision\":\"r%d\","
				"\"comparedTo\":{\"source\":{\"path\":\"x\"}}},",
				i % 3 ? "Synced" : "", i);
		if (i % 4)
			mech_buf_printf(b,
					"\"health\":{\"status\":\"%s\",\"message\":\"caf\\u00e9 "
					"\\ud83d\\ude00 \\\"q\\\" a\\u0000b\"},",
					i % 2 ? "Healthy" : "Degraded");
		mech_buf_puts(b, "\"resources\":[");
		for (k = 0; k < i % 4; k++)
			mech_buf_printf(b,
					"%s{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\","
					"\"namespace\":\"x-t\",\"name\":\"d%d\",\"status\":\"Synced\","
					"\"health\":{\"status\":\"Healthy\",\"message\":\"m\\tn\"},"
					"\"requiresPruning\":%s,\"extra\":[1,2,{\"a\":null}]}",
					k ? "," : "", k, k % 2 ? "true" : "false");
		mech_buf_puts(b, "],");
		if (i % 6 == 1)
			mech_buf_puts(b,
				      "\"conditions\":[{\"type\":\"SyncError\",\"message\":"
				      "\"one\\nline\\u2028two\",\"lastTransitionTime\":"
				      "\"2026-08-22T11:02:05Z\"},\"not an object\",{\"type\":7}],");
		mech_buf_printf(b,
				"\"reconciledAt\":\"2026-08-22T11:02:0%dZ\",\"operationState\":"
				"{\"phase\":\"%s\",\"message\":\"m%d\",\"retryCount\":%s,"
				"\"operation\":{\"sync\":{\"revision\":\"o%d\",\"prune\":true}},",
				i % 10, i % 9 ? "Succeeded" : "Running", i, i % 8 ? "2" : "2.7e1",
				i);
		if (i % 2)
			mech_buf_printf(b,
					"\"syncResult\":{\"revision\":\"s%d\",\"resources\":"
					"[{\"kind\":\"Service\",\"message\":\"created\"}]},",
					i);
		mech_buf_puts(b, "\"startedAt\":\"2026-08-22T11:02:05Z\"},\"history\":[");
		for (k = 0; k < 6; k++)
			mech_buf_printf(b,
					"%s{\"id\":%d,\"revision\":\"r%d\",\"deployedAt\":\"2026\","
					"\"source\":{\"repoURL\":\"file:\\/\\/\\/r.git\",\"path\":\"p\","
					"\"targetRevision\":\"main\"},\"initiatedBy\":{\"automated\":true}}",
					k ? "," : "", k, k);
		mech_buf_puts(b,
			      "],\"summary\":{\"images\":[\"nginx:1.27\","
			      "\"r.example.com\\/a:1\"],\"externalURLs\":[\"https:\\/\\/a.example\"]}},");
		/* a second status: the first one counts, in cJSON and here */
		mech_buf_puts(b, "\"status\":{\"sync\":{\"status\":\"OutOfSync\"}}}");
	}
	mech_buf_puts(b, "]}");
}

Test(argocd, list_reads_as_a_whole_parse_would)
{
	mech_buf b = MECH_BUF_INIT;
	char *resp;
	fake *f;
	mech_argocd *c;
	mech_argocd_apps *apps = NULL;
	const cJSON *it;
	cJSON *doc;
	size_t i = 0;

	unusual_list(&b, 240);
	cr_assert_eq(mech_json_parse(&doc, b.ptr, b.len, "list"), 0, "%s",
		     mech_error_last()->message);
	f = serve(b.ptr, &resp);
	c = argo(f);
	cr_assert_eq(mech_argocd_app_list(c, "t", &apps), 0, "%s", mech_error_last()->message);
	fake_stop(f);
	cr_assert_eq(apps->len, 240);
	cr_expect_str_eq(apps->resource_version, "884213");
	/* the items came in reverse order: the list's i-th is the document's last but i */
	for (i = 0; i < apps->len; i++) {
		mech_argocd_app *want = NULL;
		int at = (int)(apps->len - 1 - i), k = 0;
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "items")) if (k++ ==
											   at) break;
		cr_assert_eq(mech_argocd_app_parse(it, &want), 0);
		expect_same_app(&apps->items[i], want);
		mech_argocd_app_free(want);
	}
	cr_expect_str_eq(apps->items[1].health_message, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" a");
	cr_expect_str_eq(apps->items[1].conditions[0].message, "one\nline\xe2\x80\xa8two");
	cr_expect_str_eq(apps->items[9].operation_phase, "Running");
	cr_expect_eq(apps->items[8].retry_count, 27);
	cr_expect_str_eq(apps->items[3].resources[1].health_message, "m\tn");
	cr_expect_str_eq(apps->items[0].sync_status, "Unknown", "the first status counts");
	cr_expect_str_eq(apps->items[7].dest_namespace, "7");
	mech_argocd_apps_free(apps);
	mech_argocd_free(c);
	cJSON_Delete(doc);
	mech_buf_dispose(&b);
	free(resp);
	free(f);
}

/* ---- the list's Applications, filled as parsed, against app_parse of each built ---- */

static unsigned long long shape_rng = 0x9e3779b97f4a7c15ULL;

static unsigned pick(unsigned n)
{
	/* xorshift64*: the same documents on every run */
	shape_rng ^= shape_rng >> 12;
	shape_rng ^= shape_rng << 25;
	shape_rng ^= shape_rng >> 27;
	return (unsigned)((shape_rng * 2685821657736338717ULL) >> 33) % n;
}

/* What app_parse reads: 's' a string, 'n' a number, 'b' a boolean, 'o' an
 * object of `sub`, 'a' an array of sub[0]'s, 'x' anything */
typedef struct shape {
	const char *key;
	char kind;
	const struct shape *sub;
} shape;

static const shape sh_meta[] = {{"name", 's'},
				{"namespace", 's'},
				{"resourceVersion", 's'},
				{"creationTimestamp", 's'},
				{"uid", 's'},
				{NULL}};
static const shape sh_source[] = {{"repoURL", 's'}, {"path", 's'}, {"targetRevision", 's'}, {NULL}};
static const shape sh_dest[] = {{"server", 's'}, {"namespace", 's'}, {NULL}};
static const shape sh_spec[] = {{"project", 's'},
				{"source", 'o', sh_source},
				{"destination", 'o', sh_dest},
				{NULL}};
static const shape sh_sync[] = {{"status", 's'}, {"revision", 's'}, {"comparedTo", 'x'}, {NULL}};
static const shape sh_health[] = {{"status", 's'}, {"message", 's'}, {NULL}};
static const shape sh_revision[] = {{"revision", 's'}, {NULL}};
static const shape sh_operation[] = {{"sync", 'o', sh_revision}, {NULL}};
static const shape sh_op_state[] = {{"phase", 's'},
				    {"message", 's'},
				    {"startedAt", 's'},
				    {"finishedAt", 's'},
				    {"retryCount", 'n'},
				    {"syncResult", 'o', sh_revision},
				    {"operation", 'o', sh_operation},
				    {NULL}};
static const shape sh_condition[] = {{"type", 's'},
				     {"message", 's'},
				     {"lastTransitionTime", 's'},
				     {NULL}};
static const shape sh_resource[] = {{"group", 's'},
				    {"version", 's'},
				    {"kind", 's'},
				    {"namespace", 's'},
				    {"name", 's'},
				    {"status", 's'},
				    {"health", 'o', sh_health},
				    {"requiresPruning", 'b'},
				    {NULL}};
static const shape sh_string[] = {{NULL, 's'}};
static const shape sh_summary[] = {{"images", 'a', sh_string},
				   {"externalURLs", 'a', sh_string},
				   {NULL}};
static const shape sh_cond_elem[] = {{NULL, 'o', sh_condition}};
static const shape sh_res_elem[] = {{NULL, 'o', sh_resource}};
static const shape sh_status[] = {{"sync", 'o', sh_sync},
				  {"health", 'o', sh_health},
				  {"reconciledAt", 's'},
				  {"operationState", 'o', sh_op_state},
				  {"conditions", 'a', sh_cond_elem},
				  {"resources", 'a', sh_res_elem},
				  {"summary", 'o', sh_summary},
				  {"history", 'x'},
				  {NULL}};
static const shape sh_app[] = {{"metadata", 'o', sh_meta},
			       {"spec", 'o', sh_spec},
			       {"status", 'o', sh_status},
			       {"operation", 'x'},
			       {NULL}};

static void gen_text(mech_buf *b)
{
	static const char *const texts[] = {"\"\"",
					    "\"Synced\"",
					    "\"a\\u0000b\"",
					    "\"caf\\u00e9 \\ud83d\\ude00\"",
					    "\"q\\\"\\\\\"",
					    "\"\\/x\\n\"",
					    "\"Healthy\"",
					    "\"nginx:1.27\"",
					    "\"2026-12-03T00:00:00Z\""};
	if (pick(4))
		mech_buf_printf(b, "\"v%u\"", pick(1000));
	else
		mech_buf_puts(b, texts[pick(sizeof(texts) / sizeof(*texts))]);
}

static void gen_scalar(mech_buf *b)
{
	static const char *const nums[] = {"0",  "-0",  "7",     "2.7e1",
					   "-3", "0.5", "1e300", "12345678901"};
	switch (pick(5)) {
	case 0:
		gen_text(b);
		break;
	case 1:
		mech_buf_puts(b, nums[pick(sizeof(nums) / sizeof(*nums))]);
		break;
	case 2:
		mech_buf_puts(b, pick(2) ? "true" : "false");
		break;
	case 3:
		mech_buf_puts(b, "null");
		break;
	default:
		mech_buf_puts(b, pick(2) ? "{\"status\":\"x\",\"a\":[1,{}]}" : "[\"s\",[\"t\"],{}]");
	}
}

/* A key as JSON spells it: now and then with an escape cJSON decodes away */
static void gen_key(mech_buf *b, const char *key)
{
	if (!pick(8))
		mech_buf_printf(b, "\"\\u%04x%s\":", (unsigned)(unsigned char)key[0], key + 1);
	else
		mech_buf_printf(b, "\"%s\":", key);
}

static void gen_shape(mech_buf *b, char kind, const shape *sub, int depth);

/* The members of sub, at random: none, once or twice each; `more`: after others */
static void gen_inner(mech_buf *b, const shape *sub, int depth, int more)
{
	const shape *m;
	for (m = sub; m->key; m++) {
		int times = pick(10) < 3 ? 0 : pick(8) ? 1 : 2; /* absent, once, twice */
		while (times--) {
			if (more)
				mech_buf_putc(b, ',');
			more = 1;
			if (!pick(12)) { /* a member no one reads, between */
				mech_buf_puts(b, "\"other\":");
				gen_scalar(b);
				mech_buf_putc(b, ',');
			}
			gen_key(b, m->key);
			gen_shape(b, m->kind, m->sub, depth + 1);
		}
	}
}

static void gen_members(mech_buf *b, const shape *sub, int depth)
{
	mech_buf_putc(b, '{');
	gen_inner(b, sub, depth, 0);
	mech_buf_putc(b, '}');
}

static void gen_shape(mech_buf *b, char kind, const shape *sub, int depth)
{
	unsigned i, n;
	if (kind == 'x' || !pick(8)) { /* anything, or not what the reader expects */
		gen_scalar(b);
		return;
	}
	switch (kind) {
	case 's':
		if (pick(6))
			gen_text(b);
		else
			mech_buf_printf(b, "%u", pick(100000)); /* spelled as text */
		break;
	case 'n':
		mech_buf_puts(b, pick(2) ? "3" : pick(2) ? "-1" : "2.9");
		break;
	case 'b':
		mech_buf_puts(b, pick(2) ? "true" : "false");
		break;
	case 'o':
		gen_members(b, sub, depth);
		break;
	case 'a':
		n = pick(5);
		mech_buf_putc(b, '[');
		for (i = 0; i < n; i++) {
			if (i)
				mech_buf_putc(b, ',');
			gen_shape(b, sub->kind, sub->sub, depth + 1);
		}
		mech_buf_putc(b, ']');
		break;
	}
}

/* n Applications named "app-<doc>-<k>", in reverse; with `bad`, one without a name */
static void gen_apps(mech_buf *b, unsigned doc, unsigned n, int bad)
{
	unsigned k;
	mech_buf_puts(b, "{\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[");
	for (k = 0; k < n; k++) {
		mech_buf_puts(b, k ? ",{" : "{");
		gen_key(b, "metadata");
		if (bad && k == n / 2) { /* a name that is not one, or none */
			mech_buf_puts(b, pick(2)   ? "{\"name\":7}"
					 : pick(2) ? "{\"name\":\"\\u0000\"}"
						   : "[]");
		} else {
			mech_buf_printf(b, "{\"name\":\"app-%u-%02u\"", doc, n - k);
			gen_inner(b, sh_meta, 1, 1);
			mech_buf_putc(b, '}');
		}
		if (pick(2)) {
			mech_buf_putc(b, ',');
			gen_key(b, "metadata"); /* a second metadata: the first counts */
			gen_members(b, sh_meta, 1);
		}
		gen_inner(b, sh_app + 1, 0, 1);
		mech_buf_putc(b, '}');
	}
	mech_buf_puts(b, "]}");
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp((*(mech_argocd_app *const *)a)->name, (*(mech_argocd_app *const *)b)->name);
}

/*
 * Random Applications, with members missing, repeated, of another type,
 * spelled with escapes: the list fills each as app_parse reads it built
 * whole, or refuses it with app_parse's error. Whole and in pieces.
 */
Test(argocd, list_fill_reads_random_applications_as_app_parse)
{
	unsigned doc, checked = 0, refused = 0;
	for (doc = 0; doc < 600; doc++) {
		mech_buf b = MECH_BUF_INIT;
		mech_argocd_app *want[12];
		mech_argocd_apps *got = NULL;
		const cJSON *it;
		cJSON *whole;
		char *first_error = NULL;
		unsigned n = 1 + pick(12), k = 0, i;
		int bad = !pick(10), rc;
		size_t piece = doc % 3 ? 0 : 1 + pick(300);

		gen_apps(&b, doc, n, bad);
		cr_assert_eq(mech_json_parse(&whole, b.ptr, b.len, "list"), 0, "doc %u: %s", doc,
			     b.ptr);
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(whole, "items"))
		{
			if (mech_argocd_app_parse(it, &want[k]) < 0) {
				want[k] = NULL;
				if (!first_error)
					first_error = mech_strdup(mech_error_last()->message);
			}
			k++;
		}
		cr_assert_eq(k, n);
		rc = mech_argocd_app_list_parse(b.ptr, b.len, piece, &got);
		if (first_error) {
			cr_assert_eq(rc, -1, "doc %u: a nameless Application was listed", doc);
			cr_expect_str_eq(mech_error_last()->message, first_error);
			refused++;
		} else {
			cr_assert_eq(rc, 0, "doc %u: %s\n%s", doc, mech_error_last()->message,
				     b.ptr);
			cr_assert_eq(got->len, n);
			qsort(want, n, sizeof(*want), cmp_name);
			for (i = 0; i < n; i++)
				expect_same_app(&got->items[i], want[i]);
			checked += n;
		}
		for (i = 0; i < n; i++)
			mech_argocd_app_free(want[i]);
		mech_argocd_apps_free(got);
		cJSON_Delete(whole);
		free(first_error);
		mech_buf_dispose(&b);
	}
	/* both sides were met often */
	cr_expect_gt(checked, 2000);
	cr_expect_gt(refused, 30);
}

static size_t json_allocs, json_live, json_peak;

static void *counting_malloc(size_t n)
{
	json_allocs++;
	if (++json_live > json_peak)
		json_peak = json_live;
	return malloc(n);
}

static void counting_free(void *p)
{
	if (p)
		json_live--;
	free(p);
}

/*
 * The list is not held whole: the bulk no reader reads is checked and
 * dropped as it is parsed. Counted in cJSON's allocations, not in time.
 */
Test(argocd, list_builds_only_what_it_reads)
{
	cJSON_Hooks hooks = {counting_malloc, free};
	mech_buf b = MECH_BUF_INIT;
	char *resp;
	fake *f;
	mech_argocd *c;
	mech_argocd_apps *apps = NULL;
	cJSON *doc;
	size_t whole;

	unusual_list(&b, 500);
	cJSON_InitHooks(&hooks);
	cr_assert_eq(mech_json_parse(&doc, b.ptr, b.len, "list"), 0);
	whole = json_allocs;
	cJSON_Delete(doc);
	f = serve(b.ptr, &resp);
	c = argo(f);
	json_allocs = 0;
	cr_assert_eq(mech_argocd_app_list(c, "t", &apps), 0, "%s", mech_error_last()->message);
	fake_stop(f);
	cr_assert_eq(apps->len, 500);
	cr_expect(json_allocs * 2 < whole, "the list made %zu JSON allocations, a whole parse %zu",
		  json_allocs, whole);
	cJSON_InitHooks(NULL);
	mech_argocd_apps_free(apps);
	mech_argocd_free(c);
	mech_buf_dispose(&b);
	free(resp);
	free(f);
}

/*
 * Nor are its items held together: each is built, read and freed before
 * the next, so the JSON alive at once is one Application's, whatever the
 * length of the list.
 */
Test(argocd, list_holds_one_item_at_a_time)
{
	cJSON_Hooks hooks = {counting_malloc, counting_free};
	mech_buf b = MECH_BUF_INIT;
	char *resp;
	fake *f;
	mech_argocd *c;
	mech_argocd_apps *apps = NULL;
	cJSON *doc;
	size_t whole;

	unusual_list(&b, 500);
	cJSON_InitHooks(&hooks);
	json_allocs = 0;
	cr_assert_eq(mech_json_parse(&doc, b.ptr, b.len, "list"), 0);
	whole = json_allocs;
	cJSON_Delete(doc);
	f = serve(b.ptr, &resp);
	c = argo(f);
	json_live = json_peak = 0;
	cr_assert_eq(mech_argocd_app_list(c, "t", &apps), 0, "%s", mech_error_last()->message);
	fake_stop(f);
	cJSON_InitHooks(NULL);
	cr_assert_eq(apps->len, 500);
	/* a whole parse of one item is whole / 500 allocations */
	cr_expect(json_peak * 100 < whole,
		  "%zu JSON allocations alive at once, a whole parse makes %zu", json_peak, whole);
	cr_expect_eq(json_live, 0, "the list's JSON is all freed");
	mech_argocd_apps_free(apps);
	mech_argocd_free(c);
	mech_buf_dispose(&b);
	free(resp);
	free(f);
}

Test(argocd, get_degraded_app)
{
	char *resp;
	fake *f = serve(degraded_json, &resp);
	mech_argocd *c = argo(f);
	mech_argocd_app *a = NULL;
	const mech_argocd_condition *cond;

	cr_assert_eq(mech_argocd_app_get(c, "alice", "web x", &a), 0);
	fake_stop(f);
	cr_expect(strstr(f->request[0], "GET /api/v1/applications/web%20x?project=alice HTTP/1.1"),
		  "%s", f->request[0]);
	cr_expect_str_eq(a->sync_status, "OutOfSync");
	cr_expect_str_eq(a->health_status, "Degraded");
	cr_assert_eq(a->nresources, 3);
	cr_expect_str_eq(a->resources[0].health_message,
			 "Deployment \"web\" exceeded its progress deadline");
	cr_expect(a->resources[1].requires_pruning);
	cr_expect_str_eq(a->resources[2].group, "postgresql.cnpg.io");
	cond = mech_argocd_app_condition(a, "SyncError");
	cr_assert_not_null(cond);
	cr_expect_str_eq(cond->message, "Failed sync attempt");
	cr_expect_str_eq(a->operation_phase, "Failed");
	cr_expect_str_eq(a->operation_finished_at, "2026-08-22T11:02:12Z");
	cr_expect_str_eq(a->operation_revision, "a1b2c3d4");
	cr_expect(!a->operation_requested);
	cr_expect(!mech_argocd_app_settled(a));
	mech_argocd_app_free(a);
	mech_argocd_free(c);
	free(resp);
	free(f);
}

Test(argocd, refresh_asks_in_the_query)
{
	char *resp;
	fake *f = serve(degraded_json, &resp);
	mech_argocd *c = argo(f);
	mech_argocd_app *a = NULL;

	cr_assert_eq(mech_argocd_app_refresh(c, "alice", "web x", 0, &a), 0);
	fake_stop(f);
	cr_expect(strstr(f->request[0],
			 "GET /api/v1/applications/web%20x?project=alice&refresh=normal "
			 "HTTP/1.1"),
		  "%s", f->request[0]);
	cr_expect_str_eq(a->sync_status, "OutOfSync");
	mech_argocd_app_free(a);
	mech_argocd_free(c);
	free(resp);
	free(f);

	f = serve(degraded_json, &resp);
	c = argo(f);
	cr_assert_eq(mech_argocd_app_refresh(c, NULL, "web", 1, &a), 0);
	fake_stop(f);
	cr_expect(strstr(f->request[0], "GET /api/v1/applications/web?refresh=hard HTTP/1.1"), "%s",
		  f->request[0]);
	mech_argocd_app_free(a);
	mech_argocd_free(c);
	free(resp);
	free(f);
}

static const char appset_json[] =
	"{\"metadata\":{\"name\":\"alice--apps\",\"namespace\":\"argocd\",\"resourceVersion\":"
	"\"42\",\"annotations\":{\"team\":\"a\"}},\"spec\":{\"goTemplate\":true,\"generators\":[{"
	"\"git\":{\"repoURL\":\"https://git.example.com/alice.git\",\"revision\":\"main\"}}]}}";

Test(argocd, appset_refresh_sets_only_the_annotation)
{
	fake *f = calloc(1, sizeof(*f));
	char *get = json_response("200 OK", "application/json", appset_json);
	char *post = json_response("200 OK", "application/json", appset_json);
	mech_argocd *c;
	const char *body;
	cJSON *sent, *want;

	f->nconns = 2;
	f->script[0][0].bytes = get;
	f->script[1][0].bytes = post;
	fake_start(f);
	c = argo(f);
	cr_assert_eq(mech_argocd_appset_refresh(c, "alice--apps"), 0, "%s",
		     mech_error_last() ? mech_error_last()->message : "");
	fake_stop(f);
	cr_expect(strstr(f->request[0], "GET /api/v1/applicationsets/alice--apps HTTP/1.1"), "%s",
		  f->request[0]);
	cr_expect(strstr(f->request[1], "POST /api/v1/applicationsets?upsert=true HTTP/1.1"), "%s",
		  f->request[1]);
	cr_expect(strstr(f->request[1], "Content-Type: application/json"));
	body = strstr(f->request[1], "\r\n\r\n");
	cr_assert_not_null(body);
	sent = cJSON_Parse(body + 4);
	want = cJSON_Parse(appset_json);
	cr_assert_not_null(sent, "%s", body);
	cJSON_AddStringToObject(cJSON_GetObjectItem(cJSON_GetObjectItem(want, "metadata"),
						    "annotations"),
				MECH_ARGOCD_APPSET_REFRESH, "true");
	cr_expect(cJSON_Compare(sent, want, 1), "only the annotation changes: %s", body);
	cJSON_Delete(sent);
	cJSON_Delete(want);
	mech_argocd_free(c);
	free(get);
	free(post);
	free(f);
}

Test(argocd, appset_refresh_reports_a_refusal)
{
	fake *f = calloc(1, sizeof(*f));
	char *resp = json_response("403 Forbidden", "application/json",
				   "{\"error\":\"permission denied\",\"code\":7,\"message\":"
				   "\"permission denied\"}");
	mech_argocd *c;
	f->script[0][0].bytes = resp;
	fake_start(f);
	c = argo(f);
	cr_expect_eq(mech_argocd_appset_refresh(c, "alice--apps"), -1);
	cr_expect_eq(mech_error_exit(mech_error_last()->code), 77);
	fake_stop(f);
	mech_argocd_free(c);
	free(resp);
	free(f);
}

Test(argocd, app_without_name_is_refused)
{
	char *resp;
	fake *f = serve("{\"metadata\":{},\"status\":{}}", &resp);
	mech_argocd *c = argo(f);
	mech_argocd_app *a = NULL;
	cr_expect_eq(mech_argocd_app_get(c, "alice", "web", &a), -1);
	cr_expect_eq(mech_error_last()->code, MECH_EUNAVAILABLE);
	cr_expect_null(a);
	fake_stop(f);
	mech_argocd_free(c);
	free(resp);
	free(f);
}

Test(argocd, not_found_names_the_endpoint)
{
	fake *f = calloc(1, sizeof(*f));
	char *resp = json_response("404 Not Found", "application/json",
				   "{\"error\":\"applications.argoproj.io \\\"x\\\" not found\","
				   "\"code\":5,\"message\":\"applications.argoproj.io \\\"x\\\" "
				   "not found\"}");
	mech_argocd *c;
	mech_argocd_app *a = NULL;
	char *endpoint;
	f->script[0][0].bytes = resp;
	fake_start(f);
	c = argo(f);
	cr_assert_eq(mech_argocd_app_get(c, "alice", "x", &a), -1);
	cr_expect_eq(mech_error_exit(mech_error_last()->code), 4);
	endpoint = mech_sprintf("Argo CD: GET http://127.0.0.1:%d/api/v1/applications/x?project="
				"alice: HTTP 404",
				f->port);
	cr_expect(strstr(mech_error_last()->message, endpoint), "%s", mech_error_last()->message);
	fake_stop(f);
	mech_argocd_free(c);
	free(endpoint);
	free(resp);
	free(f);
}

Test(argocd, managed_resources_parse_inner_json)
{
	static const char body[] =
		"{\"items\":[{\"group\":\"apps\",\"kind\":\"Deployment\",\"namespace\":\"web\","
		"\"name\":\"web\",\"targetState\":\"{\\\"spec\\\":{\\\"replicas\\\":3}}\","
		"\"liveState\":\"{\\\"spec\\\":{\\\"replicas\\\":2}}\",\"normalizedLiveState\":"
		"\"{\\\"spec\\\":{\\\"replicas\\\":2}}\",\"predictedLiveState\":\"{\\\"spec\\\":{"
		"\\\"replicas\\\":3}}\",\"modified\":true},"
		"{\"kind\":\"ConfigMap\",\"namespace\":\"web\",\"name\":\"old\",\"targetState\":"
		"\"null\",\"liveState\":\"{\\\"data\\\":{\\\"k\\\":\\\"v\\\"}}\",\"modified\":true}]}";
	char *resp;
	fake *f = serve(body, &resp);
	mech_argocd *c = argo(f);
	mech_argocd_diffs *d = NULL;

	cr_assert_eq(mech_argocd_app_managed(c, "alice", "web", &d), 0, "%s",
		     mech_error_last()->message);
	fake_stop(f);
	cr_expect(strstr(f->request[0], "/api/v1/applications/web/managed-resources?project=alice"));
	cr_assert_eq(d->len, 2);
	cr_expect(d->items[0].modified);
	cr_expect_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(d->items[0].target, "spec"), "replicas")
			     ->valueint,
		     3);
	cr_expect_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(d->items[0].live, "spec"), "replicas")
			     ->valueint,
		     2);
	cr_expect_null(d->items[1].target, "\"null\": no longer in Git");
	cr_expect_not_null(d->items[1].live);
	cr_expect_null(d->items[1].predicted_live);
	mech_argocd_diffs_free(d);
	mech_argocd_free(c);
	free(resp);
	free(f);
}

Test(argocd, managed_resources_with_broken_state)
{
	char *resp;
	fake *f =
		serve("{\"items\":[{\"kind\":\"X\",\"name\":\"x\",\"liveState\":\"{\\\"a\\\":\"}]}",
		      &resp);
	mech_argocd *c = argo(f);
	mech_argocd_diffs *d = NULL;
	cr_expect_eq(mech_argocd_app_managed(c, "alice", "web", &d), -1);
	cr_expect_eq(mech_error_last()->code, MECH_EUNAVAILABLE);
	cr_expect(strstr(mech_error_last()->message, "malformed JSON"));
	cr_expect(strstr(mech_error_last()->message, "managed-resources"));
	cr_expect_null(d);
	fake_stop(f);
	mech_argocd_free(c);
	free(resp);
	free(f);
}

Test(argocd, resource_tree)
{
	static const char body[] =
		"{\"nodes\":[{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\","
		"\"namespace\":\"web\",\"name\":\"web\",\"uid\":\"b2\",\"health\":{\"status\":"
		"\"Healthy\"},\"images\":[\"registry.example.com/web:1.4.2\"],\"info\":[{\"name\":"
		"\"Revision\",\"value\":\"Rev:12\"}]},{\"version\":\"v1\",\"kind\":\"Pod\","
		"\"namespace\":\"web\",\"name\":\"web-1\",\"uid\":\"d4\",\"parentRefs\":[{\"group\":"
		"\"apps\",\"kind\":\"ReplicaSet\",\"namespace\":\"web\",\"name\":\"web-7d\",\"uid\":"
		"\"c3\"}],\"info\":[{\"name\":\"Status Reason\",\"value\":\"Running\"},{\"name\":"
		"\"Containers\",\"value\":\"1/1\"}]}],\"hosts\":[]}";
	char *resp;
	fake *f = serve(body, &resp);
	mech_argocd *c = argo(f);
	mech_argocd_tree *t = NULL;
	cr_assert_eq(mech_argocd_app_tree(c, NULL, "web", &t), 0);
	fake_stop(f);
	cr_expect(strstr(f->request[0], "GET /api/v1/applications/web/resource-tree HTTP/1.1"));
	cr_assert_eq(t->len, 2);
	cr_expect_str_eq(t->nodes[0].health, "Healthy");
	cr_expect_eq(t->nodes[0].nimages, 1);
	cr_expect_str_eq(t->nodes[0].info[0].value, "Rev:12");
	cr_assert_eq(t->nodes[1].nparents, 1);
	cr_expect_str_eq(t->nodes[1].parents[0].kind, "ReplicaSet");
	cr_expect_str_eq(t->nodes[1].info[1].name, "Containers");
	cr_expect_str_eq(t->nodes[1].health, "");
	mech_argocd_tree_free(t);
	mech_argocd_free(c);
	free(resp);
	free(f);
}

Test(argocd, sync_posts_json)
{
	char *resp;
	fake *f = serve("{\"metadata\":{\"name\":\"alice-web-main\"},\"operation\":{\"sync\":{"
			"\"revision\":\"HEAD\"},\"initiatedBy\":{\"username\":\"admin\"}},"
			"\"status\":{\"sync\":{\"status\":\"Synced\"}}}",
			&resp);
	mech_argocd *c = argo(f);
	mech_argocd_app *a = NULL;
	mech_argocd_sync_opts o = {"abc123", 1, 0};
	const char *body;
	cr_assert_eq(mech_argocd_app_sync(c, "alice", "alice-web-main", &o, &a), 0);
	fake_stop(f);
	cr_expect(strstr(f->request[0], "POST /api/v1/applications/alice-web-main/sync HTTP/1.1"));
	cr_expect(strstr(f->request[0], "Content-Type: application/json"));
	body = strstr(f->request[0], "\r\n\r\n");
	cr_assert_not_null(body);
	cr_expect(strstr(body, "\"name\":\"alice-web-main\""), "%s", body);
	cr_expect(strstr(body, "\"project\":\"alice\""));
	cr_expect(strstr(body, "\"revision\":\"abc123\""));
	cr_expect(strstr(body, "\"prune\":true"));
	cr_expect(!strstr(body, "dryRun"));
	cr_expect(a->operation_requested);
	mech_argocd_app_free(a);
	mech_argocd_free(c);
	free(resp);
	free(f);
}

/* ---- watch ---- */

typedef struct {
	mech_strv seen; /* "TYPE name" */
	mech_argocd_app *kept;
	int errors;
	int connects;
	int stop_at;
} watch_log;

static int on_event(mech_argocd_event *ev, void *ctx)
{
	watch_log *w = ctx;
	mech_strv_pushf(&w->seen, "%s %s", mech_argocd_event_name(ev->type), ev->app->name);
	if (!w->kept && ev->type == MECH_ARGOCD_MODIFIED) {
		w->kept = ev->app; /* take it */
		ev->app = NULL;
	}
	return w->stop_at && (int)w->seen.len >= w->stop_at ? 1 : 0;
}

static int on_error(const mech_error *err, long retry_in_ms, void *ctx)
{
	((watch_log *)ctx)->errors++;
	return 0;
}

static void on_connect(void *ctx)
{
	((watch_log *)ctx)->connects++;
}

#define SSE_HDR "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"

Test(argocd, watch_events)
{
	fake *f = calloc(1, sizeof(*f));
	mech_argocd *c;
	mech_argocd_watch_opts o;
	watch_log w;
	memset(&w, 0, sizeof(w));
	memset(&o, 0, sizeof(o));
	w.stop_at = 3;
	f->script[0][0].bytes = SSE_HDR;
	f->script[0][1].bytes = "data: {\"result\":{\"type\":\"ADDED\",\"application\":{\"metadata\":"
				"{\"name\":\"a\"}}}} \n\n\n";
	f->script[0][2].bytes = ":\n";
	f->script[0][3].bytes = "data: {\"result\":{\"type\":\"MODIFIED\",\"application\":{"
				"\"metadata\":{\"name\":\"a\"},\"status\":{\"health\":{\"status\":"
				"\"Progressing\"}}}}} \n\n\n";
	f->script[0][3].pause_ms = 30;
	f->script[0][4].bytes = "data: {\"result\":{\"type\":\"DELETED\",\"application\":{"
				"\"metadata\":{\"name\":\"b\"}}}} \n\n\n";
	f->hold_ms = 2000;
	fake_start(f);
	c = argo(f);
	o.on_event = on_event;
	o.on_connect = on_connect;
	o.ctx = &w;
	cr_assert_eq(mech_argocd_app_watch(c, "alice", &o), 0, "%s", mech_error_last()->message);
	fake_stop(f);
	cr_expect(strstr(f->request[0], "GET /api/v1/stream/applications?projects=alice HTTP/1.1"));
	cr_expect(strstr(f->request[0], "Accept: text/event-stream\r\n"));
	cr_assert_eq(w.seen.len, 3);
	cr_expect_str_eq(w.seen.items[0], "ADDED a");
	cr_expect_str_eq(w.seen.items[1], "MODIFIED a");
	cr_expect_str_eq(w.seen.items[2], "DELETED b");
	cr_assert_not_null(w.kept);
	cr_expect_str_eq(w.kept->health_status, "Progressing");
	cr_expect_eq(w.connects, 1);
	mech_argocd_app_free(w.kept);
	mech_strv_dispose(&w.seen);
	mech_argocd_free(c);
	free(f);
}

Test(argocd, watch_in_band_error)
{
	fake *f = calloc(1, sizeof(*f));
	mech_argocd *c;
	mech_argocd_watch_opts o;
	watch_log w;
	const mech_error *e;
	memset(&w, 0, sizeof(w));
	memset(&o, 0, sizeof(o));
	f->script[0][0].bytes = SSE_HDR;
	f->script[0][1].bytes = "data: {\"error\":{\"grpc_code\":7,\"http_code\":403,\"message\":"
				"\"permission denied\",\"http_status\":\"Forbidden\"}} \n\n";
	f->hold_ms = 1000;
	fake_start(f);
	c = argo(f);
	o.on_event = on_event;
	o.ctx = &w;
	o.reconnect = 1;
	o.on_error = on_error;
	cr_assert_eq(mech_argocd_app_watch(c, "alice", &o), -1);
	e = mech_error_last();
	cr_expect_eq(mech_error_exit(e->code), 77);
	cr_expect(strstr(e->message, "/api/v1/stream/applications?projects=alice"), "%s",
		  e->message);
	cr_expect(strstr(e->message, "permission denied"), "%s", e->message);
	cr_expect_eq(w.errors, 0, "forbidden is not retried");
	fake_stop(f);
	mech_strv_dispose(&w.seen);
	mech_argocd_free(c);
	free(f);
}

Test(argocd, watch_reconnects)
{
	fake *f = calloc(1, sizeof(*f));
	mech_argocd *c;
	mech_argocd_watch_opts o;
	watch_log w;
	memset(&w, 0, sizeof(w));
	memset(&o, 0, sizeof(o));
	w.stop_at = 2;
	f->nconns = 2;
	f->script[0][0].bytes = SSE_HDR;
	f->script[0][1].bytes = "data: {\"result\":{\"type\":\"ADDED\",\"application\":{\"metadata\":"
				"{\"name\":\"a\"}}}} \n\n\ndata: {\"result\":{\"ty";
	f->script[1][0].bytes = SSE_HDR;
	f->script[1][1].bytes = "data: {\"result\":{\"type\":\"ADDED\",\"application\":{\"metadata\":"
				"{\"name\":\"a\"}}}} \n\n\n";
	f->hold_ms = 1000;
	fake_start(f);
	c = argo(f);
	o.on_event = on_event;
	o.on_connect = on_connect;
	o.on_error = on_error;
	o.ctx = &w;
	o.reconnect = 1;
	cr_assert_eq(mech_argocd_app_watch(c, "alice", &o), 0);
	cr_expect_eq(w.errors, 1);
	cr_expect_eq(w.connects, 2, "the server replays ADDED after a reconnect");
	fake_stop(f);
	mech_strv_dispose(&w.seen);
	mech_argocd_free(c);
	free(f);
}

Test(argocd, event_parse_rejects_nonsense)
{
	mech_argocd_event ev;
	static const char *const bad[] =
		{"{\"result\":{\"type\":\"EXPLODED\",\"application\":{\"metadata\":{\"name\":\"a\"}}}}",
		 "{\"result\":{\"application\":{\"metadata\":{\"name\":\"a\"}}}}",
		 "{\"result\":{\"type\":\"ADDED\",\"application\":{}}}", "{\"result\":", "[]"};
	size_t i;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cr_expect_eq(mech_argocd_event_parse(bad[i], strlen(bad[i]), &ev), -1, "%s", bad[i]);
		cr_expect_eq(mech_error_last()->code, MECH_EUNAVAILABLE, "%s", bad[i]);
		cr_expect_null(ev.app);
	}
}

Test(argocd, not_configured)
{
	mech_config cfg;
	mech_argocd *c = NULL;
	mech_kube *k = NULL;
	memset(&cfg, 0, sizeof(cfg));
	cfg.argocd_url = "";
	cfg.kube_url = "";
	cr_expect_eq(mech_argocd_new(&c, &cfg), -1);
	cr_expect_eq(mech_error_exit(mech_error_last()->code), 78);
	cr_expect_eq(mech_kube_new(&k, &cfg), -1);
	cr_expect_eq(mech_error_exit(mech_error_last()->code), 78);
}

/* ---- Kubernetes (reference/k8s-api.md, cnpg.md, gateway.md) ---- */

Test(kube, deployment_rollout_states)
{
	static const char healthy[] =
		"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\","
		"\"namespace\":\"web\",\"generation\":4},\"spec\":{\"replicas\":2,\"template\":{"
		"\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"r/web:1\"}]}}},"
		"\"status\":{\"observedGeneration\":4,\"replicas\":2,\"updatedReplicas\":2,"
		"\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[{\"type\":"
		"\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}";
	static const char stuck[] =
		"{\"metadata\":{\"name\":\"web\",\"generation\":5},\"spec\":{\"replicas\":2},"
		"\"status\":{\"observedGeneration\":5,\"replicas\":3,\"updatedReplicas\":1,"
		"\"availableReplicas\":2,\"unavailableReplicas\":1,\"conditions\":[{\"type\":"
		"\"Progressing\",\"status\":\"False\",\"reason\":\"ProgressDeadlineExceeded\"}]}}";
	static const char rolling[] =
		"{\"metadata\":{\"name\":\"web\",\"generation\":6},\"spec\":{\"replicas\":3},"
		"\"status\":{\"observedGeneration\":6,\"replicas\":3,\"updatedReplicas\":3,"
		"\"availableReplicas\":1}}";
	static const char stale[] = "{\"metadata\":{\"name\":\"web\",\"generation\":7},"
				    "\"status\":{\"observedGeneration\":6}}";
	char *resp;
	fake *f = serve(healthy, &resp);
	mech_kube *k = kube(f);
	mech_kube_deployment *d = NULL;
	cJSON *j;

	cr_assert_eq(mech_kube_deployment_get(k, "x-alice", "web-main", &d), 0);
	fake_stop(f);
	cr_expect(strstr(f->request[0],
			 "GET /apis/apps/v1/namespaces/x-alice/deployments/web-main HTTP/1.1"));
	cr_expect_eq(d->state, MECH_ROLLOUT_COMPLETE);
	cr_expect_eq(d->ready, 2);
	cr_expect_str_eq(d->images[0], "r/web:1");
	cr_expect_not_null(mech_kube_condition_find(d->conditions, d->nconditions, "Progressing"));
	mech_kube_deployment_free(d);

	j = cJSON_Parse(stuck);
	cr_assert_eq(mech_kube_deployment_parse(j, &d), 0);
	cr_expect_eq(d->state, MECH_ROLLOUT_FAILED);
	cr_expect_str_eq(d->state_message, "Deployment \"web\" exceeded its progress deadline");
	cr_expect_eq(d->ready, 0, "absent readyReplicas means 0");
	mech_kube_deployment_free(d);
	cJSON_Delete(j);

	j = cJSON_Parse(rolling);
	cr_assert_eq(mech_kube_deployment_parse(j, &d), 0);
	cr_expect_eq(d->state, MECH_ROLLOUT_PROGRESSING);
	cr_expect(strstr(d->state_message, "1 of 3 updated replicas are available"));
	mech_kube_deployment_free(d);
	cJSON_Delete(j);

	j = cJSON_Parse(stale);
	cr_assert_eq(mech_kube_deployment_parse(j, &d), 0);
	cr_expect_eq(d->state, MECH_ROLLOUT_PROGRESSING);
	cr_expect_eq(d->spec_replicas, 1, "spec.replicas defaults to 1");
	mech_kube_deployment_free(d);
	cJSON_Delete(j);

	mech_kube_free(k);
	free(resp);
	free(f);
}

Test(kube, pg_cluster_ready)
{
	static const char body[] =
		"{\"apiVersion\":\"postgresql.cnpg.io/v1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":"
		"\"db\",\"namespace\":\"x-alice\"},\"spec\":{\"instances\":2},\"status\":{\"phase\":"
		"\"Cluster in healthy state\",\"instances\":2,\"readyInstances\":2,\"currentPrimary\":"
		"\"db-1\",\"writeService\":\"db-rw\",\"conditions\":[{\"type\":\"Ready\",\"status\":"
		"\"True\",\"reason\":\"ClusterIsReady\",\"message\":\"Cluster is Ready\"}]}}";
	char *resp;
	fake *f = serve(body, &resp);
	mech_kube *k = kube(f);
	mech_kube_pg_cluster *c = NULL;
	cJSON *j;
	cr_assert_eq(mech_kube_pg_cluster_get(k, "x-alice", "db", &c), 0);
	fake_stop(f);
	cr_expect(strstr(f->request[0],
			 "GET /apis/postgresql.cnpg.io/v1/namespaces/x-alice/clusters/db HTTP/1.1"));
	cr_expect(c->ready);
	cr_expect_eq(c->ready_instances, 2);
	cr_expect_str_eq(c->write_service, "db-rw");
	mech_kube_pg_cluster_free(c);

	j = cJSON_Parse("{\"metadata\":{\"name\":\"db\"},\"spec\":{\"instances\":1},\"status\":{"
			"\"phase\":\"Setting up primary\",\"conditions\":[{\"type\":\"Ready\","
			"\"status\":\"False\"}]}}");
	cr_assert_eq(mech_kube_pg_cluster_parse(j, &c), 0);
	cr_expect(!c->ready);
	cr_expect_eq(c->ready_instances, 0);
	mech_kube_pg_cluster_free(c);
	cJSON_Delete(j);
	mech_kube_free(k);
	free(resp);
	free(f);
}

Test(kube, pg_cluster_ready_of_an_older_generation_is_not_ready)
{
	/* the memory was changed (generation 2); the operator's Ready still describes 1 */
	cJSON *j = cJSON_Parse(
		"{\"metadata\":{\"name\":\"db\",\"generation\":2},\"spec\":{\"instances\":1,"
		"\"resources\":{\"requests\":{\"memory\":\"1Gi\"}}},\"status\":{\"phase\":"
		"\"Cluster in healthy state\",\"instances\":1,\"readyInstances\":1,\"conditions\":[{"
		"\"type\":\"Ready\",\"status\":\"True\",\"observedGeneration\":1}]}}");
	mech_kube_pg_cluster *c = NULL;
	cr_assert_eq(mech_kube_pg_cluster_parse(j, &c), 0);
	cr_expect(!c->ready, "a Ready of generation 1 says nothing of generation 2");
	cr_expect_eq(c->generation, 2);
	cr_expect_eq(c->ready_generation, 1);
	cr_expect_str_eq(c->memory, "1Gi");
	mech_kube_pg_cluster_free(c);
	cJSON_ReplaceItemInObject(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j,
											     "status"),
									 "conditions"),
						     0),
				  "observedGeneration", cJSON_CreateNumber(2));
	cr_assert_eq(mech_kube_pg_cluster_parse(j, &c), 0);
	cr_expect(c->ready, "Ready for generation 2");
	mech_kube_pg_cluster_free(c);
	cJSON_Delete(j);
}

/* A string field of the struct that holds the password would be a leak. */
static void expect_no_secret(const char *field, const char *secret)
{
	cr_expect(!strstr(field, secret), "field \"%s\" carries a secret", field);
}

Test(kube, pg_secret_keeps_only_public_fields)
{
	/* cnpg.md §3's example, password s3cRetPa55w0rdExample */
	static const char body[] =
		"{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"web-db-app\","
		"\"namespace\":\"web\"},\"type\":\"kubernetes.io/basic-auth\",\"data\":{"
		"\"username\":\"YXBw\",\"user\":\"YXBw\",\"password\":"
		"\"czNjUmV0UGE1NXcwcmRFeGFtcGxl\",\"dbname\":\"YXBw\",\"host\":\"d2ViLWRiLXJ3\","
		"\"port\":\"NTQzMg==\",\"pgpass\":"
		"\"d2ViLWRiLXJ3OjU0MzI6YXBwOmFwcDpzM2NSZXRQYTU1dzByZEV4YW1wbGUK\",\"uri\":"
		"\"cG9zdGdyZXNxbDovL2FwcDpzM2NSZXRQYTU1dzByZEV4YW1wbGVAd2ViLWRiLXJ3LndlYjo1NDMyL2FwcA"
		"==\",\"jdbc-uri\":\"amRiYzpwb3N0Z3Jlc3FsOi8vd2ViLWRiLXJ3LndlYjo1NDMyL2FwcD9wYXNzd29y"
		"ZD1zM2NSZXRQYTU1dzByZEV4YW1wbGUmdXNlcj1hcHA=\"}}";
	static const char secret[] = "s3cRetPa55w0rdExample";
	char *resp;
	fake *f = serve(body, &resp);
	mech_kube *k = kube(f);
	mech_kube_pg_secret *s = NULL;
	size_t i;

	cr_assert_eq(mech_kube_pg_secret_get(k, "web", "web-db", &s), 0, "%s",
		     mech_error_last()->message);
	fake_stop(f);
	cr_expect(strstr(f->request[0], "GET /api/v1/namespaces/web/secrets/web-db-app HTTP/1.1"));
	cr_expect_str_eq(s->name, "web-db-app");
	cr_expect_str_eq(s->type, "kubernetes.io/basic-auth");
	cr_expect_str_eq(s->username, "app");
	cr_expect_str_eq(s->host, "web-db-rw");
	cr_expect_str_eq(s->port, "5432");
	cr_expect_str_eq(s->dbname, "app");
	cr_assert_eq(s->nkeys, 9);
	cr_expect_str_eq(s->keys[0], "dbname"); /* sorted */
	cr_expect_str_eq(s->keys[3], "password", "key names are kept, values are not");
	expect_no_secret(s->namespace, secret);
	expect_no_secret(s->name, secret);
	expect_no_secret(s->type, secret);
	expect_no_secret(s->username, secret);
	expect_no_secret(s->host, secret);
	expect_no_secret(s->port, secret);
	expect_no_secret(s->dbname, secret);
	for (i = 0; i < s->nkeys; i++)
		expect_no_secret(s->keys[i], secret);
	mech_kube_pg_secret_free(s);
	mech_kube_free(k);
	free(resp);
	free(f);
}

/* Go clients may write the URL alphabet and leave the padding out: the lenient mode. */
Test(kube, pg_secret_values_in_the_url_alphabet_or_unpadded)
{
	static const char body[] =
		"{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"web-db-app\","
		"\"namespace\":\"web\"},\"type\":\"kubernetes.io/basic-auth\",\"data\":{"
		"\"username\":\"YXBw\",\"password\":\"czNjUmV0\",\"dbname\":\"ZGI_Pg\","
		"\"host\":\"d2ViLWRiLXJ3\",\"port\":\"NTQzMg\"}}";
	char *resp;
	fake *f = serve(body, &resp);
	mech_kube *k = kube(f);
	mech_kube_pg_secret *s = NULL;

	cr_assert_eq(mech_kube_pg_secret_get(k, "web", "web-db", &s), 0, "%s",
		     mech_error_last()->message);
	fake_stop(f);
	cr_expect_str_eq(s->port, "5432");
	cr_expect_str_eq(s->dbname, "db?>");
	cr_expect_str_eq(s->host, "web-db-rw");
	mech_kube_pg_secret_free(s);
	mech_kube_free(k);
	free(resp);
	free(f);
}

Test(kube, route_conditions)
{
	static const char body[] =
		"{\"metadata\":{\"name\":\"web-main\",\"namespace\":\"x-alice\",\"generation\":2},"
		"\"spec\":{\"hostnames\":[\"web.alice.apps.localhost\"]},\"status\":{\"parents\":[{"
		"\"parentRef\":{\"name\":\"mech\",\"namespace\":\"mech-gateway\"},\"controllerName\":"
		"\"x/y\",\"conditions\":[{\"type\":\"Accepted\",\"status\":\"True\",\"reason\":"
		"\"Accepted\",\"observedGeneration\":2},{\"type\":\"ResolvedRefs\",\"status\":\"False\","
		"\"reason\":\"BackendNotFound\",\"message\":\"Service \\\"web-main\\\" not found\","
		"\"observedGeneration\":2}]},{\"parentRef\":{\"name\":\"old\"},\"conditions\":[{"
		"\"type\":\"Accepted\",\"status\":\"False\",\"observedGeneration\":1}]}]}}";
	char *resp;
	fake *f = serve(body, &resp);
	mech_kube *k = kube(f);
	mech_kube_route *r = NULL;
	const mech_kube_condition *c;
	cr_assert_eq(mech_kube_route_get(k, "x-alice", "web-main", &r), 0);
	fake_stop(f);
	cr_expect(strstr(f->request[0], "GET /apis/gateway.networking.k8s.io/v1/namespaces/x-alice/"
					"httproutes/web-main HTTP/1.1"));
	cr_expect_eq(r->nhostnames, 1);
	cr_assert_eq(r->nparents, 2);
	cr_expect_str_eq(r->parents[0].parent_name, "mech");
	c = mech_kube_condition_find(r->parents[0].conditions, r->parents[0].nconditions,
				     "ResolvedRefs");
	cr_assert_not_null(c);
	cr_expect_str_eq(c->reason, "BackendNotFound");
	cr_expect_eq(r->accepted, 1, "the stale parent (generation 1) does not count");
	cr_expect_eq(r->resolved_refs, 0);
	mech_kube_route_free(r);
	mech_kube_free(k);
	free(resp);
	free(f);
}

/* Accepted=Unknown (reason Pending) is no verdict yet, on its own or beside a True. */
Test(kube, route_unknown_is_pending)
{
	static const char *const statuses[][2] = {{"Unknown", "Unknown"},
						  {"True", "Unknown"},
						  {"Unknown", "False"},
						  {"True", "True"}};
	static const int want[] = {-1, -1, 0, 1};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(*want); i++) {
		char *doc = mech_sprintf(
			"{\"metadata\":{\"name\":\"web-main\",\"generation\":1},\"status\":{"
			"\"parents\":[{\"parentRef\":{\"name\":\"a\"},\"conditions\":[{\"type\":"
			"\"Accepted\",\"status\":\"%s\",\"reason\":\"Pending\"}]},{\"parentRef\":"
			"{\"name\":\"b\"},\"conditions\":[{\"type\":\"Accepted\",\"status\":\"%s\"}]}"
			"]}}",
			statuses[i][0], statuses[i][1]);
		cJSON *j = cJSON_Parse(doc);
		mech_kube_route *r = NULL;
		cr_assert_not_null(j);
		cr_assert_eq(mech_kube_route_parse(j, &r), 0);
		cr_expect_eq(r->accepted, want[i], "Accepted %s and %s: %d, expected %d",
			     statuses[i][0], statuses[i][1], r->accepted, want[i]);
		cr_expect_eq(r->resolved_refs, -1, "no ResolvedRefs reported");
		mech_kube_route_free(r);
		cJSON_Delete(j);
		free(doc);
	}
}

Test(kube, unknown_api_path)
{
	fake *f = calloc(1, sizeof(*f));
	char *resp = json_response("404 Not Found", "text/plain; charset=utf-8",
				   "404 page not found\n");
	mech_kube *k;
	mech_kube_pg_cluster *c = NULL;
	f->script[0][0].bytes = resp;
	fake_start(f);
	k = kube(f);
	cr_assert_eq(mech_kube_pg_cluster_get(k, "x", "db", &c), -1);
	cr_expect_eq(mech_error_exit(mech_error_last()->code), 4);
	cr_expect(strstr(mech_error_last()->message, "does not know this API path"), "%s",
		  mech_error_last()->message);
	cr_expect(mech_error_last()->hint && strstr(mech_error_last()->hint, "CRD"));
	fake_stop(f);
	mech_kube_free(k);
	free(resp);
	free(f);
}

Test(kube, status_not_found)
{
	fake *f = calloc(1, sizeof(*f));
	char *resp = json_response(
		"404 Not Found", "application/json",
		"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
		"\"message\":\"deployments.apps \\\"web\\\" not found\",\"reason\":\"NotFound\","
		"\"code\":404}");
	mech_kube *k;
	mech_kube_deployment *d = NULL;
	f->script[0][0].bytes = resp;
	fake_start(f);
	k = kube(f);
	cr_assert_eq(mech_kube_deployment_get(k, "x", "web", &d), -1);
	cr_expect_eq(mech_error_exit(mech_error_last()->code), 4);
	cr_expect(strstr(mech_error_last()->message, "deployments.apps \"web\" not found"));
	fake_stop(f);
	mech_kube_free(k);
	free(resp);
	free(f);
}

/* ---- against the real `mech sim`, which is always built ---- */

typedef struct {
	pid_t pid;
	char url[128];
	char home[64];
} sim_proc;

static int run(const char *cmd)
{
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *mech_binary(void)
{
	char exe[4096];
	ssize_t n;
	char *slash, *path;
	if (getenv("MECH") && *getenv("MECH"))
		return mech_strdup(getenv("MECH"));
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	path = mech_sprintf("%s/../mech", exe); /* build/tests/test_argocd → build/mech */
	if (access(path, X_OK) < 0) {
		free(path);
		return NULL;
	}
	return path;
}

/* A tenant repo made with the git CLI: one app "web" (kustomize base + overlay). */
static int make_home(const char *home)
{
	char *cmd = mech_sprintf(
		"set -e; H=%s; W=$H/wc; mkdir -p $H/tenants/alice $W/apps/web/base "
		"$W/apps/web/overlays/main; git init -q --bare $H/tenants/alice/gitops.git; "
		"printf 'apiVersion: apps/v1\\nkind: Deployment\\nmetadata:\\n  name: web\\nspec:\\n"
		"  replicas: 2\\n  selector:\\n    matchLabels: {app: web}\\n  template:\\n    "
		"metadata:\\n      labels: {app: web}\\n    spec:\\n      containers:\\n      - "
		"name: web\\n        image: registry.example.com/alice/web:1\\n' > "
		"$W/apps/web/base/deployment.yaml; "
		"printf 'apiVersion: v1\\nkind: Service\\nmetadata:\\n  name: web\\nspec:\\n  "
		"selector: {app: web}\\n  ports:\\n  - port: 80\\n' > $W/apps/web/base/service.yaml; "
		"printf 'resources:\\n- deployment.yaml\\n- service.yaml\\n' > "
		"$W/apps/web/base/kustomization.yaml; "
		"printf 'resources:\\n- ../../base\\nnameSuffix: --main\\nimages:\\n- name: "
		"registry.example.com/alice/web\\n  newTag: \"2\"\\n' > "
		"$W/apps/web/overlays/main/kustomization.yaml; "
		"cd $W && git init -q -b main && git add -A && git -c user.name=t -c "
		"user.email=t@t commit -qm init && git push -q $H/tenants/alice/gitops.git main",
		home);
	int rc = run(cmd);
	free(cmd);
	return rc;
}

/*
 * Start `mech --home H sim --listen 127.0.0.1:0`. The sim is part of every
 * build and git is installed by `make deps`: a sim that does not start is a
 * failure, never a skip.
 */
static void sim_start(sim_proc *s)
{
	char *mech = mech_binary();
	int out[2];
	FILE *fp;
	char line[256];

	memset(s, 0, sizeof(*s));
	cr_assert_not_null(mech,
			   "no mech binary: set MECH (ctest does) or build it next to the tests");
	cr_assert_eq(run("git --version >/dev/null 2>&1"), 0, "the git CLI is missing");
	snprintf(s->home, sizeof(s->home), "/tmp/mech-test-sim-XXXXXX");
	cr_assert_not_null(mkdtemp(s->home));
	cr_assert_eq(make_home(s->home), 0);
	cr_assert_eq(pipe(out), 0);
	s->pid = fork();
	if (s->pid == 0) {
		/* a test killed at its timeout takes its sim with it: a sim left
		 * holding the pipe would keep ctest waiting forever */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
			_exit(127);
		dup2(out[1], 1);
		close(out[0]);
		execl(mech, mech, "--home", s->home, "sim", "--listen", "127.0.0.1:0",
		      "--sync-delay", "200ms", "--health-delay", "300ms", (char *)NULL);
		_exit(127);
	}
	free(mech);
	close(out[1]);
	fp = fdopen(out[0], "r");
	if (!fgets(line, sizeof(line), fp) || !strstr(line, "listening on ")) {
		char *cmd = mech_sprintf("rm -rf %s", s->home);
		int status = 0;
		fclose(fp);
		kill(s->pid, SIGTERM);
		waitpid(s->pid, &status, 0);
		s->pid = 0;
		run(cmd);
		free(cmd);
		cr_assert_fail("`mech sim` did not start (wait status %d; its stderr is above)",
			       status);
	}
	fclose(fp);
	line[strcspn(line, "\n")] = '\0';
	snprintf(s->url, sizeof(s->url), "%s", strstr(line, "http://"));
}

static void sim_stop(sim_proc *s)
{
	int status = 0;
	char *cmd;
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, &status, 0);
		cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "the sim stops cleanly on SIGTERM (status %d)", status);
	}
	cmd = mech_sprintf("rm -rf %s", s->home);
	run(cmd);
	free(cmd);
}

Test(sim, argocd_and_kube_clients_against_the_sim, .timeout = 60)
{
	sim_proc s;
	mech_argocd *c;
	mech_kube *k;
	mech_argocd_apps *apps = NULL;
	mech_argocd_app *a = NULL;
	mech_argocd_tree *t = NULL;
	mech_argocd_diffs *d = NULL;
	mech_kube_deployment *dep = NULL;
	mech_argocd_watch_opts o;
	watch_log w;
	int i, settled = 0;

	sim_start(&s);
	cr_assert_eq(mech_argocd_open(&c, s.url, NULL, NULL, 3000), 0);
	cr_assert_eq(mech_kube_open(&k, s.url, NULL, NULL, 3000), 0);

	cr_assert_eq(mech_argocd_app_list(c, "alice", &apps), 0, "%s", mech_error_last()->message);
	cr_expect_not_null(mech_argocd_apps_find(apps, "alice--web--main"));
	cr_expect_not_null(mech_argocd_apps_find(apps, "alice--network"));
	cr_expect_not_null(mech_argocd_apps_find(apps, "alice--addons"));
	mech_argocd_apps_free(apps);

	for (i = 0; i < 100 && !settled; i++) {
		cr_assert_eq(mech_argocd_app_get(c, "alice", "alice--web--main", &a), 0);
		settled = mech_argocd_app_settled(a);
		if (!settled) {
			mech_argocd_app_free(a);
			a = NULL;
			pause_ms(100);
		}
	}
	cr_assert(settled, "alice--web--main becomes Synced and Healthy");
	cr_expect_eq(strlen(a->sync_revision), 40);
	cr_assert_eq(a->nimages, 1);
	cr_expect_str_eq(a->images[0], "registry.example.com/alice/web:2");
	mech_argocd_app_free(a);

	cr_expect_eq(mech_argocd_app_get(c, "bob", "alice--web--main", &a), -1);
	cr_expect_eq(mech_error_exit(mech_error_last()->code), 4, "other project: not found");

	cr_assert_eq(mech_argocd_app_tree(c, "alice", "alice--web--main", &t), 0);
	cr_expect(t->len >= 4, "Deployment, ReplicaSet, 2 Pods, Service");
	mech_argocd_tree_free(t);
	cr_assert_eq(mech_argocd_app_managed(c, "alice", "alice--web--main", &d), 0);
	cr_expect_eq(d->len, 2);
	cr_expect_not_null(d->items[0].live);
	cr_expect_not_null(d->items[0].target);
	mech_argocd_diffs_free(d);

	cr_assert_eq(mech_kube_deployment_get(k, "x-alice", "web--main", &dep), 0, "%s",
		     mech_error_last()->message);
	cr_expect_eq(dep->state, MECH_ROLLOUT_COMPLETE);
	cr_expect_eq(dep->ready, 2);
	mech_kube_deployment_free(dep);

	cr_assert_eq(mech_argocd_app_sync(c, "alice", "alice--web--main", NULL, &a), 0);
	cr_expect(a->operation_requested);
	mech_argocd_app_free(a);

	memset(&w, 0, sizeof(w));
	memset(&o, 0, sizeof(o));
	w.stop_at = 3;
	o.on_event = on_event;
	o.ctx = &w;
	cr_assert_eq(mech_argocd_app_watch(c, "alice", &o), 0, "%s", mech_error_last()->message);
	cr_expect_str_eq(w.seen.items[0], "ADDED alice--addons");
	mech_argocd_app_free(w.kept);
	mech_strv_dispose(&w.seen);

	mech_kube_free(k);
	mech_argocd_free(c);
	sim_stop(&s);
}

/* whoami warns below the oldest supported Argo CD (docs/compatibility.md). */
Test(argocd, version_older_than_the_minimum)
{
	cr_expect_eq(mech_argocd_version_older("v3.1.0", MECH_ARGOCD_MIN_VERSION), 1);
	cr_expect_eq(mech_argocd_version_older("v2.14.11+8283115", MECH_ARGOCD_MIN_VERSION), 1);
	cr_expect_eq(mech_argocd_version_older("v3.2.9", "v3.3.0"), 1);
	cr_expect_eq(mech_argocd_version_older("v3.3.0", "v3.3.0"), 0);
	cr_expect_eq(mech_argocd_version_older("v3.3.0-rc1", "v3.3.0"), 0);
	cr_expect_eq(mech_argocd_version_older("3.3", "v3.3.0"), 0);
	cr_expect_eq(mech_argocd_version_older("v3.5.1+mech-sim", MECH_ARGOCD_MIN_VERSION), 0);
	cr_expect_eq(mech_argocd_version_older("v10.0.0", "v3.3.0"), 0);
	/* not a version: no answer either way */
	cr_expect_eq(mech_argocd_version_older("", "v3.3.0"), -1);
	cr_expect_eq(mech_argocd_version_older(NULL, "v3.3.0"), -1);
	cr_expect_eq(mech_argocd_version_older("unknown", "v3.3.0"), -1);
	cr_expect_eq(mech_argocd_version_older("v3", "v3.3.0"), -1);
}
