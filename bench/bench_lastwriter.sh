#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The protection check on a long history: the last writer of a path that
# was last changed 20,000+ commits ago, asked by mech (with its index warm,
# and cold after the cache directory is removed) and by the git CLI
# (`git log -1 -- PATH`) on the same repository, in the same run.
#
#   bench/bench_lastwriter.sh MECH [PROBE] [COMMITS]
#
# MECH is the mech binary, PROBE an optional bench/lastwriter_probe build
# (the lookup alone, in-process), COMMITS the number of commits added after
# the path was written (default 20000). Prints KEY=VALUE lines on stdout
# (times in milliseconds, medians) and progress on stderr.
set -euo pipefail
shopt -s inherit_errexit

MECH=${1:?usage: bench_lastwriter.sh MECH [PROBE] [COMMITS]}
PROBE=${2:-}
COMMITS=${3:-20000}
WARM_RUNS=${WARM_RUNS:-15}
COLD_RUNS=${COLD_RUNS:-3}

work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-lw.XXXXXX")
# BENCH_KEEP=1 keeps the repository for profiling (the path is printed on stderr)
if [ -n "${BENCH_KEEP:-}" ]; then
	trap 'echo "bench_lastwriter: kept $work" >&2' EXIT
else
	trap 'rm -rf "$work"' EXIT
fi
export HOME=$work/home TZ=UTC LANG=C.UTF-8 NO_COLOR=1
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export MECH_HOME=$work/mech
mkdir -p "$HOME"
unset MECH_TENANT 2>/dev/null || true

say() { echo "bench_lastwriter: $*" >&2; }

# median of the numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# wall time of one run of "$@" in ms (3 decimals); the command's output goes to $work/out
time_ms() {
	local s e
	s=$(date +%s%N)
	"$@" >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; return 1; }
	e=$(date +%s%N)
	awk -v d=$((e - s)) 'BEGIN {printf "%.3f\n", d / 1e6}'
}

# ---- the repository: a mech tenant, one app, then COMMITS mech-like commits elsewhere ----

"$MECH" admin tenant add bench >/dev/null 2>&1
"$MECH" --tenant bench app create web --image nginx:1.27 >/dev/null 2>&1
repo=$MECH_HOME/tenants/bench/gitops.git
target=apps/web/overlays/main/kustomization.yaml
writer=$(git --git-dir="$repo" log -1 --format=%H main -- "$target")
base=$(git --git-dir="$repo" rev-parse main)
say "fast-importing $COMMITS commits on top of ${base:0:12}"

# Commits 0..499 create app<i> (four files, like app.create); later ones move an
# overlay's image tag (like app.set-image). Committer is mech's machine identity.
awk -v n="$COMMITS" -v base="$base" '
function data(s) { printf "data %d\n%s\n", length(s), s }
function file(path, s) { printf "M 100644 inline %s\n", path; data(s) }
BEGIN {
	t = 1750000000
	for (i = 0; i < n; i++) {
		app = "app" (i % 500)
		t += 7
		printf "commit refs/heads/main\n"
		printf "author bench <bench@localhost> %d +0000\n", t
		printf "committer Mechanics <mechanics@localhost> %d +0000\n", t
		verb = i < 500 ? "app.create" : "app.set-image"
		msg = sprintf("mechanics(%s): %s nginx:1.%d\n\nfiles: apps/%s/overlays/main/kustomization.yaml\n\nMechanics-Verb: %s\nMechanics-Tenant: bench\nMechanics-Target: app/%s\nMechanics-Request: 00000000-0000-4000-8000-%012d\n", verb, app, i, app, verb, app, i)
		data(msg)
		if (i == 0)
			printf "from %s\n", base
		ov = sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../../base\nnameSuffix: --main\nimages:\n- name: nginx\n  newTag: \"1.%d\"\n", i)
		if (i < 500) {
			file("apps/" app "/base/deployment.yaml", sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n", app))
			file("apps/" app "/base/service.yaml", sprintf("apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n", app))
			file("apps/" app "/base/kustomization.yaml", "resources:\n- deployment.yaml\n- service.yaml\n")
		}
		file("apps/" app "/overlays/main/kustomization.yaml", ov)
		printf "\n"
	}
}' | git --git-dir="$repo" fast-import --quiet
total=$(git --git-dir="$repo" rev-list --count main)
since=$(git --git-dir="$repo" rev-list --count "$writer"..main)
say "history: $total commits, $since since $target was last written (${writer:0:12})"

# ---- correctness first: all three must name the same commit ----

want=$(git --git-dir="$repo" log -1 --format=%H main -- "$target")
[ "$want" = "$writer" ] || { say "git log disagrees with the setup"; exit 1; }

