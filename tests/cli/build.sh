#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Building only builds. `make`, `make build` and a plain `cmake` never
# install a package: where a library is missing, configuring stops with a
# message naming the Debian package that ships it, for every library
# CMakeLists.txt looks for; README.md lists those packages. `make demo` and
# `make test` (the README's two commands) install what is missing first.
# apt-get, apt, sudo, dpkg and dpkg-query are recording stubs on PATH, so
# nothing here can install anything. The build has no ld --wrap on mbedTLS's
# random generator or its entropy.
. "$(dirname "$0")/../lib/common.sh"

for tool in cmake make pkg-config dpkg; do
	need "$tool"
done

# CMake wraps long messages: compare with runs of blanks and newlines as one space
flat() { tr -s ' \n' '  ' <<<"$1"; }

# ---- stubs: any attempt to install is recorded, and fails ---------------------
mkdir -p "$T/stubs"
for stub in apt-get apt aptitude sudo dpkg dpkg-query; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/installs.log"\nexit 1\n' "$stub" "$T" >"$T/stubs/$stub"
	chmod +x "$T/stubs/$stub"
done
: >"$T/installs.log"
STUBPATH=$T/stubs:$PATH
mkdir -p "$T/nopc"
no_install() { # what
	expect_eq "$(cat "$T/installs.log")" "" "$1 tried to install packages"
	: >"$T/installs.log"
}

# `make build` with no library at all: configure fails, naming the first
# package, and neither make nor CMake tries to install anything
run env PATH="$STUBPATH" PKG_CONFIG_LIBDIR="$T/nopc" make -C "$SRC" --no-print-directory build \
	BUILD="$T/make-build"
if [ "$rc" -ne 0 ]; then ok; else fail "make build succeeded without any library"; fi
expect_match() { # text extended-regex what
	if grep -qE -- "$2" <<<"$1"; then ok; else fail "$3: no match for /$2/ in: ${1:0:600}"; fi
}
named='[a-z0-9.-]+ not found: install [a-z0-9.+-]+ \(or run `make deps`\)'
expect_match "$(flat "$out$err")" "$named" "make build names the package to install"
no_install "make build"
run env PATH="$STUBPATH" PKG_CONFIG_LIBDIR="$T/nopc" make -C "$SRC" --no-print-directory \
	BUILD="$T/make-all"
if [ "$rc" -ne 0 ]; then ok; else fail "make succeeded without any library"; fi
no_install "make"
run env PATH="$STUBPATH" PKG_CONFIG_LIBDIR="$T/nopc" cmake -S "$SRC" -B "$T/cmake-plain"
if [ "$rc" -ne 0 ]; then ok; else fail "cmake succeeded without any library"; fi
expect_match "$(flat "$out$err")" "$named" "cmake names the package to install"
no_install "cmake"
# CMake finds programs in PATH and the system's directories: ignore those
run env PATH="$STUBPATH" cmake -S "$SRC" -B "$T/cmake-nopc" -DCMAKE_C_COMPILER="$(command -v cc)" \
	-DCMAKE_MAKE_PROGRAM="$(command -v make)" "-DCMAKE_IGNORE_PATH=$(tr ':' ';' <<<"$PATH");/usr/bin;/bin"
if [ "$rc" -ne 0 ]; then ok; else fail "cmake succeeded without pkg-config"; fi
expect_in "$(flat "$out$err")" 'install pkg-config (or run `make deps`)' "cmake names pkg-config's package"
no_install "cmake without pkg-config"

