# Settings every ascpp target shares. They must be identical for the precompiled
# header to be reused.
function(ascpp_target_defaults target)
    target_compile_features(${target} PUBLIC cxx_std_20)
    # Aggregates rely on default member initializers for the fields a braced or designated
    # initializer leaves out, so -Wmissing-field-initializers reports only intended code.
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter
        -Wno-missing-field-initializers $<$<BOOL:${ASCPP_WARNINGS_AS_ERRORS}>:-Werror>)
    # GCC 12 at -O2/-O3 reports std::string concatenation inside libstdc++ as overflowing
    # (GCC bugs 105329, 105651, 106199: fixed in GCC 13). The reports point into char_traits.h,
    # not at a real access; ASan checks the real ones at run time.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
        target_compile_options(${target} PRIVATE -Wno-stringop-overflow -Wno-stringop-overread
            -Wno-array-bounds -Wno-restrict)
        # With sanitizers, GCC 12 also pairs Asio's coroutine-frame operator new and delete
        # wrongly (-Wmismatched-new-delete): the frame allocator is Asio's own, matched.
        if(ASCPP_SANITIZE)
            target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
        endif()
    endif()
    target_include_directories(${target} PUBLIC
        $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
        $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endfunction()

# ascpp_add_layer(name DEPENDS deps...): library ascpp_<name> from src/<name>/*.cpp.
function(ascpp_add_layer name)
    cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
    set(target ascpp_${name})
    file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
    if(NOT sources)
        set(sources ${PROJECT_SOURCE_DIR}/src/pch.cpp)
    endif()
    add_library(${target} STATIC ${sources})
    add_library(ascpp::${name} ALIAS ${target})
    target_link_libraries(${target} PUBLIC ${ARG_DEPENDS})
    ascpp_target_defaults(${target})
    target_precompile_headers(${target} REUSE_FROM ascpp_pch)
    set_property(GLOBAL APPEND PROPERTY ASCPP_LAYERS ${target})
endfunction()

# ascpp_add_test(name SOURCES ... LIBS ... [LABELS ...] [TIMEOUT s]): one Boost.Test executable
# registered with ctest.
function(ascpp_add_test name)
    cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
    add_executable(${name} ${ARG_SOURCES})
    target_link_libraries(${name} PRIVATE ${ARG_LIBS} ascpp_test_support)
    ascpp_target_defaults(${name})
    target_precompile_headers(${name} REUSE_FROM ascpp_test_pch)
    add_test(NAME ${name} COMMAND ${name} --log_level=message --report_level=short)
    set_tests_properties(${name} PROPERTIES
        ENVIRONMENT "ASCPP_SOURCE_DIR=${PROJECT_SOURCE_DIR};ASCPP_SPEC=${ASCPP_SPEC};ASCPP_BIN_DIR=${CMAKE_RUNTIME_OUTPUT_DIRECTORY}")
    if(ARG_LABELS)
        set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}")
    endif()
    if(ARG_TIMEOUT)
        set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT})
    endif()
endfunction()
