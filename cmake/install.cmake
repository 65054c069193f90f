# Installation and the find_package(dnntrain) config:
# headers under include/dnntrain/<folder>/, the libraries, and dnntrain::{engine,layers,data,dnntrain}.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(dnntrain PROPERTIES EXPORT_NAME dnntrain)
install(TARGETS dnntrain_engine dnntrain_layers dnntrain_data dnntrain
  EXPORT dnntrainTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(folder engine layers data)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/dnntrain/${folder}
    FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(EXPORT dnntrainTargets NAMESPACE dnntrain:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dnntrain)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/dnntrainConfig.cmake.in
  ${PROJECT_BINARY_DIR}/dnntrainConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dnntrain)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/dnntrainConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/dnntrainConfig.cmake ${PROJECT_BINARY_DIR}/dnntrainConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dnntrain)
