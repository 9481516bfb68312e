//! Typed configuration: every setting is an `APP_*` environment variable (also a
//! flag of `rihla serve`), listed with its default in `.env.example`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use secrecy::SecretString;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line, for log shippers.
    Json,
    /// Human-readable lines for a terminal.
    Pretty,
}

/// SQLite's `synchronous` setting (WAL mode), as APP_SQLITE_SYNCHRONOUS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SqliteSync {
    Normal,
    Full,
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(
        long,
        global = true,
        env = "APP_BIND",
        default_value = "127.0.0.1:8080"
    )]
    pub bind: SocketAddr,

    /// Address of the Prometheus scrape endpoint (`GET /metrics`), apart
    /// from the API; unset, metrics are not served.
    #[arg(long, global = true, env = "APP_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,

    /// Folder for the embedded SQLite database and the generated JWT secret.
    #[arg(long, global = true, env = "APP_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// `postgres://user@host/db` for PostgreSQL; unset means SQLite in APP_DATA_DIR.
    #[arg(long, global = true, env = "APP_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<SecretString>,

    /// Pool size. Requests wait at most APP_DB_ACQUIRE_TIMEOUT_MS for a connection, then get 503.
    #[arg(long, global = true, env = "APP_DB_MAX_CONNECTIONS", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
    pub db_max_connections: u32,

    #[arg(long, global = true, env = "APP_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..))]
    pub db_acquire_timeout_ms: u64,

    /// SQLite only: `normal` syncs the write-ahead log at checkpoints, so a
    /// commit survives the process being killed but not the machine losing
    /// power; `full` syncs it on every commit, at about half the write rate.
    #[arg(
        long,
        global = true,
        env = "APP_SQLITE_SYNCHRONOUS",
        value_enum,
        default_value = "normal"
    )]
    pub sqlite_synchronous: SqliteSync,

    /// HMAC key for access tokens, at least 32 bytes. Required with PostgreSQL
    /// (instances must share it); with SQLite it is generated once into the data folder.
    #[arg(long, global = true, env = "APP_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<SecretString>,

    #[arg(long, global = true, env = "APP_JWT_ISSUER", default_value = "rihla")]
    pub jwt_issuer: String,

    #[arg(
        long,
        global = true,
        env = "APP_JWT_AUDIENCE",
        default_value = "rihla-api"
    )]
    pub jwt_audience: String,

    /// Lifetime of an access token, in seconds.
    #[arg(long, global = true, env = "APP_ACCESS_TOKEN_TTL_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..))]
    pub access_token_ttl_secs: u64,

    /// Lifetime of a refresh token, in days.
    #[arg(long, global = true, env = "APP_REFRESH_TOKEN_TTL_DAYS", default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..))]
    pub refresh_token_ttl_days: i64,

    /// Absolute lifetime of a login session (a refresh-token family), in
    /// seconds: rotation never extends it; then the user logs in again.
    #[arg(long, global = true, env = "APP_SESSION_MAX_AGE_SECS", default_value_t = 30 * 24 * 3600, value_parser = clap::value_parser!(u64).range(60..))]
    pub session_max_age_secs: u64,

    /// Browser origins allowed to call the API (CORS), comma-separated and
    /// exact (`https://app.example.org,http://localhost:5173`); none by default.
    #[arg(long, global = true, env = "APP_CORS_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_origins: Vec<String>,

    /// Failed logins of one account from one address within
    /// APP_LOGIN_WINDOW_SECS before further attempts from there get 429;
    /// past it the account's attempts from anywhere are slowed, never shut
    /// (counted in the database, shared by all instances).
    #[arg(long, global = true, env = "APP_LOGIN_MAX_FAILURES", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub login_max_failures: u32,

    /// Failed logins per client address within the window before 429.
    #[arg(long, global = true, env = "APP_LOGIN_MAX_FAILURES_PER_ADDRESS", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub login_max_failures_per_address: u32,

    /// The failed-login window, in seconds.
    #[arg(long, global = true, env = "APP_LOGIN_WINDOW_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..))]
    pub login_window_secs: u64,

    /// Take the client address for login throttling from the last entry of
    /// X-Forwarded-For (set it only behind a proxy that appends it).
    #[arg(long, global = true, env = "APP_TRUST_FORWARDED_FOR", num_args = 0..=1, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub trust_forwarded_for: bool,

    /// Password hashes computed at once; 0 means one per core.
    #[arg(
        long,
        global = true,
        env = "APP_PASSWORD_HASH_CONCURRENCY",
        default_value_t = 0
    )]
    pub password_hash_concurrency: usize,

    /// How long a login waits for a hashing slot before 503 + Retry-After, in ms.
    #[arg(long, global = true, env = "APP_PASSWORD_HASH_WAIT_MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..))]
    pub password_hash_wait_ms: u64,

    /// The admin created on an empty database.
    #[arg(
        long,
        global = true,
        env = "APP_ADMIN_EMAIL",
        default_value = "admin@rihla.local"
    )]
    pub admin_email: String,

    /// Password of that admin; if unset, one is generated and printed once.
    #[arg(
        long,
        global = true,
        env = "APP_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub admin_password: Option<SecretString>,

    /// Requests per minute one caller (a user or an API key) may make on
    /// average, per instance; past it, 429 with Retry-After. 0 turns the
    /// limit off.
    #[arg(
        long,
        global = true,
        env = "APP_RATE_LIMIT_PER_MINUTE",
        default_value_t = 30_000
    )]
    pub rate_limit_per_minute: u32,

    /// Requests one caller may make at once beyond that average.
    #[arg(long, global = true, env = "APP_RATE_LIMIT_BURST", default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_burst: u32,

    /// Streamed exports (CSV, IATI XML) one caller may have open at once.
    #[arg(long, global = true, env = "APP_EXPORTS_PER_CALLER", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..))]
    pub exports_per_caller: u64,

    /// Seconds a streamed export waits for its client to read on before it
    /// ends the answer.
    #[arg(long, global = true, env = "APP_EXPORT_SEND_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub export_send_timeout_secs: u64,

    /// Largest request body accepted, in bytes (413 above it).
    #[arg(
        long,
        global = true,
        env = "APP_BODY_LIMIT_BYTES",
        default_value_t = 1_048_576
    )]
    pub body_limit_bytes: usize,

    /// How long an Idempotency-Key's stored response is replayed, in hours (at least 24).
    #[arg(long, global = true, env = "APP_IDEMPOTENCY_TTL_HOURS", default_value_t = 24, value_parser = clap::value_parser!(i64).range(24..))]
    pub idempotency_ttl_hours: i64,

    /// Seconds a request may take before it is cut off with a 503 (its
    /// transaction, if any, is rolled back).
    #[arg(long, global = true, env = "APP_REQUEST_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_secs: u64,

    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(
        long,
        global = true,
        env = "APP_SHUTDOWN_GRACE_SECS",
        default_value_t = 30
    )]
    pub shutdown_grace_secs: u64,

    /// HTTP worker threads; 0 means one per core.
    #[arg(long, global = true, env = "APP_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// `json` or `pretty`; unset, pretty when stderr is a terminal and JSON
    /// otherwise (a log shipper reads a pipe or a file).
    #[arg(long, global = true, env = "APP_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,

    /// Audit events older than this many days are removed hourly by `serve`
    /// and at once by `rihla audit prune`; unset (the default) keeps all.
    #[arg(long, global = true, env = "APP_AUDIT_RETENTION_DAYS", value_parser = parse_retention)]
    pub audit_retention_days: Option<Retention>,

    /// `serve`: load the demo data set (facts from the seed documents) into a
    /// database that holds no organisations, projects or dialogues yet.
    #[arg(long, global = true, env = "APP_DEMO", num_args = 0..=1, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub demo: bool,

    /// A file holding APP_JWT_SECRET (Docker and Kubernetes secrets); not
    /// both.
    #[arg(long, global = true, env = "APP_JWT_SECRET_FILE")]
    pub jwt_secret_file: Option<PathBuf>,

    /// A file holding APP_ADMIN_PASSWORD; not both.
    #[arg(long, global = true, env = "APP_ADMIN_PASSWORD_FILE")]
    pub admin_password_file: Option<PathBuf>,

    /// A file holding APP_DATABASE_URL (it may carry a password); not both.
    #[arg(long, global = true, env = "APP_DATABASE_URL_FILE")]
    pub database_url_file: Option<PathBuf>,

    /// The IATI reporting organisation's identifier (e.g. XM-DAC-47066),
    /// written as reporting-org/@ref of the IATI exports. The three
    /// APP_IATI_REPORTING_ORG_* are set together or not at all.
    #[arg(long, global = true, env = "APP_IATI_REPORTING_ORG_REF")]
    pub iati_reporting_org_ref: Option<String>,

    /// Its IATI OrganisationType code (e.g. 40 multilateral).
    #[arg(long, global = true, env = "APP_IATI_REPORTING_ORG_TYPE")]
    pub iati_reporting_org_type: Option<String>,

    /// Its name, as the exports write it.
    #[arg(long, global = true, env = "APP_IATI_REPORTING_ORG_NAME")]
    pub iati_reporting_org_name: Option<String>,
}

