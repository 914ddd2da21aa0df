//! One record as Windows writes it: the record header, then a BinXML fragment holding one
//! instance of the `Event`/`System` template whose last substitution is a nested BinXML
//! fragment: an instance of the payload template (`EventData` or `UserData`).
//!
//! A template is defined inline the first time a chunk uses it and referenced by its offset
//! after that; so are the names in it. Substitution indices and dependency ids of the System
//! template follow Windows' own.

use super::binxml::{self, ty, Values, NO_DEPENDENCY};
use super::chunk::{patch_u32, put_u32, Chunk};
use super::spec::{filetime, EventSpec, Payload, UserData};

/// The record header magic.
const RECORD_MAGIC: &[u8; 4] = b"**\0\0";
/// The namespace of the `Event` element.
const EVENT_NS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";

/// Substitution indices of the System template (as Windows numbers them, plus 18).
mod sub {
    pub const LEVEL: u16 = 0;
    pub const OPCODE: u16 = 1;
    pub const TASK: u16 = 2;
    pub const EVENT_ID: u16 = 3;
    pub const QUALIFIERS: u16 = 4;
    pub const KEYWORDS: u16 = 5;
    pub const TIME_CREATED: u16 = 6;
    pub const ACTIVITY_ID: u16 = 7;
    pub const PROCESS_ID: u16 = 8;
    pub const THREAD_ID: u16 = 9;
    pub const RECORD_ID: u16 = 10;
    pub const VERSION: u16 = 11;
    pub const USER_ID: u16 = 12;
    pub const RELATED_ACTIVITY_ID: u16 = 13;
    pub const PROVIDER_NAME: u16 = 14;
    pub const PROVIDER_GUID: u16 = 15;
    pub const CHANNEL: u16 = 16;
    pub const PAYLOAD: u16 = 17;
    pub const EVENT_SOURCE_NAME: u16 = 18;
    pub const COUNT: usize = 19;
}

/// Reusable buffers for template signatures.
#[derive(Default)]
pub(crate) struct Scratch {
    signature: Vec<u8>,
}

/// Write one record (header, BinXML, padding, size copy) at the end of the chunk. The caller
/// checks [`Chunk::fits`] afterwards and has validated the event.
pub(crate) fn write_record(c: &mut Chunk, ev: &EventSpec, record_id: u64, scratch: &mut Scratch) {
    let start = c.record_start();
    c.data.extend_from_slice(RECORD_MAGIC);
    put_u32(&mut c.data, 0);
    c.data.extend_from_slice(&record_id.to_le_bytes());
    let header_time = filetime(ev.record_time()).unwrap_or(0);
    c.data.extend_from_slice(&header_time.to_le_bytes());
    binxml::fragment_header(c);
    system_instance(c, ev, record_id, scratch);
    binxml::eof(c);
    // Records are 8-byte aligned: zeros (EOF tokens) before the size copy.
    while !(c.data.len() - start + 4).is_multiple_of(8) {
        c.data.push(0);
    }
    let size = (c.data.len() - start + 4) as u32;
    put_u32(&mut c.data, size);
    patch_u32(&mut c.data, start + 4, size);
}

/// A GUID for a template, derived from its signature (Windows derives its own from the
/// template's content too: the same shape gets the same GUID in every chunk).
fn template_guid(signature: &[u8]) -> [u8; 16] {
    fn fnv(seed: u64, bytes: &[u8]) -> u64 {
        let mut h = seed;
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // splitmix64 finalizer, to spread the bits.
        h ^= h >> 30;
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 27;
        h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^ (h >> 31)
    }
    let a = fnv(0xcbf2_9ce4_8422_2325, signature);
    let b = fnv(0x6c62_272e_07bb_0142, signature);
    let mut guid = [0u8; 16];
    guid[..8].copy_from_slice(&a.to_le_bytes());
    guid[8..].copy_from_slice(&b.to_le_bytes());
    guid
}

/// Write the TemplateInstance token, defining the template inline when the chunk lacks it.
/// `define` writes the template body (fragment header through EOF).
fn template_instance(c: &mut Chunk, signature: &[u8], define: impl FnOnce(&mut Chunk)) {
    let guid = template_guid(signature);
    let id = u32::from_le_bytes([guid[0], guid[1], guid[2], guid[3]]);
    c.data.push(0x0c);
    c.data.push(0x01);
    put_u32(&mut c.data, id);
    if let Some(offset) = c.template(signature) {
        put_u32(&mut c.data, offset);
        return;
    }
    let offset = c.pos() + 4;
    put_u32(&mut c.data, offset);
    let next = c.add_template(signature, offset, &guid);
    put_u32(&mut c.data, next);
    c.data.extend_from_slice(&guid);
    let size_at = c.data.len();
    put_u32(&mut c.data, 0);
    define(c);
    let size = c.data.len() - (size_at + 4);
    patch_u32(&mut c.data, size_at, size as u32);
}

