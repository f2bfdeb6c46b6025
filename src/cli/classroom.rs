//! `povsim classroom`: a local web server for a class, on the library's
//! [`povsim::classroom::Session`]. The page and everything it uses are embedded in
//! the binary (`assets/classroom/index.html`); the server reads no file but the
//! scenario it was started with, and writes none.
//!
//! | request | answer |
//! |---|---|
//! | `GET /` | the page |
//! | `GET /api/info` | the controls with their units and baseline values, the events, the limits |
//! | `POST /api/setup` | a new session ([`povsim::classroom::Setup`] as JSON); the village view |
//! | `POST /api/step` | one more year; the village view |
//! | `POST /api/change` | `{"values": {...}}`: controls changed from the next year; the view |
//! | `POST /api/game` | the class policy game ([`povsim::classroom::game::Game`]): the splits ranked |
//! | `GET /api/household/ID` | household ID's story, under both scenarios |
//! | `GET /api/scenario.toml` | the scenario that reproduces the class's run |

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use tiny_http::{Header, Method, Request, Response, Server};

use povsim::classroom::game::Game;
use povsim::classroom::{
    self, ClassroomError, MAX_HOUSEHOLDS, MIN_HOUSEHOLDS, ONE_OFF, Session, Setup,
};
use povsim::runner::Silent;

use super::args::ClassroomArgs;
use super::progress::interrupted;
use super::{Failure, Result};

/// The page, with its script and styles inside.
const PAGE: &str = include_str!("../../assets/classroom/index.html");

/// The largest request body read: settings are a few hundred bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// `povsim classroom`: serve until Ctrl-C.
pub fn serve(a: ClassroomArgs) -> Result {
    if !(MIN_HOUSEHOLDS..=MAX_HOUSEHOLDS).contains(&a.households) {
        return Err(Failure::flag(
            "--households",
            "households",
            a.households,
            &format!(
                "the classroom simulates {MIN_HOUSEHOLDS} to {MAX_HOUSEHOLDS} households; for more, use `povsim run`"
            ),
        ));
    }
    // The scenario is checked before the server starts.
    let start = povsim::scenario::Source::new(a.scenario.clone()).load()?;
    let server = Server::http((a.bind, a.port))
        .map_err(|e| anyhow::anyhow!("cannot listen on {}:{}: {e}", a.bind, a.port))?;
    let address = server
        .server_addr()
        .to_ip()
        .context("the server has no IP address")?;
    if !a.bind.is_loopback() {
        eprintln!(
            "warning: --bind {}: the classroom is open to every machine that can reach this one on port {}; anyone there can drive it",
            a.bind,
            address.port()
        );
    }
    let shown = if a.bind.is_unspecified() {
        format!(
            "http://127.0.0.1:{}/ (and this machine's address on the network)",
            address.port()
        )
    } else {
        format!("http://{address}/")
    };
    println!(
        "povsim classroom: scenario `{}`, open {shown} in a browser. Ctrl-C stops.",
        start.name
    );
    let mut state = State {
        scenario: a.scenario,
        households: a.households,
        session: None,
    };
    while !interrupted() {
        match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(request)) => state.answer(request),
            Ok(None) => {}
            Err(e) => eprintln!("warning: a request failed: {e}"),
        }
    }
    println!("povsim classroom: stopped");
    Ok(())
}

struct State {
    scenario: Option<PathBuf>,
    households: u64,
    session: Option<Session>,
}

