//! The parser never panics and stays bounded on arbitrary input (property tests), including
//! byte soup decoded lossily the way a message reader hands it over.

use proptest::prelude::*;
use relayhunt_received::{parse, MAX_RECEIVED_LEN};

/// Fragments real headers are made of, so the generator reaches deep parser states.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("from ".to_string()),
        Just(" by ".to_string()),
        Just(" with ESMTPS ".to_string()),
        Just(" id ".to_string()),
        Just(" for <a@b> ".to_string()),
        Just("; ".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("<".to_string()),
        Just("\"".to_string()),
        Just("helo=".to_string()),
        Just("(HELO ".to_string()),
        Just("[IPv6:::ffff:1.2.3.4]:25".to_string()),
        Just("1.2.3.4.5".to_string()),
        Just("(using TLSv1.3 with cipher X)".to_string()),
        Just("(version=TLS1_2, cipher=".to_string()),
        Just("TLS1.2:A_B:1".to_string()),
        Just("Mon, 1 Jan 2024 00:00:00 +0000".to_string()),
        Just("4/40/99999 99:99:99 PM -9999".to_string()),
        Just("\r\n\t".to_string()),
        Just("\0".to_string()),
        "[ -~]{0,12}",
        "\\PC{0,4}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_any_string(s in "\\PC{0,300}") {
        let h = parse(&s);
        prop_assert!(h.raw.len() <= s.len());
    }

    #[test]
    fn never_panics_on_lossy_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let s = String::from_utf8_lossy(&bytes);
        let _ = parse(&s);
    }

    #[test]
    fn never_panics_on_header_shaped_soup(parts in proptest::collection::vec(fragment(), 0..40)) {
        let s: String = parts.concat();
        let h = parse(&s);
        // The client IP, when given, must appear somewhere in the text.
        if let Some(ip) = h.from.ip {
            let v4_or_v6 = ip.to_string();
            prop_assert!(
                s.contains(&v4_or_v6) || s.to_ascii_lowercase().contains("ffff"),
                "ip {} not in {:?}", v4_or_v6, s
            );
        }
    }
}

#[test]
fn oversized_input_is_cut_and_bounded() {
    let s = "(".repeat(MAX_RECEIVED_LEN * 4);
    let h = parse(&s);
    assert!(h.raw.len() <= MAX_RECEIVED_LEN);
    let s = "from a (".to_string() + &"[".repeat(100_000);
    let start = std::time::Instant::now();
    let _ = parse(&s);
    assert!(start.elapsed() < std::time::Duration::from_secs(1));
}
