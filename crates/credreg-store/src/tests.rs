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
        db.open_tree(schema::META)
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

const ISSUER: &str = "did:key:z6MkJuab";

/// A receipt record of `ISSUER` for award `award`.
fn receipt(award: &str) -> NewRecord {
    NewRecord {
        kind: RecordKind::AwardReceipt,
        issuer: ISSUER.into(),
        bytes: format!(
            r#"{{"kind":"award_receipt","issuer":"{ISSUER}","body":{{"award_id":"{award}"}}}}"#
        )
        .into_bytes(),
    }
}

/// Entry `i` of the test log: pages of 8 entries, each starting with a definition record
/// (which a replica indexes by id) followed by receipts (indexed by award id).
fn entry(i: u64) -> NewRecord {
    if i.is_multiple_of(8) {
        NewRecord {
            kind: RecordKind::CredentialDef,
            issuer: ISSUER.into(),
            bytes: format!("definition at {i}").into_bytes(),
        }
    } else {
        receipt(&format!("urn:uuid:{i}"))
    }
}

/// The entries `from..from + n` of the test log and the tree nodes they add.
fn page(from: u64, n: u64) -> (Vec<NewRecord>, Vec<(u32, u64, credreg_log::Hash)>) {
    let mut tree = MemNodes::default();
    let mut nodes = Vec::new();
    for i in 0..from + n {
        let leaf = credreg_log::leaf_hash(&entry(i).bytes);
        for (level, index, hash) in credreg_log::appended_nodes(&tree, i, leaf).expect("appends") {
            tree.0.insert((level, index), hash);
            if i >= from {
                nodes.push((level, index, hash));
            }
        }
    }
    ((from..from + n).map(entry).collect(), nodes)
}

#[derive(Default)]
struct MemNodes(HashMap<(u32, u64), credreg_log::Hash>);

impl credreg_log::NodeSource for MemNodes {
    type Error = String;
    fn node(&self, level: u32, index: u64) -> Result<credreg_log::Hash, String> {
        self.0
            .get(&(level, index))
            .copied()
            .ok_or_else(|| format!("no node {level}/{index}"))
    }
}

/// A crash at any point of a replica page's writes leaves, after reopening, either the old
/// log (size, entries, award index as before) or the whole page; never a size that covers
/// entries that are not there. The commit point (the log's size) is written last.
#[test]
fn a_replica_page_cut_short_by_a_crash_reopens_as_before_or_whole() {
    let (first, first_nodes) = page(0, 8);
    let (second, second_nodes) = page(8, 8);
    let steps = {
        let s = Store::temporary().expect("scratch");
        s.replica_page(ISSUER, 0, &first, &first_nodes, None)
            .expect("plans")
            .steps
            .len()
    };
    for written in 0..=steps {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let s = Store::open(dir.path()).expect("open");
            s.put_replica(ISSUER, 0, &first, &first_nodes, None)
                .expect("first page");
            let plan = s
                .replica_page(ISSUER, 8, &second, &second_nodes, None)
                .expect("plans");
            s.write_replica_page(plan, written).expect("partial page");
            s.flush().expect("flush");
        }
        let s = Store::open(dir.path()).expect("reopen");
        let size = s.log_size(ISSUER).expect("size");
        let whole = written == steps;
        assert_eq!(
            size,
            if whole { 16 } else { 8 },
            "after {written} of {steps} writes"
        );
        // The first page's awards are found, at their positions, whatever happened after.
        let (position, bytes) = s
            .award_record("urn:uuid:3", false)
            .expect("reads")
            .expect("page 1 award");
        assert_eq!((position, bytes), (3, receipt("urn:uuid:3").bytes));
        // The second page's awards are found exactly when the page committed.
        let found = s.award_record("urn:uuid:12", false).expect("reads");
        assert_eq!(found.is_some(), whole, "after {written} of {steps} writes");
        // Every entry the size covers can be read, and the page can be written (again).
        assert_eq!(
            s.log_entries(ISSUER, 0, size).expect("entries").len() as u64,
            size
        );
        if !whole {
            s.put_replica(ISSUER, 8, &second, &second_nodes, None)
                .expect("the page again");
            assert_eq!(s.log_size(ISSUER).expect("size"), 16);
            assert!(s
                .award_record("urn:uuid:12", false)
                .expect("reads")
                .is_some());
        }
    }
}

/// The in-memory replica award index is rebuilt at open from the page lists, and a replica
/// write that does not start at the stored size is refused without writing anything.
#[test]
fn the_replica_award_index_is_rebuilt_at_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (first, first_nodes) = page(0, 8);
    {
        let s = Store::open(dir.path()).expect("open");
        s.put_replica(ISSUER, 0, &first, &first_nodes, None)
            .expect("page");
        assert!(matches!(
            s.put_replica(ISSUER, 3, &first, &first_nodes, None),
            Err(StoreError::LogMoved {
                expected: 3,
                found: 8
            })
        ));
        s.flush().expect("flush");
    }
    let s = Store::open(dir.path()).expect("reopen");
    for i in 1..8u64 {
        let (position, _) = s
            .award_record(&format!("urn:uuid:{i}"), false)
            .expect("reads")
            .expect("indexed after reopen");
        assert_eq!(position, i);
    }
    assert!(s
        .award_record("urn:uuid:0", false)
        .expect("reads")
        .is_none());
    assert!(
        s.award_record("urn:uuid:1", true).expect("reads").is_none(),
        "no revocation"
    );
}

/// Reopening a database this process is still closing waits for it instead of failing (CI
/// once caught sled's flusher holding the lock a moment after the store was dropped).
#[test]
fn opening_waits_for_a_store_this_process_is_closing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = Store::open(dir.path()).expect("open");
    first.set_setting("name", "Juab").expect("write");
    let path = dir.path().to_owned();
    let second = std::thread::spawn(move || Store::open(&path));
    drop(first);
    let second = second
        .join()
        .expect("thread")
        .expect("opened once the first let go");
    assert_eq!(
        second.setting("name").expect("read").as_deref(),
        Some("Juab")
    );
}
