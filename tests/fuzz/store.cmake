# Store decoders: every BlockStore on-disk record (one target, the first byte
# picks the decoder) and the export-format reader importing into a MemStore.
sepia_fuzz_target(fuzz_store_decode SOURCES fuzz_store_decode.c LIBS sepia_store)
sepia_fuzz_target(fuzz_store_export SOURCES fuzz_store_export.c LIBS sepia_store)
