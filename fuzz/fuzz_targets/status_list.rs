#![no_main]
// See credreg_tests::decoders::status_list.
libfuzzer_sys::fuzz_target!(|data: &[u8]| credreg_tests::decoders::status_list(data));
