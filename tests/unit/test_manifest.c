/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Manifests mech writes into tenant repositories: what Argo CD, kustomize
 * and the API server will read. Contents are checked by parsing the output
 * back; the schema test hands every kind to tests/lib/validate_manifests.py
 * (CRD schemas from MECH_SPEC_DIR) and yamllint.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mech/error.h"
#include "mech/image.h"
#include "mech/manifest.h"
#include "mech/yaml.h"
#include "skip.h"

#define BASE_IMAGE REPO ":1.0"
#define REPO "registry.example.com:5000/alice/web"
#define DIGEST "sha256:3f2a9c1d0e4b5a6978877665544332211ffeeddccbbaa0099887766554433221"

static const mech_seed_spec seed = {"alice", "https://git.example.com/alice/gitops.git", "main",
				    "argocd"};

static mech_yaml *parse(const mech_buf *b)
{
	mech_yaml *doc = NULL;
	int rc = mech_yaml_parse(&doc, mech_buf_cstr(b), b->len, "test", NULL);
	cr_assert_eq(rc, 0, "output does not parse: %s\n%s", rc ? mech_error_last()->message : "",
		     mech_buf_cstr(b));
	return doc;
}

static const char *text(const mech_yaml *doc, const char *path)
{
	const char *t = mech_yaml_path_text(doc, path);
	cr_assert_not_null(t, "missing %s", path);
	return t;
}

static void expect_text(const mech_yaml *doc, const char *path, const char *want)
{
	cr_assert_str_eq(text(doc, path), want, "%s", path);
}

static const mech_yaml *item(const mech_yaml *seq, size_t i)
{
	cr_assert_not_null(seq);
	cr_assert_eq(seq->kind, MECH_YAML_SEQ);
	cr_assert_gt(seq->len, i, "sequence has %zu items, wanted #%zu", seq->len, i);
	return seq->items[i];
}

static void expect_error(const char *what)
{
	const mech_error *e = mech_error_last();
	cr_assert_not_null(e);
	cr_assert_eq(e->code, MECH_EINVALID, "%s", e->message);
	cr_assert(strstr(e->message, what), "message \"%s\" lacks \"%s\"", e->message, what);
}

/* mech_yaml_path splits on '.', so label keys are looked up by hand. */
static const char *label(const mech_yaml *doc, const char *where, const char *key)
{
	return mech_yaml_text(mech_yaml_get(mech_yaml_path(doc, where), key));
}

static void app_spec(mech_app_spec *s, const mech_strv *env)
{
	s->tenant = "alice";
	s->app = "web";
	s->image = BASE_IMAGE;
	s->port = 8080;
	s->replicas = 2;
	s->env = env;
}

/* ---- app base ---- */

Test(manifest, app_base_renders_deployment_service_kustomization)
{
	mech_buf d = MECH_BUF_INIT, s = MECH_BUF_INIT, k = MECH_BUF_INIT;
	mech_strv env = MECH_STRV_INIT;
	mech_app_spec spec;
	mech_yaml *dep, *svc, *kus;
	const mech_yaml *c, *envs;

	mech_strv_push(&env, "LOG_LEVEL=debug");
	mech_strv_push(&env, "FEATURE=true");
	mech_strv_push(&env, "URL=postgres://db:5432/app?x=1");
	mech_strv_push(&env, "LOG_LEVEL=info");
	mech_strv_push(&env, "EMPTY=");
	app_spec(&spec, &env);
	cr_assert_eq(mech_manifest_app_base(&spec, &d, &s, &k), 0, "%s", mech_error_last()->message);
	dep = parse(&d);
	svc = parse(&s);
	kus = parse(&k);

	expect_text(dep, "apiVersion", "apps/v1");
	expect_text(dep, "kind", "Deployment");
	expect_text(dep, "metadata.name", "web");
	cr_assert_str_eq(label(dep, "metadata.labels", "app.kubernetes.io/managed-by"), "mech");
	cr_assert_str_eq(label(dep, "metadata.labels", "app.kubernetes.io/name"), "web");
	cr_assert_str_eq(label(dep, "metadata.labels", "app.kubernetes.io/part-of"), "alice");
	expect_text(dep, "spec.replicas", "2");
	cr_assert_str_eq(label(dep, "spec.selector.matchLabels", "app.kubernetes.io/name"), "web");
	cr_assert_str_eq(label(dep, "spec.template.metadata.labels", "app.kubernetes.io/name"),
			 "web");
	c = item(mech_yaml_path(dep, "spec.template.spec.containers"), 0);
	expect_text(c, "name", "web");
	expect_text(c, "image", BASE_IMAGE);
	expect_text(item(mech_yaml_get(c, "ports"), 0), "containerPort", "8080");
	/* given order kept; the repeated LOG_LEVEL replaced the first in place */
	envs = mech_yaml_get(c, "env");
	cr_assert_eq(envs->len, 4);
	expect_text(item(envs, 0), "name", "LOG_LEVEL");
	expect_text(item(envs, 0), "value", "info");
	expect_text(item(envs, 1), "name", "FEATURE");
	expect_text(item(envs, 1), "value", "true");
	cr_assert_eq(mech_yaml_get(item(envs, 1), "value")->type, MECH_YAML_STR,
		     "\"true\" must stay a string or the API server refuses it");
	expect_text(item(envs, 2), "value", "postgres://db:5432/app?x=1");
	expect_text(item(envs, 3), "name", "EMPTY");
	expect_text(item(envs, 3), "value", "");

	expect_text(svc, "apiVersion", "v1");
	expect_text(svc, "kind", "Service");
	expect_text(svc, "metadata.name", "web");
	cr_assert_str_eq(label(svc, "metadata.labels", "app.kubernetes.io/managed-by"), "mech");
	cr_assert_str_eq(label(svc, "spec.selector", "app.kubernetes.io/name"), "web");
	expect_text(item(mech_yaml_path(svc, "spec.ports"), 0), "port", "80");
	expect_text(item(mech_yaml_path(svc, "spec.ports"), 0), "targetPort", "8080");

	expect_text(kus, "kind", "Kustomization");
	cr_assert_str_eq(mech_yaml_text(item(mech_yaml_get(kus, "resources"), 0)),
			 "deployment.yaml");
	cr_assert_str_eq(mech_yaml_text(item(mech_yaml_get(kus, "resources"), 1)), "service.yaml");

	mech_yaml_free(dep);
	mech_yaml_free(svc);
	mech_yaml_free(kus);
	mech_buf_dispose(&d);
	mech_buf_dispose(&s);
	mech_buf_dispose(&k);
	mech_strv_dispose(&env);
}

Test(manifest, app_base_without_env_has_no_env_key)
{
	mech_buf d = MECH_BUF_INIT, s = MECH_BUF_INIT, k = MECH_BUF_INIT;
	mech_app_spec spec;
	mech_yaml *dep;
	app_spec(&spec, NULL);
	spec.replicas = 0;
	cr_assert_eq(mech_manifest_app_base(&spec, &d, &s, &k), 0);
	dep = parse(&d);
	cr_assert_null(mech_yaml_get(item(mech_yaml_path(dep, "spec.template.spec.containers"), 0),
				     "env"));
	expect_text(dep, "spec.replicas", "0");
	mech_yaml_free(dep);
	mech_buf_dispose(&d);
	mech_buf_dispose(&s);
	mech_buf_dispose(&k);
}

Test(manifest, app_base_refuses_bad_input_and_keeps_buffers)
{
	mech_buf d = MECH_BUF_INIT, s = MECH_BUF_INIT, k = MECH_BUF_INIT;
	mech_strv env = MECH_STRV_INIT;
	mech_app_spec spec;

	mech_buf_puts(&d, "keep");
	mech_buf_puts(&s, "keep");
	mech_buf_puts(&k, "keep");
	app_spec(&spec, NULL);
	spec.port = 0;
	cr_assert_eq(mech_manifest_app_base(&spec, &d, &s, &k), -1);
	expect_error("1-65535");
	spec.port = 65536;
	cr_assert_eq(mech_manifest_app_base(&spec, &d, &s, &k), -1);
	spec.port = 80;
	spec.replicas = -1;
	cr_assert_eq(mech_manifest_app_base(&spec, &d, &s, &k), -1);
	expect_error("replicas");
	spec.replicas = 1;
	spec.image = "Web:1";
	cr_assert_eq(mech_manifest_app_base(&spec, &d, &s, &k), -1);
	expect_error("lower case");
	spec.image = BASE_IMAGE;
	spec.app = "Web";
	cr_assert_eq(mech_manifest_app_base(&spec, &d, &s, &k), -1);
	expect_error("app name");
	spec.app = NULL;
	cr_assert_eq(mech_manifest_app_base(&spec, &d, &s, &k), -1);
	expect_error("missing");
	spec.app = "web";
	spec.tenant = "al ice";
	cr_assert_eq(mech_manifest_app_base(&spec, &d, &s, &k), -1);
	expect_error("tenant name");
	spec.tenant = "alice";
	mech_strv_push(&env, "NOEQUALS");
	spec.env = &env;
	cr_assert_eq(mech_manifest_app_base(&spec, &d, &s, &k), -1);
	expect_error("KEY=VALUE");
	cr_assert_eq(mech_manifest_app_base(NULL, &d, &s, &k), -1);

	cr_assert_str_eq(mech_buf_cstr(&d), "keep");
	cr_assert_str_eq(mech_buf_cstr(&s), "keep");
	cr_assert_str_eq(mech_buf_cstr(&k), "keep");
	mech_buf_dispose(&d);
	mech_buf_dispose(&s);
	mech_buf_dispose(&k);
	mech_strv_dispose(&env);
}

