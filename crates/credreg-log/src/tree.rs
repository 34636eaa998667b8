//! Tree hashing, roots and proof generation over stored perfect subtrees.

/// A blake3 hash.
pub type Hash = [u8; 32];

/// The root of the empty tree: blake3 of nothing (RFC 6962's `MTH({}) = HASH()`).
pub const EMPTY_ROOT: Hash = [
    0xaf, 0x13, 0x49, 0xb9, 0xf5, 0xf9, 0xa1, 0xa6, 0xa0, 0x40, 0x4d, 0xea, 0x36, 0xdc, 0xc9, 0x49,
    0x9b, 0xcb, 0x25, 0xc9, 0xad, 0xc1, 0x12, 0xb7, 0xcc, 0x9a, 0x93, 0xca, 0xe4, 0x1f, 0x32, 0x62,
];

/// `blake3(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(&[0x00]);
    h.update(entry);
    *h.finalize().as_bytes()
}

/// `blake3(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(&[0x01]);
    h.update(left);
    h.update(right);
    *h.finalize().as_bytes()
}

/// Read access to stored perfect subtrees: `node(level, index)` is the root of leaves
/// `index << level .. (index + 1) << level` (level 0 = leaf hashes).
pub trait NodeSource {
    /// Storage error.
    type Error;
    /// The stored node; asking for one that was never stored is an error of the source.
    fn node(&self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// The perfect-subtree nodes that appending leaf `leaf` at position `size` creates:
/// `(level, index, hash)`, level 0 first. `nodes` must hold the tree of `size` leaves.
pub fn appended_nodes<S: NodeSource>(
    nodes: &S,
    size: u64,
    leaf: Hash,
) -> Result<Vec<(u32, u64, Hash)>, S::Error> {
    let mut out = vec![(0, size, leaf)];
    let mut hash = leaf;
    let mut index = size;
    let mut level = 0;
    // While the new node is a right child, it completes its parent.
    while index & 1 == 1 {
        let left = nodes.node(level, index - 1)?;
        hash = node_hash(&left, &hash);
        index >>= 1;
        level += 1;
        out.push((level, index, hash));
    }
    Ok(out)
}

/// Largest power of two strictly below `n` (n >= 2).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// Root of leaves `start .. start + n`, for the ranges the RFC 6962 recursion produces: a
/// perfect aligned range is one stored node, any other splits at the largest power of two.
fn range_root<S: NodeSource>(nodes: &S, start: u64, n: u64) -> Result<Hash, S::Error> {
    if n.is_power_of_two() && start.is_multiple_of(n) {
        return nodes.node(n.trailing_zeros(), start / n);
    }
    let k = split(n);
    let left = range_root(nodes, start, k)?;
    let right = range_root(nodes, start + k, n - k)?;
    Ok(node_hash(&left, &right))
}

/// The root of the first `size` leaves.
pub fn root<S: NodeSource>(nodes: &S, size: u64) -> Result<Hash, S::Error> {
    if size == 0 {
        return Ok(EMPTY_ROOT);
    }
    range_root(nodes, 0, size)
}

/// RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves (leaf to root order).
/// `None` if `index >= size`.
pub fn inclusion_proof<S: NodeSource>(
    nodes: &S,
    index: u64,
    size: u64,
) -> Result<Option<Vec<Hash>>, S::Error> {
    if index >= size {
        return Ok(None);
    }
    let mut proof = Vec::new();
    path(nodes, index, 0, size, &mut proof)?;
    Ok(Some(proof))
}

// PATH(m, D[start..start+n]), appending siblings deepest first.
fn path<S: NodeSource>(
    nodes: &S,
    m: u64,
    start: u64,
    n: u64,
    out: &mut Vec<Hash>,
) -> Result<(), S::Error> {
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path(nodes, m, start, k, out)?;
        out.push(range_root(nodes, start + k, n - k)?);
    } else {
        path(nodes, m - k, start + k, n - k, out)?;
        out.push(range_root(nodes, start, k)?);
    }
    Ok(())
}

/// RFC 9162 consistency proof between sizes `old` and `new`. `None` unless
/// `0 < old <= new`; empty when `old == new`.
pub fn consistency_proof<S: NodeSource>(
    nodes: &S,
    old: u64,
    new: u64,
) -> Result<Option<Vec<Hash>>, S::Error> {
    if old == 0 || old > new {
        return Ok(None);
    }
    let mut proof = Vec::new();
    if old < new {
        subproof(nodes, old, 0, new, true, &mut proof)?;
    }
    Ok(Some(proof))
}

// SUBPROOF(m, D[start..start+n], b).
fn subproof<S: NodeSource>(
    nodes: &S,
    m: u64,
    start: u64,
    n: u64,
    complete: bool,
    out: &mut Vec<Hash>,
) -> Result<(), S::Error> {
    if m == n {
        if !complete {
            out.push(range_root(nodes, start, n)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(nodes, m, start, k, complete, out)?;
        out.push(range_root(nodes, start + k, n - k)?);
    } else {
        subproof(nodes, m - k, start + k, n - k, false, out)?;
        out.push(range_root(nodes, start, k)?);
    }
    Ok(())
}

/// An in-memory log: every perfect subtree, by level.
#[derive(Debug, Clone, Default)]
pub struct MemoryLog {
    levels: Vec<Vec<Hash>>,
}

/// Asked for a node the log does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingNode {
    /// Level.
    pub level: u32,
    /// Index.
    pub index: u64,
}

impl NodeSource for MemoryLog {
    type Error = MissingNode;
    fn node(&self, level: u32, index: u64) -> Result<Hash, MissingNode> {
        self.levels
            .get(level as usize)
            .and_then(|l| l.get(index as usize))
            .copied()
            .ok_or(MissingNode { level, index })
    }
}

impl MemoryLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends an entry; returns its index.
    pub fn append(&mut self, entry: &[u8]) -> u64 {
        self.append_leaf(leaf_hash(entry))
    }

    /// Appends a leaf hash; returns its index.
    pub fn append_leaf(&mut self, leaf: Hash) -> u64 {
        let index = self.size();
        let mut hash = leaf;
        let mut i = index;
        let mut level = 0usize;
        loop {
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(hash);
            if i & 1 == 0 {
                break;
            }
            let left = self.levels[level][(i - 1) as usize];
            hash = node_hash(&left, &hash);
            i >>= 1;
            level += 1;
        }
        index
    }

    /// The root of the first `size` entries (`None` if `size` exceeds the log).
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        if size > self.size() {
            return None;
        }
        root(self, size).ok()
    }
}
