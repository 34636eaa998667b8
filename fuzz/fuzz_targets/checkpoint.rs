#![no_main]
// See credreg_tests::decoders::checkpoint.
libfuzzer_sys::fuzz_target!(|data: &[u8]| credreg_tests::decoders::checkpoint(data));
