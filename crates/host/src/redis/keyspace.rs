//! The embedded broker's key space: Redis strings and sets (with optional expiry) in the
//! queue file's `keys` and `set_members` tables, so they survive restarts.
//!
//! Every operation runs in one `IMMEDIATE` transaction on the broker's single connection, so
//! concurrent instances (and a `fabula queue` process) see each operation as atomic.
//!
//! `execute` supports the commands in [`SUPPORTED_COMMANDS`], with Redis's argument rules:
//! `SET key value [EX seconds | PX milliseconds] [NX | XX]`, `INCRBY`/`DECRBY key n`,
//! `DEL`/`EXISTS key…`, `SADD`/`SREM key member…`, `SMEMBERS`/`SCARD key`,
//! `SISMEMBER key member`, `EXPIRE key seconds`, `TTL key`, `PUBLISH channel message` and
//! `PING [message]`. Anything else fails with "unsupported command".

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::broker::{Broker, now_ms};
use super::error::RedisError;
use crate::bindings::fermyon::spin2_0_0::redis::RedisResult;

/// The commands `execute` understands on the embedded broker.
pub(crate) const SUPPORTED_COMMANDS: &[&str] = &[
    "GET",
    "SET",
    "INCR",
    "INCRBY",
    "DECR",
    "DECRBY",
    "DEL",
    "EXISTS",
    "SADD",
    "SREM",
    "SMEMBERS",
    "SISMEMBER",
    "SCARD",
    "EXPIRE",
    "TTL",
    "PUBLISH",
    "PING",
];

/// What a key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Set,
}

impl Kind {
    fn parse(text: &str) -> Kind {
        if text == "set" {
            Kind::Set
        } else {
            Kind::String
        }
    }
}

/// `SET`'s condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetCondition {
    Always,
    IfAbsent,
    IfPresent,
}

impl Broker {
    /// Runs `f` in an immediate transaction, with the current time (Unix ms).
    async fn in_tx<R, F>(&self, f: F) -> Result<R, RedisError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection, i64) -> Result<R, RedisError> + Send + 'static,
    {
        self.with_db(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let result = f(&tx, now_ms())?;
            tx.commit()?;
            Ok(result)
        })
        .await
    }

    /// `GET key`.
    pub async fn get(&self, key: Vec<u8>) -> Result<Option<Vec<u8>>, RedisError> {
        self.in_tx(move |conn, now| get(conn, now, &key)).await
    }

    /// `SET key value` (clears any expiry, overwrites a set).
    pub async fn set(&self, key: Vec<u8>, value: Vec<u8>) -> Result<(), RedisError> {
        self.in_tx(move |conn, now| {
            set(conn, now, &key, &value, None, SetCondition::Always).map(drop)
        })
        .await
    }

    /// `INCRBY key delta`: the new value.
    pub async fn incr_by(&self, key: Vec<u8>, delta: i64) -> Result<i64, RedisError> {
        self.in_tx(move |conn, now| incr_by(conn, now, &key, delta))
            .await
    }

    /// `DEL key…`: how many existed.
    pub async fn del(&self, keys: Vec<Vec<u8>>) -> Result<u32, RedisError> {
        self.in_tx(move |conn, now| del(conn, now, &keys)).await
    }

    /// `SADD key member…`: how many were new.
    pub async fn sadd(&self, key: Vec<u8>, members: Vec<Vec<u8>>) -> Result<u32, RedisError> {
        self.in_tx(move |conn, now| sadd(conn, now, &key, &members))
            .await
    }

    /// `SREM key member…`: how many were there.
    pub async fn srem(&self, key: Vec<u8>, members: Vec<Vec<u8>>) -> Result<u32, RedisError> {
        self.in_tx(move |conn, now| srem(conn, now, &key, &members))
            .await
    }

    /// `SMEMBERS key`.
    pub async fn smembers(&self, key: Vec<u8>) -> Result<Vec<Vec<u8>>, RedisError> {
        self.in_tx(move |conn, now| smembers(conn, now, &key)).await
    }

    /// `execute(command, args)` on the embedded key space (see the module docs for the list).
    pub async fn execute(
        &self,
        command: &str,
        args: Vec<Vec<u8>>,
    ) -> Result<Vec<RedisResult>, RedisError> {
        let name = command.to_ascii_uppercase();
        match name.as_str() {
            "PUBLISH" => {
                let [channel, payload] = exact::<2>(&name, args)?;
                let count = self
                    .publish(String::from_utf8_lossy(&channel).into_owned(), payload)
                    .await?;
                Ok(vec![RedisResult::Int64(count.into())])
            }
            "PING" => match args.len() {
                0 => Ok(vec![RedisResult::Status("PONG".into())]),
                1 => Ok(args.into_iter().map(RedisResult::Binary).collect()),
                _ => Err(RedisError::WrongArity(name)),
            },
            _ if SUPPORTED_COMMANDS.contains(&name.as_str()) => {
                self.in_tx(move |conn, now| run_command(conn, now, &name, args))
                    .await
            }
            _ => Err(RedisError::UnsupportedCommand(command.to_owned())),
        }
    }
}

