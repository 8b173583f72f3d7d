/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What mech writes into a tenant repository (DESIGN §4): app base and
 * overlays, routes, addons and the Argo CD seed. Everything goes through
 * the YAML tree and mech_yaml_emit, so the bytes depend only on the inputs.
 */
#include "mech/manifest.h"

#include "mech/error.h"
#include "mech/image.h"
#include "mech/layout.h"
#include "mech/quantity.h"
#include "mech/validate.h"
#include "mech/yaml.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define NAME_MAX_LEN 63
#define DNS_NAME_MAX_LEN 253
#define PATH_MAX_LEN 1024

#define KUSTOMIZE_API "kustomize.config.k8s.io/v1beta1"
#define ARGOCD_API "argoproj.io/v1alpha1"
#define IN_CLUSTER "https://kubernetes.default.svc"
#define RESOURCES_FINALIZER "resources-finalizer.argocd.argoproj.io"
/*
 * The PostgreSQL images of CloudNativePG (docs/compatibility.md): the
 * `standard` flavour (the `system` images, the operator's default, are
 * deprecated) on Debian trixie, pinned to a minor version, so a cluster.yaml
 * and its receipt say exactly which image runs. 18.6 is CloudNativePG
 * 1.30's own default; the others are tags of CloudNativePG's standard
 * trixie image catalog. Moving a pin is a change here; existing addons keep
 * the image their cluster.yaml names.
 */
#define PG_IMAGE "ghcr.io/cloudnative-pg/postgresql"
#define PG_IMAGE_FLAVOUR "standard-trixie"
static const struct {
	int major;
	const char *minor;
} pg_images[] = {
	{14, "14.21"}, {15, "15.17"}, {16, "16.12"}, {17, "17.8"}, {18, "18.6"},
};
#define PG_VERSION_MIN 14
#define PG_VERSION_MAX 18

/* ---- input checks ---- */

