#![no_main]
// See credreg_tests::decoders::bundle.
libfuzzer_sys::fuzz_target!(|data: &[u8]| credreg_tests::decoders::bundle(data));
