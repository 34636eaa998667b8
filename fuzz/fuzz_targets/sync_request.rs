#![no_main]
// See credreg_tests::decoders::sync_request.
libfuzzer_sys::fuzz_target!(|data: &[u8]| credreg_tests::decoders::sync_request(data));