static int bad_value(const char *field, const char *value, const char *why)
{
	char v[MECH_ESCAPE_SIZE];
	return mech_error_set(MECH_EINVALID, "invalid %s \"%s\": %s", field,
			      mech_error_escape(v, value), why);
}

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* One DNS-1123 label of at most `max` characters. */
static int is_label(const char *s, size_t n, size_t max)
{
	size_t i;
	if (n == 0 || n > max || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* Tenant, app, instance and addon names: the CLI's rule (validate.h). */
static int check_name(const char *field, const char *v)
{
	if (!v || !*v)
		return mech_error_set(MECH_EINVALID, "%s is missing", field);
	return mech_validate_name(field, v);
}

/* Names from configuration (namespaces) only need to be Kubernetes labels. */
static int check_label(const char *field, const char *v)
{
	if (!v || !*v)
		return mech_error_set(MECH_EINVALID, "%s is missing", field);
	if (!is_label(v, strlen(v), NAME_MAX_LEN))
		return bad_value(field, v,
				 "use lower-case letters, digits and '-', starting and ending "
				 "with a letter or digit, at most 63 characters");
	return 0;
}

/* A DNS-1123 subdomain, e.g. an object name from configuration. */
static int check_dns_name(const char *field, const char *v)
{
	const char *p = v;
	if (!v || !*v)
		return mech_error_set(MECH_EINVALID, "%s is missing", field);
	if (strlen(v) > DNS_NAME_MAX_LEN)
		goto bad;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (!is_label(p, n, NAME_MAX_LEN))
			goto bad;
		if (!dot)
			return 0;
		p = dot + 1;
	}
bad:
	return bad_value(field, v,
			 "use lower-case DNS labels (letters, digits, '-') separated by dots");
}

static int check_host(const char *v)
{
	if (!v || !*v)
		return mech_error_set(MECH_EINVALID, "route host is missing");
	return mech_validate_host(v);
}

/* Free text that ends up in a manifest: present, one line, no control bytes. */
static int check_text(const char *field, const char *v)
{
	const char *p;
	if (!v || !*v)
		return mech_error_set(MECH_EINVALID, "%s is missing", field);
	for (p = v; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return bad_value(field, v, "must not contain spaces or control characters");
	return 0;
}

/* Mirrors the HTTPRoute CRD's rules for Exact/PathPrefix values. */
static int check_route_path(const char *v)
{
	static const char *const banned[] = {"//", "/./", "/../", "%2f", "%2F", "#"};
	static const char allowed[] = "-/._~!$&'()*+,;=:@";
	size_t i, n;
	if (!v || !*v)
		return mech_error_set(MECH_EINVALID, "route path is missing");
	n = strlen(v);
	if (v[0] != '/')
		return bad_value("route path", v, "must start with '/'");
	if (n > PATH_MAX_LEN)
		return bad_value("route path", v, "is longer than 1024 characters");
	for (i = 0; i < sizeof(banned) / sizeof(banned[0]); i++)
		if (strstr(v, banned[i]))
			return bad_value("route path", v,
					 "must not contain '//', '/./', '/../', '%2f' or '#'");
	if ((n >= 3 && !strcmp(v + n - 3, "/..")) || (n >= 2 && !strcmp(v + n - 2, "/.")))
		return bad_value("route path", v, "must not end with '/.' or '/..'");
	for (i = 0; i < n; i++) {
		char c = v[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr(allowed, c))
			continue;
		if (c == '%' && i + 2 < n && is_hex(v[i + 1]) && is_hex(v[i + 2])) {
			i += 2;
			continue;
		}
		return bad_value("route path", v,
				 "may contain letters, digits, -/._~!$&'()*+,;=:@ and %XX "
				 "escapes only");
	}
	return 0;
}

static int check_size(const char *field, const char *v)
{
	unsigned long long bytes;
	if (!v || !*v)
		return mech_error_set(MECH_EINVALID, "%s is missing", field);
	if (mech_quantity_parse(v, &bytes) < 0)
		return -1;
	if (bytes == 0)
		return bad_value(field, v, "must be greater than zero");
	return 0;
}

/* ---- building blocks ---- */

static mech_yaml *object(const char *api, const char *kind, const char *name, mech_yaml **meta)
{
	mech_yaml *doc = mech_yaml_map();
	mech_yaml_set_str(doc, "apiVersion", api);
	mech_yaml_set_str(doc, "kind", kind);
	*meta = mech_yaml_set(doc, "metadata", mech_yaml_map());
	mech_yaml_set_str(*meta, "name", name);
	return doc;
}

static mech_yaml *app_labels(const char *tenant, const char *app, const char *instance)
{
	mech_yaml *l = mech_yaml_map();
	mech_yaml_set_str(l, MECH_LAYOUT_LABEL_NAME, app);
	if (instance)
		mech_yaml_set_str(l, MECH_LAYOUT_LABEL_APP_INSTANCE, instance);
	mech_yaml_set_str(l, MECH_LAYOUT_LABEL_PART_OF, tenant);
	mech_yaml_set_str(l, MECH_LAYOUT_LABEL_MANAGED_BY, MECH_LAYOUT_MANAGED_BY);
	return l;
}

static mech_yaml *tenant_labels(const char *tenant)
{
	mech_yaml *l = mech_yaml_map();
	mech_yaml_set_str(l, MECH_LAYOUT_LABEL_MANAGED_BY, MECH_LAYOUT_MANAGED_BY);
	mech_yaml_set_str(l, MECH_LAYOUT_LABEL_TENANT, tenant);
	return l;
}

static mech_yaml *str_seq(const char *first)
{
	mech_yaml *s = mech_yaml_seq();
	mech_yaml_append(s, mech_yaml_str(first));
	return s;
}

/* Emit `doc` (which is consumed) into a fresh buffer. */
static int render(mech_yaml *doc, mech_buf *tmp)
{
	int rc = mech_yaml_emit(doc, tmp);
	mech_yaml_free(doc);
	return rc;
}

/* Replace `out` with `tmp` (consumed), respecting out's ceiling. */
static int commit(mech_buf *out, mech_buf *tmp)
{
	int rc = 0;
	if (out->max && tmp->len > out->max) {
		rc = mech_error_set(MECH_EFAILED, "rendered manifest is larger than %zu bytes",
				    out->max);
	} else {
		mech_buf_clear(out);
		if (tmp->len)
			mech_buf_put(out, tmp->ptr, tmp->len); /* fits: checked above */
	}
	mech_buf_dispose(tmp);
	return rc;
}

static int render_into(mech_yaml *doc, mech_buf *out)
{
	mech_buf tmp = MECH_BUF_INIT;
	if (render(doc, &tmp) < 0) {
		mech_buf_dispose(&tmp);
		return -1;
	}
	return commit(out, &tmp);
}

/* The child map under `key`, created when absent; NULL when something else is there. */
static mech_yaml *child_map(mech_yaml *map, const char *key)
{
	mech_yaml *c = mech_yaml_get(map, key);
	if (!c)
		return mech_yaml_set(map, key, mech_yaml_map());
	return c->kind == MECH_YAML_MAP ? c : NULL;
}

static mech_yaml *child_seq(mech_yaml *map, const char *key)
{
	mech_yaml *c = mech_yaml_get(map, key);
	if (!c)
		return mech_yaml_set(map, key, mech_yaml_seq());
	return c->kind == MECH_YAML_SEQ ? c : NULL;
}

/* Parse a file mech reads back; it must be a mapping. */
static int parse_doc(mech_yaml **out, const char *yaml, size_t len, const char *name)
{
	if (!yaml)
		return mech_error_set(MECH_EINVALID, "%s: no content", name);
	if (mech_yaml_parse(out, yaml, len, name, NULL) < 0)
		return -1;
	if ((*out)->kind != MECH_YAML_MAP) {
		mech_yaml_free(*out);
		*out = NULL;
		return mech_error_set(MECH_EINVALID, "%s: expected a YAML mapping at the top", name);
	}
	return 0;
}

static int check_kind(const mech_yaml *doc, const char *name, const char *kind)
{
	const char *k = mech_yaml_path_text(doc, "kind");
	if (k && !strcmp(k, kind))
		return 0;
	return mech_error_set(MECH_EINVALID, "%s: expected kind %s, found %s", name, kind,
			      k ? k : "none");
}

/* ---- app base ---- */

/* env as [{name, value}], keeping first-seen order; a repeated key takes the later value. */
static int build_env(const mech_strv *env, mech_yaml **out)
{
	mech_yaml *seq = mech_yaml_seq();
	size_t i, j;
	for (i = 0; env && i < env->len; i++) {
		const char *item = env->items[i];
		const char *eq = item ? strchr(item, '=') : NULL;
		char *key;
		if (!eq || eq == item) {
			mech_yaml_free(seq);
			return bad_value("env", item ? item : "", "must be KEY=VALUE");
		}
		key = mech_strndup(item, (size_t)(eq - item));
		for (j = 0; j < seq->len; j++)
			if (!strcmp(mech_yaml_path_text(seq->items[j], "name"), key))
				break;
		if (j < seq->len) {
			mech_yaml_set_str(seq->items[j], "value", eq + 1);
		} else {
			mech_yaml *e = mech_yaml_append(seq, mech_yaml_map());
			mech_yaml_set_str(e, "name", key);
			mech_yaml_set_str(e, "value", eq + 1);
		}
		free(key);
	}
	*out = seq;
	return 0;
}

static int check_app_spec(const mech_app_spec *s)
{
	if (!s)
		return mech_error_set(MECH_EINVALID, "no app given");
	if (check_name("tenant name", s->tenant) < 0 || check_name("app name", s->app) < 0 ||
	    mech_image_parse(s->image, NULL) < 0)
		return -1;
	if (s->port < 1 || s->port > 65535)
		return mech_error_set(MECH_EINVALID, "invalid port %d: use 1-65535", s->port);
	if (s->replicas < 0)
		return mech_error_set(MECH_EINVALID, "invalid replicas %d: use 0 or more",
				      s->replicas);
	return 0;
}

static mech_yaml *deployment(const mech_app_spec *s, mech_yaml *env)
{
	mech_yaml *meta, *spec, *tmeta, *pod, *c, *port, *probe;
	mech_yaml *doc = object("apps/v1", "Deployment", s->app, &meta);
	mech_yaml_set(meta, "labels", app_labels(s->tenant, s->app, NULL));
	spec = mech_yaml_set(doc, "spec", mech_yaml_map());
	mech_yaml_set_int(spec, "replicas", s->replicas);
	/* Selectors are immutable: select on the name only; overlays add the instance. */
	mech_yaml_set_str(child_map(child_map(spec, "selector"), "matchLabels"),
			  MECH_LAYOUT_LABEL_NAME, s->app);
	tmeta = child_map(child_map(spec, "template"), "metadata");
	mech_yaml_set(tmeta, "labels", app_labels(s->tenant, s->app, NULL));
	pod = child_map(mech_yaml_get(spec, "template"), "spec");
	c = mech_yaml_append(child_seq(pod, "containers"), mech_yaml_map());
	mech_yaml_set_str(c, "name", s->app);
	mech_yaml_set_str(c, "image", s->image);
	port = mech_yaml_append(child_seq(c, "ports"), mech_yaml_map());
	mech_yaml_set_str(port, "name", "http");
	mech_yaml_set_int(port, "containerPort", s->port);
	mech_yaml_set_str(port, "protocol", "TCP");
	if (env->len)
		mech_yaml_set(c, "env", env);
	else
		mech_yaml_free(env);
	/*
	 * Ready once the declared port accepts connections: no HTTP path, no
	 * resource limits or security settings an arbitrary image might trip on.
	 */
	probe = mech_yaml_set(c, "readinessProbe", mech_yaml_map());
	mech_yaml_set_str(child_map(probe, "tcpSocket"), "port", "http");
	return doc;
}

static mech_yaml *service(const mech_app_spec *s)
{
	mech_yaml *meta, *spec, *port;
	mech_yaml *doc = object("v1", "Service", s->app, &meta);
	mech_yaml_set(meta, "labels", app_labels(s->tenant, s->app, NULL));
	spec = mech_yaml_set(doc, "spec", mech_yaml_map());
	mech_yaml_set_str(child_map(spec, "selector"), MECH_LAYOUT_LABEL_NAME, s->app);
	port = mech_yaml_append(child_seq(spec, "ports"), mech_yaml_map());
	mech_yaml_set_str(port, "name", "http");
	mech_yaml_set_int(port, "port", 80);
	mech_yaml_set_int(port, "targetPort", s->port);
	mech_yaml_set_str(port, "protocol", "TCP");
	return doc;
}

static mech_yaml *kustomization(void)
{
	mech_yaml *doc = mech_yaml_map();
	mech_yaml_set_str(doc, "apiVersion", KUSTOMIZE_API);
	mech_yaml_set_str(doc, "kind", "Kustomization");
	return doc;
}

int mech_manifest_app_base(const mech_app_spec *spec, mech_buf *deployment_out,
			   mech_buf *service_out, mech_buf *kustomization_out)
{
	mech_buf d = MECH_BUF_INIT, s = MECH_BUF_INIT, k = MECH_BUF_INIT;
	mech_yaml *env = NULL, *kust, *res;
	int rc = -1;

	if (check_app_spec(spec) < 0 || build_env(spec->env, &env) < 0)
		return -1;
	kust = kustomization();
	res = mech_yaml_set(kust, "resources", mech_yaml_seq());
	mech_yaml_append(res, mech_yaml_str(MECH_LAYOUT_DEPLOYMENT_FILE));
	mech_yaml_append(res, mech_yaml_str(MECH_LAYOUT_SERVICE_FILE));
	if (render(deployment(spec, env), &d) < 0 || render(service(spec), &s) < 0) {
		mech_yaml_free(kust);
		goto done;
	}
	if (render(kust, &k) < 0)
		goto done;
	/* All three rendered: only now touch the caller's buffers. */
	if (commit(deployment_out, &d) < 0 || commit(service_out, &s) < 0 ||
	    commit(kustomization_out, &k) < 0)
		goto done;
	rc = 0;
done:
	mech_buf_dispose(&d);
	mech_buf_dispose(&s);
	mech_buf_dispose(&k);
	return rc;
}

/* ---- overlays ---- */

/* Point an images entry at `img`, the way kustomize reads newName/newTag/digest. */
static void set_image_fields(mech_yaml *entry, const mech_image *base, const mech_image *img)
{
	/* always in this order, whatever an earlier write left */
	mech_yaml_remove(entry, "newName");
	mech_yaml_remove(entry, "newTag");
	mech_yaml_remove(entry, "digest");
	if (strcmp(img->repository, base->repository))
		mech_yaml_set_str(entry, "newName", img->repository);
	/* No tag and no digest means latest; say so, or the base tag would stay. */
	if (img->tag || !img->digest)
		mech_yaml_set_str(entry, "newTag", img->tag ? img->tag : "latest");
	if (img->digest)
		mech_yaml_set_str(entry, "digest", img->digest);
}

/*
 * The instance label, selectors included: with the base's
 * app.kubernetes.io/name=<app> it selects this instance's pods. Not
 * app.kubernetes.io/instance, which Argo CD's label tracking overwrites.
 */
static mech_yaml *instance_labels_entry(const char *instance)
{
	mech_yaml *entry = mech_yaml_map();
	mech_yaml_set_str(child_map(entry, "pairs"), MECH_LAYOUT_LABEL_APP_INSTANCE, instance);
	mech_yaml_set(entry, "includeSelectors", mech_yaml_bool(1));
	return entry;
}

int mech_manifest_overlay(const mech_overlay_spec *spec, mech_buf *out)
{
	mech_image base = MECH_IMAGE_INIT, img = MECH_IMAGE_INIT;
	mech_yaml *doc, *entry;
	char *suffix;
	int rc = -1;

	if (!spec)
		return mech_error_set(MECH_EINVALID, "no overlay given");
	if (check_name("tenant name", spec->tenant) < 0 || check_name("app name", spec->app) < 0 ||
	    check_name("instance name", spec->instance) < 0 ||
	    mech_image_parse(spec->base_image, &base) < 0 ||
	    mech_image_parse(spec->image, &img) < 0)
		goto done;
	doc = kustomization();
	mech_yaml_set(doc, "resources", str_seq(MECH_LAYOUT_OVERLAY_BASE_REF));
	suffix = mech_layout_name_suffix(spec->instance);
	mech_yaml_set_str(doc, "nameSuffix", suffix);
	free(suffix);
	mech_yaml_append(mech_yaml_set(doc, "labels", mech_yaml_seq()),
			 instance_labels_entry(spec->instance));
	entry = mech_yaml_append(mech_yaml_set(doc, "images", mech_yaml_seq()), mech_yaml_map());
	mech_yaml_set_str(entry, "name", base.repository);
	set_image_fields(entry, &base, &img);
	rc = render_into(doc, out);
done:
	mech_image_dispose(&base);
	mech_image_dispose(&img);
	return rc;
}

/* The images entry for `repository`, or NULL; -1 when `images` is malformed. */
static int find_image_entry(const mech_yaml *doc, const char *repository, mech_yaml **entry)
{
	const mech_yaml *images = mech_yaml_get(doc, "images");
	size_t i;
	*entry = NULL;
	if (!images)
		return 0;
	if (images->kind != MECH_YAML_SEQ)
		return mech_error_set(MECH_EINVALID,
				      "overlay kustomization.yaml:%d: images must be a list",
				      images->line);
	for (i = 0; i < images->len; i++) {
		const char *name = mech_yaml_path_text(images->items[i], "name");
		if (name && !strcmp(name, repository)) {
			*entry = images->items[i];
			return 0;
		}
	}
	return 0;
}

int mech_manifest_overlay_image(const char *yaml, size_t len, const char *base_image,
				char **image_out)
{
	mech_image base = MECH_IMAGE_INIT;
	mech_yaml *doc = NULL, *entry;
	const char *repo, *tag, *digest, *new_tag, *new_digest, *new_name;
	char *result = NULL;
	int rc = -1;

	*image_out = NULL;
	if (mech_image_parse(base_image, &base) < 0 ||
	    parse_doc(&doc, yaml, len, "overlay kustomization.yaml") < 0 ||
	    find_image_entry(doc, base.repository, &entry) < 0)
		goto done;
	repo = base.repository;
	tag = base.tag;
	digest = base.digest;
	if (entry) {
		new_name = mech_yaml_path_text(entry, "newName");
		new_tag = mech_yaml_path_text(entry, "newTag");
		new_digest = mech_yaml_path_text(entry, "digest");
		if (new_name && *new_name)
			repo = new_name;
		/* kustomize: a new tag or digest replaces both of the old ones */
		if ((new_tag && *new_tag) || (new_digest && *new_digest)) {
			tag = new_tag && *new_tag ? new_tag : NULL;
			digest = new_digest && *new_digest ? new_digest : NULL;
		}
	}
	result = mech_image_format(repo, tag, digest);
	if (mech_image_parse(result, NULL) < 0)
		goto done;
	*image_out = result;
	result = NULL;
	rc = 0;
done:
	free(result);
	mech_yaml_free(doc);
	mech_image_dispose(&base);
	return rc;
}

int mech_manifest_overlay_set_image(const char *yaml, size_t len, const char *base_image,
				    const char *new_image, mech_buf *out)
{
	mech_image base = MECH_IMAGE_INIT, img = MECH_IMAGE_INIT;
	mech_yaml *doc = NULL, *entry, *images;
	int rc = -1;

	if (mech_image_parse(base_image, &base) < 0 || mech_image_parse(new_image, &img) < 0 ||
	    parse_doc(&doc, yaml, len, "overlay kustomization.yaml") < 0 ||
	    check_kind(doc, "overlay kustomization.yaml", "Kustomization") < 0 ||
	    find_image_entry(doc, base.repository, &entry) < 0)
		goto done;
	if (!entry) {
		images = child_seq(doc, "images");
		entry = mech_yaml_append(images, mech_yaml_map());
		mech_yaml_set_str(entry, "name", base.repository);
	}
	set_image_fields(entry, &base, &img);
	rc = render_into(doc, out);
	doc = NULL;
done:
	mech_yaml_free(doc);
	mech_image_dispose(&base);
	mech_image_dispose(&img);
	return rc;
}

/* Every scalar value equal to `from` becomes `to` (keys are left alone); how many did. */
static size_t replace_values(mech_yaml *n, const char *from, const char *to)
{
	size_t i, hits = 0;
	if (n->kind == MECH_YAML_SCALAR) {
		if (n->value && !strcmp(n->value, from)) {
			free(n->value);
			n->value = mech_strdup(to);
			n->type = MECH_YAML_STR;
			return 1;
		}
		return 0;
	}
	for (i = 0; i < n->len; i++)
		hits += replace_values(n->items[i], from, to);
	return hits;
}

/* In one label map: the instance label under mech's key, in place of Argo CD's; 1 if there. */
static int move_instance_label(mech_yaml *map, const char *instance)
{
	if (!map || map->kind != MECH_YAML_MAP ||
	    (!mech_yaml_get(map, MECH_LAYOUT_LABEL_ARGOCD_INSTANCE) &&
	     !mech_yaml_get(map, MECH_LAYOUT_LABEL_APP_INSTANCE)))
		return 0;
	mech_yaml_remove(map, MECH_LAYOUT_LABEL_ARGOCD_INSTANCE);
	mech_yaml_set_str(map, MECH_LAYOUT_LABEL_APP_INSTANCE, instance);
	return 1;
}

/*
 * For new objects only (a new instance, a renamed workload): set the
 * instance label wherever the file declares one, moving it from
 * app.kubernetes.io/instance to mech.dev/instance (a selector of an
 * existing Deployment cannot change). 1 if found, -1 if malformed.
 */
static int set_instance_label(mech_yaml *doc, const char *instance)
{
	mech_yaml *labels = mech_yaml_get(doc, "labels");
	int found = 0;
	size_t i;
	if (labels && labels->kind != MECH_YAML_SEQ)
		return mech_error_set(MECH_EINVALID,
				      "overlay kustomization.yaml:%d: labels must be a list",
				      labels->line);
	for (i = 0; labels && i < labels->len; i++)
		found |= move_instance_label(mech_yaml_get(labels->items[i], "pairs"), instance);
	found |= move_instance_label(mech_yaml_get(doc, "commonLabels"), instance);
	found |= move_instance_label(mech_yaml_path(doc, "metadata.labels"), instance);
	return found;
}

int mech_manifest_overlay_copy(const char *yaml, size_t len, const char *app,
			       const char *from_instance, const char *to_instance, mech_buf *out)
{
	mech_yaml *doc = NULL;
	char *from_name = NULL, *to_name = NULL, *suffix = NULL, *legacy;
	int rc = -1, found;

	if (check_name("app name", app) < 0 || check_name("instance name", from_instance) < 0 ||
	    check_name("instance name", to_instance) < 0 ||
	    parse_doc(&doc, yaml, len, "overlay kustomization.yaml") < 0 ||
	    check_kind(doc, "overlay kustomization.yaml", "Kustomization") < 0)
		goto done;
	from_name = mech_layout_workload(app, from_instance);
	to_name = mech_layout_workload(app, to_instance);
	suffix = mech_layout_name_suffix(to_instance);
	/* Hand-written references to the old instance's objects follow it. */
	replace_values(doc, from_name, to_name);
	legacy = mech_layout_legacy_workload(app, from_instance);
	replace_values(doc, legacy, to_name);
	free(legacy);
	found = set_instance_label(doc, to_instance);
	if (found < 0)
		goto done;
	if (!found) {
		mech_yaml *labels = child_seq(doc, "labels");
		mech_yaml_append(labels, instance_labels_entry(to_instance));
	}
	mech_yaml_set_str(doc, "nameSuffix", suffix);
	rc = render_into(doc, out);
	doc = NULL;
done:
	mech_yaml_free(doc);
	free(from_name);
	free(to_name);
	free(suffix);
	return rc;
}

int mech_manifest_rename_legacy(const char *yaml, size_t len, const char *what, const char *app,
				const char *instance, mech_buf *out)
{
	mech_yaml *doc = NULL;
	char *old_name = mech_layout_legacy_workload(app, instance);
	char *old_suffix = mech_layout_legacy_name_suffix(instance);
	char *name = mech_layout_workload(app, instance);
	char *suffix = mech_layout_name_suffix(instance);
	const char *cur;
	int rc = -1, renamed;

	if (parse_doc(&doc, yaml, len, what) < 0)
		goto done;
	cur = mech_yaml_path_text(doc, "nameSuffix");
	renamed = cur && !strcmp(cur, old_suffix);
	if (renamed)
		mech_yaml_set_str(doc, "nameSuffix", suffix);
	/* an overlay with a suffix of its own names its objects itself */
	if (!cur || renamed)
		renamed |= replace_values(doc, old_name, name) > 0;
	/* new objects under the new names: their selectors may take mech's label */
	if (renamed && set_instance_label(doc, instance) < 0)
		goto done;
	if (renamed) {
		if (render_into(doc, out) < 0) {
			doc = NULL;
			goto done;
		}
		doc = NULL;
	}
	rc = renamed;
done:
	mech_yaml_free(doc);
	free(old_name);
	free(old_suffix);
	free(name);
	free(suffix);
	return rc;
}

/* ---- the overlay's patches ---- */

/* A strategic-merge patch of the base Deployment <app> (before nameSuffix). */
static mech_yaml *deployment_patch(const char *app)
{
	mech_yaml *meta;
	return object("apps/v1", "Deployment", app, &meta);
}

/* Parse a Deployment or a patch of one; `yaml` NULL: a new patch. */
static int patch_doc(mech_yaml **doc, const char *yaml, size_t len, const char *app,
		     const char *name)
{
	if (!yaml) {
		*doc = deployment_patch(app);
		return 0;
	}
	if (parse_doc(doc, yaml, len, name) < 0)
		return -1;
	if (check_kind(*doc, name, "Deployment") < 0) {
		mech_yaml_free(*doc);
		*doc = NULL;
		return -1;
	}
	return 0;
}

/* The app's container: the one named `app`, else the only one; NULL if none. */
static mech_yaml *app_container(const mech_yaml *doc, const char *app)
{
	mech_yaml *cs = mech_yaml_path(doc, "spec.template.spec.containers");
	size_t i;
	if (!cs || cs->kind != MECH_YAML_SEQ)
		return NULL;
	for (i = 0; i < cs->len; i++) {
		const char *n = mech_yaml_path_text(cs->items[i], "name");
		if (n && !strcmp(n, app) && cs->items[i]->kind == MECH_YAML_MAP)
			return cs->items[i];
	}
	return cs->len == 1 && cs->items[0]->kind == MECH_YAML_MAP ? cs->items[0] : NULL;
}

void mech_env_vars_free(mech_env_var *v, size_t n)
{
	size_t i;
	for (i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].value);
		free(v[i].secret);
		free(v[i].key);
	}
	free(v);
}

