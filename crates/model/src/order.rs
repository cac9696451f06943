//! Work orders and their routed operations.

use crate::{EquipmentPath, TimestampMs};
use serde::{Deserialize, Serialize};
use specta::Type;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum WorkOrderStatus {
    /// Known to the MES, not yet released to the floor.
    Planned,
    /// Released: material and routing are ready; may start.
    Released,
    /// Running on a line.
    Running,
    /// Interrupted on purpose (quality hold, material shortage); may resume.
    Held,
    /// Quantity made or closed by the supervisor.
    Completed,
    Cancelled,
}

impl WorkOrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkOrderStatus::Planned => "planned",
            WorkOrderStatus::Released => "released",
            WorkOrderStatus::Running => "running",
            WorkOrderStatus::Held => "held",
            WorkOrderStatus::Completed => "completed",
            WorkOrderStatus::Cancelled => "cancelled",
        }
    }

    /// The order life cycle. Completed and cancelled orders are final.
    pub fn can_become(self, next: WorkOrderStatus) -> bool {
        use WorkOrderStatus::*;
        matches!(
            (self, next),
            (Planned, Released)
                | (Planned, Cancelled)
                | (Released, Running)
                | (Released, Planned)
                | (Released, Cancelled)
                | (Running, Held)
                | (Running, Completed)
                | (Held, Running)
                | (Held, Completed)
                | (Held, Cancelled)
        )
    }
}

impl FromStr for WorkOrderStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use WorkOrderStatus::*;
        [Planned, Released, Running, Held, Completed, Cancelled]
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown work order status `{s}`"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("work order {order}: cannot go from {from} to {to}")]
    Transition {
        order: String,
        from: &'static str,
        to: &'static str,
    },
    #[error("work order {0}: quantity must be at least 1")]
    Quantity(String),
    #[error("work order {0}: has no operations")]
    NoOperations(String),
    #[error(
        "work order {order}: operation {seq} is routed to `{path}`, which is not a work center"
    )]
    NotAWorkCenter {
        order: String,
        seq: u16,
        path: String,
    },
    #[error(
        "work order {order}: operation sequence numbers must increase ({seq} follows {previous})"
    )]
    Sequence {
        order: String,
        seq: u16,
        previous: u16,
    },
}

/// One step of an order's routing, performed on one work center.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Operation {
    /// Position in the routing (10, 20, 30 … by ERP convention); strictly increasing.
    pub seq: u16,
    pub name: String,
    pub work_center: EquipmentPath,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct WorkOrder {
    pub number: String,
    /// Product code (see [`crate::Product`]).
    pub product: String,
    pub quantity: u32,
    pub due_ms: TimestampMs,
    /// 1 is the most urgent.
    pub priority: u8,
    pub status: WorkOrderStatus,
    pub operations: Vec<Operation>,
}

impl WorkOrder {
    pub fn validate(&self) -> Result<(), OrderError> {
        if self.quantity == 0 {
            return Err(OrderError::Quantity(self.number.clone()));
        }
        if self.operations.is_empty() {
            return Err(OrderError::NoOperations(self.number.clone()));
        }
        let mut previous: Option<u16> = None;
        for op in &self.operations {
            if op.work_center.level() != crate::Level::WorkCenter {
                return Err(OrderError::NotAWorkCenter {
                    order: self.number.clone(),
                    seq: op.seq,
                    path: op.work_center.to_string(),
                });
            }
            if let Some(prev) = previous.filter(|&p| op.seq <= p) {
                return Err(OrderError::Sequence {
                    order: self.number.clone(),
                    seq: op.seq,
                    previous: prev,
                });
            }
            previous = Some(op.seq);
        }
        Ok(())
    }

    /// Moves the order to `next`, refusing transitions the life cycle does not allow.
    pub fn transition(&mut self, next: WorkOrderStatus) -> Result<(), OrderError> {
        if !self.status.can_become(next) {
            return Err(OrderError::Transition {
                order: self.number.clone(),
                from: self.status.as_str(),
                to: next.as_str(),
            });
        }
        self.status = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> WorkOrder {
        WorkOrder {
            number: "WO-1".into(),
            product: "P-1".into(),
            quantity: 100,
            due_ms: 0,
            priority: 2,
            status: WorkOrderStatus::Planned,
            operations: vec![
                Operation {
                    seq: 10,
                    name: "fill".into(),
                    work_center: EquipmentPath::parse("a/b/c/l/filler").unwrap(),
                },
                Operation {
                    seq: 20,
                    name: "cap".into(),
                    work_center: EquipmentPath::parse("a/b/c/l/capper").unwrap(),
                },
            ],
        }
    }

    #[test]
    fn life_cycle_allows_only_forward_moves() {
        let mut wo = order();
        wo.transition(WorkOrderStatus::Released).unwrap();
        wo.transition(WorkOrderStatus::Running).unwrap();
        wo.transition(WorkOrderStatus::Held).unwrap();
        wo.transition(WorkOrderStatus::Running).unwrap();
        wo.transition(WorkOrderStatus::Completed).unwrap();
        let err = wo.transition(WorkOrderStatus::Running).unwrap_err();
        assert_eq!(
            err.to_string(),
            "work order WO-1: cannot go from completed to running"
        );
        assert_eq!(wo.status, WorkOrderStatus::Completed);
        assert!(!WorkOrderStatus::Planned.can_become(WorkOrderStatus::Completed));
    }

    #[test]
    fn validation_checks_routing() {
        assert!(order().validate().is_ok());
        let mut bad = order();
        bad.operations[1].seq = 10;
        assert!(matches!(bad.validate(), Err(OrderError::Sequence { .. })));
        let mut bad = order();
        bad.operations[0].work_center = EquipmentPath::parse("a/b/c/l").unwrap();
        assert!(matches!(
            bad.validate(),
            Err(OrderError::NotAWorkCenter { .. })
        ));
        let mut bad = order();
        bad.quantity = 0;
        assert!(matches!(bad.validate(), Err(OrderError::Quantity(_))));
        let mut bad = order();
        bad.operations.clear();
        assert!(matches!(bad.validate(), Err(OrderError::NoOperations(_))));
    }

    #[test]
    fn status_names_parse() {
        assert_eq!("held".parse::<WorkOrderStatus>(), Ok(WorkOrderStatus::Held));
        assert!("done".parse::<WorkOrderStatus>().is_err());
    }
}
