//! `sqlx::migrate!` embeds the migrations at compile time; without this, editing a
//! migration would not rebuild the crate and the binary would ship the old schema.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations/sqlite");
}