/// Runs one key-space command (already known to be supported).
fn run_command(
    conn: &Connection,
    now: i64,
    name: &str,
    args: Vec<Vec<u8>>,
) -> Result<Vec<RedisResult>, RedisError> {
    let int = RedisResult::Int64;
    let result = match name {
        "GET" => {
            let [key] = exact::<1>(name, args)?;
            vec![get(conn, now, &key)?.map_or(RedisResult::Nil, RedisResult::Binary)]
        }
        "SET" => run_set(conn, now, args)?,
        "INCR" | "DECR" => {
            let [key] = exact::<1>(name, args)?;
            vec![int(incr_by(
                conn,
                now,
                &key,
                if name == "INCR" { 1 } else { -1 },
            )?)]
        }
        "INCRBY" | "DECRBY" => {
            let [key, delta] = exact::<2>(name, args)?;
            let delta = parse_int(&delta)?;
            let delta = if name == "INCRBY" {
                delta
            } else {
                delta.checked_neg().ok_or(RedisError::Overflow)?
            };
            vec![int(incr_by(conn, now, &key, delta)?)]
        }
        "DEL" => vec![int(del(conn, now, &at_least(name, args, 1)?)?.into())],
        "EXISTS" => {
            let mut count = 0;
            for key in at_least(name, args, 1)? {
                count += i64::from(lookup(conn, now, &key)?.is_some());
            }
            vec![int(count)]
        }
        "SADD" | "SREM" => {
            let mut args = at_least(name, args, 2)?;
            let key = args.remove(0);
            let changed = if name == "SADD" {
                sadd(conn, now, &key, &args)?
            } else {
                srem(conn, now, &key, &args)?
            };
            vec![int(changed.into())]
        }
        "SMEMBERS" => {
            let [key] = exact::<1>(name, args)?;
            smembers(conn, now, &key)?
                .into_iter()
                .map(RedisResult::Binary)
                .collect()
        }
        "SCARD" => {
            let [key] = exact::<1>(name, args)?;
            vec![int(smembers(conn, now, &key)?.len() as i64)]
        }
        "SISMEMBER" => {
            let [key, member] = exact::<2>(name, args)?;
            expect_kind(conn, now, &key, Kind::Set)?;
            let found: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM set_members WHERE key = ?1 AND member = ?2)",
                params![key, member],
                |row| row.get(0),
            )?;
            vec![int(found.into())]
        }
        "EXPIRE" => {
            let [key, seconds] = exact::<2>(name, args)?;
            let seconds = parse_int(&seconds)?;
            vec![int(expire(conn, now, &key, seconds)?.into())]
        }
        "TTL" => {
            let [key] = exact::<1>(name, args)?;
            vec![int(ttl(conn, now, &key)?)]
        }
        _ => return Err(RedisError::UnsupportedCommand(name.to_owned())),
    };
    Ok(result)
}

