//! Several federated nodes in one process, over real libp2p TCP on loopback.

use crate::TestNode;
use credreg_federation::{Federation, FederationConfig};
use credreg_net::{Address, NetConfig, NodeKey};
use credreg_node::{FederationSettings, Node, NodeSettings};
use credreg_proof::{ContextStore, SigningKey};
use credreg_store::Store;
use serde_json::Value;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The federation every test node joins.
pub const FEDERATION: &str = "wi-test";

/// The issuer DID of the node with key seed `seed`.
pub fn did_of(seed: u8) -> String {
    credreg_proof::keys::did_key(&SigningKey::from_bytes(&[seed; 32]).verifying_key())
}

/// A federated node: the node, its router and its running federation.
pub struct FedNode {
    /// HTTP side (router, tokens).
    pub http: TestNode,
    /// The network side.
    pub fed: Federation,
    /// Key seed.
    pub seed: u8,
    /// Its data directory (kept across restarts).
    pub path: PathBuf,
}

/// How to start a node.
#[derive(Clone)]
pub struct Spec {
    /// Display name.
    pub name: String,
    /// Key seed (also derives the transport key).
    pub seed: u8,
    /// `state` or `district`.
    pub kind: String,
    /// Trust anchors.
    pub anchors: Vec<String>,
    /// Peers to dial.
    pub bootstrap: Vec<Address>,
    /// Contexts (the OB context is needed to issue awards).
    pub contexts: ContextStore,
}

impl Spec {
    /// A district of the test federation anchored on `anchor`.
    pub fn district(name: &str, seed: u8, anchor: &str, contexts: &ContextStore) -> Self {
        Self {
            name: name.into(),
            seed,
            kind: "district".into(),
            anchors: vec![anchor.to_owned()],
            bootstrap: Vec::new(),
            contexts: contexts.clone(),
        }
    }

    /// The state node (its own anchor).
    pub fn state(name: &str, seed: u8, contexts: &ContextStore) -> Self {
        Self {
            kind: "state".into(),
            ..Self::district(name, seed, &did_of(seed), contexts)
        }
    }

    /// Dials these peers at start.
    pub fn bootstrap(mut self, peers: Vec<Address>) -> Self {
        self.bootstrap = peers;
        self
    }
}

/// The network settings a test node uses: loopback, an ephemeral port, quick timers.
pub fn test_net_config(seed: u8, bootstrap: Vec<Address>) -> NetConfig {
    let mut net = NetConfig::new(NodeKey::from_seed([seed.wrapping_add(100); 32]), FEDERATION);
    net.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().expect("multiaddr")];
    net.bootstrap = bootstrap;
    net.redial_every = Duration::from_millis(300);
    net.heartbeat = Duration::from_millis(200);
    // A stalling peer is given up on quickly (the default is 30 s).
    net.sync_timeout = Duration::from_secs(2);
    net
}

impl FedNode {
    /// Opens (or reopens) the node in `path` and joins the federation.
    pub async fn start(spec: Spec, path: &Path) -> Self {
        std::fs::create_dir_all(path).expect("data dir");
        let store = Store::open(&path.join("db")).expect("store opens");
        let node = Arc::new(
            Node::open(
                store,
                SigningKey::from_bytes(&[spec.seed; 32]),
                NodeSettings {
                    credit_unchecked_status: false,
                    name: spec.name.clone(),
                    public_url: format!("http://node-{}.test", spec.seed),
                    kind: spec.kind.clone(),
                    federation: FederationSettings {
                        name: FEDERATION.into(),
                        anchors: spec.anchors.clone(),
                        allow: Vec::new(),
                        deny: Vec::new(),
                    },
                    peer_id: Some(
                        test_net_config(spec.seed, Vec::new())
                            .key
                            .peer_id()
                            .to_string(),
                    ),
                    env: Default::default(),
                },
                spec.contexts.clone(),
            )
            .expect("node opens"),
        );
        let fed = Federation::start(
            node.clone(),
            FederationConfig {
                net: test_net_config(spec.seed, spec.bootstrap.clone()),
                anti_entropy_every: Duration::from_millis(500),
            },
        )
        .await
        .expect("federation starts");
        Self {
            http: TestNode::from_parts(node, Some(fed.clone()), None),
            fed,
            seed: spec.seed,
            path: path.to_owned(),
        }
    }

    /// The node.
    pub fn node(&self) -> &Arc<Node> {
        &self.http.node
    }