/// The `Event` template instance with the System values and the payload.
fn system_instance(c: &mut Chunk, ev: &EventSpec, record_id: u64, scratch: &mut Scratch) {
    let sig = &mut scratch.signature;
    sig.clear();
    sig.extend_from_slice(b"System\0");
    sig.extend_from_slice(ev.computer.as_bytes());
    template_instance(c, sig, |c| define_system(c, &ev.computer));

    let mut v = Values::begin(c, sub::COUNT);
    v.raw(c, ty::UINT8, &[ev.level]);
    v.raw(c, ty::UINT8, &[ev.opcode]);
    v.raw(c, ty::UINT16, &ev.task.to_le_bytes());
    v.raw(c, ty::UINT16, &ev.event_id.to_le_bytes());
    match ev.qualifiers {
        Some(q) => v.raw(c, ty::UINT16, &q.to_le_bytes()),
        None => v.null(c),
    }
    v.raw(c, ty::HEX_INT64, &ev.keywords.to_le_bytes());
    v.raw(
        c,
        ty::FILETIME,
        &filetime(ev.time).unwrap_or(0).to_le_bytes(),
    );
    match &ev.activity_id {
        Some(g) => v.raw(c, ty::GUID, &g.0),
        None => v.null(c),
    }
    v.raw(c, ty::UINT32, &ev.process_id.to_le_bytes());
    v.raw(c, ty::UINT32, &ev.thread_id.to_le_bytes());
    v.raw(c, ty::UINT64, &record_id.to_le_bytes());
    v.raw(c, ty::UINT8, &[ev.version]);
    match &ev.user_sid {
        Some(s) => v.raw(c, ty::SID, s.as_bytes()),
        None => v.null(c),
    }
    v.null(c); // RelatedActivityID
    v.string(c, &ev.provider);
    match &ev.provider_guid {
        Some(g) => v.raw(c, ty::GUID, &g.0),
        None => v.null(c),
    }
    v.string(c, &ev.channel);
    match &ev.payload {
        Payload::None => v.null(c),
        payload => {
            let start = v.begin_binxml(c);
            payload_fragment(c, payload, &mut scratch.signature);
            v.end_binxml(c, start);
        }
    }
    match &ev.event_source_name {
        Some(s) => v.string(c, s),
        None => v.null(c),
    }
}

/// The body of the System template: everything but `Computer` is a substitution, as Windows
/// writes it.
fn define_system(c: &mut Chunk, computer: &str) {
    use binxml::{
        attribute, begin_attributes, close_empty, close_start, end_attributes, end_element,
        open_element, substitution,
    };
    binxml::fragment_header(c);
    let event = open_element(c, "Event", NO_DEPENDENCY, true);
    let attrs = begin_attributes(c);
    attribute(c, "xmlns", false);
    binxml::literal_string(c, EVENT_NS);
    end_attributes(c, attrs);
    close_start(c);

    let system = open_element(c, "System", NO_DEPENDENCY, false);
    close_start(c);

    let el = open_element(c, "Provider", NO_DEPENDENCY, true);
    let attrs = begin_attributes(c);
    attribute(c, "Name", true);
    substitution(c, sub::PROVIDER_NAME, ty::STRING, true);
    attribute(c, "Guid", true);
    substitution(c, sub::PROVIDER_GUID, ty::GUID, true);
    attribute(c, "EventSourceName", false);
    substitution(c, sub::EVENT_SOURCE_NAME, ty::STRING, true);
    end_attributes(c, attrs);
    close_empty(c, el);

    let el = open_element(c, "EventID", sub::EVENT_ID, true);
    let attrs = begin_attributes(c);
    attribute(c, "Qualifiers", false);
    substitution(c, sub::QUALIFIERS, ty::UINT16, true);
    end_attributes(c, attrs);
    close_start(c);
    substitution(c, sub::EVENT_ID, ty::UINT16, true);
    end_element(c, el);

    for (name, index, value_type) in [
        ("Version", sub::VERSION, ty::UINT8),
        ("Level", sub::LEVEL, ty::UINT8),
        ("Task", sub::TASK, ty::UINT16),
        ("Opcode", sub::OPCODE, ty::UINT8),
        ("Keywords", sub::KEYWORDS, ty::HEX_INT64),
    ] {
        let el = open_element(c, name, index, false);
        close_start(c);
        substitution(c, index, value_type, true);
        end_element(c, el);
    }

    let el = open_element(c, "TimeCreated", NO_DEPENDENCY, true);
    let attrs = begin_attributes(c);
    attribute(c, "SystemTime", false);
    substitution(c, sub::TIME_CREATED, ty::FILETIME, true);
    end_attributes(c, attrs);
    close_empty(c, el);

    let el = open_element(c, "EventRecordID", sub::RECORD_ID, false);
    close_start(c);
    substitution(c, sub::RECORD_ID, ty::UINT64, true);
    end_element(c, el);

    let el = open_element(c, "Correlation", NO_DEPENDENCY, true);
    let attrs = begin_attributes(c);
    attribute(c, "ActivityID", true);
    substitution(c, sub::ACTIVITY_ID, ty::GUID, true);
    attribute(c, "RelatedActivityID", false);
    substitution(c, sub::RELATED_ACTIVITY_ID, ty::GUID, true);
    end_attributes(c, attrs);
    close_empty(c, el);

    let el = open_element(c, "Execution", NO_DEPENDENCY, true);
    let attrs = begin_attributes(c);
    attribute(c, "ProcessID", true);
    substitution(c, sub::PROCESS_ID, ty::UINT32, true);
    attribute(c, "ThreadID", false);
    substitution(c, sub::THREAD_ID, ty::UINT32, true);
    end_attributes(c, attrs);
    close_empty(c, el);

    let el = open_element(c, "Channel", sub::CHANNEL, false);
    close_start(c);
    substitution(c, sub::CHANNEL, ty::STRING, true);
    end_element(c, el);

    let el = open_element(c, "Computer", NO_DEPENDENCY, false);
    close_start(c);
    binxml::literal_string(c, computer);
    end_element(c, el);

    let el = open_element(c, "Security", NO_DEPENDENCY, true);
    let attrs = begin_attributes(c);
    attribute(c, "UserID", false);
    substitution(c, sub::USER_ID, ty::SID, true);
    end_attributes(c, attrs);
    close_empty(c, el);

    end_element(c, system);
    substitution(c, sub::PAYLOAD, ty::BINXML, true);
    end_element(c, event);
    binxml::eof(c);
}

