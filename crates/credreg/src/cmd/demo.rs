//! `credreg demo`: a small federation on loopback in one process. A consortium anchor and
//! three districts modelled on published programs (see `../shared/domain.md`), each with its
//! own data directory, HTTP API and libp2p node; memberships, catalogs and stacks, a few
//! awards and a revocation; then the URLs and curl lines worth trying.

use anyhow::{Context as _, Result};
use credreg_api::AppState;
use credreg_federation::{Federation, FederationConfig};
use credreg_model::{parse_validated, CredentialDef, Membership, Recipient, Stack, StackRule};
use credreg_node::{
    contexts_dir, register_token, AwardRequest, FederationSettings, Home, Node, NodeSettings, Role,
};
use credreg_store::Store;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const FEDERATION: &str = "demo-consortium";

struct DemoNode {
    name: &'static str,
    node: Arc<Node>,
    url: String,
    token: String,
    federation: Federation,
}

struct Plan {
    name: &'static str,
    kind: &'static str,
    seed: u8,
}

const PLANS: [Plan; 4] = [
    Plan {
        name: "Tri-State Micro-credential Consortium",
        kind: "consortium",
        seed: 1,
    },
    Plan {
        name: "Kettle Moraine School District",
        kind: "district",
        seed: 2,
    },
    Plan {
        name: "Juab School District",
        kind: "district",
        seed: 3,
    },
    Plan {
        name: "Lake County Schools",
        kind: "district",
        seed: 4,
    },
];

