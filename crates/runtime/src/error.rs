//! The error the shell hands to the UI: a kind to branch on and a sentence to show.

use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Settings,
    Database,
    Broker,
    /// The thing asked for does not exist (e.g. an alert id).
    NotFound,
    /// The request is understood but impossible (e.g. splitting a stop outside its span).
    Refused,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type, thiserror::Error)]
#[error("{message}")]
pub struct TaktError {
    pub kind: ErrorKind,
    pub message: String,
}

impl TaktError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn settings(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Settings, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
}
