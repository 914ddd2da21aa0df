//! Template definitions, parsed once per chunk into a small tree the fast path evaluates per
//! record: elements with their names, DependencyIds and attributes, and children that are
//! literal text, substitutions (by index) or other elements.
//!
//! A definition using anything the fast path does not mirror exactly (CDATA, character or
//! entity references, processing instructions, non-string literal values, nested instances)
//! is refused as a whole: its records take the XML path.

use super::values::write_utf16;
use std::cell::Cell;
use std::sync::Arc;

/// Deepest element nesting accepted in a template (the evaluation recurses).
const MAX_DEPTH: usize = 64;
/// Most elements accepted in a template.
const MAX_ELEMENTS: usize = 4096;

/// One piece of an element's content or of an attribute's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    /// Literal text, as the XML path reads it back.
    Text(Box<str>),
    /// Substitution `index`; `optional` ones disappear when their value is empty.
    Sub { index: u16, optional: bool },
    /// A child element (index into [`Template::elems`]).
    Elem(u32),
}

/// An attribute of a template element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attr {
    /// The local name (after the first `:`).
    pub name: Box<str>,
    /// `Element_Attribute`, the field name of a System attribute.
    pub field_name: Arc<str>,
    /// The value when it is one literal text (a `Data/@Name`, typically).
    pub literal: Option<Arc<str>>,
    /// A namespace declaration, which the XML path ignores.
    pub xmlns: bool,
    /// The value's pieces (never elements).
    pub parts: Vec<Item>,
}

/// An element of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Elem {
    /// The local name (after the first `:`).
    pub name: Arc<str>,
    /// Left out of a record whose value at this index is NULL.
    pub dependency: Option<u16>,
    /// Closed as empty in the BinXML (`<X/>` when rendered).
    pub self_closing: bool,
    /// Attributes in order.
    pub attrs: Vec<Attr>,
    /// Content in order.
    pub children: Vec<Item>,
}

/// Where one System value comes from, for the early look at a record (see [`Probe`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Source {
    /// The element is left out when this value is NULL.
    pub dependency: Option<u16>,
    /// The text's pieces (never elements).
    pub parts: Vec<Item>,
}

/// Where `EventID`, `Channel`, `EventRecordID` and `TimeCreated/@SystemTime` come from, when
/// the template places each at most once, as a plain leaf of the one `System` element: then
/// a record can be judged (and skipped) before anything else is converted. `None` for a value
/// the template does not have.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Probe {
    pub event_id: Option<Source>,
    pub channel: Option<Source>,
    pub record_id: Option<Source>,
    pub time: Option<Source>,
}

/// A parsed template definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    /// Elements; the root is element 0.
    pub elems: Vec<Elem>,
    /// The top-level elements: `[0]` for a template definition, one or more for a fragment.
    pub roots: Vec<u32>,
    /// The early look, when the template allows it.
    pub probe: Option<Probe>,
    /// How many data and System fields the last event built from it had (capacity hints).
    pub sizes: Cell<(u16, u16)>,
}

/// Why a template definition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused;

struct Cursor<'a> {
    /// The definition's bytes (the chunk up to its end).
    data: &'a [u8],
    /// The whole chunk, for names stored elsewhere in it.
    chunk: &'a [u8],
    pos: usize,
    /// Names read from the chunk's string table rather than from the definition itself.
    external: ExternalNames,
}

