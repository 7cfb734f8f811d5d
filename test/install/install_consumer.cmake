# Script mode: install, configure the consumer, build it and run it.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run step)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "${step} failed (${rc}):\n${out}")
    endif()
    message(STATUS "${step}: ok")
endfunction()

run("install" ${CMAKE_COMMAND} --install ${ASCPP_BUILD_DIR} --prefix ${prefix})

set(flags "")
if(SANITIZE)
    set(flags "-fsanitize=${SANITIZE}")
endif()
run("configure consumer" ${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build -G Ninja
    -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
    -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
    "-DCMAKE_CXX_FLAGS=${flags}"
    "-DCMAKE_EXE_LINKER_FLAGS=${flags}")
run("build consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
foreach(program consumer deprecated_asio own_asio_src)
    run("run ${program}" ${WORK_DIR}/build/${program})
endforeach()

# The programs are installed too.
foreach(program ascpp ascpp-sim)
    if(NOT EXISTS ${prefix}/bin/${program})
        message(FATAL_ERROR "cmake --install did not install bin/${program}")
    endif()
endforeach()
run("ascpp-sim --help" ${prefix}/bin/ascpp-sim --help)
