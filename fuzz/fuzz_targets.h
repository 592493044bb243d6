// Copyright 2026 The fan-out engine authors.
//
// The libFuzzer entry point every fuzz/*_fuzzer.cc defines. The same files
// link either with libFuzzer (clang, -DFANOUT_FUZZ=ON) or with
// replay_main.cc, a plain driver that runs given files once (the smoke run
// of `fuzz/run_fuzz.sh smoke`, built by any compiler).

#ifndef FANOUT_FUZZ_FUZZ_TARGETS_H_
#define FANOUT_FUZZ_FUZZ_TARGETS_H_

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#endif  // FANOUT_FUZZ_FUZZ_TARGETS_H_
