//! The retired objects and what depended on them — foreign keys from kept tables, views,
//! indexes and constraints on retired columns — as a Mermaid graph, which GitHub renders in the
//! report and in pull requests: people look at a picture rather than read a list.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::retired::Retired;

/// What a node is, and so how it is drawn.
#[derive(Clone, Copy)]
enum Role {
    /// Retired: moved to the backup, saved, or dropped.
    Retired,
    /// Kept, but something of it changes (a foreign key dropped, a column gone).
    Kept,
    /// Dropped with a retired column and made again by the rollback.
    Dependent,
}

impl Role {
    fn class(self) -> &'static str {
        match self {
            Role::Retired => "retired",
            Role::Kept => "kept",
            Role::Dependent => "dependent",
        }
    }
}

/// The graph being written: nodes by name, in order of appearance.
#[derive(Default)]
struct Graph {
    ids: BTreeMap<String, String>,
    nodes: String,
    edges: String,
}

impl Graph {
    /// The id of the node `key`, declared with `label` on first use.
    fn node(&mut self, key: &str, label: &str, role: Role) -> String {
        if let Some(id) = self.ids.get(key) {
            return id.clone();
        }
        let id = format!("n{}", self.ids.len());
        let _ = writeln!(self.nodes, "  {id}[\"{label}\"]:::{}", role.class());
        self.ids.insert(key.to_string(), id.clone());
        id
    }

    fn edge(&mut self, from: &str, label: &str, to: &str) {
        let _ = writeln!(self.edges, "  {from} -->|\"{label}\"| {to}");
    }
}

/// Text safe inside a quoted Mermaid label.
fn escape(text: &str) -> String {
    text.replace('&', "#amp;").replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;")
}

/// The Mermaid source (without the fence) of `retired`: each retired table, column and view,
/// and an edge from each thing that depended on it.
pub fn mermaid(retired: &Retired) -> String {
    let mut g = Graph::default();
    let view_label = |name: &str, kind: &str| format!("{kind} {}<br/>dropped; its definition is in the rollback", escape(name));
    let kinds: BTreeMap<&str, &str> = retired.views.iter().map(|v| (v.name.as_str(), v.kind)).collect();
    for t in &retired.tables {
        let table = g.node(&t.name, &format!("table {}<br/>moved to the backup", escape(&t.name)), Role::Retired);
        for (constraint, from, _) in &t.foreign_keys {
            let kept = g.node(from, &format!("table {}", escape(from)), Role::Kept);
            g.edge(&kept, &format!("foreign key {}: dropped, restored by the rollback", escape(constraint)), &table);
        }
        for view in &t.views {
            let node = g.node(view, &view_label(view, kinds.get(view.as_str()).copied().unwrap_or("view")), Role::Retired);
            g.edge(&node, "reads", &table);
        }
    }
    for c in &retired.columns {
        let column = g.node(
            &c.name,
            &format!("column {}<br/>{}, values saved by ({})", escape(&c.name), escape(&c.type_sql), escape(&c.key.join(", "))),
            Role::Retired,
        );
        for index in &c.indexes {
            let node = g.node(
                &format!("index {index}"),
                &format!("index {}<br/>dropped, made again by the rollback", escape(index)),
                Role::Dependent,
            );
            g.edge(&node, "on", &column);
        }
        for constraint in &c.constraints {
            let node = g.node(
                &format!("constraint {}.{constraint}", c.name),
                &format!("constraint {}<br/>dropped, added again by the rollback", escape(constraint)),
                Role::Dependent,
            );
            g.edge(&node, "checks", &column);
        }
        for view in &c.views {
            let node = g.node(view, &view_label(view, kinds.get(view.as_str()).copied().unwrap_or("view")), Role::Retired);
            g.edge(&node, "reads", &column);
        }
    }
    for v in &retired.views {
        g.node(&v.name, &view_label(&v.name, v.kind), Role::Retired);
    }
    format!(
        "graph LR\n{}{}  classDef retired fill:#fde2e2,stroke:#c0392b,color:#641e16\n  classDef kept fill:#e3f2e6,stroke:#2e7d32,color:#1b4d20\n  classDef dependent fill:#fff4d6,stroke:#b7791f,color:#5c3c0b\n",
        g.nodes, g.edges
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::squash::retired::{RetiredColumnEntry, RetiredTableEntry, RetiredViewEntry};

    #[test]
    fn every_retired_object_and_what_depended_on_it_is_a_node_with_its_edge() {
        let retired = Retired {
            tables: vec![RetiredTableEntry {
                name: "public.sessions".into(),
                foreign_keys: vec![("audit_session_id_fkey".into(), "public.audit".into(), "FOREIGN KEY …".into())],
                views: vec!["public.open_sessions".into()],
            }],
            columns: vec![RetiredColumnEntry {
                name: "public.\"Agents\".domains".into(),
                type_sql: "text[]".into(),
                key: vec!["org".into(), "id".into()],
                indexes: vec!["agents_domains_idx".into()],
                constraints: vec!["domains_not_empty".into()],
                views: vec![],
            }],
            views: vec![RetiredViewEntry { kind: "view", name: "public.open_sessions".into() }],
        };
        insta::assert_snapshot!(mermaid(&retired), @r#"
        graph LR
          n0["table public.sessions<br/>moved to the backup"]:::retired
          n1["table public.audit"]:::kept
          n2["view public.open_sessions<br/>dropped; its definition is in the rollback"]:::retired
          n3["column public.#quot;Agents#quot;.domains<br/>text[], values saved by (org, id)"]:::retired
          n4["index agents_domains_idx<br/>dropped, made again by the rollback"]:::dependent
          n5["constraint domains_not_empty<br/>dropped, added again by the rollback"]:::dependent
          n1 -->|"foreign key audit_session_id_fkey: dropped, restored by the rollback"| n0
          n2 -->|"reads"| n0
          n4 -->|"on"| n3
          n5 -->|"checks"| n3
          classDef retired fill:#fde2e2,stroke:#c0392b,color:#641e16
          classDef kept fill:#e3f2e6,stroke:#2e7d32,color:#1b4d20
          classDef dependent fill:#fff4d6,stroke:#b7791f,color:#5c3c0b
        "#);
    }
}
