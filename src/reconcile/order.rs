//! The order objects are made and dropped in, from what each names and what the catalog's
//! `pg_depend` says it uses: a composite type after the enum it holds, a domain over a table's
//! row type after the table, a routine returning a view's rows after the view; and dropped the
//! other way round. The phases give the order first; a statement is moved only past the
//! statements it must follow (the earliest such order, so a plan that needs no move keeps its
//! order, and a cycle keeps the phases' order where it cannot be broken).

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use super::model::Step;
use super::views::names;

/// Reorders `run`, the statements from the first that makes a definition to the last that
/// makes a view (in their running order), so that each comes after the statements in `made`
/// that make what it names or uses: `made` holds (index into `run`, qualified name of what it
/// makes); `uses(step, name)` says whether the object statement `step` is for uses `name` (as
/// the target's `pg_depend` has it).
pub fn after_what_they_name(run: Vec<Step>, made: &[(usize, String)], uses: impl Fn(usize, &str) -> bool) -> Vec<Step> {
    let mut first = Vec::new();
    for (maker, name) in made {
        let needs = |i: usize, step: &Step| i != *maker && (names(&step.sql, name) || uses(i, name));
        first.extend(run.iter().enumerate().filter(|(i, step)| needs(*i, step)).map(|(i, _)| (*maker, i)));
    }
    ordered(run, &first)
}

/// Reorders `run`, the statements that drop tables, types and routines for good, so that what
/// uses an object is dropped before it: `dropped` holds (index into `run`, qualified name of
/// what it drops, the text of its definition); `uses(user, used)` says whether one object uses
/// another by name (as the source's `pg_depend` has it), beside what its text names.
pub fn before_what_they_use(run: Vec<Step>, dropped: &[(usize, String, String)], uses: impl Fn(&str, &str) -> bool) -> Vec<Step> {
    let mut first = Vec::new();
    for (user, user_name, text) in dropped {
        let needs = |used: &usize, name: &str| used != user && (names(text, name) || uses(user_name, name));
        first.extend(dropped.iter().filter(|(used, name, _)| needs(used, name)).map(|(used, _, _)| (*user, *used)));
    }
    ordered(run, &first)
}