int mech_manifest_env_read(const char *yaml, size_t len, const char *app, mech_env_var **out,
			   size_t *n)
{
	mech_yaml *doc = NULL;
	const mech_yaml *env;
	size_t i;
	*out = NULL;
	*n = 0;
	if (mech_yaml_parse(&doc, yaml, len, "env", NULL) < 0)
		return -1;
	env = mech_yaml_get(app_container(doc, app), "env");
	for (i = 0; env && env->kind == MECH_YAML_SEQ && i < env->len; i++) {
		const mech_yaml *e = env->items[i];
		const char *name = mech_yaml_path_text(e, "name");
		const char *value = mech_yaml_path_text(e, "value");
		const char *secret = mech_yaml_path_text(e, "valueFrom.secretKeyRef.name");
		const char *key = mech_yaml_path_text(e, "valueFrom.secretKeyRef.key");
		const char *patch = mech_yaml_path_text(e, "$patch");
		mech_env_var *v;
		if (!name)
			continue;
		*out = mech_reallocarray(*out, *n + 1, sizeof(**out));
		v = &(*out)[(*n)++];
		memset(v, 0, sizeof(*v));
		v->name = mech_strdup(name);
		v->deleted = patch && !strcmp(patch, "delete");
		if (secret || key) {
			v->secret = mech_strdup(secret ? secret : "");
			v->key = mech_strdup(key ? key : "");
		} else if (!v->deleted) {
			v->value = mech_strdup(value ? value : "");
		}
	}
	mech_yaml_free(doc);
	return 0;
}

