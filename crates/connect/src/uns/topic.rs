//! Where a topic points: equipment and tag, from the default contract or from configured rules
//! (`broker.uns`, docs/mqtt-contract.md "Configurable mapping").

use super::DecodeError;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::BTreeMap;
use takt_model::EquipmentPath;

/// How a plant's own topic layout maps onto Takt's equipment and tags.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type)]
#[serde(default)]
pub struct UnsMapping {
    /// Tried in order; the first rule that matches a topic wins.
    pub topics: Vec<TopicRule>,
    /// A publisher's tag or field name (case-sensitive) → Takt's: `state`, `good`, `scrap`,
    /// `order`, `product`, `reason`, `timestamp`; any other name is a measurement's name.
    pub tags: BTreeMap<String, String>,
}

/// One topic layout, e.g. `factory/{line}/{work_center}/{tag}` with a fixed site.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type)]
pub struct TopicRule {
    /// Levels separated by `/`: `{enterprise}`, `{site}`, `{area}`, `{line}`, `{work_center}`,
    /// `{tag}`, `+` (any one level, ignored) or literal text that must match.
    pub pattern: String,
    /// Values for the levels the topic does not carry.
    #[serde(default)]
    pub enterprise: Option<String>,
    #[serde(default)]
    pub site: Option<String>,
    #[serde(default)]
    pub area: Option<String>,
}

/// Why a mapping cannot be used; checked when settings are validated and when the feed starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsMappingError {
    #[error("broker.uns: topic rule {0} has an empty pattern")]
    EmptyPattern(usize),
    #[error(
        "broker.uns: pattern `{pattern}` has an invalid level `{segment}` (empty, or `#`, `{{`, `}}` or `+` inside text)"
    )]
    Segment { pattern: String, segment: String },
    #[error(
        "broker.uns: pattern `{pattern}` uses the unknown placeholder `{{{name}}}` (known: enterprise, site, area, line, work_center, tag)"
    )]
    Placeholder { pattern: String, name: String },
    #[error("broker.uns: pattern `{pattern}` names `{name}` twice")]
    Duplicate { pattern: String, name: String },
    #[error(
        "broker.uns: pattern `{pattern}` gives no {level}: add `{{{level}}}` to it or a fixed `{level}` to the rule"
    )]
    Missing {
        pattern: String,
        level: &'static str,
    },
    #[error("broker.uns: pattern `{pattern}` has no `{{line}}`")]
    NoLine { pattern: String },
    #[error("broker.uns: the fixed {level} `{value}` is not a valid equipment name")]
    Fixed { level: &'static str, value: String },
    #[error("broker.uns: the tag `{0}` maps to an empty name")]
    EmptyTag(String),
}

/// The hierarchy levels above the line that a rule may fix.
const FIXABLE: [&str; 3] = ["enterprise", "site", "area"];
/// Tags that belong to a line; every other tag belongs to a work center.
const LINE_TAG: &str = "order";
/// Takt's own tag names: a work center is never named like one (`…/line-1/good` is a tag at the
/// wrong depth, not a work center called `good`).
const TAKT_TAGS: [&str; 4] = ["state", "good", "scrap", "order"];

/// The default contract, as rules: work-center tags, line tags, and the two object topics.
const DEFAULT_PATTERNS: [&str; 4] = [
    "{enterprise}/{site}/{area}/{line}/{work_center}/{tag}",
    "{enterprise}/{site}/{area}/{line}/{tag}",
    "{enterprise}/{site}/{area}/{line}/{work_center}",
    "{enterprise}/{site}/{area}/{line}",
];

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Any,
    /// Index into enterprise, site, area, line, work center.
    Level(usize),
    Tag,
}

#[derive(Debug, Clone)]
struct Rule {
    segments: Vec<Segment>,
    fixed: [Option<String>; 3],
    work_center: bool,
    tag: bool,
}

/// What a topic is about.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Target {
    pub path: EquipmentPath,
    /// Takt's tag (after aliasing), or `None` for a topic carrying an object of fields.
    pub tag: Option<String>,
}

/// Compiled rules and tag aliases.
#[derive(Debug, Clone)]
pub(super) struct TopicMap {
    rules: Vec<Rule>,
    aliases: BTreeMap<String, String>,
    configured: bool,
}

impl Default for TopicMap {
    fn default() -> Self {
        let rules = DEFAULT_PATTERNS
            .iter()
            .filter_map(|p| compile(p, &TopicRule::default()).ok())
            .collect();
        Self {
            rules,
            aliases: BTreeMap::new(),
            configured: false,
        }
    }
}

