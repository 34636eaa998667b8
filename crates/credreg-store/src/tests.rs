use super::*;

fn award(id: &str, index: u64) -> NewAward {
    let receipt = NewRecord {
        kind: RecordKind::AwardReceipt,
        issuer: "did:key:z".into(),
        bytes: format!("receipt {id}").into_bytes(),
    };
    NewAward {
        award_id: id.into(),
        bytes: format!("award {id}").into_bytes(),
        state: AwardState {
            credential_id: "c".into(),
            status_list: 0,
            status_index: index,
            issued_at: "t".into(),
            receipt_id: receipt.id(),
            revocation: None,
            review: None,
        },
        receipt,
    }
}

#[test]
fn awards_revocations_and_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let s = Store::open(dir.path()).expect("open");
        s.put_awards(&[award("a", 0), award("b", 1)]).expect("put");
        assert_eq!(s.next_status_position().expect("n"), 2);
        // A batch with one duplicate writes nothing.
        let err = s
            .put_awards(&[award("c", 2), award("a", 3)])
            .expect_err("must fail");
        assert!(matches!(err, StoreError::DuplicateAward(ref id) if id == "a"));
        assert!(s.award("c").expect("get").is_none());
        assert_eq!(s.next_status_position().expect("n"), 2);

        let rev = NewRecord {
            kind: RecordKind::Revocation,
            issuer: "did:key:z".into(),
            bytes: b"revoke b".to_vec(),
        };
        let st = s
            .revoke("b", &rev, "plagiarised evidence", "t2")
            .expect("revoke");
        assert_eq!(
            st.revocation.as_ref().map(|r| r.reason.as_str()),
            Some("plagiarised evidence")
        );
        assert!(matches!(
            s.revoke("b", &rev, "again", "t3"),
            Err(StoreError::AlreadyRevoked(_))
        ));
        assert!(matches!(
            s.revoke("zz", &rev, "x", "t3"),
            Err(StoreError::NoSuchAward(_))
        ));
    }
    let s = Store::open(dir.path()).expect("reopen");
    assert_eq!(s.award("a").expect("get"), Some(b"award a".to_vec()));
    let bits = s.status_bits(0).expect("bits");
    assert_eq!(bits.len(), 16_384);
    assert!(bit_is_set(&bits, 1));
    assert!(!bit_is_set(&bits, 0));
    assert_eq!(bits[0], 0b0100_0000);
    let receipts: Vec<_> = s
        .records_of_kind(RecordKind::AwardReceipt)
        .collect::<Result<_, _>>()
        .expect("scan");
    assert_eq!(receipts.len(), 2);
    assert_eq!(s.records_of_kind(RecordKind::Revocation).count(), 1);

    // The two receipts and the revocation are the issuer's log, in order; the failed batch
    // appended nothing.
    assert_eq!(s.log_size("did:key:z").expect("size"), 3);
    let entries = s.log_entries("did:key:z", 0, 10).expect("entries");
    let bytes: Vec<&[u8]> = entries.iter().map(|(_, b)| b.as_slice()).collect();
    assert_eq!(bytes, [b"receipt a".as_slice(), b"receipt b", b"revoke b"]);
    let mut reference = credreg_log::MemoryLog::new();
    for b in &bytes {
        reference.append(b);
    }
    let root = credreg_log::root(&s.log_nodes("did:key:z"), 3).expect("root");
    assert_eq!(Some(root), reference.root_at(3));
    let rev_id = credreg_model::record_id(b"revoke b");
    assert_eq!(s.log_position(&rev_id).expect("pos"), Some(2));
    assert_eq!(s.log_size("did:key:other").expect("size"), 0);

    assert!(s
        .put_checkpoint_if_newer("did:key:z", 3, b"cp3")
        .expect("put"));
    assert!(!s
        .put_checkpoint_if_newer("did:key:z", 3, b"other cp3")
        .expect("put"));
    assert!(!s
        .put_checkpoint_if_newer("did:key:z", 2, b"cp2")
        .expect("put"));
    assert_eq!(
        s.checkpoint("did:key:z").expect("cp"),
        Some((3, b"cp3".to_vec()))
    );
}

#[test]
fn refuses_unknown_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = sled::open(dir.path()).expect("open");
        db.open_tree("meta-1")
            .expect("tree")
            .insert(b"schema-version", b"99")
            .expect("insert");
        db.flush().expect("flush");
    }
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::Schema { found }) if found == "99"
    ));
}
