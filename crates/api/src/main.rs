//! The `rihla` binary: serve (default), migrate, seed-demo, openapi, user
//! create, audit prune, purge, backup.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rihla_api::auth::password;
use rihla_api::{Config, bootstrap, telemetry};
use rihla_domain::{Check, Role, UserCreate};
use rihla_persistence::Actor;
use rihla_persistence::repo::{audit, purge as purging, users};

// glibc's malloc keeps the 19 MiB an Argon2 hash (every login) allocates, as
// its mmap threshold grows to the largest block freed; mimalloc gives freed
// memory back and costs less per call, which a request makes hundreds of.
// `no_thp`: huge pages would round its arenas up to 2 MiB. `override`: it
// also serves C's malloc, i.e. SQLite's allocations, which on glibc's arenas
// contended across the pool's connection threads. Figures: bench/README.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "rihla",
    version,
    about = "Rihla: the migration-governance programme API"
)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Exit 0 when the server at APP_BIND answers GET /ready with 200, 1
    /// otherwise (a container's health check; needs no curl).
    Healthcheck,
    /// Print the OpenAPI document.
    Openapi,
    /// Load the demo data set built from the seed documents; creates only
    /// what is missing, so a second run changes nothing.
    SeedDemo,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Remove records deleted more than DAYS days ago for good (each removal
    /// is recorded in the audit trail). Records that a remaining row still
    /// refers to are kept and counted.
    Purge {
        #[arg(long, value_name = "DAYS")]
        older_than: u32,
    },
    /// Copy the SQLite database to PATH (a new file, mode 0600) while the
    /// server keeps serving; restore by stopping the server and putting the
    /// copy in place of APP_DATA_DIR/rihla.db. PostgreSQL: use pg_dump.
    Backup {
        #[arg(value_name = "PATH")]
        path: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Remove audit events older than APP_AUDIT_RETENTION_DAYS.
    Prune,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Set a user's password (a lost admin password, say). It is read from a
    /// prompt, or from stdin when piped; never from the command line. Every
    /// session of the user ends, and the account's failed logins are
    /// forgotten.
    SetPassword {
        /// The user's email.
        email: String,
    },
    /// Forget an account's failed logins, from every address, so attempts
    /// are no longer slowed or refused.
    Unlock {
        /// The user's email.
        email: String,
    },
    /// Create a user. The password is read from a prompt, or from stdin when
    /// piped; never from the command line, where other users could see it.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        display_name: Option<String>,
    },
}

/// Clap's error, naming the environment variable when that is where the
/// bad value came from (clap names the flag, which the operator never set).
fn parse_error(e: clap::Error) -> ! {
    use clap::CommandFactory;
    use clap::error::{ContextKind, ContextValue};
    let arg = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(a)) => Some(a.clone()),
        _ => None,
    };
    let flag = arg
        .as_deref()
        .and_then(|a| a.split_whitespace().next())
        .map(str::to_owned);
    if let Some(flag) = flag
        && !std::env::args().any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    {
        let long = flag.trim_start_matches('-');
        let env = Cli::command()
            .get_arguments()
            .find(|a| a.get_long() == Some(long))
            .and_then(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()));
        if let Some(env) = env
            && let Ok(value) = std::env::var(&env)
        {
            let why = e
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .replace(
                    &format!("for '{}' ", arg.as_deref().unwrap_or_default()),
                    "",
                );
            eprintln!("rihla: {env}={value:?}: {why}");
            std::process::exit(2);
        }
    }
    e.exit()
}

