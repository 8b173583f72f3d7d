/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sim's Kubernetes API as kubectl and client libraries see it:
 * discovery (/api, /apis, /apis/<group>/<version>), GET, list with label
 * and field selectors, watch, and errors as Status objects.
 *
 * Every tick the world's objects are rendered (sim_render_k8s_each) and
 * compared with the last rendering: an object whose JSON changed gets the
 * next resourceVersion of the world (the counter Applications use too, as
 * one etcd would), and the change goes into a journal of the last
 * KUBE_EVENTS events. A watch replays the journal after its
 * resourceVersion; one older than the journal gets 410 Expired, as the
 * apiserver's watch cache answers. Nothing here speaks HTTP: sim_http.c
 * turns answers into responses and runs the watch streams.
 */
#include "sim_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mech/error.h"

#define KUBE_EVENTS 1024
#define WATCH_DEFAULT_S 1800 /* the apiserver's --min-request-timeout */

typedef struct {
	const char *group;
	const char *version;
	const char *plural;
	const char *singular;
	const char *kind;
	const char *short_name; /* NULL: none */
	int in_all;             /* in the "all" category (kubectl get all) */
	int cluster;            /* cluster-scoped */
} kube_type;

static const kube_type kube_types[] = {
	{"apps", "v1", "deployments", "deployment", "Deployment", "deploy", 1},
	{"apps", "v1", "replicasets", "replicaset", "ReplicaSet", "rs", 1},
	{"", "v1", "pods", "pod", "Pod", "po", 1},
	{"", "v1", "services", "service", "Service", "svc", 1},
	{"", "v1", "secrets", "secret", "Secret", NULL, 0},
	{"", "v1", "events", "event", "Event", "ev", 0},
	{"gateway.networking.k8s.io", "v1", "httproutes", "httproute", "HTTPRoute", NULL, 0},
	{"postgresql.cnpg.io", "v1", "clusters", "cluster", "Cluster", NULL, 0},
	{"", "v1", "namespaces", "namespace", "Namespace", "ns", 0, 1},
};
#define NTYPES (sizeof(kube_types) / sizeof(*kube_types))

static int is_secret(const kube_type *t)
{
	return !strcmp(t->kind, "Secret") && !*t->group;
}

static const kube_type *type_of_kind(const char *group, const char *kind)
{
	size_t i;
	for (i = 0; i < NTYPES; i++)
		if (!strcmp(kube_types[i].group, group) && !strcmp(kube_types[i].kind, kind))
			return &kube_types[i];
	return NULL;
}

static const kube_type *type_of_path(const char *group, const char *version, const char *plural)
{
	size_t i;
	for (i = 0; i < NTYPES; i++)
		if (!strcmp(kube_types[i].group, group) &&
		    !strcmp(kube_types[i].version, version) &&
		    !strcmp(kube_types[i].plural, plural))
			return &kube_types[i];
	return NULL;
}

static char *api_version_of(const kube_type *t)
{
	return *t->group ? mech_sprintf("%s/%s", t->group, t->version) : mech_strdup(t->version);
}

static char *print(cJSON *doc)
{
	char *s = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (!s)
		mech_fatal("out of memory (printing JSON)");
	return s;
}

/* ---- Status ---- */

char *sim_kube_status(unsigned int code, const char *reason, const char *message, const char *group,
		      const char *plural, const char *name)
{
	cJSON *st = cJSON_CreateObject(), *d;
	cJSON_AddStringToObject(st, "kind", "Status");
	cJSON_AddStringToObject(st, "apiVersion", "v1");
	cJSON_AddObjectToObject(st, "metadata");
	cJSON_AddStringToObject(st, "status", "Failure");
	cJSON_AddStringToObject(st, "message", message);
	cJSON_AddStringToObject(st, "reason", reason);
	if (name || plural) {
		d = cJSON_AddObjectToObject(st, "details");
		if (name)
			cJSON_AddStringToObject(d, "name", name);
		if (group && *group)
			cJSON_AddStringToObject(d, "group", group);
		if (plural)
			cJSON_AddStringToObject(d, "kind", plural);
	}
	cJSON_AddNumberToObject(st, "code", code);
	return print(st);
}

static void answer_status(sim_kube_answer *ans, unsigned int code, const char *reason,
			  const char *message, const char *group, const char *plural,
			  const char *name)
{
	ans->status = code;
	ans->body = sim_kube_status(code, reason, message, group, plural, name);
}

static void answer_bad_request(sim_kube_answer *ans, const char *message)
{
	answer_status(ans, 400, "BadRequest", message, NULL, NULL, NULL);
}

static void answer_not_served(sim_kube_answer *ans)
{
	/* the message client-go gives a 404 without a Status of its own */
	answer_status(ans, 404, "NotFound", "the server could not find the requested resource",
		      NULL, NULL, NULL);
}

/* ---- discovery ---- */

static cJSON *resource_list(const char *group, const char *version)
{
	cJSON *doc = cJSON_CreateObject(), *arr;
	char *gv = *group ? mech_sprintf("%s/%s", group, version) : mech_strdup(version);
	size_t i;

	cJSON_AddStringToObject(doc, "kind", "APIResourceList");
	cJSON_AddStringToObject(doc, "apiVersion", "v1");
	cJSON_AddStringToObject(doc, "groupVersion", gv);
	arr = cJSON_AddArrayToObject(doc, "resources");
	for (i = 0; i < NTYPES; i++) {
		const kube_type *t = &kube_types[i];
		cJSON *r, *verbs;
		if (strcmp(t->group, group) || strcmp(t->version, version))
			continue;
		r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "name", t->plural);
		cJSON_AddStringToObject(r, "singularName", t->singular);
		cJSON_AddBoolToObject(r, "namespaced", !t->cluster);
		cJSON_AddStringToObject(r, "kind", t->kind);
		verbs = cJSON_AddArrayToObject(r, "verbs");
		cJSON_AddItemToArray(verbs, cJSON_CreateString("get"));
		cJSON_AddItemToArray(verbs, cJSON_CreateString("list"));
		cJSON_AddItemToArray(verbs, cJSON_CreateString("watch"));
		if (t->short_name)
			cJSON_AddItemToArray(cJSON_AddArrayToObject(r, "shortNames"),
					     cJSON_CreateString(t->short_name));
		if (t->in_all)
			cJSON_AddItemToArray(cJSON_AddArrayToObject(r, "categories"),
					     cJSON_CreateString("all"));
		cJSON_AddItemToArray(arr, r);
	}
	free(gv);
	return doc;
}

