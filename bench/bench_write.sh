#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Writes: N sequential `mech app create appK --image nginx:1.27` against the
# git CLI doing the same writes on its own copy of the same tenant repo
# (a working clone made once; per write: the same four files, `git add`,
# `git commit`, `git push` to the bare repo), in the same run.
#
#   bench/bench_write.sh MECH [N [WRITE_PROBE]]
#
# With WRITE_PROBE (bench/write_probe.c, built by bench/run), each round
# also makes the same N writes in one process, to split a write's cost into
# process start-up and the work itself.
#
# Both sides give the same guarantee. The headline figures are durable ones:
# mech as configured by default (gitops.fsync: every receipt flushed to disk
# before it is reported) against git with core.fsync=all and
# core.fsyncMethod=fsync. Each round also runs both sides without flushing
# (gitops.fsync: false; core.fsync=none), which gives the cost of durability.
#
# Rounds (ROUNDS, default 3) alternate mech and git; totals are medians over
# rounds. Prints KEY=VALUE lines on stdout (milliseconds) and progress on
# stderr.
set -euo pipefail
shopt -s inherit_errexit

MECH=${1:?usage: bench_write.sh MECH [N [WRITE_PROBE]]}
N=${2:-100}
PROBE=${3:-}
ROUNDS=${ROUNDS:-3}

work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-write.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME=$work/home TZ=UTC LANG=C.UTF-8 NO_COLOR=1
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
# the git side commits as the same people mech does
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
export GIT_COMMITTER_NAME=Mechanics GIT_COMMITTER_EMAIL=mechanics@localhost
mkdir -p "$HOME"

