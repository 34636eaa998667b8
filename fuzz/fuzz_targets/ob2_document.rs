#![no_main]
// See credreg_tests::decoders::ob2_document.
libfuzzer_sys::fuzz_target!(|data: &[u8]| credreg_tests::decoders::ob2_document(data));
