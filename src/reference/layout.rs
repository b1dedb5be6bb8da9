//! The IAM reference as the binary embeds it, and how to read it without copying.
//!
//! `reference/iam-reference.bin` (committed) keeps each service as a DEFLATE blob, which is small in
//! git but must be inflated and scanned end to end before one action can be found. build.rs
//! (`expand.rs`) rewrites it at build time into the layout below, in which a service's head and each
//! action's entry are reached through tables of offsets: looking up `ec2:RunInstances` reads a few
//! table rows and that action's bytes, and nothing of ec2's other 825 actions. The expanded file is
//! about 2.3 MB with its tables, against 0.3 MB compressed.
//!
//! ```text
//! "MLRIAMX1"                    magic
//! u32 meta offset, u32 length   JSON: format, source, version, updated_at, global_keys, key_aliases
//! u32 service count
//! service rows, sorted by prefix (lowercase), 6 × u32 each:
//!     prefix offset, prefix length, head offset, head length, action rows offset, action count
//! action rows, per service sorted by ASCII-lowercased name, 4 × u32 each:
//!     name offset, name length, entry offset, entry length
//! the text the offsets point to (UTF-8): per service its prefix, its head, its action names
//! side by side (binary searches touch few pages), then its action entries
//! ```
//!
//! A service's head is the JSON object `{"n", "k", "c", "r"}` and an action's entry the JSON array
//! `[name, level, resource types, keys, dependent actions]`, both as `reference/README.md` describes.
//! Integers are little-endian and offsets count from the start of the file. Every read checks its
//! bounds, so a damaged file yields `None`, never a panic.

use std::cmp::Ordering;

pub const MAGIC: &[u8; 8] = b"MLRIAMX1";
/// Bytes of one service row and one action row.
pub const SERVICE_ROW: usize = 6 * 4;
pub const ACTION_ROW: usize = 4 * 4;
/// Where the service rows start: magic, meta offset and length, service count.
pub const SERVICES_AT: usize = 8 + 3 * 4;

/// Orders names as their ASCII-lowercase forms, without allocating.
pub fn cmp_ignore_case(a: &[u8], b: &[u8]) -> Ordering {
    a.iter()
        .map(u8::to_ascii_lowercase)
        .cmp(b.iter().map(u8::to_ascii_lowercase))
}

/// A checked view of the expanded file.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    data: &'static [u8],
}

/// One service's row.
#[derive(Clone, Copy, Debug)]
pub struct ServiceRow {
    pub prefix: &'static str,
    pub head: &'static str,
    pub actions: ActionRows,
}

/// One service's action rows.
#[derive(Clone, Copy, Debug)]
pub struct ActionRows {
    data: &'static [u8],
    at: usize,
    count: usize,
}

fn u32_at(data: &[u8], pos: usize) -> Option<usize> {
    let bytes: [u8; 4] = data.get(pos..pos.checked_add(4)?)?.try_into().ok()?;
    usize::try_from(u32::from_le_bytes(bytes)).ok()
}

