# Fuzz target for the object client's reply decoders (built with the client).
if(TARGET sepia_rados)
  sepia_fuzz_target(fuzz_rados_reply SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_rados_reply.c
    LIBS sepia_rados)
endif()
