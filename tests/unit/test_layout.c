/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The repository layout and derived names (DESIGN §4), and that the rules
 * agree with each other: the ApplicationSet's glob and name template give
 * the names mech computes, kustomize's suffix gives the workload names, and
 * no other source file spells a rule by hand.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mech/buf.h"
#include "mech/error.h"
#include "mech/layout.h"
#include "mech/validate.h"

static void expect_str(char *got, const char *want)
{
	cr_assert_not_null(got, "NULL, wanted %s", want);
	cr_expect_str_eq(got, want);
	free(got);
}

Test(layout, repository_paths_are_design_section_4)
{
	expect_str(mech_layout_app_dir("web"), "apps/web");
	expect_str(mech_layout_app_file("web", MECH_LAYOUT_BASE_DEPLOYMENT),
		   "apps/web/base/deployment.yaml");
	expect_str(mech_layout_app_file("web", MECH_LAYOUT_BASE_SERVICE),
		   "apps/web/base/service.yaml");
	expect_str(mech_layout_app_file("web", MECH_LAYOUT_BASE_KUSTOMIZATION),
		   "apps/web/base/kustomization.yaml");
	expect_str(mech_layout_overlays_dir("web"), "apps/web/overlays");
	expect_str(mech_layout_overlay_dir("web", "main"), "apps/web/overlays/main");
	expect_str(mech_layout_overlay_path("web", "canary"),
		   "apps/web/overlays/canary/kustomization.yaml");
	expect_str(mech_layout_routes_dir("web"), "network/routes/web");
	expect_str(mech_layout_route_path("web", "main"), "network/routes/web/main.yaml");
	expect_str(mech_layout_addon_dir("db"), "addons/db");
	expect_str(mech_layout_addon_cluster_path("db"), "addons/db/cluster.yaml");
	cr_expect_str_eq(MECH_LAYOUT_ARGOCD_APPSET, "argocd/apps.applicationset.yaml");
	cr_expect_str_eq(MECH_LAYOUT_OVERLAY_GLOB, "apps/*/overlays/*");
	cr_expect_str_eq(MECH_DEFAULT_INSTANCE, "main");
}

Test(layout, relative_paths_join_to_the_full_ones)
{
	char *dir = mech_layout_app_dir("web"), *rel = mech_layout_overlay_in_app("canary");
	char *joined = mech_sprintf("%s/%s", dir, rel);
	expect_str(mech_layout_overlay_path("web", "canary"), joined);
	free(joined);
	free(dir);
	free(rel);

	dir = mech_layout_routes_dir("web");
	rel = mech_layout_route_file("canary");
	joined = mech_sprintf("%s/%s", dir, rel);
	expect_str(mech_layout_route_path("web", "canary"), joined);
	/* and back: the file name names the instance */
	expect_str(mech_layout_route_instance(rel), "canary");
	free(joined);
	free(dir);
	free(rel);
}

Test(layout, route_instance_only_of_route_files)
{
	expect_str(mech_layout_route_instance("main.yaml"), "main");
	expect_str(mech_layout_route_instance("a.b.yaml"), "a.b"); /* callers validate */
	cr_expect_null(mech_layout_route_instance(".yaml"));
	cr_expect_null(mech_layout_route_instance("main.yml"));
	cr_expect_null(mech_layout_route_instance("main.yaml.bak"));
	cr_expect_null(mech_layout_route_instance("README.md"));
	cr_expect_null(mech_layout_route_instance("x/main.yaml"));
	cr_expect_null(mech_layout_route_instance(""));
}

/* The name written into a buffer is the allocated one, when it fits, to the byte */
Test(layout, instance_app_in_a_buffer)
{
	char buf[32];
	size_t n;
	for (n = 1; n <= sizeof(buf); n++) {
		char *want = mech_layout_instance_app("alice", "web", "main"); /* 16 bytes */
		size_t got = mech_layout_instance_app_in(buf, n, "alice", "web", "main");
		if (n > 16) {
			cr_assert_eq(got, 16);
			cr_assert_str_eq(buf, want);
		} else {
			cr_assert_eq(got, 17, "needs 17 bytes, given %zu", n);
		}
		free(want);
	}
}