Test(manifest, output_replaces_previous_buffer_contents)
{
	mech_buf out = MECH_BUF_INIT;
	mech_buf_puts(&out, "old content\n");
	cr_assert_eq(mech_manifest_seed_project(&seed, &out), 0);
	cr_assert(strncmp(mech_buf_cstr(&out), "apiVersion:", 11) == 0, "%s", mech_buf_cstr(&out));
	mech_buf_dispose(&out);
}

/* ---- overlays ---- */

static mech_yaml *overlay_doc(const char *instance, const char *image, mech_buf *out)
{
	mech_overlay_spec o = {"alice", "web", instance, BASE_IMAGE, image};
	int rc = mech_manifest_overlay(&o, out);
	cr_assert_eq(rc, 0, "%s", rc ? mech_error_last()->message : "");
	return parse(out);
}

Test(manifest, overlay_sets_suffix_labels_and_image)
{
	mech_buf b = MECH_BUF_INIT;
	mech_yaml *doc = overlay_doc("staging", REPO ":2.0", &b);
	const mech_yaml *lab, *img;

	expect_text(doc, "kind", "Kustomization");
	cr_assert_str_eq(mech_yaml_text(item(mech_yaml_get(doc, "resources"), 0)), "../../base");
	expect_text(doc, "nameSuffix", "--staging");
	lab = item(mech_yaml_get(doc, "labels"), 0);
	/* mech's own key: Argo CD's label tracking overwrites app.kubernetes.io/instance */
	cr_assert_str_eq(label(lab, "pairs", "mech.dev/instance"), "staging");
	cr_assert_null(strstr(mech_buf_cstr(&b), "app.kubernetes.io/instance"), "%s",
		       mech_buf_cstr(&b));
	expect_text(lab, "includeSelectors", "true");
	img = item(mech_yaml_get(doc, "images"), 0);
	expect_text(img, "name", REPO);
	expect_text(img, "newTag", "2.0");
	cr_assert_eq(mech_yaml_get(img, "newTag")->type, MECH_YAML_STR,
		     "a numeric-looking tag must be quoted for kustomize");
	cr_assert_null(mech_yaml_get(img, "newName"), "same repository needs no newName");
	cr_assert_null(mech_yaml_get(img, "digest"));
	mech_yaml_free(doc);
	mech_buf_dispose(&b);
}

Test(manifest, overlay_image_entry_forms)
{
	mech_buf b = MECH_BUF_INIT;
	mech_yaml *doc;
	const mech_yaml *img;

	doc = overlay_doc("main", "ghcr.io/alice/other:7", &b);
	img = item(mech_yaml_get(doc, "images"), 0);
	expect_text(img, "name", REPO);
	expect_text(img, "newName", "ghcr.io/alice/other");
	expect_text(img, "newTag", "7");
	mech_yaml_free(doc);

	doc = overlay_doc("main", REPO "@" DIGEST, &b);
	img = item(mech_yaml_get(doc, "images"), 0);
	expect_text(img, "digest", DIGEST);
	cr_assert_null(mech_yaml_get(img, "newTag"));
	mech_yaml_free(doc);

	doc = overlay_doc("main", REPO ":2@" DIGEST, &b);
	img = item(mech_yaml_get(doc, "images"), 0);
	expect_text(img, "newTag", "2");
	expect_text(img, "digest", DIGEST);
	mech_yaml_free(doc);

	/* no tag, no digest: latest, spelled out so the base tag does not stay */
	doc = overlay_doc("main", REPO, &b);
	img = item(mech_yaml_get(doc, "images"), 0);
	expect_text(img, "newTag", "latest");
	mech_yaml_free(doc);
	mech_buf_dispose(&b);
}

Test(manifest, overlay_refuses_bad_input)
{
	mech_buf b = MECH_BUF_INIT;
	mech_overlay_spec o = {"alice", "web", "Main", BASE_IMAGE, BASE_IMAGE};
	cr_assert_eq(mech_manifest_overlay(&o, &b), -1);
	expect_error("instance name");
	o.instance = "main";
	o.image = "web:;rm";
	cr_assert_eq(mech_manifest_overlay(&o, &b), -1);
	expect_error("invalid image reference");
	o.image = BASE_IMAGE;
	o.base_image = NULL;
	cr_assert_eq(mech_manifest_overlay(&o, &b), -1);
	cr_assert_eq(mech_manifest_overlay(NULL, &b), -1);
	cr_assert_eq(b.len, 0);
	mech_buf_dispose(&b);
}

static char *effective(const char *yaml, const char *base)
{
	char *img = NULL;
	int rc = mech_manifest_overlay_image(yaml, strlen(yaml), base, &img);
	cr_assert_eq(rc, 0, "%s", rc ? mech_error_last()->message : "");
	return img;
}

Test(manifest, overlay_image_reads_back_what_was_written)
{
	static const char *const images[] = {
		REPO ":2.0", REPO "@" DIGEST, REPO ":2@" DIGEST, "ghcr.io/alice/other:7", "nginx",
	};
	size_t i;
	for (i = 0; i < sizeof(images) / sizeof(images[0]); i++) {
		mech_buf b = MECH_BUF_INIT;
		mech_overlay_spec o = {"alice", "web", "main", BASE_IMAGE, images[i]};
		char *got;
		cr_assert_eq(mech_manifest_overlay(&o, &b), 0);
		got = effective(mech_buf_cstr(&b), BASE_IMAGE);
		if (!strcmp(images[i], "nginx"))
			cr_assert_str_eq(got, "nginx:latest");
		else
			cr_assert_str_eq(got, images[i]);
		free(got);
		mech_buf_dispose(&b);
	}
}

Test(manifest, overlay_image_of_hand_edited_overlays)
{
	char *got;
	const char *no_images = "apiVersion: kustomize.config.k8s.io/v1beta1\n"
				"kind: Kustomization\nresources: [../../base]\n";
	const char *other = "kind: Kustomization\nimages:\n- name: nginx\n  newTag: \"9\"\n";
	/* a human wrote the tag unquoted and kept the base digest in a digest-only edit */
	const char *numeric = "kind: Kustomization\nimages:\n"
			      "- name: " REPO "\n  newTag: 3\n";
	const char *digest_only = "kind: Kustomization\nimages:\n"
				  "- name: " REPO "\n  digest: " DIGEST "\n";
	const char *rename_only = "kind: Kustomization\nimages:\n"
				  "- name: " REPO "\n  newName: ghcr.io/x/y\n";

	got = effective(no_images, BASE_IMAGE);
	cr_assert_str_eq(got, BASE_IMAGE);
	free(got);
	got = effective(other, BASE_IMAGE);
	cr_assert_str_eq(got, BASE_IMAGE);
	free(got);
	got = effective(numeric, BASE_IMAGE);
	cr_assert_str_eq(got, REPO ":3");
	free(got);
	got = effective(digest_only, BASE_IMAGE);
	cr_assert_str_eq(got, REPO "@" DIGEST, "kustomize drops the old tag when a digest is set");
	free(got);
	got = effective(rename_only, BASE_IMAGE);
	cr_assert_str_eq(got, "ghcr.io/x/y:1.0", "a rename keeps the base tag");
	free(got);
}