check_dry_run() {
	grep -q "${writer:0:12}" "$work/out" || {
		say "mech --dry-run does not name ${writer:0:12} as last writer:"
		cat "$work/out" >&2
		exit 1
	}
}

dry_run() { "$MECH" --tenant bench app -a web set-image nginx:1.28 --dry-run; }
git_log() { git --git-dir="$repo" log -1 --format=%H main -- "$target"; }
probe() { "$PROBE" "$MECH_HOME" bench "$target"; }

# ---- measurements ----

runs() { # N command... -> one ms figure per line
	local n=$1
	shift
	for ((k = 0; k < n; k++)); do time_ms "$@"; done
}

# warm up the page cache for both sides
git_log >/dev/null
cold=()
for ((k = 0; k < COLD_RUNS; k++)); do
	rm -rf "$MECH_HOME/cache"
	cold+=("$(time_ms dry_run)")
	check_dry_run
done
mech_cold=$(printf '%s\n' "${cold[@]}" | median)

# warm: index present and at the head; interleave mech and git so load hits both alike
: >"$work/mech_warm"
: >"$work/git_warm"
: >"$work/start"
for ((k = 0; k < WARM_RUNS; k++)); do
	time_ms dry_run >>"$work/mech_warm"
	check_dry_run
	time_ms git_log >>"$work/git_warm"
	[ "$(cat "$work/out")" = "$writer" ] || { say "git log changed its answer"; exit 1; }
	time_ms "$MECH" --version >>"$work/start"
done
mech_warm=$(median <"$work/mech_warm")
git_warm=$(median <"$work/git_warm")
mech_start=$(median <"$work/start")

echo "LW_COMMITS_TOTAL=$total"
echo "LW_COMMITS_SINCE=$since"
echo "LW_PATHS=$(git --git-dir="$repo" ls-tree -r --name-only main | wc -l)"
echo "LW_GIT_LOG_MS=$git_warm"
echo "LW_MECH_DRYRUN_WARM_MS=$mech_warm"
echo "LW_MECH_DRYRUN_COLD_MS=$mech_cold"
echo "LW_MECH_VERSION_MS=$mech_start"

if [ -n "$PROBE" ]; then
	pc=()
	for ((k = 0; k < COLD_RUNS; k++)); do
		rm -rf "$MECH_HOME/cache"
		pc+=("$(time_ms probe)")
		grep -q "^$writer machine .*rebuilt=1" "$work/out" || { say "probe (cold): $(cat "$work/out")"; exit 1; }
		sed -n 's/.*update_us=\([0-9]*\).*/\1/p' "$work/out" >>"$work/probe_cold_update"
	done
	: >"$work/probe_warm"
	: >"$work/probe_update"
	: >"$work/probe_total"
	for ((k = 0; k < WARM_RUNS; k++)); do
		time_ms probe >>"$work/probe_warm"
		grep -q "^$writer machine .*walked=0 rebuilt=0" "$work/out" || { say "probe (warm): $(cat "$work/out")"; exit 1; }
		sed -n 's/.*update_us=\([0-9]*\).*/\1/p' "$work/out" >>"$work/probe_update"
		sed -n 's/.*total_us=\([0-9]*\).*/\1/p' "$work/out" >>"$work/probe_total"
	done
	echo "LW_PROBE_WARM_MS=$(median <"$work/probe_warm")"
	echo "LW_PROBE_WARM_INPROC_MS=$(median <"$work/probe_total" | awk '{printf "%.3f", $1 / 1000}')"
	echo "LW_PROBE_WARM_UPDATE_MS=$(median <"$work/probe_update" | awk '{printf "%.3f", $1 / 1000}')"
	echo "LW_PROBE_COLD_MS=$(printf '%s\n' "${pc[@]}" | median)"
	echo "LW_PROBE_COLD_UPDATE_MS=$(median <"$work/probe_cold_update" | awk '{printf "%.3f", $1 / 1000}')"
fi

# git's best case, for reference: a commit-graph with changed-path Bloom filters
# (written last: libgit2 reads the commit-graph too)
s=$(date +%s%N)
git --git-dir="$repo" commit-graph write --reachable --changed-paths 2>/dev/null
e=$(date +%s%N)
echo "LW_GIT_GRAPH_WRITE_MS=$(awk -v d=$((e - s)) 'BEGIN {printf "%.1f", d / 1e6}')"
: >"$work/git_bloom"
for ((k = 0; k < WARM_RUNS; k++)); do time_ms git_log >>"$work/git_bloom"; done
echo "LW_GIT_LOG_BLOOM_MS=$(median <"$work/git_bloom")"
