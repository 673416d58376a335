# Fuzz targets for the OSD protocol (messages and op payloads) and for the
# replicated store transaction a replica decodes.
sepia_fuzz_target(fuzz_osd_proto SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_osd_proto.c
  LIBS sepia_osd_proto)
sepia_fuzz_target(fuzz_store_txn SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_store_txn.c
  LIBS sepia_store)
