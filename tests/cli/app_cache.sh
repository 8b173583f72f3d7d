#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The app cache (core/verbs/app_state.c) never changes what `app list` says: after
# writes, a human's pushes (an overlay, a route, an oddly named directory),
# a deletion and a damaged cache file, the listing equals the one made with
# no cache at all; and an unchanged repo does not rewrite the cache.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"

seed_tenant alice
C="$MECH_HOME/cache/alice/apps-main.cache"
# the listing, and the same listing computed with no cache (which rebuilds it)
listing() { "$MECH" app list --json; }
uncached() { rm -f "$C"; listing; }
same_as_uncached() { # what
	local a b
	a=$(listing) b=$(uncached)
	expect_eq "$a" "$b" "$1: the cached listing equals the uncached one"
}

for a in web web-api api; do
	"$MECH" app create "$a" --image "nginx:1.27" >/dev/null 2>&1 || fail "app create $a"
done
first=$(listing)
[ -s "$C" ] && ok || fail "app list wrote no cache"
expect_eq "$(json "$first" '[a["name"] for a in d["result"]["apps"]]')" "['api', 'web', 'web-api']" \
	"apps sorted by name, as before the cache"
inode=$(stat -c %i "$C")
expect_eq "$(listing)" "$first" "a second listing says the same"
expect_eq "$(stat -c %i "$C")" "$inode" "an unchanged repo does not rewrite the cache"
same_as_uncached "after mech's writes"

# a human changes one app's overlay and adds a route and an odd directory
human_clone alice "$T/h"
sed -i 's/newTag: "1.27"/newTag: "1.29"/' "$T/h/apps/web-api/overlays/main/kustomization.yaml"
mkdir -p "$T/h/network/routes/web" "$T/h/apps/odd name - x/overlays/main"
cat >"$T/h/network/routes/web/main.yaml" <<'EOF'
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web-main
spec:
  hostnames:
  - web.example.com
EOF
printf 'resources: []\n' >"$T/h/apps/odd name - x/overlays/main/kustomization.yaml"
git -C "$T/h" add -A && git -C "$T/h" commit -qm "tune web-api, route web, odd app" &&
	git -C "$T/h" push -q origin main || fail "human push"
out=$(listing) # the cache still holds the old states of web-api and web
expect_in "$out" '"image":"nginx:1.29"' "the human's new tag is listed"
expect_in "$out" '"web.example.com"' "the human's route is listed"
expect_in "$out" '"odd name - x"' "a directory name with spaces is listed"
same_as_uncached "after a human's push"
render_overlays alice web/main web-api/main api/main # the human's odd one renders nothing

# deleting an app drops it from the cache
"$MECH" app -a api delete --force >/dev/null 2>&1 || fail "app delete"
expect_not_in "$(listing)" '"name":"api"' "a deleted app is gone"
same_as_uncached "after a deletion"

# a damaged cache is ignored where it is damaged, and the listing stands
listing >/dev/null
head -c 300 "$C" >"$T/torn" && cp "$T/torn" "$C"
same_as_uncached "with a torn cache file"
listing >/dev/null
sed -i '3s/.*/A zz not-a-sha/' "$C"
same_as_uncached "with a garbled line"
printf 'not a cache\n' >"$C"
same_as_uncached "with a foreign file"
finish
