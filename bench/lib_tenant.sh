#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Shared by the console benchmarks: a MECH_HOME whose tenant "bench" holds
# many apps and commits, imported with git fast-import by tenant_import.py
# (the same repos bench_reads.sh measures). Needs MECH, COMMITS, and a say()
# function from the sourcing script. And the write benchmarks' tenant
# (writes_tenant): many apps in one commit, nothing else; builds(); and,
# for the idle benchmarks, a sim waited for until healthy (sim_healthy, which
# needs $work) and a process's CPU (cpu_ticks).

# make_home DIR APPS EVERY: a MECH_HOME whose tenant "bench" has APPS apps
# ("web", app1, app2, …) and COMMITS commits after them, every EVERY-th
# changing an app's image (the others a person's notes outside apps/)
make_home() {
	local dir=$1 apps=$2 every=$3 repo
	mkdir -p "$dir/home"
	MECH_HOME=$dir/mech HOME=$dir/home "$MECH" admin init >/dev/null
	MECH_HOME=$dir/mech HOME=$dir/home "$MECH" admin tenant add bench >/dev/null 2>&1
	MECH_HOME=$dir/mech HOME=$dir/home "$MECH" --tenant bench app create web \
		--image nginx:1.27 >/dev/null 2>&1
	repo=$dir/mech/tenants/bench/gitops.git
	say "importing $apps apps and $COMMITS commits"
	/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/tenant_import.py" "$repo" \
		"$(git --git-dir="$repo" rev-parse main)" "$apps" "$COMMITS" "$every" |
		git --git-dir="$repo" fast-import --quiet
	git --git-dir="$repo" gc -q
	# warm mech's caches (last writers, app states) and the page cache for both sides
	MECH_HOME=$dir/mech HOME=$dir/home "$MECH" --tenant bench app list >/dev/null
	git --git-dir="$repo" log --oneline | tail -1 >/dev/null
}

# writes_tenant BIN HOME APPS: in the MECH_HOME HOME, a tenant "bench" with
# APPS apps imported in one commit, then one write by BIN (not measured: it
# builds the last-writer index) and its pack merge drained
writes_tenant() {
	local repo=$2/tenants/bench/gitops.git k
	MECH_HOME=$2 "$1" admin tenant add bench >/dev/null 2>&1
	for ((k = 1; k <= $3; k++)); do
		printf 'M 100644 inline apps/imp%d/overlays/main/kustomization.yaml\ndata 41\nresources:\n- ../../base\n# imported %05d\n\n' "$k" "$k"
	done | { printf 'commit refs/heads/main\ncommitter Mechanics <mechanics@localhost> 1700000000 +0000\ndata 11\nimport apps\nfrom %s\n' \
		"$(git --git-dir="$repo" rev-parse main)"; cat; } | git --git-dir="$repo" fast-import --quiet
	MECH_HOME=$2 "$1" --tenant bench app create warm --image nginx:1.27 >/dev/null 2>&1
	flock "$repo/compact.lock" true
}

# builds LABEL=MECH... (or MECH, labelled "mech"): the arrays labels and bins
# of the write benchmarks, which take their builds in turns
builds() {
	labels=()
	bins=()
	local a
	for a in "$@"; do
		case $a in *=*) labels+=("${a%%=*}"); bins+=("$(realpath "${a#*=}")") ;;
		*) labels+=(mech); bins+=("$(realpath "$a")") ;; esac
	done
}

# sim_healthy BIN APPS: BIN's `mech sim` (no delays, builtin kustomize) on
# MECH_HOME, its output in $work/sim.out and .err; sets sim_pid and url and
# returns once APPS Applications of tenant "bench" are Healthy
sim_healthy() {
	local h=0
	"$1" sim --listen 127.0.0.1:0 --sync-delay 0ms --health-delay 0ms --kustomize builtin \
		>"$work/sim.out" 2>"$work/sim.err" &
	sim_pid=$!
	for _ in $(seq 1 600); do grep -qs 'listening on' "$work/sim.out" && break; sleep 0.1; done
	url=$(sed -n 's/^mech sim: listening on //p' "$work/sim.out")
	[ -n "$url" ] || { say "mech sim did not start: $(cat "$work/sim.err")"; exit 1; }
	say "waiting for mech sim to report $2 apps Healthy"
	for _ in $(seq 1 600); do
		h=$(curl -s "$url/api/v1/applications?projects=bench" | { grep -o '"status":"Healthy"' || true; } | wc -l)
		[ "$h" -ge "$2" ] && break
		sleep 1
	done
	[ "$h" -ge "$2" ] || { say "only $h of $2 apps Healthy"; exit 1; }
}

# cpu_ticks PID: its utime + stime, in clock ticks (getconf CLK_TCK a second)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