static mech_yaml *env_entry(const mech_env_var *v)
{
	mech_yaml *e = mech_yaml_map();
	mech_yaml_set_str(e, "name", v->name);
	if (v->deleted) {
		mech_yaml_set_str(e, "$patch", "delete");
	} else if (v->secret) {
		mech_yaml *ref = child_map(child_map(e, "valueFrom"), "secretKeyRef");
		mech_yaml_set_str(ref, "name", v->secret);
		mech_yaml_set_str(ref, "key", v->key);
	} else {
		mech_yaml_set_str(e, "value", v->value ? v->value : "");
	}
	return e;
}

static ssize_t env_index(const mech_yaml *env, const char *name)
{
	size_t i;
	for (i = 0; i < env->len; i++) {
		const char *n = mech_yaml_path_text(env->items[i], "name");
		if (n && !strcmp(n, name))
			return (ssize_t)i;
	}
	return -1;
}

int mech_manifest_env_edit(const char *yaml, size_t len, const char *app, const mech_env_var *set,
			   size_t nset, const mech_strv *remove, mech_buf *out)
{
	static const char name[] = "env";
	mech_yaml *doc = NULL, *c, *m, *cs = NULL, *env;
	size_t i;
	ssize_t at;
	int rc = -1;

	if (check_name("app name", app) < 0 || patch_doc(&doc, yaml, len, app, name) < 0)
		return -1;
	c = app_container(doc, app);
	if (!c) {
		if ((m = child_map(doc, "spec")) && (m = child_map(m, "template")) &&
		    (m = child_map(m, "spec")))
			cs = child_seq(m, "containers");
		if (!cs) {
			mech_error_set(MECH_EINVALID,
				       "%s: spec.template.spec.containers is not a list", name);
			goto done;
		}
		c = mech_yaml_append(cs, mech_yaml_map());
		mech_yaml_set_str(c, "name", app);
	}
	env = child_seq(c, "env");
	if (!env) {
		mech_error_set(MECH_EINVALID, "%s: the container's env is not a list", name);
		goto done;
	}
	for (i = 0; remove && i < remove->len; i++) {
		while ((at = env_index(env, remove->items[i])) >= 0) {
			mech_yaml_free(env->items[at]);
			memmove(env->items + at, env->items + at + 1,
				(env->len - (size_t)at - 1) * sizeof(*env->items));
			env->len--;
		}
	}
	for (i = 0; i < nset; i++) {
		if ((at = env_index(env, set[i].name)) >= 0) {
			mech_yaml_free(env->items[at]);
			env->items[at] = env_entry(&set[i]);
		} else {
			mech_yaml_append(env, env_entry(&set[i]));
		}
	}
	/* no empty list: in a patch it would replace the base's env instead of merging */
	if (!env->len)
		mech_yaml_remove(c, "env");
	rc = render_into(doc, out);
	doc = NULL;
done:
	mech_yaml_free(doc);
	return rc;
}

