//! Crash soaks of a real `credreg serve`: SIGKILL at moments drawn from a seeded generator
//! during issuance, during review steps and during a replica's catch-up. After each restart
//! every write the client saw acknowledged is there, logs hash to their signed checkpoints,
//! and no checkpoint size is ever signed twice over different entries. The suite runs 4
//! trials of each; `scripts/soak-kill [TRIALS] [SEED]` runs more (`CREDREG_KILL_TRIALS`,
//! `CREDREG_KILL_SEED`).

mod common;

use common::{
    data_dir_with_contexts, invite_and_sign_in, json, log_entries, set_config, CheckpointsSeen,
    Client, Server, Trials, TOKEN,
};
use serde_json::Value;
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

/// The per-client write limit would turn a soak's stream of writes into 429s; the limit has
/// its own tests.
fn without_rate_limits(data: &Path) {
    set_config(data, "writes_per_minute = 600", "writes_per_minute = 0");
    set_config(data, "sign_ins_per_minute = 30", "sign_ins_per_minute = 0");
}

/// Once `wanted` acknowledgements have come on `rx` (each added to `acknowledged`), notes the
/// checkpoint `server` serves for `did` and kills it with SIGKILL while `client` keeps
/// writing; then adds whatever else the client saw acknowledged before the connection died.
fn kill_after_acknowledgements<T>(
    mut server: Server,
    client: std::thread::JoinHandle<()>,
    rx: &Receiver<T>,
    wanted: usize,
    acknowledged: &mut Vec<T>,
    checkpoints: &mut CheckpointsSeen,
    did: &str,
) {
    for _ in 0..wanted {
        let step = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("acknowledgements keep coming");
        acknowledged.push(step);
    }
    checkpoints.look(&server, did);
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reaped");
    client.join().expect("client thread");
    acknowledged.extend(rx.try_iter());
}

/// How many acknowledgements to wait for before the kill in trial `round`: fixed in the
/// suite's 4 trials (so it always reaches the same states), drawn in a longer soak.
fn kill_after(trials: &mut Trials, round: u64, max: u64) -> usize {
    if trials.count == 4 {
        3 + round as usize * 2
    } else {
        trials.draw(max) as usize
    }
}

/// The `logged` check of `award` as `server` verifies it.
fn logged_status(server: &Server, award: &str) -> Value {
    let (_, report) = server.request("POST", "/api/v1/verify", None, award);
    let report = json(&report);
    report["credentials"][0]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == "logged")
        .map(|c| c["status"].clone())
        .expect("logged check")
}

