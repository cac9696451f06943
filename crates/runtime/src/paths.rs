//! Where Takt keeps its files. The OS conventions by default; `TAKT_HOME` puts everything
//! under one directory (tests, portable installs, several instances side by side).

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Paths {
    pub settings_file: PathBuf,
    pub data_dir: PathBuf,
}

impl Paths {
    pub fn from_env() -> Self {
        if let Some(home) = std::env::var_os("TAKT_HOME").filter(|h| !h.is_empty()) {
            return Self::under(PathBuf::from(home));
        }
        match directories::ProjectDirs::from("io", "takt", "Takt") {
            Some(dirs) => Self {
                settings_file: dirs.config_dir().join("settings.json"),
                data_dir: dirs.data_dir().to_path_buf(),
            },
            None => Self::under(std::env::temp_dir().join("takt")),
        }
    }

    pub fn under(home: PathBuf) -> Self {
        Self {
            settings_file: home.join("settings.json"),
            data_dir: home.join("data"),
        }
    }

    /// The embedded database file.
    pub fn database_file(&self) -> PathBuf {
        self.data_dir.join("takt.db")
    }
}
