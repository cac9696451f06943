//! Products and work orders with their routings.
//!
//! Upserts come from the ERP side (or the demo seed) and overwrite what is stored, status
//! included; status changes made on the floor go through [`Store::set_order_status`], which
//! enforces the order life cycle.

use crate::error::{QueryContext, Result, StoreError, corrupt, int_from_db};
use crate::{Store, now_ms};
use std::collections::HashMap;
use takt_model::{
    EquipmentPath, Level, Operation, OrderError, Product, WorkOrder, WorkOrderStatus,
};

type OrderRow = (String, String, i64, i64, i64, String);

impl Store {
    /// Inserts or updates products by code, in one transaction.
    pub async fn upsert_products(&self, products: &[Product]) -> Result<()> {
        const ACTION: &str = "saving products";
        let mut tx = self.write_tx(ACTION).await?;
        for product in products {
            sqlx::query(
                "INSERT INTO products (code, name, ideal_cycle_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, ideal_cycle_ms = excluded.ideal_cycle_ms",
            )
            .bind(&product.code)
            .bind(&product.name)
            .bind(i64::from(product.ideal_cycle_ms))
            .execute(&mut *tx)
            .await
            .during(ACTION)?;
        }
        tx.commit().await.during(ACTION)
    }

    /// Every product, by code.
    pub async fn products(&self) -> Result<Vec<Product>> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT code, name, ideal_cycle_ms FROM products ORDER BY code")
                .fetch_all(self.pool())
                .await
                .during("loading products")?;
        rows.into_iter()
            .map(|(code, name, cycle)| {
                let ideal_cycle_ms =
                    int_from_db(cycle, || format!("product {code}: ideal cycle time"))?;
                Ok(Product {
                    code,
                    name,
                    ideal_cycle_ms,
                })
            })
            .collect()
    }

    /// Inserts or replaces work orders and their routings, in one transaction.
    ///
    /// Every order is validated first; products and work centers must already be stored.
    pub async fn upsert_work_orders(&self, orders: &[WorkOrder]) -> Result<()> {
        const ACTION: &str = "saving work orders";
        for order in orders {
            order.validate()?;
        }
        let now = now_ms();
        let mut tx = self.write_tx(ACTION).await?;
        for order in orders {
            // Checked here rather than left to the foreign keys, whose error names neither.
            let product: Option<String> =
                sqlx::query_scalar("SELECT code FROM products WHERE code = $1")
                    .bind(&order.product)
                    .fetch_optional(&mut *tx)
                    .await
                    .during(ACTION)?;
            if product.is_none() {
                return Err(StoreError::NotFound {
                    what: format!("product `{}` of work order {}", order.product, order.number),
                });
            }
            for op in &order.operations {
                let level: Option<String> =
                    sqlx::query_scalar("SELECT level FROM equipment WHERE path = $1")
                        .bind(op.work_center.as_str())
                        .fetch_optional(&mut *tx)
                        .await
                        .during(ACTION)?;
                if level.is_none() {
                    return Err(StoreError::NotFound {
                        what: format!(
                            "work center `{}` (work order {}, operation {}); save the plant first",
                            op.work_center, order.number, op.seq
                        ),
                    });
                }
            }
            sqlx::query(
                "INSERT INTO work_orders (number, product, quantity, due_ms, priority, status, created_ms, updated_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                 ON CONFLICT (number) DO UPDATE SET product = excluded.product, quantity = excluded.quantity, \
                 due_ms = excluded.due_ms, priority = excluded.priority, status = excluded.status, \
                 updated_ms = excluded.updated_ms",
            )
            .bind(&order.number)
            .bind(&order.product)
            .bind(i64::from(order.quantity))
            .bind(order.due_ms)
            .bind(i64::from(order.priority))
            .bind(order.status.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await
            .during(ACTION)?;
            sqlx::query("DELETE FROM operations WHERE order_number = $1")
                .bind(&order.number)
                .execute(&mut *tx)
                .await
                .during(ACTION)?;
            for op in &order.operations {
                sqlx::query("INSERT INTO operations (order_number, seq, name, work_center) VALUES ($1, $2, $3, $4)")
                    .bind(&order.number)
                    .bind(i64::from(op.seq))
                    .bind(&op.name)
                    .bind(op.work_center.as_str())
                    .execute(&mut *tx)
                    .await
                    .during(ACTION)?;
            }
        }
        tx.commit().await.during(ACTION)
    }

    /// Every work order with its routing: most urgent first (priority, then due time).
    pub async fn work_orders(&self) -> Result<Vec<WorkOrder>> {
        const ACTION: &str = "loading work orders";
        let rows: Vec<OrderRow> = sqlx::query_as(
            "SELECT number, product, quantity, due_ms, priority, status FROM work_orders \
             ORDER BY priority, due_ms, number",
        )
        .fetch_all(self.pool())
        .await
        .during(ACTION)?;
        let ops: Vec<(String, i64, String, String)> = sqlx::query_as(
            "SELECT order_number, seq, name, work_center FROM operations ORDER BY order_number, seq",
        )
        .fetch_all(self.pool())
        .await
        .during(ACTION)?;
        let mut routings: HashMap<String, Vec<Operation>> = HashMap::new();
        for (number, seq, name, work_center) in ops {
            let op = operation(&number, seq, name, &work_center)?;
            routings.entry(number).or_default().push(op);
        }
        rows.into_iter()
            .map(|row| {
                let operations = routings.remove(&row.0).unwrap_or_default();
                order(row, operations)
            })
            .collect()
    }

    /// One work order with its routing, or `None` when the number is unknown.
    pub async fn work_order(&self, number: &str) -> Result<Option<WorkOrder>> {
        const ACTION: &str = "loading a work order";
        let row: Option<OrderRow> = sqlx::query_as(
            "SELECT number, product, quantity, due_ms, priority, status FROM work_orders WHERE number = $1",
        )
        .bind(number)
        .fetch_optional(self.pool())
        .await
        .during(ACTION)?;
        let Some(row) = row else { return Ok(None) };
        let ops: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT seq, name, work_center FROM operations WHERE order_number = $1 ORDER BY seq",
        )
        .bind(number)
        .fetch_all(self.pool())
        .await
        .during(ACTION)?;
        let operations = ops
            .into_iter()
            .map(|(seq, name, wc)| operation(number, seq, name, &wc))
            .collect::<Result<Vec<_>>>()?;
        order(row, operations).map(Some)
    }

    /// Moves an order to `next` if its life cycle allows it from the stored status.
    ///
    /// Fails with [`StoreError::NotFound`] for an unknown order and with
    /// [`OrderError::Transition`] (as [`StoreError::InvalidOrder`]) for a refused move.
    pub async fn set_order_status(&self, number: &str, next: WorkOrderStatus) -> Result<()> {
        const ACTION: &str = "changing a work order's status";
        let mut tx = self.write_tx(ACTION).await?;
        let current: Option<String> =
            sqlx::query_scalar("SELECT status FROM work_orders WHERE number = $1")
                .bind(number)
                .fetch_optional(&mut *tx)
                .await
                .during(ACTION)?;
        let Some(current) = current else {
            return Err(StoreError::NotFound {
                what: format!("work order {number}"),
            });
        };
        let current = parse_status(number, &current)?;
        if !current.can_become(next) {
            return Err(OrderError::Transition {
                order: number.to_owned(),
                from: current.as_str(),
                to: next.as_str(),
            }
            .into());
        }
        sqlx::query("UPDATE work_orders SET status = $1, updated_ms = $2 WHERE number = $3")
            .bind(next.as_str())
            .bind(now_ms())
            .bind(number)
            .execute(&mut *tx)
            .await
            .during(ACTION)?;
        tx.commit().await.during(ACTION)
    }
}

fn parse_status(number: &str, status: &str) -> Result<WorkOrderStatus> {
    status
        .parse()
        .map_err(|e| corrupt(format!("work order {number}: {e}")))
}

fn order(
    (number, product, quantity, due_ms, priority, status): OrderRow,
    operations: Vec<Operation>,
) -> Result<WorkOrder> {
    Ok(WorkOrder {
        status: parse_status(&number, &status)?,
        quantity: int_from_db(quantity, || format!("work order {number}: quantity"))?,
        priority: int_from_db(priority, || format!("work order {number}: priority"))?,
        number,
        product,
        due_ms,
        operations,
    })
}

fn operation(number: &str, seq: i64, name: String, work_center: &str) -> Result<Operation> {
    let work_center = EquipmentPath::parse(work_center)
        .ok()
        .filter(|p| p.level() == Level::WorkCenter)
        .ok_or_else(|| {
            corrupt(format!(
                "work order {number}: operation routed to `{work_center}`, not a work center"
            ))
        })?;
    let seq = int_from_db(seq, || {
        format!("work order {number}: operation sequence number")
    })?;
    Ok(Operation {
        seq,
        name,
        work_center,
    })
}
