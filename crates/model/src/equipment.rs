//! ISA-95 equipment hierarchy: enterprise → site → area → line → work center.

use serde::{Deserialize, Serialize};
use specta::Type;
use std::fmt;

/// The level of a node in the ISA-95 equipment hierarchy.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Type,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Enterprise,
    Site,
    Area,
    Line,
    WorkCenter,
}

impl Level {
    /// Number of path segments a node of this level has.
    pub fn depth(self) -> usize {
        match self {
            Level::Enterprise => 1,
            Level::Site => 2,
            Level::Area => 3,
            Level::Line => 4,
            Level::WorkCenter => 5,
        }
    }

    fn from_depth(depth: usize) -> Option<Level> {
        Some(match depth {
            1 => Level::Enterprise,
            2 => Level::Site,
            3 => Level::Area,
            4 => Level::Line,
            5 => Level::WorkCenter,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("equipment path is empty")]
    Empty,
    #[error("equipment path `{0}` has {1} levels; ISA-95 allows 1 (enterprise) to 5 (work center)")]
    Depth(String, usize),
    #[error(
        "equipment path `{path}` has an invalid segment `{segment}`: segments are non-empty and contain no `/`, `+`, `#` or control characters"
    )]
    Segment { path: String, segment: String },
}

/// A node's full path, `enterprise/site/area/line/workcenter` (shorter for higher levels).
///
/// It is also the node's MQTT topic prefix in the Unified Namespace, so the same
/// validation rules apply: no wildcards, no empty segments.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Type)]
#[serde(try_from = "String", into = "String")]
#[specta(transparent)]
pub struct EquipmentPath(String);

impl EquipmentPath {
    pub fn parse(path: &str) -> Result<Self, PathError> {
        if path.is_empty() {
            return Err(PathError::Empty);
        }
        let mut depth = 0;
        for segment in path.split('/') {
            depth += 1;
            if !valid_segment(segment) {
                return Err(PathError::Segment {
                    path: path.to_owned(),
                    segment: segment.to_owned(),
                });
            }
        }
        if Level::from_depth(depth).is_none() {
            return Err(PathError::Depth(path.to_owned(), depth));
        }
        Ok(Self(path.to_owned()))
    }

    /// Builds a child path, validating the new segment.
    pub fn child(&self, segment: &str) -> Result<Self, PathError> {
        Self::parse(&format!("{}/{}", self.0, segment))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        // parse() guarantees a depth of 1..=5.
        Level::from_depth(self.segments().count()).unwrap_or(Level::WorkCenter)
    }

    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The last segment: the node's own name.
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    pub fn parent(&self) -> Option<EquipmentPath> {
        self.0
            .rsplit_once('/')
            .map(|(parent, _)| EquipmentPath(parent.to_owned()))
    }

    /// The ancestor at `level`, or `None` when this node is above that level.
    pub fn ancestor(&self, level: Level) -> Option<EquipmentPath> {
        let depth = level.depth();
        let segments: Vec<&str> = self.segments().collect();
        (segments.len() >= depth).then(|| EquipmentPath(segments[..depth].join("/")))
    }

    pub fn is_ancestor_of(&self, other: &EquipmentPath) -> bool {
        other.0.len() > self.0.len()
            && other.0.starts_with(&self.0)
            && other.0.as_bytes()[self.0.len()] == b'/'
    }
}

fn valid_segment(segment: &str) -> bool {
    !segment.is_empty()
        && !segment
            .chars()
            .any(|c| c == '/' || c == '+' || c == '#' || c.is_control())
}

