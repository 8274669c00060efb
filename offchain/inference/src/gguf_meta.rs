//! Typed reads of GGUF metadata, each failure naming the key.

use std::collections::HashMap;

use candle_core::quantized::gguf_file::Value;

use crate::Error;

/// A GGUF file's metadata table.
pub(crate) type Metadata = HashMap<String, Value>;

fn get<'m>(meta: &'m Metadata, key: &str) -> Result<&'m Value, Error> {
    meta.get(key).ok_or_else(|| Error::model(key, "missing from the GGUF metadata"))
}

/// Any integer variant widened: writers differ in the width they pick for
/// token ids, sizes and token types.
fn integer(value: &Value) -> Option<i128> {
    Some(match value {
        Value::U8(v) => i128::from(*v),
        Value::I8(v) => i128::from(*v),
        Value::U16(v) => i128::from(*v),
        Value::I16(v) => i128::from(*v),
        Value::U32(v) => i128::from(*v),
        Value::I32(v) => i128::from(*v),
        Value::U64(v) => i128::from(*v),
        Value::I64(v) => i128::from(*v),
        _ => return None,
    })
}

/// A string value.
pub(crate) fn string<'m>(meta: &'m Metadata, key: &str) -> Result<&'m str, Error> {
    match get(meta, key)? {
        Value::String(s) => Ok(s),
        other => {
            Err(Error::model(key, format!("expected a string, found {:?}", other.value_type())))
        }
    }
}

/// A string value if the key is present.
pub(crate) fn optional_string<'m>(meta: &'m Metadata, key: &str) -> Result<Option<&'m str>, Error> {
    if meta.contains_key(key) {
        string(meta, key).map(Some)
    } else {
        Ok(None)
    }
}

/// An integer value that fits in `u32`.
pub(crate) fn uint(meta: &Metadata, key: &str) -> Result<u32, Error> {
    let value = get(meta, key)?;
    let wide = integer(value).ok_or_else(|| {
        Error::model(key, format!("expected an integer, found {:?}", value.value_type()))
    })?;
    u32::try_from(wide).map_err(|_| Error::model(key, format!("{wide} is not a u32")))
}

/// An integer value that fits in `u32`, if the key is present.
pub(crate) fn optional_uint(meta: &Metadata, key: &str) -> Result<Option<u32>, Error> {
    if meta.contains_key(key) {
        uint(meta, key).map(Some)
    } else {
        Ok(None)
    }
}

/// A float value (f32 or f64 in the file), if the key is present.
pub(crate) fn optional_f32(meta: &Metadata, key: &str) -> Result<Option<f32>, Error> {
    match meta.get(key) {
        None => Ok(None),
        Some(Value::F32(v)) => Ok(Some(*v)),
        #[allow(clippy::cast_possible_truncation)]
        Some(Value::F64(v)) => Ok(Some(*v as f32)),
        Some(other) => {
            Err(Error::model(key, format!("expected a float, found {:?}", other.value_type())))
        }
    }
}

fn array<'m>(meta: &'m Metadata, key: &str) -> Result<&'m [Value], Error> {
    match get(meta, key)? {
        Value::Array(items) => Ok(items),
        other => {
            Err(Error::model(key, format!("expected an array, found {:?}", other.value_type())))
        }
    }
}

/// An array of strings.
pub(crate) fn strings<'m>(meta: &'m Metadata, key: &str) -> Result<Vec<&'m str>, Error> {
    array(meta, key)?
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::String(s) => Ok(s.as_str()),
            other => Err(Error::model(key, format!("item {i} is a {:?}", other.value_type()))),
        })
        .collect()
}

/// An array of integers (token types are stored as i32).
pub(crate) fn integers(meta: &Metadata, key: &str) -> Result<Vec<i128>, Error> {
    array(meta, key)?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            integer(v)
                .ok_or_else(|| Error::model(key, format!("item {i} is a {:?}", v.value_type())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(entries: &[(&str, Value)]) -> Metadata {
        entries.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    }

    #[test]
    fn integers_of_any_width_read_as_u32() {
        let m = meta(&[("a", Value::U64(7)), ("b", Value::I32(9)), ("c", Value::U8(1))]);
        assert_eq!(uint(&m, "a").unwrap(), 7);
        assert_eq!(uint(&m, "b").unwrap(), 9);
        assert_eq!(uint(&m, "c").unwrap(), 1);
    }

    #[test]
    fn out_of_range_and_wrong_types_name_the_key() {
        let m = meta(&[
            ("neg", Value::I32(-1)),
            ("big", Value::U64(u64::MAX)),
            ("s", Value::String("x".into())),
        ]);
        for key in ["neg", "big", "s", "absent"] {
            let err = uint(&m, key).unwrap_err().to_string();
            assert!(err.contains(key), "{err}");
        }
        assert!(string(&m, "neg").is_err());
        assert_eq!(optional_uint(&m, "absent").unwrap(), None);
        assert_eq!(optional_string(&m, "s").unwrap(), Some("x"));
    }

    #[test]
    fn arrays_check_every_item() {
        let m = meta(&[
            ("ok", Value::Array(vec![Value::String("a".into()), Value::String("b".into())])),
            ("mixed", Value::Array(vec![Value::String("a".into()), Value::U8(1)])),
            ("types", Value::Array(vec![Value::I32(1), Value::I32(3)])),
        ]);
        assert_eq!(strings(&m, "ok").unwrap(), ["a", "b"]);
        assert!(strings(&m, "mixed").unwrap_err().to_string().contains("item 1"));
        assert_eq!(integers(&m, "types").unwrap(), [1, 3]);
        assert!(integers(&m, "ok").is_err());
    }
}
