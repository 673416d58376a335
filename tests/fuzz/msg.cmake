# Messenger decoders: banner and handshake payloads, the frame parser, the
# message registry.
foreach(t fuzz_msg_banner fuzz_msg_frame fuzz_msg_registry)
  sepia_fuzz_target(${t} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c LIBS sepia_msg)
endforeach()
