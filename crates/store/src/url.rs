//! Database URLs: the one place that decides which backend a URL means.
//!
//! Adding PostgreSQL is a new [`DatabaseUrl`] variant here and a new `Backend` variant in
//! `lib.rs`; until then a `postgres://` URL is a clear [`StoreError::Unsupported`].

use crate::error::{Result, StoreError};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DatabaseUrl {
    Sqlite(SqliteTarget),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SqliteTarget {
    File(PathBuf),
    /// `sqlite::memory:`: for tests and throw-away runs; gone when the store is dropped.
    Memory,
}

impl DatabaseUrl {
    pub(crate) fn parse(url: &str) -> Result<Self> {
        let url = url.trim();
        let invalid = |reason: &str| StoreError::InvalidUrl {
            url: redact(url),
            reason: reason.to_owned(),
        };
        let Some((scheme, rest)) = url.split_once(':') else {
            return Err(invalid(
                "expected a URL such as sqlite:///var/lib/takt/takt.db",
            ));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                let rest = rest.strip_prefix("//").unwrap_or(rest);
                let (path, params) = match rest.split_once('?') {
                    Some((path, params)) => (path, Some(params)),
                    None => (rest, None),
                };
                let memory = path == ":memory:" || params == Some("mode=memory");
                if memory {
                    return Ok(DatabaseUrl::Sqlite(SqliteTarget::Memory));
                }
                if params.is_some() {
                    return Err(invalid(
                        "query parameters are not supported: Takt sets the SQLite options itself",
                    ));
                }
                if path.is_empty() {
                    return Err(invalid("no file path; use sqlite:///absolute/path/takt.db"));
                }
                let path =
                    percent_decode(path).ok_or_else(|| invalid("bad %-escape in the file path"))?;
                Ok(DatabaseUrl::Sqlite(SqliteTarget::File(PathBuf::from(path))))
            }
            "postgres" | "postgresql" => Err(StoreError::Unsupported(format!(
                "PostgreSQL (`{}`) is not supported yet; use a sqlite: URL such as sqlite:///var/lib/takt/takt.db",
                redact(url)
            ))),
            other => Err(StoreError::Unsupported(format!(
                "database scheme `{other}` is not supported; use a sqlite: URL such as sqlite:///var/lib/takt/takt.db"
            ))),
        }
    }
}

/// The URL with any password replaced by `***`, safe for logs and the status bar.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_start = scheme_end + 3;
    let authority_end = url[authority_start..]
        .find('/')
        .map_or(url.len(), |i| authority_start + i);
    let authority = &url[authority_start..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return url.to_owned();
    };
    format!(
        "{}{}:***{}",
        &url[..authority_start],
        &userinfo[..colon],
        &url[authority_start + at..]
    )
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(url: &str) -> PathBuf {
        match DatabaseUrl::parse(url).unwrap() {
            DatabaseUrl::Sqlite(SqliteTarget::File(path)) => path,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_sqlite_urls() {
        assert_eq!(
            file("sqlite:///var/lib/takt/takt.db"),
            PathBuf::from("/var/lib/takt/takt.db")
        );
        assert_eq!(file("sqlite://takt.db"), PathBuf::from("takt.db"));
        assert_eq!(file("sqlite:data/takt.db"), PathBuf::from("data/takt.db"));
        assert_eq!(
            file("sqlite:///tmp/my%20plant.db"),
            PathBuf::from("/tmp/my plant.db")
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite::memory:").unwrap(),
            DatabaseUrl::Sqlite(SqliteTarget::Memory)
        );
        assert!(matches!(
            DatabaseUrl::parse("sqlite://"),
            Err(StoreError::InvalidUrl { .. })
        ));
        assert!(matches!(
            DatabaseUrl::parse("sqlite:///x.db?mode=ro"),
            Err(StoreError::InvalidUrl { .. })
        ));
        assert!(matches!(
            DatabaseUrl::parse("takt.db"),
            Err(StoreError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn postgres_is_unsupported_and_redacted() {
        let err = DatabaseUrl::parse("postgres://takt:s3cret@db.local:5432/takt").unwrap_err();
        assert!(matches!(err, StoreError::Unsupported(_)));
        let text = err.to_string();
        assert!(!text.contains("s3cret"), "{text}");
        assert!(
            text.contains("postgres://takt:***@db.local:5432/takt"),
            "{text}"
        );
        assert!(matches!(
            DatabaseUrl::parse("mysql://x/y"),
            Err(StoreError::Unsupported(_))
        ));
    }

    #[test]
    fn redaction_leaves_passwordless_urls_alone() {
        assert_eq!(redact("sqlite:///a/b.db"), "sqlite:///a/b.db");
        assert_eq!(redact("postgres://takt@db/takt"), "postgres://takt@db/takt");
        assert_eq!(redact("postgres://u:p@h/d"), "postgres://u:***@h/d");
    }
}