/// `SET key value [EX s | PX ms] [NX | XX]`.
fn run_set(
    conn: &Connection,
    now: i64,
    args: Vec<Vec<u8>>,
) -> Result<Vec<RedisResult>, RedisError> {
    let mut args = at_least("SET", args, 2)?.into_iter();
    let (key, value) = (
        args.next().unwrap_or_default(),
        args.next().unwrap_or_default(),
    );
    let (mut expires_at, mut condition) = (None, SetCondition::Always);
    while let Some(option) = args.next() {
        match option.to_ascii_uppercase().as_slice() {
            unit @ (b"EX" | b"PX") if expires_at.is_none() => {
                let amount = parse_int(&args.next().ok_or(RedisError::Syntax)?)?;
                let millis = if unit == b"EX" {
                    amount.checked_mul(1000)
                } else {
                    Some(amount)
                };
                match millis {
                    Some(ms) if ms > 0 => expires_at = Some(now.saturating_add(ms)),
                    _ => return Err(RedisError::Syntax),
                }
            }
            b"NX" if condition == SetCondition::Always => condition = SetCondition::IfAbsent,
            b"XX" if condition == SetCondition::Always => condition = SetCondition::IfPresent,
            _ => return Err(RedisError::Syntax),
        }
    }
    Ok(vec![
        if set(conn, now, &key, &value, expires_at, condition)? {
            RedisResult::Status("OK".into())
        } else {
            RedisResult::Nil
        },
    ])
}

/// Exactly `N` arguments.
fn exact<const N: usize>(name: &str, args: Vec<Vec<u8>>) -> Result<[Vec<u8>; N], RedisError> {
    args.try_into()
        .map_err(|_| RedisError::WrongArity(name.to_ascii_lowercase()))
}

/// At least `min` arguments.
fn at_least(name: &str, args: Vec<Vec<u8>>, min: usize) -> Result<Vec<Vec<u8>>, RedisError> {
    if args.len() < min {
        Err(RedisError::WrongArity(name.to_ascii_lowercase()))
    } else {
        Ok(args)
    }
}

/// A 64-bit integer in Redis's strict form (no sign `+`, no spaces, no leading zeros).
fn parse_int(bytes: &[u8]) -> Result<i64, RedisError> {
    let text = std::str::from_utf8(bytes).map_err(|_| RedisError::NotAnInteger)?;
    match text.parse::<i64>() {
        Ok(n) if n.to_string() == text => Ok(n),
        _ => Err(RedisError::NotAnInteger),
    }
}

/// Drops `key` if it has expired.
fn purge_expired(conn: &Connection, now: i64, key: &[u8]) -> rusqlite::Result<()> {
    let expired = conn.execute(
        "DELETE FROM keys WHERE key = ?1 AND expires_at IS NOT NULL AND expires_at <= ?2",
        params![key, now],
    )?;
    if expired > 0 {
        conn.execute("DELETE FROM set_members WHERE key = ?1", [key])?;
    }
    Ok(())
}

/// The kind and (for strings) value of a live key.
fn lookup(
    conn: &Connection,
    now: i64,
    key: &[u8],
) -> rusqlite::Result<Option<(Kind, Option<Vec<u8>>)>> {
    purge_expired(conn, now, key)?;
    conn.query_row(
        "SELECT kind, value FROM keys WHERE key = ?1",
        [key],
        |row| Ok((Kind::parse(&row.get::<_, String>(0)?), row.get(1)?)),
    )
    .optional()
}

/// Fails with `WRONGTYPE` if `key` exists with another kind; true if it exists.
fn expect_kind(conn: &Connection, now: i64, key: &[u8], kind: Kind) -> Result<bool, RedisError> {
    match lookup(conn, now, key)? {
        Some((found, _)) if found != kind => Err(RedisError::WrongType),
        found => Ok(found.is_some()),
    }
}

fn get(conn: &Connection, now: i64, key: &[u8]) -> Result<Option<Vec<u8>>, RedisError> {
    match lookup(conn, now, key)? {
        Some((Kind::Set, _)) => Err(RedisError::WrongType),
        Some((Kind::String, value)) => Ok(Some(value.unwrap_or_default())),
        None => Ok(None),
    }
}

