# SPDX-License-Identifier: Apache-2.0
# CPack project config: refuse to make a package that does not fit. The
# console looks for themes in MECH_THEMES_DIR, which must be
# where the package puts them (`make package` configures
# -DCMAKE_INSTALL_PREFIX=/usr); and a binary linked from the archives
# (MECH_STATIC_DEPS) would keep old copies of libgit2, mbedTLS and readline
# through the distribution's security updates of them.
if(CPACK_MECH_LINKED_STATIC)
	message(FATAL_ERROR "mech was linked with libraries' archives (MECH_STATIC_DEPS=ON): "
		"a package links the shared libraries; configure the package build with "
		"-DMECH_STATIC_DEPS=OFF (as `make package` does)")
endif()

set(want "${CPACK_PACKAGING_INSTALL_PREFIX}/${CPACK_MECH_DATADIR}/mech/themes")
if(NOT CPACK_MECH_THEMES_DIR STREQUAL want)
	message(FATAL_ERROR "mech was built with MECH_THEMES_DIR=${CPACK_MECH_THEMES_DIR}, but the "
		"package installs themes in ${want}: configure the package build with "
		"-DCMAKE_INSTALL_PREFIX=${CPACK_PACKAGING_INSTALL_PREFIX} (as `make package` does)")
endif()

# Depends comes from dpkg-shlibdeps; without it CPack would only warn and
# leave out every library the binary links
find_program(MECH_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(NOT MECH_DPKG_SHLIBDEPS)
	message(FATAL_ERROR "dpkg-shlibdeps not found: install dpkg-dev (or run `make deps`); "
		"the package's Depends is computed from the binary's libraries")
endif()
