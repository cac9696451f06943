//! The ISA-95 equipment hierarchy, stored as one `equipment` row per node.
//!
//! The database describes exactly one plant: saving a plant replaces the previous one
//! (nodes no longer in it are removed), so what `load_plant` returns is what was saved.

use crate::Store;
use crate::error::{QueryContext, Result, StoreError, corrupt};
use std::collections::{HashMap, HashSet};
use takt_model::{Area, EquipmentPath, Level, Line, Plant, Site, WorkCenter};

/// path, parent_path, level, name, description, sort_order, timezone
type EquipmentRow = (
    String,
    Option<String>,
    String,
    String,
    String,
    i64,
    Option<String>,
);

/// One hierarchy node as stored.
struct Node {
    path: EquipmentPath,
    level: Level,
    name: String,
    description: String,
    sort_order: i64,
    timezone: Option<String>,
}

pub(crate) fn level_str(level: Level) -> &'static str {
    match level {
        Level::Enterprise => "enterprise",
        Level::Site => "site",
        Level::Area => "area",
        Level::Line => "line",
        Level::WorkCenter => "work_center",
    }
}

/// Flattens a validated plant top-down, so every parent row is written before its children.
fn nodes(plant: &Plant) -> Result<Vec<Node>> {
    let node =
        |path: &EquipmentPath, description: &str, sort_order: usize, timezone: Option<&str>| Node {
            path: path.clone(),
            level: path.level(),
            name: path.name().to_owned(),
            description: description.to_owned(),
            sort_order: sort_order as i64,
            timezone: timezone.map(str::to_owned),
        };
    let root = EquipmentPath::parse(&plant.enterprise)?;
    let mut out = vec![node(&root, "", 0, None)];
    for (i, site) in plant.sites.iter().enumerate() {
        let site_path = root.child(&site.name)?;
        out.push(node(&site_path, "", i, Some(&site.timezone)));
        for (i, area) in site.areas.iter().enumerate() {
            let area_path = site_path.child(&area.name)?;
            out.push(node(&area_path, "", i, None));
            for (i, line) in area.lines.iter().enumerate() {
                let line_path = area_path.child(&line.name)?;
                out.push(node(&line_path, &line.description, i, None));
                for (i, wc) in line.work_centers.iter().enumerate() {
                    out.push(node(&line_path.child(&wc.name)?, &wc.description, i, None));
                }
            }
        }
    }
    Ok(out)
}

impl Store {
    /// Saves `plant` as the plant this database describes, in one transaction.
    ///
    /// Nodes missing from `plant` are deleted (with their shift calendars); removing a work
    /// center that work orders are routed to is refused with [`StoreError::Conflict`].
    pub async fn save_plant(&self, plant: &Plant) -> Result<()> {
        const ACTION: &str = "saving the plant";
        plant.validate()?;
        let nodes = nodes(plant)?;
        let wanted: HashSet<&str> = nodes.iter().map(|n| n.path.as_str()).collect();

        let mut tx = self.write_tx(ACTION).await?;
        let existing: Vec<String> = sqlx::query_scalar("SELECT path FROM equipment")
            .fetch_all(&mut *tx)
            .await
            .during(ACTION)?;
        let mut stale: Vec<String> = existing
            .into_iter()
            .filter(|p| !wanted.contains(p.as_str()))
            .collect();
        // Children before parents: the parent_path foreign key refuses orphans.
        stale.sort_by_key(|p| std::cmp::Reverse(p.split('/').count()));
        for path in &stale {
            let order: Option<String> = sqlx::query_scalar(
                "SELECT order_number FROM operations WHERE work_center = $1 LIMIT 1",
            )
            .bind(path)
            .fetch_optional(&mut *tx)
            .await
            .during(ACTION)?;
            if let Some(order) = order {
                return Err(StoreError::Conflict(format!(
                    "cannot remove work center `{path}` from the plant: work order {order} is routed to it; \
                     delete or re-route the order first"
                )));
            }
            sqlx::query("DELETE FROM equipment WHERE path = $1")
                .bind(path)
                .execute(&mut *tx)
                .await
                .during(ACTION)?;
        }
        for node in &nodes {
            sqlx::query(
                "INSERT INTO equipment (path, parent_path, level, name, description, sort_order, timezone) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (path) DO UPDATE SET parent_path = excluded.parent_path, level = excluded.level, \
                 name = excluded.name, description = excluded.description, \
                 sort_order = excluded.sort_order, timezone = excluded.timezone",
            )
            .bind(node.path.as_str())
            .bind(node.path.parent().map(String::from))
            .bind(level_str(node.level))
            .bind(&node.name)
            .bind(&node.description)
            .bind(node.sort_order)
            .bind(&node.timezone)
            .execute(&mut *tx)
            .await
            .during(ACTION)?;
        }
        tx.commit().await.during(ACTION)?;
        Ok(())
    }