#[test]
fn sigkill_during_issuance_loses_nothing_acknowledged() {
    let Some((_keep, data)) = data_dir_with_contexts() else {
        return;
    };

    let server = Server::start(&data);
    let did = server.did.clone();
    let def = r#"{"name":"Literacy Across Disciplines","description":"Embeds reading strategies in content lessons.","criteria":{"narrative":"Submit a unit plan and student work."}}"#;
    let cred = server.publish(def);
    server.stop();
    without_rate_limits(&data);

    let mut trials = Trials::from_env(4);
    let mut checkpoints = CheckpointsSeen::default();
    let mut expected = 0usize;
    let mut acknowledged: Vec<String> = Vec::new();
    for round in 0..trials.count {
        let server = Server::start(&data);
        checkpoints.look(&server, &did);
        let client = Server::client(server.addr.clone());
        let cred = cred.clone();
        // The client issues until the connection dies, reporting each acknowledged award.
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let client = std::thread::spawn(move || {
            for i in 0.. {
                let body = format!(
                    r#"{{"credential_id":"{cred}","recipient":{{"email":"r{round}t{i}@district.k12.us"}}}}"#
                );
                match client.try_request("POST", "/api/v1/awards", Some(TOKEN), &body) {
                    Some((201, award)) => {
                        // A body cut short by the kill is not an acknowledgement.
                        let Some(id) = serde_json::from_str::<Value>(&award)
                            .ok()
                            .and_then(|v| v["id"].as_str().map(str::to_owned))
                        else {
                            return;
                        };
                        if tx.send(id).is_err() {
                            return;
                        }
                    }
                    _ => return, // the server is gone
                }
            }
        });
        // Kill it after a few acknowledgements of this round (a different number each round),
        // while the client keeps sending.
        let wanted = kill_after(&mut trials, round, 12);
        expected += wanted;
        kill_after_acknowledgements(
            server,
            client,
            &rx,
            wanted,
            &mut acknowledged,
            &mut checkpoints,
            &did,
        );
    }

    let server = Server::start(&data);
    checkpoints.look(&server, &did);
    for id in &acknowledged {
        let (status, award) = server.request("GET", &format!("/api/v1/awards/{id}"), None, "");
        assert_eq!(status, 200, "acknowledged award {id} was lost");
        assert_eq!(logged_status(&server, &award), "pass", "{id}");
    }
    let (entries, size, _) = log_entries(&server, &did);
    checkpoints.all_match(&entries);
    assert!(acknowledged.len() >= expected, "{}", acknowledged.len());
    println!(
        "issuance: {} SIGKILL trials (seed {}), {} acknowledged awards, none lost; {} checkpoints seen, none signed twice; log of {size} entries matches its signed checkpoint",
        trials.count,
        trials.seed,
        acknowledged.len(),
        checkpoints.len()
    );
    server.stop();
}

/// One acknowledged step of the review workflow.
#[derive(Debug)]
enum Step {
    Published(String),
    Started(String),
    ItemAdded(String),
    Submitted(String),
    Scored(String),
    /// An answer no step should get (sent instead of panicking in the client thread).
    Unexpected(String),
}

/// The JSON body of an answer with `status`; `Err(None)` when the server went away (or cut
/// the body short), `Err(Some(..))` for any other answer.
fn answered(reply: Option<(u16, String)>, status: u16) -> Result<Value, Option<String>> {
    match reply {
        None => Err(None),
        Some((got, body)) if got == status => serde_json::from_str(&body).map_err(|_| None),
        Some((got, body)) => Err(Some(format!("{got}: {body}"))),
    }
}

/// The review workflow's writes, cycle after cycle, until the server dies: publish a reviewed
/// credential, start a submission, add a reflection, submit, score (a pass issues the badge).
fn review_cycles(client: Client, teacher: String, reviewer: String, round: u64, tx: Sender<Step>) {
    let run = || -> Result<(), Option<String>> {
        for i in 0.. {
            let def = serde_json::json!({
                "name": format!("Formative Checks {round}.{i}"),
                "description": "Uses quick checks to adjust instruction within a lesson.",
                "criteria": {"narrative": "Submit a reflection on three checks."},
                "rubric": {"criteria": [{"name": "Reflection", "levels": [
                    {"name": "Not yet"}, {"name": "Proficient", "passing": true}]}]},
                "review_policy": {"reviewers": 1}
            });
            let post = |path: &str, token: &str, body: &Value| {
                client.try_request("POST", path, Some(token), &body.to_string())
            };
            let cred = answered(post("/api/v1/credentials", TOKEN, &def), 201)?;
            let cred = cred["id"].as_str().unwrap_or_default().to_owned();
            let _ = tx.send(Step::Published(cred.clone()));
            let body = serde_json::json!({ "credential_id": cred });
            let sub = answered(post("/api/v1/submissions", &teacher, &body), 201)?;
            let sub = sub["id"].as_str().unwrap_or_default().to_owned();
            let _ = tx.send(Step::Started(sub.clone()));
            let item = serde_json::json!({"kind": "reflection", "text": "Exit tickets changed my second period."});
            answered(
                post(&format!("/api/v1/submissions/{sub}/items"), &teacher, &item),
                200,
            )?;
            let _ = tx.send(Step::ItemAdded(sub.clone()));
            answered(
                post(
                    &format!("/api/v1/submissions/{sub}/submit"),
                    &teacher,
                    &Value::Null,
                ),
                200,
            )?;
            let _ = tx.send(Step::Submitted(sub.clone()));
            let queue = answered(
                client.try_request("GET", "/api/v1/reviews", Some(&reviewer), ""),
                200,
            )?;
            let review = queue["reviews"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|r| r["submission_id"] == sub.as_str())
                .and_then(|r| r["review_id"].as_str())
                .ok_or_else(|| Some(format!("no review of {sub} in the queue: {queue}")))?
                .to_owned();
            let scores = serde_json::json!({"scores": [{"level": 1}]});
            answered(
                post(
                    &format!("/api/v1/reviews/{review}/scores"),
                    &reviewer,
                    &scores,
                ),
                200,
            )?;
            let _ = tx.send(Step::Scored(sub));
        }
        Ok(())
    };
    if let Err(Some(unexpected)) = run() {
        let _ = tx.send(Step::Unexpected(unexpected));
    }
}