fn bytes_at(data: &'static [u8], offset: usize, len: usize) -> Option<&'static [u8]> {
    data.get(offset..offset.checked_add(len)?)
}

/// Text is checked to be UTF-8 when handed out; binary searches compare raw bytes.
fn text_at(data: &'static [u8], offset: usize, len: usize) -> Option<&'static str> {
    std::str::from_utf8(bytes_at(data, offset, len)?).ok()
}

impl Layout {
    /// `None` unless the data starts with the expanded format's magic and holds its fixed header.
    pub fn new(data: &'static [u8]) -> Option<Layout> {
        (data.starts_with(MAGIC) && data.len() >= SERVICES_AT).then_some(Layout { data })
    }

    /// The meta JSON document.
    pub fn meta(&self) -> Option<&'static str> {
        text_at(self.data, u32_at(self.data, 8)?, u32_at(self.data, 12)?)
    }

    pub fn service_count(&self) -> usize {
        u32_at(self.data, 16).unwrap_or(0)
    }

    fn service_prefix(&self, index: usize) -> Option<&'static [u8]> {
        let row = SERVICES_AT.checked_add(index.checked_mul(SERVICE_ROW)?)?;
        bytes_at(
            self.data,
            u32_at(self.data, row)?,
            u32_at(self.data, row + 4)?,
        )
    }

    /// The service row at `index` (in prefix order).
    pub fn service(&self, index: usize) -> Option<ServiceRow> {
        if index >= self.service_count() {
            return None;
        }
        let row = SERVICES_AT.checked_add(index.checked_mul(SERVICE_ROW)?)?;
        let field = |i: usize| u32_at(self.data, row + 4 * i);
        Some(ServiceRow {
            prefix: text_at(self.data, field(0)?, field(1)?)?,
            head: text_at(self.data, field(2)?, field(3)?)?,
            actions: ActionRows {
                data: self.data,
                at: field(4)?,
                count: field(5)?,
            },
        })
    }

    /// Every service prefix, in order.
    pub fn prefixes(&self) -> impl Iterator<Item = &'static str> + '_ {
        (0..self.service_count()).filter_map(|i| std::str::from_utf8(self.service_prefix(i)?).ok())
    }

    /// The index of a service by its prefix, in any case.
    pub fn find_service(&self, prefix: &str) -> Option<usize> {
        find(self.service_count(), prefix.as_bytes(), |i| {
            self.service_prefix(i)
        })
    }
}

impl ActionRows {
    pub fn len(&self) -> usize {
        self.count
    }

    fn row(&self, index: usize) -> Option<usize> {
        if index >= self.count {
            return None;
        }
        self.at.checked_add(index.checked_mul(ACTION_ROW)?)
    }

    /// The action's name (`CreateTrainingJob`).
    pub fn name(&self, index: usize) -> Option<&'static str> {
        std::str::from_utf8(self.name_bytes(index)?).ok()
    }

    fn name_bytes(&self, index: usize) -> Option<&'static [u8]> {
        let row = self.row(index)?;
        bytes_at(
            self.data,
            u32_at(self.data, row)?,
            u32_at(self.data, row + 4)?,
        )
    }

    /// The action's JSON entry.
    pub fn entry(&self, index: usize) -> Option<&'static str> {
        let row = self.row(index)?;
        text_at(
            self.data,
            u32_at(self.data, row + 8)?,
            u32_at(self.data, row + 12)?,
        )
    }

    /// The index of an action by name, in any case.
    pub fn find(&self, name: &str) -> Option<usize> {
        find(self.count, name.as_bytes(), |i| self.name_bytes(i))
    }
}

/// Binary search over `count` sorted rows by case-insensitive name; an unreadable row ends the
/// search with `None`.
fn find(
    count: usize,
    wanted: &[u8],
    name: impl Fn(usize) -> Option<&'static [u8]>,
) -> Option<usize> {
    let (mut low, mut high) = (0, count);
    while low < high {
        let mid = low + (high - low) / 2;
        match cmp_ignore_case(name(mid)?, wanted) {
            Ordering::Less => low = mid + 1,
            Ordering::Greater => high = mid,
            Ordering::Equal => return Some(mid),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::cmp_ignore_case;

    #[test]
    fn orders_as_the_lowercase_forms() {
        let names = [
            "",
            "a",
            "A",
            "ab",
            "aB",
            "abc",
            "b",
            "Ba",
            "s3",
            "S3-Outposts",
            "sagemaker",
            "SageMaker-geospatial",
            "_",
            "[",
            "z",
            "Z0",
        ];
        for a in names {
            for b in names {
                let expected = a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase());
                assert_eq!(
                    cmp_ignore_case(a.as_bytes(), b.as_bytes()),
                    expected,
                    "{a} vs {b}"
                );
            }
        }
    }
}