/// A reply: status, content type and body.
struct Reply(u16, &'static str, Vec<u8>);

fn json(value: &impl Serialize) -> Reply {
    match serde_json::to_vec(value) {
        Ok(body) => Reply(200, "application/json", body),
        Err(e) => error(500, &e.to_string()),
    }
}

fn error(status: u16, message: &str) -> Reply {
    let body = serde_json::json!({ "error": message })
        .to_string()
        .into_bytes();
    Reply(status, "application/json", body)
}

impl State {
    fn answer(&mut self, mut request: Request) {
        let reply = match read_body(&mut request) {
            Ok(body) => self.route(request.method(), request.url(), &body),
            Err(reply) => reply,
        };
        let Reply(status, kind, body) = reply;
        let header = Header::from_bytes("Content-Type", kind).expect("a valid header");
        let response = Response::from_data(body)
            .with_status_code(status)
            .with_header(header);
        if let Err(e) = request.respond(response) {
            eprintln!("warning: a reply could not be sent: {e}");
        }
    }

    fn route(&mut self, method: &Method, url: &str, body: &[u8]) -> Reply {
        let path = url.split('?').next().unwrap_or("");
        match (method, path) {
            (Method::Get, "/" | "/index.html") => {
                Reply(200, "text/html; charset=utf-8", PAGE.into())
            }
            (Method::Get, "/api/info") => self.info(),
            (Method::Post, "/api/setup") => self.setup(body),
            (Method::Post, "/api/step") => self.with_session(|s| {
                s.step();
                Ok(json(&s.view()))
            }),
            (Method::Post, "/api/change") => self.with_session(|s| {
                #[derive(serde::Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Change {
                    values: BTreeMap<String, f64>,
                }
                let change: Change = parse(body)?;
                s.change(&change.values)?;
                Ok(json(&s.view()))
            }),
            (Method::Post, "/api/game") => {
                let played = parse::<Game>(body)
                    .and_then(|g| classroom::game::play(self.scenario.clone(), &g, &Silent));
                match played {
                    Ok(p) => json(&p),
                    Err(e) => error(400, &e.to_string()),
                }
            }
            (Method::Get, "/api/scenario.toml") => self.with_session(|s| {
                Ok(Reply(
                    200,
                    "application/toml; charset=utf-8",
                    s.scenario_toml()?.into_bytes(),
                ))
            }),
            (Method::Get, p) if p.starts_with("/api/household/") => {
                let id = &p["/api/household/".len()..];
                match id.parse::<u64>() {
                    Ok(id) => self.with_session(|s| Ok(json(&s.story(id)?))),
                    Err(_) => error(400, &format!("household `{id}`: give a household number")),
                }
            }
            (_, p) if p.starts_with("/api/") || p == "/" => error(
                405,
                &format!("{method} {p} is not a request the classroom answers"),
            ),
            (_, p) => error(404, &format!("{p}: no such page; the classroom is at /")),
        }
    }

    fn info(&self) -> Reply {
        match Session::start(self.scenario.clone()) {
            Ok(start) => json(&serde_json::json!({
                "scenario": start.name,
                "description": start.description,
                "start_year": start.params.simulation.start_year,
                "years": start.params.simulation.years,
                "households": { "default": self.households, "min": MIN_HOUSEHOLDS, "max": MAX_HOUSEHOLDS },
                "controls": classroom::controls(&start),
                "countermeasures": classroom::game::COUNTERMEASURES.iter().map(|(id, label, _)| serde_json::json!({"id": id, "label": label})).collect::<Vec<_>>(),
                "events": ONE_OFF.iter().map(|(k, d)| serde_json::json!({"kind": k, "label": d})).collect::<Vec<_>>(),
            })),
            Err(e) => error(500, &e.to_string()),
        }
    }

    fn setup(&mut self, body: &[u8]) -> Reply {
        let made = parse::<Setup>(body).and_then(|s| Session::setup(self.scenario.clone(), &s));
        match made {
            Ok(session) => {
                let reply = json(&session.view());
                self.session = Some(session);
                reply
            }
            Err(e) => error(400, &e.to_string()),
        }
    }

    fn with_session(
        &mut self,
        f: impl FnOnce(&mut Session) -> std::result::Result<Reply, ClassroomError>,
    ) -> Reply {
        match &mut self.session {
            None => error(409, "no village yet: press Setup first"),
            Some(s) => f(s).unwrap_or_else(|e| error(400, &e.to_string())),
        }
    }
}

/// A request body as JSON of `T`, or why not.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> std::result::Result<T, ClassroomError> {
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body)
        .map_err(|e| ClassroomError::Request(format!("the request is not valid: {e}")))
}

/// The body, at most [`MAX_BODY`] bytes.
fn read_body(request: &mut Request) -> std::result::Result<Vec<u8>, Reply> {
    if request.body_length().is_some_and(|n| n > MAX_BODY) {
        return Err(error(
            413,
            &format!("the request body is over {MAX_BODY} bytes"),
        ));
    }
    let mut body = Vec::new();
    let read = request
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body);
    match read {
        Err(e) => Err(error(
            400,
            &format!("the request body could not be read: {e}"),
        )),
        Ok(_) if body.len() > MAX_BODY => Err(error(
            413,
            &format!("the request body is over {MAX_BODY} bytes"),
        )),
        Ok(_) => Ok(body),
    }
}
