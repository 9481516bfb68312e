//! /api/v1/organisations

use rihla_domain::{Organisation, OrganisationInput, OrganisationListParams, Page};
use rihla_persistence::repo::organisations as repo;

super::crud::crud_routes! {
    tag: "organisations",
    collection: "/organisations",
    item: "/organisations/{id}",
    id: "Organisation id",
    repo: repo,
    resource: repo::Organisations,
    writers: Editor,
    record: Organisation,
    input: OrganisationInput,
    params: OrganisationListParams,
    list: list_organisations => ["List organisations",
        "Filters combine with AND. Keyset-paged: pass `next_cursor` back as `cursor` with the same `sort` to get the next page."],
    create: create_organisation => ["Create an organisation",
        "`name` must be unique; `parent_id`, when given, must name an existing organisation. Honours `Idempotency-Key`."],
    get: get_organisation => ["Get an organisation"],
    replace: replace_organisation => ["Replace an organisation",
        "Every field is set from the body; omitted optional fields become null."],
    patch: patch_organisation => ["Update an organisation partially",
        "A JSON merge patch (RFC 7386): members present change, `null` clears an optional field. The result must pass the same rules as a replace.",
        {"acronym": "MoFA"}],
    delete: delete_organisation => ["Delete an organisation",
        "Soft delete: the record disappears from reads, lists and reference checks, keeps its history, and can be restored (`POST .../restore`) until `rihla purge` removes it. 409, listing them in `references`, while projects, departments, activities, dialogues or delegations still refer to it."],
    restore: restore_organisation at "/organisations/{id}/restore" => ["Restore a deleted organisation",
        "Its name must not have been taken by another organisation meanwhile, and its parent must still exist (409 otherwise)."],
    history: organisation_history at "/organisations/{id}/history" => ["History of an organisation"],
}
