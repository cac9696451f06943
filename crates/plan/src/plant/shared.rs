//! [`ChunkVec`]: a vector stored as reference-counted chunks, so cloning a plan (branching a scenario, taking
//! an undo snapshot) copies one pointer per chunk, and a write copies only the chunk it touches.

use std::sync::Arc;

const CHUNK: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkVec<T> {
    chunks: Vec<Arc<Vec<T>>>,
}

impl<T: Clone + PartialEq> ChunkVec<T> {
    pub fn from_vec(values: Vec<T>) -> Self {
        let chunks = values.chunks(CHUNK).map(|c| Arc::new(c.to_vec())).collect();
        Self { chunks }
    }

    pub fn filled(value: T, len: usize) -> Self {
        Self::from_vec(vec![value; len])
    }

    #[inline]
    pub fn get(&self, i: usize) -> &T {
        &self.chunks[i / CHUNK][i % CHUNK]
    }

    /// Writes `value`; returns whether it differed (an equal write shares the chunk still).
    #[inline]
    pub fn set(&mut self, i: usize, value: T) -> bool {
        if *self.get(i) == value {
            return false;
        }
        Arc::make_mut(&mut self.chunks[i / CHUNK])[i % CHUNK] = value;
        true
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// How many chunks `self` and `other` still share (for tests of structural sharing).
    pub fn shared_chunks(&self, other: &Self) -> usize {
        self.chunks
            .iter()
            .zip(&other.chunks)
            .filter(|(a, b)| Arc::ptr_eq(a, b))
            .count()
    }

    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_until_written() {
        let a = ChunkVec::from_vec((0..1000u32).collect());
        let mut b = a.clone();
        assert_eq!(b.shared_chunks(&a), a.chunk_count());
        assert!(!b.set(3, 3));
        assert_eq!(b.shared_chunks(&a), a.chunk_count());
        assert!(b.set(3, 7));
        assert_eq!(b.shared_chunks(&a), a.chunk_count() - 1);
        assert_eq!((*a.get(3), *b.get(3)), (3, 7));
        assert_eq!(b.iter().copied().sum::<u32>(), (0..1000).sum::<u32>() + 4);
    }
}
