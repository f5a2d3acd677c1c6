//! Mapping result rows to structs.

use fabula_domain::{TenantId, Timestamp};
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

/// The named column converted to `T`, or `None` when it is SQL `NULL`.
pub fn nullable_column<'a, T: TryFrom<&'a Value>>(
    row: &Row<'a>,
    name: &str,
) -> Result<Option<T>, DbError> {
    match row.get::<&Value>(name) {
        None => Err(DbError::column(name, "missing")),
        Some(Value::Null) => Ok(None),
        Some(value) => T::try_from(value)
            .map(Some)
            .map_err(|_| DbError::column(name, "of an unexpected type")),
    }
}

/// The named text column parsed as an RFC 3339 timestamp.
pub fn timestamp_column(row: &Row<'_>, name: &str) -> Result<Timestamp, DbError> {
    parse_timestamp(name, column(row, name)?)
}

/// The named text column parsed as an RFC 3339 timestamp, or `None` when `NULL`.
pub fn nullable_timestamp_column(row: &Row<'_>, name: &str) -> Result<Option<Timestamp>, DbError> {
    nullable_column(row, name)?
        .map(|text| parse_timestamp(name, text))
        .transpose()
}

/// The named text column as a [`TenantId`].
pub fn tenant_id_column(row: &Row<'_>, name: &str) -> Result<TenantId, DbError> {
    parse_tenant_id(name, column(row, name)?)
}

/// The named text column as a [`TenantId`], or `None` when `NULL`.
pub fn nullable_tenant_id_column(row: &Row<'_>, name: &str) -> Result<Option<TenantId>, DbError> {
    nullable_column(row, name)?
        .map(|text| parse_tenant_id(name, text))
        .transpose()
}

fn parse_tenant_id(name: &str, text: &str) -> Result<TenantId, DbError> {
    TenantId::parse(text).map_err(|e| DbError::column(name, e.to_string()))
}

fn parse_timestamp(name: &str, text: &str) -> Result<Timestamp, DbError> {
    Timestamp::parse(text).map_err(|e| DbError::column(name, e.to_string()))
}

#[cfg(test)]
mod tests {
    use spin_sdk::sqlite::{QueryResult, RowResult};

    use super::*;

    fn result(values: Vec<Value>) -> QueryResult {
        QueryResult {
            columns: vec!["a".into()],
            rows: vec![RowResult { values }],
        }
    }

    #[test]
    fn nullable_columns_tell_null_from_missing_and_mistyped() {
        let null = result(vec![Value::Null]);
        let row = null.rows().next().unwrap();
        assert_eq!(nullable_column::<&str>(&row, "a").unwrap(), None);
        assert!(nullable_column::<&str>(&row, "b").is_err());
        assert!(column::<&str>(&row, "a").is_err());

        let number = result(vec![Value::Integer(7)]);
        let row = number.rows().next().unwrap();
        assert_eq!(nullable_column::<i64>(&row, "a").unwrap(), Some(7));
        assert!(nullable_column::<&str>(&row, "a").is_err());
    }

    #[test]
    fn tenant_ids_are_validated() {
        let ok = result(vec![Value::Text("acme".into())]);
        let row = ok.rows().next().unwrap();
        assert_eq!(tenant_id_column(&row, "a").unwrap().as_str(), "acme");
        let null = result(vec![Value::Null]);
        let row = null.rows().next().unwrap();
        assert_eq!(nullable_tenant_id_column(&row, "a").unwrap(), None);
        assert!(tenant_id_column(&row, "a").is_err());
        let bad = result(vec![Value::Text("A:B".into())]);
        assert!(tenant_id_column(&bad.rows().next().unwrap(), "a").is_err());
    }

    #[test]
    fn timestamps_parse_or_fail_naming_the_column() {
        let ok = result(vec![Value::Text("2025-01-01T00:00:00.000Z".into())]);
        let row = ok.rows().next().unwrap();
        assert_eq!(
            timestamp_column(&row, "a").unwrap().to_string(),
            "2025-01-01T00:00:00.000Z"
        );
        assert!(nullable_timestamp_column(&row, "a").unwrap().is_some());
        let null = result(vec![Value::Null]);
        assert_eq!(
            nullable_timestamp_column(&null.rows().next().unwrap(), "a").unwrap(),
            None
        );
        let bad = result(vec![Value::Text("yesterday".into())]);
        let err = timestamp_column(&bad.rows().next().unwrap(), "a").unwrap_err();
        assert!(err.to_string().contains("`a`"), "{err}");
    }
}
