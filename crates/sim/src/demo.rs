//! The demo plant's master data: what the MES database holds for it.

use chrono::NaiveTime;
use takt_model::shift::Day;
use takt_model::{
    Area, EquipmentPath, Line, Operation, Plant, Product, ShiftBreak, ShiftCalendar, ShiftPattern,
    Site, TimestampMs, WorkCenter, WorkOrder, WorkOrderStatus,
};

pub const ENTERPRISE: &str = "acme";
pub const SITE: &str = "freiburg";
pub const SITE_TIMEZONE: &str = "Europe/Berlin";

/// (area, line, description, work centers in flow order, products it makes)
type LineSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

const LINES: [LineSpec; 6] = [
    (
        "packaging",
        "line-1",
        "Bottling 0.5 l PET",
        &[
            ("depalletizer", "Depalletizer"),
            ("filler", "Rotary filler 40 valves"),
            ("capper", "Capper"),
            ("labeler", "Wrap-around labeler"),
            ("case-packer", "Case packer"),
        ],
        &["P-1001", "P-1002", "P-1003"],
    ),
    (
        "packaging",
        "line-2",
        "Canning 0.33 l",
        &[
            ("depalletizer", "Can depalletizer"),
            ("filler", "Can filler"),
            ("seamer", "Seamer"),
            ("tray-packer", "Tray packer"),
        ],
        &["P-2001", "P-2002"],
    ),
    (
        "packaging",
        "line-3",
        "Cartoning",
        &[
            ("feeder", "Blister feeder"),
            ("cartoner", "Cartoner"),
            ("checkweigher", "Checkweigher"),
        ],
        &["P-3001", "P-3002", "P-3003"],
    ),
    (
        "molding",
        "line-4",
        "Injection molding caps",
        &[
            ("dryer", "Resin dryer"),
            ("press", "Injection press 350 t"),
            ("inspection", "Vision inspection"),
            ("packer", "Bulk packer"),
        ],
        &["P-4001", "P-4002"],
    ),
    (
        "molding",
        "line-5",
        "Preform molding",
        &[
            ("press", "Preform press 600 t"),
            ("cooling", "Post-mold cooling"),
            ("inspection", "Vision inspection"),
            ("octabin", "Octabin filler"),
        ],
        &["P-5001", "P-5002"],
    ),
    (
        "molding",
        "line-6",
        "Closure assembly",
        &[
            ("feeder", "Bowl feeder"),
            ("assembly", "Rotary assembly"),
            ("liner", "Liner inserter"),
            ("tester", "Leak tester"),
            ("packer", "Bag packer"),
        ],
        &["P-6001", "P-6002", "P-6003"],
    ),
];

/// (code, name, ideal cycle ms)
const PRODUCTS: [(&str, &str, u32); 15] = [
    ("P-1001", "Still water 0.5 l", 400),
    ("P-1002", "Sparkling water 0.5 l", 420),
    ("P-1003", "Lemonade 0.5 l", 450),
    ("P-2001", "Cola can 0.33 l", 250),
    ("P-2002", "Energy drink can 0.33 l", 270),
    ("P-3001", "Ibuprofen 400 ×20 carton", 600),
    ("P-3002", "Paracetamol 500 ×10 carton", 550),
    ("P-3003", "Vitamin C ×30 carton", 650),
    ("P-4001", "Cap 28 mm white", 300),
    ("P-4002", "Cap 38 mm blue", 330),
    ("P-5001", "Preform 23 g", 500),
    ("P-5002", "Preform 28 g", 560),
    ("P-6001", "Sport closure", 700),
    ("P-6002", "Flip-top closure", 750),
    ("P-6003", "Child-resistant closure", 900),
];

/// Everything the demo plant needs in the MES database.
#[derive(Debug, Clone)]
pub struct DemoDataset {
    pub plant: Plant,
    pub products: Vec<Product>,
    pub site: EquipmentPath,
    pub calendar: ShiftCalendar,
    /// Per line, in running order.
    pub orders: Vec<WorkOrder>,
}

impl DemoDataset {
    /// The demo plant with `lines` lines (the six named lines, then generated ones), and
    /// work orders covering roughly `hours` of production from `start_ms`.
    pub fn new(lines: usize, start_ms: TimestampMs, hours: u32) -> Self {
        let lines = lines.max(1);
        let mut areas: Vec<Area> = Vec::new();
        for i in 0..lines {
            let LineDesign {
                area,
                name,
                description,
                work_centers,
                ..
            } = line_spec(i);
            let line = Line {
                name,
                description,
                work_centers: work_centers
                    .iter()
                    .map(|(n, d)| WorkCenter {
                        name: (*n).to_owned(),
                        description: (*d).to_owned(),
                    })
                    .collect(),
            };
            match areas.iter_mut().find(|a| a.name == area) {
                Some(a) => a.lines.push(line),
                None => areas.push(Area {
                    name: area.to_owned(),
                    lines: vec![line],
                }),
            }
        }
        let plant = Plant {
            enterprise: ENTERPRISE.into(),
            sites: vec![Site {
                name: SITE.into(),
                timezone: SITE_TIMEZONE.into(),
                areas,
            }],
        };
        let products = PRODUCTS
            .iter()
            .map(|(code, name, cycle)| Product {
                code: (*code).into(),
                name: (*name).into(),
                ideal_cycle_ms: *cycle,
            })
            .collect();
        let site =
            EquipmentPath::parse(&format!("{ENTERPRISE}/{SITE}")).expect("demo site path is valid");
        let mut dataset = DemoDataset {
            plant,
            products,
            site,
            calendar: calendar(),
            orders: Vec::new(),
        };
        dataset.orders = dataset.make_orders(start_ms, hours);
        dataset
    }

