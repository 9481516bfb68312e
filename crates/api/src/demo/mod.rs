//! The demo data set (`rihla seed-demo`, `rihla serve --demo`): real, dated
//! facts from the seed documents, kept in `data.json` so they can be read
//! against their sources. Records refer to each other by natural key
//! (`@organisation:NAME`, `@project:CODE`, `@dialogue:NAME`,
//! `@meeting:DIALOGUE/TITLE`), resolved to ids as the load goes.
//!
//! Loading goes through the same repositories and rules as the API, in one
//! transaction. A record is looked up by natural key: a missing one is
//! created, one that differs from the data set (a database seeded by an
//! older version) is updated to it, with its audit event; a second run
//! changes nothing, and an interrupted one leaves nothing half done.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, anyhow, bail};
use rihla_domain::{
    ActivityInput, Check, DelegationInput, DialogueInput, DialogueListParams, DocumentInput,
    MeetingInput, OrganisationInput, OrganisationListParams, ProjectInput, ProjectListParams,
};
use rihla_persistence::repo::{
    activities, delegations, dialogues, documents, meetings, organisations, projects, resource,
};
use rihla_persistence::{Actor, Db, Tx, begin_write};
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

const DATA: &str = include_str!("data.json");

/// How many records of each kind a load created, how many it found present,
/// and how many of those it brought up to the data set.
#[derive(Debug, Default)]
pub struct Report {
    pub created: BTreeMap<&'static str, usize>,
    pub present: BTreeMap<&'static str, usize>,
    pub updated: BTreeMap<&'static str, usize>,
}

impl Report {
    pub fn created_total(&self) -> usize {
        self.created.values().sum()
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds = [
            "organisations",
            "projects",
            "dialogues",
            "meetings",
            "activities",
            "delegations",
            "documents",
        ];
        for kind in kinds {
            writeln!(
                f,
                "{kind:>14}: {} created, {} already present ({} updated)",
                self.created.get(kind).unwrap_or(&0),
                self.present.get(kind).unwrap_or(&0),
                self.updated.get(kind).unwrap_or(&0)
            )?;
        }
        Ok(())
    }
}

/// Natural key -> id of every record loaded or found so far.
struct Loader {
    actor: Actor,
    tx: Tx,
    ids: HashMap<String, Uuid>,
    report: Report,
}

impl Loader {
    /// Replaces every `@kind:key` string in `v` by that record's id.
    fn resolve(&self, v: &mut Value) -> anyhow::Result<()> {
        match v {
            Value::String(s) if s.starts_with('@') => {
                let id = self
                    .ids
                    .get(&s[1..])
                    .ok_or_else(|| anyhow!("demo data refers to unknown {s}"))?;
                *s = id.to_string();
            }
            Value::Array(items) => items.iter_mut().try_for_each(|i| self.resolve(i))?,
            Value::Object(map) => map.values_mut().try_for_each(|i| self.resolve(i))?,
            _ => {}
        }
        Ok(())
    }

    /// Parses and validates one record exactly as the API would.
    fn input<T: DeserializeOwned + Check>(&self, mut v: Value, what: &str) -> anyhow::Result<T> {
        self.resolve(&mut v)?;
        let input: T =
            serde_json::from_value(v).with_context(|| format!("demo {what} does not parse"))?;
        let errors = input.check();
        if !errors.is_empty() {
            bail!("demo {what} is invalid: {errors:?}");
        }
        Ok(input)
    }

    /// Records `key` -> id, counting it as created or present.
    fn note(&mut self, kind: &'static str, key: String, id: Uuid, created: bool) {
        let counter = if created {
            &mut self.report.created
        } else {
            &mut self.report.present
        };
        *counter.entry(kind).or_default() += 1;
        self.ids.insert(key, id);
    }
}

impl Loader {
    /// Counts what `resource::upsert` did: the id, and whether it was created.
    fn upserted(&mut self, kind: &'static str, done: resource::Upserted) -> (Uuid, bool) {
        match done {
            resource::Upserted::Created(id) => (id, true),
            resource::Upserted::Updated(id) => {
                *self.report.updated.entry(kind).or_default() += 1;
                (id, false)
            }
            resource::Upserted::Unchanged(id) => (id, false),
        }
    }
}

fn section(data: &Value, name: &str) -> Vec<Value> {
    data[name].as_array().cloned().unwrap_or_default()
}