    /// The stored plant, siblings in their saved order; `None` when no plant was saved yet.
    pub async fn load_plant(&self) -> Result<Option<Plant>> {
        const ACTION: &str = "loading the plant";
        let rows: Vec<EquipmentRow> = sqlx::query_as(
            "SELECT path, parent_path, level, name, description, sort_order, timezone \
             FROM equipment ORDER BY sort_order, path",
        )
        .fetch_all(self.pool())
        .await
        .during(ACTION)?;

        let mut children: HashMap<Option<String>, Vec<Node>> = HashMap::new();
        for (path_text, parent, level, name, description, sort_order, timezone) in rows {
            let path = EquipmentPath::parse(&path_text)
                .map_err(|e| corrupt(format!("equipment row `{path_text}`: {e}")))?;
            if level != level_str(path.level()) {
                return Err(corrupt(format!(
                    "equipment `{path}` is stored as level `{level}`"
                )));
            }
            if parent.as_deref() != path.parent().as_ref().map(EquipmentPath::as_str)
                || name != path.name()
            {
                return Err(corrupt(format!(
                    "equipment `{path}` has a parent or name that does not match its path"
                )));
            }
            let node = Node {
                level: path.level(),
                path,
                name,
                description,
                sort_order,
                timezone,
            };
            children.entry(parent).or_default().push(node);
        }
        let mut roots = children.remove(&None).unwrap_or_default();
        let root = match roots.len() {
            0 if children.is_empty() => return Ok(None),
            0 => return Err(corrupt("equipment rows exist but none is an enterprise")),
            1 => roots.remove(0),
            n => {
                return Err(corrupt(format!(
                    "{n} enterprises are stored; a Takt database describes one plant"
                )));
            }
        };
        let mut take = |parent: &EquipmentPath| {
            children
                .remove(&Some(parent.to_string()))
                .unwrap_or_default()
        };
        let mut sites = Vec::new();
        for site in take(&root.path) {
            let timezone = site
                .timezone
                .ok_or_else(|| corrupt(format!("site `{}` has no time zone", site.path)))?;
            let mut areas = Vec::new();
            for area in take(&site.path) {
                let mut lines = Vec::new();
                for line in take(&area.path) {
                    let work_centers = take(&line.path)
                        .into_iter()
                        .map(|wc| WorkCenter {
                            name: wc.name,
                            description: wc.description,
                        })
                        .collect();
                    lines.push(Line {
                        name: line.name,
                        description: line.description,
                        work_centers,
                    });
                }
                areas.push(Area {
                    name: area.name,
                    lines,
                });
            }
            sites.push(Site {
                name: site.name,
                timezone,
                areas,
            });
        }
        if let Some(orphan) = children.values().flatten().next() {
            return Err(corrupt(format!(
                "equipment `{}` has no parent in the hierarchy",
                orphan.path
            )));
        }
        Ok(Some(Plant {
            enterprise: root.name,
            sites,
        }))
    }
}