static cJSON *api_group(const char *group)
{
	cJSON *g = cJSON_CreateObject(), *versions, *v;
	size_t i;
	cJSON_AddStringToObject(g, "name", group);
	versions = cJSON_AddArrayToObject(g, "versions");
	for (i = 0; i < NTYPES; i++) {
		char *gv;
		if (strcmp(kube_types[i].group, group))
			continue;
		gv = mech_sprintf("%s/%s", group, kube_types[i].version);
		v = cJSON_CreateObject();
		cJSON_AddStringToObject(v, "groupVersion", gv);
		cJSON_AddStringToObject(v, "version", kube_types[i].version);
		cJSON_AddItemToArray(versions, v);
		cJSON_AddItemToObject(g, "preferredVersion", cJSON_Duplicate(v, 1));
		free(gv);
		break; /* one version per group */
	}
	return g;
}

static int group_served(const char *group, const char *version)
{
	size_t i;
	for (i = 0; i < NTYPES; i++)
		if (*group && !strcmp(kube_types[i].group, group) &&
		    (!version || !strcmp(kube_types[i].version, version)))
			return 1;
	return 0;
}

static cJSON *group_list(void)
{
	cJSON *doc = cJSON_CreateObject(), *groups;
	size_t i, j;
	cJSON_AddStringToObject(doc, "kind", "APIGroupList");
	cJSON_AddStringToObject(doc, "apiVersion", "v1");
	groups = cJSON_AddArrayToObject(doc, "groups");
	for (i = 0; i < NTYPES; i++) {
		if (!*kube_types[i].group)
			continue;
		for (j = 0; j < i; j++)
			if (!strcmp(kube_types[j].group, kube_types[i].group))
				break;
		if (j == i)
			cJSON_AddItemToArray(groups, api_group(kube_types[i].group));
	}
	return doc;
}

/* ---- the store and its journal ---- */

typedef struct {
	const kube_type *t;
	char *ns;
	char *name;
	cJSON *labels; /* NULL: none */
	char *sig;     /* printed without resourceVersion: what a change is */
	char *body;    /* printed with it */
	unsigned long long rv;
	size_t seq; /* rendering order, to keep the first of two owners */
} kube_obj;

typedef struct {
	unsigned long long rv;
	const char *type; /* ADDED, MODIFIED, DELETED */
	const kube_type *t;
	char *ns;
	char *name;
	cJSON *labels;
	char *body;
} kube_event;

struct sim_kube {
	kube_obj *objs; /* sorted: type, namespace, name */
	size_t nobjs;
	kube_event ring[KUBE_EVENTS];
	size_t head, count;       /* oldest at head */
	unsigned long long floor; /* a watch from before this rv has lost events */
	int started;
	/* what the last rendering saw: without a change since, it would be the same */
	unsigned long long seen_rv;
	size_t seen_secrets;
	int seen_moving;
};

static void free_text(const kube_type *t, char *s)
{
	if (s && is_secret(t))
		mech_secret_free(s);
	else
		free(s);
}

static void obj_dispose(kube_obj *o)
{
	free(o->ns);
	free(o->name);
	cJSON_Delete(o->labels);
	free_text(o->t, o->sig);
	free_text(o->t, o->body);
}

static void event_dispose(kube_event *e)
{
	free(e->ns);
	free(e->name);
	cJSON_Delete(e->labels);
	free_text(e->t, e->body);
}

void sim_kube_dispose(sim_kube *k)
{
	size_t i;
	if (!k)
		return;
	for (i = 0; i < k->nobjs; i++)
		obj_dispose(&k->objs[i]);
	free(k->objs);
	for (i = 0; i < k->count; i++)
		event_dispose(&k->ring[(k->head + i) % KUBE_EVENTS]);
	free(k);
}

static int cmp_obj(const void *x, const void *y)
{
	const kube_obj *a = x, *b = y;
	int c;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if ((c = strcmp(a->ns, b->ns)) || (c = strcmp(a->name, b->name)))
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int same_key(const kube_obj *a, const kube_obj *b)
{
	return a->t == b->t && !strcmp(a->ns, b->ns) && !strcmp(a->name, b->name);
}

typedef struct {
	kube_obj *objs;
	size_t n;
	cJSON **docs; /* the rendering, until printed with its resourceVersion */
} rendering;

static const char *meta_str(const cJSON *o, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	const cJSON *v = cJSON_IsObject(m) ? cJSON_GetObjectItemCaseSensitive(m, key) : NULL;
	return cJSON_IsString(v) ? v->valuestring : "";
}

static void collect(void *arg, const char *group, const char *kind, cJSON *obj)
{
	rendering *r = arg;
	const kube_type *t = type_of_kind(group, kind);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata"), *labels;
	kube_obj *o;

	if (!t) {
		cJSON_Delete(obj);
		return;
	}
	r->objs = mech_reallocarray(r->objs, r->n + 1, sizeof(*r->objs));
	r->docs = mech_reallocarray(r->docs, r->n + 1, sizeof(*r->docs));
	o = &r->objs[r->n];
	memset(o, 0, sizeof(*o));
	o->t = t;
	o->ns = mech_strdup(meta_str(obj, "namespace"));
	o->name = mech_strdup(meta_str(obj, "name"));
	labels = cJSON_IsObject(m) ? cJSON_GetObjectItemCaseSensitive(m, "labels") : NULL;
	o->labels = cJSON_IsObject(labels) ? cJSON_Duplicate(labels, 1) : NULL;
	o->sig = is_secret(t) ? sim_print_secret(obj) : cJSON_PrintUnformatted(obj);
	o->seq = r->n;
	r->docs[r->n] = obj;
	r->n++;
}

static void doc_free(const kube_type *t, cJSON *doc)
{
	if (is_secret(t))
		sim_wipe_secret(doc);
	else
		cJSON_Delete(doc);
}

/* The object printed with resourceVersion rv. */
static char *with_rv(const kube_type *t, cJSON *doc, unsigned long long rv)
{
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
	char buf[32];
	if (!cJSON_IsObject(meta))
		meta = cJSON_AddObjectToObject(doc, "metadata");
	snprintf(buf, sizeof(buf), "%llu", rv);
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "resourceVersion");
	cJSON_AddStringToObject(meta, "resourceVersion", buf);
	if (is_secret(t))
		return sim_print_secret(doc);
	return cJSON_PrintUnformatted(doc);
}

static void journal(sim_kube *k, const char *type, const kube_obj *o, const char *body)
{
	kube_event *e;
	if (k->count == KUBE_EVENTS) {
		kube_event *old = &k->ring[k->head];
		k->floor = old->rv;
		event_dispose(old);
		k->head = (k->head + 1) % KUBE_EVENTS;
		k->count--;
	}
	e = &k->ring[(k->head + k->count) % KUBE_EVENTS];
	e->rv = o->rv;
	e->type = type;
	e->t = o->t;
	e->ns = mech_strdup(o->ns);
	e->name = mech_strdup(o->name);
	e->labels = o->labels ? cJSON_Duplicate(o->labels, 1) : NULL;
	e->body = is_secret(o->t) ? NULL : mech_strdup(body);
	if (is_secret(o->t)) {
		/* one allocation of the final size: no copy of the values left behind */
		size_t n = strlen(body);
		e->body = mech_calloc(n + 1, 1);
		memcpy(e->body, body, n);
	}
	k->count++;
}

