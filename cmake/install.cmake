# Installation and the find_package(dnntrain) config: the public headers (include/dnntrain/ only),
# the libraries (the public libdnntrain and the internal ones it and the command load), the command,
# and one imported target, dnntrain::dnntrain, versioned by dnntrainConfigVersion.cmake.
# Every installed binary and library finds its libraries through RUNPATH $ORIGIN/../<libdir>
# (CMAKE_INSTALL_RPATH in CMakeLists.txt), so an install runs without LD_LIBRARY_PATH.
include(CMakePackageConfigHelpers)

install(TARGETS dnntrain dnntrain_engine dnntrain_layers dnntrain_data
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/dnntrain DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp")

# The config defines dnntrain::dnntrain itself (dnntrainConfig.cmake.in) instead of
# install(EXPORT): an export would have to export the internal libraries libdnntrain links
# privately, and with them their oneDNN, oneTBB and fmt targets, which a program must not need.
if(BUILD_SHARED_LIBS)
  set(DNNTRAIN_LIBRARY_FILE ${CMAKE_SHARED_LIBRARY_PREFIX}dnntrain${CMAKE_SHARED_LIBRARY_SUFFIX}.${PROJECT_VERSION})
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/dnntrainConfig.cmake.in
    ${PROJECT_BINARY_DIR}/dnntrainConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dnntrain
    PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/dnntrainConfigVersion.cmake
    COMPATIBILITY SameMajorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/dnntrainConfig.cmake ${PROJECT_BINARY_DIR}/dnntrainConfigVersion.cmake
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dnntrain)
else()
  message(STATUS "BUILD_SHARED_LIBS is OFF: no find_package(dnntrain) config is installed")
endif()
