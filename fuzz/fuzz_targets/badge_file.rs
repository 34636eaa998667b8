#![no_main]
// See credreg_tests::decoders::badge_file.
libfuzzer_sys::fuzz_target!(|data: &[u8]| credreg_tests::decoders::badge_file(data));
