//! `takt bench birth-storm` end to end against a Mosquitto of its own: a small storm of 1 MB births goes all
//! the way through the Sparkplug ingest path, and the ingest side's memory stays far below what holding the
//! births would take.

mod common;
use common::Mosquitto;
use std::process::Command;

/// The number after `label` in `text`, e.g. `peak sampled 70.7 MB` → 70.7.
fn number_after(text: &str, label: &str) -> f64 {
    let rest = text
        .split_once(label)
        .unwrap_or_else(|| panic!("`{label}` not in:\n{text}"))
        .1;
    let number: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '+' || *c == '-')
        .collect();
    number
        .parse()
        .unwrap_or_else(|_| panic!("no number after `{label}` in:\n{text}"))
}

#[test]
fn a_small_storm_of_1_mb_births_is_processed_with_bounded_memory() {
    let broker = Mosquitto::start();
    let out = Command::new(env!("CARGO_BIN_EXE_takt"))
        .args([
            "bench",
            "birth-storm",
            "--broker",
            &format!("mqtt://127.0.0.1:{}", broker.1),
        ])
        .args(["--births", "20", "--size-mb", "1", "--nodes", "4"])
        .output()
        .expect("run takt bench birth-storm");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("sent 20 (") && stdout.contains("processed 20, lost 0,"),
        "{stdout}"
    );
    assert!(stdout.contains("MB/s"), "{stdout}");
    // 20 MB went through. The host keeps the last birth of each node and device (4 nodes × 2 × 1 MB, a few
    // times that decoded), so a generous bound is still far below holding the storm several times over.
    let peak = number_after(&stdout, "VmHWM");
    assert!(peak > 0.0 && peak < 250.0, "peak RSS {peak} MB:\n{stdout}");
    let growth = number_after(&stdout, "to the end:");
    assert!(growth.is_finite(), "{stdout}");
}
