# Install rules and the CMake package config: find_package(zenws) gives zenws::zenws and
# zenws::testing against the installed tree.
include(CMakePackageConfigHelpers)

set(ZENWS_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/zenws")

install(TARGETS zenws zenws_protocol zenws_asio zenws_transport zenws_actors zenws_supervision zenws_adapters
        zenws_testing
        EXPORT zenwsTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# Public headers only: files under detail/ folders and the .cpp files stay in the source tree.
foreach(folder IN LISTS ZENWS_PUBLIC_FOLDERS)
  install(DIRECTORY "${folder}/" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/zenws/${folder}"
          FILES_MATCHING PATTERN "*.hpp" PATTERN "detail" EXCLUDE)
endforeach()

install(EXPORT zenwsTargets NAMESPACE zenws:: DESTINATION "${ZENWS_CMAKE_DIR}")

configure_package_config_file(cmake/zenwsConfig.cmake.in
  "${PROJECT_BINARY_DIR}/zenwsConfig.cmake" INSTALL_DESTINATION "${ZENWS_CMAKE_DIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/zenwsConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/zenwsConfig.cmake"
              "${PROJECT_BINARY_DIR}/zenwsConfigVersion.cmake"
              cmake/FindCAF.cmake
        DESTINATION "${ZENWS_CMAKE_DIR}")

if(TARGET zenws_cli)
  install(TARGETS zenws_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