void sim_kube_refresh(sim_world *w)
{
	sim_kube *k = w->kube;
	rendering r = {NULL, 0, NULL};
	kube_obj *next;
	size_t i, j, n = 0;
	int moving;

	if (!k)
		k = w->kube = mech_calloc(1, sizeof(*k));
	moving = sim_render_k8s_moving(w, sim_now_ms());
	/* nothing changed, no rollout running now or at the last rendering: the same again */
	if (k->started && w->rv == k->seen_rv && w->nsecrets == k->seen_secrets && !moving &&
	    !k->seen_moving)
		return;
	if (!k->started) {
		k->floor = w->rv;
		k->started = 1;
	}
	sim_render_k8s_each(w, collect, &r);
	/* sort by key, keeping each rendering's document beside it */
	{
		cJSON **docs = mech_calloc(r.n ? r.n : 1, sizeof(*docs));
		if (r.n)
			qsort(r.objs, r.n, sizeof(*r.objs), cmp_obj);
		for (i = 0; i < r.n; i++)
			docs[i] = r.docs[r.objs[i].seq];
		free(r.docs);
		r.docs = docs;
	}
	next = mech_calloc(r.n ? r.n : 1, sizeof(*next));
	i = 0; /* old */
	for (j = 0; j < r.n; j++) {
		kube_obj *o = &r.objs[j];
		if (n && same_key(&next[n - 1], o)) { /* a second owner: the first one counts */
			obj_dispose(o);
			doc_free(o->t, r.docs[j]);
			continue;
		}
		while (i < k->nobjs && cmp_obj(&k->objs[i], o) < 0 && !same_key(&k->objs[i], o)) {
			/* gone: DELETED, with the resourceVersion of its deletion */
			kube_obj *gone = &k->objs[i++];
			cJSON *doc = cJSON_Parse(gone->body);
			char *body;
			gone->rv = ++w->rv;
			body = doc ? with_rv(gone->t, doc, gone->rv) : NULL;
			journal(k, "DELETED", gone, body ? body : gone->body);
			if (doc)
				doc_free(gone->t, doc);
			free_text(gone->t, body);
			obj_dispose(gone);
		}
		if (i < k->nobjs && same_key(&k->objs[i], o)) {
			kube_obj *old = &k->objs[i++];
			if (!strcmp(old->sig, o->sig)) {
				/* unchanged: keep its resourceVersion */
				o->rv = old->rv;
				o->body = old->body;
				old->body = NULL;
			} else {
				o->rv = ++w->rv;
				o->body = with_rv(o->t, r.docs[j], o->rv);
				journal(k, "MODIFIED", o, o->body);
			}
			obj_dispose(old);
		} else {
			o->rv = ++w->rv;
			o->body = with_rv(o->t, r.docs[j], o->rv);
			journal(k, "ADDED", o, o->body);
		}
		doc_free(o->t, r.docs[j]);
		next[n++] = *o;
	}
	for (; i < k->nobjs; i++) {
		kube_obj *gone = &k->objs[i];
		cJSON *doc = cJSON_Parse(gone->body);
		char *body;
		gone->rv = ++w->rv;
		body = doc ? with_rv(gone->t, doc, gone->rv) : NULL;
		journal(k, "DELETED", gone, body ? body : gone->body);
		if (doc)
			doc_free(gone->t, doc);
		free_text(gone->t, body);
		obj_dispose(gone);
	}
	free(k->objs);
	free(r.objs);
	free(r.docs);
	k->objs = next;
	k->nobjs = n;
	k->seen_rv = w->rv;
	k->seen_secrets = w->nsecrets;
	k->seen_moving = moving;
}

unsigned long long sim_kube_rv(const sim_world *w, const char *group, const char *kind,
			       const char *ns, const char *name)
{
	const kube_type *t = type_of_kind(group, kind);
	size_t i;
	for (i = 0; t && w->kube && i < w->kube->nobjs; i++) {
		const kube_obj *o = &w->kube->objs[i];
		if (o->t == t && !strcmp(o->ns, ns) && !strcmp(o->name, name))
			return o->rv;
	}
	return 0;
}

/* ---- selectors ---- */

typedef enum { SEL_EQ, SEL_NEQ, SEL_EXISTS, SEL_NOT_EXISTS, SEL_IN, SEL_NOT_IN } sel_op;

typedef struct {
	sel_op op;
	char *key;
	mech_strv values;
} requirement;

typedef struct {
	requirement *reqs;
	size_t n;
	char *name;      /* fieldSelector metadata.name (=, ==) */
	int name_not;    /* metadata.name!= */
	char *namespace; /* fieldSelector metadata.namespace */
	int ns_not;
} selector;

static void selector_dispose(selector *s)
{
	size_t i;
	for (i = 0; i < s->n; i++) {
		free(s->reqs[i].key);
		mech_strv_dispose(&s->reqs[i].values);
	}
	free(s->reqs);
	free(s->name);
	free(s->namespace);
	memset(s, 0, sizeof(*s));
}

static int label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_' || c == '/';
}

static const char *skip_space(const char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

static char *word(const char **pp)
{
	const char *p = skip_space(*pp), *start = p;
	while (label_char(*p))
		p++;
	*pp = p;
	return mech_strndup(start, (size_t)(p - start));
}

/* Kubernetes' label selector syntax: equality, existence and sets. 0, or -1 with *err. */
static int selector_parse(selector *s, const char *text, char **err)
{
	const char *p = text;
	if (!*skip_space(p))
		return 0;
	for (;;) {
		requirement r;
		memset(&r, 0, sizeof(r));
		p = skip_space(p);
		if (*p == '!') {
			p++;
			r.op = SEL_NOT_EXISTS;
		} else {
			r.op = SEL_EXISTS;
		}
		r.key = word(&p);
		if (!*r.key) {
			*err = mech_sprintf("unable to parse requirement: labelSelector \"%s\": "
					    "expected a label key at \"%s\"",
					    text, p);
			free(r.key);
			return -1;
		}
		p = skip_space(p);
		if (r.op == SEL_EXISTS && (*p == '=' || (*p == '!' && p[1] == '='))) {
			r.op = *p == '!' ? SEL_NEQ : SEL_EQ;
			p += *p == '!' || p[1] == '=' ? 2 : 1;
			mech_strv_push(&r.values, "");
			free(r.values.items[0]);
			r.values.items[0] = word(&p);
		} else if (r.op == SEL_EXISTS && (!strncmp(p, "in", 2) || !strncmp(p, "notin", 5))) {
			r.op = p[0] == 'i' ? SEL_IN : SEL_NOT_IN;
			p = skip_space(p + (r.op == SEL_IN ? 2 : 5));
			if (*p != '(')
				goto bad;
			p++;
			for (;;) {
				char *v = word(&p);
				mech_strv_push(&r.values, v);
				free(v);
				p = skip_space(p);
				if (*p == ',') {
					p++;
					continue;
				}
				if (*p != ')')
					goto bad;
				p++;
				break;
			}
		}
		s->reqs = mech_reallocarray(s->reqs, s->n + 1, sizeof(*s->reqs));
		s->reqs[s->n++] = r;
		p = skip_space(p);
		if (!*p)
			return 0;
		if (*p != ',') {
			*err = mech_sprintf("unable to parse requirement: labelSelector \"%s\": "
					    "found '%s', expected: ',', in, notin, =, ==, !=",
					    text, p);
			return -1;
		}
		p++;
		continue;
	bad:
		*err = mech_sprintf("unable to parse requirement: labelSelector \"%s\": "
				    "expected a list of values in parentheses at \"%s\"",
				    text, p);
		free(r.key);
		mech_strv_dispose(&r.values);
		return -1;
	}
}

/* fieldSelector: metadata.name and metadata.namespace, = == and != (all types have them). */
static int field_parse(selector *s, const char *text, char **err)
{
	char *copy = mech_strdup(text), *save = NULL, *tok;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *op = strstr(tok, "!="), *v;
		int neg = op != NULL;
		if (!op)
			op = strchr(tok, '=');
		if (!op) {
			*err = mech_sprintf("invalid selector: '%s'; can't understand '%s'", text,
					    tok);
			free(copy);
			return -1;
		}
		*op = '\0';
		v = op + (neg ? 2 : op[1] == '=' ? 2 : 1);
		if (!strcmp(tok, "metadata.name")) {
			free(s->name);
			s->name = mech_strdup(v);
			s->name_not = neg;
		} else if (!strcmp(tok, "metadata.namespace")) {
			free(s->namespace);
			s->namespace = mech_strdup(v);
			s->ns_not = neg;
		} else {
			*err = mech_sprintf("field label not supported: %s", tok);
			free(copy);
			return -1;
		}
	}
	free(copy);
	return 0;
}