# ---- each package missing in turn ------------------------------------------------
# The libraries mech builds against, with the Debian package shipping each:
# hide that package's files (its pkg-config files and headers) from a view
# of the system, configure, and expect the package's name. Which file comes
# from which package is dpkg's answer, not CMakeLists.txt's.
packages="libgit2-dev libmbedtls-dev libyaml-dev libcurl4-openssl-dev libcjson-dev
libmicrohttpd-dev libncurses-dev libreadline-dev nettle-dev libgmp-dev libcriterion-dev
libxxhash-dev"
pc_dirs=$(pkg-config --variable pc_path pkg-config)
view() { # dir [package]: symlinks to every pkg-config file and header, minus the package's
	local files=/dev/null
	[ -n "${2:-}" ] && { dpkg -L "$2" >"$T/hidden" || return 1; files=$T/hidden; }
	/usr/bin/python3 - "$1" "$pc_dirs" "$files" <<'EOF'
import os, sys
view, pc_dirs, hidden = sys.argv[1], sys.argv[2].split(":"), sys.argv[3]
hide = {l.rstrip("\n") for l in open(hidden)}
os.makedirs(view + "/pc")
for d in pc_dirs:
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        path = os.path.join(d, name)
        if name.endswith(".pc") and path not in hide and not os.path.exists(view + "/pc/" + name):
            os.symlink(path, view + "/pc/" + name)
def mirror(path):
    """Link every entry of directory path; descend only where something is hidden."""
    os.makedirs(view + "/sys" + path)
    for name in sorted(os.listdir(path)):
        entry = os.path.join(path, name)
        if entry in hide and not os.path.isdir(entry):
            continue
        if os.path.isdir(entry) and not os.path.islink(entry) and \
                any(h.startswith(entry + "/") for h in hide):
            mirror(entry)
        else:
            os.symlink(entry, view + "/sys" + entry)
mirror("/usr/include")
EOF
}
configure_in() { # view build-dir
	run env PATH="$STUBPATH" PKG_CONFIG_LIBDIR="$1/pc" cmake -S "$SRC" -B "$2" \
		-DCMAKE_FIND_ROOT_PATH="$1/sys" -DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY
}
# the view itself hides nothing else: with every package there, configuring works
view "$T/view-all" && ok || fail "could not make a view of the system"
configure_in "$T/view-all" "$T/b-all"
expect_rc 0 "configure in a view of the whole system: $(tail -5 <<<"$out")"
no_install "configure"
rm -rf "$T/view-all" "$T/b-all"
for pkg in $packages; do
	if ! view "$T/view-$pkg" "$pkg"; then
		fail "dpkg -L $pkg: is it installed? (make deps)"
		continue
	fi
	configure_in "$T/view-$pkg" "$T/b-$pkg"
	if [ "$rc" -ne 0 ]; then ok; else fail "configure succeeded without $pkg"; fi
	expect_in "$(flat "$out$err")" "install $pkg (or run \`make deps\`)" "without $pkg, configure names it"
	no_install "configure without $pkg"
	rm -rf "$T/view-$pkg" "$T/b-$pkg"
done
# README.md tells people who install by hand the same packages
readme=$(cat "$SRC/README.md")
for pkg in $packages pkg-config cmake build-essential; do
	expect_in "$readme" "$pkg" "README.md lists $pkg"
done

# ---- the README's two commands install first, through `make deps` --------------
# dpkg-query (a stub) finds nothing installed, so scripts/deps calls apt-get
# (a stub that fails): make stops before configuring anything
for target in demo test; do
	run env PATH="$STUBPATH" make -C "$SRC" --no-print-directory "$target" BUILD="$T/$target" \
		BUILD_SAN="$T/$target-san"
	if [ "$rc" -ne 0 ]; then ok; else fail "make $target went on after a failed install"; fi
	expect_in "$(cat "$T/installs.log")" "apt-get update" "make $target installs what is missing"
	expect_in "$(cat "$T/installs.log")" "libgit2-dev" "make $target installs libgit2-dev"
	if [ -e "$T/$target" ]; then fail "make $target configured before installing"; else ok; fi
	: >"$T/installs.log"
done

# ---- no start-up shortcut near mbedTLS's random generator -----------------------
bdir=$(dirname "$MECH")
links=$(cat "$bdir"/CMakeFiles/mech.dir/link.txt 2>/dev/null)
[ -n "$links" ] && ok || fail "no link command in $bdir"
for sym in mbedtls_ctr_drbg mbedtls_entropy; do
	expect_not_in "$links" "--wrap=$sym" "the link of $MECH wraps $sym"
	expect_not_in "$(nm "$MECH" 2>/dev/null | grep -F "__wrap_$sym")" "__wrap_$sym" "$MECH defines __wrap_$sym"
	if find "$SRC" -path "$SRC/build*" -prune -o \( -name CMakeLists.txt -o -name '*.cmake' \) \
		-print0 | xargs -0 grep -qF -- "--wrap=$sym"; then
		fail "a CMake file wraps $sym"
	else ok; fi
done
finish