impl Cursor<'_> {
    fn u8(&mut self) -> Result<u8, Refused> {
        let b = *self.data.get(self.pos).ok_or(Refused)?;
        self.pos += 1;
        Ok(b)
    }
    fn u16(&mut self) -> Result<u16, Refused> {
        let b = self.data.get(self.pos..self.pos + 2).ok_or(Refused)?;
        self.pos += 2;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, Refused> {
        let b = self.data.get(self.pos..self.pos + 4).ok_or(Refused)?;
        self.pos += 4;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn skip(&mut self, n: usize) -> Result<(), Refused> {
        if self.pos + n > self.data.len() {
            return Err(Refused);
        }
        self.pos += n;
        Ok(())
    }

    /// A name reference: the offset of a chunk string-table entry, stored inline right after
    /// the reference when it points there. Returns the name.
    fn name(&mut self) -> Result<String, Refused> {
        let offset = self.u32()? as usize;
        if offset == self.pos {
            // next (4), hash (2), length (2), characters, NUL (2).
            let len = self
                .data
                .get(offset + 6..offset + 8)
                .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
                .ok_or(Refused)?;
            self.skip(8 + 2 * len + 2)?;
            return read_name(self.data, offset);
        }
        let name = read_name(self.chunk, offset)?;
        self.external.push((offset as u32, name.as_str().into()));
        Ok(name)
    }
}

/// The string-table entry at `offset` of the chunk.
pub(crate) fn read_name(chunk: &[u8], offset: usize) -> Result<String, Refused> {
    let len = chunk
        .get(offset + 6..offset + 8)
        .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
        .ok_or(Refused)?;
    let chars = chunk.get(offset + 8..offset + 8 + 2 * len).ok_or(Refused)?;
    let units: Vec<u16> = chars
        .chunks_exact(2)
        .map(|u| u16::from_le_bytes([u[0], u[1]]))
        .collect();
    let name = String::from_utf16(&units).map_err(|_| Refused)?;
    // Names the XML path could not read back the same way: take the XML path.
    if name.is_empty()
        || name
            .bytes()
            .any(|b| matches!(b, b'<' | b'>' | b'&' | b'"' | b'\'' | b'=' | b'/') || b <= b' ')
    {
        return Err(Refused);
    }
    Ok(name)
}

/// Whether the string-table entry at `offset` of the chunk reads as `name` (without decoding
/// it into a new string).
pub(crate) fn name_is(chunk: &[u8], offset: usize, name: &str) -> bool {
    let Some(len) = chunk
        .get(offset + 6..offset + 8)
        .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    else {
        return false;
    };
    let Some(chars) = chunk.get(offset + 8..offset + 8 + 2 * len) else {
        return false;
    };
    let units = chars
        .chunks_exact(2)
        .map(|u| u16::from_le_bytes([u[0], u[1]]));
    units.eq(name.encode_utf16())
}

/// The local part of a name: what follows the first `:`.
fn local(name: &str) -> &str {
    name.split_once(':').map_or(name, |(_, l)| l)
}

/// Names a definition takes from the chunk's string table: (offset in the chunk, name).
pub(crate) type ExternalNames = Vec<(u32, Box<str>)>;

/// The bytes that define the template at `offset` (GUID, size and body: all but the link to
/// the next definition, which differs from chunk to chunk), or `None` when out of bounds.
pub(crate) fn definition_bytes(data: &[u8], offset: usize) -> Option<&[u8]> {
    let size = data
        .get(offset + 20..offset + 24)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)?;
    data.get(offset + 4..(offset + 24).checked_add(size)?)
}

/// Parse the template definition at `offset` of the chunk `data`. Also gives the names it
/// took from the chunk's string table (offset and name): the same definition bytes in another
/// chunk give the same template only if those names are the same there.
pub(crate) fn parse_template(
    data: &[u8],
    offset: usize,
) -> Result<(Template, ExternalNames), Refused> {
    // next definition (4), GUID (16), data size (4), then the BinXML.
    let size = data
        .get(offset + 20..offset + 24)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or(Refused)?;
    let start = offset + 24;
    let end = start.checked_add(size).ok_or(Refused)?.min(data.len());
    parse_body(data, start..end, true)
}

/// Parse an embedded BinXML fragment (a substitution value that holds elements rather than a
/// template instance): its top-level elements become the [`Template::roots`] of a template
/// without substitutions.
pub(crate) fn parse_fragment(
    data: &[u8],
    range: std::ops::Range<usize>,
) -> Result<Template, Refused> {
    if range.end > data.len() {
        return Err(Refused);
    }
    parse_body(data, range, false).map(|(t, _)| t)
}