    /// Its issuer DID.
    pub fn did(&self) -> String {
        self.node().did().to_owned()
    }

    /// Its libp2p address (with `/p2p/<peer id>`).
    pub async fn addr(&self) -> Address {
        self.fed
            .listen_addrs()
            .await
            .into_iter()
            .next()
            .expect("listening")
    }

    /// Stops the network and closes the database (waits until every task let go of it).
    pub async fn stop(self) -> PathBuf {
        self.fed.shutdown().await;
        let node = self.http.node.clone();
        drop(self.http);
        drop(self.fed);
        eventually(
            "the node's tasks release it",
            Duration::from_secs(20),
            || {
                let n = Arc::strong_count(&node);
                async move { n == 1 }
            },
        )
        .await;
        node.store().flush().expect("flush");
        drop(node);
        self.path
    }

    /// Entries this node holds of `issuer`'s log.
    pub fn log_size(&self, issuer: &str) -> u64 {
        self.node().store().log_size(issuer).expect("log size")
    }

    /// Federated search (names of hits).
    pub async fn federated_names(&self, q: &str) -> Vec<String> {
        let r = self
            .http
            .get(&format!(
                "/api/v1/credentials?scope=federation&limit=200&q={}",
                q.replace(' ', "%20")
            ))
            .await
            .json();
        r["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["name"].as_str().expect("name").to_owned())
            .collect()
    }

    /// The `/api/v1/issuers` entry for `did`.
    pub async fn issuer(&self, did: &str) -> Value {
        let r = self.http.get("/api/v1/issuers").await.json();
        r["issuers"]
            .as_array()
            .expect("issuers")
            .iter()
            .find(|i| i["did"] == did)
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// Blocks (or unblocks) every node of `others` on this node.
    pub async fn set_blocked(&self, others: &[&FedNode], blocked: bool) {
        for o in others {
            self.fed
                .net()
                .set_blocked(o.fed.peer_id(), blocked)
                .expect("net runs");
        }
    }
}

/// Polls `check` every 25 ms until it holds; panics after `timeout` naming `what`.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A state anchor (`state`: name, seed) and districts (name, seed) started in `dir` (the
/// state in `state/`, each district in `d<seed>/`). Every node dials every node started
/// before it, so the mesh does not depend on discovery timing; the anchor vouches for every
/// district (whether they already trust each other is the caller's to wait for).
pub async fn start_federation(
    dir: &Path,
    contexts: &ContextStore,
    state: (&str, u8),
    districts: &[(&str, u8)],
) -> (FedNode, Vec<FedNode>) {
    let state = FedNode::start(Spec::state(state.0, state.1, contexts), &dir.join("state")).await;
    let anchor = state.did();
    let mut boot = vec![state.addr().await];
    let mut started = Vec::new();
    for &(name, seed) in districts {
        let node = FedNode::start(
            Spec::district(name, seed, &anchor, contexts).bootstrap(boot.clone()),
            &dir.join(format!("d{seed}")),
        )
        .await;
        boot.push(node.addr().await);
        started.push(node);
    }
    let members: Vec<String> = started.iter().map(FedNode::did).collect();
    vouch(&state, &members).await;
    (state, started)
}

/// The test's anchor publishes memberships for `members`.
pub async fn vouch(state: &FedNode, members: &[String]) {
    for m in members {
        let r = state
            .http
            .post_admin(
                "/api/v1/memberships",
                &serde_json::json!({"member": m, "role": "district"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    }
}

/// Numbered sample definitions (`prefix 0`, `prefix 1`, ...), as an issuer's catalog load.
pub fn numbered_definitions(prefix: &str, n: usize) -> Vec<credreg_model::CredentialDef> {
    (0..n)
        .map(|i| {
            let mut d = credreg_model::CredentialDef::new(
                format!("{prefix} {i}"),
                "Plans and leads a classroom discussion with structured questioning.",
                "Submit a lesson plan, a classroom video and a reflection.",
            );
            d.competency = Some("Questioning and discussion".into());
            d
        })
        .collect()
}

/// How long a federation test waits for a condition before it fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A state anchor and three districts; the state vouches for the districts and every node
/// trusts every district.
pub async fn four_node_federation(
    dir: &std::path::Path,
    ctx: &credreg_proof::ContextStore,
) -> (FedNode, Vec<FedNode>) {
    let (state, districts) = start_federation(
        dir,
        ctx,
        ("Wisconsin Department of Public Instruction", 10),
        &[
            ("Kettle Moraine School District", 11),
            ("Juab School District", 12),
            ("Lake County Schools", 13),
        ],
    )
    .await;
    let members: Vec<String> = districts.iter().map(FedNode::did).collect();
    all_trust(&state, &districts, &members).await;
    (state, districts)
}

pub async fn all_trust(state: &FedNode, districts: &[FedNode], members: &[String]) {
    for n in std::iter::once(state).chain(districts) {
        for m in members {
            if *m == n.did() {
                continue;
            }
            eventually(&format!("node {} trusts {m}", n.seed), PATIENCE, || async {
                n.issuer(m).await["trust"]["status"] == "member"
            })
            .await;
        }
    }
}

/// The whole federation holds every log in full (as each origin has it) and every catalog.
pub async fn converged(nodes: &[&FedNode], what: &str) {
    for origin in nodes {
        let did = origin.did();
        let size = origin.log_size(&did);
        for n in nodes {
            eventually(
                &format!(
                    "{what}: node {} holds {size} entries of node {}",
                    n.seed, origin.seed
                ),
                PATIENCE,
                || async { n.log_size(&did) == size },
            )
            .await;
        }
    }
}

/// A raw libp2p participant that speaks credreg's protocols but is not a credreg node: it
/// publishes whatever bytes a test gives it and serves nothing.
pub struct Rogue {
    /// Its network handle.
    pub net: credreg_net::NetClient,
    _events: tokio::sync::mpsc::Receiver<credreg_net::NetEvent>,
}

struct ServesNothing;

impl credreg_net::SyncService for ServesNothing {
    fn serve(
        &self,
        _: credreg_net::PeerId,
        _: credreg_net::SyncRequest,
    ) -> credreg_net::SyncResponse {
        credreg_net::SyncResponse::Error("not telling".into())
    }
}

impl Rogue {
    /// Joins the federation through `peer`.
    pub async fn join(seed: u8, peer: &FedNode) -> Self {
        Self::join_serving(seed, peer, std::sync::Arc::new(ServesNothing)).await
    }

    /// Joins through `peer`, answering sync requests with `service`.
    pub async fn join_serving(
        seed: u8,
        peer: &FedNode,
        service: std::sync::Arc<dyn credreg_net::SyncService>,
    ) -> Self {
        let (net, events) =
            credreg_net::start(test_net_config(seed, vec![peer.addr().await]), service)
                .await
                .expect("rogue starts");
        Self {
            net,
            _events: events,
        }
    }

    /// Publishes on the records topic, retrying while the receiver has not yet seen its
    /// subscription (gossipsub reports no peers for the topic until then).
    pub async fn publish(&self, data: Vec<u8>) {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            match self
                .net
                .publish(credreg_net::Topic::Records, data.clone())
                .await
            {
                Ok(()) => return,
                Err(e) => {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "rogue could not publish: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
            }
        }
    }
}

/// How `node` sees `rogue` (its `/api/v1/peers` entry): (blocked, connected, offences);
/// all false and 0 while it does not know the peer.
pub async fn seen_as(node: &FedNode, rogue: &Rogue) -> (bool, bool, u64) {
    let id = rogue.net.peer_id().to_string();
    let peers = node.http.get("/api/v1/peers").await.json();
    peers["peers"]
        .as_array()
        .expect("peers")
        .iter()
        .find(|p| p["peer_id"] == id.as_str())
        .map(|p| {
            (
                p["blocked"] == true,
                p["connected"] == true,
                p["offences"].as_u64().unwrap_or(0),
            )
        })
        .unwrap_or((false, false, 0))
}

/// This process's resident memory in KiB (Linux), for a hostile peer's memory bound.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU seconds this process has used, user and system (Linux `/proc/self/stat`, in clock
/// ticks of 1/100 s, the value on every Linux target), for a hostile peer's CPU bound.
pub fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces, so split after its ')').
            let rest = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0)
}

/// How many gossip messages `node` refused for `reason` (its `/metrics` counter).
pub async fn refused(node: &FedNode, reason: &str) -> u64 {
    let text = String::from_utf8(node.http.get("/metrics").await.body).expect("utf-8");
    text.lines()
        .find(|l| {
            l.starts_with(&format!(
                "credreg_federation_refused{{reason=\"{reason}\"}}"
            ))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