Test(layout, derived_names)
{
	expect_str(mech_layout_namespace("alice"), "x-alice");
	expect_str(mech_layout_project("alice"), "alice");
	expect_str(mech_layout_appset("alice"), "alice--apps");
	expect_str(mech_layout_instance_app("alice", "web", "main"), "alice--web--main");
	expect_str(mech_layout_dir_app("alice", MECH_LAYOUT_NETWORK), "alice--network");
	expect_str(mech_layout_dir_app("alice", MECH_LAYOUT_ADDONS), "alice--addons");
	expect_str(mech_layout_workload("web", "canary"), "web--canary");
	expect_str(mech_layout_name_suffix("canary"), "--canary");
	expect_str(mech_layout_addon_secret("db"), "db-app");
	expect_str(mech_layout_addon_service("db"), "db-rw");
	expect_str(mech_layout_tenant_domain("alice", "apps.localhost"), "alice.apps.localhost");
}

Test(layout, route_hosts)
{
	expect_str(mech_layout_route_host("alice", "web", "main", "apps.localhost"),
		   "web.alice.apps.localhost");
	expect_str(mech_layout_route_host("alice", "web", "staging", "example.com"),
		   "web-staging.alice.example.com");
	cr_expect_null(mech_layout_route_host("alice", NULL, "main", "x"));
	cr_expect_null(mech_layout_route_host(NULL, "web", "main", "x"));
	cr_expect_null(mech_layout_route_host("alice", "web", NULL, "x"));
	cr_expect_null(mech_layout_route_host("alice", "web", "main", NULL));
}

/* The workload is what kustomize makes of the base name <app> and the overlay's suffix. */
Test(layout, workload_is_the_base_name_with_the_suffix)
{
	char *suffix = mech_layout_name_suffix("canary"), *want = mech_sprintf("web%s", suffix);
	expect_str(mech_layout_workload("web", "canary"), want);
	free(suffix);
	free(want);
}

/* Replace every `tpl` in `s` with `value`. */
static char *replace(const char *s, const char *tpl, const char *value)
{
	mech_buf b = MECH_BUF_INIT;
	const char *at;
	while ((at = strstr(s, tpl))) {
		mech_buf_put(&b, s, (size_t)(at - s));
		mech_buf_puts(&b, value);
		s = at + strlen(tpl);
	}
	mech_buf_puts(&b, s);
	return mech_buf_detach(&b);
}

/*
 * What the ApplicationSet controller does with an overlay directory: it
 * matches the glob, and the name template evaluates to the name mech asks
 * Argo CD for.
 */
Test(layout, applicationset_template_names_what_mech_looks_up)
{
	static const char *const pairs[][2] = {{"web", "main"},
					       {"api-v2", "canary"},
					       {"a", "b-c"},
					       {"a-b", "c"}};
	size_t i;
	for (i = 0; i < sizeof(pairs) / sizeof(*pairs); i++) {
		char *dir = mech_layout_overlay_dir(pairs[i][0], pairs[i][1]);
		char *copy = mech_strdup(dir), *save = NULL, *seg[8], *tok;
		char *tpl = mech_layout_instance_app_template("alice"), *step, *name;
		size_t n = 0;
		cr_expect_eq(fnmatch(MECH_LAYOUT_OVERLAY_GLOB, dir, FNM_PATHNAME), 0, "%s", dir);
		for (tok = strtok_r(copy, "/", &save); tok && n < 8;
		     tok = strtok_r(NULL, "/", &save))
			seg[n++] = tok;
		cr_assert_gt(n, 1);
		step = replace(tpl, MECH_LAYOUT_TPL_APP, seg[1]);
		name = replace(step, MECH_LAYOUT_TPL_INSTANCE, seg[n - 1]);
		cr_expect_eq(strstr(name, "{{"), NULL, "%s", name);
		expect_str(mech_layout_instance_app("alice", pairs[i][0], pairs[i][1]), name);
		free(step);
		free(name);
		free(tpl);
		free(copy);
		free(dir);
	}
	/* anything else in the repository is not an instance */
	cr_expect_neq(fnmatch(MECH_LAYOUT_OVERLAY_GLOB, "apps/web/base", FNM_PATHNAME), 0);
	cr_expect_neq(fnmatch(MECH_LAYOUT_OVERLAY_GLOB, "apps/web/overlays/main/x", FNM_PATHNAME),
		      0);
	cr_expect_neq(fnmatch(MECH_LAYOUT_OVERLAY_GLOB, "network/routes/web", FNM_PATHNAME), 0);
}

