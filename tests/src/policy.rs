//! The policy the tests run under: operation `cosmo-2` of the example federation.

/// Participants: OCU (ocu), RILO-WE and RILO-AP (rilo), BE/HU/NL/US-NCP (member).
/// XX-NCP (country XX) is not a participant.
pub const COSMO_2: &str = r#"
[[operation]]
name = "cosmo-2"
title = "Operation COSMO II (test)"
phase = "interdiction"
ends = "2099-12-31T23:59:59Z"
retention_days = 365
participants = { roles = ["ocu", "rilo"], countries = ["BE", "HU", "NL", "US"] }

[[operation.channel]]
name = "alerts"
read = { participants = true }
[[operation.channel.publish]]
kinds = ["alert", "feedback", "seizure"]
by = { participants = true }

[[operation.channel]]
name = "tracking"
read = { participants = true }
[[operation.channel.publish]]
kinds = ["tracking-request", "tracking-update"]
by = { participants = true }

[[operation.channel]]
name = "notices"
read = { participants = true }
[[operation.channel.publish]]
kinds = ["notice"]
by = { roles = ["ocu"] }

[[operation.direct]]
kinds = ["tasking"]
by = { roles = ["ocu", "rilo"] }

[[operation.direct]]
kinds = ["tracking-update", "feedback"]
by = { participants = true }
"#;