/// `rihla healthcheck`: GET /ready on APP_BIND (the loopback address when it
/// binds every interface), within 5 s.
fn healthcheck(config: &Config) -> anyhow::Result<()> {
    use std::io::{Read, Write};
    let mut addr = config.bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let timeout = std::time::Duration::from_secs(5);
    let mut stream = std::net::TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| anyhow::anyhow!("nothing answers on {addr} (APP_BIND): {e}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(format!("GET /ready HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head)?;
    let line = String::from_utf8_lossy(&head[..n]);
    let status = line.split_whitespace().nth(1).unwrap_or("none");
    anyhow::ensure!(
        status == "200",
        "GET http://{addr}/ready answered {status}, not 200"
    );
    println!("ready: {addr}");
    Ok(())
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
        .map_err(|_| "role must be partner, viewer, editor or admin".to_owned())
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Repeat password: ")?;
        anyhow::ensure!(first == again, "the passwords differ");
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

#[actix_web::main]
async fn main() -> ExitCode {
    let mut cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => parse_error(e),
    };
    let checked = rihla_api::config::check_environment()
        .and_then(|()| cli.config.resolve_secret_files())
        .and_then(|()| cli.config.check());
    if let Err(e) = checked {
        eprintln!("rihla: {e}");
        return ExitCode::from(2);
    }
    telemetry::init(cli.config.log_format());
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&cli.config).await,
        Command::Healthcheck => healthcheck(&cli.config),
        Command::Migrate => bootstrap::open_db(&cli.config).await.map(|_| {
            println!("migrations applied");
        }),
        Command::SeedDemo => seed_demo(&cli.config).await,
        Command::Openapi => serde_json::to_string_pretty(&rihla_api::openapi::spec())
            .map(|s| println!("{s}"))
            .map_err(Into::into),
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    role,
                    display_name,
                },
        } => create_user(&cli.config, email, role, display_name).await,
        Command::User {
            command: UserCommand::SetPassword { email },
        } => set_password(&cli.config, &email).await,
        Command::User {
            command: UserCommand::Unlock { email },
        } => unlock(&cli.config, &email).await,
        Command::Audit {
            command: AuditCommand::Prune,
        } => prune_audit(&cli.config).await,
        Command::Purge { older_than } => purge(&cli.config, older_than).await,
        Command::Backup { path } => backup(&cli.config, &path).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rihla: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    let running = rihla_api::start(config).await?;
    tracing::info!(addr = %running.addr, "listening; Swagger UI at /swagger-ui/");
    // actix-web handles SIGTERM/SIGINT: it stops accepting, lets in-flight
    // requests finish within the grace period, then returns.
    running.server.await?;
    tracing::info!("stopped");
    Ok(())
}

async fn backup(config: &Config, path: &std::path::Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        !path.exists(),
        "{} exists; a backup goes to a new file",
        path.display()
    );
    let target = path
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("the backup path must be UTF-8"))?;
    // Checked before the database is opened: a backup to nowhere must not
    // migrate anything on its way to failing.
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    anyhow::ensure!(
        folder.is_dir(),
        "cannot back up to {}: the folder {} does not exist",
        path.display(),
        folder.display()
    );
    anyhow::ensure!(
        !config
            .database_url
            .as_ref()
            .is_some_and(|u| secrecy::ExposeSecret::expose_secret(u).starts_with("postgres")),
        "APP_DATABASE_URL is PostgreSQL: back it up with pg_dump (see the README)"
    );
    let db = bootstrap::open_db(config).await?;
    // Created empty and private first (VACUUM INTO fills an empty file), so
    // the copy of the password hashes is never readable by others.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    drop(
        options
            .open(path)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?,
    );
    let started = std::time::Instant::now();
    let done = rihla_persistence::backup(&db, target).await;
    if !matches!(done, Ok(true)) {
        let _ = std::fs::remove_file(path);
    }
    if !done? {
        anyhow::bail!("APP_DATABASE_URL is PostgreSQL: back it up with pg_dump (see the README)");
    }
    let bytes = std::fs::metadata(path)?.len();
    println!(
        "backed up to {} ({bytes} bytes in {} ms)",
        path.display(),
        started.elapsed().as_millis()
    );
    Ok(())
}