/// The nested fragment: an instance of the payload template and its string values.
fn payload_fragment(c: &mut Chunk, payload: &Payload, sig: &mut Vec<u8>) {
    binxml::fragment_header(c);
    sig.clear();
    match payload {
        Payload::None => {}
        Payload::EventData(fields) => {
            sig.extend_from_slice(b"EventData\0");
            for (name, _) in fields {
                match name {
                    Some(n) => {
                        sig.push(1);
                        sig.extend_from_slice(n.as_bytes());
                        sig.push(0);
                    }
                    None => sig.push(2),
                }
            }
            template_instance(c, sig, |c| define_event_data(c, fields));
            let mut v = Values::begin(c, fields.len());
            for (_, value) in fields {
                v.string(c, value);
            }
        }
        Payload::UserData(user) => {
            sig.extend_from_slice(b"UserData\0");
            sig.extend_from_slice(user.element.as_bytes());
            sig.push(0);
            if let Some(ns) = &user.xmlns {
                sig.push(1);
                sig.extend_from_slice(ns.as_bytes());
            }
            sig.push(0);
            for (name, _) in &user.fields {
                sig.extend_from_slice(name.as_bytes());
                sig.push(0);
            }
            template_instance(c, sig, |c| define_user_data(c, user));
            let mut v = Values::begin(c, user.fields.len());
            for (_, value) in &user.fields {
                v.string(c, value);
            }
        }
    }
    binxml::eof(c);
}

/// `<EventData><Data Name="...">%n</Data>...</EventData>`.
fn define_event_data(c: &mut Chunk, fields: &[(Option<String>, String)]) {
    use binxml::{
        attribute, begin_attributes, close_empty, close_start, end_attributes, end_element,
        open_element, substitution,
    };
    binxml::fragment_header(c);
    let root = open_element(c, "EventData", NO_DEPENDENCY, false);
    if fields.is_empty() {
        close_empty(c, root);
    } else {
        close_start(c);
        for (i, (name, _)) in fields.iter().enumerate() {
            let el = open_element(c, "Data", NO_DEPENDENCY, name.is_some());
            if let Some(name) = name {
                let attrs = begin_attributes(c);
                attribute(c, "Name", false);
                binxml::literal_string(c, name);
                end_attributes(c, attrs);
            }
            close_start(c);
            substitution(c, i as u16, ty::STRING, false);
            end_element(c, el);
        }
        end_element(c, root);
    }
    binxml::eof(c);
}

/// `<UserData><element xmlns="..."><leaf>%n</leaf>...</element></UserData>`.
fn define_user_data(c: &mut Chunk, user: &UserData) {
    use binxml::{
        attribute, begin_attributes, close_empty, close_start, end_attributes, end_element,
        open_element, substitution,
    };
    binxml::fragment_header(c);
    let root = open_element(c, "UserData", NO_DEPENDENCY, false);
    close_start(c);
    let el = open_element(c, &user.element, NO_DEPENDENCY, user.xmlns.is_some());
    if let Some(ns) = &user.xmlns {
        let attrs = begin_attributes(c);
        attribute(c, "xmlns", false);
        binxml::literal_string(c, ns);
        end_attributes(c, attrs);
    }
    if user.fields.is_empty() {
        close_empty(c, el);
    } else {
        close_start(c);
        for (i, (name, _)) in user.fields.iter().enumerate() {
            let leaf = open_element(c, name, NO_DEPENDENCY, false);
            close_start(c);
            substitution(c, i as u16, ty::STRING, false);
            end_element(c, leaf);
        }
        end_element(c, el);
    }
    end_element(c, root);
    binxml::eof(c);
}
