//! Build-time half of `layout.rs`: rewrites the committed reference (one DEFLATE blob per service)
//! into the expanded layout the binary embeds. Compiled by build.rs only (`#[path]`), never by the
//! library, so inflating needs no runtime dependency.

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::layout::{cmp_ignore_case, ACTION_ROW, MAGIC, SERVICES_AT, SERVICE_ROW};

const COMMITTED_MAGIC: &[u8] = b"MLRIAM01";

/// One service's document in the committed file, its parts kept as written.
#[derive(Deserialize)]
struct ServiceDoc<'a> {
    #[serde(borrow)]
    n: &'a RawValue,
    #[serde(borrow)]
    k: &'a RawValue,
    #[serde(borrow)]
    c: &'a RawValue,
    #[serde(borrow)]
    r: &'a RawValue,
    #[serde(borrow)]
    a: Vec<&'a RawValue>,
}

/// One service, ready to be laid out.
struct Service {
    prefix: String,
    head: String,
    /// `(name, entry)`, sorted by lowercased name.
    actions: Vec<(String, String)>,
}

fn inflate(bytes: &[u8], size: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(size);
    let status = flate2::Decompress::new(false)
        .decompress_vec(bytes, &mut out, flate2::FlushDecompress::Finish)
        .map_err(|e| e.to_string())?;
    if status != flate2::Status::StreamEnd || out.len() != size {
        return Err(format!("inflated {} bytes, expected {size}", out.len()));
    }
    Ok(out)
}

fn read_service(blob: &[u8], prefix: &str, at: (usize, usize, usize)) -> Result<Service, String> {
    let (offset, size, raw_size) = at;
    let bytes = offset
        .checked_add(size)
        .and_then(|end| blob.get(offset..end))
        .ok_or(format!("service {prefix} lies outside the file"))?;
    let json = inflate(bytes, raw_size).map_err(|e| format!("service {prefix}: {e}"))?;
    let doc: ServiceDoc<'_> =
        serde_json::from_slice(&json).map_err(|e| format!("service {prefix}: {e}"))?;
    let head = format!(
        r#"{{"n":{},"k":{},"c":{},"r":{}}}"#,
        doc.n.get(),
        doc.k.get(),
        doc.c.get(),
        doc.r.get()
    );
    let mut actions = Vec::with_capacity(doc.a.len());
    for entry in doc.a {
        // `[name, level, resource types, keys, dependent actions]`
        let (name, ..): (String, IgnoredAny, IgnoredAny, IgnoredAny, IgnoredAny) =
            serde_json::from_str(entry.get()).map_err(|e| format!("service {prefix}: {e}"))?;
        actions.push((name, entry.get().to_string()));
    }
    actions.sort_by(|x, y| cmp_ignore_case(x.0.as_bytes(), y.0.as_bytes()));
    Ok(Service {
        prefix: prefix.to_ascii_lowercase(),
        head,
        actions,
    })
}

fn push_u32(out: &mut Vec<u8>, value: usize) -> Result<(), String> {
    let value = u32::try_from(value).map_err(|_| "the reference is over 4 GiB".to_string())?;
    out.extend_from_slice(&value.to_le_bytes());
    Ok(())
}

/// The expanded layout of a committed reference file.
pub fn expand(committed: &[u8]) -> Result<Vec<u8>, String> {
    let rest = committed
        .strip_prefix(COMMITTED_MAGIC)
        .ok_or("not an mlrole IAM reference (bad magic)")?;
    let header_len = rest
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .map(|b: [u8; 4]| u32::from_le_bytes(b) as usize)
        .ok_or("truncated header")?;
    let header_bytes = rest.get(4..4 + header_len).ok_or("truncated header")?;
    let blob = &rest[4 + header_len..];
    // Everything in the header but the service index becomes the expanded file's meta.
    let mut header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(header_bytes).map_err(|e| e.to_string())?;
    let index: Vec<(String, usize, usize, usize)> = serde_json::from_value(
        header
            .remove("services")
            .ok_or("the header has no services")?,
    )
    .map_err(|e| e.to_string())?;

    let mut services = index
        .iter()
        .map(|(prefix, offset, size, raw)| read_service(blob, prefix, (*offset, *size, *raw)))
        .collect::<Result<Vec<_>, _>>()?;
    services.sort_by(|x, y| x.prefix.cmp(&y.prefix));
    let meta = serde_json::to_string(&header).map_err(|e| e.to_string())?;

    // Text first, with offsets relative to where it will start; then the rows.
    let total_actions: usize = services.iter().map(|s| s.actions.len()).sum();
    let text_at = SERVICES_AT + services.len() * SERVICE_ROW + total_actions * ACTION_ROW;
    let mut text = Vec::new();
    let mut place = |bytes: &[u8]| {
        let at = text_at + text.len();
        text.extend_from_slice(bytes);
        (at, bytes.len())
    };
    let meta_at = place(meta.as_bytes());
    let mut service_rows = Vec::new();
    let mut action_rows = Vec::new();
    let mut next_action_row = SERVICES_AT + services.len() * SERVICE_ROW;
    for service in &services {
        let prefix = place(service.prefix.as_bytes());
        let head = place(service.head.as_bytes());
        for value in [prefix.0, prefix.1, head.0, head.1, next_action_row] {
            push_u32(&mut service_rows, value)?;
        }
        push_u32(&mut service_rows, service.actions.len())?;
        next_action_row += service.actions.len() * ACTION_ROW;
        // All names of a service side by side, so a binary search touches few pages.
        let names: Vec<(usize, usize)> = service
            .actions
            .iter()
            .map(|(name, _)| place(name.as_bytes()))
            .collect();
        for (name, (_, entry)) in names.into_iter().zip(&service.actions) {
            let entry = place(entry.as_bytes());
            for value in [name.0, name.1, entry.0, entry.1] {
                push_u32(&mut action_rows, value)?;
            }
        }
    }

    let mut out = Vec::with_capacity(text_at + text.len());
    out.extend_from_slice(MAGIC);
    push_u32(&mut out, meta_at.0)?;
    push_u32(&mut out, meta_at.1)?;
    push_u32(&mut out, services.len())?;
    out.extend_from_slice(&service_rows);
    out.extend_from_slice(&action_rows);
    if out.len() != text_at {
        return Err(format!(
            "rows end at {}, text expected at {text_at}",
            out.len()
        ));
    }
    out.extend_from_slice(&text);
    Ok(out)
}
