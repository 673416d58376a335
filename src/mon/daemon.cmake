# sepia-mon: the monitor daemon (main.c + mon_*.c subsystems) on top of
# sepia_mon_core (consensus + store), the maps, the monitor protocol and
# the messenger. Included from src/mon/CMakeLists.txt.
# The daemon's subsystems are a library so fuzz targets can reach their
# decoders; main.c holds only the init table.
add_library(sepia_mon_daemon STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/mon_mkfs.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mon_net.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mon_consensus.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mon_svc.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mon_cmd.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mon_cmd_mon.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mon_cmd_osd.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mon_cmd_pool.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mon_cmd_crush.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mon_sub.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mon_osd.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mon_pg.c)
target_link_libraries(sepia_mon_daemon PUBLIC sepia_mon_core sepia_monc sepia_maps sepia_crush
  sepia_msg sepia_common)
add_executable(sepia-mon ${CMAKE_CURRENT_SOURCE_DIR}/main.c)
target_link_libraries(sepia-mon PRIVATE sepia_mon_daemon)