/// Runs the demo until Ctrl-C. `contexts` adds a directory of JSON-LD contexts (the Open
/// Badges one is needed to issue awards).
pub fn run(dir: &Path, contexts: Option<&Path>) -> Result<()> {
    crate::init_tracing("warn");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let mut store = credreg_proof::ContextStore::with_builtins();
        if let Some(c) = contexts {
            contexts_dir::add_from_dir(&mut store, c)
                .with_context(|| format!("loading contexts from {}", c.display()))?;
        }
        let anchor_key = Home::new(dir.join("consortium")).ensure_key()?.0;
        let anchor = credreg_proof::keys::did_key(&anchor_key.verifying_key());
        let mut nodes: Vec<DemoNode> = Vec::new();
        for plan in &PLANS {
            let bootstrap = match nodes.first() {
                Some(first) => first.federation.listen_addrs().await,
                None => Vec::new(),
            };
            let node = start(dir, plan, &anchor, bootstrap, &store).await?;
            nodes.push(node);
        }
        let [state, km, juab, lake] = &nodes[..] else {
            anyhow::bail!("demo nodes missing");
        };
        for d in [km, juab, lake] {
            state.node.publish_membership(Membership {
                member: d.node.did().to_owned(),
                federation: FEDERATION.into(),
                role: "district".into(),
                valid_from: credreg_node::now_rfc3339(),
                valid_until: None,
            })?;
        }
        let km_ids = catalog(&km.node, KETTLE_MORAINE)?;
        let juab_ids = catalog(&juab.node, JUAB)?;
        let lake_ids = catalog(&lake.node, LAKE_COUNTY)?;
        let core_four = stack(&juab.node, "Juab Core Four", "Student voice and choice, technology, growth mindset and data-driven instruction: Juab's teacher-leader focus areas.", &juab_ids, 3)?;
        stack(&lake.node, "Elements of Personalized Learning", "Lake County's personalized-learning area: four micro-credentials after the prerequisite badge.", &lake_ids[1..], 3)?;

        let mut award_line = None;
        let mut bundled = None;
        if juab.node.missing_contexts().is_empty() {
            let teacher = Recipient {
                email: "ana.ruiz@example.org".into(),
                name: Some("Ana Ruiz".into()),
            };
            let request = |id: &String| AwardRequest {
                credential_id: id.clone(),
                recipient: teacher.clone(),
                evidence: vec![],
                review: Some(credreg_model::ReviewSummary { reviewers: 2, agreed: true, attempts: 1, declared: true }),
                reviewed: Default::default(),
            };
            let awards = juab
                .node
                .issue_awards(&juab_ids.iter().map(request).collect::<Vec<_>>())?;
            km.node.issue_awards(&[request(&km_ids[0])])?;
            lake.node.issue_awards(&[request(&lake_ids[0])])?;
            juab.node.revoke(
                &awards[2].id,
                "Evidence was submitted for another teacher's class.",
            )?;
            let file = dir.join("ana-ruiz-juab-badges.json");
            let badges: Vec<serde_json::Value> = awards
                .iter()
                .map(|a| serde_json::from_slice(&a.bytes))
                .collect::<Result<_, _>>()?;
            std::fs::write(&file, serde_json::to_vec_pretty(&json!({"credentials": badges, "email": teacher.email}))?)?;
            bundled = Some(awards[0].id.clone());
            award_line = Some(file);
        }

        // Quality and value: the consortium's standard, an endorsement, and two districts'
        // recognition rules (Kettle Moraine pays, Lake County grants in-service hours).
        let standard = state.node.publish_quality_standard(serde_json::from_value(json!({
            "name": "Consortium quality standard",
            "rules": [{"rule": "cites_research", "min": 1}, {"rule": "requires_evidence", "kind": "artifact"},
                      {"rule": "requires_evidence", "kind": "reflection"}, {"rule": "rubric_criteria", "min": 2},
                      {"rule": "reviewers", "min": 2, "tiebreak": true}]
        }))?)?;
        wait_until_replicated(&nodes).await;
        km.node.endorse(&juab_ids[2], Some(standard.id.clone()), "Reviewed by Kettle Moraine's micro-credential committee; adopted for base-pay credit.")?;
        let from = "2026-01-01T00:00:00Z";
        for rule in [
            json!({"name": "Consortium credentials meeting the standard", "applies_to": {"kind": "federation", "federation": FEDERATION, "standard": standard.id},
                   "credit": {"kind": "amount", "amount": 200, "unit": "dollars"}, "cap": {"max": 1200, "per": "year"}, "valid_from": from}),
            json!({"name": "Juab's data-driven instruction counts as our literacy credential", "applies_to": {"kind": "credential", "id": juab_ids[3]},
                   "credit": {"kind": "equivalent", "credential": km_ids[2]}, "valid_from": from}),
            json!({"name": "Juab Core Four", "applies_to": {"kind": "stack", "id": core_four},
                   "credit": {"kind": "amount", "amount": 600, "unit": "dollars"}, "valid_from": from}),
        ] {
            km.node.publish_recognition(parse_validated(rule.to_string().as_bytes())?)?;
        }
        lake.node.publish_recognition(parse_validated(json!({"name": "In-service hours for consortium credentials",
            "applies_to": {"kind": "federation", "federation": FEDERATION},
            "credit": {"kind": "amount", "amount": 4, "unit": "in_service_hours"}, "valid_from": from}).to_string().as_bytes())?)?;
        wait_until_replicated(&nodes).await;
        // The offline bundle carries the consortium's membership record for Juab, which Juab
        // holds once replicated.
        if let Some(id) = bundled {
            let bundle = juab
                .node
                .award_bundle(&id)?
                .context("the bundle of an award just issued")?;
            std::fs::write(dir.join("ana-ruiz-bundle.json"), serde_json::to_vec_pretty(&bundle)?)?;
        }

        let sign_in = people(&km.node, &km_ids, &km.url, state, &state.url)?;

        println!("\ncredreg demo: a federation `{FEDERATION}` of four nodes on loopback\n");
        for n in &nodes {
            println!("  {:<40} {}   admin token {}", n.name, n.url, n.token);
        }
        println!("\nIn a browser (each sign-in link works once, for 15 minutes; the sign-in page mails");
        println!("new codes to the outbox, GET /api/v1/outbox with the admin token):");
        for n in &nodes {
            println!("  {:<40} {}/", n.name, n.url);
        }
        for (who, link) in &sign_in {
            println!("  {who:<40} {link}");
        }
        println!("\nThings to try:");
        println!("  # Every district's catalog, searched at Lake County (who published each, who vouches):");
        println!("  curl -s '{}/api/v1/credentials?scope=federation&q=growth' | jq", lake.url);
        println!("  # Issuers Lake County knows, their trust and the anchor that vouches for them:");
        println!("  curl -s {}/api/v1/issuers | jq", lake.url);
        println!("  # Peers, what they replicate and when they last synced:");
        println!("  curl -s {}/api/v1/peers | jq", km.url);
        match &award_line {
            Some(file) => {
                println!("  # Ana Ruiz's Juab badges verified at Kettle Moraine, with no call to Juab (one is revoked):");
                println!("  curl -s {}/api/v1/verify -H 'content-type: application/json' --data @{} | jq '.credentials[] | {{name, verdict, issuer, reason}}'", km.url, file.display());
            }
            None => println!("  # (no awards: run with --contexts DIR holding the Open Badges 3.0 context to issue some)"),
        }
        if let Some(file) = &award_line {
            println!("  # What Ana's Juab badges are worth at Kettle Moraine (pay, equivalences, the Core Four stack), and why not for the revoked one:");
            println!("  curl -s {}/api/v1/transfer-reports -H 'content-type: application/json' --data @{} | jq '{{totals, stacks, badges: [.badges[] | {{name, outcome, note, credit}}]}}'", km.url, file.display());
            println!("  # The same as a printable page, and as Lake County would value them (asked at Juab, from Lake County's replicated rules):");
            println!("  curl -s {}/api/v1/transfer-reports -H 'accept: text/html' -H 'content-type: application/json' --data @{} > report.html", km.url, file.display());
            println!("  curl -s '{}/api/v1/transfer-reports?district={}' -H 'content-type: application/json' --data @{} | jq .totals", juab.url, lake.node.did(), file.display());
            println!("  credreg transfer-report --node {} --email ana.ruiz@example.org {}", km.url, file.display());
            println!("  # Verify a badge with no network at all, from its offline bundle (trusting the consortium):");
            println!("  credreg verify --offline --trust-anchor {} {}", state.node.did(), dir.join("ana-ruiz-bundle.json").display());
        }
        println!("  # Recognition rules published by every district (what transfers where):");
        println!("  curl -s {}/api/v1/recognitions | jq '.recognitions[] | {{issuer, name, applies_to, credit}}'", lake.url);
        println!("  # Federated search by quality: credentials meeting the consortium standard, most awarded first:");
        println!("  curl -s '{}/api/v1/credentials?scope=federation&meets={}&sort=awards' | jq '.items[] | {{name, issuer, quality}}'", lake.url, standard.id);
        println!("  # One credential's quality profile (standards, endorsements, recognizing districts, awards):");
        println!("  curl -s {}/api/v1/credentials/{} | jq .quality", lake.url, juab_ids[2]);
        println!("  # Juab's signed log checkpoint, as replicated at the consortium:");
        println!("  curl -s {}/api/v1/log/{}/checkpoint | jq", state.url, juab.node.did());
        println!("  # Publish a definition at Juab and watch it appear at Lake County:");
        println!("  curl -s {}/api/v1/credentials -H 'authorization: Bearer {}' -H 'content-type: application/json' \\\n      -d '{{\"name\":\"Design Thinking\",\"description\":\"Leads students through a design cycle.\",\"criteria\":{{\"narrative\":\"Submit a unit plan, student prototypes and a reflection.\"}}}}'", juab.url, juab.token);
        println!("  # Vouch for a new member at the consortium (admin):");
        println!("  curl -s {}/api/v1/memberships -H 'authorization: Bearer {}' -H 'content-type: application/json' -d '{{\"member\":\"did:key:z6Mk...\",\"role\":\"district\"}}'", state.url, state.token);
        println!("\nData in {}. Ctrl-C stops the demo.", dir.display());
        tokio::signal::ctrl_c().await?;
        for n in &nodes {
            n.federation.shutdown().await;
            n.node.store().flush()?;
        }
        Ok(())
    })
}