static int selector_match(const selector *s, const char *ns, const char *name, const cJSON *labels)
{
	size_t i;
	if (s->name && (strcmp(s->name, name) == 0) == s->name_not)
		return 0;
	if (s->namespace && (strcmp(s->namespace, ns) == 0) == s->ns_not)
		return 0;
	for (i = 0; i < s->n; i++) {
		const requirement *r = &s->reqs[i];
		const cJSON *v = labels ? cJSON_GetObjectItemCaseSensitive(labels, r->key) : NULL;
		const char *val = cJSON_IsString(v) ? v->valuestring : NULL;
		int ok;
		switch (r->op) {
		case SEL_EQ:
			ok = val && !strcmp(val, r->values.items[0]);
			break;
		case SEL_NEQ:
			ok = !val || strcmp(val, r->values.items[0]);
			break;
		case SEL_EXISTS:
			ok = val != NULL;
			break;
		case SEL_NOT_EXISTS:
			ok = val == NULL;
			break;
		case SEL_IN:
			ok = val && mech_strv_contains(&r->values, val);
			break;
		default:
			ok = !val || !mech_strv_contains(&r->values, val);
			break;
		}
		if (!ok)
			return 0;
	}
	return 1;
}

/* ---- tables: what kubectl prints without -o ---- */

/*
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` asks for the
 * columns the apiserver prints (and a CRD's additionalPrinterColumns), with
 * the object in each row. Not for Secrets: their values stay where they are.
 */
static int wants_table(const char *accept, const kube_type *t)
{
	return accept && strstr(accept, "as=Table") && strstr(accept, "g=meta.k8s.io") &&
	       !is_secret(t);
}

