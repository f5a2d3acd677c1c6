//! Atomic read-modify-write of one key-value entry by compare-and-swap.
//!
//! [`CompareAndSwap`] is the small seam between the retry loop ([`update_atomically`],
//! tested natively against fakes) and the real store ([`AtomicBucket`], over
//! `wasi:keyvalue/atomics@0.2.0-draft2`).

use spin_sdk::wit::wasi::keyvalue::{atomics, store};

use super::KvError;

/// A store that can replace a value only if nobody changed it since it was read.
pub trait CompareAndSwap {
    /// One pending swap of one key (`wasi:keyvalue`'s `cas` handle).
    type Ticket;

    /// Starts a swap of `key`.
    fn begin(&self, key: &str) -> Result<Self::Ticket, KvError>;

    /// The key's value as of `ticket` (`None`: absent).
    fn current(&self, ticket: &Self::Ticket) -> Result<Option<Vec<u8>>, KvError>;

    /// Writes `value` if the key is unchanged since `ticket`; on a conflict returns a
    /// fresh ticket at the latest version.
    fn swap(&self, ticket: Self::Ticket, value: &[u8]) -> Result<(), SwapError<Self::Ticket>>;
}

/// Why a [`CompareAndSwap::swap`] did not write.
#[derive(Debug)]
pub enum SwapError<T> {
    /// Someone else wrote first; retry with this ticket.
    Conflict(T),
    /// The store failed.
    Store(KvError),
}

/// Why [`update_atomically`] gave up.
#[derive(Debug, thiserror::Error)]
pub enum CasUpdateError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] KvError),
    /// Every attempt lost to a concurrent writer.
    #[error("key-value entry `{key}` kept changing: gave up after {attempts} attempts")]
    Contended {
        /// The key.
        key: String,
        /// How many swaps were tried.
        attempts: u32,
    },
}

/// Reads `key`, lets `step` compute the new value (or `None` to leave it as it is) and a
/// result, and swaps the value in; on a conflict `step` runs again on the newer value, at
/// most `max_attempts` times. No update is ever lost to a concurrent one.
pub fn update_atomically<S: CompareAndSwap, R>(
    store: &S,
    key: &str,
    max_attempts: u32,
    mut step: impl FnMut(Option<&[u8]>) -> (Option<Vec<u8>>, R),
) -> Result<R, CasUpdateError> {
    let mut ticket = store.begin(key)?;
    for _ in 0..max_attempts {
        let current = store.current(&ticket)?;
        let (next, result) = step(current.as_deref());
        let Some(next) = next else {
            return Ok(result);
        };
        match store.swap(ticket, &next) {
            Ok(()) => return Ok(result),
            Err(SwapError::Conflict(fresh)) => ticket = fresh,
            Err(SwapError::Store(error)) => return Err(error.into()),
        }
    }
    Err(CasUpdateError::Contended {
        key: key.to_owned(),
        attempts: max_attempts,
    })
}

/// A `wasi:keyvalue` bucket (the same labels as `key_value_stores`), for atomic updates.
pub struct AtomicBucket(store::Bucket);

impl AtomicBucket {
    /// Opens the bucket with this label.
    pub fn open(label: &str) -> Result<Self, KvError> {
        store::open(label).map(Self).map_err(wasi_error)
    }
}

impl CompareAndSwap for AtomicBucket {
    type Ticket = atomics::Cas;

    fn begin(&self, key: &str) -> Result<Self::Ticket, KvError> {
        atomics::Cas::new(&self.0, key).map_err(wasi_error)
    }

    fn current(&self, ticket: &Self::Ticket) -> Result<Option<Vec<u8>>, KvError> {
        ticket.current().map_err(wasi_error)
    }

    fn swap(&self, ticket: Self::Ticket, value: &[u8]) -> Result<(), SwapError<Self::Ticket>> {
        atomics::swap(ticket, value).map_err(|e| match e {
            atomics::CasError::CasFailed(fresh) => SwapError::Conflict(fresh),
            atomics::CasError::StoreError(e) => SwapError::Store(wasi_error(e)),
        })
    }
}

fn wasi_error(error: store::Error) -> KvError {
    KvError::Wasi(match error {
        store::Error::NoSuchStore => "no such store".to_owned(),
        store::Error::AccessDenied => "access denied".to_owned(),
        store::Error::Other(message) => message,
    })
}

#[cfg(test)]
pub(crate) mod fakes {
    //! In-memory [`CompareAndSwap`] stores for native tests.

    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;

    use super::*;

    /// What a simulated concurrent writer stores, given the current value.
    pub type Writer = Box<dyn Fn(Option<&[u8]>) -> Vec<u8>>;

