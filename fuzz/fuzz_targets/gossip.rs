#![no_main]
// See credreg_tests::decoders::gossip.
libfuzzer_sys::fuzz_target!(|data: &[u8]| credreg_tests::decoders::gossip(data));
