//! Harness for Takt's end-to-end tests: the real desktop app, driven through WebDriver.
//!
//! The chain is: test → [`webdriver::Session`] (HTTP) → `tauri-driver` → `WebKitWebDriver` → the
//! app binary (`TAKT_APP_BINARY`), all on an X display from [`harness::Display`] (a private Xvfb
//! unless `TAKT_E2E_DISPLAY` is set). Every process is stopped by a `Drop` guard, on failure too.

pub mod harness;
pub mod webdriver;

use std::fmt;

/// Harness error: a readable message, meant to end up in a test failure.
#[derive(Debug)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// `Err(Error(format!(...)))`.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => {
        Err($crate::Error(format!($($arg)*)))
    };
}
