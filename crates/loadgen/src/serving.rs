//! Parsing the host's readiness line: `Serving http://127.0.0.1:PORT (...)`.

use std::net::SocketAddr;

/// The marker the host prints (on stderr) once it accepts requests.
const MARKER: &str = "Serving http://";

/// The listening address announced by a `Serving http://ADDR ...` line, or `None` for any
/// other line. Text before the marker (a log prefix) is ignored; the address ends at the first
/// whitespace or `/`.
pub fn parse_serving_line(line: &str) -> Option<SocketAddr> {
    let rest = &line[line.find(MARKER)? + MARKER.len()..];
    let addr = rest.split(|c: char| c.is_whitespace() || c == '/').next()?;
    addr.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_serving_line() {
        let addr = parse_serving_line("Serving http://127.0.0.1:41234 (2 HTTP routes)").unwrap();
        assert_eq!(addr, "127.0.0.1:41234".parse().unwrap());
        assert_eq!(
            parse_serving_line("Serving http://127.0.0.1:3000"),
            Some("127.0.0.1:3000".parse().unwrap())
        );
        assert_eq!(
            parse_serving_line("Serving http://127.0.0.1:3000/ (ready)"),
            Some("127.0.0.1:3000".parse().unwrap())
        );
    }

    #[test]
    fn tolerates_a_log_prefix_and_ipv6() {
        assert_eq!(
            parse_serving_line("2026-11-22T10:00:00Z  INFO fabula: Serving http://[::1]:8080 (x)"),
            Some("[::1]:8080".parse().unwrap())
        );
    }

    #[test]
    fn ignores_other_lines() {
        for line in [
            "",
            "Compiling component conformance-http",
            "Serving https://127.0.0.1:3000",
            "Serving http://localhost:3000 (names are not addresses)",
            "Serving http://127.0.0.1 (no port)",
            "Serving on 127.0.0.1:3000",
        ] {
            assert_eq!(parse_serving_line(line), None, "{line:?}");
        }
    }
}