#[test]
fn sigkill_during_review_steps_loses_nothing_acknowledged() {
    let Some((_keep, data)) = data_dir_with_contexts() else {
        return;
    };
    let server = Server::start_as(&data, TOKEN, "Kettle Moraine School District");
    let did = server.did.clone();
    let mut tokens = Vec::new();
    for (name, email, school, role) in [
        (
            "Maya Lindqvist",
            "maya.lindqvist@kmsd.edu",
            "Kettle Moraine High",
            "teacher",
        ),
        (
            "Tomas Greer",
            "tomas.greer@kmsd.edu",
            "Cushing Elementary",
            "reviewer",
        ),
    ] {
        let body =
            serde_json::json!({"name": name, "email": email, "school": school, "roles": [role]});
        tokens.push(invite_and_sign_in(&server, &body));
    }
    let (teacher, reviewer) = (tokens[0].clone(), tokens[1].clone());
    server.stop();
    without_rate_limits(&data);

    let mut trials = Trials::from_env(4);
    let mut checkpoints = CheckpointsSeen::default();
    let mut acknowledged: Vec<Step> = Vec::new();
    for round in 0..trials.count {
        let server = Server::start_as(&data, TOKEN, "Kettle Moraine School District");
        checkpoints.look(&server, &did);
        let client = Server::client(server.addr.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        let (teacher, reviewer) = (teacher.clone(), reviewer.clone());
        let client =
            std::thread::spawn(move || review_cycles(client, teacher, reviewer, round, tx));
        // Five steps make a cycle: the kill lands at every step across the trials.
        let wanted = kill_after(&mut trials, round, 15);
        kill_after_acknowledgements(
            server,
            client,
            &rx,
            wanted,
            &mut acknowledged,
            &mut checkpoints,
            &did,
        );
    }

    let server = Server::start_as(&data, TOKEN, "Kettle Moraine School District");
    checkpoints.look(&server, &did);
    let submission = |id: &str| {
        let (status, body) = server.request(
            "GET",
            &format!("/api/v1/submissions/{id}"),
            Some(&teacher),
            "",
        );
        assert_eq!(status, 200, "acknowledged submission {id} was lost: {body}");
        json(&body)
    };
    let mut decided = 0;
    for step in &acknowledged {
        match step {
            Step::Unexpected(answer) => panic!("a review step was refused: {answer}"),
            Step::Published(id) => {
                let (status, body) =
                    server.request("GET", &format!("/api/v1/credentials/{id}"), None, "");
                assert_eq!(status, 200, "acknowledged credential {id} was lost: {body}");
            }
            Step::Started(id) => {
                submission(id);
            }
            Step::ItemAdded(id) => {
                let s = submission(id);
                assert_eq!(s["items"].as_array().map(Vec::len), Some(1), "{s}");
            }
            Step::Submitted(id) => {
                let s = submission(id);
                assert!(s["state"] == "submitted" || s["state"] == "decided", "{s}");
            }
            Step::Scored(id) => {
                let s = submission(id);
                assert_eq!(s["state"], "decided", "{s}");
                assert_eq!(s["decision"]["outcome"], "pass", "{s}");
                let award_id = s["decision"]["award_id"].as_str().expect("award");
                let (status, award) =
                    server.request("GET", &format!("/api/v1/awards/{award_id}"), None, "");
                assert_eq!(status, 200, "the badge of {id} was lost");
                assert_eq!(logged_status(&server, &award), "pass", "{id}");
                decided += 1;
            }
        }
    }
    let (entries, size, _) = log_entries(&server, &did);
    checkpoints.all_match(&entries);
    assert!(
        decided > 0 || trials.count < 4,
        "no cycle reached a decision"
    );
    println!(
        "review: {} SIGKILL trials (seed {}), {} acknowledged review steps ({decided} decisions with their badges), none lost; {} checkpoints seen, none signed twice; log of {size} entries matches its signed checkpoint",
        trials.count,
        trials.seed,
        acknowledged.len(),
        checkpoints.len()
    );
    server.stop();
}

/// Between two looks at a replica's progress (a poll with a deadline, not a wait for an
/// outcome): short, so a kill lands mid catch-up, yet leaving the cores to the nodes.
const POLL: Duration = Duration::from_millis(5);

/// The entries of `issuer`'s log that `server` holds, as its issuer list reports them.
fn replica_size(server: &Server, issuer: &str) -> u64 {
    let (status, body) = server.request("GET", "/api/v1/issuers", None, "");
    assert_eq!(status, 200, "{body}");
    json(&body)["issuers"]
        .as_array()
        .expect("issuers")
        .iter()
        .find(|i| i["did"] == issuer)
        .and_then(|i| i["log_size"].as_u64())
        .unwrap_or(0)
}

/// Issues `count` awards of `cred` at `server`.
fn issue(server: &Server, cred: &str, from: usize, count: usize) {
    for i in from..from + count {
        server.award(cred, &format!("t{i}@oasd.k12.wi.us"));
    }
}

/// A replica killed again and again while it catches up with an origin's log: after the last
/// restart it holds exactly the origin's entries, hashing to the origin's checkpoint, and
/// reports no equivocation.
#[test]
fn sigkill_during_replica_catch_up_converges() {
    let Some((_origin_keep, origin_data)) = data_dir_with_contexts() else {
        return;
    };
    let (_replica_keep, replica_data) = data_dir_with_contexts().expect("contexts");
    // A backlog of more than the page (1,024 entries) or so each trial lets the replica
    // store, issued offline by the CSV import, so that every kill can land between two stored
    // pages.
    let mut trials = Trials::from_env(4);
    let backlog = trials.count as usize * if trials.count == 4 { 1_100 } else { 1_600 };
    let origin = Server::start_as(&origin_data, TOKEN, "Oconomowoc Area School District");
    let origin_did = origin.did.clone();
    let def = r#"{"name":"Questioning for Discussion","description":"Plans open questions that start student talk.","criteria":{"narrative":"Submit five planned questions and a reflection."}}"#;
    let cred = origin.publish(def);
    origin.stop();
    let csv = origin_data.parent().expect("parent").join("backlog.csv");
    let rows: String = (0..backlog)
        .map(|i| format!("t{i}@oasd.k12.wi.us\n"))
        .collect();
    std::fs::write(&csv, format!("email\n{rows}")).expect("csv");
    let out = common::credreg(&origin_data)
        .args(["awards", "import"])
        .arg(&csv)
        .args(["--credential", &cred])
        .output()
        .expect("import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    without_rate_limits(&origin_data);
    let federated = ["--federation", "wi-cesa1", "--p2p", "/ip4/127.0.0.1/tcp/0"];
    let origin = Server::start_with(
        &origin_data,
        TOKEN,
        "Oconomowoc Area School District",
        &federated,
    );
    assert_eq!(origin.did, origin_did);
    let mut issued = backlog;

    Server::start_as(&replica_data, TOKEN, "Kettle Moraine School District").stop();
    set_config(
        &replica_data,
        "allow = []",
        &format!("allow = [\"{}\"]", origin.did),
    );
    let (_, node) = origin.request("GET", "/api/v1/node", None, "");
    let p2p = json(&node)["p2p_addresses"][0]
        .as_str()
        .expect("p2p address")
        .to_owned();
    let mut with_origin = federated.to_vec();
    with_origin.extend(["--bootstrap", p2p.as_str()]);

    let mut kills_mid_catch_up = 0;
    for _ in 0..trials.count {
        let target = {
            let (_, cp) = origin.request(
                "GET",
                &format!("/api/v1/log/{}/checkpoint", origin.did),
                None,
                "",
            );
            json(&cp)["size"].as_u64().expect("size")
        };
        let mut replica = Server::start_with(
            &replica_data,
            TOKEN,
            "Kettle Moraine School District",
            &with_origin,
        );
        let start = replica_size(&replica, &origin.did);
        // Kill once the replica has stored a few entries more than it held (the first page in
        // the suite; up to about a page and a half, drawn, in a soak), polled.
        let more = if trials.count == 4 {
            1
        } else {
            trials.draw(1_500)
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        let goal = (start + more).min(target);
        let mut held = start;
        while held < goal {
            assert!(
                Instant::now() < deadline,
                "the replica stalled at {held} of {target}"
            );
            std::thread::sleep(POLL);
            held = replica_size(&replica, &origin.did);
        }
        replica.child.kill().expect("SIGKILL");
        replica.child.wait().expect("reaped");
        if held < target {
            kills_mid_catch_up += 1;
        }
        // The origin keeps issuing while the replica is down.
        issue(&origin, &cred, issued, 40);
        issued += 40;
    }
    // A soak whose kills all came after the catch-up finished would test restarts, not
    // catch-up (as an earlier version of this test did for most of a long run).
    assert!(
        kills_mid_catch_up * 2 >= trials.count,
        "only {kills_mid_catch_up} of {} kills landed mid catch-up",
        trials.count
    );

    let replica = Server::start_with(
        &replica_data,
        TOKEN,
        "Kettle Moraine School District",
        &with_origin,
    );
    let (origin_entries, size, root) = log_entries(&origin, &origin.did);
    let deadline = Instant::now() + Duration::from_secs(60);
    while replica_size(&replica, &origin.did) < size {
        assert!(Instant::now() < deadline, "the replica never caught up");
        std::thread::sleep(POLL);
    }
    let (replica_entries, replica_checkpoint, replica_root) = log_entries(&replica, &origin.did);
    assert_eq!(
        replica_checkpoint, size,
        "the replica holds the origin's newest checkpoint"
    );
    assert_eq!(replica_root, root);
    assert!(
        replica_entries == origin_entries,
        "the replica's entries differ from the origin's"
    );
    let mut seen = CheckpointsSeen::default();
    seen.look(&replica, &origin.did);
    seen.all_match(&origin_entries);
    let (_, issuers) = replica.request("GET", "/api/v1/issuers", None, "");
    let issuers = json(&issuers);
    let view = issuers["issuers"]
        .as_array()
        .expect("issuers")
        .iter()
        .find(|i| i["did"] == origin.did.as_str())
        .expect("the origin is known");
    assert_eq!(view["equivocations"], serde_json::json!([]), "{view}");
    println!(
        "catch-up: {} SIGKILL trials (seed {}), {kills_mid_catch_up} of them mid catch-up; the replica converged on all {size} entries ({issued} awards), root {root}",
        trials.count, trials.seed
    );
    replica.stop();
    origin.stop();
}
