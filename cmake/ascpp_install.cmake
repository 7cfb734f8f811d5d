# Install rules and the exported CMake package: find_package(ascpp CONFIG) gives ascpp::ascpp
# (the client) and ascpp::sim (the simulator, for users' own tests).
include(CMakePackageConfigHelpers)

get_property(ascpp_layers GLOBAL PROPERTY ASCPP_LAYERS)
foreach(layer IN LISTS ascpp_layers)
    string(REPLACE "ascpp_" "" short ${layer})
    set_target_properties(${layer} PROPERTIES EXPORT_NAME ${short})
endforeach()
set_target_properties(ascpp_asio PROPERTIES EXPORT_NAME asio)

install(TARGETS ascpp ascpp_asio ${ascpp_layers}
        EXPORT ascppTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/ascpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT ascppTargets
        NAMESPACE ascpp::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ascpp)

configure_package_config_file(cmake/ascppConfig.cmake.in
    ${PROJECT_BINARY_DIR}/ascppConfig.cmake
    INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ascpp)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ascppConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ascppConfig.cmake ${PROJECT_BINARY_DIR}/ascppConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ascpp)