static const cJSON *at_path(const cJSON *o, const char *path)
{
	char *copy = mech_strdup(path), *save = NULL, *tok;
	for (tok = strtok_r(copy, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		o = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, tok) : NULL;
	free(copy);
	return o;
}

static const char *str_at(const cJSON *o, const char *path, const char *dflt)
{
	const cJSON *v = at_path(o, path);
	return cJSON_IsString(v) ? v->valuestring : dflt;
}

static int int_at(const cJSON *o, const char *path)
{
	const cJSON *v = at_path(o, path);
	return cJSON_IsNumber(v) ? v->valueint : 0;
}

/* kubectl's short durations (apimachinery duration.HumanDuration). */
static char *age(const char *rfc3339, time_t now)
{
	struct tm tm;
	long s, m, h, d;
	memset(&tm, 0, sizeof(tm));
	if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return mech_strdup("<unknown>");
	s = (long)(now - timegm(&tm));
	if (s < 0)
		s = 0;
	m = s / 60, h = s / 3600, d = s / 86400;
	if (s < 120)
		return mech_sprintf("%lds", s);
	if (m < 10)
		return s % 60 ? mech_sprintf("%ldm%lds", m, s % 60) : mech_sprintf("%ldm", m);
	if (m < 180)
		return mech_sprintf("%ldm", m);
	if (h < 8)
		return m % 60 ? mech_sprintf("%ldh%ldm", h, m % 60) : mech_sprintf("%ldh", h);
	if (h < 48)
		return mech_sprintf("%ldh", h);
	if (d < 8)
		return h % 24 ? mech_sprintf("%ldd%ldh", d, h % 24) : mech_sprintf("%ldd", d);
	return mech_sprintf("%ldd", d);
}

static const char *const *columns_of(const kube_type *t)
{
	static const char *const deployment[] = {"Ready", "Up-to-date", "Available", "Age", NULL};
	static const char *const replicaset[] = {"Desired", "Current", "Ready", "Age", NULL};
	static const char *const pod[] = {"Ready", "Status", "Restarts", "Age", NULL};
	static const char *const service[] = {"Type",    "Cluster-IP", "External-IP",
					      "Port(s)", "Age",        NULL};
	static const char *const event[] = {"Last Seen", "Type",    "Reason",
					    "Object",    "Message", NULL};
	static const char *const route[] = {"Hostnames", "Age", NULL};
	static const char *const cluster[] = {"Age",    "Instances", "Ready",
					      "Status", "Primary",   NULL};
	static const char *const ns[] = {"Status", "Age", NULL};
	static const char *const other[] = {"Age", NULL};
	const char *k = t->kind;
	return !strcmp(k, "Deployment")   ? deployment
	       : !strcmp(k, "ReplicaSet") ? replicaset
	       : !strcmp(k, "Pod")        ? pod
	       : !strcmp(k, "Service")    ? service
	       : !strcmp(k, "Event")      ? event
	       : !strcmp(k, "HTTPRoute")  ? route
	       : !strcmp(k, "Cluster")    ? cluster
	       : !strcmp(k, "Namespace")  ? ns
					  : other;
}

static void cell(cJSON *cells, char *s)
{
	cJSON_AddItemToArray(cells, cJSON_CreateString(s));
	free(s);
}

static void cell_int(cJSON *cells, int n)
{
	cJSON_AddItemToArray(cells, cJSON_CreateNumber(n));
}

/* The cells after Name (Events have none: Last Seen comes first). */
static void cells_of(const kube_type *t, const cJSON *o, cJSON *cells, time_t now)
{
	const char *k = t->kind, *created = str_at(o, "metadata.creationTimestamp", NULL);
	const cJSON *it;
	mech_buf b = MECH_BUF_INIT;

	if (!strcmp(k, "Deployment")) {
		cell(cells, mech_sprintf("%d/%d", int_at(o, "status.readyReplicas"),
					 int_at(o, "spec.replicas")));
		cell_int(cells, int_at(o, "status.updatedReplicas"));
		cell_int(cells, int_at(o, "status.availableReplicas"));
	} else if (!strcmp(k, "ReplicaSet")) {
		cell_int(cells, int_at(o, "spec.replicas"));
		cell_int(cells, int_at(o, "status.replicas"));
		cell_int(cells, int_at(o, "status.readyReplicas"));
	} else if (!strcmp(k, "Pod")) {
		int ready = 0, total = 0;
		const char *status = str_at(o, "status.phase", "Unknown");
		cJSON_ArrayForEach(it, at_path(o, "status.containerStatuses"))
		{
			total++;
			ready += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "ready"));
			status = str_at(it, "state.waiting.reason", status);
		}
		cell(cells, mech_sprintf("%d/%d", ready, total));
		cell(cells, mech_strdup(status));
		cell_int(cells, 0);
	} else if (!strcmp(k, "Service")) {
		cell(cells, mech_strdup(str_at(o, "spec.type", "ClusterIP")));
		cell(cells, mech_strdup(str_at(o, "spec.clusterIP", "<none>")));
		cell(cells, mech_strdup("<none>"));
		cJSON_ArrayForEach(it, at_path(o, "spec.ports"))
			mech_buf_printf(&b, "%s%d/%s", b.len ? "," : "", int_at(it, "port"),
					str_at(it, "protocol", "TCP"));
		cell(cells, mech_strdup(b.len ? b.ptr : "<none>"));
	} else if (!strcmp(k, "Event")) {
		char *kind = mech_strdup(str_at(o, "involvedObject.kind", "")), *p;
		for (p = kind; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		cell(cells, age(str_at(o, "lastTimestamp", created), now));
		cell(cells, mech_strdup(str_at(o, "type", "")));
		cell(cells, mech_strdup(str_at(o, "reason", "")));
		cell(cells, mech_sprintf("%s/%s", kind, str_at(o, "involvedObject.name", "")));
		cell(cells, mech_strdup(str_at(o, "message", "")));
		free(kind);
		return;
	} else if (!strcmp(k, "HTTPRoute")) {
		cJSON_ArrayForEach(it, at_path(o, "spec.hostnames")) if (cJSON_IsString(it))
			mech_buf_printf(&b, "%s%s", b.len ? "," : "", it->valuestring);
		cell(cells, mech_strdup(b.len ? b.ptr : ""));
	} else if (!strcmp(k, "Cluster")) {
		cell(cells, age(created, now));
		cell_int(cells, int_at(o, "spec.instances"));
		cell_int(cells, int_at(o, "status.readyInstances"));
		cell(cells, mech_strdup(str_at(o, "status.phase", "")));
		cell(cells, mech_strdup(str_at(o, "status.currentPrimary", "")));
		mech_buf_dispose(&b);
		return;
	} else if (!strcmp(k, "Namespace")) {
		cell(cells, mech_strdup(str_at(o, "status.phase", "")));
	}
	mech_buf_dispose(&b);
	cell(cells, age(created, now));
}

static cJSON *table_new(const kube_type *t, unsigned long long rv, int headers)
{
	cJSON *tb = cJSON_CreateObject(), *defs;
	const char *const *c;
	char buf[32];
	snprintf(buf, sizeof(buf), "%llu", rv);
	cJSON_AddStringToObject(tb, "kind", "Table");
	cJSON_AddStringToObject(tb, "apiVersion", "meta.k8s.io/v1");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(tb, "metadata"), "resourceVersion", buf);
	defs = cJSON_AddArrayToObject(tb, "columnDefinitions");
	for (c = columns_of(t); headers && *c; c++) {
		int first = c == columns_of(t);
		cJSON *d;
		if (first && strcmp(t->kind, "Event")) {
			d = cJSON_CreateObject();
			cJSON_AddStringToObject(d, "name", "Name");
			cJSON_AddStringToObject(d, "type", "string");
			cJSON_AddStringToObject(d, "format", "name");
			cJSON_AddStringToObject(d, "description", "Name of the object");
			cJSON_AddNumberToObject(d, "priority", 0);
			cJSON_AddItemToArray(defs, d);
		}
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "name", *c);
		cJSON_AddStringToObject(d, "type",
					!strcmp(*c, "Up-to-date") || !strcmp(*c, "Available") ||
							!strcmp(*c, "Desired") ||
							!strcmp(*c, "Current") ||
							!strcmp(*c, "Restarts") ||
							!strcmp(*c, "Instances") ||
							(!strcmp(*c, "Ready") &&
							 (!strcmp(t->kind, "ReplicaSet") ||
							  !strcmp(t->kind, "Cluster")))
						? "integer"
						: "string");
		cJSON_AddStringToObject(d, "format", "");
		cJSON_AddStringToObject(d, "description", *c);
		cJSON_AddNumberToObject(d, "priority", 0);
		cJSON_AddItemToArray(defs, d);
	}
	cJSON_AddArrayToObject(tb, "rows");
	return tb;
}

static void table_row(cJSON *tb, const kube_type *t, const char *body, time_t now)
{
	cJSON *o = cJSON_Parse(body), *row, *cells;
	if (!o)
		return;
	row = cJSON_CreateObject();
	cells = cJSON_AddArrayToObject(row, "cells");
	if (strcmp(t->kind, "Event"))
		cJSON_AddItemToArray(cells, cJSON_CreateString(str_at(o, "metadata.name", "")));
	cells_of(t, o, cells, now);
	cJSON_AddItemToObject(row, "object", o);
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(tb, "rows"), row);
}

/* ---- requests ---- */

/* A request's scope: its type, namespace ("" = all) and selectors. */
typedef struct {
	const kube_type *t;
	char *ns;
	selector sel;
	int table; /* answer a Table */
} scope;

static int scope_read(scope *sc, sim_kube_arg_fn arg, void *ctx, char **err)
{
	const char *ls = arg(ctx, "labelSelector"), *fs = arg(ctx, "fieldSelector");
	if (ls && selector_parse(&sc->sel, ls, err) < 0)
		return -1;
	if (fs && field_parse(&sc->sel, fs, err) < 0)
		return -1;
	return 0;
}

static int in_scope(const scope *sc, const kube_type *t, const char *ns, const char *name,
		    const cJSON *labels)
{
	return t == sc->t && (!*sc->ns || !strcmp(sc->ns, ns)) &&
	       selector_match(&sc->sel, ns, name, labels);
}