/// An exact origin: scheme, host and optional port, nothing else. A wildcard
/// or a path would silently allow more (or less) than meant.
/// An origin as browsers send it: `scheme://host[:port]`, the scheme and
/// host in lower case, no default port, no path. Refused otherwise: an
/// origin written any other way would never match.
fn parse_origin(raw: &str) -> Result<String, String> {
    let origin = raw.trim().trim_end_matches('/');
    // `APP_CORS_ORIGINS=` in an env file means none (`Config::cors_origins`).
    if origin.is_empty() {
        return Ok(String::new());
    }
    let lower = origin.to_ascii_lowercase();
    let (scheme, rest) = lower
        .split_once("://")
        .filter(|(scheme, _)| *scheme == "https" || *scheme == "http")
        .ok_or_else(|| format!("{raw:?}: an origin starts with http:// or https://"))?;
    let shape =
        || format!("{raw:?}: an origin is scheme://host[:port], with no path, wildcard or space");
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || rest.starts_with('[') => {
            if host.contains(':') && !host.starts_with('[') {
                (rest, None)
            } else {
                (host, Some(port))
            }
        }
        _ => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b));
    if !host_ok {
        return Err(shape());
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err(format!("{raw:?}: the port must be 1 to 65535")),
        },
    };
    Ok(match port {
        Some(443) if scheme == "https" => format!("{scheme}://{host}"),
        Some(80) if scheme == "http" => format!("{scheme}://{host}"),
        Some(n) => format!("{scheme}://{host}:{n}"),
        None => format!("{scheme}://{host}"),
    })
}

