//! What a plan is made of: ordered steps, each one statement with its class, the reason, the
//! phase that orders it and the kind of block it must run in.

use crate::catalog::Class;

/// Where a step runs in the written migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Block {
    /// The first, transactional block: everything that needs no later transaction.
    Main,
    /// A later transactional block: `VALIDATE CONSTRAINT` of what the main block added `NOT
    /// VALID` (each its own short lock), and what must follow a validation.
    Validate,
    /// A `transaction:false` block of its own (`CREATE INDEX CONCURRENTLY`).
    Concurrently,
    /// A transactional block after the concurrent ones: what needs the indexes they build (each
    /// partition's attached to its parent's, a foreign key onto a new unique index).
    AfterIndexes,
}

/// The order of steps inside the main block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Schemas and extensions.
    Namespaces,
    /// Default privileges, before the objects they are given to are made.
    DefaultPrivileges,
    /// Routines made again under their name with other parameter names: the old one dropped
    /// first (`CREATE OR REPLACE` refuses to rename a parameter).
    ReplacedRoutines,
    /// Types, standalone sequences, functions (bodies are not checked yet).
    Definitions,
    /// Views that go or are recreated, those that select from others first.
    DropViews,
    /// Foreign keys that go or change, before the keys they reference.
    DropForeignKeys,
    /// Other dependants that go or change: triggers, policies, constraints, indexes, and
    /// routines whose signature names a dropped table.
    DropDependants,
    /// Tables and columns created or altered.
    Tables,
    /// Partitions and inheriting tables (after their parents).
    ChildTables,
    /// Primary keys, unique and exclusion constraints and unique indexes: what a foreign key
    /// may reference, and what a view's `GROUP BY` may rely on (a column functionally
    /// dependent on the primary key).
    Keys,
    /// Routines whose signature names a new table, then views, each after the views it
    /// selects from.
    Views,
    /// Other constraints, indexes, triggers, policies, security, comments.
    Dependants,
    /// Privileges taken away, all before any is given (a table-wide `REVOKE` also takes the
    /// privilege from every column).
    Revokes,
    /// Privileges given.
    Grants,
    /// Validations and what waits for them.
    Validations,
    /// What is dropped for good: columns and tables first,
    Drops,
    /// then what they used: sequences, functions, types,
    DropDefinitions,
    /// then schemas and extensions.
    DropNamespaces,
    /// Existing tables attached as partitions or made to inherit, once their parents' columns
    /// and their own are what the target has (PostgreSQL requires every parent column).
    Attachments,
}

/// One statement of a plan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    /// The statement, without its `;`.
    pub sql: String,
    /// How much it matters.
    pub class: Class,
    /// Why it is needed (the object path and what differs).
    pub why: String,
    /// Where it runs.
    pub block: Block,
    /// Its order.
    pub phase: Phase,
}

/// The statements that take a schema from one catalog to another, in order, and what the
/// planner cannot express (the plan is then incomplete and is never written or applied).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Plan {
    /// The steps, ordered.
    pub steps: Vec<Step>,
    /// Differences no step covers, each with its reason.
    pub unsupported: Vec<String>,
}

impl Plan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.unsupported.is_empty()
    }

    /// The destructive steps.
    pub fn destructive(&self) -> Vec<&Step> {
        self.steps.iter().filter(|s| s.class == Class::Destructive).collect()
    }
}