static void list(sim_world *w, const scope *sc, sim_kube_answer *ans)
{
	sim_kube *k = w->kube;
	mech_buf b = MECH_BUF_INIT;
	char *api_version = api_version_of(sc->t);
	size_t i, n = 0, size = 256;

	if (is_secret(sc->t)) {
		/* one allocation of the final size: no copies of the values left behind */
		for (i = 0; k && i < k->nobjs; i++)
			if (in_scope(sc, k->objs[i].t, k->objs[i].ns, k->objs[i].name,
				     k->objs[i].labels))
				size += strlen(k->objs[i].body) + 1;
		b.secret = 1;
		mech_buf_grow(&b, size);
		ans->secret = 1;
	}
	if (sc->table) {
		cJSON *tb = table_new(sc->t, w->rv, 1);
		time_t now = time(NULL);
		for (i = 0; k && i < k->nobjs; i++)
			if (in_scope(sc, k->objs[i].t, k->objs[i].ns, k->objs[i].name,
				     k->objs[i].labels))
				table_row(tb, sc->t, k->objs[i].body, now);
		free(api_version);
		ans->status = 200;
		ans->body = print(tb);
		return;
	}
	mech_buf_printf(&b,
			"{\"kind\":\"%sList\",\"apiVersion\":\"%s\",\"metadata\":{"
			"\"resourceVersion\":\"%llu\"},\"items\":[",
			sc->t->kind, api_version, w->rv);
	for (i = 0; k && i < k->nobjs; i++) {
		const kube_obj *o = &k->objs[i];
		if (!in_scope(sc, o->t, o->ns, o->name, o->labels))
			continue;
		if (n++)
			mech_buf_putc(&b, ',');
		mech_buf_puts(&b, o->body);
	}
	mech_buf_puts(&b, "]}");
	free(api_version);
	ans->status = 200;
	ans->body = mech_buf_detach(&b);
}

static void get(sim_world *w, const kube_type *t, const char *ns, const char *name, int table,
		sim_kube_answer *ans)
{
	sim_kube *k = w->kube;
	size_t i;
	for (i = 0; k && i < k->nobjs; i++) {
		const kube_obj *o = &k->objs[i];
		if (o->t == t && !strcmp(o->ns, ns) && !strcmp(o->name, name)) {
			size_t len = strlen(o->body);
			if (table) {
				cJSON *tb = table_new(t, o->rv, 1);
				table_row(tb, t, o->body, time(NULL));
				ans->status = 200;
				ans->body = print(tb);
				return;
			}
			ans->status = 200;
			ans->secret = is_secret(t);
			ans->body = mech_calloc(len + 1, 1);
			memcpy(ans->body, o->body, len);
			return;
		}
	}
	{
		char *msg = *t->group ? mech_sprintf("%s.%s \"%s\" not found", t->plural, t->group,
						     name)
				      : mech_sprintf("%s \"%s\" not found", t->plural, name);
		answer_status(ans, 404, "NotFound", msg, t->group, t->plural, name);
		free(msg);
	}
}

/* ---- watch ---- */

struct sim_kube_watch {
	scope sc;
	unsigned long long rv; /* events after this one */
	int initial;           /* no resourceVersion: every object ADDED first */
	double end_ms;
	int done;
	int headers_sent; /* a Table watch: column definitions in the first event only */
	/* a pod's log followed (follow=true): its text once, then open until the pod goes */
	char *log_pod;
	char *log_text;
};

void sim_kube_watch_free(sim_kube_watch *kw)
{
	if (!kw)
		return;
	free(kw->sc.ns);
	selector_dispose(&kw->sc.sel);
	free(kw->log_pod);
	free(kw->log_text);
	free(kw);
}

static void event_line(mech_buf *out, const char *type, const char *body);

/* One event, its object as a Table of one row when the watch asked for tables. */
static void watch_event(sim_kube_watch *kw, mech_buf *out, const char *type, unsigned long long rv,
			const char *body)
{
	cJSON *tb;
	char *json;
	if (!kw->sc.table) {
		event_line(out, type, body);
		return;
	}
	tb = table_new(kw->sc.t, rv, !kw->headers_sent);
	kw->headers_sent = 1;
	table_row(tb, kw->sc.t, body, time(NULL));
	json = print(tb);
	event_line(out, type, json);
	free(json);
}

static void event_line(mech_buf *out, const char *type, const char *body)
{
	mech_buf_printf(out, "{\"type\":\"%s\",\"object\":", type);
	mech_buf_puts(out, body);
	mech_buf_puts(out, "}\n");
}

int sim_kube_watch_next(sim_world *w, sim_kube_watch *kw, mech_buf *out, double now_ms,
			double *wait_ms)
{
	sim_kube *k = w->kube;
	size_t i;

	*wait_ms = kw->end_ms - now_ms;
	if (kw->done || now_ms >= kw->end_ms)
		return 1;
	if (kw->log_pod) {
		if (kw->log_text) {
			mech_buf_puts(out, kw->log_text);
			free(kw->log_text);
			kw->log_text = NULL;
			return 0;
		}
		/* the sim's containers write nothing after startup: the stream ends with the pod */
		for (i = 0; k && i < k->nobjs; i++)
			if (!strcmp(k->objs[i].t->kind, "Pod") &&
			    !strcmp(k->objs[i].ns, kw->sc.ns) &&
			    !strcmp(k->objs[i].name, kw->log_pod))
				return 0;
		return 1;
	}
	if (is_secret(kw->sc.t))
		out->secret = 1;
	if (kw->initial) {
		for (i = 0; k && i < k->nobjs; i++) {
			const kube_obj *o = &k->objs[i];
			if (in_scope(&kw->sc, o->t, o->ns, o->name, o->labels))
				watch_event(kw, out, "ADDED", o->rv, o->body);
		}
		kw->initial = 0;
		kw->rv = w->rv;
		return 0;
	}
	if (k && kw->rv < k->floor) {
		char *msg = mech_sprintf("too old resource version: %llu (%llu)", kw->rv,
					 k->floor + 1);
		char *st = sim_kube_status(410, "Expired", msg, NULL, NULL, NULL);
		event_line(out, "ERROR", st);
		free(st);
		free(msg);
		kw->done = 1;
		return 0;
	}
	for (i = 0; k && i < k->count; i++) {
		const kube_event *e = &k->ring[(k->head + i) % KUBE_EVENTS];
		if (e->rv > kw->rv && in_scope(&kw->sc, e->t, e->ns, e->name, e->labels))
			watch_event(kw, out, e->type, e->rv, e->body);
	}
	if (w->rv > kw->rv)
		kw->rv = w->rv;
	return 0;
}

/* ---- routing ---- */

static int truthy(const char *v)
{
	return v && (!strcmp(v, "1") || !strcmp(v, "true"));
}

static int parse_ull(const char *s, unsigned long long *out)
{
	char *end = NULL;
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	*out = strtoull(s, &end, 10);
	return *end ? -1 : 0;
}

