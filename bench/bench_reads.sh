#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reads that should cost what they show (issue 19), each against its peer in
# the same run, on tenant repos of 10, 1,000 and 10,000 apps (READS_APPS),
# and the cold last-writer rebuild against `git log -1 -- PATH` on histories
# of 12,500 to 100,000 commits (READS_CURVE):
#
#   * `mech show HEAD` vs `git show HEAD` (time, peak memory);
#   * `mech app -a A info` and `mech app -a A set-image … --dry-run` vs
#     `git show HEAD:<the app's overlay>`: flat in the number of apps;
#   * `mech app list --json` with Argo CD (mech sim) vs the script a person
#     would write: one curl of the list, `git ls-tree -r` and `git cat-file
#     --batch` of every overlay;
#   * the cold rebuild (`--dry-run` after the cache is removed) vs `git log -1
#     --format=%H main -- PATH` for a path written before all those commits.
#
# Repos are built with git fast-import (bench/tenant_import.py) on top of a
# real `mech app create web`. Prints a Markdown section for bench/RESULTS.md on
# stdout, progress on stderr. Times are medians of RUNS (5) in ms; memory is
# the peak resident set (KiB, /usr/bin/time). Never run by ctest. Knobs:
# READS_APPS, READS_COMMITS (100), READS_CURVE, READS_CURVE_APPS (1000),
# RUNS, COLD_RUNS (3), READS_SIM=0 (no app list: a binary older than the
# 256 MiB Argo CD ceiling fails it at 10,000 apps), READS_ONLY=list (only
# the app list rows: no show, info, --dry-run or cold rebuild),
# READS_ONLY=curve (only the cold rebuild's curve), READS_BASE=OLD_MECH (app
# list and the cold rebuild's CPU by an older binary too, against the same
# sim and repo, in its own column), BENCH_TMP.
#
#   bench/bench_reads.sh MECH
set -euo pipefail
MECH=$(realpath "${1:?usage: bench_reads.sh MECH}")
APPS_LIST=${READS_APPS:-10 1000 10000}
CURVE=${READS_CURVE:-12500 25000 50000 100000}
CURVE_APPS=${READS_CURVE_APPS:-1000}
COMMITS=${READS_COMMITS:-100}
RUNS=${RUNS:-5}
ONLY=${READS_ONLY:-}
case $ONLY in '' | list | curve) ;; *) echo "bench_reads: READS_ONLY is list, curve or unset" >&2; exit 64 ;; esac
[ "$ONLY" != curve ] || APPS_LIST=
BASE=
[ -z "${READS_BASE:-}" ] || BASE=$(realpath "$READS_BASE")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-reads.XXXXXX")
sim_pid=
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export TZ=UTC NO_COLOR=1 LANG=C.UTF-8 GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
unset MECH_TENANT 2>/dev/null || true
say() { printf 'bench_reads: %s\n' "$*" >&2; }
ms() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# median wall ms of RUNS runs of "$@" (output discarded)
timed() {
	local k t0 t1
	for ((k = 0; k < RUNS; k++)); do
		t0=$(ms)
		"$@" >/dev/null 2>&1 || { say "failed: $*"; return 1; }
		t1=$(ms)
		awk -v d=$((t1 - t0)) 'BEGIN {printf "%.1f\n", d / 1e6}'
	done | median
}
peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
cpu() { /usr/bin/time -f '%U %S' "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.0f\n", ($1 + $2) * 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

# make_home DIR APPS COMMITS: a MECH_HOME whose tenant "bench" has APPS apps
# (web and app1..) and COMMITS set-image commits after them
make_home() {
	local dir=$1 apps=$2 commits=$3 repo
	mkdir -p "$dir/home"
	export MECH_HOME=$dir/mech HOME=$dir/home
	"$MECH" admin init >/dev/null
	"$MECH" admin tenant add bench >/dev/null 2>&1
	"$MECH" --tenant bench app create web --image nginx:1.27 >/dev/null 2>&1
	repo=$MECH_HOME/tenants/bench/gitops.git
	say "importing $apps apps and $commits commits"
	"$here/tenant_import.py" "$repo" "$(git --git-dir="$repo" rev-parse main)" "$apps" "$commits" |
		git --git-dir="$repo" fast-import --quiet
}

rows_apps=
rows_list=
rows_curve=
for n in $APPS_LIST; do
	make_home "$work/a$n" "$n" "$COMMITS"
	repo=$MECH_HOME/tenants/bench/gitops.git
	app=app1
	[ "$n" -gt 1 ] || app=web
	overlay=apps/$app/overlays/main/kustomization.yaml
	# warm mech's caches (last writers, app states) and the page cache for both sides
	"$MECH" --tenant bench app list >/dev/null
	git --git-dir="$repo" show HEAD >/dev/null
	if [ "$ONLY" != list ]; then
		say "$n apps: show, info, --dry-run"
		show_m=$(timed "$MECH" --tenant bench show HEAD)
		show_g=$(timed git --git-dir="$repo" show HEAD)
		show_mk=$(peak "$MECH" --tenant bench show HEAD)
		show_gk=$(peak git --git-dir="$repo" show HEAD)
		info_m=$(timed "$MECH" --tenant bench app -a "$app" info)
		info_mk=$(peak "$MECH" --tenant bench app -a "$app" info)
		dry_m=$(timed "$MECH" --tenant bench app -a "$app" set-image nginx:1.99 --dry-run)
		dry_mk=$(peak "$MECH" --tenant bench app -a "$app" set-image nginx:1.99 --dry-run)
		cat_g=$(timed git --git-dir="$repo" show "HEAD:$overlay")
		rows_apps+="| $n | $show_m ms, $show_mk KiB | $show_g ms, $show_gk KiB | **$(ratio "$show_m" "$show_g")×** | $info_m ms, $info_mk KiB | $dry_m ms, $dry_mk KiB | $cat_g ms |"$'\n'
	fi

	if [ "${READS_SIM:-1}" = 0 ]; then # READS_SIM=0: no app list (an older binary, say)
		rm -rf "$work/a$n"
		continue
	fi
	say "$n apps: app list --json against mech sim"
	"$MECH" sim --listen 127.0.0.1:0 --sync-delay 0ms --health-delay 0ms --kustomize builtin \
		>"$work/sim.out" 2>/dev/null &
	sim_pid=$!
	for _ in $(seq 1 600); do grep -qs 'listening on' "$work/sim.out" && break; sleep 0.1; done
	url=$(sed -n 's/^mech sim: listening on //p' "$work/sim.out")
	printf 'argocd: {url: "%s", timeout_ms: 60000}\n' "$url" >"$MECH_HOME/mech.yaml"
	for _ in $(seq 1 600); do
		h=$(curl -s "$url/api/v1/applications?projects=bench" | { grep -o '"status":"Healthy"' || true; } | wc -l)
		[ "$h" -ge "$n" ] && break
		sleep 0.5
	done
	"$MECH" --tenant bench app list --json >"$work/list.json"
	if [ -n "$BASE" ]; then
		"$BASE" --tenant bench app list --json >"$work/base.json"
		cmp -s "$work/list.json" "$work/base.json" ||
			{ say "$n apps: $BASE prints another app list"; exit 1; }
	fi
	got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for a in d["result"]["apps"] for i in a["instances"] if isinstance(i.get("live"),dict) and i["live"]["health"]=="Healthy"))' "$work/list.json")
	[ "$got" = "$n" ] || { say "app list saw $got healthy instances of $n"; exit 1; }
	peer() {
		curl -s "$url/api/v1/applications?projects=bench" >"$work/peer.json"
		git --git-dir="$repo" ls-tree -r main -- apps | awk '$4 ~ /\/overlays\// {print $3}' |
			git --git-dir="$repo" cat-file --batch >"$work/peer.yaml"
	}
	# taken in turns, so that a change in the machine's load falls on all sides
	: >"$work/t.m"
	: >"$work/t.p"
	: >"$work/t.b"
	for ((k = 0; k < RUNS; k++)); do
		RUNS=1 timed "$MECH" --tenant bench app list --json >>"$work/t.m"
		RUNS=1 timed peer >>"$work/t.p"
		[ -z "$BASE" ] || RUNS=1 timed "$BASE" --tenant bench app list --json >>"$work/t.b"
	done
	list_m=$(median <"$work/t.m")
	list_p=$(median <"$work/t.p")
	list_mk=$(peak "$MECH" --tenant bench app list --json)
	base_cell=
	if [ -n "$BASE" ]; then
		list_b=$(median <"$work/t.b")
		list_bk=$(peak "$BASE" --tenant bench app list --json)
		base_cell=" $list_b ms, $list_bk KiB | **$(ratio "$list_b" "$list_p")×** |"
	fi
	rows_list+="| $n | $list_m ms, $list_mk KiB | $list_p ms | **$(ratio "$list_m" "$list_p")×** |$base_cell"$'\n'
	kill "$sim_pid"
	wait "$sim_pid" 2>/dev/null || true
	sim_pid=
	rm -rf "$work/a$n"
