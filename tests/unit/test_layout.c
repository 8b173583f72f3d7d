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
#include "mech/layout.h"

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

Test(layout, derived_names)
{
	expect_str(mech_layout_namespace("alice"), "x-alice");
	expect_str(mech_layout_project("alice"), "alice");
	expect_str(mech_layout_appset("alice"), "alice-apps");
	expect_str(mech_layout_instance_app("alice", "web", "main"), "alice-web-main");
	expect_str(mech_layout_dir_app("alice", MECH_LAYOUT_NETWORK), "alice-network");
	expect_str(mech_layout_dir_app("alice", MECH_LAYOUT_ADDONS), "alice-addons");
	expect_str(mech_layout_workload("web", "canary"), "web-canary");
	expect_str(mech_layout_name_suffix("canary"), "-canary");
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
	static const char *const pairs[][2] = {{"web", "main"}, {"api-v2", "canary"}, {"a", "b-c"}};
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
