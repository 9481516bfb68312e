//! What answers when no route does: 405 with `Allow` for a known path under
//! another method, 404 otherwise, and 400s for malformed query and path
//! parameters.

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{ApiError, Problem, problem, problem_response};

/// Every (path template, methods) the API serves, taken from the OpenAPI spec so
/// the 405 answer can never disagree with the routes.
#[derive(Debug, Clone, Default)]
pub struct RouteTable(pub Vec<(Vec<String>, Vec<Method>)>);

impl RouteTable {
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let routes = spec
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (template.split('/').map(str::to_owned).collect(), methods)
            })
            .collect();
        RouteTable(routes)
    }

    /// The methods served at `path`; empty when no route matches it.
    fn methods_for(&self, path: &str) -> Vec<Method> {
        let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        self.0
            .iter()
            .filter(|(segments, _)| {
                segments.len() == parts.len()
                    && segments
                        .iter()
                        .zip(&parts)
                        .all(|(s, p)| s == p || (s.starts_with('{') && !p.is_empty()))
            })
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect()
    }
}

/// The app's default service: 405 with `Allow` when the path exists under
/// another method, 404 otherwise.
pub async fn fallback(req: HttpRequest) -> HttpResponse {
    let table = req.app_data::<web::Data<RouteTable>>();
    let methods = table.map(|t| t.methods_for(req.path())).unwrap_or_default();
    if !methods.is_empty() {
        let allow = methods
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let body: Problem = problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            format!("{} is not allowed here; use one of {allow}", req.method()),
        );
        let mut res = problem_response(StatusCode::METHOD_NOT_ALLOWED, &body);
        if let Ok(v) = header::HeaderValue::from_str(&allow) {
            res.headers_mut().insert(header::ALLOW, v);
        }
        return res;
    }
    let body = problem(
        StatusCode::NOT_FOUND,
        "not-found",
        format!("no route matches {}", req.path()),
    );
    problem_response(StatusCode::NOT_FOUND, &body)
}

/// 400 for an unparseable query string (bad enum value, non-numeric limit...).
pub fn query_error(err: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest {
        detail: format!("invalid query parameter: {err}"),
        errors: vec![],
    }
    .into()
}

/// 400 for a path parameter of the wrong shape (an id that is not a UUID).
pub fn path_error(err: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest {
        detail: format!("invalid path parameter: {err}"),
        errors: vec![],
    }
    .into()
}
