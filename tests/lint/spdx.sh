#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Every source file names its licence (Apache-2.0, LICENSE) in its first
# lines, as a distribution's licence check reads it: C sources and headers,
# scripts, CMake and build files, configuration and themes. Documents and
# test data (golden screens, fuzz corpora, case files) are not source.
. "$(dirname "$0")/../lib/common.sh"

cd "$SRC" || exit 1
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files)
else # a source tarball: every file but the build directories
	files=$(find . -path ./build -prune -o -path './build-*' -prune -o -type f -print | sed 's|^\./||')
fi
n=0
while IFS= read -r f; do
	case $f in
	LICENSE | packaging/copyright | *.md | *.json | tests/tui/golden/* | tests/fuzz/corpus/* | tests/data/*) continue ;;
	esac
	[ -f "$f" ] || continue
	n=$((n + 1))
	if head -n 3 -- "$f" | grep -q 'SPDX-License-Identifier: Apache-2.0'; then ok
	else fail "$f: no 'SPDX-License-Identifier: Apache-2.0' in its first three lines"; fi
done <<<"$files"
[ "$n" -gt 100 ] && ok || fail "only $n source files found under $SRC"
finish