Test(manifest, overlay_image_refuses_broken_overlays)
{
	char *img = (char *)"untouched";
	const char *list = "images: {name: x}\n";
	const char *broken = "images: [\n";
	const char *bad_tag = "images:\n- name: " REPO "\n  newTag: \"a b\"\n";
	cr_assert_eq(mech_manifest_overlay_image(list, strlen(list), BASE_IMAGE, &img), -1);
	expect_error("images must be a list");
	cr_assert_null(img);
	cr_assert_eq(mech_manifest_overlay_image(broken, strlen(broken), BASE_IMAGE, &img), -1);
	cr_assert_eq(mech_manifest_overlay_image("- a\n", 4, BASE_IMAGE, &img), -1);
	expect_error("mapping");
	cr_assert_eq(mech_manifest_overlay_image(bad_tag, strlen(bad_tag), BASE_IMAGE, &img), -1);
	expect_error("invalid image reference");
	cr_assert_eq(mech_manifest_overlay_image(NULL, 0, BASE_IMAGE, &img), -1);
}

static const char hand_edited[] = "apiVersion: kustomize.config.k8s.io/v1beta1\n"
				  "kind: Kustomization\n"
				  "resources:\n"
				  "- ../../base\n"
				  "- extra-configmap.yaml\n"
				  "nameSuffix: --main\n"
				  "labels:\n"
				  "- pairs:\n"
				  "    app.kubernetes.io/instance: web--main\n"
				  "  includeSelectors: true\n"
				  "images:\n"
				  "- name: " REPO "\n"
				  "  newTag: \"1.0\"\n"
				  "- name: busybox\n"
				  "  newTag: \"1.36\"\n"
				  "patches:\n"
				  "- target:\n"
				  "    kind: Deployment\n"
				  "    name: web--main\n"
				  "  patch: |-\n"
				  "    - op: replace\n"
				  "      path: /spec/replicas\n"
				  "      value: 5\n"
				  "replicas:\n"
				  "- name: web\n"
				  "  count: 3\n";

/* The same overlay as mech wrote it before "--" separated names. */
static const char legacy_edited[] = "apiVersion: kustomize.config.k8s.io/v1beta1\n"
				    "kind: Kustomization\n"
				    "resources:\n"
				    "- ../../base\n"
				    "- extra-configmap.yaml\n"
				    "nameSuffix: -main\n"
				    "labels:\n"
				    "- pairs:\n"
				    "    app.kubernetes.io/instance: web-main\n"
				    "  includeSelectors: true\n"
				    "images:\n"
				    "- name: " REPO "\n"
				    "  newTag: \"1.0\"\n"
				    "- name: busybox\n"
				    "  newTag: \"1.36\"\n"
				    "patches:\n"
				    "- target:\n"
				    "    kind: Deployment\n"
				    "    name: web-main\n"
				    "  patch: |-\n"
				    "    - op: replace\n"
				    "      path: /spec/replicas\n"
				    "      value: 5\n"
				    "replicas:\n"
				    "- name: web\n"
				    "  count: 3\n";

Test(manifest, set_image_changes_only_the_image_entry)
{
	mech_buf out = MECH_BUF_INIT;
	mech_yaml *doc, *orig;
	const mech_yaml *images;
	char *got;
	size_t i;

	cr_assert_eq(mech_manifest_overlay_set_image(hand_edited, strlen(hand_edited), BASE_IMAGE,
						     REPO ":2.5", &out),
		     0, "%s", mech_error_last()->message);
	doc = parse(&out);
	cr_assert_eq(mech_yaml_parse(&orig, hand_edited, strlen(hand_edited), "orig", NULL), 0);
	/* the human's keys are all still there, in their order */
	cr_assert_eq(doc->len, orig->len);
	for (i = 0; i < doc->len; i++)
		cr_assert_str_eq(doc->keys[i], orig->keys[i]);
	expect_text(item(mech_yaml_get(doc, "patches"), 0), "target.name", "web--main");
	/* an existing Deployment's selector cannot change: the older instance label stays */
	cr_assert_str_eq(label(item(mech_yaml_get(doc, "labels"), 0), "pairs",
			       "app.kubernetes.io/instance"),
			 "web--main");
	cr_assert_null(strstr(mech_buf_cstr(&out), "mech.dev/instance"), "%s", mech_buf_cstr(&out));
	cr_assert(strstr(text(item(mech_yaml_get(doc, "patches"), 0), "patch"), "/spec/replicas"));
	expect_text(item(mech_yaml_get(doc, "replicas"), 0), "count", "3");
	cr_assert_str_eq(mech_yaml_text(item(mech_yaml_get(doc, "resources"), 1)),
			 "extra-configmap.yaml");
	images = mech_yaml_get(doc, "images");
	cr_assert_eq(images->len, 2);
	expect_text(item(images, 0), "newTag", "2.5");
	expect_text(item(images, 1), "name", "busybox");
	expect_text(item(images, 1), "newTag", "1.36");

	got = effective(mech_buf_cstr(&out), BASE_IMAGE);
	cr_assert_str_eq(got, REPO ":2.5");
	free(got);
	mech_yaml_free(doc);
	mech_yaml_free(orig);
	mech_buf_dispose(&out);
}

Test(manifest, set_image_adds_a_missing_entry_and_is_idempotent)
{
	const char *plain = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
			    "resources:\n- ../../base\nnameSuffix: --main\n";
	mech_buf a = MECH_BUF_INIT, b = MECH_BUF_INIT;
	char *got;
	cr_assert_eq(mech_manifest_overlay_set_image(plain, strlen(plain), BASE_IMAGE,
						     REPO "@" DIGEST, &a),
		     0);
	got = effective(mech_buf_cstr(&a), BASE_IMAGE);
	cr_assert_str_eq(got, REPO "@" DIGEST);
	free(got);
	cr_assert_eq(mech_manifest_overlay_set_image(a.ptr, a.len, BASE_IMAGE, REPO "@" DIGEST, &b),
		     0);
	cr_assert_str_eq(mech_buf_cstr(&a), mech_buf_cstr(&b),
			 "a second identical write changes bytes");
	mech_buf_dispose(&a);
	mech_buf_dispose(&b);
}

Test(manifest, set_image_on_a_generated_overlay_equals_a_fresh_render)
{
	mech_buf first = MECH_BUF_INIT, edited = MECH_BUF_INIT, fresh = MECH_BUF_INIT;
	mech_yaml *doc = overlay_doc("main", REPO ":1.1", &first);
	mech_yaml_free(doc);
	cr_assert_eq(mech_manifest_overlay_set_image(first.ptr, first.len, BASE_IMAGE, REPO ":1.2",
						     &edited),
		     0);
	mech_yaml_free(overlay_doc("main", REPO ":1.2", &fresh));
	cr_assert_str_eq(mech_buf_cstr(&edited), mech_buf_cstr(&fresh),
			 "set-image leaves a diff beyond the image line");
	mech_buf_dispose(&first);
	mech_buf_dispose(&edited);
	mech_buf_dispose(&fresh);
}

Test(manifest, set_image_refuses_bad_input)
{
	mech_buf out = MECH_BUF_INIT;
	const char *svc = "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n";
	mech_buf_puts(&out, "keep");
	cr_assert_eq(mech_manifest_overlay_set_image(hand_edited, strlen(hand_edited), BASE_IMAGE,
						     "bad image", &out),
		     -1);
	expect_error("invalid image reference");
	cr_assert_eq(mech_manifest_overlay_set_image(svc, strlen(svc), BASE_IMAGE, BASE_IMAGE, &out),
		     -1);
	expect_error("Kustomization");
	cr_assert_eq(mech_manifest_overlay_set_image("a: [", 4, BASE_IMAGE, BASE_IMAGE, &out), -1);
	cr_assert_str_eq(mech_buf_cstr(&out), "keep");
	mech_buf_dispose(&out);
}