async fn start(
    dir: &Path,
    plan: &Plan,
    anchor: &str,
    bootstrap: Vec<credreg_net::Address>,
    contexts: &credreg_proof::ContextStore,
) -> Result<DemoNode> {
    let home = Home::new(dir.join(match plan.seed {
        1 => "consortium".to_owned(),
        n => format!("district-{n}"),
    }));
    let (key, _) = home.ensure_key()?;
    let transport = credreg_net::NodeKey::from_seed(home.ensure_transport_seed()?);
    let store = Store::open(&home.db_dir()).with_context(|| {
        format!(
            "opening {} (is another demo running?)",
            home.db_dir().display()
        )
    })?;
    let token = format!("demo-admin-token-{}", plan.seed);
    register_token(&store, &token, Role::Admin)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let node = Arc::new(Node::open(
        store,
        key,
        NodeSettings {
            credit_unchecked_status: false,
            name: plan.name.into(),
            public_url: url.clone(),
            kind: plan.kind.into(),
            federation: FederationSettings {
                name: FEDERATION.into(),
                anchors: vec![anchor.to_owned()],
                ..Default::default()
            },
            peer_id: Some(transport.peer_id().to_string()),
            env: Default::default(),
        },
        contexts.clone(),
    )?);
    let mut net = credreg_net::NetConfig::new(transport, FEDERATION);
    net.listen = vec!["/ip4/127.0.0.1/tcp/0".parse()?];
    net.bootstrap = bootstrap;
    net.redial_every = Duration::from_secs(2);
    let federation = Federation::start(
        node.clone(),
        FederationConfig {
            net,
            anti_entropy_every: Duration::from_secs(2),
        },
    )
    .await?;
    let mut state = AppState::new(node.clone());
    state.federation = Some(Arc::new(federation.clone()));
    let evidence = credreg_node::review::files::EvidenceFiles::new(
        home.root().join("evidence"),
        credreg_api::DEFAULT_UPLOAD_LIMIT,
    );
    state.evidence = Some(evidence.clone());
    let web_federation = state.federation.clone();
    let app = credreg_api::router(state).merge(credreg_web::router(
        node.clone(),
        credreg_web::Options {
            evidence: Some(evidence),
            federation: web_federation,
            fetcher: None,
        },
    ));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("demo HTTP server stopped: {e}");
        }
    });
    Ok(DemoNode {
        name: plan.name,
        node,
        url,
        token,
        federation,
    })
}