/// Loads what is missing of the demo data set.
pub async fn seed(db: &Db) -> anyhow::Result<Report> {
    let data: Value = serde_json::from_str(DATA).context("demo data is not JSON")?;
    let mut l = Loader {
        tx: begin_write(db).await?,
        actor: Actor::system("seed-demo"),
        ids: HashMap::new(),
        report: Report::default(),
    };

    for v in section(&data, "organisations") {
        let input: OrganisationInput = l.input(v, "organisation")?;
        let found = organisations::id_by_name(&l.tx, &input.name).await?;
        let done = resource::upsert::<organisations::Organisations>(&l.tx, &l.actor, found, &input)
            .await?;
        let (id, created) = l.upserted("organisations", done);
        l.note(
            "organisations",
            format!("organisation:{}", input.name),
            id,
            created,
        );
    }
    for v in section(&data, "projects") {
        let input: ProjectInput = l.input(v, "project")?;
        let found = projects::id_by_code(&l.tx, &input.code).await?;
        let done = resource::upsert::<projects::Projects>(&l.tx, &l.actor, found, &input).await?;
        let (id, created) = l.upserted("projects", done);
        l.note("projects", format!("project:{}", input.code), id, created);
    }
    for v in section(&data, "dialogues") {
        let input: DialogueInput = l.input(v, "dialogue")?;
        let found = dialogues::id_by_name(&l.tx, &input.name).await?;
        let done = resource::upsert::<dialogues::Dialogues>(&l.tx, &l.actor, found, &input).await?;
        let (id, created) = l.upserted("dialogues", done);
        l.note("dialogues", format!("dialogue:{}", input.name), id, created);
    }
    for v in section(&data, "meetings") {
        let dialogue_name = v["dialogue"].as_str().unwrap_or_default().to_owned();
        let dialogue = *l
            .ids
            .get(&format!("dialogue:{dialogue_name}"))
            .ok_or_else(|| anyhow!("demo meeting of unknown dialogue {dialogue_name:?}"))?;
        let input: MeetingInput = l.input(v["meeting"].clone(), "meeting")?;
        let (id, created) = match meetings::id_by_title(&l.tx, dialogue, &input.title).await? {
            Some(id) => (id, false),
            None => (
                meetings::create(&l.tx, &l.actor, dialogue, &input)
                    .await?
                    .id,
                true,
            ),
        };
        let key = format!("meeting:{dialogue_name}/{}", input.title);
        l.note("meetings", key, id, created);
    }
    for v in section(&data, "activities") {
        let input: ActivityInput = l.input(v, "activity")?;
        let found = activities::id_by_title(&l.tx, input.project_id, &input.title).await?;
        let done =
            resource::upsert::<activities::Activities>(&l.tx, &l.actor, found, &input).await?;
        let (id, created) = l.upserted("activities", done);
        l.note(
            "activities",
            format!("activity:{}", input.title),
            id,
            created,
        );
    }
    for v in section(&data, "delegations") {
        let input: DelegationInput = l.input(v, "delegation")?;
        let found = delegations::id_by_meeting_and_country(
            &l.tx,
            input.meeting_id,
            input.country_code.as_deref(),
        )
        .await?;
        let (id, created) = match found {
            Some(id) => (id, false),
            None => (
                resource::create::<delegations::Delegations>(&l.tx, &l.actor, &input)
                    .await?
                    .id,
                true,
            ),
        };
        l.note("delegations", format!("delegation:{id}"), id, created);
    }
    for v in section(&data, "documents") {
        let input: DocumentInput = l.input(v, "document")?;
        let found = documents::id_by_title(&l.tx, input.project_id, &input.title).await?;
        let done = resource::upsert::<documents::Documents>(&l.tx, &l.actor, found, &input).await?;
        let (id, created) = l.upserted("documents", done);
        l.note(
            "documents",
            format!("document:{}", input.title),
            id,
            created,
        );
    }
    l.tx.commit().await?;
    Ok(l.report)
}

/// `serve --demo`: loads the data set only into a database that holds no
/// domain records yet, so it never mixes examples into real data.
pub async fn seed_if_empty(db: &Db) -> anyhow::Result<Option<Report>> {
    let one = Some(1);
    let empty = organisations::list(
        db,
        rihla_persistence::Scope::All,
        &OrganisationListParams {
            limit: one,
            ..Default::default()
        },
    )
    .await?
    .items
    .is_empty()
        && projects::list(
            db,
            rihla_persistence::Scope::All,
            &ProjectListParams {
                limit: one,
                ..Default::default()
            },
        )
        .await?
        .items
        .is_empty()
        && dialogues::list(
            db,
            rihla_persistence::Scope::All,
            &DialogueListParams {
                limit: one,
                ..Default::default()
            },
        )
        .await?
        .items
        .is_empty();
    if !empty {
        return Ok(None);
    }
    seed(db).await.map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_in_the_data_names_a_record_defined_before_it() {
        let data: Value = serde_json::from_str(DATA).unwrap_or(Value::Null);
        assert!(data.is_object(), "data.json parses");
        let mut known = std::collections::HashSet::new();
        let mut refs = Vec::new();
        fn walk(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::String(s) if s.starts_with('@') => out.push(s[1..].to_owned()),
                Value::Array(a) => a.iter().for_each(|i| walk(i, out)),
                Value::Object(m) => m.values().for_each(|i| walk(i, out)),
                _ => {}
            }
        }
        for (name, key) in [
            ("organisations", "name"),
            ("projects", "code"),
            ("dialogues", "name"),
        ] {
            for item in section(&data, name) {
                refs.clear();
                walk(&item, &mut refs);
                for r in &refs {
                    assert!(known.contains(r), "{name}: {r} is not defined before use");
                }
                let kind = name.trim_end_matches('s');
                known.insert(format!("{kind}:{}", item[key].as_str().unwrap_or_default()));
            }
        }
    }
}