Test(manifest, overlay_copy_switches_instance_and_keeps_patches)
{
	static const char *const from[] = {hand_edited, legacy_edited};
	size_t k;
	for (k = 0; k < 2; k++) {
		mech_buf out = MECH_BUF_INIT;
		mech_yaml *doc;
		char *got;

		cr_assert_eq(mech_manifest_overlay_copy(from[k], strlen(from[k]), "web", "main",
							"canary", &out),
			     0, "%s", mech_error_last()->message);
		doc = parse(&out);
		expect_text(doc, "nameSuffix", "--canary");
		/* a new Deployment: its selector takes mech's label instead of Argo CD's */
		cr_assert_str_eq(label(item(mech_yaml_get(doc, "labels"), 0), "pairs",
				       "mech.dev/instance"),
				 "canary");
		cr_assert_null(strstr(mech_buf_cstr(&out), "app.kubernetes.io/instance"), "%s",
			       mech_buf_cstr(&out));
		/* the hand-made patch follows the instance, from today's names or the old */
		expect_text(item(mech_yaml_get(doc, "patches"), 0), "target.name", "web--canary");
		expect_text(item(mech_yaml_get(doc, "replicas"), 0), "name", "web");
		cr_assert_eq(mech_yaml_get(doc, "images")->len, 2);
		got = effective(mech_buf_cstr(&out), BASE_IMAGE);
		cr_assert_str_eq(got, BASE_IMAGE, "the copy runs the same image");
		free(got);
		cr_assert_null(strstr(mech_buf_cstr(&out), "web-main"), "%s", mech_buf_cstr(&out));
		cr_assert_null(strstr(mech_buf_cstr(&out), "web--main"), "%s", mech_buf_cstr(&out));
		mech_yaml_free(doc);
		mech_buf_dispose(&out);
	}
}

/* docs/formats.md "Names": an old overlay and its route move to "--" on mech's next write. */
Test(manifest, legacy_names_are_renamed_once)
{
	static const char route[] = "apiVersion: gateway.networking.k8s.io/v1\n"
				    "kind: HTTPRoute\n"
				    "metadata:\n"
				    "  name: web-main\n"
				    "  labels:\n"
				    "    app.kubernetes.io/instance: web-main\n"
				    "spec:\n"
				    "  rules:\n"
				    "  - backendRefs:\n"
				    "    - name: web-main\n"
				    "      port: 80\n";
	static const char own_suffix[] = "kind: Kustomization\nnameSuffix: -prod\n"
					 "patches:\n- target: {name: web-main}\n";
	mech_buf out = MECH_BUF_INIT, again = MECH_BUF_INIT;
	mech_yaml *doc;

	cr_assert_eq(mech_manifest_rename_legacy(legacy_edited, strlen(legacy_edited), "overlay",
						 "web", "main", &out),
		     1, "%s", mech_error_last()->message);
	doc = parse(&out);
	expect_text(doc, "nameSuffix", "--main");
	/* renamed objects are new objects: the selector takes mech's label */
	cr_assert_str_eq(label(item(mech_yaml_get(doc, "labels"), 0), "pairs", "mech.dev/instance"),
			 "main");
	cr_assert_null(strstr(mech_buf_cstr(&out), "app.kubernetes.io/instance"), "%s",
		       mech_buf_cstr(&out));
	expect_text(item(mech_yaml_get(doc, "patches"), 0), "target.name", "web--main");
	mech_yaml_free(doc);
	/* today's names: nothing to do, nothing written */
	cr_assert_eq(mech_manifest_rename_legacy(out.ptr, out.len, "overlay", "web", "main", &again),
		     0);
	cr_assert_eq(again.len, 0);
	cr_assert_eq(mech_manifest_rename_legacy(hand_edited, strlen(hand_edited), "overlay", "web",
						 "main", &again),
		     0);
	/* a suffix of the human's own: the human names the objects */
	cr_assert_eq(mech_manifest_rename_legacy(own_suffix, strlen(own_suffix), "overlay", "web",
						 "main", &again),
		     0);
	mech_buf_clear(&out);
	cr_assert_eq(mech_manifest_rename_legacy(route, strlen(route), "route", "web", "main", &out),
		     1);
	cr_assert_null(strstr(mech_buf_cstr(&out), "web-main"), "%s", mech_buf_cstr(&out));
	doc = parse(&out);
	expect_text(doc, "metadata.name", "web--main");
	cr_assert_str_eq(label(doc, "metadata.labels", "mech.dev/instance"), "main");
	cr_assert_null(label(doc, "metadata.labels", "app.kubernetes.io/instance"));
	mech_yaml_free(doc);
	mech_buf_dispose(&out);
	mech_buf_dispose(&again);
}

Test(manifest, overlay_copy_adds_missing_instance_label)
{
	const char *bare = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
			   "resources:\n- ../../base\ncommonLabels:\n  team: blue\n";
	mech_buf out = MECH_BUF_INIT;
	mech_yaml *doc;
	cr_assert_eq(mech_manifest_overlay_copy(bare, strlen(bare), "web", "main", "qa", &out), 0);
	doc = parse(&out);
	expect_text(doc, "nameSuffix", "--qa");
	expect_text(doc, "commonLabels.team", "blue");
	cr_assert_str_eq(label(item(mech_yaml_get(doc, "labels"), 0), "pairs", "mech.dev/instance"),
			 "qa");
	mech_yaml_free(doc);
	mech_buf_dispose(&out);
}

Test(manifest, overlay_copy_refuses_bad_input)
{
	mech_buf out = MECH_BUF_INIT;
	const char *cluster = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\n";
	const char *labels_map = "kind: Kustomization\nlabels: {a: b}\n";
	cr_assert_eq(mech_manifest_overlay_copy(hand_edited, strlen(hand_edited), "web", "main",
						"Canary", &out),
		     -1);
	expect_error("instance name");
	cr_assert_eq(mech_manifest_overlay_copy(cluster, strlen(cluster), "web", "main", "qa", &out),
		     -1);
	expect_error("Kustomization");
	cr_assert_eq(mech_manifest_overlay_copy(labels_map, strlen(labels_map), "web", "main", "qa",
						&out),
		     -1);
	expect_error("labels must be a list");
	cr_assert_eq(out.len, 0);
	mech_buf_dispose(&out);
}

/* ---- routes ---- */

static mech_route_spec route_spec(void)
{
	mech_route_spec r = {"alice", "web",  "main",        "web.alice.apps.localhost",
			     "/",     "mech", "mech-gateway"};
	return r;
}

Test(manifest, route_is_an_httproute_to_the_instance_service)
{
	mech_buf b = MECH_BUF_INIT;
	mech_route_spec r = route_spec();
	mech_yaml *doc;
	const mech_yaml *rule, *parent, *backend;

	r.instance = "staging";
	r.host = "web--staging.alice.apps.localhost";
	r.path = "/api";
	cr_assert_eq(mech_manifest_route(&r, &b), 0, "%s", mech_error_last()->message);
	doc = parse(&b);
	expect_text(doc, "apiVersion", "gateway.networking.k8s.io/v1");
	expect_text(doc, "kind", "HTTPRoute");
	expect_text(doc, "metadata.name", "web--staging");
	cr_assert_str_eq(label(doc, "metadata.labels", "app.kubernetes.io/managed-by"), "mech");
	cr_assert_str_eq(label(doc, "metadata.labels", "mech.dev/instance"), "staging");
	cr_assert_null(label(doc, "metadata.labels", "app.kubernetes.io/instance"));
	parent = item(mech_yaml_path(doc, "spec.parentRefs"), 0);
	expect_text(parent, "name", "mech");
	expect_text(parent, "namespace", "mech-gateway");
	cr_assert_str_eq(mech_yaml_text(item(mech_yaml_path(doc, "spec.hostnames"), 0)),
			 "web--staging.alice.apps.localhost");
	rule = item(mech_yaml_path(doc, "spec.rules"), 0);
	expect_text(item(mech_yaml_get(rule, "matches"), 0), "path.type", "PathPrefix");
	expect_text(item(mech_yaml_get(rule, "matches"), 0), "path.value", "/api");
	backend = item(mech_yaml_get(rule, "backendRefs"), 0);
	expect_text(backend, "name", "web--staging");
	expect_text(backend, "port", "80");
	mech_yaml_free(doc);
	mech_buf_dispose(&b);
}

Test(manifest, route_refuses_bad_hosts_and_paths)
{
	static const char *const bad_paths[] = {"",     "api",  "/a//b",   "/a/../b", "/a#frag",
						"/a b", "/x/.", "/%2fetc", "/a\nb",   "/100%"};
	static const char *const bad_hosts[] = {"",
						"Web.example.com",
						"web..example.com",
						"-web.example.com",
						"web.example.com.",
						"web_x.io",
						"web.example.com:80"};
	mech_buf b = MECH_BUF_INIT;
	size_t i;
	for (i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		mech_route_spec r = route_spec();
		r.path = bad_paths[i];
		cr_assert_eq(mech_manifest_route(&r, &b), -1, "accepted path \"%s\"", bad_paths[i]);
		expect_error("path");
	}
	for (i = 0; i < sizeof(bad_hosts) / sizeof(bad_hosts[0]); i++) {
		mech_route_spec r = route_spec();
		r.host = bad_hosts[i];
		cr_assert_eq(mech_manifest_route(&r, &b), -1, "accepted host \"%s\"", bad_hosts[i]);
		expect_error("host");
	}
	{
		mech_route_spec r = route_spec();
		r.gateway_namespace = "Mech";
		cr_assert_eq(mech_manifest_route(&r, &b), -1);
		expect_error("gateway namespace");
		r = route_spec();
		r.path = "/a-b/c_d.e~f%20g";
		cr_assert_eq(mech_manifest_route(&r, &b), 0, "%s", mech_error_last()->message);
	}
	mech_buf_dispose(&b);
}

