#![no_main]
// See credreg_tests::decoders::multipart_upload.
libfuzzer_sys::fuzz_target!(|data: &[u8]| credreg_tests::decoders::multipart_upload(data));
