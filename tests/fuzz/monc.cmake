# Fuzz target for the monitor protocol's message decoders.
sepia_fuzz_target(fuzz_mon_proto SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_mon_proto.c LIBS sepia_monc)