/* ---- postgres ---- */

static const mech_postgres_spec pg = {"alice", "db", 17, "1Gi", "512Mi"};

Test(manifest, postgres_is_a_cnpg_cluster_without_secrets)
{
	mech_buf b = MECH_BUF_INIT;
	mech_yaml *doc;
	cr_assert_eq(mech_manifest_postgres(&pg, &b), 0, "%s", mech_error_last()->message);
	doc = parse(&b);
	expect_text(doc, "apiVersion", "postgresql.cnpg.io/v1");
	expect_text(doc, "kind", "Cluster");
	expect_text(doc, "metadata.name", "db");
	cr_assert_str_eq(label(doc, "metadata.labels", "app.kubernetes.io/managed-by"), "mech");
	expect_text(doc, "spec.instances", "1");
	/* the standard flavour at a pinned minor: not the deprecated system images */
	expect_text(doc, "spec.imageName", "ghcr.io/cloudnative-pg/postgresql:17.8-standard-trixie");
	expect_text(doc, "spec.storage.size", "1Gi");
	expect_text(doc, "spec.resources.requests.memory", "512Mi");
	expect_text(doc, "spec.resources.limits.memory", "512Mi");
	expect_text(doc, "spec.bootstrap.initdb.database", "app");
	expect_text(doc, "spec.bootstrap.initdb.owner", "app");
	cr_assert_null(mech_yaml_path(doc, "spec.bootstrap.initdb.secret"));
	cr_assert_null(strstr(mech_buf_cstr(&b), "password"));
	cr_assert_null(strstr(mech_buf_cstr(&b), "ecret"));
	mech_yaml_free(doc);
	mech_buf_dispose(&b);
}

/* Every major version mech accepts pins a minor of the standard flavour. */
Test(manifest, postgres_images_are_pinned_standard)
{
	int v;
	for (v = 14; v <= 18; v++) {
		char *img = mech_manifest_postgres_image(v), want[64], *tag;
		mech_image parsed = MECH_IMAGE_INIT;
		cr_assert_not_null(img, "version %d: %s", v, mech_error_last()->message);
		cr_assert_eq(mech_image_parse(img, &parsed), 0, "%s", img);
		cr_assert_str_eq(parsed.repository, "ghcr.io/cloudnative-pg/postgresql");
		tag = parsed.tag;
		snprintf(want, sizeof(want), "%d.", v);
		cr_assert_eq(strncmp(tag, want, strlen(want)), 0, "%s: no pinned %d.x minor", img,
			     v);
		cr_assert(strspn(tag + strlen(want), "0123456789") > 0, "%s", img);
		cr_assert_not_null(strstr(tag, "-standard-"), "%s", img);
		cr_assert_null(strstr(tag, "system"), "%s", img);
		mech_image_dispose(&parsed);
		free(img);
	}
	cr_assert_null(mech_manifest_postgres_image(13));
	expect_error("postgres version 13");
	cr_assert_null(mech_manifest_postgres_image(19));
}

Test(manifest, postgres_refuses_bad_input)
{
	mech_buf b = MECH_BUF_INIT;
	mech_postgres_spec s = pg;
	s.version = 12;
	cr_assert_eq(mech_manifest_postgres(&s, &b), -1);
	expect_error("postgres version 12");
	s.version = 19;
	cr_assert_eq(mech_manifest_postgres(&s, &b), -1);
	s = pg;
	s.storage = "1GB";
	cr_assert_eq(mech_manifest_postgres(&s, &b), -1);
	expect_error("invalid size \"1GB\"");
	s = pg;
	s.memory = "0";
	cr_assert_eq(mech_manifest_postgres(&s, &b), -1);
	expect_error("greater than zero");
	s = pg;
	s.memory = NULL;
	cr_assert_eq(mech_manifest_postgres(&s, &b), -1);
	expect_error("memory is missing");
	s = pg;
	s.name = "my_db";
	cr_assert_eq(mech_manifest_postgres(&s, &b), -1);
	expect_error("addon name");
	cr_assert_eq(b.len, 0);
	mech_buf_dispose(&b);
}

Test(manifest, postgres_set_memory_keeps_other_keys)
{
	const char *edited = "apiVersion: postgresql.cnpg.io/v1\n"
			     "kind: Cluster\n"
			     "metadata:\n  name: db\n"
			     "spec:\n"
			     "  instances: 3\n"
			     "  postgresql:\n    parameters:\n      max_connections: \"200\"\n"
			     "  resources:\n    requests:\n      memory: 512Mi\n      cpu: 250m\n"
			     "  storage:\n    size: 5Gi\n";
	mech_buf out = MECH_BUF_INIT;
	mech_yaml *doc;
	cr_assert_eq(mech_manifest_postgres_set_memory(edited, strlen(edited), "1Gi", &out), 0,
		     "%s", mech_error_last()->message);
	doc = parse(&out);
	expect_text(doc, "spec.resources.requests.memory", "1Gi");
	expect_text(doc, "spec.resources.limits.memory", "1Gi");
	expect_text(doc, "spec.resources.requests.cpu", "250m");
	expect_text(doc, "spec.instances", "3");
	expect_text(doc, "spec.storage.size", "5Gi");
	cr_assert_eq(mech_yaml_path(doc, "spec.postgresql.parameters.max_connections")->type,
		     MECH_YAML_STR);
	mech_yaml_free(doc);
	mech_buf_dispose(&out);
}

Test(manifest, postgres_set_memory_refuses_bad_input)
{
	mech_buf out = MECH_BUF_INIT;
	const char *deploy = "apiVersion: apps/v1\nkind: Deployment\nspec: {}\n";
	const char *nospec = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\n";
	const char *badres = "kind: Cluster\nspec:\n  resources: [1]\n";
	cr_assert_eq(mech_manifest_postgres_set_memory(deploy, strlen(deploy), "1Gi", &out), -1);
	expect_error("expected kind Cluster");
	cr_assert_eq(mech_manifest_postgres_set_memory(nospec, strlen(nospec), "1Gi", &out), -1);
	expect_error("spec");
	cr_assert_eq(mech_manifest_postgres_set_memory(badres, strlen(badres), "1Gi", &out), -1);
	expect_error("resources");
	cr_assert_eq(mech_manifest_postgres_set_memory(deploy, strlen(deploy), "lots", &out), -1);
	expect_error("invalid size");
	cr_assert_eq(out.len, 0);
	mech_buf_dispose(&out);
}

/* ---- seed ---- */

Test(manifest, seed_project_limits_sources_and_destinations)
{
	mech_buf b = MECH_BUF_INIT;
	mech_yaml *doc;
	const mech_yaml *dest, *allow;
	cr_assert_eq(mech_manifest_seed_project(&seed, &b), 0);
	doc = parse(&b);
	expect_text(doc, "kind", "AppProject");
	expect_text(doc, "metadata.name", "alice");
	expect_text(doc, "metadata.namespace", "argocd");
	cr_assert_str_eq(label(doc, "metadata.labels", "app.kubernetes.io/managed-by"), "mech");
	cr_assert_eq(mech_yaml_path(doc, "spec.sourceRepos")->len, 1);
	cr_assert_str_eq(mech_yaml_text(item(mech_yaml_path(doc, "spec.sourceRepos"), 0)),
			 seed.repo_url);
	cr_assert_eq(mech_yaml_path(doc, "spec.destinations")->len, 1);
	dest = item(mech_yaml_path(doc, "spec.destinations"), 0);
	expect_text(dest, "namespace", "x-alice");
	expect_text(dest, "server", "https://kubernetes.default.svc");
	/* cluster scope: only the tenant's namespace, nothing else */
	cr_assert_eq(mech_yaml_path(doc, "spec.clusterResourceWhitelist")->len, 1);
	allow = item(mech_yaml_path(doc, "spec.clusterResourceWhitelist"), 0);
	expect_text(allow, "kind", "Namespace");
	expect_text(allow, "name", "x-alice");
	mech_yaml_free(doc);
	mech_buf_dispose(&b);
}

