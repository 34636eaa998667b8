#![no_main]
// See credreg_tests::decoders::sync_response.
libfuzzer_sys::fuzz_target!(|data: &[u8]| credreg_tests::decoders::sync_response(data));
