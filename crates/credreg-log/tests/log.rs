//! Known answers, an exhaustive check against a naive RFC 6962 reference for small trees, and
//! property tests over random sizes up to a few thousand.

use credreg_log::{
    check_pair, consistency_proof, inclusion_proof, leaf_hash, node_hash, verify_consistency,
    verify_inclusion, Checkpoint, CheckpointError, Hash, MemoryLog, PairVerdict, EMPTY_ROOT,
};
use ed25519_dalek::SigningKey;
use proptest::prelude::*;

/// MTH straight from RFC 6962 section 2.1, over leaf hashes.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => *blake3::hash(b"").as_bytes(),
        1 => leaves[0],
        n => {
            let k = 1 << (63 - ((n as u64) - 1).leading_zeros());
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

fn entries(n: u64) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("entry {i}").into_bytes()).collect()
}

fn log_of(n: u64) -> (MemoryLog, Vec<Hash>) {
    let mut log = MemoryLog::new();
    let mut leaves = Vec::new();
    for e in entries(n) {
        log.append(&e);
        leaves.push(leaf_hash(&e));
    }
    (log, leaves)
}

#[test]
fn known_answers() {
    // blake3("") and blake3(0x00 || "") computed independently of this crate.
    assert_eq!(
        hex::encode(EMPTY_ROOT),
        "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
    );
    assert_eq!(leaf_hash(b""), *blake3::hash(&[0u8]).as_bytes());
    let mut pair = vec![1u8];
    pair.extend_from_slice(&[7u8; 32]);
    pair.extend_from_slice(&[9u8; 32]);
    assert_eq!(
        node_hash(&[7; 32], &[9; 32]),
        *blake3::hash(&pair).as_bytes()
    );

    // Three entries a, b, c: root = H(H(a, b), c); proofs by hand.
    let (a, b, c) = (leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c"));
    let mut log = MemoryLog::new();
    for e in [b"a", b"b", b"c"] {
        log.append(e);
    }
    let ab = node_hash(&a, &b);
    let root3 = node_hash(&ab, &c);
    assert_eq!(log.root_at(3), Some(root3));
    assert_eq!(log.root_at(2), Some(ab));
    assert_eq!(log.root_at(1), Some(a));
    assert_eq!(log.root_at(0), Some(EMPTY_ROOT));
    assert_eq!(log.root_at(4), None);
    assert_eq!(inclusion_proof(&log, 0, 3).expect("src"), Some(vec![b, c]));
    assert_eq!(inclusion_proof(&log, 2, 3).expect("src"), Some(vec![ab]));
    assert_eq!(inclusion_proof(&log, 3, 3).expect("src"), None);
    assert_eq!(consistency_proof(&log, 2, 3).expect("src"), Some(vec![c]));
    assert_eq!(
        consistency_proof(&log, 1, 3).expect("src"),
        Some(vec![b, c])
    );
    assert_eq!(consistency_proof(&log, 3, 3).expect("src"), Some(vec![]));
    assert_eq!(consistency_proof(&log, 0, 3).expect("src"), None);
    verify_inclusion(&c, 2, 3, &[ab], &root3).expect("c is in");
    verify_consistency(2, 3, &ab, &root3, &[c]).expect("2 -> 3");
}

#[test]
fn every_small_tree_matches_the_reference() {
    let (log, leaves) = log_of(70);
    for n in 1..=70u64 {
        let root = log.root_at(n).expect("root");
        assert_eq!(root, mth(&leaves[..n as usize]), "root of {n}");
        for i in 0..n {
            let p = inclusion_proof(&log, i, n).expect("src").expect("proof");
            verify_inclusion(&leaves[i as usize], i, n, &p, &root).expect("inclusion");
        }
        for m in 1..=n {
            let p = consistency_proof(&log, m, n).expect("src").expect("proof");
            verify_consistency(m, n, &log.root_at(m).expect("root"), &root, &p)
                .expect("consistency");
        }
    }
}

fn flip(h: &mut Hash, byte: usize) {
    h[byte % 32] ^= 1;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn inclusion_proofs_verify_and_tampering_fails(n in 1u64..3000, pick in any::<u64>(), byte in any::<usize>()) {
        let (log, leaves) = log_of(n);
        let i = pick % n;
        let root = log.root_at(n).expect("root");
        let proof = inclusion_proof(&log, i, n).expect("src").expect("proof");
        prop_assert!(verify_inclusion(&leaves[i as usize], i, n, &proof, &root).is_ok());
        // Any flipped byte anywhere fails.
        let mut leaf = leaves[i as usize];
        flip(&mut leaf, byte);
        prop_assert!(verify_inclusion(&leaf, i, n, &proof, &root).is_err());
        let mut bad_root = root;
        flip(&mut bad_root, byte);
        prop_assert!(verify_inclusion(&leaves[i as usize], i, n, &proof, &bad_root).is_err());
        if !proof.is_empty() {
            let mut p = proof.clone();
            let k = byte % p.len();
            flip(&mut p[k], byte);
            prop_assert!(verify_inclusion(&leaves[i as usize], i, n, &p, &root).is_err());
            // Truncated.
            prop_assert!(verify_inclusion(&leaves[i as usize], i, n, &proof[..proof.len() - 1], &root).is_err());
        }
        // Extended.
        let mut longer = proof.clone();
        longer.push(root);
        prop_assert!(verify_inclusion(&leaves[i as usize], i, n, &longer, &root).is_err());
        // Wrong position. (A wrong size alone can pass: in RFC 9162 the size is bound by the
        // root, which commits to it, not by the path's shape.)
        if n > 1 {
            prop_assert!(verify_inclusion(&leaves[i as usize], (i + 1) % n, n, &proof, &root).is_err());
        }
    }

    #[test]
    fn consistency_proofs_verify_and_tampering_fails(n in 2u64..3000, pick in any::<u64>(), byte in any::<usize>()) {
        let (log, _) = log_of(n);
        let m = 1 + pick % (n - 1); // 1 <= m < n
        let (old, new) = (log.root_at(m).expect("old"), log.root_at(n).expect("new"));
        let proof = consistency_proof(&log, m, n).expect("src").expect("proof");
        prop_assert!(verify_consistency(m, n, &old, &new, &proof).is_ok());
        let mut p = proof.clone();
        let k = byte % p.len();
        flip(&mut p[k], byte);
        prop_assert!(verify_consistency(m, n, &old, &new, &p).is_err());
        let mut bad_old = old;
        flip(&mut bad_old, byte);
        prop_assert!(verify_consistency(m, n, &bad_old, &new, &proof).is_err());
        prop_assert!(verify_consistency(m, n, &old, &new, &proof[..proof.len() - 1]).is_err());
        let mut longer = proof.clone();
        longer.push(new);
        prop_assert!(verify_consistency(m, n, &old, &new, &longer).is_err());
    }
}

#[test]
fn checkpoints_sign_verify_and_catch_equivocation() {
    let key = SigningKey::from_bytes(&[5; 32]);
    let issuer = "did:key:z6MkJuab".to_string();
    let (log, _) = log_of(10);
    let cp = |size: u64, root: Hash| Checkpoint {
        issuer: issuer.clone(),
        size,
        root,
        timestamp: 1_795_000_000 + size,
    };
    let c6 = cp(6, log.root_at(6).expect("r")).sign(&key).expect("sign");
    let c10 = cp(10, log.root_at(10).expect("r"))
        .sign(&key)
        .expect("sign");
    c6.verify().expect("valid");
    assert_eq!(
        String::from_utf8(c6.checkpoint.signed_bytes().expect("bytes")).expect("utf8"),
        format!(
            "credreg-checkpoint/v1\ndid:key:z6MkJuab\n6\n{}\n1795000006\n",
            hex::encode(log.root_at(6).expect("r"))
        )
    );
    let mut forged = c6.clone();
    forged.checkpoint.size = 7;
    assert_eq!(forged.verify(), Err(CheckpointError::BadSignature));

    let proof = consistency_proof(&log, 6, 10).expect("src").expect("proof");
    assert_eq!(
        check_pair(&c6, &c10, Some(&proof)),
        Ok(PairVerdict::Consistent)
    );
    assert_eq!(
        check_pair(&c10, &c6, Some(&proof)),
        Ok(PairVerdict::Consistent)
    );
    assert_eq!(
        check_pair(&c6, &c10, None),
        Err(CheckpointError::NeedProof(6, 10))
    );

    // A forked log: same first 5 entries, a different 6th.
    let mut fork = MemoryLog::new();
    for e in entries(5) {
        fork.append(&e);
    }
    fork.append(b"back-dated award");
    let other6 = cp(6, fork.root_at(6).expect("r")).sign(&key).expect("sign");
    match check_pair(&c6, &other6, None) {
        Ok(PairVerdict::Equivocation(e)) => {
            assert!(e.reason.contains("two different roots"), "{}", e.reason)
        }
        other => panic!("expected equivocation, got {other:?}"),
    }
    // The fork's size-6 checkpoint has no valid consistency proof into the real size 10.
    let real_proof = consistency_proof(&log, 6, 10).expect("src").expect("proof");
    assert!(matches!(
        check_pair(&other6, &c10, Some(&real_proof)),
        Ok(PairVerdict::Equivocation(_))
    ));
    // Another issuer's checkpoint is not comparable.
    let mut stranger = cp(6, log.root_at(6).expect("r"));
    stranger.issuer = "did:key:z6MkLake".into();
    let stranger = stranger.sign(&key).expect("sign");
    assert_eq!(
        check_pair(&c6, &stranger, None),
        Err(CheckpointError::DifferentIssuers)
    );
    let mut bad = cp(1, EMPTY_ROOT);
    bad.issuer = "a\nb".into();
    assert_eq!(bad.signed_bytes(), Err(CheckpointError::BadIssuer));
}

#[test]
fn evidence_of_equivocation_is_checkable_without_the_log() {
    use credreg_log::{verify_evidence, EvidenceError};
    let key = SigningKey::from_bytes(&[6; 32]);
    let sign = |log: &MemoryLog, size: u64| {
        Checkpoint {
            issuer: "did:key:z6MkMallory".into(),
            size,
            root: log.root_at(size).expect("root"),
            timestamp: 1_795_000_000,
        }
        .sign(&key)
        .expect("sign")
    };
    let honest = log_of(12).0;
    let mut fork = MemoryLog::new();
    for (i, e) in entries(12).iter().enumerate() {
        fork.append(if i == 3 { b"rewritten" } else { e });
    }
    // Same size, two roots: evident.
    assert!(verify_evidence(&sign(&honest, 12), &sign(&fork, 12), None, &[]).is_ok());
    // Different sizes: the fork's root at 7 and its proof to 12 show 7 is not its prefix.
    let proof = consistency_proof(&fork, 7, 12)
        .expect("nodes")
        .expect("proof");
    let alt = fork.root_at(7).expect("root");
    assert!(verify_evidence(&sign(&honest, 7), &sign(&fork, 12), Some(&alt), &proof).is_ok());
    // Consistent pairs are not evidence, however they are presented.
    let proof = consistency_proof(&honest, 7, 12)
        .expect("nodes")
        .expect("proof");
    let alt = honest.root_at(7).expect("root");
    assert!(matches!(
        verify_evidence(&sign(&honest, 7), &sign(&honest, 12), Some(&alt), &proof),
        Err(EvidenceError::NotConflicting(_))
    ));
    // A made-up alternative root with a proof that does not lead to the signed root.
    let mut made_up = alt;
    flip(&mut made_up, 0);
    assert!(verify_evidence(
        &sign(&honest, 7),
        &sign(&honest, 12),
        Some(&made_up),
        &proof
    )
    .is_err());
    // Different issuers, or a bad signature, are not evidence either.
    let mut other = sign(&fork, 12);
    other.checkpoint.issuer = "did:key:z6MkSomeoneElse".into();
    assert!(verify_evidence(&sign(&honest, 12), &other, None, &[]).is_err());
}
