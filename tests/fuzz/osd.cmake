# The OSD's on-disk records: superblock, object info, PG info and the PG
# log's omap keys (one target; the first byte picks the decoder).
sepia_fuzz_target(fuzz_osd_decode SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_osd_decode.c LIBS sepia_osd_daemon)
