//! /api/v1/dialogues

use rihla_domain::{Dialogue, DialogueInput, DialogueListParams, Page};
use rihla_persistence::repo::dialogues as repo;

super::crud::crud_routes! {
    tag: "dialogues",
    collection: "/dialogues",
    item: "/dialogues/{id}",
    id: "Dialogue id",
    repo: repo,
    resource: repo::Dialogues,
    writers: Editor,
    record: Dialogue,
    input: DialogueInput,
    params: DialogueListParams,
    list: list_dialogues => ["List dialogues",
        "Filters combine with AND. Keyset-paged: pass `next_cursor` back as `cursor` with the same `sort` to get the next page."],
    create: create_dialogue => ["Create a dialogue",
        "`name` must be unique; `secretariat_organisation_id` and `focal_point.organisation_id`, when given, must exist. Honours `Idempotency-Key`."],
    get: get_dialogue => ["Get a dialogue"],
    replace: replace_dialogue => ["Replace a dialogue",
        "Every field is set from the body; omitted optional fields become null and lists empty."],
    patch: patch_dialogue => ["Update a dialogue partially",
        "A JSON merge patch (RFC 7386): members present change, `null` clears a field, objects such as `focal_point` merge. The result must pass the same rules as a replace.",
        {"participation_status": "member"}],
    delete: delete_dialogue => ["Delete a dialogue",
        "Soft delete: the record disappears from reads, lists and reference checks, keeps its history, and can be restored (`POST .../restore`) until `rihla purge` removes it. 409, listing them in `references`, while meetings or activities still refer to it."],
    restore: restore_dialogue at "/dialogues/{id}/restore" => ["Restore a deleted dialogue",
        "Its name must not have been taken by another dialogue meanwhile, and its secretariat and focal-point organisations must still exist (409 otherwise)."],
    history: dialogue_history at "/dialogues/{id}/history" => ["History of a dialogue"],
}