/// Writes a string; false when the condition kept it from being written.
fn set(
    conn: &Connection,
    now: i64,
    key: &[u8],
    value: &[u8],
    expires_at: Option<i64>,
    condition: SetCondition,
) -> Result<bool, RedisError> {
    let exists = lookup(conn, now, key)?.is_some();
    match (condition, exists) {
        (SetCondition::IfAbsent, true) | (SetCondition::IfPresent, false) => return Ok(false),
        _ => {}
    }
    conn.execute("DELETE FROM set_members WHERE key = ?1", [key])?;
    conn.execute(
        "INSERT INTO keys (key, kind, value, expires_at) VALUES (?1, 'string', ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET kind = 'string', value = ?2, expires_at = ?3",
        params![key, value, expires_at],
    )?;
    Ok(true)
}

fn incr_by(conn: &Connection, now: i64, key: &[u8], delta: i64) -> Result<i64, RedisError> {
    let current = match get(conn, now, key)? {
        Some(value) => parse_int(&value)?,
        None => 0,
    };
    let next = current.checked_add(delta).ok_or(RedisError::Overflow)?;
    // Keeps any expiry, as Redis does.
    conn.execute(
        "INSERT INTO keys (key, kind, value) VALUES (?1, 'string', ?2)
         ON CONFLICT (key) DO UPDATE SET value = ?2",
        params![key, next.to_string().into_bytes()],
    )?;
    Ok(next)
}

fn del(conn: &Connection, now: i64, keys: &[Vec<u8>]) -> Result<u32, RedisError> {
    let mut deleted = 0;
    for key in keys {
        purge_expired(conn, now, key)?;
        if conn.execute("DELETE FROM keys WHERE key = ?1", [key])? > 0 {
            conn.execute("DELETE FROM set_members WHERE key = ?1", [key])?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

fn sadd(conn: &Connection, now: i64, key: &[u8], members: &[Vec<u8>]) -> Result<u32, RedisError> {
    if !expect_kind(conn, now, key, Kind::Set)? {
        conn.execute("INSERT INTO keys (key, kind) VALUES (?1, 'set')", [key])?;
    }
    let mut added = 0;
    for member in members {
        added += conn.execute(
            "INSERT OR IGNORE INTO set_members (key, member) VALUES (?1, ?2)",
            params![key, member],
        )? as u32;
    }
    Ok(added)
}

fn srem(conn: &Connection, now: i64, key: &[u8], members: &[Vec<u8>]) -> Result<u32, RedisError> {
    if !expect_kind(conn, now, key, Kind::Set)? {
        return Ok(0);
    }
    let mut removed = 0;
    for member in members {
        removed += conn.execute(
            "DELETE FROM set_members WHERE key = ?1 AND member = ?2",
            params![key, member],
        )? as u32;
    }
    // Redis deletes a set when its last member goes.
    conn.execute(
        "DELETE FROM keys WHERE key = ?1 AND NOT EXISTS (SELECT 1 FROM set_members WHERE key = ?1)",
        [key],
    )?;
    Ok(removed)
}

fn smembers(conn: &Connection, now: i64, key: &[u8]) -> Result<Vec<Vec<u8>>, RedisError> {
    expect_kind(conn, now, key, Kind::Set)?;
    let members = conn
        .prepare("SELECT member FROM set_members WHERE key = ?1 ORDER BY member")?
        .query_map([key], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(members)
}

/// `EXPIRE`: true if the key exists. A non-positive time deletes the key.
fn expire(conn: &Connection, now: i64, key: &[u8], seconds: i64) -> Result<bool, RedisError> {
    if lookup(conn, now, key)?.is_none() {
        return Ok(false);
    }
    if seconds <= 0 {
        del(conn, now, &[key.to_vec()])?;
    } else {
        let at = now.saturating_add(seconds.saturating_mul(1000));
        conn.execute(
            "UPDATE keys SET expires_at = ?2 WHERE key = ?1",
            params![key, at],
        )?;
    }
    Ok(true)
}

/// `TTL`: seconds left, -1 without expiry, -2 for a missing key.
fn ttl(conn: &Connection, now: i64, key: &[u8]) -> Result<i64, RedisError> {
    if lookup(conn, now, key)?.is_none() {
        return Ok(-2);
    }
    let expires_at: Option<i64> =
        conn.query_row("SELECT expires_at FROM keys WHERE key = ?1", [key], |row| {
            row.get(0)
        })?;
    Ok(expires_at.map_or(-1, |at| (at - now + 500) / 1000))
}