int mech_manifest_replicas_edit(const char *yaml, size_t len, const char *app, int replicas,
				mech_buf *out)
{
	mech_yaml *doc = NULL, *spec;
	if (replicas < 0)
		return mech_error_set(MECH_EINVALID, "invalid replicas %d: use 0 or more", replicas);
	if (check_name("app name", app) < 0 || patch_doc(&doc, yaml, len, app, "replicas") < 0)
		return -1;
	spec = child_map(doc, "spec");
	if (!spec) {
		mech_yaml_free(doc);
		return mech_error_set(MECH_EINVALID, "replicas: spec is not a mapping");
	}
	mech_yaml_set_int(spec, "replicas", replicas);
	return render_into(doc, out);
}

int mech_manifest_replicas_read(const char *yaml, size_t len)
{
	mech_yaml *doc = NULL;
	const char *r;
	int n = -1;
	if (mech_yaml_parse(&doc, yaml, len, "replicas", NULL) < 0) {
		mech_error_clear();
		return -1;
	}
	r = mech_yaml_path_text(doc, "spec.replicas");
	if (r && *r >= '0' && *r <= '9')
		n = atoi(r);
	mech_yaml_free(doc);
	return n;
}

/* The overlay's replicas entry for `app`, or NULL. */
static mech_yaml *replicas_entry(const mech_yaml *doc, const char *app)
{
	const mech_yaml *r = mech_yaml_get(doc, "replicas");
	size_t i;
	for (i = 0; r && r->kind == MECH_YAML_SEQ && i < r->len; i++) {
		const char *name = mech_yaml_path_text(r->items[i], "name");
		if (name && !strcmp(name, app) && r->items[i]->kind == MECH_YAML_MAP)
			return r->items[i];
	}
	return NULL;
}

int mech_manifest_overlay_replicas(const char *yaml, size_t len, const char *app)
{
	mech_yaml *doc = NULL;
	const char *c;
	int count = -1;
	if (mech_yaml_parse(&doc, yaml, len, "kustomization.yaml", NULL) < 0) {
		mech_error_clear();
		return -1;
	}
	c = mech_yaml_path_text(replicas_entry(doc, app), "count");
	if (c)
		count = atoi(c);
	mech_yaml_free(doc);
	return count;
}

int mech_manifest_overlay_set_replicas(const char *yaml, size_t len, const char *app, int replicas,
				       mech_buf *out)
{
	static const char name[] = "overlay kustomization.yaml";
	mech_yaml *doc = NULL, *entry;
	if (parse_doc(&doc, yaml, len, name) < 0)
		return -1;
	entry = replicas_entry(doc, app);
	if (!entry) {
		mech_yaml_free(doc);
		return mech_error_set(MECH_EINVALID, "%s: no replicas entry for %s", name, app);
	}
	mech_yaml_set_int(entry, "count", replicas);
	return render_into(doc, out);
}

/* The index of `- path: <file>` in the overlay's patches, or -1. */
static ssize_t patch_index(const mech_yaml *doc, const char *file)
{
	const mech_yaml *p = mech_yaml_get(doc, "patches");
	size_t i;
	for (i = 0; p && p->kind == MECH_YAML_SEQ && i < p->len; i++) {
		const char *path = mech_yaml_path_text(p->items[i], "path");
		if (path &&
		    (!strcmp(path, file) || (!strncmp(path, "./", 2) && !strcmp(path + 2, file))))
			return (ssize_t)i;
	}
	return -1;
}

int mech_manifest_overlay_has_patch(const char *yaml, size_t len, const char *file)
{
	mech_yaml *doc = NULL;
	int has;
	if (mech_yaml_parse(&doc, yaml, len, "kustomization.yaml", NULL) < 0) {
		mech_error_clear();
		return 0;
	}
	has = patch_index(doc, file) >= 0;
	mech_yaml_free(doc);
	return has;
}

