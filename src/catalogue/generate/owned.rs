//! Reading a catalogue back into the owned [`CatalogueFile`] the generator works on.

use crate::catalogue::model::{Action, ActionResource, CatalogueFile, ConditionKey, Header, ResourceType, Service};
use serde::Deserialize;
use std::borrow::Cow;

/// Reads a catalogue file's text into the owned model (as the generator needs a
/// previous catalogue). The model's types borrow from their input, so parse with
/// borrowing and copy the strings into `'static` ones.
pub fn read_catalogue(text: &str) -> Result<CatalogueFile, serde_json::Error> {
    #[derive(Deserialize)]
    struct Borrowed<'a> {
        #[serde(borrow)]
        header: Header<'a>,
        #[serde(borrow)]
        services: Vec<Service<'a>>,
    }
    let b: Borrowed<'_> = serde_json::from_str(text)?;
    Ok(CatalogueFile {
        header: Header {
            format: b.header.format,
            data_date: b.header.data_date,
            sources: b.header.sources,
            totals: b.header.totals,
            global_keys: b.header.global_keys.into_iter().map(own_key).collect(),
        },
        services: b.services.into_iter().map(own_service).collect(),
    })
}

fn own(s: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(s.into_owned())
}

fn own_all(list: Vec<Cow<'_, str>>) -> Vec<Cow<'static, str>> {
    list.into_iter().map(own).collect()
}

fn own_key(k: ConditionKey<'_>) -> ConditionKey<'static> {
    ConditionKey { name: own(k.name), kind: k.kind }
}

fn own_service(s: Service<'_>) -> Service<'static> {
    Service {
        prefix: own(s.prefix),
        name: own(s.name),
        actions: s
            .actions
            .into_iter()
            .map(|a| Action {
                name: own(a.name),
                access: a.access,
                description: own(a.description),
                resources: a
                    .resources
                    .into_iter()
                    .map(|r| ActionResource { kind: own(r.kind), required: r.required, keys: own_all(r.keys) })
                    .collect(),
                keys: own_all(a.keys),
                dependent: own_all(a.dependent),
                inferred: a.inferred,
            })
            .collect(),
        resources: s
            .resources
            .into_iter()
            .map(|r| ResourceType { name: own(r.name), arns: own_all(r.arns), keys: own_all(r.keys) })
            .collect(),
        keys: s.keys.into_iter().map(own_key).collect(),
    }
}
