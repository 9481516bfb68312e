//! `GET /projects/{id}/iati` and `GET /iati/activities`: projects as an IATI
//! 2.03 `iati-activities` document (`crate::iati`). Both answer only what the
//! caller may read; a project that lacks what IATI requires is never
//! written as an invalid activity.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::web::{Bytes, Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse, get};
use rihla_domain::{
    DocumentListParams, FieldError, ParticipationRole, Project, ProjectListParams, ProjectStatus,
};
use rihla_persistence::Scope;
use rihla_persistence::repo::{documents, organisations, projects, resource};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::error::ApiError;
use crate::iati::{self, Facts, ReportingOrg};
use crate::state::AppState;

const XML: &str = "application/xml; charset=utf-8";
/// Projects read per page while streaming the list.
const PAGE: u64 = 50;

/// The reporting organisation, or the 409 that says how to configure it.
fn reporting_org(state: &AppState) -> Result<ReportingOrg, ApiError> {
    state.iati.clone().ok_or_else(|| ApiError::Conflict {
        detail: "the IATI reporting organisation is not configured: set APP_IATI_REPORTING_ORG_REF, APP_IATI_REPORTING_ORG_TYPE and APP_IATI_REPORTING_ORG_NAME".into(),
        errors: vec![FieldError::new(
            "reporting_org",
            "not_configured",
            "an IATI document names its publisher (reporting-org)",
        )],
        references: vec![],
    })
}

/// 406 unless the Accept header allows XML.
fn accepts_xml(req: &HttpRequest) -> Result<(), ApiError> {
    let Some(accept) = req.headers().get(header::ACCEPT) else {
        return Ok(());
    };
    let accept = accept.to_str().unwrap_or_default().to_ascii_lowercase();
    let ok = accept.split(',').any(|part| {
        let mut it = part.split(';');
        let media = it.next().unwrap_or_default().trim();
        let refused = it.any(|p| {
            let p = p.trim().replace(' ', "");
            p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
        });
        !refused
            && matches!(
                media,
                "application/xml" | "text/xml" | "application/*" | "*/*"
            )
    });
    if ok {
        Ok(())
    } else {
        Err(ApiError::NotAcceptable(
            "this resource is served as application/xml only".into(),
        ))
    }
}

/// The records `project`'s activity element names: its organisations and
/// its documents that have a URL (those the caller may read).
async fn facts(
    db: &rihla_persistence::Conn,
    scope: &Scope,
    project: Project,
) -> Result<Facts, ApiError> {
    let mut ids: Vec<Uuid> = project
        .participating_organisations
        .iter()
        .map(|o| o.organisation_id)
        .chain(project.commitments.iter().map(|c| c.organisation_id))
        .collect();
    ids.sort();
    ids.dedup();
    let organisations: HashMap<Uuid, _> = organisations::by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let mut docs = Vec::new();
    let mut params = DocumentListParams {
        project_id: Some(project.id),
        limit: Some(100),
        ..Default::default()
    };
    loop {
        let page = documents::list(db, scope.clone(), &params).await?;
        docs.extend(page.items.into_iter().filter(|d| d.url.is_some()));
        match page.next_cursor {
            Some(c) => params.cursor = Some(c),
            None => break,
        }
    }
    Ok(Facts {
        project,
        organisations,
        documents: docs,
    })
}

fn unpublishable(project: &Project, errors: Vec<FieldError>) -> ApiError {
    let list: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    ApiError::Conflict {
        detail: format!(
            "project {:?} lacks what IATI requires: {}",
            project.code,
            list.join(", ")
        ),
        errors,
        references: vec![],
    }
}