Test(manifest, seed_appset_generates_one_app_per_overlay)
{
	mech_buf b = MECH_BUF_INIT;
	mech_yaml *doc;
	const mech_yaml *git, *t;
	cr_assert_eq(mech_manifest_seed_appset(&seed, &b), 0);
	doc = parse(&b);
	expect_text(doc, "kind", "ApplicationSet");
	expect_text(doc, "metadata.name", "alice--apps");
	expect_text(doc, "metadata.namespace", "argocd");
	expect_text(doc, "spec.goTemplate", "true");
	git = mech_yaml_get(item(mech_yaml_path(doc, "spec.generators"), 0), "git");
	expect_text(git, "repoURL", seed.repo_url);
	expect_text(git, "revision", "main");
	expect_text(item(mech_yaml_get(git, "directories"), 0), "path", "apps/*/overlays/*");
	cr_assert_eq(mech_yaml_get(git, "directories")->len, 1);
	t = mech_yaml_path(doc, "spec.template");
	expect_text(t, "metadata.name", "alice--{{index .path.segments 1}}--{{.path.basename}}");
	cr_assert_str_eq(label(t, "metadata.labels", "mech.dev/tenant"), "alice");
	cr_assert_str_eq(label(t, "metadata.labels", "mech.dev/app"), "{{index .path.segments 1}}");
	cr_assert_str_eq(label(t, "metadata.labels", "mech.dev/instance"), "{{.path.basename}}");
	cr_assert_str_eq(mech_yaml_text(item(mech_yaml_path(t, "metadata.finalizers"), 0)),
			 "resources-finalizer.argocd.argoproj.io");
	expect_text(t, "spec.project", "alice");
	expect_text(t, "spec.source.path", "{{.path.path}}");
	expect_text(t, "spec.source.targetRevision", "main");
	expect_text(t, "spec.destination.namespace", "x-alice");
	expect_text(t, "spec.syncPolicy.automated.prune", "true");
	expect_text(t, "spec.syncPolicy.automated.selfHeal", "true");
	cr_assert_str_eq(mech_yaml_text(item(mech_yaml_path(t, "spec.syncPolicy.syncOptions"), 0)),
			 "CreateNamespace=true");
	/* an explicit retry: transient failures retried, a permanent one ends in SyncError */
	expect_text(t, "spec.syncPolicy.retry.limit", "3");
	expect_text(t, "spec.syncPolicy.retry.backoff.duration", "5s");
	expect_text(t, "spec.syncPolicy.retry.backoff.factor", "2");
	expect_text(t, "spec.syncPolicy.retry.backoff.maxDuration", "1m");
	mech_yaml_free(doc);
	mech_buf_dispose(&b);
}

static void expect_directory_app(int (*fn)(const mech_seed_spec *, mech_buf *), const char *name,
				 const char *path)
{
	mech_buf b = MECH_BUF_INIT;
	mech_yaml *doc;
	cr_assert_eq(fn(&seed, &b), 0);
	doc = parse(&b);
	expect_text(doc, "kind", "Application");
	expect_text(doc, "metadata.name", name);
	expect_text(doc, "metadata.namespace", "argocd");
	cr_assert_str_eq(label(doc, "metadata.labels", "mech.dev/tenant"), "alice");
	expect_text(doc, "spec.project", "alice");
	expect_text(doc, "spec.source.path", path);
	expect_text(doc, "spec.source.repoURL", seed.repo_url);
	expect_text(doc, "spec.source.directory.recurse", "true");
	expect_text(doc, "spec.destination.namespace", "x-alice");
	expect_text(doc, "spec.syncPolicy.automated.prune", "true");
	expect_text(doc, "spec.syncPolicy.retry.limit", "3");
	mech_yaml_free(doc);
	mech_buf_dispose(&b);
}

Test(manifest, seed_directory_apps)
{
	expect_directory_app(mech_manifest_seed_network_app, "alice--network", "network");
	expect_directory_app(mech_manifest_seed_addons_app, "alice--addons", "addons");
}

