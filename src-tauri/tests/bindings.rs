//! The UI's generated bindings must match the Rust commands and types.
//! Regenerate with `TAKT_UPDATE_BINDINGS=1 cargo test -p takt-desktop --test bindings`.

use std::path::PathBuf;

#[test]
fn ui_bindings_are_current() {
    let generated = takt_desktop::typescript_bindings().expect("bindings export");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts");
    if std::env::var_os("TAKT_UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).expect("write bindings");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "ui/src/bindings.ts is stale: run `TAKT_UPDATE_BINDINGS=1 cargo test -p takt-desktop --test bindings` and commit it"
    );
    for name in [
        "getSnapshot",
        "getSettings",
        "saveSettings",
        "restartApp",
        "plantUpdate",
        "PlantSnapshot",
        "TaktError",
    ] {
        assert!(generated.contains(name), "bindings lack {name}");
    }
}