int mech_manifest_overlay_add_patch(const char *yaml, size_t len, const char *file, mech_buf *out)
{
	static const char name[] = "overlay kustomization.yaml";
	mech_yaml *doc = NULL, *patches, *entry;
	if (parse_doc(&doc, yaml, len, name) < 0 || check_kind(doc, name, "Kustomization") < 0) {
		mech_yaml_free(doc);
		return -1;
	}
	if (patch_index(doc, file) >= 0) {
		mech_yaml_free(doc);
		return 0;
	}
	patches = child_seq(doc, "patches");
	if (!patches) {
		mech_yaml_free(doc);
		return mech_error_set(MECH_EINVALID, "%s: patches must be a list", name);
	}
	entry = mech_yaml_append(patches, mech_yaml_map());
	mech_yaml_set_str(entry, "path", file);
	return render_into(doc, out) < 0 ? -1 : 1;
}

/* ---- routes ---- */

int mech_manifest_route(const mech_route_spec *s, mech_buf *out)
{
	mech_yaml *doc, *meta, *spec, *parent, *rule, *path, *backend;
	char *name;
	int rc;

	if (!s)
		return mech_error_set(MECH_EINVALID, "no route given");
	if (check_name("tenant name", s->tenant) < 0 || check_name("app name", s->app) < 0 ||
	    check_name("instance name", s->instance) < 0 || check_host(s->host) < 0 ||
	    check_route_path(s->path) < 0 || check_dns_name("gateway name", s->gateway_name) < 0 ||
	    check_label("gateway namespace", s->gateway_namespace) < 0)
		return -1;
	name = mech_layout_workload(s->app, s->instance);
	doc = object("gateway.networking.k8s.io/v1", "HTTPRoute", name, &meta);
	mech_yaml_set(meta, "labels", app_labels(s->tenant, s->app, s->instance));
	spec = mech_yaml_set(doc, "spec", mech_yaml_map());
	parent = mech_yaml_append(child_seq(spec, "parentRefs"), mech_yaml_map());
	mech_yaml_set_str(parent, "name", s->gateway_name);
	mech_yaml_set_str(parent, "namespace", s->gateway_namespace);
	mech_yaml_set(spec, "hostnames", str_seq(s->host));
	rule = mech_yaml_append(child_seq(spec, "rules"), mech_yaml_map());
	path = child_map(mech_yaml_append(child_seq(rule, "matches"), mech_yaml_map()), "path");
	mech_yaml_set_str(path, "type", "PathPrefix");
	mech_yaml_set_str(path, "value", s->path);
	backend = mech_yaml_append(child_seq(rule, "backendRefs"), mech_yaml_map());
	mech_yaml_set_str(backend, "name", name);
	mech_yaml_set_int(backend, "port", 80);
	free(name);
	rc = render_into(doc, out);
	return rc;
}

/* ---- addons ---- */

static void set_memory(mech_yaml *resources, const char *memory)
{
	mech_yaml_set_str(child_map(resources, "requests"), "memory", memory);
	mech_yaml_set_str(child_map(resources, "limits"), "memory", memory);
}

char *mech_manifest_postgres_image(int version)
{
	size_t i;
	for (i = 0; i < sizeof(pg_images) / sizeof(*pg_images); i++)
		if (pg_images[i].major == version)
			return mech_sprintf("%s:%s-%s", PG_IMAGE, pg_images[i].minor,
					    PG_IMAGE_FLAVOUR);
	mech_error_set(MECH_EINVALID, "invalid postgres version %d: use a major version %d-%d",
		       version, PG_VERSION_MIN, PG_VERSION_MAX);
	return NULL;
}

int mech_manifest_postgres(const mech_postgres_spec *s, mech_buf *out)
{
	mech_yaml *doc, *meta, *spec, *initdb;
	char *image;

	if (!s)
		return mech_error_set(MECH_EINVALID, "no postgres addon given");
	if (check_name("tenant name", s->tenant) < 0 || check_name("addon name", s->name) < 0 ||
	    check_size("storage", s->storage) < 0 || check_size("memory", s->memory) < 0 ||
	    !(image = mech_manifest_postgres_image(s->version)))
		return -1;
	doc = object("postgresql.cnpg.io/v1", "Cluster", s->name, &meta);
	mech_yaml_set(meta, "labels", app_labels(s->tenant, s->name, NULL));
	spec = mech_yaml_set(doc, "spec", mech_yaml_map());
	mech_yaml_set_int(spec, "instances", 1);
	mech_yaml_set_str(spec, "imageName", image);
	free(image);
	mech_yaml_set_str(child_map(spec, "storage"), "size", s->storage);
	set_memory(child_map(spec, "resources"), s->memory);
	/* No secret named here: the operator generates <name>-app with the credentials. */
	initdb = child_map(child_map(spec, "bootstrap"), "initdb");
	mech_yaml_set_str(initdb, "database", "app");
	mech_yaml_set_str(initdb, "owner", "app");
	return render_into(doc, out);
}

int mech_manifest_postgres_set_memory(const char *yaml, size_t len, const char *memory,
				      mech_buf *out)
{
	static const char name[] = "addon cluster.yaml";
	mech_yaml *doc = NULL, *spec, *resources;
	int rc = -1;

	if (check_size("memory", memory) < 0 || parse_doc(&doc, yaml, len, name) < 0 ||
	    check_kind(doc, name, "Cluster") < 0)
		goto done;
	spec = mech_yaml_get(doc, "spec");
	if (!spec || spec->kind != MECH_YAML_MAP) {
		mech_error_set(MECH_EINVALID, "%s: spec is missing or not a mapping", name);
		goto done;
	}
	resources = child_map(spec, "resources");
	if (!resources || !child_map(resources, "requests") || !child_map(resources, "limits")) {
		mech_error_set(MECH_EINVALID, "%s: spec.resources is not a mapping", name);
		goto done;
	}
	set_memory(resources, memory);
	rc = render_into(doc, out);
	doc = NULL;
done:
	mech_yaml_free(doc);
	return rc;
}

/* ---- seed ---- */

static int check_seed(const mech_seed_spec *s)
{
	if (!s)
		return mech_error_set(MECH_EINVALID, "no tenant given");
	if (check_name("tenant name", s->tenant) < 0 ||
	    check_text("repository URL", s->repo_url) < 0 || check_text("branch", s->branch) < 0 ||
	    check_label("Argo CD namespace", s->argocd_namespace) < 0)
		return -1;
	return 0;
}

static mech_yaml *argocd_object(const mech_seed_spec *s, const char *kind, const char *name,
				mech_yaml **meta)
{
	mech_yaml *doc = object(ARGOCD_API, kind, name, meta);
	mech_yaml_set_str(*meta, "namespace", s->argocd_namespace);
	mech_yaml_set(*meta, "labels", tenant_labels(s->tenant));
	return doc;
}

static void destination(mech_yaml *spec, const char *tenant)
{
	mech_yaml *d = child_map(spec, "destination");
	char *ns = mech_layout_namespace(tenant);
	mech_yaml_set_str(d, "server", IN_CLUSTER);
	mech_yaml_set_str(d, "namespace", ns);
	free(ns);
}

/*
 * Automated sync with prune and self-heal. `allow_empty` lets prune remove
 * the last resource of a directory (the last route, the last addon), which
 * Argo CD otherwise refuses.
 */
