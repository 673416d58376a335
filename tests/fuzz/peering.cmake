# Peering core decoders: messages (decoded, re-encoded, then handed to a
# primary and a replica of a small PG) and the stored PG info.
sepia_fuzz_target(fuzz_peering SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_peering.c LIBS sepia_osd_peering)
