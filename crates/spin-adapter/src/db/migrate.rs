//! Versioned schema migrations, tracked per component scope in `schema_migrations`.

use fabula_domain::Timestamp;

use super::{Db, DbError, column, integer, text};

/// One schema step: its version (strictly increasing within a scope, from 1) and its
/// statements, one statement per entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Version this migration brings the scope to.
    pub version: u32,
    /// The SQL statements, run in order. Prefer `IF NOT EXISTS` forms.
    pub statements: &'static [&'static str],
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
     scope TEXT NOT NULL, \
     version INTEGER NOT NULL, \
     applied_at TEXT NOT NULL, \
     PRIMARY KEY (scope, version))";
const CURRENT_VERSION: &str =
    "SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations WHERE scope = ?";
const RECORD: &str = "INSERT INTO schema_migrations (scope, version, applied_at) VALUES (?, ?, ?)";

impl Db {
    /// Brings `scope` up to the last of `migrations`.
    ///
    /// Up to date costs one SELECT. Otherwise the pending migrations run inside one
    /// `BEGIN IMMEDIATE` transaction, re-checking the version under the write lock so
    /// concurrent instances never apply a step twice; any failure rolls back.
    pub fn migrate(&self, scope: &str, migrations: &[Migration]) -> Result<(), DbError> {
        check_order(scope, migrations)?;
        let current = match self.current_version(scope) {
            Ok(version) => version,
            // Most likely the table does not exist yet; a real failure repeats below.
            Err(_) => {
                self.execute(CREATE_TABLE, &[])?;
                self.current_version(scope)?
            }
        };
        if pending(migrations, current).is_empty() {
            return Ok(());
        }
        self.execute("BEGIN IMMEDIATE", &[])?;
        let result = self
            .apply_pending(scope, migrations)
            .and_then(|()| self.execute("COMMIT", &[]).map(drop));
        if result.is_err() {
            // Best effort: the original error is the one worth reporting.
            let _ = self.execute("ROLLBACK", &[]);
        }
        result
    }

    fn apply_pending(&self, scope: &str, migrations: &[Migration]) -> Result<(), DbError> {
        let current = self.current_version(scope)?;
        for migration in pending(migrations, current) {
            for statement in migration.statements {
                self.execute(statement, &[])?;
            }
            let applied_at = Timestamp::now().to_string();
            self.execute(
                RECORD,
                &[
                    text(scope),
                    integer(migration.version.into())?,
                    text(applied_at),
                ],
            )?;
        }
        Ok(())
    }

    fn current_version(&self, scope: &str) -> Result<u32, DbError> {
        let result = self.execute(CURRENT_VERSION, &[text(scope)])?;
        let version = match result.rows().next() {
            Some(row) => column::<i64>(&row, "version")?,
            None => 0,
        };
        u32::try_from(version).map_err(|_| DbError::Migrations {
            scope: scope.to_owned(),
            problem: format!("recorded version {version} is out of range"),
        })
    }
}

/// Migrations must have strictly increasing versions starting above 0.
fn check_order(scope: &str, migrations: &[Migration]) -> Result<(), DbError> {
    let mut previous = 0;
    for migration in migrations {
        if migration.version <= previous {
            return Err(DbError::Migrations {
                scope: scope.to_owned(),
                problem: format!("version {} does not follow {previous}", migration.version),
            });
        }
        previous = migration.version;
    }
    Ok(())
}

/// The migrations after `current` (the list is ordered, see [`check_order`]).
fn pending(migrations: &[Migration], current: u32) -> &[Migration] {
    let start = migrations.partition_point(|m| m.version <= current);
    &migrations[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn m(version: u32) -> Migration {
        Migration {
            version,
            statements: &[],
        }
    }

    #[test]
    fn order_must_strictly_increase_from_one() {
        assert!(check_order("s", &[]).is_ok());
        assert!(check_order("s", &[m(1), m(2), m(5)]).is_ok());
        assert!(check_order("s", &[m(0)]).is_err());
        assert!(check_order("s", &[m(1), m(1)]).is_err());
        assert!(check_order("s", &[m(2), m(1)]).is_err());
    }

    #[test]
    fn pending_are_those_after_current() {
        let all = [m(1), m(2), m(3)];
        assert_eq!(pending(&all, 0), &all);
        assert_eq!(pending(&all, 2), &all[2..]);
        assert!(pending(&all, 3).is_empty());
        assert!(
            pending(&all, 9).is_empty(),
            "a newer database is left alone"
        );
    }
}