    pub fn product(&self, code: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.code == code)
    }

    /// Orders for each line, back to back, each worth 20–50 minutes at the ideal rate.
    fn make_orders(&self, start_ms: TimestampMs, hours: u32) -> Vec<WorkOrder> {
        let mut orders = Vec::new();
        let horizon_ms = i64::from(hours) * 3_600_000;
        let mut number = 100_000u32;
        for (i, (line_path, line)) in self.plant.lines().into_iter().enumerate() {
            let products = line_spec(i).products;
            let mut t = 0i64;
            let mut k = 0usize;
            while t < horizon_ms {
                let code = products[k % products.len()];
                let cycle = self.product(code).map_or(500, |p| p.ideal_cycle_ms);
                // Deterministic variety: 20..50 minutes of ideal production.
                let minutes = 20 + ((i * 7 + k * 13) % 31) as i64;
                let quantity = (minutes * 60_000 / i64::from(cycle)).max(1) as u32;
                t += minutes * 60_000 * 13 / 10; // ~77 % OEE
                number += 1;
                orders.push(WorkOrder {
                    number: format!("WO-{number}"),
                    product: code.to_owned(),
                    quantity,
                    due_ms: start_ms + t + 3_600_000,
                    priority: (1 + (k % 3)) as u8,
                    status: WorkOrderStatus::Released,
                    operations: line
                        .work_centers
                        .iter()
                        .enumerate()
                        .filter_map(|(j, wc)| {
                            Some(Operation {
                                seq: ((j + 1) * 10) as u16,
                                name: wc.description.clone(),
                                work_center: line_path.child(&wc.name).ok()?,
                            })
                        })
                        .collect(),
                });
                k += 1;
            }
        }
        orders
    }

    /// The orders of one line, in running order.
    pub fn line_orders<'a>(
        &'a self,
        line: &'a EquipmentPath,
    ) -> impl Iterator<Item = &'a WorkOrder> + 'a {
        self.orders.iter().filter(move |o| {
            o.operations
                .first()
                .is_some_and(|op| line.is_ancestor_of(&op.work_center))
        })
    }
}

/// One line of the demo plant, named.
struct LineDesign {
    area: &'static str,
    name: String,
    description: String,
    work_centers: &'static [(&'static str, &'static str)],
    products: &'static [&'static str],
}

fn line_spec(i: usize) -> LineDesign {
    let (area, name, description, work_centers, products) = LINES[i % LINES.len()];
    let (name, description) = if i < LINES.len() {
        (name.to_owned(), description.to_owned())
    } else {
        // More lines than the named six (load tests): repeat the designs under new names.
        (
            format!("line-{}", i + 1),
            format!("{description} ({})", i / LINES.len() + 1),
        )
    };
    LineDesign {
        area,
        name,
        description,
        work_centers,
        products,
    }
}

/// Three shifts, every day of the week, each with a 20-minute break four hours in.
fn calendar() -> ShiftCalendar {
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("valid hour");
    let shift = |name: &str, start: u32, end: u32| ShiftPattern {
        name: name.into(),
        start: t(start),
        end: t(end),
        days: Day::ALL.to_vec(),
        breaks: vec![ShiftBreak {
            name: "Break".into(),
            start: t((start + 4) % 24),
            end: NaiveTime::from_hms_opt((start + 4) % 24, 20, 0).expect("valid time"),
        }],
    };
    ShiftCalendar {
        timezone: SITE_TIMEZONE.into(),
        shifts: vec![
            shift("Early", 6, 14),
            shift("Late", 14, 22),
            shift("Night", 22, 6),
        ],
        holidays: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_plant_has_six_valid_lines_in_two_areas() {
        let d = DemoDataset::new(6, 0, 24);
        d.plant.validate().unwrap();
        d.calendar.validate().unwrap();
        let lines = d.plant.lines();
        assert_eq!(lines.len(), 6);
        assert_eq!(d.plant.sites[0].areas.len(), 2);
        assert!(
            lines
                .iter()
                .all(|(_, l)| (3..=5).contains(&l.work_centers.len()))
        );
        for order in &d.orders {
            order.validate().unwrap();
            assert!(d.product(&order.product).is_some());
        }
        for (path, _) in &lines {
            assert!(
                d.line_orders(path).count() >= 20,
                "a day of orders for {path}"
            );
        }
    }

    #[test]
    fn more_lines_get_unique_names() {
        let d = DemoDataset::new(14, 0, 1);
        d.plant.validate().unwrap();
        assert_eq!(d.plant.lines().len(), 14);
    }
}
