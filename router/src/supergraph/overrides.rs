//! Progressive `@override`: `@override(from: "old", label: "percent(25)")`
//! moves a field to the overriding subgraph for a share of requests, so a
//! migration can be rolled out gradually. The supergraph lists each label
//! once; a request's plan is made for the set of labels active for it.

use std::fmt;

/// Most labels one supergraph may use: a request's active set is a bitmask.
pub const MAX_LABELS: usize = 64;

/// One `overrideLabel` of the supergraph.
#[derive(Debug, Clone, PartialEq)]
pub struct OverrideLabel {
    pub label: String,
    /// For `percent(N)`: the share of requests, 0 to 100, for which the label
    /// is active. Any other label is never active (nothing here turns it on).
    pub percent: Option<f64>,
}

impl OverrideLabel {
    pub fn parse(label: &str) -> OverrideLabel {
        let percent = label
            .strip_prefix("percent(")
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|n| n.trim().parse::<f64>().ok())
            .filter(|n| (0.0..=100.0).contains(n));
        OverrideLabel {
            label: label.to_owned(),
            percent,
        }
    }
}

/// When a field source counts: while label `label` is active (the
/// overriding subgraph) or while it is not (the subgraph overridden).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelCondition {
    pub label: usize,
    pub when_active: bool,
}

impl LabelCondition {
    pub fn holds(self, active: ActiveLabels) -> bool {
        active.contains(self.label) == self.when_active
    }
}

/// The labels active for one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ActiveLabels(u64);

impl ActiveLabels {
    pub const NONE: ActiveLabels = ActiveLabels(0);

    pub fn contains(self, label: usize) -> bool {
        label < MAX_LABELS && self.0 & (1 << label) != 0
    }

    pub fn with(self, label: usize) -> ActiveLabels {
        if label < MAX_LABELS {
            ActiveLabels(self.0 | (1 << label))
        } else {
            self
        }
    }

    /// Draws the active set for one request: each `percent(N)` label is on
    /// with probability N / 100, independently. `draw` yields uniform
    /// numbers in [0, 1).
    pub fn draw(labels: &[OverrideLabel], mut draw: impl FnMut() -> f64) -> ActiveLabels {
        let mut active = ActiveLabels::NONE;
        for (i, label) in labels.iter().enumerate() {
            if let Some(percent) = label.percent
                && draw() * 100.0 < percent
            {
                active = active.with(i);
            }
        }
        active
    }
}

impl fmt::Display for OverrideLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_labels_parse_and_others_never_activate() {
        assert_eq!(OverrideLabel::parse("percent(25)").percent, Some(25.0));
        assert_eq!(OverrideLabel::parse("percent(0.5)").percent, Some(0.5));
        for never in ["percent(101)", "percent(x)", "beta-users", "percent(-1)"] {
            assert_eq!(OverrideLabel::parse(never).percent, None, "{never}");
        }
        let labels = [
            OverrideLabel::parse("percent(100)"),
            OverrideLabel::parse("percent(0)"),
            OverrideLabel::parse("beta"),
        ];
        let active = ActiveLabels::draw(&labels, || 0.999);
        assert!(active.contains(0) && !active.contains(1) && !active.contains(2));
    }

    #[test]
    fn a_condition_holds_on_its_side_of_the_label() {
        let active = ActiveLabels::NONE.with(3);
        let new = LabelCondition {
            label: 3,
            when_active: true,
        };
        let old = LabelCondition {
            label: 3,
            when_active: false,
        };
        assert!(new.holds(active) && !old.holds(active));
        assert!(!new.holds(ActiveLabels::NONE) && old.holds(ActiveLabels::NONE));
    }
}