static void start_watch(sim_world *w, scope *sc, sim_kube_arg_fn arg, void *ctx,
			sim_kube_answer *ans)
{
	const char *rv = arg(ctx, "resourceVersion"), *to = arg(ctx, "timeoutSeconds");
	unsigned long long v = 0, secs = WATCH_DEFAULT_S;
	sim_kube_watch *kw;

	if (rv && *rv && parse_ull(rv, &v) < 0) {
		char *msg = mech_sprintf("resourceVersion: Invalid value: \"%s\": must be an "
					 "integer",
					 rv);
		answer_bad_request(ans, msg);
		free(msg);
		return;
	}
	if (to && (parse_ull(to, &secs) < 0 || secs > 24 * 3600)) {
		char *msg = mech_sprintf("timeoutSeconds: Invalid value: \"%s\": must be 0 to "
					 "86400",
					 to);
		answer_bad_request(ans, msg);
		free(msg);
		return;
	}
	kw = mech_calloc(1, sizeof(*kw));
	kw->sc = *sc;
	memset(sc, 0, sizeof(*sc));
	kw->initial = !rv || !*rv || v == 0;
	kw->rv = v;
	kw->end_ms = sim_now_ms() + (secs ? (double)secs * 1000.0 : WATCH_DEFAULT_S * 1000.0);
	(void)w;
	ans->status = 200;
	ans->watch = kw;
}

/* ---- pod logs ---- */

/*
 * GET .../pods/<name>/log: what the kubelet would return for the sim's
 * containers. A running container printed its startup lines; a degraded
 * image crash-loops, each run ending with an error line (the current
 * attempt and --previous read the same text); a container still being
 * created has no log yet. Lines are one second apart from the run's start,
 * so sinceSeconds selects among them.
 */

typedef struct {
	time_t at;
	char *text;
} log_line;

static time_t rfc3339_time(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return time(NULL);
	return timegm(&tm);
}

/* "reg.example/team/nginx:1.27" → "nginx" and "1.27" ("latest" without a tag). */
static void image_words(const char *image, char **name, char **tag)
{
	const char *slash = strrchr(image, '/'), *base = slash ? slash + 1 : image;
	const char *at = strchr(base, '@'), *colon = strchr(base, ':');
	size_t n = colon ? (size_t)(colon - base) : at ? (size_t)(at - base) : strlen(base);
	*name = mech_sprintf("%.*s", (int)n, base);
	size_t tn = !colon ? 0 : at && at > colon ? (size_t)(at - colon - 1) : strlen(colon + 1);
	*tag = colon ? mech_sprintf("%.*s", (int)tn, colon + 1) : mech_strdup("latest");
}

static void log_add(log_line **lines, size_t *n, time_t at, char *text)
{
	*lines = mech_reallocarray(*lines, *n + 1, sizeof(**lines));
	(*lines)[*n].at = at;
	(*lines)[(*n)++].text = text;
}

/* One run of a container: its startup, and its crash when `crashed`. */
static void run_lines(const cJSON *ctr, time_t start, int crashed, log_line **lines, size_t *n)
{
	const char *image = str_at(ctr, "image", "");
	const cJSON *ports = at_path(ctr, "ports");
	const cJSON *p0 = cJSON_IsArray(ports) ? cJSON_GetArrayItem(ports, 0) : NULL;
	int port = p0 ? int_at(p0, "containerPort") : 0;
	char *name, *tag;

	if (port <= 0)
		port = 8080;
	image_words(image, &name, &tag);
	log_add(lines, n, start, mech_sprintf("Starting %s %s on :%d", name, tag, port));
	if (crashed) {
		log_add(lines, n, start + 1,
			mech_sprintf("error: %s %s: startup check failed: exit status 1", name,
				     tag));
	} else {
		log_add(lines, n, start + 1, mech_sprintf("Listening on :%d", port));
		log_add(lines, n, start + 2, mech_strdup("Ready to serve requests"));
	}
	free(name);
	free(tag);
}

static int arg_count(sim_kube_arg_fn arg, void *ctx, const char *key, long long min, long long *out,
		     sim_kube_answer *ans)
{
	const char *v = arg(ctx, key);
	char *end = NULL, *msg;
	long long x;
	if (!v)
		return 0;
	x = strtoll(v, &end, 10);
	if (!*v || *end) {
		msg = mech_sprintf("%s: Invalid value: \"%s\": must be an integer", key, v);
		answer_bad_request(ans, msg);
		free(msg);
		return -1;
	}
	if (x < min) {
		msg = mech_sprintf("%s: Invalid value: %lld: must be greater than %s%lld", key, x,
				   min ? "" : "or equal to ", min ? min - 1 : min);
		answer_bad_request(ans, msg);
		free(msg);
		return -1;
	}
	*out = x;
	return 0;
}