Test(manifest, seed_readme_explains_layout_and_policy)
{
	mech_buf b = MECH_BUF_INIT;
	static const char *const needles[] = {
		"apps/<app>/base/",
		"apps/<app>/overlays/<instance>/",
		"network/routes/",
		"addons/<name>/",
		"argocd/project.yaml",
		"--force",
		"mechanics(",
		"Mechanics-Forced-Over",
		"x-alice",
		"never",
	};
	size_t i;
	cr_assert_eq(mech_manifest_seed_readme(&seed, &b), 0);
	for (i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
		cr_assert(strstr(mech_buf_cstr(&b), needles[i]), "README lacks %s", needles[i]);
	mech_buf_dispose(&b);
}

Test(manifest, seed_directory_readmes_keep_network_and_addons_present)
{
	mech_buf n = MECH_BUF_INIT, a = MECH_BUF_INIT, again = MECH_BUF_INIT;
	mech_seed_spec bad = seed;
	cr_assert_eq(mech_manifest_seed_network_readme(&seed, &n), 0);
	cr_assert_eq(mech_manifest_seed_addons_readme(&seed, &a), 0);
	cr_assert(strstr(mech_buf_cstr(&n), "alice--network"));
	cr_assert(strstr(mech_buf_cstr(&n), "routes/<app>/<instance>.yaml"));
	cr_assert(strstr(mech_buf_cstr(&n), "Keep this file"));
	cr_assert(strstr(mech_buf_cstr(&a), "alice--addons"));
	cr_assert(strstr(mech_buf_cstr(&a), "<name>-app"));
	cr_assert(strstr(mech_buf_cstr(&a), "--force"));
	cr_assert_eq(mech_manifest_seed_network_readme(&seed, &again), 0);
	cr_assert_str_eq(mech_buf_cstr(&n), mech_buf_cstr(&again));
	bad.tenant = NULL;
	cr_assert_eq(mech_manifest_seed_addons_readme(&bad, &again), -1);
	expect_error("tenant name is missing");
	mech_buf_dispose(&n);
	mech_buf_dispose(&a);
	mech_buf_dispose(&again);
}

Test(manifest, seed_refuses_bad_input)
{
	mech_buf b = MECH_BUF_INIT;
	mech_seed_spec s = seed;
	s.repo_url = "https://x/y z";
	cr_assert_eq(mech_manifest_seed_appset(&s, &b), -1);
	expect_error("repository URL");
	s = seed;
	s.branch = "";
	cr_assert_eq(mech_manifest_seed_project(&s, &b), -1);
	expect_error("branch is missing");
	s = seed;
	s.tenant = "Alice";
	cr_assert_eq(mech_manifest_seed_readme(&s, &b), -1);
	cr_assert_eq(mech_manifest_seed_network_app(&s, &b), -1);
	s = seed;
	s.argocd_namespace = "argo cd";
	cr_assert_eq(mech_manifest_seed_addons_app(&s, &b), -1);
	cr_assert_eq(mech_manifest_seed_project(NULL, &b), -1);
	cr_assert_eq(b.len, 0);
	mech_buf_dispose(&b);
}

/* ---- every kind at once: determinism, labels, schema, lint ---- */

typedef struct {
	const char *file;
	mech_buf buf;
	int k8s_object; /* carries metadata.labels */
} rendered;

enum { N_RENDERED = 12 };

static void render_all(rendered *r)
{
	mech_strv env = MECH_STRV_INIT;
	mech_app_spec app;
	mech_overlay_spec ov = {"alice", "web", "main", BASE_IMAGE, REPO ":2.0@" DIGEST};
	mech_route_spec route = route_spec();
	static const char *const names[N_RENDERED] = {
		"deployment.yaml", "service.yaml", "kustomization.yaml", "overlay.yaml",
		"route.yaml",      "cluster.yaml", "project.yaml",       "appset.yaml",
		"network.yaml",    "addons.yaml",  "overlay-copy.yaml",  "cluster-mem.yaml",
	};
	int i;
	for (i = 0; i < N_RENDERED; i++) {
		r[i].file = names[i];
		r[i].buf = (mech_buf)MECH_BUF_INIT;
		r[i].k8s_object = strcmp(names[i], "kustomization.yaml") &&
				  strncmp(names[i], "overlay", 7);
	}
	mech_strv_push(&env, "PORT=8080");
	mech_strv_push(&env, "DEBUG=false");
	app_spec(&app, &env);
	cr_assert_eq(mech_manifest_app_base(&app, &r[0].buf, &r[1].buf, &r[2].buf), 0);
	cr_assert_eq(mech_manifest_overlay(&ov, &r[3].buf), 0);
	cr_assert_eq(mech_manifest_route(&route, &r[4].buf), 0);
	cr_assert_eq(mech_manifest_postgres(&pg, &r[5].buf), 0);
	cr_assert_eq(mech_manifest_seed_project(&seed, &r[6].buf), 0);
	cr_assert_eq(mech_manifest_seed_appset(&seed, &r[7].buf), 0);
	cr_assert_eq(mech_manifest_seed_network_app(&seed, &r[8].buf), 0);
	cr_assert_eq(mech_manifest_seed_addons_app(&seed, &r[9].buf), 0);
	cr_assert_eq(mech_manifest_overlay_copy(hand_edited, strlen(hand_edited), "web", "main",
						"canary", &r[10].buf),
		     0);
	cr_assert_eq(mech_manifest_postgres_set_memory(r[5].buf.ptr, r[5].buf.len, "2Gi",
						       &r[11].buf),
		     0);
	mech_strv_dispose(&env);
}

static void dispose_all(rendered *r)
{
	int i;
	for (i = 0; i < N_RENDERED; i++)
		mech_buf_dispose(&r[i].buf);
}

Test(manifest, rendering_is_deterministic)
{
	rendered a[N_RENDERED], b[N_RENDERED];
	mech_buf readme1 = MECH_BUF_INIT, readme2 = MECH_BUF_INIT;
	int i;
	render_all(a);
	render_all(b);
	for (i = 0; i < N_RENDERED; i++) {
		cr_assert_eq(a[i].buf.len, b[i].buf.len, "%s", a[i].file);
		cr_assert(memcmp(a[i].buf.ptr, b[i].buf.ptr, a[i].buf.len) == 0, "%s differs",
			  a[i].file);
		/* no timestamps or other run-dependent values */
		cr_assert_null(strstr(a[i].buf.ptr, "creationTimestamp"), "%s", a[i].file);
	}
	cr_assert_eq(mech_manifest_seed_readme(&seed, &readme1), 0);
	cr_assert_eq(mech_manifest_seed_readme(&seed, &readme2), 0);
	cr_assert_str_eq(mech_buf_cstr(&readme1), mech_buf_cstr(&readme2));
	mech_buf_dispose(&readme1);
	mech_buf_dispose(&readme2);
	dispose_all(a);
	dispose_all(b);
}

Test(manifest, every_object_is_labelled_managed_by_mech)
{
	rendered r[N_RENDERED];
	int i;
	render_all(r);
	for (i = 0; i < N_RENDERED; i++) {
		mech_yaml *doc;
		if (!r[i].k8s_object)
			continue;
		doc = parse(&r[i].buf);
		cr_assert_str_eq(label(doc, "metadata.labels", "app.kubernetes.io/managed-by"),
				 "mech", "%s", r[i].file);
		mech_yaml_free(doc);
	}
	dispose_all(r);
}

/* ---- independent checkers: schema validator and yamllint ---- */

static char tmpdir[64];

static void make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/mech-manifest-XXXXXX",
		 base && *base && strlen(base) < 40 ? base : "/tmp");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
	char cmd[128];
	if (!tmpdir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

static char *write_file(const char *name, const char *data, size_t len)
{
	char *path = mech_sprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	return path;
}

/*
 * The schemas live in ../shared/spec beside the source tree: without them
 * the test cannot run here (a skip; strict mode fails it). python3 and
 * yamllint are installed by `make deps`: missing, they are a failure.
 */
static const char *spec_dir_or_skip(void)
{
	const char *spec = getenv("MECH_SPEC_DIR");
	struct stat st;
	if (!spec || stat(spec, &st) != 0 || !S_ISDIR(st.st_mode))
		test_skip("MECH_SPEC_DIR (%s) is missing: the CRD schemas of ../shared/spec are "
			  "needed",
			  spec ? spec : "unset");
	cr_assert_eq(access("/usr/bin/python3", X_OK), 0,
		     "/usr/bin/python3 is missing (make deps installs it)");
	return spec;
}

static const char *source_dir(void)
{
	const char *src = getenv("MECH_SOURCE_DIR");
	cr_assert_not_null(src, "MECH_SOURCE_DIR must point at the source tree");
	return src;
}

/* The validator command line; the string lives until the next call. */
static const char *validator(void)
{
	static char *cmd;
	free(cmd);
	cmd = mech_sprintf("/usr/bin/python3 '%s/tests/lib/validate_manifests.py'", source_dir());
	return cmd;
}

/* Run a command, capture stdout+stderr, return its exit status. */
static int run(const char *cmd, mech_buf *output)
{
	char chunk[4096];
	size_t n;
	int status;
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p, "%s", cmd);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		mech_buf_put(output, chunk, n);
	status = pclose(p);
	cr_assert(WIFEXITED(status), "%s did not exit normally", cmd);
	return WEXITSTATUS(status);
}

Test(manifest, schema_and_lint_accept_every_kind, .fini = remove_tmpdir)
{
	const char *spec = spec_dir_or_skip();
	rendered r[N_RENDERED];
	mech_buf files = MECH_BUF_INIT, cmd = MECH_BUF_INIT, out = MECH_BUF_INIT;
	int i, rc;

	make_tmpdir();
	render_all(r);
	for (i = 0; i < N_RENDERED; i++) {
		char *path = write_file(r[i].file, r[i].buf.ptr, r[i].buf.len);
		mech_buf_printf(&files, " '%s'", path);
		free(path);
	}
	mech_buf_printf(&cmd, "%s '%s'%s 2>&1", validator(), spec, mech_buf_cstr(&files));
	rc = run(mech_buf_cstr(&cmd), &out);
	cr_assert_eq(rc, 0, "validator (exit %d):\n%s", rc, mech_buf_cstr(&out));

	cr_assert_eq(system("command -v yamllint >/dev/null 2>&1"), 0,
		     "yamllint is missing (make deps installs it); schema validation passed");
	mech_buf_clear(&cmd);
	mech_buf_clear(&out);
	mech_buf_printf(&cmd, "yamllint -s -c '%s/tests/lib/yamllint.yaml'%s 2>&1", source_dir(),
			mech_buf_cstr(&files));
	rc = run(mech_buf_cstr(&cmd), &out);
	cr_assert_eq(rc, 0, "yamllint (exit %d):\n%s", rc, mech_buf_cstr(&out));

	dispose_all(r);
	mech_buf_dispose(&files);
	mech_buf_dispose(&cmd);
	mech_buf_dispose(&out);
}

/* Edit a rendered manifest through the tree, then expect the validator to refuse it. */
static void expect_validator_refuses(const char *spec, const char *file, const mech_buf *good,
				     void (*edit)(mech_yaml *), const char *message)
{
	mech_yaml *doc = parse(good);
	mech_buf bad = MECH_BUF_INIT, cmd = MECH_BUF_INIT, out = MECH_BUF_INIT;
	char *path;
	int rc;
	edit(doc);
	cr_assert_eq(mech_yaml_emit(doc, &bad), 0);
	mech_yaml_free(doc);
	path = write_file(file, bad.ptr, bad.len);
	mech_buf_printf(&cmd, "%s '%s' '%s'", validator(), spec, path);
	rc = run(mech_buf_cstr(&cmd), &out);
	cr_assert_eq(rc, 1, "validator accepted %s (exit %d):\n%s\n%s", file, rc,
		     mech_buf_cstr(&out), mech_buf_cstr(&bad));
	cr_assert(strstr(mech_buf_cstr(&out), message), "expected \"%s\" in:\n%s", message,
		  mech_buf_cstr(&out));
	cr_assert(strncmp(mech_buf_cstr(&out), path, strlen(path)) == 0,
		  "problem lines start with the file name:\n%s", mech_buf_cstr(&out));
	free(path);
	mech_buf_dispose(&bad);
	mech_buf_dispose(&cmd);
	mech_buf_dispose(&out);
}

static void drop_backend_port(mech_yaml *doc)
{
	mech_yaml *rules = mech_yaml_path(doc, "spec.rules");
	mech_yaml *backends = mech_yaml_get(rules->items[0], "backendRefs");
	cr_assert_eq(mech_yaml_remove(backends->items[0], "port"), 0);
}

static void zero_instances(mech_yaml *doc)
{
	mech_yaml_set_int(mech_yaml_get(doc, "spec"), "instances", 0);
}

static void unquote_env_value(mech_yaml *doc)
{
	mech_yaml *c = mech_yaml_path(doc, "spec.template.spec.containers")->items[0];
	mech_yaml_set(mech_yaml_get(c, "env")->items[1], "value", mech_yaml_bool(0));
}

