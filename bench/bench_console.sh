#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The console against tig on the same tenant repo: time to the first history
# screen and peak memory, on two repos of COMMITS commits (default 100,000):
#
#   * APPS apps (default 1,000), every commit changing one app's overlay:
#     the issue's benchmark;
#   * BIG_APPS apps (default 10,000) for the memory figure. Every 100th
#     commit changes an app's overlay and the others a file under notes/:
#     each change under apps/ rewrites a 10,000-entry tree, and importing
#     100,000 of those takes git fast-import over ten minutes.
#
# Both tools run scripted (mech: MECH_CONSOLE_SCRIPT, tig: TIG_SCRIPT) under
# script(1) for a terminal, open the history, save the screen and quit. mech
# starts on its apps view, so its figure includes listing every app (desired
# state, last writers); the forced-overwrites view is read only when opened,
# which is measured on its own (it walks the whole history; tig has no peer).
# Times are the median of RUNS (3), memory the largest peak of those runs.
#
#   bench/bench_console.sh MECH [COMMITS] [APPS] [BIG_APPS]
set -euo pipefail
MECH=$(realpath "${1:?usage: bench_console.sh MECH [COMMITS] [APPS] [BIG_APPS]}")
COMMITS=${2:-${CONSOLE_COMMITS:-100000}}
APPS=${3:-${CONSOLE_APPS:-1000}}
BIG_APPS=${4:-${CONSOLE_BIG_APPS:-10000}}
RUNS=${RUNS:-3}
command -v tig >/dev/null || { echo "bench_console: tig is not installed (apt-get install tig)" >&2; exit 77; }
work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-console.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TZ=UTC NO_COLOR=1
say() { printf 'bench_console: %s\n' "$*" >&2; }

. "$(dirname "$0")/lib_tenant.sh"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # command...: prints "ms kb" (median ms and largest peak KiB of RUNS runs)
	local i line ms=() kb=0
	for ((i = 0; i < RUNS; i++)); do
		/usr/bin/time -o "$work/time.out" -f '%e %M' "$@" >/dev/null 2>&1
		line=$(tail -1 "$work/time.out")
		ms+=("$(awk -v s="${line% *}" 'BEGIN {printf "%d", s * 1000}')")
		[ "${line#* }" -gt "$kb" ] && kb=${line#* }
	done
	printf '%s %s\n' "$(printf '%s\n' "${ms[@]}" | median)" "$kb"
}
mech_console() { # dir keys: the console on dir's home, KEYS then save the screen
	printf '%s\n:screen-save %s/mech.screen\n' "$2" "$1" >"$1/mech.script"
	rm -f "$1/mech.screen"
	measure env MECH_HOME="$1/mech" HOME="$1/home" MECH_CONSOLE_SCRIPT="$1/mech.script" \
		SHELL=/bin/sh script -qec "$MECH --tenant bench console" /dev/null
}
tig_main() { # dir
	printf ':save-display %s/tig.screen\n:quit\n' "$1" >"$1/tig.script"
	rm -f "$1/tig.screen"
	(cd "$1" && measure env HOME="$1/home" TIG_SCRIPT="$1/tig.script" SHELL=/bin/sh \
		script -qec "env GIT_DIR=$1/mech/tenants/bench/gitops.git tig main" /dev/null)
}
history_shown() { # dir file tool: the history lists the head commit (mech: a row of its class and id)
	local head want="set app[0-9]+ image|note [0-9]"
	head=$(git --git-dir="$1/mech/tenants/bench/gitops.git" rev-parse --short=7 main)
	[ "$3" = mech ] && want="^ *(machine|human|forced) +$head "
	grep -qE "$want" "$1/$2" || { say "$3's history screen is missing"; exit 1; }
}

make_home "$work/a" "$APPS" 1
read -r mech_ms mech_kb < <(mech_console "$work/a" 4)
history_shown "$work/a" mech.screen mech
read -r tig_ms tig_kb < <(tig_main "$work/a")
history_shown "$work/a" tig.screen tig
read -r forced_ms forced_kb < <(mech_console "$work/a" 5)
grep -q "forced writes overrode" "$work/a/mech.screen" || { say "mech's forced screen is missing"; exit 1; }
rm -rf "$work/a"

make_home "$work/b" "$BIG_APPS" 100
read -r big_mech_ms big_mech_kb < <(mech_console "$work/b" 4)
history_shown "$work/b" mech.screen mech
read -r big_tig_ms big_tig_kb < <(tig_main "$work/b")
history_shown "$work/b" tig.screen tig
# after a write (a new app): the apps/ tree and that app are read from Git
MECH_HOME=$work/b/mech HOME=$work/b/home "$MECH" --tenant bench app create fresh \
	--image nginx:1.28 >/dev/null 2>&1 || { say "the write before the console failed"; exit 1; }
read -r big_write_ms big_write_kb < <(RUNS=1 mech_console "$work/b" 4)
history_shown "$work/b" mech.screen mech
# the first console on a home: every app's state and last writer read from Git, not the caches
rm -f "$work/b/mech/cache/bench/apps-main.cache" "$work/b/mech/cache/bench/briefs-main.cache"
read -r big_cold_ms big_cold_kb < <(RUNS=1 mech_console "$work/b" 4)
history_shown "$work/b" mech.screen mech

cat <<EOF
CONSOLE_COMMITS=$COMMITS
CONSOLE_APPS=$APPS
CONSOLE_MECH_MS=$mech_ms
CONSOLE_MECH_PEAK_KB=$mech_kb
CONSOLE_TIG_MS=$tig_ms
CONSOLE_TIG_PEAK_KB=$tig_kb
CONSOLE_FORCED_MS=$forced_ms
CONSOLE_FORCED_PEAK_KB=$forced_kb
CONSOLE_BIG_APPS=$BIG_APPS
CONSOLE_BIG_MECH_MS=$big_mech_ms
CONSOLE_BIG_MECH_PEAK_KB=$big_mech_kb
CONSOLE_BIG_TIG_MS=$big_tig_ms
CONSOLE_BIG_TIG_PEAK_KB=$big_tig_kb
CONSOLE_BIG_WRITE_MS=$big_write_ms
CONSOLE_BIG_WRITE_PEAK_KB=$big_write_kb
CONSOLE_BIG_COLD_MS=$big_cold_ms
CONSOLE_BIG_COLD_PEAK_KB=$big_cold_kb
EOF