/// (name, competency, key method, research, value amount, unit)
type Entry = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    &'static str,
);

const KETTLE_MORAINE: &[Entry] = &[
    ("Wait Time After Discussion Questions", "Questioning and discussion", "Pause three to five seconds after a question and again after a student's answer.", "Rowe, M. B. (1986). Wait time: Slowing down may be a way of speeding up! Journal of Teacher Education, 37(1), 43-50.", 200.0, "dollars"),
    ("Eliciting Thinking with Open-Ended Questions", "Questioning and discussion", "Ask questions with many defensible answers and follow up on student reasoning.", "Walsh, J. A., & Sattes, B. D. (2011). Thinking through quality questioning. Corwin.", 400.0, "dollars"),
    ("Literacy Across Disciplines", "Disciplinary literacy", "Teach the reading and writing moves of your own subject explicitly.", "Shanahan, T., & Shanahan, C. (2008). Teaching disciplinary literacy to adolescents. Harvard Educational Review, 78(1), 40-59.", 600.0, "dollars"),
];

const JUAB: &[Entry] = &[
    ("Student Voice and Choice", "Student agency", "Give students structured choices in what and how they learn, and act on their feedback.", "Toshalis, E., & Nakkula, M. J. (2012). Motivation, engagement, and student voice. Jobs for the Future.", 200.0, "dollars"),
    ("Technology in the Classroom", "Instructional technology", "Use a digital tool where it changes what students can do, not only how they do it.", "Puentedura, R. (2006). Transformation, technology, and education (SAMR).", 200.0, "dollars"),
    ("Fostering a Growth Mindset", "Growth mindset", "Praise strategy and effort, and teach that ability grows with practice.", "Dweck, C. S. (2006). Mindset: The new psychology of success. Random House.", 200.0, "dollars"),
    ("Data-Driven Instruction", "Assessment", "Plan the next lesson from the evidence in the last assessment.", "Bambrick-Santoyo, P. (2010). Driven by data. Jossey-Bass.", 200.0, "dollars"),
];

