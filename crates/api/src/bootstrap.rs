//! Start-up: where the data lives, which secret signs tokens, migrations, and
//! the first admin. Refuses to start rather than run misconfigured.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use rihla_domain::Role;
use rihla_domain::user::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use rihla_persistence::repo::users;
use rihla_persistence::{Actor, Db, DbSettings, RepoError};
use secrecy::ExposeSecret;

use crate::auth::password;
use crate::auth::tokens::JwtKeys;
use crate::config::{Config, SqliteSync};
use crate::state::{AppState, LoginThrottle};

pub const MIN_SECRET_BYTES: usize = 32;
const SECRET_FILE: &str = "jwt-secret";

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The database URL: APP_DATABASE_URL, or SQLite in the data folder.
pub fn database_url(config: &Config) -> anyhow::Result<String> {
    // An empty value (`APP_DATABASE_URL=` in an env file) means unset.
    if let Some(url) = config
        .database_url
        .as_ref()
        .map(|u| u.expose_secret().trim())
        .filter(|u| !u.is_empty())
    {
        return Ok(url.to_owned());
    }
    private_dir(&config.data_dir)?;
    let path = config.data_dir.join("rihla.db");
    private_files(&path)?;
    Ok(format!("sqlite://{}?mode=rwc", path.display()))
}

/// The data folder, created readable by this user only (0700). An existing
/// folder is left as it is (it may be shared on purpose), with a warning
/// when others can read it.
fn private_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir)?.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(path = %dir.display(), mode = format!("{:o}", mode & 0o777), "the data folder is open to other users; chmod 700 it");
            }
        }
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("cannot create data folder {}", dir.display()))
}

/// The SQLite database (password hashes, API key hashes) and its journal
/// files are this user's alone (0600): created so before SQLite opens them
/// (it gives its -wal and -shm files the database's mode), and tightened if
/// an older version left them open.
fn private_files(db: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if !db.exists() {
            fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(db)
                .with_context(|| format!("cannot create {}", db.display()))?;
        }
        for suffix in ["", "-wal", "-shm"] {
            let path = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
            if let Ok(meta) = fs::metadata(&path)
                && meta.permissions().mode() & 0o077 != 0
            {
                fs::set_permissions(&path, fs::Permissions::from_mode(0o600))
                    .with_context(|| format!("cannot make {} private", path.display()))?;
            }
        }
    }
    Ok(())
}

/// Applies every pending migration (on a connection of its own, as the
/// migrator needs sea-orm's connection type) and opens the pool.
pub async fn open_db(config: &Config) -> anyhow::Result<Db> {
    let settings = DbSettings {
        url: database_url(config)?,
        max_connections: config.db_max_connections.max(1),
        acquire_timeout: config.db_acquire_timeout(),
        sqlite_sync_every_commit: config.sqlite_synchronous == SqliteSync::Full,
    };
    rihla_persistence::migrate(&settings)
        .await
        .context("cannot apply database migrations")?;
    rihla_persistence::connect(&settings)
        .await
        .context("cannot connect to the database")
}

/// APP_JWT_SECRET, or (SQLite only) a secret generated once and kept in the data
/// folder with mode 0600. With PostgreSQL several instances must share one
/// secret, so a missing one is an error rather than a per-instance key.
fn jwt_secret(config: &Config, postgres: bool) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &config.jwt_secret {
        let bytes = secret.expose_secret().as_bytes().to_vec();
        if bytes.len() < MIN_SECRET_BYTES {
            bail!("APP_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long");
        }
        return Ok(bytes);
    }
    if postgres {
        bail!(
            "APP_JWT_SECRET must be set (at least {MIN_SECRET_BYTES} bytes) when APP_DATABASE_URL points at PostgreSQL, so that every instance signs tokens with the same key"
        );
    }
    private_dir(&config.data_dir)?;
    let path = config.data_dir.join(SECRET_FILE);
    if path.exists() {
        // Anyone else who could read it could sign tokens as any user: such
        // a key is no longer secret, so the server does not start on it.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path)?.permissions().mode();
            if mode & 0o077 != 0 {
                bail!(
                    "{} can be read by other users (mode {:o}): it may be known; delete it to generate a new one (every session then ends), or chmod 600 it if it was never exposed",
                    path.display(),
                    mode & 0o777
                );
            }
        }
        let secret = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if secret.len() < MIN_SECRET_BYTES {
            bail!(
                "{} is shorter than {MIN_SECRET_BYTES} bytes; delete it to regenerate",
                path.display()
            );
        }
        return Ok(secret);
    }
    let secret = base64_secret();
    write_private(&path, secret.as_bytes())?;
    tracing::info!(path = %path.display(), "generated a JWT secret");
    Ok(secret.into_bytes())
}

fn base64_secret() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 48]>())
}

fn write_private(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(content)?;
    file.sync_all()?;
    Ok(())
}

/// The file a generated admin password is written to, in the data folder.
pub const ADMIN_PASSWORD_FILE: &str = "admin-password";