async fn seed_demo(config: &Config) -> anyhow::Result<()> {
    let db = bootstrap::open_db(config).await?;
    let report = rihla_api::demo::seed(&db).await?;
    print!("{report}");
    Ok(())
}

async fn create_user(
    config: &Config,
    email: String,
    role: Role,
    display_name: Option<String>,
) -> anyhow::Result<()> {
    let password = read_password()?;
    let input = UserCreate {
        display_name: display_name.unwrap_or_else(|| email.clone()),
        email,
        role,
        password,
        active: true,
    };
    let errors = input.check();
    if !errors.is_empty() {
        let lines: Vec<String> = errors.into_iter().map(|e| e.message).collect();
        anyhow::bail!("{}", lines.join("; "));
    }
    let db = bootstrap::open_db(config).await?;
    let hash = password::hash_now(&input.password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let user = users::create(
        &db,
        &Actor::system("cli"),
        users::NewUser {
            email: &input.email,
            display_name: &input.display_name,
            role: input.role,
            active: true,
            password_hash: hash,
        },
    )
    .await?;
    println!("created {} ({}) with id {}", user.email, user.role, user.id);
    Ok(())
}

/// A password from the prompt or stdin that meets the API's policy.
fn new_password() -> anyhow::Result<String> {
    use rihla_domain::user::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
    let password = read_password()?;
    let chars = password.chars().count() as u64;
    anyhow::ensure!(
        (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars),
        "a password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters (this one has {chars})"
    );
    anyhow::ensure!(
        !password.trim().is_empty(),
        "a password must not be only white space"
    );
    Ok(password)
}

async fn set_password(config: &Config, email: &str) -> anyhow::Result<()> {
    use rihla_persistence::repo::{login_failures, refresh_tokens};
    let password = new_password()?;
    let db = bootstrap::open_db(config).await?;
    let user = users::credentials_by_email(&db, email)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user has the email {email:?}"))?
        .user;
    let hash = password::hash_now(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let tx = rihla_persistence::begin_write(&db).await?;
    let actor = Actor::system("cli");
    users::set_password(&tx, &actor, user.id, hash).await?;
    refresh_tokens::revoke_user(&tx, user.id).await?;
    // Access tokens already issued end too, not when they expire.
    users::end_sessions(&tx, user.id).await?;
    login_failures::clear_account(&tx, email).await?;
    tx.commit().await?;
    println!(
        "set the password of {} ({}); every session of theirs has ended",
        user.email, user.id
    );
    Ok(())
}

async fn unlock(config: &Config, email: &str) -> anyhow::Result<()> {
    use rihla_persistence::repo::login_failures;
    let db = bootstrap::open_db(config).await?;
    if users::credentials_by_email(&db, email).await?.is_none() {
        anyhow::bail!("no user has the email {email:?}");
    }
    let cleared = login_failures::clear_account(&db, email).await?;
    println!("forgot {cleared} failed-login counters of {email}");
    Ok(())
}

fn days_ago(days: u32) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::Duration::days(i64::from(days))
}

async fn prune_audit(config: &Config) -> anyhow::Result<()> {
    let Some(days) = config.audit_retention_days() else {
        println!("APP_AUDIT_RETENTION_DAYS is not set: every audit event is kept");
        return Ok(());
    };
    let db = bootstrap::open_db(config).await?;
    let removed = audit::prune(&db, days_ago(days)).await?;
    println!("removed {removed} audit events older than {days} days");
    Ok(())
}

async fn purge(config: &Config, older_than: u32) -> anyhow::Result<()> {
    let db = bootstrap::open_db(config).await?;
    let report = purging::run(&db, &Actor::system("purge"), days_ago(older_than)).await?;
    for row in &report.rows {
        println!(
            "{:<13} purged {:>6}  kept (still referenced) {:>6}",
            row.resource.as_str(),
            row.purged,
            row.kept
        );
    }
    println!(
        "purged {} records deleted more than {older_than} days ago",
        report.purged()
    );
    Ok(())
}
