# SPDX-License-Identifier: Apache-2.0
# Write the output of `mech gen WHAT` to OUT (and, with GZ set, a gzipped
# copy to GZ), for the build: cmake -DMECH=… -DWHAT=… -DOUT=… [-DGZ=…] -P gen.cmake
#
# MECH_HOME points at a directory that does not exist, so neither the
# builder's own home nor its mech.yaml can change (or break) the output.
foreach(var MECH WHAT OUT HOME)
	if(NOT DEFINED ${var})
		message(FATAL_ERROR "gen.cmake: ${var} is not set")
	endif()
endforeach()
set(ENV{MECH_HOME} "${HOME}")
set(ENV{NO_COLOR} 1)
unset(ENV{MECH_TENANT})
execute_process(COMMAND "${MECH}" gen ${WHAT}
	OUTPUT_FILE "${OUT}.tmp" ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
	file(REMOVE "${OUT}.tmp")
	message(FATAL_ERROR "mech gen ${WHAT} failed (${rc}): ${err}")
endif()
file(RENAME "${OUT}.tmp" "${OUT}")
if(DEFINED GZ)
	# -n: no name or time stamp inside, so the same page gives the same bytes
	execute_process(COMMAND gzip -9 -n -c "${OUT}" OUTPUT_FILE "${GZ}" RESULT_VARIABLE rc)
	if(NOT rc EQUAL 0)
		message(FATAL_ERROR "gzip ${OUT} failed (${rc})")
	endif()
endif()
