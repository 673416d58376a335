# rados client: the object client library with librados' C API
# (include/rados/librados.h), included by src/rados/CMakeLists.txt.
#   sepia_rados         static library for our tools and daemons
#   sepia-rados-shared  libsepia-rados.so, the same sources built -fPIC
set(sepia_rados_srcs
  ${CMAKE_CURRENT_SOURCE_DIR}/client.c
  ${CMAKE_CURRENT_SOURCE_DIR}/client_aio.c
  ${CMAKE_CURRENT_SOURCE_DIR}/client_build.c
  ${CMAKE_CURRENT_SOURCE_DIR}/client_io.c
  ${CMAKE_CURRENT_SOURCE_DIR}/client_list.c
  ${CMAKE_CURRENT_SOURCE_DIR}/client_op.c
  ${CMAKE_CURRENT_SOURCE_DIR}/client_pool.c
  ${CMAKE_CURRENT_SOURCE_DIR}/client_reply.c
  ${CMAKE_CURRENT_SOURCE_DIR}/client_target.c)
set(sepia_rados_deps sepia_osd_proto sepia_monc sepia_maps sepia_crush sepia_msg sepia_common)

add_library(sepia_rados STATIC ${sepia_rados_srcs})
target_include_directories(sepia_rados PUBLIC ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src)
target_link_libraries(sepia_rados PUBLIC ${sepia_rados_deps})

# The shared library links the same static dependencies, so they are built
# position independent (no measurable cost on x86-64 and aarch64).
set_target_properties(${sepia_rados_deps} PROPERTIES POSITION_INDEPENDENT_CODE ON)
add_library(sepia-rados-shared SHARED ${sepia_rados_srcs})
set_target_properties(sepia-rados-shared PROPERTIES OUTPUT_NAME sepia-rados
  POSITION_INDEPENDENT_CODE ON VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
target_include_directories(sepia-rados-shared PUBLIC ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src)
target_link_libraries(sepia-rados-shared PRIVATE ${sepia_rados_deps})
target_link_options(sepia-rados-shared PRIVATE
  -Wl,--version-script=${CMAKE_CURRENT_SOURCE_DIR}/client.map)
set_property(TARGET sepia-rados-shared APPEND PROPERTY LINK_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/client.map)
