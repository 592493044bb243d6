# ctest driver (tests/CMakeLists.txt): installs the build into a fresh
# prefix, then configures, builds and runs tests/install/consumer against
# it. Variables: BUILD_DIR (the project's build), SOURCE_DIR (this folder),
# WORK_DIR (scratch; emptied first).
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
endfunction()

run("cmake --install" ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
# No private dependency may reach an installed header.
file(GLOB_RECURSE headers "${prefix}/include/*.h")
foreach(header ${headers})
  file(STRINGS "${header}" private_includes REGEX "#include [<\"](nlohmann|pugixml|xxhash)")
  if(private_includes)
    message(FATAL_ERROR "${header} includes a private dependency: ${private_includes}")
  endif()
endforeach()
run("configuring the consumer" ${CMAKE_COMMAND} -S "${SOURCE_DIR}/consumer"
    -B "${WORK_DIR}/consumer" -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_PREFIX_PATH=${prefix}" "-DFANOUT_INCLUDE_ROOT=${prefix}/include/fanout")
run("building the consumer" ${CMAKE_COMMAND} --build "${WORK_DIR}/consumer" -j 2)
run("running the consumer" "${WORK_DIR}/consumer/consumer")
message(STATUS "installed package: consumer built, linked and ran; every header compiles alone")
