# Fuzz targets for the common library's parsers of untrusted input.
sepia_fuzz_target(fuzz_cfg_ini SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_cfg_ini.c LIBS sepia_common)
sepia_fuzz_target(fuzz_enc SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_enc.c LIBS sepia_common)
