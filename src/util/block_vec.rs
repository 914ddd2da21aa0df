//! A growable list kept in fixed-size blocks.
//!
//! A `Vec` that doubles holds its old and its new buffer together while it copies: for a list
//! of a few hundred thousand large elements that is a transient peak of three times the list.
//! A [`BlockVec`] only ever allocates one block more, and never moves what it holds.

/// Elements per block.
const BLOCK: usize = 4096;

/// A list of `T` in blocks of [`BLOCK`] elements, indexed like a `Vec`.
#[derive(Debug)]
pub struct BlockVec<T> {
    blocks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for BlockVec<T> {
    fn default() -> Self {
        BlockVec {
            blocks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> BlockVec<T> {
    /// An empty list.
    pub fn new() -> BlockVec<T> {
        BlockVec::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Add an element at the end; returns its index.
    pub fn push(&mut self, value: T) -> usize {
        match self.blocks.last_mut() {
            Some(block) if block.len() < BLOCK => block.push(value),
            _ => {
                // The first block grows as a Vec does (small lists stay small); later ones are
                // made whole at once.
                let mut block = if self.blocks.is_empty() {
                    Vec::new()
                } else {
                    Vec::with_capacity(BLOCK)
                };
                block.push(value);
                self.blocks.push(block);
            }
        }
        self.len += 1;
        self.len - 1
    }

    /// The element at `index`.
    pub fn get(&self, index: usize) -> Option<&T> {
        self.blocks.get(index / BLOCK)?.get(index % BLOCK)
    }

    /// The element at `index`, to change.
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.blocks.get_mut(index / BLOCK)?.get_mut(index % BLOCK)
    }

    /// The elements in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.blocks.iter().flatten()
    }
}

impl<T> IntoIterator for BlockVec<T> {
    type Item = T;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<T>>>;

    /// The elements in order; each block is freed once it has been read.
    fn into_iter(self) -> Self::IntoIter {
        self.blocks.into_iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::{BlockVec, BLOCK};

    #[test]
    fn indexes_and_iterates_across_blocks() {
        let mut list = BlockVec::new();
        let n = 2 * BLOCK + 7;
        for i in 0..n {
            assert_eq!(list.push(i * 3), i);
        }
        assert_eq!(list.len(), n);
        assert_eq!(list.get(BLOCK), Some(&(BLOCK * 3)));
        assert_eq!(list.get(n), None);
        *list.get_mut(BLOCK + 1).unwrap() = 1;
        assert_eq!(list.get(BLOCK + 1), Some(&1));
        assert_eq!(list.iter().count(), n);
        let back: Vec<usize> = list.into_iter().collect();
        assert_eq!(back.len(), n);
        assert_eq!(back[n - 1], (n - 1) * 3);
        assert_eq!(back[BLOCK + 1], 1);
    }

    #[test]
    fn later_blocks_never_grow() {
        let mut list = BlockVec::new();
        for i in 0..BLOCK + 1 {
            list.push(i);
        }
        assert_eq!(list.blocks[1].capacity(), BLOCK);
    }
}
