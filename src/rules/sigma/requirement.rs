//! Properties every match of a detection must have, derived from its items through the
//! condition: the event ids it requires (`event_ids.rs`), the literals it needs (`needles.rs`).
//!
//! Parts that must all hold (ANDed items, `and`, `all of`) combine what is known of them and
//! leave the unknown ones out; alternatives (the maps of a list, `or`, `1 of`) combine only
//! when every one is known; `not` tells nothing.

use super::condition::Expr;
use super::detection::{Detection, Item};

/// How a requirement combines.
pub trait Requirement: Sized {
    /// What parts that must all hold require together (`None` when there is none).
    fn all(parts: Vec<Self>) -> Option<Self>;
    /// What one of these alternatives requires, each known (`None` when there is none, or
    /// when the combination is not worth keeping).
    fn any(alternatives: Vec<Self>) -> Option<Self>;
}

/// What every match of `det` requires, given what each item requires (`None`: nothing known).
pub fn of_detection<T: Requirement>(
    det: &Detection,
    item: &dyn Fn(&Item) -> Option<T>,
) -> Option<T> {
    of_expr(&det.condition, det, item)
}

fn of_expr<T: Requirement>(
    e: &Expr,
    det: &Detection,
    item: &dyn Fn(&Item) -> Option<T>,
) -> Option<T> {
    match e {
        Expr::Sel(i) => of_selection(*i, det, item),
        Expr::Not(_) => None,
        Expr::And(v) => T::all(v.iter().filter_map(|x| of_expr(x, det, item)).collect()),
        Expr::Or(v) => T::any(
            v.iter()
                .map(|x| of_expr(x, det, item))
                .collect::<Option<_>>()?,
        ),
        Expr::AtLeast(0, _) => None,
        Expr::AtLeast(n, v) if *n >= v.len() => T::all(
            v.iter()
                .filter_map(|&i| of_selection(i, det, item))
                .collect(),
        ),
        Expr::AtLeast(_, v) => T::any(
            v.iter()
                .map(|&i| of_selection(i, det, item))
                .collect::<Option<_>>()?,
        ),
    }
}

fn of_selection<T: Requirement>(
    i: usize,
    det: &Detection,
    item: &dyn Fn(&Item) -> Option<T>,
) -> Option<T> {
    let sel = det.selections.get(i)?;
    T::any(
        sel.branches
            .iter()
            .map(|items| T::all(items.iter().filter_map(item).collect()))
            .collect::<Option<_>>()?,
    )
}