    /// A versioned map. While `conflicts_left` is above zero, each swap first loses to a
    /// simulated concurrent write (of `writer`'s result, or a fixed value).
    #[derive(Default)]
    pub struct FakeStore {
        pub values: RefCell<HashMap<String, (u64, Vec<u8>)>>,
        pub conflicts_left: Cell<u32>,
        pub writer: RefCell<Option<Writer>>,
        pub swaps: Cell<u32>,
        pub fail: Cell<bool>,
    }

    pub struct Ticket {
        key: String,
        version: u64,
    }

    impl FakeStore {
        fn version(&self, key: &str) -> u64 {
            self.values.borrow().get(key).map_or(0, |(v, _)| *v)
        }

        pub fn value(&self, key: &str) -> Option<Vec<u8>> {
            self.values
                .borrow()
                .get(key)
                .map(|(_, bytes)| bytes.clone())
        }

        fn write(&self, key: &str, bytes: Vec<u8>) {
            let version = self.version(key) + 1;
            self.values
                .borrow_mut()
                .insert(key.to_owned(), (version, bytes));
        }
    }

    impl CompareAndSwap for FakeStore {
        type Ticket = Ticket;

        fn begin(&self, key: &str) -> Result<Ticket, KvError> {
            if self.fail.get() {
                return Err(KvError::Wasi("down".into()));
            }
            Ok(Ticket {
                key: key.to_owned(),
                version: self.version(key),
            })
        }

        fn current(&self, ticket: &Ticket) -> Result<Option<Vec<u8>>, KvError> {
            Ok(self
                .values
                .borrow()
                .get(&ticket.key)
                .filter(|(v, _)| *v == ticket.version)
                .map(|(_, bytes)| bytes.clone()))
        }

        fn swap(&self, ticket: Ticket, value: &[u8]) -> Result<(), SwapError<Ticket>> {
            self.swaps.set(self.swaps.get() + 1);
            if self.conflicts_left.get() > 0 {
                self.conflicts_left.set(self.conflicts_left.get() - 1);
                let concurrent = match &*self.writer.borrow() {
                    Some(writer) => writer(self.value(&ticket.key).as_deref()),
                    None => b"concurrent".to_vec(),
                };
                self.write(&ticket.key, concurrent);
            }
            if self.version(&ticket.key) != ticket.version {
                let fresh = Ticket {
                    version: self.version(&ticket.key),
                    key: ticket.key,
                };
                return Err(SwapError::Conflict(fresh));
            }
            self.write(&ticket.key, value.to_vec());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fakes::FakeStore;
    use super::*;

    /// Appends one byte to the value; returns the length it saw.
    fn append(store: &FakeStore, byte: u8, attempts: u32) -> Result<usize, CasUpdateError> {
        update_atomically(store, "k", attempts, |current| {
            let mut value = current.unwrap_or_default().to_vec();
            let seen = value.len();
            value.push(byte);
            (Some(value), seen)
        })
    }

    #[test]
    fn writes_when_uncontended() {
        let store = FakeStore::default();
        assert_eq!(append(&store, b'a', 1).unwrap(), 0);
        assert_eq!(append(&store, b'b', 1).unwrap(), 1);
        assert_eq!(store.value("k").unwrap(), b"ab");
    }

    #[test]
    fn a_conflict_reruns_the_step_on_the_newer_value() {
        let store = FakeStore::default();
        append(&store, b'a', 1).unwrap();
        store.conflicts_left.set(2);
        *store.writer.borrow_mut() = Some(Box::new(|v| [v.unwrap_or_default(), b"x"].concat()));
        assert_eq!(
            append(&store, b'b', 5).unwrap(),
            3,
            "saw both concurrent writes"
        );
        assert_eq!(store.value("k").unwrap(), b"axxb", "no update was lost");
        assert_eq!(store.swaps.get(), 4);
    }

    #[test]
    fn gives_up_after_max_attempts() {
        let store = FakeStore::default();
        store.conflicts_left.set(10);
        let err = append(&store, b'a', 3).unwrap_err();
        assert!(
            matches!(err, CasUpdateError::Contended { attempts: 3, .. }),
            "{err}"
        );
        assert_eq!(store.swaps.get(), 3);
    }

    #[test]
    fn a_step_may_decline_to_write() {
        let store = FakeStore::default();
        let seen = update_atomically(&store, "k", 3, |current| (None, current.is_none()));
        assert!(seen.unwrap());
        assert_eq!(store.swaps.get(), 0);
        assert_eq!(store.value("k"), None);
    }

    #[test]
    fn store_failures_surface() {
        let store = FakeStore::default();
        store.fail.set(true);
        assert!(matches!(
            append(&store, b'a', 3),
            Err(CasUpdateError::Store(_))
        ));
    }
}
