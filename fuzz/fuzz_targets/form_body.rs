#![no_main]
// See credreg_tests::decoders::form_body.
libfuzzer_sys::fuzz_target!(|data: &[u8]| credreg_tests::decoders::form_body(data));