const LAKE_COUNTY: &[Entry] = &[
    ("Personalized Learning Foundations", "Personalized learning", "The prerequisite badge: learner profiles, goal setting and flexible pacing.", "Pane, J. F., et al. (2015). Continued progress: Promising evidence on personalized learning. RAND.", 4.0, "in_service_hours"),
    ("Learner Profiles", "Personalized learning", "Build and use a profile of each learner's strengths, needs and interests.", "Pane, J. F., et al. (2017). Informing progress: Insights on personalized learning implementation. RAND.", 4.0, "in_service_hours"),
    ("Flexible Pacing", "Personalized learning", "Let students move on when they show mastery.", "Sturgis, C. (2016). Reaching the tipping point: Insights on advancing competency education. iNACOL.", 4.0, "in_service_hours"),
    ("Student Goal Setting", "Personalized learning", "Students set, track and reflect on their own learning goals.", "Locke, E. A., & Latham, G. P. (2002). Building a practically useful theory of goal setting. American Psychologist, 57(9), 705-717.", 4.0, "in_service_hours"),
];

/// People on Kettle Moraine's node (a coordinator, a teacher, three reviewers) with one
/// submission decided and one in review, and a curator at the consortium: every page has
/// content. Returns a sign-in link per person.
fn people(
    km: &Node,
    km_ids: &[String],
    km_url: &str,
    state: &DemoNode,
    state_url: &str,
) -> Result<Vec<(String, String)>> {
    use credreg_node::review::{Actor, CriterionScore, EvidenceItem, NewPerson, PersonRole};
    let invite = |node: &Node, name: &str, email: &str, roles: Vec<PersonRole>| -> Result<()> {
        node.invite_person(
            &Actor::Operator,
            NewPerson {
                name: name.into(),
                email: email.into(),
                school: Some("Dousman Elementary".into()),
                roles,
            },
        )?;
        Ok(())
    };
    // The outbox is not in time order: the mail is picked by its subject.
    let code_in = |node: &Node, email: &str, subject: &str| -> Result<String> {
        node.outbox(&Actor::Operator)?
            .into_iter()
            .find(|m| m.to == email && m.subject.starts_with(subject))
            .and_then(|m| {
                m.body
                    .split_whitespace()
                    .find(|w| w.starts_with("crl_"))
                    .map(str::to_owned)
            })
            .context("a sign-in code in the outbox")
    };
    let code = |node: &Node, email: &str| code_in(node, email, "You are invited");
    let fresh = |node: &Node, email: &str| code_in(node, email, "Sign in");
    invite(
        km,
        "Maya Lindqvist",
        "maya.lindqvist@kmsd.example",
        vec![PersonRole::Coordinator],
    )?;
    invite(
        km,
        "Ana Ruiz",
        "ana.ruiz@kmsd.example",
        vec![PersonRole::Teacher],
    )?;
    let reviewers = [
        ("Tomas Greer", "tomas.greer@kmsd.example"),
        ("Ruth Okafor", "ruth.okafor@kmsd.example"),
        ("Lena Park", "lena.park@kmsd.example"),
    ];
    for (name, email) in reviewers {
        invite(km, name, email, vec![PersonRole::Reviewer])?;
    }
    invite(
        &state.node,
        "Rosa Vang",
        "rosa.vang@consortium.example",
        vec![PersonRole::Curator],
    )?;
    let session = |node: &Node, email: &str| -> Result<Actor> {
        let (token, _) = node.sign_in_with_link(&code(node, email)?)?;
        node.session_actor(&token)?.context("an open session")
    };
    let ana = session(km, "ana.ruiz@kmsd.example")?;
    // One submission reviewed to a pass (when the Open Badges context is installed, that
    // issues the award), one waiting for its reviewers.
    for (n, credential) in km_ids.iter().take(2).enumerate() {
        let draft = km.start_submission(&ana, credential, None)?;
        for item in [
            EvidenceItem::Link {
                url: "https://video.kmsd.example/ruiz/discussion-2026-10-14".into(),
                name: "Ten minutes of classroom discussion".into(),
            },
            EvidenceItem::Reflection {
                text: "After I began pausing five seconds, nine of my twenty-four students answered instead of the usual three.".into(),
            },
        ] {
            km.add_evidence(&ana, &draft.id, item)?;
        }
        km.submit(&ana, &draft.id)?;
        if n == 0 && km.missing_contexts().is_empty() {
            for (_, email) in reviewers {
                let r = session(km, email)?;
                for view in km.review_queue(&r)? {
                    let pass = CriterionScore {
                        level: 1,
                        comment: "Visible in the recording and named in the reflection.".into(),
                    };
                    km.score(&r, &view.review_id, vec![pass.clone(), pass])?;
                }
            }
        }
    }
    // Fresh links: the ones above were spent by the sessions the demo opened.
    let mut links = Vec::new();
    for (who, email) in [
        (
            "Coordinator (Maya Lindqvist)",
            "maya.lindqvist@kmsd.example",
        ),
        ("Teacher (Ana Ruiz)", "ana.ruiz@kmsd.example"),
        ("Reviewer (Tomas Greer)", "tomas.greer@kmsd.example"),
        ("Reviewer (Ruth Okafor)", "ruth.okafor@kmsd.example"),
    ] {
        km.request_sign_in(email)?;
        links.push((
            who.to_owned(),
            format!("{km_url}/sign-in?code={}", code(km, email)?),
        ));
    }
    state.node.request_sign_in("rosa.vang@consortium.example")?;
    links.push((
        "Consortium curator (Rosa Vang)".to_owned(),
        format!(
            "{state_url}/sign-in?code={}",
            fresh(&state.node, "rosa.vang@consortium.example")?
        ),
    ));
    Ok(links)
}

