//! Who is calling. A middleware verifies the credential once per request: an
//! access token (the user's current role, active flag and session epoch come
//! through `AccessCache`) or an API key (read every time), and for a partner
//! its project memberships (through `ScopeCache`), which become the caller's
//! `Scope`. The `Viewer`, `Writer`, `Editor` and `Admin` extractors then
//! demand a minimum role (401 without a valid credential, 403 with too
//! little role). Being synchronous, they fail before any body is read.

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use rihla_domain::{API_KEY_PREFIX, Role};
use rihla_persistence::{Actor, ActorKind, Scope, repo};
use uuid::Uuid;

use crate::auth::tokens::hash_secret;
use crate::error::ApiError;
use crate::state::AppState;

/// What kind of credential a request came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// A person, with an access token.
    User,
    /// An integrating system, with an API key.
    ApiKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user's or the API key's id.
    pub id: Uuid,
    pub principal: Principal,
    pub role: Role,
    /// This request's id (the server's), carried into the audit trail.
    pub request_id: Option<String>,
    /// The client's X-Request-Id, kept beside it.
    pub correlation_id: Option<String>,
    /// What of the project-owned records it reaches (a partner's
    /// memberships, read for this request).
    pub scope: Scope,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        let kind = match self.principal {
            Principal::User => ActorKind::User {
                id: self.id,
                role: self.role,
            },
            Principal::ApiKey => ActorKind::ApiKey {
                id: self.id,
                role: self.role,
            },
        };
        Actor {
            kind,
            request_id: self.request_id.clone(),
            correlation_id: self.correlation_id.clone(),
        }
    }

    /// What of the project-owned records this caller reaches: everything
    /// for an organisation-wide role, a partner's projects otherwise.
    pub fn scope(&self) -> Scope {
        self.scope.clone()
    }

    /// The user behind the request; 403 for an API key, which is no user
    /// (it has no password, no sessions, no profile).
    pub fn user_id(&self) -> Result<Uuid, ApiError> {
        match self.principal {
            Principal::User => Ok(self.id),
            Principal::ApiKey => Err(ApiError::Forbidden(
                "this operation is for a signed-in user; an API key cannot use it".into(),
            )),
        }
    }

    /// `include_deleted=true` is an admin's view; anyone else asking is 403
    /// rather than silently shown less than they asked for.
    pub fn include_deleted(&self, asked: Option<bool>) -> Result<bool, ApiError> {
        match asked {
            Some(true) if self.role != Role::Admin => Err(ApiError::Forbidden(
                "include_deleted=true needs the admin role".into(),
            )),
            Some(flag) => Ok(flag),
            None => Ok(false),
        }
    }
}

/// The middleware's verdict, kept in the request extensions.
#[derive(Debug, Clone)]
enum Authentication {
    Valid(Caller),
    Invalid(String),
    Unavailable(String),
}

/// The user or API key a request was authenticated as, if any: for what
/// counts per caller before a handler runs (request budgets, export slots).
pub fn principal_of(req: &actix_web::HttpRequest) -> Option<Uuid> {
    use actix_web::HttpMessage;
    match req.extensions().get::<Authentication>() {
        Some(Authentication::Valid(caller)) => Some(caller.id),
        _ => None,
    }
}

/// The header an API key may come in instead of `Authorization: Bearer`.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Verifies `Authorization: Bearer ...` (an access token or an API key) or
/// `X-Api-Key` when present. Never rejects by itself: public routes ignore
/// the verdict, protected ones read it through an extractor.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let credential = match req.headers().get(header::AUTHORIZATION) {
        Some(value) => Some(bearer(value.to_str().unwrap_or(""))),
        // The API key header carries API keys only: an access token sent
        // there is refused, not read as if it came as a bearer token.
        None => req.headers().get(API_KEY_HEADER).map(|v| {
            let key = v.to_str().unwrap_or("").trim();
            if key.starts_with(API_KEY_PREFIX) {
                Ok(key.to_owned())
            } else {
                Err(format!(
                    "{API_KEY_HEADER} carries an API key ({API_KEY_PREFIX}...); send an access token as Authorization: Bearer"
                ))
            }
        }),
    };
    if let Some(credential) = credential
        && let Some(state) = req.app_data::<web::Data<AppState>>().cloned()
    {
        let verdict = match credential {
            Ok(secret) if secret.starts_with(API_KEY_PREFIX) => api_key(&state, &secret).await,
            Ok(token) => access_token(&state, &token).await,
            Err(why) => Authentication::Invalid(why),
        };
        req.extensions_mut().insert(verdict);
    }
    next.call(req).await
}

fn bearer(header_value: &str) -> Result<String, String> {
    match header_value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err("use Authorization: Bearer <access_token or API key>".into()),
    }
}

