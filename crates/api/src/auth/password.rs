//! Argon2id password hashing, bounded. Each hash takes about 19 MiB and tens
//! of milliseconds of a core, so at most `Hasher`'s permits run at once (one
//! per core by default); a request that cannot get one within the wait gets
//! 503 with Retry-After instead of joining an unbounded queue.

use std::sync::Arc;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use tokio::sync::Semaphore;

use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    wait: Duration,
}

impl Hasher {
    /// `concurrency` 0 means one hash per core.
    pub fn new(concurrency: usize, wait: Duration) -> Self {
        let n = match concurrency {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        Hasher {
            permits: Arc::new(Semaphore::new(n)),
            wait,
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| ApiError::Busy("too many password checks at once; retry shortly".into()))?
            .map_err(ApiError::internal)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(ApiError::internal)?
    }

    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move || hash_now(&password)).await
    }

    /// Checks `password` against `stored`. With no stored hash (unknown email)
    /// it verifies against `dummy`, so the answer takes the same time whether
    /// or not the account exists.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
        dummy: String,
    ) -> Result<bool, ApiError> {
        self.run(move || {
            let known = stored.is_some();
            let phc = stored.unwrap_or(dummy);
            let parsed = PasswordHash::new(&phc).map_err(ApiError::internal)?;
            let ok = Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            Ok(ok && known)
        })
        .await
    }
}

/// One hash on the calling thread (start-up, the CLI).
pub fn hash_now(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(ApiError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

/// A random password for generated admin accounts and resets: 24 characters
/// from an alphabet without look-alikes.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..24)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}