/// Parse BinXML tokens in `range` of the chunk: a template definition (element starts carry
/// DependencyIds, exactly one root) or an embedded fragment (no DependencyIds, any number of
/// top-level elements, no substitutions).
fn parse_body(
    data: &[u8],
    range: std::ops::Range<usize>,
    definition: bool,
) -> Result<(Template, ExternalNames), Refused> {
    let end = range.end;
    let mut c = Cursor {
        data: data.get(..end).ok_or(Refused)?,
        chunk: data,
        pos: range.start,
        external: Vec::new(),
    };
    let mut elems: Vec<Elem> = Vec::new();
    // Open elements; the last one's start tag is still open while `in_start`.
    let mut stack: Vec<usize> = Vec::new();
    let mut in_start = false;
    let mut roots: Vec<u32> = Vec::new();
    while c.pos < end {
        let token = c.u8()?;
        match token {
            0x00 => break,
            0x0f => c.skip(3)?,
            0x01 | 0x41 => {
                if in_start || stack.len() >= MAX_DEPTH || elems.len() >= MAX_ELEMENTS {
                    return Err(Refused);
                }
                let dependency = if definition { c.u16()? } else { 0xffff };
                let _size = c.u32()?;
                let name = c.name()?;
                if token == 0x41 {
                    let _attr_size = c.u32()?;
                }
                let idx = elems.len();
                elems.push(Elem {
                    name: local(&name).into(),
                    dependency: (dependency != 0xffff).then_some(dependency),
                    self_closing: false,
                    attrs: Vec::new(),
                    children: Vec::new(),
                });
                match stack.last() {
                    Some(&parent) => elems[parent].children.push(Item::Elem(idx as u32)),
                    None => roots.push(idx as u32),
                }
                stack.push(idx);
                in_start = true;
            }
            0x06 | 0x46 => {
                let &top = stack.last().ok_or(Refused)?;
                if !in_start {
                    return Err(Refused);
                }
                let name = c.name()?;
                let field_name = format!("{}_{}", elems[top].name, local(&name));
                elems[top].attrs.push(Attr {
                    xmlns: name.starts_with("xmlns") || local(&name) == "xmlns",
                    name: local(&name).into(),
                    field_name: field_name.into(),
                    literal: None,
                    parts: Vec::new(),
                });
            }
            0x02 => {
                if !in_start {
                    return Err(Refused);
                }
                in_start = false;
            }
            0x03 => {
                let top = stack.pop().ok_or(Refused)?;
                if !in_start {
                    return Err(Refused);
                }
                elems[top].self_closing = true;
                in_start = false;
            }
            0x04 => {
                if in_start {
                    return Err(Refused);
                }
                stack.pop().ok_or(Refused)?;
            }
            0x05 | 0x45 => {
                // Literal text: only UTF-16 strings.
                if c.u8()? != 0x01 {
                    return Err(Refused);
                }
                let n = usize::from(c.u16()?);
                let bytes = c.data.get(c.pos..c.pos + 2 * n).ok_or(Refused)?;
                c.skip(2 * n)?;
                let cut = bytes
                    .chunks_exact(2)
                    .position(|u| u == [0, 0])
                    .map_or(bytes.len(), |k| 2 * k);
                let mut text = String::new();
                write_utf16(&mut text, &bytes[..cut]);
                push_item(&mut elems, &stack, in_start, Item::Text(text.into()))?;
            }
            0x0d | 0x0e if definition => {
                let index = c.u16()?;
                let _ty = c.u8()?;
                let item = Item::Sub {
                    index,
                    optional: token == 0x0e,
                };
                push_item(&mut elems, &stack, in_start, item)?;
            }
            _ => return Err(Refused),
        }
    }
    let roots_ok = if definition {
        roots == [0]
    } else {
        !roots.is_empty()
    };
    if !stack.is_empty() || !roots_ok {
        return Err(Refused);
    }
    for a in elems.iter_mut().flat_map(|e| e.attrs.iter_mut()) {
        if let [Item::Text(t)] = a.parts.as_slice() {
            a.literal = Some(Arc::from(&**t));
        }
    }
    let probe = probe(&elems);
    let template = Template {
        elems,
        roots,
        probe,
        sizes: Cell::new((0, 0)),
    };
    Ok((template, c.external))
}

