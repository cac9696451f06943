//! The demo plant: a believable factory for first starts, demos and load tests.
//!
//! - [`demo`] describes it (hierarchy, products, shift calendar, work orders); the app
//!   seeds its database from the same description the simulator runs.
//! - [`simulator`] is a deterministic, time-stepped model of the lines (cycles, micro-stops,
//!   breakdowns with reasons, changeovers, scrap, breaks, shift handovers, orders that
//!   complete); it returns feed events and knows nothing about MQTT.
//! - [`publisher`] runs the simulator against a clock and publishes its events to any
//!   broker in the Unified Namespace format.
//! - [`broker`] starts an embedded MQTT broker (rumqttd) on a free loopback port.

pub mod broker;
pub mod demo;
pub mod publisher;
pub mod simulator;

pub use broker::{EmbeddedBroker, EmbeddedBrokerError};
pub use demo::{DemoDataset, SITE_TIMEZONE};
pub use publisher::{PublisherOptions, PublisherStats, run_publisher, run_simulator};
pub use simulator::{SimOptions, Simulator};