async fn access_token(state: &AppState, token: &str) -> Authentication {
    let claims = match state.jwt.verify(token) {
        Ok(c) => c,
        Err(e) => return Authentication::Invalid(e.to_string()),
    };
    let access = match state.access.get(claims.sub) {
        Ok(access) => Ok(access),
        Err(generation) => repo::users::access(&state.db, claims.sub)
            .await
            .inspect(|access| state.access.put(claims.sub, generation, *access)),
    };
    match access {
        Ok(Some(a)) if a.active && a.session_epoch == claims.epoch => {
            match scope_of(state, claims.sub, a.role).await {
                Ok(scope) => Authentication::Valid(Caller {
                    id: claims.sub,
                    principal: Principal::User,
                    role: a.role,
                    request_id: None,
                    correlation_id: None,
                    scope,
                }),
                Err(e) => Authentication::Unavailable(e.to_string()),
            }
        }
        Ok(Some(a)) if a.active => Authentication::Invalid(
            "this access token belongs to a session that has ended; log in again".into(),
        ),
        Ok(_) => Authentication::Invalid("the user of this token is not active".into()),
        Err(e) => Authentication::Unavailable(e.to_string()),
    }
}

/// A partner's memberships (through `ScopeCache`); everyone else's scope is
/// the whole organisation.
async fn scope_of(
    state: &AppState,
    id: Uuid,
    role: Role,
) -> Result<Scope, rihla_persistence::RepoError> {
    if !role.is_scoped() {
        return Ok(Scope::All);
    }
    match state.scopes.get(id) {
        Ok(scope) => Ok(scope),
        Err(generation) => {
            let scope = Scope::load(&state.db, id).await?;
            state.scopes.put(id, generation, scope.clone());
            Ok(scope)
        }
    }
}

/// Looked up on every request (one indexed read), so a revoked or expired
/// key is refused at once by every instance.
async fn api_key(state: &AppState, secret: &str) -> Authentication {
    let found = repo::api_keys::authenticate(&state.db, &hash_secret(secret)).await;
    match found {
        Ok(Some(key)) => {
            if repo::api_keys::needs_touch(&key) {
                // Best effort: a failed write must not fail the request.
                let touched = async {
                    let tx = rihla_persistence::begin_write(&state.db).await?;
                    repo::api_keys::touch(&tx, key.id).await?;
                    tx.commit().await
                };
                if let Err(e) = touched.await {
                    tracing::warn!(error = %e, key = %key.id, "could not record the API key's use");
                }
            }
            match scope_of(state, key.id, key.role).await {
                Ok(scope) => Authentication::Valid(Caller {
                    id: key.id,
                    principal: Principal::ApiKey,
                    role: key.role,
                    request_id: None,
                    correlation_id: None,
                    scope,
                }),
                Err(e) => Authentication::Unavailable(e.to_string()),
            }
        }
        Ok(None) => Authentication::Invalid("the API key is unknown, revoked or expired".into()),
        Err(e) => Authentication::Unavailable(e.to_string()),
    }
}

fn require(req: &HttpRequest, min: Role) -> Result<Caller, ApiError> {
    match req.extensions().get::<Authentication>() {
        None => Err(ApiError::Unauthorized(
            "this operation needs a bearer access token".into(),
        )),
        Some(Authentication::Invalid(why)) => Err(ApiError::Unauthorized(why.clone())),
        Some(Authentication::Unavailable(why)) => Err(ApiError::Unavailable(why.clone())),
        Some(Authentication::Valid(caller)) if caller.role.at_least(min) => {
            let ids = req.extensions().get::<crate::http::RequestId>().cloned();
            Ok(Caller {
                request_id: ids.as_ref().map(|r| r.server.clone()),
                correlation_id: ids.and_then(|r| r.client),
                ..caller.clone()
            })
        }
        Some(Authentication::Valid(caller)) => Err(ApiError::Forbidden(format!(
            "this operation needs the {min} role; you are {}",
            caller.role
        ))),
    }
}

macro_rules! role_extractor {
    ($(#[$meta:meta])* $name:ident, $role:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Caller);

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = std::future::Ready<Result<Self, ApiError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                std::future::ready(require(req, $role).map($name))
            }
        }

        impl std::ops::Deref for $name {
            type Target = Caller;
            fn deref(&self) -> &Caller {
                &self.0
            }
        }
    };
}

role_extractor!(
    /// Any authenticated, active user.
    Viewer,
    Role::Viewer
);
role_extractor!(
    /// May write anything but users and keys, organisation-wide (shared
    /// reference data is written only with this).
    Editor,
    Role::Editor
);

/// May write project-owned records: an organisation-wide editor, or a
/// partner, whose writes the data layer then keeps to the projects it edits.
#[derive(Debug, Clone)]
pub struct Writer(pub Caller);

impl FromRequest for Writer {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = require(req, Role::Viewer).and_then(|c| {
            if c.role.at_least(Role::Editor) || c.role.is_scoped() {
                Ok(c)
            } else {
                Err(ApiError::Forbidden(format!(
                    "this operation needs the editor role; you are {}",
                    c.role
                )))
            }
        });
        std::future::ready(caller.map(Writer))
    }
}

impl std::ops::Deref for Writer {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.0
    }
}
role_extractor!(
    /// May manage users.
    Admin,
    Role::Admin
);
