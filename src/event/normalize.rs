//! Turns the XML the `evtx` crate renders for a record into an [`Event`].
//!
//! The XML form names every `Data` element explicitly and keeps repeated names, so it is the
//! faithful source; quick-xml walks it with borrowed slices, without building a tree.

use super::{Event, Field, Source};
use jiff::Timestamp;
use quick_xml::events::Event as XmlEvent;
use std::sync::Arc;

/// Why a rendered record could not be normalized.
#[derive(Debug, thiserror::Error)]
pub enum NormalizeError {
    /// The rendered XML was not well formed.
    #[error("malformed record XML: {0}")]
    Xml(String),
}

/// Where in the record document the reader is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Outside,
    System,
    EventData,
    UserData,
    Other,
}

struct Open {
    name: String,
    data_name: Option<String>,
    has_child: bool,
    text: String,
}

/// Build an [`Event`] from one record's XML. `header_id` and `header_time` come from the record
/// header and are used when the System block lacks them.
pub fn normalize_xml(
    xml: &str,
    source: &Arc<Source>,
    header_id: u64,
    header_time: Timestamp,
    recovered: bool,
) -> Result<Event, NormalizeError> {
    let mut ev = Event {
        source: Arc::clone(source),
        record_id: header_id,
        time: header_time,
        header_time,
        provider: "".into(),
        channel: "".into(),
        event_id: 0,
        computer: "".into(),
        user_id: "".into(),
        level: 0,
        recovered,
        data: Vec::new(),
        system: Vec::new(),
    };
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut section = Section::Outside;
    let mut stack: Vec<Open> = Vec::with_capacity(8);
    loop {
        let event = reader
            .read_event()
            .map_err(|e| NormalizeError::Xml(e.to_string()))?;
        match event {
            XmlEvent::Start(start) => {
                let name = local(start.local_name().as_ref());
                if let Some(parent) = stack.last_mut() {
                    parent.has_child = true;
                }
                if stack.len() == 1 {
                    section = match name.as_str() {
                        "System" => Section::System,
                        "EventData" => Section::EventData,
                        "UserData" => Section::UserData,
                        _ => Section::Other,
                    };
                }
                let data_name = attributes(&start, section, &name, &mut ev)?;
                stack.push(Open {
                    name,
                    data_name,
                    has_child: false,
                    text: String::new(),
                });
            }
            XmlEvent::Empty(start) => {
                let name = local(start.local_name().as_ref());
                if let Some(parent) = stack.last_mut() {
                    parent.has_child = true;
                }
                let data_name = attributes(&start, section, &name, &mut ev)?;
                if stack.len() >= 2 {
                    leaf(
                        &mut ev,
                        section,
                        stack.len(),
                        &name,
                        data_name,
                        String::new(),
                    );
                }
            }
            XmlEvent::Text(text) => {
                if let Some(top) = stack.last_mut() {
                    let t = text
                        .decode()
                        .map_err(|e| NormalizeError::Xml(e.to_string()))?;
                    top.text.push_str(&t);
                }
            }
            XmlEvent::CData(text) => {
                if let Some(top) = stack.last_mut() {
                    let t = text
                        .decode()
                        .map_err(|e| NormalizeError::Xml(e.to_string()))?;
                    top.text.push_str(&t);
                }
            }
            XmlEvent::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        top.text.push(c);
                    } else {
                        let name = r.decode().map_err(|e| NormalizeError::Xml(e.to_string()))?;
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => top.text.push_str(s),
                            None => {
                                top.text.push('&');
                                top.text.push_str(&name);
                                top.text.push(';');
                            }
                        }
                    }
                }
            }
            XmlEvent::End(_) => {
                let Some(open) = stack.pop() else { continue };
                let depth = stack.len() + 1;
                if !open.has_child && depth >= 2 {
                    leaf(
                        &mut ev,
                        section,
                        depth,
                        &open.name,
                        open.data_name,
                        open.text,
                    );
                }
                if stack.len() == 1 {
                    section = Section::Outside;
                }
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    Ok(ev)
}

fn local(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}

/// Read an element's attributes: System attributes become fields, `Data/@Name` is returned.
fn attributes(
    start: &quick_xml::events::BytesStart<'_>,
    section: Section,
    element: &str,
    ev: &mut Event,
) -> Result<Option<String>, NormalizeError> {
    let mut data_name = None;
    for attr in start.attributes().with_checks(false) {
        let attr = attr.map_err(|e| NormalizeError::Xml(e.to_string()))?;
        let key = attr.key.local_name();
        let key = String::from_utf8_lossy(key.as_ref());
        if key == "xmlns" || attr.key.as_ref().starts_with(b"xmlns") {
            continue;
        }
        let value = attr
            .unescape_value()
            .map_err(|e| NormalizeError::Xml(e.to_string()))?;
        match section {
            Section::System => match (element, &*key) {
                ("Provider", "Name") => ev.provider = value.as_ref().into(),
                ("TimeCreated", "SystemTime") => {
                    if let Ok(t) = value.parse::<Timestamp>() {
                        ev.time = t;
                    }
                }
                ("Security", "UserID") => ev.user_id = value.as_ref().into(),
                _ => ev.system.push(Field {
                    name: format!("{element}_{key}").into(),
                    value: value.as_ref().into(),
                }),
            },
            Section::EventData | Section::UserData if key == "Name" && element == "Data" => {
                data_name = Some(value.into_owned());
            }
            _ => {}
        }
    }
    Ok(data_name)
}

