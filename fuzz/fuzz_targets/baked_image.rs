#![no_main]
// See credreg_tests::decoders::baked_image.
libfuzzer_sys::fuzz_target!(|data: &[u8]| credreg_tests::decoders::baked_image(data));
