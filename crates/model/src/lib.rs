//! Takt's domain model: the vocabulary every other crate speaks.
//!
//! Everything here is plain data with rules attached (validation, state transitions,
//! shift arithmetic). No I/O, no async: the model is tested exhaustively in isolation.

pub mod equipment;
pub mod event;
pub mod order;
pub mod product;
pub mod shift;
pub mod state;

pub use equipment::{Area, EquipmentPath, Level, Line, PathError, Plant, Site, WorkCenter};
pub use event::{CounterKind, FeedEvent, FeedPayload};
pub use order::{Operation, OrderError, WorkOrder, WorkOrderStatus};
pub use product::Product;
pub use shift::{ShiftBreak, ShiftCalendar, ShiftError, ShiftInstance, ShiftPattern};
pub use state::{CounterDelta, StateKind, WorkCenterState};

/// Milliseconds since the Unix epoch, UTC. The wire format of every timestamp in Takt.
pub type TimestampMs = i64;