/// Every `APP_*` variable the configuration declares.
pub fn known_variables() -> Vec<String> {
    use clap::Command;
    Config::augment_args(Command::new("rihla"))
        .get_arguments()
        .filter_map(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
        .collect()
}

/// Stops the start on an `APP_*` variable no setting declares (a typo would
/// otherwise leave its setting at the default, silently), naming it and the
/// nearest one declared.
pub fn check_environment() -> anyhow::Result<()> {
    check_variables(std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()))
}

fn check_variables(names: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let known = known_variables();
    let mut unknown: Vec<String> = names
        .filter(|k| k.starts_with("APP_") && !known.contains(k))
        .collect();
    unknown.sort();
    let Some(first) = unknown.first() else {
        return Ok(());
    };
    let nearest = known
        .iter()
        .map(|k| (strsim_distance(first, k), k))
        .min()
        .filter(|(d, _)| *d <= 4)
        .map(|(_, k)| format!(" (did you mean {k}?)"))
        .unwrap_or_default();
    anyhow::bail!(
        "{} {} not a setting of Rihla{nearest}; unset {}, or see the configuration table in README.md",
        unknown.join(", "),
        if unknown.len() == 1 { "is" } else { "are" },
        if unknown.len() == 1 { "it" } else { "them" },
    )
}

/// Levenshtein distance, for "did you mean".
fn strsim_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention(pub Option<u32>);

fn parse_retention(raw: &str) -> Result<Retention, String> {
    if raw.trim().is_empty() {
        return Ok(Retention(None));
    }
    match raw.trim().parse::<u32>() {
        Ok(days) if days >= 1 => Ok(Retention(Some(days))),
        _ => Err("a whole number of days, at least 1 (leave it unset to keep every event)".into()),
    }
}