/*
 * One home per rule: no other source file spells a layout or naming rule.
 * Each fragment is how a hand-made copy of a rule in layout.c would read.
 */
Test(layout, no_other_file_spells_the_rules)
{
	static const char *const dirs[] = {"core/util",  "core/input", "core/git", "core/live",
					   "core/verbs", "sim",        "shell",    "tui"};
	static const char *const spellings[] = {
		"\"x-%s",         "overlays/%s",  "routes/%s",
		"\"apps/%s",      "\"addons/%s",  "%s-app\"",
		"%s-rw",          "%s-apps\"",    "%s-network",
		"%s-addons",      "%s-%s-%s\"",   "\"apps/*/",
		"%s--%s",         "\"--apps",     "\"--network",
		"{{.path.",       "{{index ",     "\"mech.dev/t",
		"\"mech.dev/app", "\"mech.dev/i", "app.kubernetes.io/managed-by\"",
		"\"argocd/",
	};
	const char *src = getenv("MECH_SOURCE_DIR");
	size_t d, i, files = 0;
	cr_assert(src && *src, "MECH_SOURCE_DIR is not set");
	for (d = 0; d < sizeof(dirs) / sizeof(*dirs); d++) {
		char *path = mech_sprintf("%s/%s", src, dirs[d]);
		DIR *dh = opendir(path);
		struct dirent *e;
		cr_assert_not_null(dh, "cannot list %s", path);
		while ((e = readdir(dh))) {
			size_t n = strlen(e->d_name);
			mech_buf b = MECH_BUF_INIT;
			char *file;
			if (n < 3 || strcmp(e->d_name + n - 2, ".c") ||
			    !strcmp(e->d_name, "layout.c"))
				continue;
			file = mech_sprintf("%s/%s", path, e->d_name);
			cr_assert_eq(mech_buf_read_file(&b, file, 0), 0, "cannot read %s", file);
			for (i = 0; i < sizeof(spellings) / sizeof(*spellings); i++)
				cr_expect_null(strstr(b.ptr, spellings[i]),
					       "%s spells \"%s\" by hand", file, spellings[i]);
			files++;
			mech_buf_dispose(&b);
			free(file);
		}
		closedir(dh);
		free(path);
	}
	cr_expect_gt(files, 30, "only %zu source files found", files);
}

/* ---- names cannot collide (DESIGN §13, docs/formats.md "Names") ---- */

/* The collisions of the old '-' names, each now two distinct names. */
Test(layout, the_old_collisions_are_distinct)
{
	char *a = mech_layout_instance_app("a-b", "web", "main");
	char *b = mech_layout_instance_app("a", "b-web", "main");
	cr_expect_str_neq(a, b, "tenant a-b app web and tenant a app b-web: %s", a);
	free(a);
	free(b);
	a = mech_layout_workload("web-a", "b");
	b = mech_layout_workload("web", "a-b");
	cr_expect_str_neq(a, b, "web-a/b and web/a-b: %s", a);
	free(a);
	free(b);
	/* app db instance rw and the read-write Service CloudNativePG makes for addon db */
	a = mech_layout_workload("db", "rw");
	b = mech_layout_addon_service("db");
	cr_expect_str_neq(a, b, "%s", a);
	free(a);
	free(b);
	a = mech_layout_workload("db", "app");
	b = mech_layout_addon_secret("db");
	cr_expect_str_neq(a, b, "%s", a);
	free(a);
	free(b);
	/* an instance Application against another tenant's directory Application */
	a = mech_layout_instance_app("a", "b", "network");
	b = mech_layout_dir_app("a-b", MECH_LAYOUT_NETWORK);
	cr_expect_str_neq(a, b, "%s", a);
	free(a);
	free(b);
}

