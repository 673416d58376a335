# The monitor daemon's own decoders: its internal messages (raft transport,
# forward, forward reply) and the framing of its log entries.
sepia_fuzz_target(fuzz_mon_daemon SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_mon_daemon.c LIBS sepia_mon_daemon)