/// Store a leaf element's text as a field of the right section.
fn leaf(
    ev: &mut Event,
    section: Section,
    depth: usize,
    name: &str,
    data_name: Option<String>,
    text: String,
) {
    match section {
        // Known System leaves go to typed members; any other is kept as a System field.
        Section::System
            if depth == 3 && !super::store_system_leaf(ev, name, &text, |_, t| Arc::from(t)) =>
        {
            ev.system.push(Field {
                name: name.into(),
                value: text.into(),
            });
        }
        Section::EventData | Section::UserData => {
            let name = data_name.unwrap_or_else(|| name.to_string());
            ev.data.push(Field {
                name: name.into(),
                value: windows_rendering(text).into(),
            });
        }
        _ => {}
    }
}

/// Present typed values as Windows renders them: a bare GUID gets its braces.
fn windows_rendering(text: String) -> String {
    if is_bare_guid(&text) {
        format!("{{{}}}", text.to_ascii_uppercase())
    } else {
        text
    }
}

/// [`windows_rendering`] of borrowed text, as the stored value.
pub(crate) fn windows_rendering_str(text: &str) -> Box<str> {
    if is_bare_guid(text) {
        format!("{{{}}}", text.to_ascii_uppercase()).into()
    } else {
        text.into()
    }
}

fn is_bare_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> Arc<Source> {
        Arc::new(Source {
            path: "x.evtx".into(),
        })
    }

    #[test]
    fn reads_system_and_named_data() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?><Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing" Guid="{54849625-5478-4994-a5ba-3e3b0328c30d}"/><EventID>4688</EventID><Version>1</Version><Level>0</Level><TimeCreated SystemTime="2019-03-18T22:15:49.6458894Z"/><EventRecordID>563298</EventRecordID><Execution ProcessID="4" ThreadID="3696"/><Channel>Security</Channel><Computer>WIN-1</Computer><Security/></System><EventData><Data Name="NewProcessName">C:\a &amp; b.exe</Data><Data Name="CommandLine"></Data><Data Name="LogonProcessName">NtLmSsp </Data><Data>unnamed</Data><Data Name="SubcategoryGuid">0cce9210-69ae-11d9-bed3-505054503030</Data></EventData></Event>"#;
        let t = "2000-01-01T00:00:00Z".parse().unwrap();
        let ev = normalize_xml(xml, &src(), 1, t, false).unwrap();
        assert_eq!(ev.event_id, 4688);
        assert_eq!(&*ev.channel, "Security");
        assert_eq!(&*ev.provider, "Microsoft-Windows-Security-Auditing");
        assert_eq!(ev.record_id, 563298);
        assert_eq!(ev.time.to_string(), "2019-03-18T22:15:49.6458894Z");
        assert_eq!(ev.get_str("NewProcessName").unwrap(), "C:\\a & b.exe");
        assert_eq!(ev.get_str("CommandLine").unwrap(), "");
        assert_eq!(ev.get_str("LogonProcessName").unwrap(), "NtLmSsp ");
        assert_eq!(ev.get_str("Data").unwrap(), "unnamed");
        assert_eq!(
            ev.get_str("SubcategoryGuid").unwrap(),
            "{0CCE9210-69AE-11D9-BED3-505054503030}"
        );
        assert_eq!(ev.get_str("Execution_ProcessID").unwrap(), "4");
        assert_eq!(ev.get_str("Version").unwrap(), "1");
        assert!(ev.get("Image").is_none());
    }

    #[test]
    fn reads_user_data_leaves() {
        let xml = r#"<Event><System><EventID>104</EventID><Channel>System</Channel><Security UserID="S-1-5-18"/></System><UserData><LogFileCleared xmlns="x"><SubjectUserName>user01</SubjectUserName><Channel>System</Channel><BackupPath></BackupPath></LogFileCleared></UserData></Event>"#;
        let t = "2000-01-01T00:00:00Z".parse().unwrap();
        let ev = normalize_xml(xml, &src(), 7, t, false).unwrap();
        assert_eq!(ev.record_id, 7);
        assert_eq!(ev.get_str("SubjectUserName").unwrap(), "user01");
        assert_eq!(ev.get_str("BackupPath").unwrap(), "");
        assert_eq!(&*ev.user_id, "S-1-5-18");
        assert_eq!(ev.time, t);
    }
}
