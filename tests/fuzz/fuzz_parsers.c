/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harnesses for the other parsers of outside input:
 *   fuzz_yaml     mech_yaml_parse_all (tenant repos, config, themes), then
 *                 emit and parse again: the emitted text must parse.
 *   fuzz_receipt  mech_receipt_parse on any commit message; a message
 *                 mech formats from the parsed fields must parse back.
 *   fuzz_json     Argo CD and Kubernetes JSON: applications, watch events,
 *                 Deployments, CNPG clusters, HTTPRoutes; and the kept
 *                 parse (Argo CD's list) must accept and read what cJSON
 *                 does.
 * One file, built three times with -DMECH_FUZZ_<NAME>.
 */
#include "mech/argocd.h"
#include "mech/buf.h"
#include "mech/error.h"
#include "mech/http.h"
#include "mech/kube.h"
#include "mech/receipt.h"
#include "mech/yaml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if defined(MECH_FUZZ_YAML)

/*
 * The list's Applications, filled as they are parsed (never built): listed
 * only when the whole parse reads every item as an Application, and then
 * as many of them.
 */
static void list_reads_as_items(const uint8_t *data, size_t size)
{
	mech_buf b = MECH_BUF_INIT;
	mech_argocd_apps *apps = NULL;
	cJSON *j = NULL;
	const cJSON *it, *items;
	size_t n = 0;
	int ok = 1;
	mech_buf_put(&b, data, size);
	if (mech_argocd_app_list_parse(mech_buf_cstr(&b), size, 0, &apps) == 0) {
		if (mech_json_parse(&j, mech_buf_cstr(&b), size, "fuzz") < 0)
			abort();
		items = mech_json_get(j, "items");
		for (it = cJSON_IsArray(items) ? items->child : NULL; it; it = it->next) {
			mech_argocd_app *app = NULL;
			ok &= mech_argocd_app_parse(it, &app) == 0;
			mech_argocd_app_free(app);
			n++;
		}
		if (!ok || n != apps->len)
			abort();
	}
	mech_argocd_apps_free(apps);
	cJSON_Delete(j);
	mech_buf_dispose(&b);
	mech_error_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mech_yaml **docs = NULL;
	size_t n = 0, i;
	if (mech_yaml_parse_all(&docs, &n, (const char *)data, size, "fuzz.yaml", NULL) == 0) {
		for (i = 0; i < n; i++) {
			mech_buf out = MECH_BUF_INIT;
			mech_yaml *again = NULL;
			/* whatever mech read, what it writes back must read again */
			if (mech_yaml_emit(docs[i], &out) == 0 &&
			    mech_yaml_parse(&again, out.ptr, out.len, "emitted", NULL) != 0)
				abort();
			mech_yaml_free(again);
			mech_buf_dispose(&out);
			mech_yaml_free(docs[i]);
		}
		free(docs);
	}
	mech_error_clear();
	return 0;
}

#elif defined(MECH_FUZZ_RECEIPT)

/*
 * The list's Applications, filled as they are parsed (never built): listed
 * only when the whole parse reads every item as an Application, and then
 * as many of them.
 */
static void list_reads_as_items(const uint8_t *data, size_t size)
{
	mech_buf b = MECH_BUF_INIT;
	mech_argocd_apps *apps = NULL;
	cJSON *j = NULL;
	const cJSON *it, *items;
	size_t n = 0;
	int ok = 1;
	mech_buf_put(&b, data, size);
	if (mech_argocd_app_list_parse(mech_buf_cstr(&b), size, 0, &apps) == 0) {
		if (mech_json_parse(&j, mech_buf_cstr(&b), size, "fuzz") < 0)
			abort();
		items = mech_json_get(j, "items");
		for (it = cJSON_IsArray(items) ? items->child : NULL; it; it = it->next) {
			mech_argocd_app *app = NULL;
			ok &= mech_argocd_app_parse(it, &app) == 0;
			mech_argocd_app_free(app);
			n++;
		}
		if (!ok || n != apps->len)
			abort();
	}
	mech_argocd_apps_free(apps);
	cJSON_Delete(j);
	mech_buf_dispose(&b);
	mech_error_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *msg = mech_strndup((const char *)data, size);
	mech_receipt r, back;
	mech_receipt_parse(msg, &r);
	if (r.verb && r.trailer_verb && r.tenant && r.target && r.request &&
	    !strchr(r.summary, '\n') && !strpbrk(r.tenant, "\r") && !strpbrk(r.target, "\r") &&
	    !strpbrk(r.request, "\r")) {
		char *again = mech_receipt_format(r.verb, r.summary, "", r.tenant, r.target,
						  r.request, r.forced, r.nforced);
		mech_receipt_parse(again, &back);
		/* the verb survives a round trip through mech's own format */
		if (!back.verb || strcmp(back.verb, r.verb) || !back.trailer_verb ||
		    strcmp(back.trailer_verb, r.verb) || back.nforced != r.nforced)
			abort();
		mech_receipt_dispose(&back);
		free(again);
	}
	mech_receipt_dispose(&r);
	free(msg);
	mech_error_clear();
	return 0;
}

#elif defined(MECH_FUZZ_JSON)

static int collect(const cJSON *item, void *ctx)
{
	cJSON_AddItemToArray(ctx, cJSON_Duplicate(item, 1));
	return 0;
}

/*
 * mech_json_parse_kept against cJSON, on the bytes with the NUL every
 * caller has after them; and mech_json_parse_each, its "items" put back.
 */
static void kept_reads_as_cjson(const uint8_t *data, size_t size)
{
	mech_buf b = MECH_BUF_INIT;
	cJSON *full = NULL, *kept = NULL, *each = NULL, *got = cJSON_CreateArray();
	mech_json_each e = {"items", collect, got};
	int rf, rk, re;
	mech_buf_put(&b, data, size);
	rf = mech_json_parse(&full, mech_buf_cstr(&b), size, "fuzz");
	rk = mech_json_parse_kept(&kept, mech_buf_cstr(&b), size, "fuzz", NULL);
	re = mech_json_parse_each(&each, mech_buf_cstr(&b), size, "fuzz", NULL, &e);
	if (rf != rk || rf != re)
		abort();
	if (rf == 0) {
		char *a = cJSON_PrintUnformatted(full), *k = cJSON_PrintUnformatted(kept), *h;
		cJSON *items = cJSON_GetObjectItemCaseSensitive(each, "items");
		if (got->child && !(cJSON_IsArray(items) && !items->child))
			abort();
		while (got->child)
			cJSON_AddItemToArray(items, cJSON_DetachItemViaPointer(got, got->child));
		h = cJSON_PrintUnformatted(each);
		if (!a || !k || !h || strcmp(a, k) != 0 || strcmp(a, h) != 0)
			abort();
		free(a);
		free(k);
		free(h);
	}
	cJSON_Delete(full);
	cJSON_Delete(kept);
	cJSON_Delete(each);
	cJSON_Delete(got);
	mech_buf_dispose(&b);
	mech_error_clear();
}

/* What mech_json_parse_each said of the bytes: items handed, tree, error. */
static char *each_said(const uint8_t *data, size_t size, int fed)
{
	cJSON *doc = NULL, *got = cJSON_CreateArray();
	mech_json_each e = {"items", collect, got};
	char *items, *tree, *out;
	int rc;
	if (!fed) {
		mech_buf b = MECH_BUF_INIT;
		mech_buf_put(&b, data, size);
		rc = mech_json_parse_each(&doc, mech_buf_cstr(&b), size, "fuzz", NULL, &e);
		mech_buf_dispose(&b);
	} else {
		/* cut where the bytes say, each piece taken before the next; some
		 * sixteen of them (tests/unit/test_json.c cuts byte by byte) */
		mech_json_feed *f;
		size_t at = 0, n;
		mech_json_feed_start(&f, "fuzz", NULL, &e, 0);
		for (; at < size; at += n) {
			n = 1 + data[at] % (size / 8 + 1);
			n = n < size - at ? n : size - at;
			mech_json_feed_put(f, (const char *)data + at, n);
			mech_json_feed_sync(f);
		}
		rc = mech_json_feed_finish(f, &doc);
	}
	items = cJSON_PrintUnformatted(got);
	tree = doc ? cJSON_PrintUnformatted(doc) : NULL;
	out = mech_sprintf("%d %s %s %s", rc, items, tree ? tree : "-",
			   rc < 0 ? mech_error_last()->message : "");
	free(items);
	free(tree);
	cJSON_Delete(doc);
	cJSON_Delete(got);
	mech_error_clear();
	return out;
}

/*
 * mech_json_feed: the bytes fed in pieces say what they say whole. For one
 * input in 8 (as its bytes choose): a feed is a thread and a turn of it per
 * piece, which cost the instrumented harness far more than a parse.
 */
static void fed_reads_as_whole(const uint8_t *data, size_t size)
{
	char *whole, *fed;
	if (!size || (data[0] ^ data[size - 1] ^ (uint8_t)size) % 8 != 0)
		return;
	whole = each_said(data, size, 0);
	fed = each_said(data, size, 1);
	if (strcmp(whole, fed) != 0)
		abort();
	free(whole);
	free(fed);
}

/*
 * The list's Applications, filled as they are parsed (never built): listed
 * only when the whole parse reads every item as an Application, and then
 * as many of them.
 */
static void list_reads_as_items(const uint8_t *data, size_t size)
{
	mech_buf b = MECH_BUF_INIT;
	mech_argocd_apps *apps = NULL;
	cJSON *j = NULL;
	const cJSON *it, *items;
	size_t n = 0;
	int ok = 1;
	mech_buf_put(&b, data, size);
	if (mech_argocd_app_list_parse(mech_buf_cstr(&b), size, 0, &apps) == 0) {
		if (mech_json_parse(&j, mech_buf_cstr(&b), size, "fuzz") < 0)
			abort();
		items = mech_json_get(j, "items");
		for (it = cJSON_IsArray(items) ? items->child : NULL; it; it = it->next) {
			mech_argocd_app *app = NULL;
			ok &= mech_argocd_app_parse(it, &app) == 0;
			mech_argocd_app_free(app);
			n++;
		}
		if (!ok || n != apps->len)
			abort();
	}
	mech_argocd_apps_free(apps);
	cJSON_Delete(j);
	mech_buf_dispose(&b);
	mech_error_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *j = NULL;
	mech_argocd_event ev;
	kept_reads_as_cjson(data, size);
	fed_reads_as_whole(data, size);
	list_reads_as_items(data, size);
	if (mech_json_parse(&j, (const char *)data, size, "fuzz") == 0) {
		mech_argocd_app *app = NULL;
		mech_kube_deployment *d = NULL;
		mech_kube_pg_cluster *c = NULL;
		mech_kube_route *r = NULL;
		if (mech_argocd_app_parse(j, &app) == 0)
			mech_argocd_app_free(app);
		if (mech_kube_deployment_parse(j, &d) == 0)
			mech_kube_deployment_free(d);
		if (mech_kube_pg_cluster_parse(j, &c) == 0)
			mech_kube_pg_cluster_free(c);
		if (mech_kube_route_parse(j, &r) == 0)
			mech_kube_route_free(r);
		cJSON_Delete(j);
	}
	memset(&ev, 0, sizeof(ev));
	if (mech_argocd_event_parse((const char *)data, size, &ev) == 0)
		mech_argocd_app_free(ev.app);
	mech_error_clear();
	return 0;
}

#endif
