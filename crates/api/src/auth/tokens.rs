//! Access tokens (JWT HS256) and refresh tokens (random, stored hashed).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rihla_domain::Role;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::ApiError;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    /// The role when the token was issued; authorisation uses the stored role,
    /// so a demotion takes effect before the token expires.
    pub role: Role,
    pub iat: u64,
    pub exp: u64,
    pub iss: String,
    pub aud: String,
    pub jti: Uuid,
    /// The user's session epoch when the token was issued: logout, a
    /// password change and the like raise the stored one, ending every
    /// token issued before.
    #[serde(default)]
    pub epoch: i32,
}

/// Signing material and the rules every token must pass.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    pub access_ttl_secs: u64,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    pub fn new(secret: &[u8], issuer: &str, audience: &str, access_ttl_secs: u64) -> Self {
        // Only HS256 is accepted: `alg: none` and every other algorithm fail.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            access_ttl_secs,
        }
    }

    pub fn issue(&self, user_id: Uuid, role: Role, epoch: i32) -> Result<String, ApiError> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: user_id,
            role,
            iat: now,
            exp: now + self.access_ttl_secs,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: Uuid::now_v7(),
            epoch,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                let why = match e.kind() {
                    ErrorKind::ExpiredSignature => "the access token has expired",
                    ErrorKind::InvalidAudience => "the access token is for another audience",
                    ErrorKind::InvalidIssuer => "the access token is from another issuer",
                    ErrorKind::InvalidSignature => "the access token signature is invalid",
                    ErrorKind::InvalidAlgorithm => "the access token must be signed with HS256",
                    _ => "the access token is invalid",
                };
                ApiError::Unauthorized(why.into())
            })
    }
}

/// A new refresh token: 32 random bytes, URL-safe. Only its hash is stored.
pub fn new_refresh_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// The stored form of a refresh token or an API key: SHA-256, hex. Both
/// carry 256 random bits, so a fast hash loses nothing to guessing.
pub fn hash_secret(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// A new API key: the recognisable prefix, then 32 random bytes (256 bits)
/// in URL-safe base64. Returns the key and the part of it kept for display.
pub fn new_api_key() -> (String, String) {
    let key = format!(
        "{}{}",
        rihla_domain::API_KEY_PREFIX,
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    );
    let shown = key[..rihla_domain::API_KEY_PREFIX.len() + 4].to_owned();
    (key, shown)
}