impl TopicMap {
    pub fn new(mapping: Option<&UnsMapping>) -> Result<Self, UnsMappingError> {
        let Some(mapping) = mapping else {
            return Ok(Self::default());
        };
        validate(mapping)?;
        let rules = mapping
            .topics
            .iter()
            .map(|rule| compile(&rule.pattern, rule))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            rules,
            aliases: mapping.tags.clone(),
            configured: true,
        })
    }

    /// Takt's name for a publisher's tag or field name.
    pub fn alias<'a>(&'a self, name: &'a str) -> &'a str {
        self.aliases.get(name).map_or(name, String::as_str)
    }

    pub fn resolve(&self, topic: &str) -> Result<Target, DecodeError> {
        let parts: Vec<&str> = topic.split('/').collect();
        for rule in &self.rules {
            if let Some(found) = self.try_rule(rule, &parts) {
                return found;
            }
        }
        Err(if self.configured {
            DecodeError::NoRule
        } else {
            DecodeError::UnknownTopic
        })
    }

    /// `None`: the rule does not match; `Some(Err)`: it matches, but names an invalid path.
    fn try_rule(&self, rule: &Rule, parts: &[&str]) -> Option<Result<Target, DecodeError>> {
        if parts.len() != rule.segments.len() {
            return None;
        }
        let mut levels: [Option<&str>; 5] = [None; 5];
        for (i, fixed) in rule.fixed.iter().enumerate() {
            levels[i] = fixed.as_deref();
        }
        let mut tag = None;
        for (segment, part) in rule.segments.iter().zip(parts) {
            match segment {
                Segment::Literal(text) if text != part => return None,
                Segment::Literal(_) | Segment::Any => {}
                Segment::Level(i) => levels[*i] = Some(part),
                Segment::Tag => tag = Some(self.alias(part)),
            }
        }
        // Each tag has one depth: `order` on lines, every other tag on work centers.
        let line_tag = tag == Some(LINE_TAG);
        if (rule.work_center && line_tag) || (!rule.work_center && tag.is_some() && !line_tag) {
            return None;
        }
        if rule.work_center
            && !rule.tag
            && levels[4].is_some_and(|wc| TAKT_TAGS.contains(&self.alias(wc)))
        {
            return None;
        }
        let path = levels
            .iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>()
            .join("/");
        Some(
            EquipmentPath::parse(&path)
                .map(|path| Target {
                    path,
                    tag: tag.map(str::to_owned),
                })
                .map_err(|e| DecodeError::Path(e.to_string())),
        )
    }
}

fn validate(mapping: &UnsMapping) -> Result<(), UnsMappingError> {
    for (i, rule) in mapping.topics.iter().enumerate() {
        if rule.pattern.trim().is_empty() {
            return Err(UnsMappingError::EmptyPattern(i + 1));
        }
        compile(&rule.pattern, rule)?;
    }
    for (from, to) in &mapping.tags {
        if to.trim().is_empty() {
            return Err(UnsMappingError::EmptyTag(from.clone()));
        }
    }
    Ok(())
}

fn compile(pattern: &str, rule: &TopicRule) -> Result<Rule, UnsMappingError> {
    let names = ["enterprise", "site", "area", "line", "work_center"];
    let mut seen: Vec<&str> = Vec::new();
    let mut segments = Vec::new();
    for part in pattern.split('/') {
        let segment = if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if seen.contains(&name) {
                return Err(UnsMappingError::Duplicate {
                    pattern: pattern.to_owned(),
                    name: name.to_owned(),
                });
            }
            let segment = match names.iter().position(|n| *n == name) {
                Some(i) => Segment::Level(i),
                None if name == "tag" => Segment::Tag,
                None => {
                    return Err(UnsMappingError::Placeholder {
                        pattern: pattern.to_owned(),
                        name: name.to_owned(),
                    });
                }
            };
            seen.push(name);
            segment
        } else if part == "+" {
            Segment::Any
        } else if part.is_empty() || part.contains(['#', '+', '{', '}']) {
            return Err(UnsMappingError::Segment {
                pattern: pattern.to_owned(),
                segment: part.to_owned(),
            });
        } else {
            Segment::Literal(part.to_owned())
        };
        segments.push(segment);
    }
    let fixed = [&rule.enterprise, &rule.site, &rule.area];
    for (level, value) in FIXABLE.iter().zip(fixed) {
        match (seen.contains(level), value) {
            (true, Some(_)) => {
                return Err(UnsMappingError::Duplicate {
                    pattern: pattern.to_owned(),
                    name: (*level).to_owned(),
                });
            }
            (false, None) => {
                return Err(UnsMappingError::Missing {
                    pattern: pattern.to_owned(),
                    level,
                });
            }
            (false, Some(v)) if v.contains('/') || EquipmentPath::parse(v).is_err() => {
                return Err(UnsMappingError::Fixed {
                    level,
                    value: v.clone(),
                });
            }
            _ => {}
        }
    }
    if !seen.contains(&"line") {
        return Err(UnsMappingError::NoLine {
            pattern: pattern.to_owned(),
        });
    }
    Ok(Rule {
        segments,
        fixed: fixed.map(Clone::clone),
        work_center: seen.contains(&"work_center"),
        tag: seen.contains(&"tag"),
    })
}
