//! Ordering fetch groups into the plan tree. Groups and what each waits
//! for form a graph without cycles; the tree runs each group as soon as the
//! groups it waits for are done, as far as Sequence and Parallel can say it:
//! groups that share nothing run in Parallel branches, each branch its own
//! Sequence, so a chain never waits for an unrelated slower fetch.
//!
//! `A → B → D` and `A → C` become `Sequence { A, Parallel { Sequence { B, D }, C } }`
//! (where one sequence of levels would make D wait for C).

use std::collections::BTreeSet;

use super::PlanNode;
use super::build::Group;

/// The tree for the non-empty groups; `node(i)` makes group `i`'s node.
pub fn tree(groups: &[Group], mut node: impl FnMut(usize) -> PlanNode) -> Option<PlanNode> {
    let present: BTreeSet<usize> = (0..groups.len())
        .filter(|&i| !groups[i].selections.is_empty())
        .collect();
    if present.is_empty() {
        return None;
    }
    Some(build(groups, &present, &mut node))
}

fn build(
    groups: &[Group],
    set: &BTreeSet<usize>,
    node: &mut impl FnMut(usize) -> PlanNode,
) -> PlanNode {
    let parts = components(groups, set);
    if parts.len() > 1 {
        return parallel(parts.iter().map(|part| build(groups, part, node)).collect());
    }
    // Those waiting for nothing in the set go first, the rest after them.
    let (mut first, mut rest): (BTreeSet<usize>, BTreeSet<usize>) = set
        .iter()
        .partition(|&&i| groups[i].depends.iter().all(|d| !set.contains(d)));
    if first.is_empty() {
        // Only a cycle leaves nothing to start with; the planner builds
        // none, but the tree must still end: run the rest together.
        std::mem::swap(&mut first, &mut rest);
    }
    let head = parallel(first.iter().map(|&i| node(i)).collect());
    if rest.is_empty() {
        return head;
    }
    let tail = build(groups, &rest, node);
    let mut steps = Vec::new();
    for part in [head, tail] {
        match part {
            PlanNode::Sequence(inner) => steps.extend(inner),
            other => steps.push(other),
        }
    }
    PlanNode::Sequence(steps)
}

/// One node for several, flattening nested Parallels.
fn parallel(nodes: Vec<PlanNode>) -> PlanNode {
    let mut flat = Vec::with_capacity(nodes.len());
    for node in nodes {
        match node {
            PlanNode::Parallel(inner) => flat.extend(inner),
            other => flat.push(other),
        }
    }
    if flat.len() == 1 {
        flat.remove(0)
    } else {
        PlanNode::Parallel(flat)
    }
}

/// The set split into parts that no dependency connects, each in order of
/// its smallest group.
fn components(groups: &[Group], set: &BTreeSet<usize>) -> Vec<BTreeSet<usize>> {
    let mut part_of: Vec<usize> = (0..groups.len()).collect();
    fn find(part_of: &mut [usize], mut i: usize) -> usize {
        while part_of[i] != i {
            part_of[i] = part_of[part_of[i]];
            i = part_of[i];
        }
        i
    }
    for &i in set {
        for &d in &groups[i].depends {
            if set.contains(&d) {
                let (a, b) = (find(&mut part_of, i), find(&mut part_of, d));
                part_of[a.max(b)] = a.min(b);
            }
        }
    }
    let mut parts: Vec<(usize, BTreeSet<usize>)> = Vec::new();
    for &i in set {
        let root = find(&mut part_of, i);
        match parts.iter_mut().find(|(r, _)| *r == root) {
            Some((_, part)) => {
                part.insert(i);
            }
            None => parts.push((root, BTreeSet::from([i]))),
        }
    }
    parts.into_iter().map(|(_, part)| part).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::selection::{FieldSel, Sel};

    fn group(depends: &[usize]) -> Group {
        Group {
            selections: vec![Sel::Field(FieldSel::typename())],
            depends: depends.iter().copied().collect(),
            ..Group::default()
        }
    }

    fn shape(node: &PlanNode, names: &[&str]) -> String {
        match node {
            PlanNode::Sequence(nodes) => format!(
                "Seq[{}]",
                nodes
                    .iter()
                    .map(|n| shape(n, names))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            PlanNode::Parallel(nodes) => format!(
                "Par[{}]",
                nodes
                    .iter()
                    .map(|n| shape(n, names))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            PlanNode::Fetch(fetch) => names[fetch.id].to_owned(),
            PlanNode::Condition(condition) => shape(&condition.then, names),
        }
    }

    fn plan(groups: &[Group], names: &[&str]) -> String {
        let node = tree(groups, |i| {
            PlanNode::Fetch(std::sync::Arc::new(crate::plan::FetchNode::stub(i)))
        });
        node.map(|n| shape(&n, names)).unwrap_or_default()
    }

    #[test]
    fn a_chain_does_not_wait_for_an_unrelated_branch() {
        // A; B and C after A; D after B.
        let groups = [group(&[]), group(&[0]), group(&[0]), group(&[1])];
        assert_eq!(
            plan(&groups, &["A", "B", "C", "D"]),
            "Seq[A, Par[Seq[B, D], C]]"
        );
    }

    #[test]
    fn a_group_waiting_for_two_comes_after_both() {
        let groups = [group(&[]), group(&[]), group(&[0, 1])];
        assert_eq!(plan(&groups, &["A", "B", "C"]), "Seq[Par[A, B], C]");
    }

    #[test]
    fn unrelated_roots_run_side_by_side_with_their_chains() {
        let groups = [
            group(&[]),
            group(&[]),
            group(&[0]),
            group(&[1]),
            group(&[3]),
        ];
        assert_eq!(
            plan(&groups, &["A", "B", "C", "D", "E"]),
            "Par[Seq[A, C], Seq[B, D, E]]"
        );
    }

    #[test]
    fn empty_groups_are_left_out() {
        let mut empty = group(&[]);
        empty.selections.clear();
        let groups = [group(&[]), empty, group(&[0])];
        assert_eq!(plan(&groups, &["A", "-", "C"]), "Seq[A, C]");
    }
}