impl TryFrom<String> for EquipmentPath {
    type Error = PathError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EquipmentPath> for String {
    fn from(path: EquipmentPath) -> Self {
        path.0
    }
}

impl fmt::Display for EquipmentPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A whole plant as the MES database describes it: one enterprise and its sites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct Plant {
    pub enterprise: String,
    pub sites: Vec<Site>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct Site {
    pub name: String,
    /// IANA time zone of the site, e.g. `Europe/Berlin`; shift calendars are local to it.
    pub timezone: String,
    pub areas: Vec<Area>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct Area {
    pub name: String,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct Line {
    pub name: String,
    /// Human label shown on screens, e.g. "Line 3 – Bottling".
    pub description: String,
    /// Work centers in flow order: the last one counts the line's output.
    pub work_centers: Vec<WorkCenter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct WorkCenter {
    pub name: String,
    pub description: String,
}

impl Plant {
    /// Every line with its full path, in hierarchy order.
    pub fn lines(&self) -> Vec<(EquipmentPath, &Line)> {
        let mut out = Vec::new();
        for site in &self.sites {
            for area in &site.areas {
                for line in &area.lines {
                    let path = format!(
                        "{}/{}/{}/{}",
                        self.enterprise, site.name, area.name, line.name
                    );
                    if let Ok(path) = EquipmentPath::parse(&path) {
                        out.push((path, line));
                    }
                }
            }
        }
        out
    }

    /// Every work center with its full path, in hierarchy and flow order.
    pub fn work_centers(&self) -> Vec<(EquipmentPath, &WorkCenter)> {
        self.lines()
            .into_iter()
            .flat_map(|(line_path, line)| {
                line.work_centers
                    .iter()
                    .filter_map(move |wc| line_path.child(&wc.name).ok().map(|p| (p, wc)))
            })
            .collect()
    }

    /// Checks every name is a valid path segment and unique among its siblings.
    pub fn validate(&self) -> Result<(), PathError> {
        let root = EquipmentPath::parse(&self.enterprise)?;
        let mut seen = std::collections::HashSet::new();
        for site in &self.sites {
            let site_path = root.child(&site.name)?;
            for area in &site.areas {
                let area_path = site_path.child(&area.name)?;
                for line in &area.lines {
                    let line_path = area_path.child(&line.name)?;
                    for wc in &line.work_centers {
                        let wc_path = line_path.child(&wc.name)?;
                        if !seen.insert(wc_path.clone()) {
                            return Err(PathError::Segment {
                                path: wc_path.to_string(),
                                segment: format!("{} (duplicate)", wc.name),
                            });
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths_of_every_level() {
        let wc = EquipmentPath::parse("acme/berlin/packaging/line-1/filler").unwrap();
        assert_eq!(wc.level(), Level::WorkCenter);
        assert_eq!(wc.name(), "filler");
        assert_eq!(
            wc.parent().unwrap().as_str(),
            "acme/berlin/packaging/line-1"
        );
        assert_eq!(wc.ancestor(Level::Site).unwrap().as_str(), "acme/berlin");
        assert_eq!(
            EquipmentPath::parse("acme").unwrap().level(),
            Level::Enterprise
        );
    }

    #[test]
    fn rejects_bad_paths() {
        assert_eq!(EquipmentPath::parse(""), Err(PathError::Empty));
        assert!(matches!(
            EquipmentPath::parse("a//b"),
            Err(PathError::Segment { .. })
        ));
        assert!(matches!(
            EquipmentPath::parse("a/+/b"),
            Err(PathError::Segment { .. })
        ));
        assert!(matches!(
            EquipmentPath::parse("a/#"),
            Err(PathError::Segment { .. })
        ));
        assert!(matches!(
            EquipmentPath::parse("a/b/c/d/e/f"),
            Err(PathError::Depth(_, 6))
        ));
    }

    #[test]
    fn ancestry_respects_segment_boundaries() {
        let line = EquipmentPath::parse("a/b/c/line-1").unwrap();
        let wc = EquipmentPath::parse("a/b/c/line-1/press").unwrap();
        let other = EquipmentPath::parse("a/b/c/line-10/press").unwrap();
        assert!(line.is_ancestor_of(&wc));
        assert!(!line.is_ancestor_of(&other));
        assert!(!line.is_ancestor_of(&line));
    }

    #[test]
    fn serde_validates_paths() {
        let ok: EquipmentPath = serde_json::from_str("\"a/b\"").unwrap();
        assert_eq!(ok.as_str(), "a/b");
        assert!(serde_json::from_str::<EquipmentPath>("\"a/+\"").is_err());
    }

    #[test]
    fn plant_validation_finds_duplicates() {
        let wc = WorkCenter {
            name: "press".into(),
            description: String::new(),
        };
        let mut plant = Plant {
            enterprise: "acme".into(),
            sites: vec![Site {
                name: "s".into(),
                timezone: "UTC".into(),
                areas: vec![Area {
                    name: "a".into(),
                    lines: vec![Line {
                        name: "l".into(),
                        description: String::new(),
                        work_centers: vec![wc.clone()],
                    }],
                }],
            }],
        };
        assert!(plant.validate().is_ok());
        assert_eq!(plant.work_centers().len(), 1);
        plant.sites[0].areas[0].lines[0].work_centers.push(wc);
        assert!(plant.validate().is_err());
    }
}
