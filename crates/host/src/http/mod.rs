//! HTTP: the trigger (server and routing) and outbound requests.

pub mod outbound;
pub mod trigger;
