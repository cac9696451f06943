//! A minimal W3C WebDriver client: the handful of commands the e2e tests use.
//!
//! Why hand-written: the remote end is always `tauri-driver` on 127.0.0.1 over plain HTTP, and the
//! tests need five commands (new session, execute script, find elements + read attribute/text,
//! screenshot, delete session). ureq without TLS is a few small crates; fantoccini or thirtyfour
//! would add hyper, a TLS stack and Mozilla's `webdriver` crate for the same five calls.
//! Spec: <https://www.w3.org/TR/webdriver2/>.

use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::{Error, Result, fail};

/// The W3C key under which an element reference travels.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Creating a session launches the app: give it time on a loaded 2-core machine.
const NEW_SESSION_TIMEOUT: Duration = Duration::from_secs(180);
/// Any other command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// Screenshots arrive base64-encoded inside JSON.
const MAX_RESPONSE_BYTES: u64 = 128 * 1024 * 1024;

/// A reference to an element of the current page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element(pub String);

/// An open WebDriver session. Dropping it deletes the session (which closes the app).
pub struct Session {
    agent: ureq::Agent,
    base: String,
    id: String,
    open: bool,
}

enum Method {
    Get,
    Post(Value),
    Delete,
}

impl Session {
    /// `POST /session` with `capabilities` as `alwaysMatch`. `base` is e.g. `http://127.0.0.1:4444`.
    pub fn create(base: &str, capabilities: Value) -> Result<Session> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            // WebDriver errors come as 4xx/5xx with a JSON body worth reading.
            .http_status_as_error(false)
            // Never send loopback traffic to an HTTP(S)_PROXY from the environment.
            .proxy(None)
            .timeout_global(Some(COMMAND_TIMEOUT))
            .build()
            .into();
        let base = base.trim_end_matches('/').to_owned();
        let url = format!("{base}/session");
        let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
        let value = request(&agent, &url, Method::Post(body), NEW_SESSION_TIMEOUT)
            .map_err(|e| Error(format!("creating the WebDriver session failed: {e}")))?;
        let Some(id) = value.get("sessionId").and_then(Value::as_str) else {
            return fail!("new session answer has no sessionId: {value}");
        };
        Ok(Session {
            agent,
            id: id.to_owned(),
            base,
            open: true,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    fn command(&self, path: &str, method: Method) -> Result<Value> {
        let url = format!("{}/session/{}{}", self.base, self.id, path);
        request(&self.agent, &url, method, COMMAND_TIMEOUT)
    }

    /// Runs `script` as a function body in the page (`return …` gives the result).
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.command(
            "/execute/sync",
            Method::Post(json!({ "script": script, "args": args })),
        )
    }

    /// All elements matching a CSS selector (possibly none).
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let value = self.command(
            "/elements",
            Method::Post(json!({ "using": "css selector", "value": css })),
        )?;
        let Some(list) = value.as_array() else {
            return fail!("find elements answer is not a list: {value}");
        };
        list.iter()
            .map(|e| match e.get(ELEMENT_KEY).and_then(Value::as_str) {
                Some(id) => Ok(Element(id.to_owned())),
                None => fail!("not an element reference: {e}"),
            })
            .collect()
    }

    /// The element's attribute, `None` when it has none.
    pub fn attribute(&self, element: &Element, name: &str) -> Result<Option<String>> {
        let value = self.command(
            &format!("/element/{}/attribute/{name}", element.0),
            Method::Get,
        )?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// The element's rendered text.
    pub fn text(&self, element: &Element) -> Result<String> {
        let value = self.command(&format!("/element/{}/text", element.0), Method::Get)?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    pub fn title(&self) -> Result<String> {
        let value = self.command("/title", Method::Get)?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// A PNG of the current top-level browsing context (the app window).
    pub fn screenshot_png(&self) -> Result<Vec<u8>> {
        let value = self.command("/screenshot", Method::Get)?;
        let Some(b64) = value.as_str() else {
            return fail!("screenshot answer is not a string");
        };
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| Error(format!("screenshot is not base64: {e}")))?;
        if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
            return fail!("screenshot is not a PNG ({} bytes)", png.len());
        }
        Ok(png)
    }

    /// Deletes the session: the driver closes the app.
    pub fn close(mut self) -> Result<()> {
        self.open = false;
        self.command("", Method::Delete).map(drop)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.open {
            // Best effort: the driver guard kills the whole process group right after anyway.
            let _ = self.command("", Method::Delete);
        }
    }
}

/// One HTTP round trip; returns the W3C `value` or turns a WebDriver error into [`Error`].
fn request(agent: &ureq::Agent, url: &str, method: Method, timeout: Duration) -> Result<Value> {
    let what = match &method {
        Method::Get => "GET",
        Method::Post(_) => "POST",
        Method::Delete => "DELETE",
    };
    let sent = match method {
        Method::Get => agent
            .get(url)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .call(),
        Method::Delete => agent
            .delete(url)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .call(),
        Method::Post(body) => agent
            .post(url)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .send_json(body),
    };
    let mut response = sent.map_err(|e| Error(format!("{what} {url}: {e}")))?;
    let status = response.status();
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_string()
        .map_err(|e| Error(format!("{what} {url}: reading the answer failed: {e}")))?;
    let mut json: Value = serde_json::from_str(&text).map_err(|e| {
        Error(format!(
            "{what} {url}: HTTP {status}, answer is not JSON ({e}): {}",
            clip(&text)
        ))
    })?;
    let value = json
        .get_mut("value")
        .map(Value::take)
        .unwrap_or(Value::Null);
    if !status.is_success() {
        let code = value
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("unknown error");
        let message = value
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return fail!("{what} {url}: HTTP {status}: {code}: {}", clip(message));
    }
    Ok(value)
}

fn clip(s: &str) -> String {
    const MAX: usize = 2000;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}
