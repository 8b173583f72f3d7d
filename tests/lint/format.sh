#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The tree's C code is formatted as .clang-format says (scripts/format
# --check, which `make format` fixes). .clang-format is written for Debian
# 12's clang-format 14: with another version the check cannot judge, so the
# test skips (strict mode: fails).
. "$(dirname "$0")/../lib/common.sh"

need clang-format "clang-format is not installed (make deps installs it)"
version=$(clang-format --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
[ "$version" = 14 ] || skip "clang-format is version ${version:-unknown}; .clang-format is written for 14"
run "$SRC/scripts/format" --check
expect_rc 0 "scripts/format --check: $err"
finish