impl Config {
    /// Audit events older than this many days may be pruned; `None` keeps all.
    pub fn audit_retention_days(&self) -> Option<u32> {
        self.audit_retention_days.and_then(|r| r.0)
    }

    /// The defaults, as if no variable were set: what tests start from.
    pub fn defaults() -> Self {
        use clap::{Command, FromArgMatches};
        let cmd = Config::augment_args(Command::new("rihla").no_binary_name(true));
        // Parsing no arguments cannot fail: every field has a default or is optional.
        let matches = cmd.get_matches_from(Vec::<String>::new());
        match Config::from_arg_matches(&matches) {
            Ok(c) => c,
            Err(e) => e.exit(),
        }
    }

    /// The IATI reporting organisation: all three settings, or none (an empty
    /// value counts as unset). A partial or invalid one stops the start.
    pub fn iati_reporting_org(&self) -> anyhow::Result<Option<crate::iati::ReportingOrg>> {
        fn get(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        match (
            get(&self.iati_reporting_org_ref),
            get(&self.iati_reporting_org_type),
            get(&self.iati_reporting_org_name),
        ) {
            (None, None, None) => Ok(None),
            (Some(reference), Some(org_type), Some(name)) => {
                if !rihla_domain::iati_codes::is_active(
                    rihla_domain::iati_codes::ORGANISATION_TYPE,
                    org_type,
                ) {
                    anyhow::bail!(
                        "APP_IATI_REPORTING_ORG_TYPE {org_type:?} is not an IATI OrganisationType code (one of {})",
                        rihla_domain::iati_codes::ORGANISATION_TYPE.join(", ")
                    );
                }
                if reference.chars().any(char::is_whitespace) {
                    anyhow::bail!("APP_IATI_REPORTING_ORG_REF must not contain white space");
                }
                Ok(Some(crate::iati::ReportingOrg {
                    reference: reference.to_owned(),
                    org_type: org_type.to_owned(),
                    name: name.to_owned(),
                }))
            }
            _ => anyhow::bail!(
                "set all of APP_IATI_REPORTING_ORG_REF, APP_IATI_REPORTING_ORG_TYPE and APP_IATI_REPORTING_ORG_NAME, or none"
            ),
        }
    }

    /// Reads each secret given as a file (`APP_*_FILE`) into its setting:
    /// its content without the final line break. Both forms of one setting
    /// is an error naming them.
    pub fn resolve_secret_files(&mut self) -> anyhow::Result<()> {
        use secrecy::ExposeSecret;
        let read = |path: &PathBuf, var: &str| -> anyhow::Result<SecretString> {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("{var}_FILE {}: {e}", path.display()))?;
            Ok(text.trim_end_matches(['\r', '\n']).to_owned().into())
        };
        let set =
            |v: &Option<SecretString>| v.as_ref().is_some_and(|s| !s.expose_secret().is_empty());
        for (file, value, var) in [
            (
                &self.jwt_secret_file,
                &mut self.jwt_secret,
                "APP_JWT_SECRET",
            ),
            (
                &self.admin_password_file,
                &mut self.admin_password,
                "APP_ADMIN_PASSWORD",
            ),
            (
                &self.database_url_file,
                &mut self.database_url,
                "APP_DATABASE_URL",
            ),
        ] {
            if let Some(path) = file {
                anyhow::ensure!(!set(value), "set {var} or {var}_FILE, not both");
                *value = Some(read(path, var)?);
            }
        }
        Ok(())
    }