static void break_selector(mech_yaml *doc)
{
	mech_yaml_set_str(mech_yaml_path(doc, "spec.selector.matchLabels"), "tier", "web");
}

static void misspell_project(mech_yaml *doc)
{
	mech_yaml *spec = mech_yaml_path(doc, "spec.template.spec");
	mech_yaml_set_str(spec, "projcet", "alice");
}

static void numeric_tag(mech_yaml *doc)
{
	mech_yaml_set(mech_yaml_get(doc, "images")->items[0], "newTag", mech_yaml_int(3));
}

Test(manifest, validator_refuses_broken_manifests, .fini = remove_tmpdir)
{
	const char *spec = spec_dir_or_skip();
	rendered r[N_RENDERED];
	make_tmpdir();
	render_all(r);
	expect_validator_refuses(spec, "route-no-port.yaml", &r[4].buf, drop_backend_port,
				 "Must have port for Service reference");
	expect_validator_refuses(spec, "cluster-zero.yaml", &r[5].buf, zero_instances,
				 "spec.instances: 0 is less than the minimum of 1");
	expect_validator_refuses(spec, "deployment-bool-env.yaml", &r[0].buf, unquote_env_value,
				 "must be a string, got bool");
	expect_validator_refuses(spec, "deployment-selector.yaml", &r[0].buf, break_selector,
				 "selector does not match template labels");
	expect_validator_refuses(spec, "appset-typo.yaml", &r[7].buf, misspell_project,
				 "'projcet' was unexpected");
	expect_validator_refuses(spec, "overlay-int-tag.yaml", &r[3].buf, numeric_tag,
				 "images[0].newTag: must be a string");
	dispose_all(r);
}

/* A validator without its schemas cannot say "valid": it fails, in a way
 * of its own (3), never with a code a caller might take for a pass or a skip. */
Test(manifest, validator_fails_without_spec_dir_and_refuses_garbage, .fini = remove_tmpdir)
{
	mech_buf cmd = MECH_BUF_INIT, out = MECH_BUF_INIT;
	const char *spec = spec_dir_or_skip();
	char *path;
	int rc;
	make_tmpdir();
	path = write_file("garbage.yaml", "kind: [unclosed\n", 16);
	mech_buf_printf(&cmd, "%s '%s/none' '%s' 2>&1", validator(), tmpdir, path);
	rc = run(mech_buf_cstr(&cmd), &out);
	cr_assert_eq(rc, 3, "missing SPEC_DIR must fail with 3, got %d:\n%s", rc,
		     mech_buf_cstr(&out));
	cr_assert(strstr(mech_buf_cstr(&out), "/none"), "the message names the directory:\n%s",
		  mech_buf_cstr(&out));
	mech_buf_clear(&cmd);
	mech_buf_clear(&out);
	mech_buf_printf(&cmd, "%s '%s' '%s' 2>&1", validator(), spec, path);
	rc = run(mech_buf_cstr(&cmd), &out);
	cr_assert_eq(rc, 1, "unparsable YAML accepted:\n%s", mech_buf_cstr(&out));
	free(path);
	mech_buf_dispose(&cmd);
	mech_buf_dispose(&out);
}

/* ---- the overlay's patches: env.yaml and replicas.yaml ---- */

Test(manifest, env_edit_writes_a_patch_and_reads_back)
{
	mech_env_var set[3] = {{.name = "A", .value = "1"},
			       {.name = "DB", .secret = "db-app", .key = "uri"},
			       {.name = "GONE", .deleted = 1}};
	mech_buf out = MECH_BUF_INIT;
	mech_env_var *v = NULL;
	size_t n = 0;
	mech_yaml *doc;

	cr_assert_eq(mech_manifest_env_edit(NULL, 0, "web", set, 3, NULL, &out), 0);
	doc = parse(&out);
	expect_text(doc, "kind", "Deployment");
	expect_text(doc, "metadata.name", "web");
	mech_yaml_free(doc);
	cr_assert_eq(mech_manifest_env_read(out.ptr, out.len, "web", &v, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(v[0].value, "1");
	cr_assert_str_eq(v[1].secret, "db-app");
	cr_assert_str_eq(v[1].key, "uri");
	cr_assert_null(v[1].value);
	cr_assert(v[2].deleted);
	mech_env_vars_free(v, n);
	mech_buf_dispose(&out);
}

Test(manifest, env_edit_keeps_what_a_person_wrote)
{
	static const char human[] = "apiVersion: apps/v1\n"
				    "kind: Deployment\n"
				    "metadata:\n  name: web\n  annotations:\n    mine: yes-please\n"
				    "spec:\n  template:\n    spec:\n      containers:\n"
				    "      - name: web\n        env:\n        - name: KEEP\n"
				    "          value: k\n        - name: DROP\n          value: d\n"
				    "        resources:\n          limits:\n            cpu: 100m\n";
	mech_env_var set = {.name = "KEEP", .value = "new"};
	mech_strv rm = MECH_STRV_INIT;
	mech_buf out = MECH_BUF_INIT;
	mech_yaml *doc;

	mech_strv_push(&rm, "DROP");
	cr_assert_eq(mech_manifest_env_edit(human, strlen(human), "web", &set, 1, &rm, &out), 0);
	doc = parse(&out);
	expect_text(doc, "metadata.annotations.mine", "yes-please");
	expect_text(item(mech_yaml_path(doc, "spec.template.spec.containers"), 0),
		    "resources.limits.cpu", "100m");
	cr_assert_eq(mech_yaml_path(item(mech_yaml_path(doc, "spec.template.spec.containers"), 0),
				    "env")
			     ->len,
		     1);
	mech_yaml_free(doc);
	/* removing the last entry drops the list: an empty one would replace the base's env */
	mech_strv_dispose(&rm);
	mech_strv_push(&rm, "KEEP");
	cr_assert_eq(mech_manifest_env_edit(out.ptr, out.len, "web", NULL, 0, &rm, &out), 0);
	cr_assert_null(strstr(mech_buf_cstr(&out), "env:"), "%s", mech_buf_cstr(&out));
	mech_strv_dispose(&rm);
	mech_buf_dispose(&out);
}

Test(manifest, env_edit_refuses_another_kind)
{
	static const char svc[] = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n";
	mech_env_var set = {.name = "A", .value = "1"};
	mech_buf out = MECH_BUF_INIT;
	mech_buf_puts(&out, "before");
	cr_assert_eq(mech_manifest_env_edit(svc, strlen(svc), "web", &set, 1, NULL, &out), -1);
	expect_error("expected kind Deployment");
	cr_assert_str_eq(mech_buf_cstr(&out), "before", "the buffer is left alone");
	mech_buf_dispose(&out);
}

Test(manifest, replicas_patch_and_overlay_entries)
{
	static const char ov[] = "apiVersion: kustomize.config.k8s.io/v1beta1\n"
				 "kind: Kustomization\nresources:\n- ../../base\n"
				 "replicas:\n- name: web\n  count: 5\n";
	mech_buf out = MECH_BUF_INIT, ov2 = MECH_BUF_INIT;

	cr_assert_eq(mech_manifest_replicas_edit(NULL, 0, "web", 3, &out), 0);
	cr_assert_eq(mech_manifest_replicas_read(out.ptr, out.len), 3);
	cr_assert_eq(mech_manifest_replicas_edit(NULL, 0, "web", -1, &out), -1);

	cr_assert_eq(mech_manifest_overlay_replicas(ov, strlen(ov), "web"), 5);
	cr_assert_eq(mech_manifest_overlay_replicas(ov, strlen(ov), "api"), -1);
	cr_assert_eq(mech_manifest_overlay_set_replicas(ov, strlen(ov), "web", 0, &ov2), 0);
	cr_assert_eq(mech_manifest_overlay_replicas(ov2.ptr, ov2.len, "web"), 0);

	cr_assert_eq(mech_manifest_overlay_has_patch(ov, strlen(ov), "env.yaml"), 0);
	cr_assert_eq(mech_manifest_overlay_add_patch(ov, strlen(ov), "env.yaml", &out), 1);
	cr_assert_eq(mech_manifest_overlay_has_patch(out.ptr, out.len, "env.yaml"), 1);
	cr_assert_eq(mech_manifest_overlay_add_patch(out.ptr, out.len, "env.yaml", &ov2), 0,
		     "listed once");
	cr_assert_not_null(strstr(mech_buf_cstr(&out), "count: 5"), "the rest is kept");
	mech_buf_dispose(&out);
	mech_buf_dispose(&ov2);
}