static void pod_log(sim_world *w, const char *ns, const char *name, sim_kube_arg_fn arg, void *ctx,
		    sim_kube_answer *ans)
{
	const kube_type *t = type_of_kind("", "Pod");
	const char *want = arg(ctx, "container"), *cname = NULL, *pname;
	long long tail = -1, since = 0, limit = 0;
	int previous = truthy(arg(ctx, "previous")), stamps = truthy(arg(ctx, "timestamps"));
	const cJSON *ctrs, *ct, *spec = NULL, *status = NULL;
	cJSON *pod = NULL;
	log_line *lines = NULL;
	size_t i, n = 0, first = 0;
	mech_buf b = MECH_BUF_INIT;
	sim_kube *k = w->kube;
	char *msg = NULL;

	if (arg_count(arg, ctx, "tailLines", 0, &tail, ans) < 0 ||
	    arg_count(arg, ctx, "sinceSeconds", 1, &since, ans) < 0 ||
	    arg_count(arg, ctx, "limitBytes", 1, &limit, ans) < 0)
		return;
	for (i = 0; k && i < k->nobjs && !pod; i++)
		if (k->objs[i].t == t && !strcmp(k->objs[i].ns, ns) &&
		    !strcmp(k->objs[i].name, name))
			pod = cJSON_Parse(k->objs[i].body);
	if (!pod) {
		msg = mech_sprintf("pods \"%s\" not found", name);
		answer_status(ans, 404, "NotFound", msg, "", "pods", name);
		free(msg);
		return;
	}
	pname = str_at(pod, "metadata.name", name);
	ctrs = at_path(pod, "spec.containers");
	cJSON_ArrayForEach(ct, ctrs)
	{
		const char *nm = str_at(ct, "name", "");
		if (want ? !strcmp(nm, want) : !cname) {
			cname = nm;
			spec = ct;
		}
		if (!want && cname != nm) { /* a second container: which one? */
			mech_buf names = MECH_BUF_INIT;
			const cJSON *c2;
			cJSON_ArrayForEach(c2, ctrs)
				mech_buf_printf(&names, "%s%s", names.len ? " " : "",
						str_at(c2, "name", ""));
			msg = mech_sprintf("a container name must be specified for pod %s, choose "
					   "one of: [%s]",
					   pname, names.ptr ? names.ptr : "");
			mech_buf_dispose(&names);
			goto bad;
		}
	}
	if (!spec) {
		msg = want ? mech_sprintf("container %s is not valid for pod %s", want, pname)
			   : mech_sprintf("pod %s has no containers", pname);
		goto bad;
	}
	cJSON_ArrayForEach(ct,
			   at_path(pod,
				   "status.containerStatuses")) if (!strcmp(str_at(ct, "name", ""),
									    cname)) status = ct;
	if (previous) {
		const char *started = str_at(status, "lastState.terminated.startedAt", NULL);
		if (!started) {
			msg = mech_sprintf("previous terminated container \"%s\" in pod \"%s\" not "
					   "found",
					   cname, pname);
			goto bad;
		}
		run_lines(spec, rfc3339_time(started), 1, &lines, &n);
	} else if (str_at(status, "state.running.startedAt", NULL)) {
		run_lines(spec, rfc3339_time(str_at(status, "state.running.startedAt", NULL)), 0,
			  &lines, &n);
	} else if (str_at(status, "lastState.terminated.startedAt", NULL)) {
		/* crash-looping: the kubelet serves the last run's log */
		run_lines(spec,
			  rfc3339_time(str_at(status, "lastState.terminated.startedAt", NULL)), 1,
			  &lines, &n);
	} else {
		msg = mech_sprintf("container \"%s\" in pod \"%s\" is waiting to start: %s", cname,
				   pname,
				   str_at(status, "state.waiting.reason", "ContainerCreating"));
		goto bad;
	}
	if (since > 0) {
		time_t from = time(NULL) - (time_t)since;
		while (first < n && lines[first].at < from)
			first++;
	}
	if (tail >= 0 && n - first > (size_t)tail)
		first = n - (size_t)tail;
	for (i = first; i < n; i++) {
		if (stamps) {
			char ts[40];
			struct tm tm;
			gmtime_r(&lines[i].at, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S.000000000Z ", &tm);
			mech_buf_puts(&b, ts);
		}
		mech_buf_puts(&b, lines[i].text);
		mech_buf_putc(&b, '\n');
	}
	if (limit > 0 && b.len > (size_t)limit) {
		b.len = (size_t)limit;
		b.ptr[b.len] = '\0';
	}
	ans->status = 200;
	ans->text = 1;
	if (truthy(arg(ctx, "follow"))) {
		sim_kube_watch *kw = mech_calloc(1, sizeof(*kw));
		kw->sc.t = t;
		kw->sc.ns = mech_strdup(ns);
		kw->log_pod = mech_strdup(name);
		kw->log_text = b.len ? mech_buf_detach(&b) : mech_strdup("");
		kw->end_ms = sim_now_ms() + WATCH_DEFAULT_S * 1000.0;
		ans->watch = kw;
	} else {
		ans->body = b.len ? mech_buf_detach(&b) : mech_strdup("");
	}
	goto done;
bad:
	answer_bad_request(ans, msg);
done:
	for (i = 0; i < n; i++)
		free(lines[i].text);
	free(lines);
	free(msg);
	mech_buf_dispose(&b);
	cJSON_Delete(pod);
}

/*
 * [api/<v> | apis/<g>/<v>] [/namespaces/<ns>] /<plural> [/<name>]
 */
void sim_kube_serve(sim_world *w, const char *method, const char *url, const char *accept,
		    sim_kube_arg_fn arg, void *ctx, sim_kube_answer *ans)
{
	char *copy = mech_strdup(url), *seg[12], *save = NULL, *tok;
	const char *group, *version, *ns = "", *plural = NULL, *name = NULL;
	size_t n = 0, at;
	scope sc;
	char *err = NULL;

	memset(ans, 0, sizeof(*ans));
	memset(&sc, 0, sizeof(sc));
	for (tok = strtok_r(copy, "/", &save); tok && n < 12; tok = strtok_r(NULL, "/", &save))
		seg[n++] = tok;
	if (tok || n == 0 || (strcmp(seg[0], "api") && strcmp(seg[0], "apis"))) {
		answer_not_served(ans);
		goto done;
	}
	if (strcmp(method, "GET")) {
		answer_status(ans, 405, "MethodNotAllowed",
			      "the server does not allow this method on the requested resource",
			      NULL, NULL, NULL);
		goto done;
	}
	/* discovery */
	if (n == 1) {
		ans->status = 200;
		ans->body = !strcmp(seg[0], "api")
				    ? mech_strdup("{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],"
						  "\"serverAddressByClientCIDRs\":[]}")
				    : print(group_list());
		goto done;
	}
	if (!strcmp(seg[0], "api")) {
		group = "";
		version = seg[1];
		at = 2;
		if (strcmp(version, "v1")) {
			answer_not_served(ans);
			goto done;
		}
	} else {
		group = seg[1];
		if (n == 2) {
			if (group_served(group, NULL)) {
				cJSON *g = api_group(group);
				cJSON_AddStringToObject(g, "kind", "APIGroup");
				cJSON_AddStringToObject(g, "apiVersion", "v1");
				ans->status = 200;
				ans->body = print(g);
			} else {
				answer_not_served(ans);
			}
			goto done;
		}
		version = seg[2];
		at = 3;
		if (!group_served(group, version)) {
			answer_not_served(ans);
			goto done;
		}
	}
	if (n == at) {
		ans->status = 200;
		ans->body = print(resource_list(group, version));
		goto done;
	}
	if (!strcmp(seg[at], "namespaces") && n >= at + 3) {
		ns = seg[at + 1];
		at += 2;
	}
	plural = seg[at];
	if (n == at + 3 && *ns && !*group && !strcmp(plural, "pods") &&
	    !strcmp(seg[at + 2], "log")) {
		pthread_mutex_lock(&w->lock);
		pod_log(w, ns, seg[at + 1], arg, ctx, ans);
		pthread_mutex_unlock(&w->lock);
		goto done;
	}
	name = n == at + 2 ? seg[at + 1] : NULL;
	sc.t = type_of_path(group, version, plural);
	if (!sc.t || n > at + 2 || (name && !*ns && !sc.t->cluster) || (*ns && sc.t->cluster)) {
		answer_not_served(ans);
		goto done;
	}
	sc.ns = mech_strdup(ns);
	sc.table = wants_table(accept, sc.t);
	pthread_mutex_lock(&w->lock);
	if (name) {
		get(w, sc.t, ns, name, wants_table(accept, sc.t), ans);
	} else if (scope_read(&sc, arg, ctx, &err) < 0) {
		answer_bad_request(ans, err);
	} else if (truthy(arg(ctx, "watch"))) {
		start_watch(w, &sc, arg, ctx, ans);
	} else {
		list(w, &sc, ans);
	}
	pthread_mutex_unlock(&w->lock);
done:
	free(err);
	free(sc.ns);
	selector_dispose(&sc.sel);
	free(copy);
}