    /// The checks no single value's parser can make, each naming the
    /// variable: run before anything is opened, bound or written.
    pub fn check(&self) -> anyhow::Result<()> {
        use secrecy::ExposeSecret;
        let email = self.admin_email.trim();
        let (local, domain) = email.split_once('@').unwrap_or(("", ""));
        if email.len() > 254
            || local.is_empty()
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains('@')
            || email.chars().any(char::is_whitespace)
        {
            anyhow::bail!(
                "APP_ADMIN_EMAIL {:?} is not an email address (name@example.org)",
                self.admin_email
            );
        }
        if let Some(password) = &self.admin_password
            && !password.expose_secret().is_empty()
            && password.expose_secret().trim().chars().count() < 12
        {
            anyhow::bail!(
                "APP_ADMIN_PASSWORD must hold at least 12 characters besides white space"
            );
        }
        if let Some(url) = &self.database_url {
            let url = url.expose_secret().trim();
            let known = ["postgres://", "postgresql://", "sqlite:"];
            if !url.is_empty() && !known.iter().any(|p| url.starts_with(p)) {
                let scheme = url.split_once(':').map_or(url, |(s, _)| s);
                anyhow::bail!(
                    "APP_DATABASE_URL must start with postgres:// or postgresql:// (PostgreSQL) or sqlite: (or be unset for the embedded SQLite database), not {scheme:?}"
                );
            }
        }
        if self.body_limit_bytes < 1024 {
            anyhow::bail!(
                "APP_BODY_LIMIT_BYTES {} is too small for any request; at least 1024",
                self.body_limit_bytes
            );
        }
        if Some(self.bind) == self.metrics_bind && self.bind.port() != 0 {
            anyhow::bail!("APP_METRICS_BIND must differ from APP_BIND ({})", self.bind);
        }
        Ok(())
    }

    /// The CORS allowlist without the empty entries an empty variable leaves.
    pub fn cors_origins(&self) -> Vec<String> {
        self.cors_origins
            .iter()
            .filter(|o| !o.is_empty())
            .cloned()
            .collect()
    }

    /// APP_LOG_FORMAT, or what suits where stderr goes.
    pub fn log_format(&self) -> LogFormat {
        use std::io::IsTerminal;
        self.log_format
            .unwrap_or(if std::io::stderr().is_terminal() {
                LogFormat::Pretty
            } else {
                LogFormat::Json
            })
    }

    pub fn db_acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.db_acquire_timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> impl Iterator<Item = String> {
        v.iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn an_unknown_app_variable_is_named_with_the_nearest_known_one() {
        let err = check_variables(names(&["APP_DATABASE_ULR", "HOME"]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("APP_DATABASE_ULR is not a setting"), "{err}");
        assert!(err.contains("did you mean APP_DATABASE_URL?"), "{err}");
        assert!(check_variables(names(&["APP_BIND", "APP_DEMO", "PATH"])).is_ok());
        assert!(known_variables().contains(&"APP_RATE_LIMIT_PER_MINUTE".to_owned()));
    }

    #[test]
    fn origins_are_normalised_or_refused() {
        assert_eq!(
            parse_origin("HTTPS://App.Example.org/").unwrap(),
            "https://app.example.org"
        );
        assert_eq!(parse_origin("https://a.org:443").unwrap(), "https://a.org");
        assert_eq!(
            parse_origin("http://localhost:5173").unwrap(),
            "http://localhost:5173"
        );
        for bad in [
            "https://a.org:70000",
            "https://a.org:0",
            "ftp://a.org",
            "https://*.org",
            "https://a.org/app",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_no_parser_can_check_are_refused_naming_their_variable() {
        let base = Config::defaults();
        type Tweak = Box<dyn Fn(&mut Config)>;
        let cases: Vec<(Tweak, &str)> = vec![
            (
                Box::new(|c| c.admin_email = "not-an-email".into()),
                "APP_ADMIN_EMAIL",
            ),
            (
                Box::new(|c| c.admin_email = String::new()),
                "APP_ADMIN_EMAIL",
            ),
            (
                Box::new(|c| c.admin_password = Some(" ".repeat(12).into())),
                "APP_ADMIN_PASSWORD",
            ),
            (
                Box::new(|c| c.database_url = Some("mysql://x".to_owned().into())),
                "APP_DATABASE_URL",
            ),
            (
                Box::new(|c| c.database_url = Some("postgress://x".to_owned().into())),
                "APP_DATABASE_URL",
            ),
            (
                Box::new(|c| c.database_url = Some("not-a-url".to_owned().into())),
                "APP_DATABASE_URL",
            ),
            (Box::new(|c| c.body_limit_bytes = 0), "APP_BODY_LIMIT_BYTES"),
        ];
        for (tweak, variable) in cases {
            let mut c = base.clone();
            tweak(&mut c);
            let err = c.check().unwrap_err().to_string();
            assert!(err.contains(variable), "{err}");
        }
        let mut c = base.clone();
        c.database_url = Some("postgresql://u:p@db/rihla".to_owned().into());
        assert!(c.check().is_ok());
    }
}