/// Add a text or substitution piece to the open attribute (in a start tag) or element.
fn push_item(
    elems: &mut [Elem],
    stack: &[usize],
    in_start: bool,
    item: Item,
) -> Result<(), Refused> {
    let &top = stack.last().ok_or(Refused)?;
    let elem = elems.get_mut(top).ok_or(Refused)?;
    if in_start {
        elem.attrs.last_mut().ok_or(Refused)?.parts.push(item);
    } else {
        elem.children.push(item);
    }
    Ok(())
}

/// The element children of `e`.
fn child_elems<'t>(elems: &'t [Elem], e: &'t Elem) -> impl Iterator<Item = &'t Elem> + 't {
    e.children.iter().filter_map(move |i| match i {
        Item::Elem(k) => elems.get(*k as usize),
        _ => None,
    })
}

fn probe(elems: &[Elem]) -> Option<Probe> {
    let root = elems.first()?;
    let mut systems = child_elems(elems, root).filter(|e| &*e.name == "System");
    let system = systems.next()?;
    if systems.next().is_some() || system.self_closing || system.dependency.is_some() {
        return None;
    }
    let mut probe = Probe::default();
    for e in child_elems(elems, system) {
        let slot = match &*e.name {
            "EventID" => &mut probe.event_id,
            "Channel" => &mut probe.channel,
            "EventRecordID" => &mut probe.record_id,
            "TimeCreated" => &mut probe.time,
            _ => continue,
        };
        if slot.is_some() {
            return None;
        }
        let parts = if &*e.name == "TimeCreated" {
            let mut times = e.attrs.iter().filter(|a| &*a.name == "SystemTime");
            let attr = times.next();
            if times.next().is_some() {
                return None;
            }
            attr.map(|a| a.parts.clone()).unwrap_or_default()
        } else {
            if e.children.iter().any(|i| matches!(i, Item::Elem(_))) {
                return None;
            }
            e.children.clone()
        };
        *slot = Some(Source {
            dependency: e.dependency,
            parts,
        });
    }
    Some(probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chunk-like buffer: a template definition at `offset` 0 whose names are inline.
    struct Builder {
        data: Vec<u8>,
    }

    impl Builder {
        fn new() -> Builder {
            Builder { data: vec![0; 24] }
        }
        fn name(&mut self, name: &str) {
            let at = self.data.len() as u32 + 4;
            self.data.extend_from_slice(&at.to_le_bytes());
            self.data.extend_from_slice(&[0; 6]);
            self.data
                .extend_from_slice(&(name.encode_utf16().count() as u16).to_le_bytes());
            for u in name.encode_utf16() {
                self.data.extend_from_slice(&u.to_le_bytes());
            }
            self.data.extend_from_slice(&[0, 0]);
        }
        fn open(&mut self, name: &str, dependency: u16, attrs: bool) {
            self.data.push(if attrs { 0x41 } else { 0x01 });
            self.data.extend_from_slice(&dependency.to_le_bytes());
            self.data.extend_from_slice(&[0; 4]);
            self.name(name);
            if attrs {
                self.data.extend_from_slice(&[0; 4]);
            }
        }
        fn attr(&mut self, name: &str) {
            self.data.push(0x06);
            self.name(name);
        }
        fn sub(&mut self, index: u16, optional: bool) {
            self.data.push(if optional { 0x0e } else { 0x0d });
            self.data.extend_from_slice(&index.to_le_bytes());
            self.data.push(0x01);
        }
        fn text(&mut self, t: &str) {
            self.data.extend_from_slice(&[0x05, 0x01]);
            self.data
                .extend_from_slice(&(t.encode_utf16().count() as u16).to_le_bytes());
            for u in t.encode_utf16() {
                self.data.extend_from_slice(&u.to_le_bytes());
            }
        }
        fn finish(mut self) -> Vec<u8> {
            self.data.push(0x00);
            let size = (self.data.len() - 24) as u32;
            self.data[20..24].copy_from_slice(&size.to_le_bytes());
            self.data
        }
    }

    #[test]
    fn parses_elements_attributes_and_probe() {
        let mut b = Builder::new();
        b.data.extend_from_slice(&[0x0f, 1, 1, 0]);
        b.open("Event", 0xffff, true);
        b.attr("xmlns");
        b.text("http://schemas.microsoft.com/win/2004/08/events/event");
        b.data.push(0x02);
        b.open("System", 0xffff, false);
        b.data.push(0x02);
        b.open("EventID", 0xffff, false);
        b.data.push(0x02);
        b.sub(3, false);
        b.data.push(0x04);
        b.open("TimeCreated", 0xffff, true);
        b.attr("SystemTime");
        b.sub(6, true);
        b.data.push(0x03);
        b.data.push(0x04);
        b.open("EventData", 0xffff, false);
        b.data.push(0x02);
        b.open("Data", 12, true);
        b.attr("Name");
        b.text("CommandLine");
        b.data.push(0x02);
        b.sub(12, true);
        b.data.push(0x04);
        b.data.push(0x04);
        b.data.push(0x04);
        let data = b.finish();
        let (t, external) = parse_template(&data, 0).unwrap();
        assert!(external.is_empty());
        assert_eq!(t.elems.len(), 6);
        assert_eq!(&*t.elems[0].name, "Event");
        assert!(t.elems[0].attrs[0].xmlns);
        let data_elem = &t.elems[5];
        assert_eq!(&*data_elem.name, "Data");
        assert_eq!(data_elem.dependency, Some(12));
        assert_eq!(
            data_elem.attrs[0].parts,
            vec![Item::Text("CommandLine".into())]
        );
        assert_eq!(
            data_elem.children,
            vec![Item::Sub {
                index: 12,
                optional: true
            }]
        );
        assert!(t.elems[3].self_closing);
        let probe = t.probe.unwrap();
        assert_eq!(
            probe.event_id.unwrap().parts,
            vec![Item::Sub {
                index: 3,
                optional: false
            }]
        );
        assert!(probe.channel.is_none());
        assert_eq!(
            probe.time.unwrap().parts,
            vec![Item::Sub {
                index: 6,
                optional: true
            }]
        );
    }

    #[test]
    fn parses_fragments_with_several_roots() {
        let mut b = Builder::new();
        let start = b.data.len();
        for name in ["EventXML", "RenderingInfo"] {
            // No DependencyId in a record's own stream.
            b.data.push(0x01);
            b.data.extend_from_slice(&[0; 4]);
            b.name(name);
            b.data.push(0x02);
            b.text("x");
            b.data.push(0x04);
        }
        b.data.push(0x00);
        let t = parse_fragment(&b.data, start..b.data.len()).unwrap();
        assert_eq!(t.roots, vec![0, 1]);
        assert_eq!(&*t.elems[1].name, "RenderingInfo");
        assert_eq!(t.elems[0].children, vec![Item::Text("x".into())]);
        // A definition must have exactly one root.
        let mut d = Builder::new();
        for name in ["A", "B"] {
            d.open(name, 0xffff, false);
            d.data.push(0x02);
            d.data.push(0x04);
        }
        assert_eq!(parse_template(&d.finish(), 0).map(|_| ()), Err(Refused));
    }

    #[test]
    fn refuses_what_it_does_not_mirror() {
        let mut b = Builder::new();
        b.open("Event", 0xffff, false);
        b.data.push(0x02);
        b.data.extend_from_slice(&[0x08, 0x41, 0x00]); // a character reference
        b.data.push(0x04);
        assert_eq!(parse_template(&b.finish(), 0).map(|_| ()), Err(Refused));
        // Unbalanced elements.
        let mut b = Builder::new();
        b.open("Event", 0xffff, false);
        b.data.push(0x02);
        assert_eq!(parse_template(&b.finish(), 0).map(|_| ()), Err(Refused));
    }
}
