# Fuzz targets for the cluster maps' decoders (network and disk input).
sepia_fuzz_target(fuzz_maps_decode SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_maps_decode.c LIBS sepia_maps)