/*
 * Automated sync with prune and selfHeal, and a retry that is explicit
 * rather than Argo CD's default (5 retries, 5s × 2ⁿ up to 3m: 155 s before
 * a permanent failure shows): a transient apply failure is retried for
 * 35 s (5s, 10s, 20s), a permanent one ends in a SyncError that ends a wait.
 */
static void sync_policy(mech_yaml *spec, int allow_empty)
{
	mech_yaml *sp = child_map(spec, "syncPolicy");
	mech_yaml *automated = child_map(sp, "automated");
	mech_yaml *retry, *backoff;
	mech_yaml_set(automated, "prune", mech_yaml_bool(1));
	mech_yaml_set(automated, "selfHeal", mech_yaml_bool(1));
	if (allow_empty)
		mech_yaml_set(automated, "allowEmpty", mech_yaml_bool(1));
	mech_yaml_set(sp, "syncOptions", str_seq("CreateNamespace=true"));
	retry = child_map(sp, "retry");
	mech_yaml_set_int(retry, "limit", 3);
	backoff = child_map(retry, "backoff");
	mech_yaml_set_str(backoff, "duration", "5s");
	mech_yaml_set_int(backoff, "factor", 2);
	mech_yaml_set_str(backoff, "maxDuration", "1m");
}

static void source(mech_yaml *spec, const mech_seed_spec *s, const char *path)
{
	mech_yaml *src = child_map(spec, "source");
	mech_yaml_set_str(src, "repoURL", s->repo_url);
	mech_yaml_set_str(src, "targetRevision", s->branch);
	mech_yaml_set_str(src, "path", path);
}

int mech_manifest_seed_project(const mech_seed_spec *s, mech_buf *out)
{
	mech_yaml *doc, *meta, *spec, *dest, *item, *deny;
	char *desc, *ns, *name;

	if (check_seed(s) < 0)
		return -1;
	name = mech_layout_project(s->tenant);
	doc = argocd_object(s, "AppProject", name, &meta);
	free(name);
	spec = mech_yaml_set(doc, "spec", mech_yaml_map());
	desc = mech_sprintf("mech tenant %s", s->tenant);
	mech_yaml_set_str(spec, "description", desc);
	free(desc);
	mech_yaml_set(spec, "sourceRepos", str_seq(s->repo_url));
	ns = mech_layout_namespace(s->tenant);
	dest = mech_yaml_append(child_seq(spec, "destinations"), mech_yaml_map());
	mech_yaml_set_str(dest, "server", IN_CLUSTER);
	mech_yaml_set_str(dest, "namespace", ns);
	/* Cluster scope: only the tenant's own Namespace (CreateNamespace=true needs it). */
	item = mech_yaml_append(child_seq(spec, "clusterResourceWhitelist"), mech_yaml_map());
	mech_yaml_set_str(item, "group", "");
	mech_yaml_set_str(item, "kind", "Namespace");
	mech_yaml_set_str(item, "name", ns);
	free(ns);
	/* The operator, not the tenant, sets the namespace's quotas and limits. */
	deny = child_seq(spec, "namespaceResourceBlacklist");
	item = mech_yaml_append(deny, mech_yaml_map());
	mech_yaml_set_str(item, "group", "");
	mech_yaml_set_str(item, "kind", "ResourceQuota");
	item = mech_yaml_append(deny, mech_yaml_map());
	mech_yaml_set_str(item, "group", "");
	mech_yaml_set_str(item, "kind", "LimitRange");
	return render_into(doc, out);
}

int mech_manifest_seed_appset(const mech_seed_spec *s, mech_buf *out)
{
	mech_yaml *doc, *meta, *spec, *git, *dir, *tmpl, *tmeta, *labels, *tspec;
	char *name;

	if (check_seed(s) < 0)
		return -1;
	name = mech_layout_appset(s->tenant);
	doc = argocd_object(s, "ApplicationSet", name, &meta);
	free(name);
	spec = mech_yaml_set(doc, "spec", mech_yaml_map());
	mech_yaml_set(spec, "goTemplate", mech_yaml_bool(1));
	mech_yaml_set(spec, "goTemplateOptions", str_seq("missingkey=error"));
	git = child_map(mech_yaml_append(child_seq(spec, "generators"), mech_yaml_map()), "git");
	mech_yaml_set_str(git, "repoURL", s->repo_url);
	mech_yaml_set_str(git, "revision", s->branch);
	dir = mech_yaml_append(child_seq(git, "directories"), mech_yaml_map());
	mech_yaml_set_str(dir, "path", MECH_LAYOUT_OVERLAY_GLOB);

	tmpl = child_map(spec, "template");
	tmeta = child_map(tmpl, "metadata");
	name = mech_layout_instance_app_template(s->tenant);
	mech_yaml_set_str(tmeta, "name", name);
	free(name);
	labels = mech_yaml_set(tmeta, "labels", tenant_labels(s->tenant));
	mech_yaml_set_str(labels, MECH_LAYOUT_LABEL_APP, MECH_LAYOUT_TPL_APP);
	mech_yaml_set_str(labels, MECH_LAYOUT_LABEL_APP_INSTANCE, MECH_LAYOUT_TPL_INSTANCE);
	mech_yaml_set(tmeta, "finalizers", str_seq(RESOURCES_FINALIZER));
	tspec = child_map(tmpl, "spec");
	name = mech_layout_project(s->tenant);
	mech_yaml_set_str(tspec, "project", name);
	free(name);
	source(tspec, s, MECH_LAYOUT_TPL_PATH);
	destination(tspec, s->tenant);
	sync_policy(tspec, 0);
	return render_into(doc, out);
}

static int directory_app(const mech_seed_spec *s, const char *what, mech_buf *out)
{
	mech_yaml *doc, *meta, *spec;
	char *name;

	if (check_seed(s) < 0)
		return -1;
	name = mech_layout_dir_app(s->tenant, what);
	doc = argocd_object(s, "Application", name, &meta);
	free(name);
	mech_yaml_set(meta, "finalizers", str_seq(RESOURCES_FINALIZER));
	spec = mech_yaml_set(doc, "spec", mech_yaml_map());
	name = mech_layout_project(s->tenant);
	mech_yaml_set_str(spec, "project", name);
	free(name);
	source(spec, s, what);
	mech_yaml_set(child_map(mech_yaml_get(spec, "source"), "directory"), "recurse",
		      mech_yaml_bool(1));
	destination(spec, s->tenant);
	/* Deleting the last route or addon (addons need --force) must still prune it. */
	sync_policy(spec, 1);
	return render_into(doc, out);
}

int mech_manifest_seed_network_app(const mech_seed_spec *s, mech_buf *out)
{
	return directory_app(s, MECH_LAYOUT_NETWORK, out);
}

int mech_manifest_seed_addons_app(const mech_seed_spec *s, mech_buf *out)
{
	return directory_app(s, MECH_LAYOUT_ADDONS, out);
}

/*
 * The names the READMEs explain, from mech/layout.h: the tenant's own, and
 * the rules spelled with placeholders, so the text follows the rules.
 */
typedef struct {
	char *ns, *project, *appset, *network_app, *addons_app;
	char *instance_app, *overlay_dir, *route, *route_in_network, *addon_dir, *addon_file;
	char *secret;
} readme_names;

