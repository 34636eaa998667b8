#![no_main]
// See credreg_tests::decoders::did_document.
libfuzzer_sys::fuzz_target!(|data: &[u8]| credreg_tests::decoders::did_document(data));
