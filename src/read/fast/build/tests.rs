//! Template evaluation: left-out elements, optional values, repeated elements.
use super::*;
use crate::read::fast::template::Attr;
use std::cell::Cell;

fn elem(name: &str, dependency: Option<u16>, attrs: Vec<Attr>, children: Vec<Item>) -> Elem {
    Elem {
        name: name.into(),
        dependency,
        self_closing: false,
        attrs,
        children,
    }
}

fn name_attr(name: &str) -> Attr {
    Attr {
        name: "Name".into(),
        field_name: "Data_Name".into(),
        xmlns: false,
        literal: Some(name.into()),
        parts: vec![Item::Text(name.into())],
    }
}

fn sub(index: u16, optional: bool) -> Item {
    Item::Sub { index, optional }
}

/// `<Event><System><EventID>%0</EventID></System><EventData>` + three `Data` elements:
/// `A` depends on value 1, `B` holds optional value 2, `C` (no Name) holds value 3.
fn template() -> Template {
    Template {
        elems: vec![
            elem("Event", None, vec![], vec![Item::Elem(1), Item::Elem(3)]),
            elem("System", None, vec![], vec![Item::Elem(2)]),
            elem("EventID", None, vec![], vec![sub(0, false)]),
            elem(
                "EventData",
                None,
                vec![],
                vec![Item::Elem(4), Item::Elem(5), Item::Elem(6)],
            ),
            elem("Data", Some(1), vec![name_attr("A")], vec![sub(1, false)]),
            elem("Data", None, vec![name_attr("B")], vec![sub(2, true)]),
            elem("Data", None, vec![], vec![sub(3, false)]),
        ],
        roots: vec![0],
        probe: None,
        sizes: Cell::new((0, 0)),
    }
}

fn build(values: &[Value<'_>]) -> Result<Event, NeedsXml> {
    let instances = vec![Instance {
        template: Rc::new(template()),
        values: 0..values.len(),
    }];
    let mut ev = crate::dispatch::tests::event("", 0, &[]);
    ev.provider = "".into();
    ev.computer = "".into();
    ev.level = 0;
    let mut scratch = String::new();
    let mut shared = SharedText::default();
    let mut b = Builder {
        instances: &instances,
        values,
        scratch: &mut scratch,
        shared: &mut shared,
        arrays: values.iter().any(|v| v.array_len() > 1),
        budget: ELEMENT_BUDGET,
    };
    b.build(&mut ev)?;
    Ok(ev)
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn data(ev: &Event) -> Vec<(String, String)> {
    ev.data
        .iter()
        .map(|f| (f.name.to_string(), f.value.to_string()))
        .collect()
}

#[test]
fn left_out_elements_and_optional_values() {
    let a = utf16("x");
    let ev = build(&[
        Value::UInt(4688),
        Value::Utf16(&a),
        Value::Null,
        Value::Null,
    ])
    .unwrap();
    assert_eq!(ev.event_id, 4688);
    // B's optional NULL disappears but B stays; C's NULL is empty text.
    let expected = [("A", "x"), ("B", ""), ("Data", "")];
    assert_eq!(
        data(&ev),
        expected.map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // A depends on value 1: NULL leaves it out.
    let ev = build(&[Value::UInt(1), Value::Null, Value::Null, Value::UInt(7)]).unwrap();
    let expected = [("B", ""), ("Data", "7")];
    assert_eq!(
        data(&ev),
        expected.map(|(a, b)| (a.to_string(), b.to_string()))
    );
}

#[test]
fn string_arrays_repeat_their_element() {
    let items = utf16("a\0\0c\0");
    let ev = build(&[
        Value::UInt(1),
        Value::Null,
        Value::Null,
        Value::StrArray(&items),
    ]);
    let got: Vec<String> = data(&ev.unwrap()).into_iter().map(|(_, v)| v).collect();
    assert_eq!(got, vec!["", "a", "", "c"]);
    // An array in an element that is not repeated (the root) is the XML path's.
    let ev = build(&[
        Value::StrArray(&items),
        Value::Null,
        Value::Null,
        Value::Null,
    ]);
    assert!(ev.is_ok(), "EventID's element is repeated, not the root");
}

#[test]
fn values_it_cannot_write_need_the_xml_path() {
    let r = build(&[Value::UInt(1), Value::Null, Value::Unsupported, Value::Null]);
    assert_eq!(r.err(), Some(NeedsXml));
}