static void readme_names_init(readme_names *n, const char *tenant)
{
	size_t net = strlen(MECH_LAYOUT_NETWORK "/"), add = strlen(MECH_LAYOUT_ADDONS "/");
	n->ns = mech_layout_namespace(tenant);
	n->project = mech_layout_project(tenant);
	n->appset = mech_layout_appset(tenant);
	n->network_app = mech_layout_dir_app(tenant, MECH_LAYOUT_NETWORK);
	n->addons_app = mech_layout_dir_app(tenant, MECH_LAYOUT_ADDONS);
	n->instance_app = mech_layout_instance_app(tenant, "<app>", "<instance>");
	n->overlay_dir = mech_layout_overlay_dir("<app>", "<instance>");
	n->route = mech_layout_route_path("<app>", "<instance>");
	n->route_in_network = mech_strdup(n->route + net); /* routes/… below network/ */
	n->addon_dir = mech_layout_addon_dir("<name>");
	n->addon_file = mech_layout_addon_cluster_path("<name>");
	memmove(n->addon_file, n->addon_file + add, strlen(n->addon_file + add) + 1);
	n->secret = mech_layout_addon_secret("<name>");
}

static void readme_names_dispose(readme_names *n)
{
	free(n->ns);
	free(n->project);
	free(n->appset);
	free(n->network_app);
	free(n->addons_app);
	free(n->instance_app);
	free(n->overlay_dir);
	free(n->route);
	free(n->route_in_network);
	free(n->addon_dir);
	free(n->addon_file);
	free(n->secret);
}

int mech_manifest_seed_readme(const mech_seed_spec *s, mech_buf *out)
{
	mech_buf b = MECH_BUF_INIT;
	readme_names n;
	char *base;

	if (check_seed(s) < 0)
		return -1;
	readme_names_init(&n, s->tenant);
	base = mech_layout_app_file("<app>", MECH_LAYOUT_BASE);
	mech_buf_printf(&b, "# GitOps repository of tenant %s\n\n", s->tenant);
	mech_buf_printf(&b,
			"Argo CD deploys this repository (branch `%s`) into the namespace `%s`.\n"
			"mech writes to it on behalf of agents and people; you may edit it with\n"
			"plain git too.\n\n",
			s->branch, n.ns);
	mech_buf_puts(&b, "## What lives where\n\n"
			  "| path | what |\n"
			  "|---|---|\n");
	mech_buf_printf(&b,
			"| `" MECH_LAYOUT_ARGOCD_PROJECT "` | AppProject `%s`: sources = this "
			"repository, destination = namespace `%s` |\n",
			n.project, n.ns);
	mech_buf_printf(&b,
			"| `" MECH_LAYOUT_ARGOCD_APPSET "` | ApplicationSet `%s`: one "
			"Application `%s` per `%s/` |\n",
			n.appset, n.instance_app, n.overlay_dir);
	mech_buf_printf(&b,
			"| `" MECH_LAYOUT_ARGOCD_NETWORK "` | Application `%s`: "
			"everything under `" MECH_LAYOUT_NETWORK "/` |\n",
			n.network_app);
	mech_buf_printf(&b,
			"| `" MECH_LAYOUT_ARGOCD_ADDONS "` | Application `%s`: everything "
			"under `" MECH_LAYOUT_ADDONS "/` |\n",
			n.addons_app);
	mech_buf_printf(&b,
			"| `%s/` | Deployment, Service and Kustomization of an app |\n"
			"| `%s/` | one running instance: image, name suffix, instance label "
			"(default instance `" MECH_DEFAULT_INSTANCE "`) |\n"
			"| `%s` | HTTPRoute of an instance, written by mech |\n"
			"| `" MECH_LAYOUT_NETWORK "/...` (anything else) | yours; mech never "
			"touches it |\n"
			"| `%s/` | data services, e.g. `" MECH_LAYOUT_ADDON_CLUSTER
			"` (CloudNativePG) for postgres |\n\n",
			base, n.overlay_dir, n.route, n.addon_dir);
	mech_buf_printf(&b,
			"Addons live outside `" MECH_LAYOUT_APPS "/` on purpose: deleting an app "
			"never deletes a database.\n"
			"No password or other secret is ever stored here; CloudNativePG keeps the\n"
			"database credentials in the Kubernetes Secret `%s`.\n\n",
			n.secret);
	mech_buf_puts(&b,
		      "## Write policy\n\n"
		      "* Every change mech makes is one commit whose subject reads\n"
		      "  `mechanics(<noun>.<verb>): <summary>` with `Mechanics-*` trailers\n"
		      "  (verb, tenant, target, request); `mech log` lists them.\n"
		      "* mech never overwrites or deletes a file whose last change was made by a\n"
		      "  person: it refuses and names the commit. With `--force` it proceeds and\n"
		      "  records a `Mechanics-Forced-Over: <commit> <path>` trailer for each\n"
		      "  overridden change, so forced overwrites stay reviewable.\n"
		      "* Destructive verbs (deleting an addon, removing a tenant) always need\n"
		      "  `--force`.\n"
		      "* Objects mech writes carry the label\n"
		      "  `" MECH_LAYOUT_LABEL_MANAGED_BY ": " MECH_LAYOUT_MANAGED_BY "`. When mech "
		      "updates a file you\n"
		      "  edited (with `--force`), it changes only the fields its verb is about:\n"
		      "  `set-image` rewrites the overlay's image entry and keeps your patches\n"
		      "  and other keys (YAML comments are not kept).\n"
		      "* `mech <noun> <verb> --dry-run` shows what a verb would write, and\n"
		      "  whether `--force` would be needed, without writing anything.\n");
	free(base);
	readme_names_dispose(&n);
	return commit(out, &b);
}

int mech_manifest_seed_network_readme(const mech_seed_spec *s, mech_buf *out)
{
	mech_buf b = MECH_BUF_INIT;
	readme_names n;
	if (check_seed(s) < 0)
		return -1;
	readme_names_init(&n, s->tenant);
	mech_buf_printf(&b,
			"# " MECH_LAYOUT_NETWORK "/\n\n"
			"Argo CD Application `%s` applies every manifest below this\n"
			"directory into namespace `%s`.\n\n"
			"* `%s`: HTTPRoutes written by `mech route`.\n"
			"* Anything else here is yours (NetworkPolicies, extra routes); mech never\n"
			"  touches it.\n\n"
			"Keep this file: it keeps the directory in Git when no route exists, so\n"
			"Argo CD can prune the last route instead of reporting a missing path.\n",
			n.network_app, n.ns, n.route_in_network);
	readme_names_dispose(&n);
	return commit(out, &b);
}

int mech_manifest_seed_addons_readme(const mech_seed_spec *s, mech_buf *out)
{
	mech_buf b = MECH_BUF_INIT;
	readme_names n;
	if (check_seed(s) < 0)
		return -1;
	readme_names_init(&n, s->tenant);
	mech_buf_printf(&b,
			"# " MECH_LAYOUT_ADDONS "/\n\n"
			"Argo CD Application `%s` applies every manifest below this\n"
			"directory into namespace `%s`.\n\n"
			"* `%s`: a PostgreSQL database (CloudNativePG Cluster)\n"
			"  written by `mech addon create`. Its credentials live in the Kubernetes\n"
			"  Secret `%s`, never here.\n"
			"* Deleting an addon deletes its data: `mech addon delete` needs `--force`.\n\n"
			"Keep this file: it keeps the directory in Git when no addon exists, so\n"
			"Argo CD can prune the last addon instead of reporting a missing path.\n",
			n.addons_app, n.ns, n.addon_file, n.secret);
	readme_names_dispose(&n);
	return commit(out, &b);
}
