#![no_main]
// See credreg_tests::decoders::csv_import.
libfuzzer_sys::fuzz_target!(|data: &[u8]| credreg_tests::decoders::csv_import(data));