Test(layout, names_may_not_hold_the_separator)
{
	cr_assert_eq(mech_validate_name("app name", "a--b"), -1);
	cr_expect_eq(mech_error_last()->code, MECH_EINVALID);
	cr_expect_not_null(strstr(mech_error_last()->message, "\"--\" separates names"), "%s",
			   mech_error_last()->message);
	cr_expect_eq(mech_validate_name("app name", "a-b-c"), 0);
}

Test(layout, reserved_tenants)
{
	static const char *const refused[] = {"default",     "argocd",          "kube-system",
					      "kube-public", "kube-node-lease", "kube-x"};
	size_t i;
	for (i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		cr_assert_eq(mech_validate_tenant_name(refused[i]), -1, "%s", refused[i]);
		cr_expect_not_null(strstr(mech_error_last()->message, "reserved"), "%s",
				   mech_error_last()->message);
	}
	cr_expect_eq(mech_validate_tenant_name("kube"), 0);
	cr_expect_eq(mech_validate_tenant_name("defaults"), 0);
	cr_expect_eq(mech_validate_tenant_name("my-argocd"), 0);
}

Test(layout, derived_names_at_most_63)
{
	char t[41], a[41], i[41];
	memset(t, 't', 40);
	memset(a, 'a', 40);
	memset(i, 'i', 40);
	t[40] = a[40] = i[40] = 0;
	cr_expect_eq(mech_layout_check_tenant(t), 0);
	cr_expect_eq(mech_layout_check_instance("alice", "web", "main"), 0);
	/* the Application is the long one: 40 + 2 + 1 + 2 + 4 = 49 */
	cr_expect_eq(mech_layout_check_instance(t, "a", "main"), 0);
	/* 40 + 2 + 17 + 2 + 4 = 65 */
	cr_assert_eq(mech_layout_check_instance(t, "aaaaaaaaaaaaaaaaa", "main"), -1);
	cr_expect_eq(mech_error_last()->code, MECH_EINVALID);
	cr_expect_not_null(strstr(mech_error_last()->message, "Application"), "%s",
			   mech_error_last()->message);
	cr_expect_not_null(strstr(mech_error_last()->message, "65 characters"), "%s",
			   mech_error_last()->message);
	/* the workload name: 40 + 2 + 40 */
	cr_expect_eq(mech_layout_check_instance("x", a, i), -1);
	/* exactly 63: t(19) + 2 + a(19) + 2 + i(21) */
	cr_expect_eq(mech_layout_check_instance("ttttttttttttttttttt", "aaaaaaaaaaaaaaaaaaa",
						"iiiiiiiiiiiiiiiiiiiii"),
		     0);
	cr_expect_eq(mech_layout_check_instance("ttttttttttttttttttt", "aaaaaaaaaaaaaaaaaaa",
						"iiiiiiiiiiiiiiiiiiiiii"),
		     -1);
}

/* A fixed generator, so a failure is reproduced by its seed. */
static unsigned long long rng_state;

