//! Products and their ideal cycle times.

use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Product {
    /// Material number, e.g. `P-1001`.
    pub code: String,
    pub name: String,
    /// Ideal (design) cycle time for one good part at the line's constraint, in milliseconds.
    pub ideal_cycle_ms: u32,
}

impl Product {
    /// Parts an ideal line makes in `working_ms` of production time.
    pub fn ideal_output(&self, working_ms: i64) -> u64 {
        if self.ideal_cycle_ms == 0 || working_ms <= 0 {
            return 0;
        }
        (working_ms as u64) / u64::from(self.ideal_cycle_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ideal_output_is_whole_parts() {
        let p = Product {
            code: "P".into(),
            name: "p".into(),
            ideal_cycle_ms: 2_500,
        };
        assert_eq!(p.ideal_output(10_000), 4);
        assert_eq!(p.ideal_output(9_999), 3);
        assert_eq!(p.ideal_output(-5), 0);
        let broken = Product {
            ideal_cycle_ms: 0,
            ..p
        };
        assert_eq!(broken.ideal_output(10_000), 0);
    }
}
