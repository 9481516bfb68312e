//! The eight handlers every domain resource has (list, create, get, replace,
//! merge-patch, delete, restore, history), generated from one declaration so
//! each resource behaves, and is documented, exactly like the others. A
//! resource module gives its types, repository, paths and prose; the macro
//! gives the HTTP contract.
//!
//! Every handler calls one generic operation of the persistence layer's
//! resource pattern (`repo::resource`) for the resource type `resource:`
//! names; only the list is the repository module's own (`repo::list`), since
//! each resource filters differently. A resource whose `Editable` has
//! `OPTIMISTIC_PATCH` (`resource::optimistic`) gets the unlocked PATCH below
//! without asking.
//! `writers:` names the extractor the write handlers take: `Editor` for
//! shared reference data, `Writer` for project-owned records (a partner
//! passes it, and the data layer keeps its writes to the projects it edits).
//! Every read and write carries the caller's scope into the data layer.
//! `also:` registers a resource's extra handlers (nested reads) in the same
//! `configure`.

macro_rules! crud_routes {
    (
        tag: $tag:literal,
        collection: $collection:literal,
        item: $item:literal,
        id: $id_doc:literal,
        repo: $repo:ident,
        resource: $R:ty,
        writers: $Writer:ident,
        record: $Record:ident,
        input: $Input:ident,
        params: $Params:ident,
        list: $list:ident => [$list_summary:literal, $list_doc:literal],
        create: $create:ident => [$create_summary:literal, $create_doc:literal],
        get: $get:ident => [$get_summary:literal $(, $get_doc:literal)?],
        replace: $replace:ident => [$replace_summary:literal, $replace_doc:literal],
        patch: $patch:ident => [$patch_summary:literal, $patch_doc:literal, $patch_example:tt],
        delete: $delete:ident => [$delete_summary:literal, $delete_doc:literal],
        restore: $restore:ident at $restore_path:literal => [$restore_summary:literal, $restore_doc:literal],
        history: $history:ident at $history_path:literal => [$history_summary:literal],
        $(also: [$($extra:ident),* $(,)?],)?
    ) => {
        // Bare names: utoipa finds the method and path through these attributes.
        use actix_web::{delete, get, patch, post, put};
        use rihla_persistence::repo::resource::{self, Registered};

        #[doc = $list_summary]
        #[doc = ""]
        #[doc = $list_doc]
        #[utoipa::path(
            tag = $tag,
            params($Params),
            responses((status = 200, description = "One page, in `sort` order", body = Page<$Record>))
        )]
        #[get($collection)]
        async fn $list(
            caller: $crate::auth::Viewer,
            state: actix_web::web::Data<$crate::state::AppState>,
            params: actix_web::web::Query<$Params>,
            wants: $crate::export::Wants,
        ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> {
            caller.include_deleted(params.include_deleted)?;
            let scope = caller.scope();
            let name = $collection.trim_start_matches('/');
            $crate::export::list(wants, name, params.into_inner(), move |p: $Params| {
                let (state, scope) = (state.clone(), scope.clone());
                async move { Ok($repo::list(&state.reader().await?, scope, &p).await?) }
            })
            .await
        }

        #[doc = $create_summary]
        #[doc = ""]
        #[doc = $create_doc]
        #[utoipa::path(
            tag = $tag,
            request_body = $Input,
            responses((status = 201, description = "Created", body = $Record))
        )]
        #[post($collection)]
        async fn $create(
            caller: $crate::auth::$Writer,
            state: actix_web::web::Data<$crate::state::AppState>,
            req: actix_web::HttpRequest,
            key: $crate::http::IdempotencyKey,
            body: $crate::http::Valid<$Input>,
        ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> {
            let $crate::http::Valid(body) = body;
            let reaches = async |id| -> Result<(), $crate::error::ApiError> {
                let db = state.reader().await?;
                Ok(resource::authorize::<$R>(&db, caller.scope(), id, false).await?)
            };
            $crate::write::create(&state, &caller, &req, key, &body.canonical_hash, reaches, async |tx| {
                Ok(resource::create::<$R>(tx, &caller.actor(), &body.value).await?)
            })
            .await
        }

        #[doc = $get_summary]
        $(#[doc = ""] #[doc = $get_doc])?
        #[utoipa::path(
            tag = $tag,
            params(("id" = uuid::Uuid, Path, description = $id_doc), rihla_domain::ReadParams),
            responses((status = 200, description = "The record", body = $Record))
        )]
        #[get($item)]
        async fn $get(
            caller: $crate::auth::Viewer,
            state: actix_web::web::Data<$crate::state::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
            read: actix_web::web::Query<rihla_domain::ReadParams>,
        ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> {
            let include_deleted = caller.include_deleted(read.include_deleted)?;
            let db = state.reader().await?;
            let record = if include_deleted {
                resource::get_any::<$R>(&db, caller.scope(), *id).await?
            } else {
                resource::get::<$R>(&db, caller.scope(), *id).await?
            };
            drop(db);
            Ok($crate::write::ok(&record))
        }

        #[doc = $replace_summary]
        #[doc = ""]
        #[doc = $replace_doc]
        #[utoipa::path(
            tag = $tag,
            params(("id" = uuid::Uuid, Path, description = $id_doc)),
            request_body = $Input,
            responses((status = 200, description = "The replaced record", body = $Record))
        )]
        #[put($item)]
        async fn $replace(
            caller: $crate::auth::$Writer,
            state: actix_web::web::Data<$crate::state::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
            if_match: $crate::http::IfMatch,
            body: $crate::http::Valid<$Input>,
        ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> {
            let tx = $crate::write::begin(&state).await?;
            let record = resource::replace::<$R>(&tx, &caller.actor(), *id, &body.0.value, if_match.0).await?;
            $crate::write::commit(tx).await?;
            Ok($crate::write::ok(&record))
        }

        #[doc = $patch_summary]
        #[doc = ""]
        #[doc = $patch_doc]
        #[utoipa::path(
            tag = $tag,
            params(("id" = uuid::Uuid, Path, description = $id_doc)),
            request_body(content = Object, content_type = "application/merge-patch+json",
                example = json!($patch_example)),
            responses((status = 200, description = "The updated record", body = $Record))
        )]
        #[patch($item)]
        async fn $patch(
            caller: $crate::auth::$Writer,
            state: actix_web::web::Data<$crate::state::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
            if_match: $crate::http::IfMatch,
            body: $crate::http::Json<serde_json::Value>,
        ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> {
            let actor = caller.actor();
            if resource::optimistic::<$R>() {
                // Optimistic first: read without a lock, outside the write
                // (on SQLite, outside the writer's turn), and write only if
                // the version read is still current. A change that is more
                // than the record's own row, or a record written meanwhile,
                // goes the locked way below, as if this had not been tried.
                // A PATCH that cannot go this way opens no write for it (on
                // SQLite, takes no writer's turn and cuts no batch short).
                let current = resource::get::<$R>(&state.reader().await?, caller.scope(), *id).await?;
                let input: $Input = $crate::write::patched(if_match, &current, &body.value)?;
                if resource::only_own_row::<$R>(&current, &input) {
                    let tx = $crate::write::begin(&state).await?;
                    if let Some(record) = resource::patch_unlocked::<$R>(&tx, &actor, &current, &input).await? {
                        $crate::write::commit(tx).await?;
                        return Ok($crate::write::ok(&record));
                    }
                    // Ended first: on SQLite it holds the writer's turn that
                    // the locked way waits for.
                    tx.rollback().await?;
                }
            }
            let tx = $crate::write::begin(&state).await?;
            let current = resource::get_for_update::<$R>(&tx, &actor, *id).await?;
            let input: $Input = $crate::write::patched(if_match, &current, &body.value)?;
            let record = resource::update::<$R>(&tx, &actor, &current, &input).await?;
            $crate::write::commit(tx).await?;
            Ok($crate::write::ok(&record))
        }

        #[doc = $delete_summary]
        #[doc = ""]
        #[doc = $delete_doc]
        #[utoipa::path(
            tag = $tag,
            params(("id" = uuid::Uuid, Path, description = $id_doc)),
            responses((status = 204, description = "Deleted"))
        )]
        #[delete($item)]
        async fn $delete(
            caller: $crate::auth::$Writer,
            state: actix_web::web::Data<$crate::state::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
            if_match: $crate::http::IfMatch,
        ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> {
            let tx = $crate::write::begin(&state).await?;
            resource::delete::<$R>(&tx, &caller.actor(), *id, if_match.0).await?;
            $crate::write::commit(tx).await?;
            Ok(actix_web::HttpResponse::NoContent().finish())
        }

        #[doc = $restore_summary]
        #[doc = ""]
        #[doc = $restore_doc]
        #[utoipa::path(
            tag = $tag,
            extensions(("x-rihla" = json!(["versioned"]))),
            params(("id" = uuid::Uuid, Path, description = $id_doc)),
            responses((status = 200, description = "The restored record", body = $Record))
        )]
        #[post($restore_path)]
        async fn $restore(
            caller: $crate::auth::$Writer,
            state: actix_web::web::Data<$crate::state::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
            if_match: $crate::http::IfMatch,
        ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> {
            let tx = $crate::write::begin(&state).await?;
            let record = resource::restore::<$R>(&tx, &caller.actor(), *id, if_match.0).await?;
            $crate::write::commit(tx).await?;
            Ok($crate::write::ok(&record))
        }

        #[doc = $history_summary]
        #[doc = ""]
        #[doc = "Every create, update, delete, restore and purge of the record, newest first: who, when, from which request, the version it produced, and what changed. Admins also see the history of deleted and purged records."]
        #[utoipa::path(
            tag = $tag,
            params(("id" = uuid::Uuid, Path, description = $id_doc), rihla_domain::HistoryParams),
            responses((status = 200, description = "One page of events, newest first", body = Page<rihla_domain::AuditEvent>))
        )]
        #[get($history_path)]
        async fn $history(
            caller: $crate::auth::Viewer,
            state: actix_web::web::Data<$crate::state::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
            params: actix_web::web::Query<rihla_domain::HistoryParams>,
            wants: $crate::export::Wants,
        ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> {
            $crate::routes::audit::record_history(
                &state,
                &caller,
                <$R as Registered>::TYPE,
                *id,
                params.into_inner(),
                wants,
            )
            .await
        }

        pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
            cfg.service($list)
                .service($create)
                .service($get)
                .service($replace)
                .service($patch)
                .service($delete)
                .service($restore)
                .service($history)
                $($(.service($extra))*)?;
        }
    };
}

pub(crate) use crud_routes;