static unsigned rng(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

/*
 * A random name as a user might type it, kept only when mech accepts it.
 * The alphabet is small and '-' frequent, so names share parts the way the
 * old collisions did (a-b, b-web, web-a).
 */
static char *random_name(void)
{
	static const char alphabet[] = "ab-";
	for (;;) {
		size_t n = 1 + rng(6), k;
		char buf[8];
		for (k = 0; k < n; k++)
			buf[k] = alphabet[rng(sizeof(alphabet) - 1)];
		buf[n] = 0;
		if (mech_validate_name("name", buf) == 0)
			return mech_strdup(buf);
		mech_error_clear();
	}
}

typedef struct {
	char *tenant, *app, *instance;
} triple;

static int same_triple(const triple *x, const triple *y)
{
	return !strcmp(x->tenant, y->tenant) && !strcmp(x->app, y->app) &&
	       !strcmp(x->instance, y->instance);
}

#define NTRIPLES 600

Test(layout, derived_names_are_injective)
{
	triple *t = mech_calloc(NTRIPLES, sizeof(*t));
	char **app = mech_calloc(NTRIPLES, sizeof(char *)),
	     **work = mech_calloc(NTRIPLES, sizeof(char *));
	char **host = mech_calloc(NTRIPLES, sizeof(char *)),
	     **dir = mech_calloc(NTRIPLES, sizeof(char *));
	size_t i, j, pairs = 0, host_pairs = 0;
	const char *seed_env = getenv("MECH_LAYOUT_SEED");

	rng_state = seed_env ? strtoull(seed_env, NULL, 10) : 20261203ULL;
	cr_log_info("seed %llu (MECH_LAYOUT_SEED=N reruns another)", rng_state);
	fprintf(stderr, "layout: derived_names_are_injective seed %llu\n", rng_state);
	for (i = 0; i < NTRIPLES; i++) {
		t[i].tenant = random_name();
		t[i].app = random_name();
		t[i].instance = random_name();
		app[i] = mech_layout_instance_app(t[i].tenant, t[i].app, t[i].instance);
		work[i] = mech_layout_workload(t[i].app, t[i].instance);
		host[i] = mech_layout_route_host(t[i].tenant, t[i].app, t[i].instance, "apps.test");
		dir[i] = mech_layout_dir_app(t[i].tenant,
					     i % 2 ? MECH_LAYOUT_NETWORK : MECH_LAYOUT_ADDONS);
	}
	for (i = 0; i < NTRIPLES; i++) {
		for (j = i + 1; j < NTRIPLES; j++) {
			int same = same_triple(&t[i], &t[j]);
			int same_ns = !strcmp(t[i].tenant, t[j].tenant);
			pairs += !same;
			/* Applications share Argo CD's namespace: unique across tenants */
			cr_expect(same || strcmp(app[i], app[j]),
				  "%s/%s/%s and %s/%s/%s are both Application %s", t[i].tenant,
				  t[i].app, t[i].instance, t[j].tenant, t[j].app, t[j].instance,
				  app[i]);
			/* Deployment, Service, HTTPRoute: unique within the namespace */
			cr_expect(same || !same_ns || strcmp(work[i], work[j]),
				  "%s/%s and %s/%s are both %s in tenant %s", t[i].app,
				  t[i].instance, t[j].app, t[j].instance, work[i], t[i].tenant);
			/* hosts: never across tenants; within one, route create refuses */
			cr_expect(same_ns || strcmp(host[i], host[j]),
				  "tenants %s and %s derive host %s", t[i].tenant, t[j].tenant,
				  host[i]);
			host_pairs += !same && !strcmp(host[i], host[j]);
			/* an instance's Application is never a directory Application */
			cr_expect(strcmp(app[i], dir[j]) && strcmp(app[j], dir[i]), "%s", app[i]);
		}
		/* no workload is a name CloudNativePG derives for an addon */
		for (j = 0; j < NTRIPLES; j++) {
			char *svc = mech_layout_addon_service(t[j].app);
			char *sec = mech_layout_addon_secret(t[j].app);
			cr_expect(strcmp(work[i], svc) && strcmp(work[i], sec), "%s", work[i]);
			free(svc);
			free(sec);
		}
	}
	cr_log_info("%zu distinct pairs, %zu sharing a host inside a tenant", pairs, host_pairs);
	cr_expect_gt(pairs, 1000);
	for (i = 0; i < NTRIPLES; i++) {
		free(t[i].tenant);
		free(t[i].app);
		free(t[i].instance);
		free(app[i]);
		free(work[i]);
		free(host[i]);
		free(dir[i]);
	}
	free(t);
	free(app);
	free(work);
	free(host);
	free(dir);
}
