//! /api/v1/documents

use rihla_domain::{Document, DocumentInput, DocumentListParams, Page};
use rihla_persistence::repo::documents as repo;

super::crud::crud_routes! {
    tag: "documents",
    collection: "/documents",
    item: "/documents/{id}",
    id: "Document id",
    repo: repo,
    resource: repo::Documents,
    writers: Writer,
    record: Document,
    input: DocumentInput,
    params: DocumentListParams,
    list: list_documents => ["List documents",
        "Filters combine with AND. Keyset-paged: pass `next_cursor` back as `cursor` with the same `sort` to get the next page."],
    create: create_document => ["Create a document",
        "A document belongs to a project, an activity, or both (`project_id` and/or `activity_id`, at least one); each must exist, and an activity given with a project must be one of that project's. Every organisation named must exist. Honours `Idempotency-Key`."],
    get: get_document => ["Get a document"],
    replace: replace_document => ["Replace a document",
        "Every field is set from the body; omitted optional fields become null and lists empty."],
    patch: patch_document => ["Update a document partially",
        "A JSON merge patch (RFC 7386): members present change, `null` clears a field, a list given replaces the list. The result must pass the same rules as a replace.",
        {"url": "https://www.icmpd.org/our-work/projects/libya-s-migration-technical-assistance-facility-libmitaf"}],
    delete: delete_document => ["Delete a document",
        "Soft delete: the record disappears from reads and lists, keeps its history, and can be restored (`POST .../restore`) until `rihla purge` removes it. Nothing refers to a document, so a delete is never refused for references."],
    restore: restore_document at "/documents/{id}/restore" => ["Restore a deleted document",
        "Its project, activity and organisations must still exist (409 otherwise)."],
    history: document_history at "/documents/{id}/history" => ["History of a document"],
}
