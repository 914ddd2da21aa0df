//! Parsed templates kept across chunks and files.
//!
//! Every chunk carries its own copy of each template definition it uses, so the same
//! definitions come back chunk after chunk. A definition is known by its bytes (GUID, size,
//! body); the names it takes from the chunk's string table must also read the same in the
//! chunk at hand. The cache is per thread (no locking) and bounded.

use super::template::{definition_bytes, name_is, parse_template, ExternalNames, Template};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Most definitions kept per thread; past it the cache starts over.
const MAX_ENTRIES: usize = 2048;

struct Entry {
    /// `None`: the fast path refuses this definition.
    template: Option<Rc<Template>>,
    /// Names read from the string table.
    external: ExternalNames,
}

thread_local! {
    static TEMPLATES: RefCell<HashMap<Box<[u8]>, Entry>> = RefCell::new(HashMap::new());
}

/// Free this thread's templates (the scan is over).
pub(crate) fn release() {
    TEMPLATES.with(|t| *t.borrow_mut() = HashMap::new());
}

/// The template defined at `offset` of the chunk `data`, from the cache or parsed now; `None`
/// when the fast path refuses it.
pub(crate) fn template_at(data: &[u8], offset: usize) -> Option<Rc<Template>> {
    let key = definition_bytes(data, offset)?;
    let cached = TEMPLATES.with(|t| {
        let map = t.borrow();
        let entry = map.get(key)?;
        let same_names = entry
            .external
            .iter()
            .all(|(at, name)| name_is(data, *at as usize, name));
        same_names.then(|| entry.template.clone())
    });
    if let Some(template) = cached {
        return template;
    }
    let (template, external) = match parse_template(data, offset) {
        Ok((t, external)) => (Some(Rc::new(t)), external),
        Err(_) => (None, Vec::new()),
    };
    TEMPLATES.with(|t| {
        let mut map = t.borrow_mut();
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(
            key.into(),
            Entry {
                template: template.clone(),
                external,
            },
        );
    });
    template
}
