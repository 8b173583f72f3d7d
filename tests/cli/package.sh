#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package, as `make package` builds it: a fresh build of this
# source with prefix /usr and the shared libraries, packed by CPack.
# dpkg-deb reads the result: its files, its copyright (the licence), its
# Depends against the binary's NEEDED libraries (libgit2, mbedTLS, readline…
# among them: never linked from their archives). The unpacked binary then
# runs real commands against a temp home and verifies TLS peers
# (tests/lib/tls_remote.sh); a build linked from the archives is refused.
. "$(dirname "$0")/../lib/common.sh"

for tool in cmake cpack dpkg-deb gzip; do
	need "$tool"
done
# The package is built from source, not from $MECH: the plain build's run
# covers it, a sanitizer build's run would only repeat it.
if ldd "$MECH" 2>/dev/null | grep -q 'libasan'; then
	skip "sanitizer build (the plain build's run builds the package)"
fi

bd=$T/build debdir=$T/deb root=$T/root
if cmake -S "$SRC" -B "$bd" -DCMAKE_INSTALL_PREFIX=/usr -DMECH_TESTS=OFF -DMECH_WERROR=ON -DMECH_STATIC_DEPS=OFF \
	-DMECH_SOURCE_THEMES_LOOKUP=OFF \
	>"$T/build.log" 2>&1 &&
	cmake --build "$bd" -j 2 >>"$T/build.log" 2>&1 &&
	(cd "$bd" && cpack -G DEB -B "$debdir") >>"$T/build.log" 2>&1; then ok
else
	fail "building the package: $(tail -20 "$T/build.log")"
	finish
fi
debs=("$debdir"/mech_*.deb)
expect_eq "${#debs[@]}" 1 "one .deb"
deb=${debs[0]}
[ -f "$deb" ] || { fail "no .deb in $debdir"; finish; }

# ---- what is in it -------------------------------------------------------
list=$(dpkg-deb -c "$deb" | awk '{print $1, $2, $NF}')
want=(
	"-rwxr-xr-x root/root ./usr/bin/mech"
	"-rw-r--r-- root/root ./usr/share/man/man1/mech.1.gz"
	"-rw-r--r-- root/root ./usr/share/man/man5/mech.yaml.5.gz"
	"-rw-r--r-- root/root ./usr/share/bash-completion/completions/mech"
	"-rw-r--r-- root/root ./usr/share/mech/sshd_config.d/mech.conf"
	"-rw-r--r-- root/root ./usr/share/doc/mech/README.md"
	"-rw-r--r-- root/root ./usr/share/doc/mech/copyright"
	"drwxr-xr-x root/root ./usr/share/mech/themes/"
)
for f in "$SRC"/docs/*.md; do want+=("-rw-r--r-- root/root ./usr/share/doc/mech/$(basename "$f")"); done
for f in "$SRC"/themes/*.theme; do
	[ -e "$f" ] && want+=("-rw-r--r-- root/root ./usr/share/mech/themes/$(basename "$f")")
done
for w in "${want[@]}"; do
	if grep -qxF -- "$w" <<<"$list"; then ok; else fail "dpkg-deb -c: no \"$w\" in: $list"; fi
done
expect_not_in "$list" "./etc" "the package leaves /etc to the operator"
expect_not_in "$list" "/usr/local" "nothing under /usr/local"

control=$(dpkg-deb -f "$deb" Package Version Architecture Depends)
version=$("$MECH" --version)
expect_in "$control" "Package: mech" "package name"
expect_in "$control" "Version: ${version#mech }" "package version is mech's"
expect_in "$control" "Architecture: $(dpkg --print-architecture 2>/dev/null || echo amd64)" "architecture"
# libcurl and libmicrohttpd are loaded on first use (core/util/dl.c), not linked
dlopened="libcurl4 libmicrohttpd12"
for lib in $dlopened; do
	expect_in "$control" "$lib" "Depends names $lib"
done

# ---- the licence, as Debian ships it -------------------------------------
copyright=$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/share/doc/mech/copyright)
expect_in "$copyright" "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" \
	"copyright is machine-readable (DEP-5)"
expect_in "$copyright" "License: Apache-2.0" "copyright: the source is Apache-2.0"
expect_in "$copyright" "/usr/share/common-licenses/Apache-2.0" "copyright points at Apache-2.0's text"
expect_in "$copyright" "GPL-3.0-or-later" "copyright: the binary linking readline is GPL-3.0-or-later"
expect_in "$copyright" "/usr/share/common-licenses/GPL-3" "copyright points at the GPL's text"

# ---- unpacked, it runs -----------------------------------------------------
dpkg-deb -x "$deb" "$root" && ok || fail "dpkg-deb -x"
bin=$root/usr/bin/mech
# Linked with the shared libraries, so the distribution's security updates
# of libgit2, mbedTLS, readline and ncurses reach it without a rebuild.
needed=$(objdump -p "$bin" | awk '$1 == "NEEDED" {print $2}')
[ -n "$needed" ] && ok || fail "objdump -p found no NEEDED libraries"
for so in libgit2.so libmbedtls.so libmbedx509.so libreadline.so libncursesw.so libyaml-0.so \
	libnettle.so libhogweed.so libgmp.so; do
	expect_in "$needed" "$so" "the packaged binary links $so dynamically (NEEDED)"
done
# every library the packaged binary links comes from a package it depends on …
needed_pkgs=""
for so in $needed; do
	pkg=$(dpkg -S "*/$so" 2>/dev/null | head -n1 | cut -d: -f1)
	if [ -z "$pkg" ]; then fail "no installed package provides $so"; continue; fi
	needed_pkgs="$needed_pkgs $pkg"
	expect_in "$control" "$pkg" "Depends names $pkg (for $so)"
