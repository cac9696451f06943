//! Helpers shared by the CLI's integration tests.
#![allow(dead_code)] // each test file uses a different part

use std::net::TcpListener;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A Mosquitto of the test's own on a free port (the benchmarks must not share the broker
/// other tests use); stopped when dropped.
pub struct Mosquitto(Child, pub u16);

impl Mosquitto {
    pub fn start() -> Mosquitto {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let binary = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("mosquitto");
        let child = Command::new(binary)
            .args(["-p", &port.to_string()])
            .spawn()
            .expect("start mosquitto");
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "mosquitto did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Mosquitto(child, port)
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