/// Writes a generated admin password to `ADMIN_PASSWORD_FILE` (mode 0600),
/// before the admin exists: a password that cannot be kept makes no admin.
fn keep_admin_password(config: &Config, password: &str) -> anyhow::Result<std::path::PathBuf> {
    use std::io::Write;
    private_dir(&config.data_dir)?;
    let path = config.data_dir.join(ADMIN_PASSWORD_FILE);
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(file, "{password}")?;
    Ok(path)
}

/// On an empty database, creates the admin of APP_ADMIN_EMAIL. Without
/// APP_ADMIN_PASSWORD the password is generated and written to a private
/// file in the data folder, whose path (never the password) is printed and
/// logged: stdout is a container's log.
async fn ensure_admin(db: &Db, config: &Config) -> anyhow::Result<()> {
    if users::count(db).await? > 0 {
        return Ok(());
    }
    let (password, generated) = match &config.admin_password {
        Some(p) if !p.expose_secret().is_empty() => (p.expose_secret().to_owned(), false),
        _ => (password::generate(), true),
    };
    let kept = if generated {
        Some(keep_admin_password(config, &password)?)
    } else {
        None
    };
    let hash = password::hash_now(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let created = users::create(
        db,
        &Actor::system("bootstrap"),
        users::NewUser {
            email: &config.admin_email,
            display_name: "Administrator",
            role: Role::Admin,
            active: true,
            password_hash: hash,
        },
    )
    .await;
    match created {
        Ok(user) => {
            tracing::info!(email = %user.email, "created the first admin");
            if let Some(path) = &kept {
                tracing::info!(path = %path.display(), "the admin's generated password is in this file (mode 0600); read it, then delete it");
                println!(
                    "\n  Rihla created the admin {}\n  its password is in {} (mode 0600); read it, then delete the file\n  (set APP_ADMIN_PASSWORD to choose it instead)\n",
                    user.email,
                    path.display()
                );
            }
            Ok(())
        }
        // Another instance sharing the database created it first.
        Err(RepoError::Conflict { .. }) => {
            if let Some(path) = &kept {
                let _ = fs::remove_file(path);
            }
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// APP_ADMIN_PASSWORD follows the API's password policy: checked before
/// anything else, whether or not the admin still has to be created, so a
/// weak value is found the first time it is set.
fn check_admin_password(config: &Config) -> anyhow::Result<()> {
    let Some(p) = &config.admin_password else {
        return Ok(());
    };
    let chars = p.expose_secret().chars().count() as u64;
    if chars > 0 && !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        bail!(
            "APP_ADMIN_PASSWORD must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters, like every password the API accepts (it has {chars}); unset it to have one generated"
        );
    }
    Ok(())
}

/// SQLite: one `serve` per data folder. Two would each keep their own
/// writer queue and caches over one file; the second is refused at start.
/// (The maintenance commands, `backup` included, may run beside it.)
fn lock_data_dir(config: &Config) -> anyhow::Result<fs::File> {
    let path = config.data_dir.join("serve.lock");
    let mut options = fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => bail!(
            "another `rihla serve` is already using the data folder {}; stop it first, or give this one its own APP_DATA_DIR (several instances share a PostgreSQL database instead)",
            config.data_dir.display()
        ),
        Err(fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// Everything `serve` needs before it binds.
pub async fn prepare(config: &Config) -> anyhow::Result<AppState> {
    check_admin_password(config)?;
    let url = database_url(config)?;
    let data_lock = if is_postgres(&url) {
        None
    } else {
        Some(lock_data_dir(config)?)
    };
    let secret = jwt_secret(config, is_postgres(&url))?;
    let db = open_db(config).await?;
    ensure_admin(&db, config).await?;
    let dummy_hash =
        password::hash_now(&password::generate()).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(AppState {
        db,
        jwt: JwtKeys::new(
            &secret,
            &config.jwt_issuer,
            &config.jwt_audience,
            config.access_token_ttl_secs,
        ),
        dummy_hash,
        refresh_ttl: chrono::Duration::days(config.refresh_token_ttl_days),
        session_max_age: chrono::Duration::seconds(
            i64::try_from(config.session_max_age_secs).unwrap_or(i64::MAX / 1000),
        ),
        hasher: password::Hasher::new(
            config.password_hash_concurrency,
            std::time::Duration::from_millis(config.password_hash_wait_ms),
        ),
        login: LoginThrottle {
            max_per_pair: i32::try_from(config.login_max_failures).unwrap_or(i32::MAX),
            max_per_address: i32::try_from(config.login_max_failures_per_address)
                .unwrap_or(i32::MAX),
            window: chrono::Duration::seconds(
                i64::try_from(config.login_window_secs).unwrap_or(i64::MAX / 1000),
            ),
            trust_forwarded_for: config.trust_forwarded_for,
            shut: Default::default(),
        },
        idempotency_ttl: chrono::Duration::hours(config.idempotency_ttl_hours),
        audit_retention: config
            .audit_retention_days()
            .map(|days| chrono::Duration::days(i64::from(days))),
        access: Default::default(),
        scopes: Default::default(),
        data_lock,
        iati: config.iati_reporting_org()?,
    })
}
