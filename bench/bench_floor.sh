#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A write against its floor: `mech app create` against bench/floor.c (the
# same commit's physical work and nothing else: lock, 4 blobs, 6 trees,
# commit, one pack + index, ref move, flushed as mech flushes) on tenant
# repos of 10, 1,000 and 10,000 apps, in the same run. The floor deflates
# at mech's level (MECH_PACK_WRITE_LEVEL) and uses mech's pack writer
# (mech_pack_write: one deflate per object, the index made in one pass):
# the ratio is what mech does beyond the physical work.
#
#   bench/bench_floor.sh MECH FLOOR [APPS...]
#
# Each repo: `mech admin tenant add`, then one commit (git fast-import)
# adding APPS apps of four files each, with mech's receipt trailers, then
# FLOOR_COMMITS (0) commits touching notes/, then `git gc`. One write, not
# timed, warms mech's caches (the last-writer index); the floor gets a copy
# of the repository as it is then. Then FLOOR_N (30) writes, alternating:
# mech writes appN; its commit's four files and message are read back (not
# timed) and the floor writes the same bytes at the same paths into its
# copy, and again into a third copy deflating at zlib 6 (git's and
# libgit2's default) for reference. Each side waits for nothing of the other: mech's detached pack merge
# is drained (flock on compact.lock) before the floor's write, and reported
# apart. Both copies must end with the same tree (checked). Figures are
# medians of per-write wall-clock times (process start to exit), and the
# mean CPU time (user + system, from getrusage; mech's detached merge not
# included); ratios are mech / floor.
#
# Prints KEY=VALUE lines on stdout (milliseconds) and progress on stderr.
set -euo pipefail
shopt -s inherit_errexit

