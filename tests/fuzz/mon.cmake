# Monitor decoders: consensus wire messages (decoded, re-encoded and stepped
# through a follower and a leader) and snapshot data of the monitor store.
sepia_fuzz_target(fuzz_mon_msg SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_mon_msg.c LIBS sepia_mon_core)
sepia_fuzz_target(fuzz_mon_snapshot SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_mon_snapshot.c LIBS sepia_mon_core)