/// A project as an IATI activity
///
/// The project as an `iati-activities` document (IATI Activity Standard
/// 2.03) holding one `iati-activity`: identifier, reporting-org (from
/// APP_IATI_REPORTING_ORG_*), title, descriptions (summary type 1,
/// objective type 2), participating-orgs (funding 1, accountable 2,
/// extending 3, implementing 4; partners and beneficiaries are left out),
/// activity-status (planned 1, active 2, completed 4, suspended 6,
/// cancelled 5), activity-dates (planned start 1, actual start 2, planned
/// end 3, actual end 4), recipient-countries, sectors, budget lines,
/// commitments (transaction type 11), document-links for the project's
/// documents with a URL, and a result per outcome with indicators. 409
/// when the reporting organisation is not configured, or when the project
/// lacks what IATI requires (`errors` lists each: an identifier, a
/// description, a participating organisation with an IATI role, a start
/// date).
#[utoipa::path(
    tag = "iati",
    params(("id" = Uuid, Path, description = "The project's id")),
    responses(
        (status = 200, description = "An iati-activities document (version 2.03) that validates against the IATI schema", content_type = "application/xml", body = String),
        (status = 409, description = "The reporting organisation is not configured, or the project lacks what IATI requires (`errors` lists it)", content_type = "application/problem+json", body = crate::error::Problem),
        (status = 406, description = "The Accept header does not allow application/xml", content_type = "application/problem+json", body = crate::error::Problem),
    )
)]
#[get("/projects/{id}/iati")]
async fn project_iati(
    caller: Viewer,
    state: Data<AppState>,
    id: Path<Uuid>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    accepts_xml(&req)?;
    let db = state.reader().await?;
    let project = resource::get::<projects::Projects>(&db, caller.scope(), *id).await?;
    let org = reporting_org(&state)?;
    let now = chrono::Utc::now();
    let missing = iati::missing(&project, now.date_naive());
    if !missing.is_empty() {
        return Err(unpublishable(&project, missing));
    }
    let facts = facts(&db, &caller.scope(), project).await?;
    Ok(HttpResponse::Ok()
        .content_type(XML)
        .body(iati::document(&org, &facts, now)))
}

/// Filters of `GET /iati/activities`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IatiListParams {
    /// Only projects in this status.
    pub status: Option<ProjectStatus>,
    /// Only projects this organisation funds (a participating organisation
    /// with role `funding`).
    pub funder: Option<Uuid>,
}

/// A project to write, or one to name in the closing comment.
enum Next {
    Publish(Box<Facts>),
    Skip(String),
}

/// Walks the matching projects a page at a time.
struct Walk {
    db: rihla_persistence::Db,
    scope: Scope,
    params: ProjectListParams,
    buffer: std::collections::VecDeque<Project>,
    exhausted: bool,
    today: chrono::NaiveDate,
}

impl Walk {
    async fn next(&mut self) -> Result<Option<Next>, ApiError> {
        if self.buffer.is_empty() && !self.exhausted {
            let db = rihla_persistence::reader(&self.db).await?;
            let page = projects::list(&db, self.scope.clone(), &self.params).await?;
            self.buffer.extend(page.items);
            match page.next_cursor {
                Some(c) => self.params.cursor = Some(c),
                None => self.exhausted = true,
            }
        }
        let Some(project) = self.buffer.pop_front() else {
            return Ok(None);
        };
        let missing = iati::missing(&project, self.today);
        if !missing.is_empty() {
            let list: Vec<&str> = missing.iter().map(|e| e.field.as_str()).collect();
            return Ok(Some(Next::Skip(format!(
                "{} ({}): missing {}",
                project.code,
                project.id,
                list.join(", ")
            ))));
        }
        let db = rihla_persistence::reader(&self.db).await?;
        let facts = facts(&db, &self.scope, project).await?;
        Ok(Some(Next::Publish(Box::new(facts))))
    }
}

