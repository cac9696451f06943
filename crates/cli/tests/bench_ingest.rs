//! `takt bench ingest` end to end against a Mosquitto of its own: at a modest rate nothing is lost, in both
//! formats, and the report has every figure the benchmark promises.

mod common;
use common::Mosquitto;
use std::process::Command;

fn bench(port: u16, format: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_takt"))
        .args([
            "bench",
            "ingest",
            "--broker",
            &format!("mqtt://127.0.0.1:{port}"),
        ])
        .args([
            "--rate",
            "400",
            "--seconds",
            "2",
            "--work-centers",
            "20",
            "--format",
            format,
        ])
        .output()
        .expect("run takt bench ingest");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn uns_and_sparkplug_arrive_complete_with_latency_and_cpu_reported() {
    let broker = Mosquitto::start();
    for format in ["uns", "sparkplug"] {
        let out = bench(broker.1, format);
        assert!(out.contains("sent 800 in"), "{out}");
        assert!(out.contains("received 800, lost 0,"), "{format}: {out}");
        assert!(out.contains("latency publish -> plant state: p50"), "{out}");
        assert!(out.contains("% of one core"), "{out}");
    }
}
