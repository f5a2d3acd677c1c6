//! Mapping result rows to structs.

use spin_sdk::sqlite::{Row, Value};

use super::DbError;

/// A type built from one result row.
pub trait FromRow: Sized {
    /// Maps the row, failing with [`DbError::Column`] on a missing or ill-typed column.
    fn from_row(row: &Row<'_>) -> Result<Self, DbError>;
}

/// The named column converted to `T` (`&str`, integers, `f64`, `bool`, `&[u8]`).
pub fn column<'a, T: TryFrom<&'a Value>>(row: &Row<'a>, name: &str) -> Result<T, DbError> {
    row.get::<T>(name)
        .ok_or_else(|| DbError::column(name, "missing or of an unexpected type"))
}