done
# … and it depends on nothing else but the two libraries it loads itself
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//')
for pkg in $depends; do
	case " $needed_pkgs $dlopened " in
	*" $pkg "*) ok ;;
	*) fail "Depends names $pkg, which the binary neither links (NEEDED: $needed) nor loads" ;;
	esac
done
# a libgit2.so links libssh2 and GSSAPI itself: mech must not interpose on them
defined=$(nm -D --defined-only "$bin" 2>/dev/null | awk '{print $3}')
expect_not_in "$defined" "libssh2_" "the packaged binary defines no libssh2 function"
expect_not_in "$defined" "gss_" "the packaged binary defines no GSSAPI function"
run "$bin" --version
expect_rc 0 "packaged mech --version"
if grep -qaF "$SRC/themes" "$root/usr/bin/mech"; then fail "the packaged binary looks into the build's source tree"; else ok; fi
expect_eq "$out" "$version" "the package holds this version"
run "$bin" help
expect_rc 0 "packaged mech help"
expect_in "$out" "deploy" "help prints the workflow map"
export MECH_HOME=$T/pkghome
run "$bin" admin init
expect_rc 0 "packaged admin init"
run "$bin" admin tenant add alice
expect_rc 0 "packaged admin tenant add"
run "$bin" app create web --image nginx:1.27
expect_rc 0 "packaged app create"
expect_in "$out" "mechanics(app.create)" "app create reports its receipt"
subject=$(git --git-dir="$(repo_of alice)" log -1 --format=%s 2>/dev/null)
expect_in "$subject" "mechanics(app.create)" "the receipt is in the tenant repo"
fsck_ok alice

# the compiled-in themes directory is where the package puts themes
zcat "$root/usr/share/man/man1/mech.1.gz" >"$T/mech.1" && ok || fail "mech.1.gz is not gzip"
zcat "$root/usr/share/man/man5/mech.yaml.5.gz" >"$T/mech.yaml.5" && ok || fail "mech.yaml.5.gz is not gzip"
expect_in "$(cat "$T/mech.1")" "/usr/share/mech/themes" "mech(1) names /usr/share/mech/themes"
if strings "$bin" 2>/dev/null | grep -qx '/usr/share/mech/themes'; then ok
elif ! command -v strings >/dev/null; then skip_part "strings(1) is not installed: the themes path was not looked for"
else fail "the binary does not look for themes in /usr/share/mech/themes"; fi
# installed pages and completion are what this binary generates
cmp -s "$T/mech.1" <(MECH_HOME=$T/none "$bin" gen man) && ok || fail "installed mech.1 differs"
cmp -s "$T/mech.yaml.5" <(MECH_HOME=$T/none "$bin" gen man5) && ok || fail "installed mech.yaml.5 differs"
cmp -s "$root/usr/share/bash-completion/completions/mech" <(MECH_HOME=$T/none "$bin" gen bash-completion) &&
	ok || fail "installed completion differs"
cmp -s "$root/usr/share/mech/sshd_config.d/mech.conf" "$SRC/packaging/sshd_config.d/mech.conf" &&
	ok || fail "the sshd snippet differs from packaging/sshd_config.d/mech.conf"
if command -v man >/dev/null; then
	MANWIDTH=80 man --warnings -l "$root/usr/share/man/man1/mech.1.gz" >"$T/rendered" 2>"$T/man.err"
	expect_eq "$(cat "$T/man.err")" "" "the installed mech(1) renders without warnings"
	expect_in "$(cat "$T/rendered")" "EXIT STATUS" "the installed mech(1) renders"
else
	skip_part "man is not installed: the installed mech(1) was not rendered"
fi
bash --norc --noprofile -c '. "$1" && complete -p mech' bash \
	"$root/usr/share/bash-completion/completions/mech" >/dev/null 2>&1 && ok ||
	fail "the installed completion does not register for mech"

# ---- a build linked from the archives is never packaged ----------------------
cache=$(dirname "$MECH")/CMakeCache.txt
if grep -qx 'MECH_STATIC_DEPS:BOOL=ON' "$cache" 2>/dev/null; then
	run cpack -G DEB --config "$(dirname "$MECH")/CPackConfig.cmake" -B "$T/staticdeb"
	if [ "$rc" -ne 0 ]; then ok; else fail "cpack packaged a binary linked from the archives"; fi
	expect_in "$out$err" "MECH_STATIC_DEPS=OFF" "cpack says how to configure a package build"
	expect_eq "$(find "$T/staticdeb" -name '*.deb' 2>/dev/null | wc -l)" 0 "no .deb of a static build"
fi

# ---- the packaged binary verifies TLS peers (its CA parse is deferred by
# interposing on the shared mbedTLS, not by ld --wrap as in the local build)
. "$SRC/tests/lib/tls_remote.sh"
if tls_remote_setup; then
	tls_remote_check "$bin" "packaged mech"
elif [ "$FAIL" -eq 0 ]; then
	printf '%d passed, %d failed\n' "$PASS" "$FAIL"
	tls_skip "the rest passed, but TLS cannot be checked here: $TLS_SKIP_REASON"
fi
finish