/// `run` with each `(a, b)` of `first` honoured (a before b) where no cycle stops it, every
/// other statement where it was.
fn ordered(run: Vec<Step>, first: &[(usize, usize)]) -> Vec<Step> {
    let mut waiting = vec![0usize; run.len()];
    let mut unblocks: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); run.len()];
    for &(a, b) in first {
        if unblocks[a].insert(b) {
            waiting[b] += 1;
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..run.len()).filter(|&i| waiting[i] == 0).map(Reverse).collect();
    let mut done = vec![false; run.len()];
    let mut order = Vec::with_capacity(run.len());
    while order.len() < run.len() {
        // In a cycle nothing is ready: the earliest statement left goes, as the phases had it.
        let next = match ready.pop() {
            Some(Reverse(i)) if !done[i] => i,
            Some(_) => continue,
            None => (0..run.len()).find(|&i| !done[i]).expect("a statement is left"),
        };
        done[next] = true;
        order.push(next);
        for &i in &unblocks[next] {
            waiting[i] = waiting[i].saturating_sub(1);
            if waiting[i] == 0 && !done[i] {
                ready.push(Reverse(i));
            }
        }
    }
    let mut slots: Vec<Option<Step>> = run.into_iter().map(Some).collect();
    order.into_iter().map(|i| slots[i].take().expect("each statement once")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Class;
    use crate::reconcile::model::{Block, Phase};

    fn step(sql: &str) -> Step {
        Step { sql: sql.into(), class: Class::Safe, why: String::new(), block: Block::Main, phase: Phase::Definitions }
    }

    fn sql(steps: &[Step]) -> Vec<&str> {
        steps.iter().map(|s| s.sql.as_str()).collect()
    }

    #[test]
    fn a_statement_naming_what_is_made_later_moves_after_it_and_nothing_else_moves() {
        let run = vec![
            step("CREATE TYPE public.pair AS (s public.status, n integer)"),
            step("CREATE TYPE public.status AS ENUM ('a')"),
            step("CREATE DOMAIN public.row_of_t AS public.t"),
            step("CREATE TABLE public.t (id integer)"),
            step("CREATE TABLE public.u (p public.pair, r public.row_of_t)"),
        ];
        let made =
            [(0, "public.pair".to_string()), (1, "public.status".to_string()), (2, "public.row_of_t".into()), (3, "public.t".into())];
        assert_eq!(
            sql(&after_what_they_name(run, &made, |_, _| false)),
            [
                "CREATE TYPE public.status AS ENUM ('a')",
                "CREATE TYPE public.pair AS (s public.status, n integer)",
                "CREATE TABLE public.t (id integer)",
                "CREATE DOMAIN public.row_of_t AS public.t",
                "CREATE TABLE public.u (p public.pair, r public.row_of_t)",
            ]
        );
        let ordered = vec![step("CREATE TYPE public.a AS ENUM ('x')"), step("CREATE TABLE public.t (a public.a)")];
        assert_eq!(sql(&after_what_they_name(ordered.clone(), &[(0, "public.a".into())], |_, _| false)), sql(&ordered));
    }

    #[test]
    fn a_cycle_keeps_the_order_it_had() {
        let run = vec![
            step("CREATE FUNCTION public.f() RETURNS integer AS 'select count(*) from public.t'"),
            step("CREATE TABLE public.t (n integer DEFAULT public.f())"),
        ];
        let made = [(0, "public.f".to_string()), (1, "public.t".to_string())];
        assert_eq!(sql(&after_what_they_name(run.clone(), &made, |_, _| false)), sql(&run));
    }

    #[test]
    fn what_uses_an_object_is_dropped_before_it() {
        let run = vec![step("DROP TABLE public.address"), step("DROP TABLE public.other"), step("DROP TYPE public.checked")];
        let dropped = [
            (0, "public.address".to_string(), "street text".to_string()),
            (1, "public.other".to_string(), String::new()),
            (2, "public.checked".to_string(), "public.address CHECK ((VALUE).city IS NOT NULL)".to_string()),
        ];
        assert_eq!(
            sql(&before_what_they_use(run, &dropped, |_, _| false)),
            ["DROP TABLE public.other", "DROP TYPE public.checked", "DROP TABLE public.address"]
        );
    }

    #[test]
    fn what_the_catalog_says_an_object_uses_orders_it_where_its_text_says_nothing() {
        // A view over a function whose text the reader does not see, a table whose trigger calls it.
        let run = vec![step("CREATE FUNCTION public.f() RETURNS trigger AS $$ … $$"), step("CREATE VIEW public.v AS SELECT 1")];
        let backwards = vec![run[1].clone(), run[0].clone()];
        let made_backwards = [(0, "public.v".to_string()), (1, "public.f".to_string())];
        let view_uses_f = |step: usize, name: &str| step == 0 && name == "public.f";
        assert_eq!(sql(&after_what_they_name(backwards.clone(), &made_backwards, view_uses_f)), sql(&run));
        assert_eq!(sql(&after_what_they_name(backwards.clone(), &made_backwards, |_, _| false)), sql(&backwards));
        let drops = vec![step("DROP FUNCTION public.f()"), step("DROP TABLE public.t")];
        let dropped = [(0, "public.f".to_string(), String::new()), (1, "public.t".to_string(), String::new())];
        let t_uses_f = |user: &str, used: &str| (user, used) == ("public.t", "public.f");
        assert_eq!(sql(&before_what_they_use(drops.clone(), &dropped, t_uses_f)), ["DROP TABLE public.t", "DROP FUNCTION public.f()"]);
        assert_eq!(sql(&before_what_they_use(drops.clone(), &dropped, |_, _| false)), sql(&drops));
    }
}
