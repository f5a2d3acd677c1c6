//! Seeded, platform-independent random choices (the same on native and wasm32).

/// FNV-1a over bytes: a stable hash for deriving seeds from text.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A seeded random source. Only `u64` draws are used, so results do not depend on the
/// platform's pointer width.
#[derive(Debug, Clone)]
pub struct Dice(fastrand::Rng);

impl Dice {
    /// A source seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Dice(fastrand::Rng::with_seed(seed))
    }

    /// An independent source for one named purpose, derived from this one's seed and `label`.
    pub fn derive(&self, label: &str) -> Self {
        let mut copy = self.0.clone();
        Dice::new(copy.u64(..) ^ stable_hash(label.as_bytes()))
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.0.u64(..n as u64) as usize
        }
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high.saturating_sub(low) + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One item of a non-empty slice.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// Shuffles in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// Draws indices `0..len` without repeats until all are used, then reshuffles: spreads
/// template use evenly so no template repeats before the others have been used.
#[derive(Debug, Clone)]
pub struct Bag {
    order: Vec<usize>,
    next: usize,
}

impl Bag {
    /// A bag of `len` indices.
    pub fn new(len: usize) -> Self {
        Bag {
            order: (0..len).collect(),
            next: len,
        }
    }

    /// The next index (0 when the bag is empty).
    pub fn draw(&mut self, dice: &mut Dice) -> usize {
        if self.order.is_empty() {
            return 0;
        }
        if self.next >= self.order.len() {
            let last = self.order.last().copied();
            dice.shuffle(&mut self.order);
            // Avoid drawing the same index twice in a row across a reshuffle.
            if self.order.len() > 1 && self.order.first().copied() == last {
                self.order.swap(0, 1);
            }
            self.next = 0;
        }
        self.next += 1;
        self.order[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_numbers() {
        let draws = |seed| {
            let mut d = Dice::new(seed);
            (0..20).map(|_| d.below(1000)).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
    }

    #[test]
    fn a_bag_uses_every_index_before_repeating() {
        let mut dice = Dice::new(1);
        let mut bag = Bag::new(5);
        let mut first: Vec<usize> = (0..5).map(|_| bag.draw(&mut dice)).collect();
        first.sort();
        assert_eq!(first, vec![0, 1, 2, 3, 4]);
    }
}