say() { echo "bench_write: $*" >&2; }
# a mech home flushing receipts (on) or not (off)
new_home() { # dir on|off
	mkdir -p "$1"
	[ "$2" = on ] || printf 'gitops:\n  fsync: false\n' >"$1/mech.yaml"
}
# git's setting, for every git process of the round (receive-pack too)
git_fsync() { # on|off
	if [ "$1" = on ]; then
		export GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=core.fsync GIT_CONFIG_VALUE_0=all \
			GIT_CONFIG_KEY_1=core.fsyncMethod GIT_CONFIG_VALUE_1=fsync
	else
		export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.fsync GIT_CONFIG_VALUE_0=none
	fi
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
ms_since() { awk -v d=$(($(date +%s%N) - $1)) 'BEGIN {printf "%.3f\n", d / 1e6}'; }

# mech: a fresh home and tenant per round; only the N writes are timed.
# Pack merges run after a command answers, detached (core/git/gitops.c); the
# second figure also waits for the last one to finish (flock on its lock).
mech_round() { # round on|off
	local home=$work/mech$1$2 k s
	new_home "$home" "$2"
	MECH_HOME=$home "$MECH" admin tenant add bench >/dev/null 2>&1
	s=$(date +%s%N)
	for ((k = 1; k <= N; k++)); do
		MECH_HOME=$home "$MECH" --tenant bench app create "app$k" --image nginx:1.27 \
			>/dev/null 2>&1
	done
	echo "$(ms_since "$s") $(flock "$home/tenants/bench/gitops.git/compact.lock" true; ms_since "$s")"
}

# the same writes in one process (no exec, no dynamic loading per write)
probe_round() {
	local home=$work/probe$1 out
	new_home "$home" on
	MECH_HOME=$home "$MECH" admin tenant add bench >/dev/null 2>&1
	out=$("$PROBE" "$home" bench "$N" app)
	awk -v us="${out#total_us=}" 'BEGIN {printf "%.3f\n", us / 1000}'
	[ "$(git --git-dir="$home/tenants/bench/gitops.git" rev-list --count main)" -eq $((N + 1)) ] ||
		{ say "the probe made the wrong number of commits"; exit 1; }
}

# N runs of `mech --version` right after a round: the start-up every write pays
startup_round() {
	local k s
	s=$(date +%s%N)
	for ((k = 1; k <= N; k++)); do
		"$MECH" --version >/dev/null 2>&1
	done
	ms_since "$s"
}

# The files and messages mech wrote, so the git side writes exactly the same bytes.
# Read once, before any git round (not timed).
load_fixture() {
	local repo=$work/mech1on/tenants/bench/gitops.git k f rev
	[ "$(git --git-dir="$repo" rev-list --count main)" -eq $((N + 1)) ] ||
		{ say "mech made $(git --git-dir="$repo" rev-list --count main) commits, expected $((N + 1))"; exit 1; }
	files=()
	contents=()
	messages=()
	for ((k = 1; k <= N; k++)); do
		rev=$(git --git-dir="$repo" rev-list -n1 main --grep="^Mechanics-Target: app/app$k\$")
		messages[k]=$(git --git-dir="$repo" log -1 --format=%B "$rev")
		for f in $(git --git-dir="$repo" diff-tree --no-commit-id --name-only -r "$rev"); do
			files+=("$f")
			contents+=("$(git --git-dir="$repo" show "$rev:$f"; echo x)")
		done
	done
	seed=$(git --git-dir="$repo" rev-list --max-parents=0 main)
	[ ${#files[@]} -eq $((4 * N)) ] || { say "expected 4 files per app, got ${#files[@]}"; exit 1; }
}

# git: a bare repo holding mech's seed commit, cloned once; only the N writes are timed
git_round() { # round on|off
	local bare=$work/git$1$2.git clone=$work/clone$1$2 k j s
	git_fsync "$2"
	git init -q --bare -b main "$bare"
	git --git-dir="$work/mech1on/tenants/bench/gitops.git" push -q "$bare" "$seed:refs/heads/main"
	git clone -q "$bare" "$clone"
	cd "$clone"
	s=$(date +%s%N)
	for ((k = 1; k <= N; k++)); do
		for ((j = 4 * (k - 1); j < 4 * k; j++)); do
			mkdir -p "${files[j]%/*}"
			printf '%s' "${contents[j]%x}" >"${files[j]}"
		done
		git add -- "${files[@]:4*(k-1):4}"
		git commit -q -m "${messages[k]}"
		git push -q origin main
	done
	ms_since "$s"
	cd "$work"
	[ "$(git --git-dir="$bare" rev-list --count main)" -eq $((N + 1)) ] ||
		{ say "git side pushed $(git --git-dir="$bare" rev-list --count main) commits"; exit 1; }
}

mech_totals=()
drained_totals=()
git_totals=()
startup_totals=()
probe_totals=()
mech_off_totals=()
git_off_totals=()
for ((r = 1; r <= ROUNDS; r++)); do
	read -r t d < <(mech_round "$r" on)
	mech_totals+=("$t")
	drained_totals+=("$d")
	startup_totals+=("$(startup_round)")
	say "round $r: mech ${mech_totals[-1]} ms for $N writes, ${drained_totals[-1]} ms with the last merge done ($N start-ups alone: ${startup_totals[-1]} ms)"
	if [ -n "$PROBE" ]; then
		probe_totals+=("$(probe_round "$r")")
		say "round $r: mech in one process ${probe_totals[-1]} ms for $N writes"
	fi
	[ "$r" -eq 1 ] && load_fixture
	git_totals+=("$(git_round "$r" on)")
	say "round $r: git  ${git_totals[-1]} ms for $N writes"
	read -r t _ < <(mech_round "$r" off)
	mech_off_totals+=("$t")
	git_off_totals+=("$(git_round "$r" off)")
	say "round $r, flushing nothing: mech ${mech_off_totals[-1]} ms, git ${git_off_totals[-1]} ms"
done

# the sides wrote the same trees (mech's other home seeded its own repoURL:
# there the writes made the same changes)
mt=$(git --git-dir="$work/mech1on/tenants/bench/gitops.git" rev-parse 'main^{tree}')
for other in "$work/git1on.git" "$work/git1off.git"; do
	gt=$(git --git-dir="$other" rev-parse 'main^{tree}')
	[ "$mt" = "$gt" ] || { say "mech and ${other#"$work"/} ended with different trees ($mt, $gt)"; exit 1; }
done
changes() { git --git-dir="$1" diff "$(git --git-dir="$1" rev-list --max-parents=0 main)" main | sha1sum; }
[ "$(changes "$work/mech1on/tenants/bench/gitops.git")" = \
	"$(changes "$work/mech1off/tenants/bench/gitops.git")" ] ||
	{ say "mech flushing and not flushing made different changes"; exit 1; }

mech_ms=$(printf '%s\n' "${mech_totals[@]}" | median)
git_ms=$(printf '%s\n' "${git_totals[@]}" | median)
echo "WRITE_N=$N"
echo "WRITE_ROUNDS=$ROUNDS"
echo "WRITE_MECH_TOTAL_MS=$mech_ms"
echo "WRITE_GIT_TOTAL_MS=$git_ms"
echo "WRITE_MECH_DRAINED_MS=$(printf '%s\n' "${drained_totals[@]}" | median)"
echo "WRITE_MECH_STARTUP_TOTAL_MS=$(printf '%s\n' "${startup_totals[@]}" | median)"
[ -n "$PROBE" ] && echo "WRITE_PROBE_TOTAL_MS=$(printf '%s\n' "${probe_totals[@]}" | median)"
echo "WRITE_MECH_ROUNDS_MS='${mech_totals[*]}'"
echo "WRITE_GIT_ROUNDS_MS='${git_totals[*]}'"
echo "WRITE_MECH_NOFSYNC_TOTAL_MS=$(printf '%s\n' "${mech_off_totals[@]}" | median)"
echo "WRITE_GIT_NOFSYNC_TOTAL_MS=$(printf '%s\n' "${git_off_totals[@]}" | median)"
echo "WRITE_MECH_NOFSYNC_ROUNDS_MS='${mech_off_totals[*]}'"
echo "WRITE_GIT_NOFSYNC_ROUNDS_MS='${git_off_totals[*]}'"
