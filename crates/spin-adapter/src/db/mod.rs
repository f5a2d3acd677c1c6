//! SQLite: bound-parameter queries, row → struct mapping and per-scope migrations.
//!
//! Every statement takes its data as bound parameters ([`Value`]); SQL text is always a
//! constant. Each `execute` runs exactly one statement.

mod migrate;
mod row;

pub use migrate::Migration;
pub use row::{
    FromRow, column, nullable_column, nullable_tenant_id_column, nullable_timestamp_column,
    tenant_id_column, timestamp_column,
};
pub use spin_sdk::sqlite::{Row, Value};

use spin_sdk::sqlite::{Connection, QueryResult};

use crate::ApiError;

/// A SQLite failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database failed (unknown label, access denied, SQL or I/O error).
    #[error("SQLite error: {0}")]
    Sqlite(#[from] spin_sdk::sqlite::Error),
    /// A column is missing or holds a value of an unexpected type or shape.
    #[error("column `{column}`: {problem}")]
    Column {
        /// The column name.
        column: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The migration list or the recorded migration state is inconsistent.
    #[error("migrations of scope `{scope}`: {problem}")]
    Migrations {
        /// The component's migration scope.
        scope: String,
        /// What is wrong.
        problem: String,
    },
    /// A number does not fit SQLite's signed 64-bit INTEGER.
    #[error("integer {0} does not fit a SQLite INTEGER")]
    IntegerOutOfRange(u64),
}

impl DbError {
    /// A column whose stored value cannot be mapped.
    pub fn column(column: &str, problem: impl Into<String>) -> Self {
        Self::Column {
            column: column.to_owned(),
            problem: problem.into(),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        ApiError::internal(error)
    }
}

/// A text parameter.
pub fn text(value: impl Into<String>) -> Value {
    Value::Text(value.into())
}

/// A text parameter, or SQL `NULL` for `None`.
pub fn nullable_text(value: Option<impl Into<String>>) -> Value {
    value.map_or(Value::Null, text)
}

/// An unsigned integer parameter (fails above `i64::MAX`).
pub fn integer(value: u64) -> Result<Value, DbError> {
    i64::try_from(value)
        .map(Value::Integer)
        .map_err(|_| DbError::IntegerOutOfRange(value))
}

/// An open SQLite database.
pub struct Db {
    conn: Connection,
}

impl Db {
    /// Opens the database with this label (as listed in the component's `sqlite_databases`).
    pub fn open(label: &str) -> Result<Self, DbError> {
        Ok(Self {
            conn: Connection::open(label)?,
        })
    }

    /// Opens the `default` database.
    pub fn open_default() -> Result<Self, DbError> {
        Self::open("default")
    }

    /// Runs one statement with bound parameters.
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<QueryResult, DbError> {
        Ok(self.conn.execute(sql, params)?)
    }

    /// Runs a query and maps every row.
    pub fn query<T: FromRow>(&self, sql: &str, params: &[Value]) -> Result<Vec<T>, DbError> {
        let result = self.execute(sql, params)?;
        result.rows().map(|row| T::from_row(&row)).collect()
    }

    /// Runs a query and maps its first row, if any.
    pub fn query_optional<T: FromRow>(
        &self,
        sql: &str,
        params: &[Value],
    ) -> Result<Option<T>, DbError> {
        let result = self.execute(sql, params)?;
        result
            .rows()
            .next()
            .map(|row| T::from_row(&row))
            .transpose()
    }
}
