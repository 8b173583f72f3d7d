# CPack project config: refuse to package a binary whose compiled-in paths
# do not match where the package puts its files (the console looks for
# themes in MECH_THEMES_DIR). `make package` configures -DCMAKE_INSTALL_PREFIX=/usr.
set(want "${CPACK_PACKAGING_INSTALL_PREFIX}/share/mech/themes")
if(NOT CPACK_MECH_THEMES_DIR STREQUAL want)
	message(FATAL_ERROR "mech was built with MECH_THEMES_DIR=${CPACK_MECH_THEMES_DIR}, but the "
		"package installs themes in ${want}: configure the package build with "
		"-DCMAKE_INSTALL_PREFIX=${CPACK_PACKAGING_INSTALL_PREFIX} (as `make package` does)")
endif()