/// Every readable project as IATI activities
///
/// Every project the caller may read, filtered by `status` and `funder`, as
/// one `iati-activities` document (version 2.03), streamed: projects are
/// read a page at a time while the document is sent. A project that lacks
/// what IATI requires is left out and named, with what it lacks, in a
/// comment at the end of the document. 409 when the reporting organisation
/// is not configured or no matching project can be published (an
/// `iati-activities` document holds at least one activity).
#[utoipa::path(
    tag = "iati",
    params(IatiListParams),
    responses(
        (status = 200, description = "An iati-activities document (version 2.03) that validates against the IATI schema", content_type = "application/xml", body = String),
        (status = 409, description = "The reporting organisation is not configured, or no matching project can be published", content_type = "application/problem+json", body = crate::error::Problem),
        (status = 406, description = "The Accept header does not allow application/xml", content_type = "application/problem+json", body = crate::error::Problem),
    )
)]
#[get("/iati/activities")]
async fn iati_activities(
    caller: Viewer,
    state: Data<AppState>,
    q: Query<IatiListParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    accepts_xml(&req)?;
    let org = reporting_org(&state)?;
    let slot = match req.app_data::<Data<crate::http::budget::Budgets>>() {
        Some(budgets) => Some(budgets.export_slot(caller.id)?),
        None => None,
    };
    let now = chrono::Utc::now();
    let mut walk = Walk {
        db: state.db.clone(),
        scope: caller.scope(),
        params: ProjectListParams {
            status: q.status,
            organisation_id: q.funder,
            role: q.funder.map(|_| ParticipationRole::Funding),
            sort: Some("code".into()),
            limit: Some(PAGE),
            ..Default::default()
        },
        buffer: Default::default(),
        exhausted: false,
        today: now.date_naive(),
    };
    // The first publishable project is found before answering: a document
    // with no activity would not validate, so that case is a 409.
    let mut skipped = Vec::new();
    let first = loop {
        match walk.next().await? {
            Some(Next::Publish(f)) => break f,
            Some(Next::Skip(s)) => skipped.push(s),
            None => {
                return Err(ApiError::Conflict {
                    detail: if skipped.is_empty() {
                        "no project matches: an IATI document holds at least one activity".into()
                    } else {
                        format!(
                            "no matching project can be published: {}",
                            skipped.join("; ")
                        )
                    },
                    errors: vec![],
                    references: vec![],
                });
            }
        }
    };
    let mut head = iati::head(now);
    iati::activity(&mut head, &org, &first, walk.today);
    let state = (walk, org, skipped, Some(head), false);
    let body = futures_util::stream::unfold(
        state,
        |(mut walk, org, mut skipped, head, done)| async move {
            if done {
                return None;
            }
            if let Some(head) = head {
                return Some((Ok(Bytes::from(head)), (walk, org, skipped, None, false)));
            }
            let mut out = String::new();
            let finished = loop {
                match walk.next().await {
                    Ok(Some(Next::Publish(f))) => {
                        iati::activity(&mut out, &org, &f, walk.today);
                        break false;
                    }
                    Ok(Some(Next::Skip(s))) => skipped.push(s),
                    Ok(None) => break true,
                    Err(e) => {
                        // The status is sent: cutting the body short is how the
                        // client learns the document is incomplete.
                        tracing::error!(error = %e, "IATI export stopped");
                        return Some((
                            Err(actix_web::error::ErrorInternalServerError("export stopped")),
                            (walk, org, skipped, None, true),
                        ));
                    }
                }
            };
            if finished {
                if !skipped.is_empty() {
                    out.push_str("<!-- Not published, lacking what IATI requires:\n");
                    for s in &skipped {
                        out.push_str(&iati::comment_text(s));
                        out.push('\n');
                    }
                    out.push_str("-->\n");
                }
                out.push_str(iati::TAIL);
            }
            Some((
                Ok::<_, actix_web::Error>(Bytes::from(out)),
                (walk, org, skipped, None, finished),
            ))
        },
    );
    Ok(HttpResponse::Ok()
        .content_type(XML)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"iati-activities-{}.xml\"",
                now.format("%Y%m%d")
            ),
        ))
        .streaming(crate::export::guarded(body, slot)))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(project_iati).service(iati_activities);
}