fn catalog(node: &Node, entries: &[Entry]) -> Result<Vec<String>> {
    let defs = entries
        .iter()
        .map(|(name, competency, method, research, amount, unit)| {
            let doc = json!({
                "name": name,
                "description": format!("The educator demonstrates: {}", method.to_lowercase()),
                "criteria": {"narrative": "Answer the overview questions, submit a lesson plan and classroom artifacts, and write a 500-word reflection."},
                "competency": competency,
                "key_method": method,
                "research_basis": [{"citation": research}],
                "evidence_requirements": [
                    {"kind": "overview", "description": "Answer the overview questions about your class and goals."},
                    {"kind": "artifact", "description": "Lesson plan and student work samples."},
                    {"kind": "reflection", "description": "500 words on what changed for your students."}
                ],
                "rubric": {"criteria": [
                    {"name": "Application of the method", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}]},
                    {"name": "Reflection", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}]}
                ]},
                "review_policy": {"reviewers": 2, "tiebreak": true},
                "estimated_effort": {"hours": 15, "weeks": 6},
                "local_value": {"amount": amount, "unit": unit}
            });
            parse_validated::<CredentialDef>(doc.to_string().as_bytes())
                .map_err(|e| anyhow::anyhow!("demo definition {name}: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(node
        .publish_definitions(defs)?
        .into_iter()
        .map(|p| p.id)
        .collect())
}

/// Waits (with a deadline) until every node holds every other node's log.
async fn wait_until_replicated(nodes: &[DemoNode]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = nodes.iter().all(|n| {
            nodes.iter().all(|o| {
                let size = o.node.store().log_size(o.node.did()).unwrap_or(0);
                n.node.store().log_size(o.node.did()).unwrap_or(0) >= size
            })
        });
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn stack(node: &Node, name: &str, description: &str, ids: &[String], n: u32) -> Result<String> {
    Ok(node
        .publish_stack(Stack {
            name: name.into(),
            description: Some(description.into()),
            rule: if n as usize >= ids.len() {
                StackRule::AllOf
            } else {
                StackRule::AnyOf { n }
            },
            credentials: ids.to_vec(),
            value: None,
        })?
        .id)
}
