# Fuzz target for the admin socket protocol: request framing and parsing,
# command matching, reply encoding and the client's reply decoder.
sepia_fuzz_target(fuzz_asok_request SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_asok_request.c LIBS sepia_common)