MECH=$(realpath "${1:?usage: bench_floor.sh MECH FLOOR [APPS...]}")
FLOOR=$(realpath "${2:?usage: bench_floor.sh MECH FLOOR [APPS...]}")
shift 2
[ $# -gt 0 ] || set -- 10 1000 10000
N=${FLOOR_N:-30}
COMMITS=${FLOOR_COMMITS:-0}

work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-floor.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME=$work/home TZ=UTC LANG=C.UTF-8 NO_COLOR=1 GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
mkdir -p "$HOME"
say() { echo "bench_floor: $*" >&2; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
ms_since() { awk -v d=$(($(date +%s%N) - $1)) 'BEGIN {printf "%.3f\n", d / 1e6}'; }
# CPU time (user + system, ms) of this shell's waited-for children so far
# (bash's `times`, from getrusage): less moved by other load than wall-clock
# (sets CPU: `times` must run in this shell, not in a command substitution)
cpu_now() {
	times >"$work/times"
	CPU=$(awk 'NR == 2 {t = 0; for (i = 1; i <= 2; i++) {split($i, a, "m"); t += a[1] * 60 + a[2]}
		printf "%.3f\n", t * 1000}' "$work/times")
}

# make_repo DIR APPS: a mech home whose tenant "bench" holds APPS apps
make_repo() {
	local dir=$1 apps=$2 repo
	MECH_HOME=$dir "$MECH" admin tenant add bench >/dev/null 2>&1
	repo=$dir/tenants/bench/gitops.git
	/usr/bin/python3 - "$apps" "$COMMITS" "$(git --git-dir="$repo" rev-parse main)" <<'PY' |
import sys
apps, commits, parent = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
out = sys.stdout.buffer
def data(b):
    out.write(b"data %d\n" % len(b) + b + b"\n")
t = 1700000000
def head(msg):
    out.write(b"commit refs/heads/main\nauthor bench <bench@localhost> %d +0000\n"
              b"committer Mechanics <mechanics@localhost> %d +0000\n" % (t, t))
    data(msg)
head(b"mechanics(app.create): add %d apps\n\nMechanics-Verb: app.create\n"
     b"Mechanics-Tenant: bench\nMechanics-Target: app/imported\n" % apps)
out.write(b"from %s\n" % parent.encode())
for a in range(apps):
    n = b"imp%d" % a
    files = {
        b"base/deployment.yaml": b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + n +
            b"\n  labels:\n    app: " + n + b"\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n"
            b"      app: " + n + b"\n  template:\n    metadata:\n      labels:\n        app: " + n +
            b"\n    spec:\n      containers:\n      - name: " + n + b"\n        image: nginx\n"
            b"        ports:\n        - containerPort: 8080\n",
        b"base/service.yaml": b"apiVersion: v1\nkind: Service\nmetadata:\n  name: " + n +
            b"\nspec:\n  selector:\n    app: " + n + b"\n  ports:\n  - port: 80\n    targetPort: 8080\n",
        b"base/kustomization.yaml": b"resources:\n- deployment.yaml\n- service.yaml\n",
        b"overlays/main/kustomization.yaml": b"resources:\n- ../../base\nimages:\n- name: nginx\n"
            b"  newTag: \"1.27\"\n",
    }
    for p, b in files.items():
        out.write(b"M 100644 inline apps/" + n + b"/" + p + b"\n")
        data(b)
for i in range(commits):
    t += 1
    head(b"notes %d" % i)
    out.write(b"M 100644 inline notes/%d.txt\n" % (i % 1000))
    data(b"%d\n" % i)
PY
		git --git-dir="$repo" fast-import --quiet
	git --git-dir="$repo" gc -q
	# the warm-up write (not timed): mech's last-writer index and caches
	MECH_HOME=$dir "$MECH" --tenant bench app create warm --image nginx:1.27 >/dev/null 2>&1
	flock "$repo/compact.lock" true
}

# fixture COMMIT REPO OUT: the commit's message and changed files, as floor arguments
fixture() {
	local c=$1 repo=$2 out=$3 f i=0
	rm -rf "$out"
	mkdir -p "$out"
	git --git-dir="$repo" cat-file commit "$c" | sed '1,/^$/d' >"$out/message"
	args=("$out/message")
	while IFS= read -r f; do
		git --git-dir="$repo" cat-file blob "$c:$f" >"$out/$i"
		args+=("$f" "$out/$i")
		i=$((i + 1))
	done < <(git --git-dir="$repo" diff-tree -r --no-commit-id --name-only "$c")
	[ "$i" -eq 4 ] || { say "mech's write changed $i files, expected 4"; exit 1; }
}

for apps in "$@"; do
	home=$work/m$apps
	say "$apps apps: importing"
	make_repo "$home" "$apps"
	repo=$home/tenants/bench/gitops.git
	frepo=$work/f$apps.git
	f6repo=$work/f6_$apps.git
	cp -a "$repo" "$frepo"
	cp -a "$repo" "$f6repo"
	mech_ms=()
	drained_ms=()
	floor_ms=()
	floor6_ms=()
	mech_cpu=()
	floor_cpu=()
	for ((k = 1; k <= N; k++)); do
		cpu_now
		c=$CPU
		s=$(date +%s%N)
		MECH_HOME=$home "$MECH" --tenant bench app create "app$k" --image nginx:1.27 \
			>/dev/null 2>"$work/err" || { say "mech: $(cat "$work/err")"; exit 1; }
		mech_ms+=("$(ms_since "$s")")
		cpu_now
		mech_cpu+=("$(awk -v a="$CPU" -v b="$c" 'BEGIN {printf "%.3f", a - b}')")
		flock "$repo/compact.lock" true
		drained_ms+=("$(ms_since "$s")")
		fixture main "$repo" "$work/fx"
		cpu_now
		c=$CPU
		s=$(date +%s%N)
		"$FLOOR" "$frepo" "$work/floor$apps.lock" "${args[@]}" >/dev/null
		floor_ms+=("$(ms_since "$s")")
		cpu_now
		floor_cpu+=("$(awk -v a="$CPU" -v b="$c" 'BEGIN {printf "%.3f", a - b}')")
		s=$(date +%s%N)
		FLOOR_ZLIB=6 "$FLOOR" "$f6repo" "$work/floor6$apps.lock" "${args[@]}" >/dev/null
		floor6_ms+=("$(ms_since "$s")")
	done
	for other in "$frepo" "$f6repo"; do
		[ "$(git --git-dir="$repo" rev-parse 'main^{tree}')" = "$(git --git-dir="$other" rev-parse 'main^{tree}')" ] ||
			{ say "mech and the floor ended with different trees at $apps apps"; exit 1; }
	done
	git --git-dir="$frepo" fsck --strict --no-dangling >/dev/null 2>&1 ||
		{ say "the floor's repository fails git fsck"; exit 1; }
	m=$(printf '%s\n' "${mech_ms[@]}" | median)
	d=$(printf '%s\n' "${drained_ms[@]}" | median)
	f=$(printf '%s\n' "${floor_ms[@]}" | median)
	f6=$(printf '%s\n' "${floor6_ms[@]}" | median)
	# CPU: sums over the N writes (each sample is rounded to 1 ms)
	mc=$(printf '%s\n' "${mech_cpu[@]}" | awk '{t += $1} END {printf "%.3f", t / NR}')
	fc=$(printf '%s\n' "${floor_cpu[@]}" | awk '{t += $1} END {printf "%.3f", t / NR}')
	say "$apps apps: mech $m ms (drained $d ms), floor $f ms (zlib 6: $f6 ms) per write: $(awk -v m="$m" -v f="$f" 'BEGIN {printf "%.2f", m / f}')x; CPU mech $mc ms, floor $fc ms: $(awk -v m="$mc" -v f="$fc" 'BEGIN {printf "%.2f", m / f}')x"
	echo "FLOOR_${apps}_MECH_MS=$m"
	echo "FLOOR_${apps}_MECH_DRAINED_MS=$d"
	echo "FLOOR_${apps}_FLOOR_MS=$f"
	echo "FLOOR_${apps}_FLOOR6_MS=$f6"
	echo "FLOOR_${apps}_MECH_CPU_MS=$mc"
	echo "FLOOR_${apps}_FLOOR_CPU_MS=$fc"
	echo "FLOOR_${apps}_CPU_RATIO=$(awk -v m="$mc" -v f="$fc" 'BEGIN {printf "%.2f", m / f}')"
	echo "FLOOR_${apps}_RATIO=$(awk -v m="$m" -v f="$f" 'BEGIN {printf "%.2f", m / f}')"
	rm -rf "$home" "$frepo" "$f6repo"
done
echo "FLOOR_APPS='$*'"
echo "FLOOR_N=$N"
echo "FLOOR_COMMITS=$COMMITS"
