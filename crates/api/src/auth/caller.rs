//! Who is calling. A middleware verifies the bearer token once per request and
//! looks up the user's current role and active flag (through `AccessCache`); the `Viewer`, `Editor` and
//! `Admin` extractors then demand a minimum role (401 without a valid token, 403
//! with too little role). Being synchronous, they fail before any body is read.

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use rihla_domain::Role;
use rihla_persistence::{Actor, repo};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub role: Role,
    /// This request's id, carried into the audit trail.
    pub request_id: Option<String>,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor::user(self.user_id, self.role, self.request_id.clone())
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

/// Verifies `Authorization: Bearer ...` when present. Never rejects by itself:
/// public routes ignore the verdict, protected ones read it through an extractor.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION).cloned()
        && let Some(state) = req.app_data::<web::Data<AppState>>().cloned()
    {
        let verdict = verdict(&state, value.to_str().unwrap_or("")).await;
        req.extensions_mut().insert(verdict);
    }
    next.call(req).await
}

async fn verdict(state: &AppState, header_value: &str) -> Authentication {
    let token = match header_value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            token.trim()
        }
        _ => return Authentication::Invalid("use Authorization: Bearer <access_token>".into()),
    };
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
        Ok(Some((role, true))) => Authentication::Valid(Caller {
            user_id: claims.sub,
            role,
            request_id: None,
        }),
        Ok(_) => Authentication::Invalid("the user of this token is not active".into()),
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
        Some(Authentication::Valid(caller)) if caller.role.at_least(min) => Ok(Caller {
            request_id: req
                .extensions()
                .get::<crate::http::RequestId>()
                .map(|r| r.0.clone()),
            ..caller.clone()
        }),
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
    /// May write domain records.
    Editor,
    Role::Editor
);
role_extractor!(
    /// May manage users.
    Admin,
    Role::Admin
);
