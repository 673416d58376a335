# CRUSH decoders: the crushtool text compiler and the binary map decoder.
sepia_fuzz_target(fuzz_crush_text SOURCES fuzz_crush_text.c LIBS sepia_crush)
sepia_fuzz_target(fuzz_crush_decode SOURCES fuzz_crush_decode.c LIBS sepia_crush)
