//! Runs `takt plan …` without the `takt` binary, e.g.
//! `cargo run --release -p takt-plan --example jobshop_bench -- bench --jobshop ../shared/data/jobshop`.

use clap::Parser;
use takt_plan::cli::{PlanCommand, run};

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    cmd: PlanCommand,
}

fn main() -> std::process::ExitCode {
    match run(Args::parse().cmd) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
