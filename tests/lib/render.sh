# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# A real renderer for the overlays mech writes: kubectl's kustomize (v5)
# builds each apps/<app>/overlays/<instance> from a clone of a tenant's
# repository, as Argo CD would, and the rendered Deployment and Service
# must pass tests/lib/validate_manifests.py against ../shared/spec. Source
# it after common.sh.
#
#   render_overlays alice                 # every overlay on alice's main
#   render_overlays alice web/main api/staging
#   MECH_HOME=$T/h1 render_overlays alice # another home's copy
#
# Without kubectl (it is not a Debian package: make deps cannot install it)
# or without ../shared/spec this part of the test does not run: a skipped
# part (common.sh), a failure in strict mode.
render_overlays() { # tenant [app/instance...]
	local tenant=${1:?render_overlays TENANT [APP/INSTANCE...]} spec dir o out k files=() overlays=()
	shift
	spec=${MECH_SPEC_DIR:-$SRC/../shared/spec}
	if ! command -v kubectl >/dev/null; then
		skip_part "kubectl is not installed: $tenant's overlays were not rendered"
		return 0
	fi
	if [ ! -d "$spec" ]; then
		skip_part "../shared/spec ($spec) is missing: $tenant's rendered overlays were not validated"
		return 0
	fi
	dir=$(mktemp -d "$T/render.XXXXXX")
	if ! git clone -q "$(repo_of "$tenant")" "$dir/repo" 2>"$dir.err"; then
		fail "render: cannot clone $tenant's repository: $(cat "$dir.err")"
		return 0
	fi
	if [ $# -eq 0 ]; then
		for k in "$dir"/repo/apps/*/overlays/*/kustomization.yaml; do
			[ -e "$k" ] && overlays+=("${k#"$dir/repo/"}")
		done
		overlays=("${overlays[@]%/kustomization.yaml}")
		[ ${#overlays[@]} -gt 0 ] || { fail "render: $tenant has no overlay to render"; return 0; }
	else
		for o; do overlays+=("apps/${o%%/*}/overlays/${o#*/}"); done
	fi
	for o in "${overlays[@]}"; do
		out=$dir/${o//\//_}.yaml
		if ! (cd "$dir/repo" && kubectl kustomize "$o") >"$out" 2>"$out.err"; then
			fail "kubectl kustomize $o ($tenant) does not build: $(head -5 "$out.err")"
			continue
		fi
		k=$(sed -n 's/^kind: //p' "$out" | sort -u | tr '\n' ' ')
		if grep -qx 'kind: Deployment' "$out" && grep -qx 'kind: Service' "$out"; then ok
		else fail "kubectl kustomize $o ($tenant) renders kinds \"$k\", not a Deployment and a Service"; fi
		files+=("$out")
	done
	[ ${#files[@]} -gt 0 ] || return 0
	# one validator run for all of them; each problem line starts with its file
	if /usr/bin/python3 "$SRC/tests/lib/validate_manifests.py" "$spec" "${files[@]}" >"$dir.val" 2>&1; then
		ok
	else
		fail "the rendered overlays of $tenant do not validate: $(head -20 "$dir.val")"
	fi
}