done

if [ "$ONLY" = list ]; then
	base_head=
	base_rule=
	if [ -n "$BASE" ]; then
		base_head=" \`$(basename "$BASE")\` | ratio |"
		base_rule="---|---|"
	fi
	cat <<EOF
\`mech app list --json\` against mech sim (\`--kustomize builtin\`), every
instance Healthy (checked), against its peer script: one \`curl\` of the
Argo CD list, \`git ls-tree -r main -- apps\` and \`git cat-file --batch\` of
every overlay (target: ratio ≤ 1). Median of $RUNS runs taken in turns;
memory is the peak resident set.

| apps | mech | peer (curl + ls-tree + cat-file --batch) | ratio |$base_head
|---|---|---|---|$base_rule
$rows_list
EOF
	exit 0
fi

# the cold rebuild: one history, its main moved back to each point of the curve
last=${CURVE##* }
make_home "$work/c" "$CURVE_APPS" "$last"
repo=$MECH_HOME/tenants/bench/gitops.git
tip=$(git --git-dir="$repo" rev-parse main)
target=apps/web/overlays/main/kustomization.yaml
writer=$(git --git-dir="$repo" log -1 --format=%H main -- "$target")
for c in $CURVE; do
	at=$(git --git-dir="$repo" rev-parse "$tip~$((last - c))")
	git --git-dir="$repo" update-ref refs/heads/main "$at"
	say "cold rebuild at $c commits after the path was written"
	cold() { rm -rf "$MECH_HOME/cache"; "$MECH" --tenant bench app -a web set-image nginx:1.99 --dry-run; }
	out=$(cold)
	case $out in *"${writer:0:12}"*) ;; *) say "mech does not name ${writer:0:12}: $out"; exit 1 ;; esac
	[ "$(git --git-dir="$repo" log -1 --format=%H main -- "$target")" = "$writer" ] || exit 1
	runs_save=$RUNS
	RUNS=${COLD_RUNS:-3}
	cold_m=$(timed cold)
	cold_mk=$(peak bash -c "rm -rf '$MECH_HOME/cache'; '$MECH' --tenant bench app -a web set-image nginx:1.99 --dry-run")
	log_g=$(timed git --git-dir="$repo" log -1 --format=%H main -- "$target")
	# CPU (user + system) of one run each: on a busy machine the steadier figure
	cold_c=$(cpu bash -c "rm -rf '$MECH_HOME/cache'; '$MECH' --tenant bench app -a web set-image nginx:1.99 --dry-run")
	log_c=$(cpu git --git-dir="$repo" log -1 --format=%H main -- "$target")
	base_cell=
	if [ -n "$BASE" ]; then # the older binary's CPU, right after, and the same index file
		cp "$MECH_HOME/cache/bench/lastwriter-main.idx" "$work/new.idx"
		cold_b=$(cpu bash -c "rm -rf '$MECH_HOME/cache'; '$BASE' --tenant bench app -a web set-image nginx:1.99 --dry-run")
		cmp -s "$MECH_HOME/cache/bench/lastwriter-main.idx" "$work/new.idx" ||
			{ say "$c commits: $BASE writes another last-writer index"; exit 1; }
		base_cell=" $cold_b ms: **$(ratio "$cold_b" "$log_c")×** |"
	fi
	RUNS=$runs_save
	rows_curve+="| $c | $cold_m ms, $cold_mk KiB | $(awk -v t="$cold_m" -v c="$c" 'BEGIN {printf "%.1f", 1000 * t / c}') µs | $log_g ms | **$(ratio "$cold_m" "$log_g")×** | $cold_c ms, $log_c ms: **$(ratio "$cold_c" "$log_c")×** |$base_cell"$'\n'
done
git --git-dir="$repo" update-ref refs/heads/main "$tip"

base_head=
base_rule=
if [ -n "$BASE" ]; then
	base_head=" CPU: \`$(basename "$BASE")\`, ratio to git |"
	base_rule="---|"
fi
curve_table() {
	cat <<EOF
Cold last-writer rebuild (\`rm -rf \$MECH_HOME/cache\`, then \`mech app -a web
set-image … --dry-run\`, whole command) on one history of $CURVE_APPS apps,
its branch set back to each point, against \`git log -1 --format=%H main --
PATH\` (no commit-graph) for the same path, last written before all those
commits; all name the same commit (checked). Median of ${COLD_RUNS:-3} runs
(target: linear in commits, ratio ≤ 1).

| commits | mech cold | per commit | \`git log -1 -- PATH\` | ratio | CPU: mech, git, ratio |$base_head
|---|---|---|---|---|---|$base_rule
$rows_curve
EOF
}
if [ "$ONLY" = curve ]; then
	printf '## The cold last-writer rebuild (`bench/bench_reads.sh`, READS_ONLY=curve)\n\n'
	curve_table
	exit 0
fi

cat <<EOF
## Reads at 10 to 10,000 apps (\`bench/bench_reads.sh\`)

Tenant repos of N apps (four files each, copied from a real \`mech app
create\`) and $COMMITS set-image commits, built with git fast-import; caches
warm. Median of $RUNS runs; memory is the peak resident set. Ratios are
mech's time over its peer's (target: \`show\` ≤ 2× \`git show\` at 10,000
apps; \`info\` and \`--dry-run\` flat in N).

| apps | \`mech show HEAD\` | \`git show HEAD\` | ratio | \`mech app -a A info\` | \`mech app -a A set-image … --dry-run\` | \`git show HEAD:<A's overlay>\` |
|---|---|---|---|---|---|---|
$rows_apps
\`mech app list --json\` against mech sim (\`--kustomize builtin\`), every
instance Healthy (checked), against its peer script: one \`curl\` of the
Argo CD list, \`git ls-tree -r main -- apps\` and \`git cat-file --batch\` of
every overlay (target: ratio ≤ 1).

| apps | mech | peer (curl + ls-tree + cat-file --batch) | ratio |
|---|---|---|---|
$rows_list
EOF
curve_table
