//! JSON-lines batch mode: one case per input line, one answer per output line.
//!
//! Input line:
//! ```json
//! {"id": "c1",
//!  "identity_policies": [DOC, {"name": "n", "policy": DOC}],
//!  "resource_policy": DOC, "permissions_boundary": DOC,
//!  "session_policies": [DOC],
//!  "request": {"principal": "arn:...", "action": "s3:GetObject",
//!              "resource": "arn:...", "resource_account": "123456789012",
//!              "context": {"aws:SourceIp": "10.0.0.1", "aws:TagKeys": ["a", "b"]},
//!              "unknown_keys": ["aws:PrincipalTag/team"]}}
//! ```
//! A `DOC` is a policy object or a JSON string holding one. Output line:
//! `{"id", "decision", "reasons": [...]}` (plus `unknown_keys` when
//! indeterminate) or `{"id", "error": "..."}` for a line that cannot be
//! judged. Blank lines are skipped. Only I/O failure stops the batch. A line
//! longer than [`MAX_LINE_BYTES`] is answered with an error without being
//! parsed: its JSON tree would take tens of times its size in memory.
//! Fields the format does not name are ignored; a line that has some is
//! answered by the (slower) reference path.

use super::context::Request;
use super::direct;
use super::engine::{Decision, Evaluation, PolicySet, Reason, ReasonDetail};
use super::error::{json_type, BatchError};
use super::json::{self, Json};
use super::policy::Effect;
use super::policy::{Policy, PolicyType};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufRead, Write};
use std::rc::Rc;
use std::sync::{mpsc, Mutex};

/// Counts for one batch run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BatchStats {
    /// Non-blank input lines.
    pub cases: usize,
    /// Lines answered with an `error`.
    pub errors: usize,
    pub allow: usize,
    pub explicit_deny: usize,
    pub implicit_deny: usize,
    pub indeterminate: usize,
}

impl BatchStats {
    fn add(&mut self, o: &BatchStats) {
        self.cases += o.cases;
        self.errors += o.errors;
        self.allow += o.allow;
        self.explicit_deny += o.explicit_deny;
        self.implicit_deny += o.implicit_deny;
        self.indeterminate += o.indeterminate;
    }

    fn count(&mut self, decision: Option<Decision>) {
        match decision {
            Some(Decision::Allow) => self.allow += 1,
            Some(Decision::ExplicitDeny) => self.explicit_deny += 1,
            Some(Decision::ImplicitDeny) => self.implicit_deny += 1,
            Some(Decision::Indeterminate) => self.indeterminate += 1,
            None => self.errors += 1,
        }
    }
}

/// Input is cut into chunks of whole lines of about this size; chunks are
/// answered in parallel and written back in input order.
const CHUNK: usize = 64 * 1024;

/// Runs every line of `input`, writing one JSON line per case to `output`.
///
/// Lines are answered on all available cores (chunks of lines, output in
/// input order); compiled policy sets are cached by the raw JSON text of the
/// policy fields, so a batch that checks one role against many requests
/// compiles it once per thread; after a run of lines that each bring new
/// policies, lines are compiled from a single parse without the cache. The
/// output is byte-for-byte what answering each line with [`evaluate_line`]
/// would give.
pub fn run_batch(input: impl BufRead, output: impl Write) -> Result<BatchStats, BatchError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    run_batch_threads(input, output, threads)
}

/// [`run_batch`] with an explicit number of worker threads (1: no threads).
pub fn run_batch_threads(
    input: impl BufRead,
    mut output: impl Write,
    threads: usize,
) -> Result<BatchStats, BatchError> {
    let mut stats = BatchStats::default();
    let mut input = Chunker::new(input);
    let mut first = Chunk::default();
    let (eof, read_err) = input.next(&mut first);
    if threads <= 1 || eof || read_err.is_some() {
        // Small input (or one thread): answer inline.
        let mut cache = SetCache::default();
        let mut buf = first;
        let mut read_err = read_err;
        let mut eof = eof;
        loop {
            let mut out = Vec::with_capacity(buf.data.len() / 4);
            answer_chunk(&buf, &mut cache, &mut out, &mut stats);
            output.write_all(&out).map_err(BatchError::Write)?;
            if let Some(e) = read_err {
                return Err(BatchError::Read(e));
            }
            if eof {
                break;
            }
            buf.data.clear();
            buf.ends.clear();
            buf.overlong.clear();
            (eof, read_err) = input.next(&mut buf);
        }
        output.flush().map_err(BatchError::Write)?;
        return Ok(stats);
    }
    let (work_tx, work_rx) = mpsc::sync_channel::<(usize, Chunk)>(threads * 2);
    let work_rx = Mutex::new(work_rx);
    let (res_tx, res_rx) = mpsc::channel::<(usize, Vec<u8>, BatchStats)>();
    let result = std::thread::scope(|s| {
        for _ in 0..threads {
            let res_tx = res_tx.clone();
            let work_rx = &work_rx;
            s.spawn(move || {
                let mut cache = SetCache::default();
                loop {
                    let job = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, chunk)) = job else { return };
                    let mut out = Vec::with_capacity(chunk.data.len() / 4);
                    let mut st = BatchStats::default();
                    answer_chunk(&chunk, &mut cache, &mut out, &mut st);
                    if res_tx.send((seq, out, st)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(res_tx);
        let mut writer = Ordered {
            next: 0,
            pending: BTreeMap::new(),
            stats: &mut stats,
            error: None,
        };
        let mut sent = 0usize;
        let mut chunk = first;
        let (mut eof, mut read_err) = (eof, read_err);
        loop {
            if !chunk.data.is_empty() && work_tx.send((sent, chunk)).is_ok() {
                sent += 1;
            }
            while let Ok(r) = res_rx.try_recv() {
                writer.put(r, &mut output);
            }
            if eof || read_err.is_some() || writer.error.is_some() {
                break;
            }
            chunk = Chunk::default();
            chunk.data.reserve(CHUNK + 4096);
            (eof, read_err) = input.next(&mut chunk);
        }
        drop(work_tx);
        for r in res_rx.iter() {
            writer.put(r, &mut output);
        }
        match (writer.error.take(), read_err) {
            (Some(e), _) => Err(BatchError::Write(e)),
            (None, Some(e)) => Err(BatchError::Read(e)),
            (None, None) => Ok(()),
        }
    });
    result?;
    output.flush().map_err(BatchError::Write)?;
    Ok(stats)
}

/// Writes answered chunks in input order.
struct Ordered<'a> {
    next: usize,
    pending: BTreeMap<usize, (Vec<u8>, BatchStats)>,
    stats: &'a mut BatchStats,
    error: Option<std::io::Error>,
}

impl Ordered<'_> {
    fn put(&mut self, (seq, out, st): (usize, Vec<u8>, BatchStats), w: &mut impl Write) {
        self.pending.insert(seq, (out, st));
        while let Some((out, st)) = self.pending.remove(&self.next) {
            self.next += 1;
            if self.error.is_some() {
                continue;
            }
            match w.write_all(&out) {
                Ok(()) => self.stats.add(&st),
                Err(e) => self.error = Some(e),
            }
        }
    }
}

/// Cuts the input into chunks of whole lines, reading it in the reader's
/// own blocks (a `read_until` per line copied and scanned each line twice).
struct Chunker<R> {
    input: R,
    /// The start of an unfinished line, read past the end of the last chunk.
    carry: Vec<u8>,
    /// The unfinished line's length, counted here since a line over the cap is not kept whole.
    line: LineCount,
}

/// The length of the line being read, and how many `\r` end it so far.
#[derive(Default)]
struct LineCount {
    len: usize,
    trailing_cr: usize,
}

impl LineCount {
    /// Appends bytes read to the chunk, keeping at most [`KEPT_OF_A_LONG_LINE`] bytes of any
    /// line and noting each line over the cap with its whole length (without its line break).
    fn append(&mut self, chunk: &mut Chunk, bytes: &[u8]) {
        if self.len + bytes.len() <= MAX_LINE_BYTES {
            // No line here can reach the cap (the common case): keep it all, and only follow
            // the last line's length.
            chunk.data.extend_from_slice(bytes);
            let tail = match memchr::memrchr(b'\n', bytes) {
                Some(at) => {
                    self.len = 0;
                    self.trailing_cr = 0;
                    &bytes[at + 1..]
                }
                None => bytes,
            };
            self.count(tail);
            return;
        }
        let mut rest = bytes;
        while !rest.is_empty() {
            let (piece, newline) = match memchr::memchr(b'\n', rest) {
                Some(at) => (&rest[..at], true),
                None => (rest, false),
            };
            rest = &rest[piece.len() + usize::from(newline)..];
            let room = KEPT_OF_A_LONG_LINE.saturating_sub(self.len);
            chunk
                .data
                .extend_from_slice(&piece[..room.min(piece.len())]);
            self.count(piece);
            if newline {
                chunk.data.push(b'\n');
                self.end(chunk);
            }
        }
    }

    /// Adds a piece of the current line (no line break in it) to its length.
    fn count(&mut self, piece: &[u8]) {
        self.len += piece.len();
        let crs = piece.iter().rev().take_while(|b| **b == b'\r').count();
        self.trailing_cr = if crs == piece.len() {
            self.trailing_cr + crs
        } else {
            crs
        };
    }

    /// Notes the line that ends at the end of `chunk.data` if it is over the cap.
    fn end(&mut self, chunk: &mut Chunk) {
        let len = self.len - self.trailing_cr;
        if len > MAX_LINE_BYTES {
            chunk.overlong.push((chunk.data.len(), len));
        }
        self.len = 0;
        self.trailing_cr = 0;
    }
}

/// Bytes of a line over [`MAX_LINE_BYTES`] that are kept: the rest is read and counted, not
/// stored, so one huge line cannot fill the memory.
const KEPT_OF_A_LONG_LINE: usize = MAX_LINE_BYTES + 1;

impl<R: BufRead> Chunker<R> {
    fn new(input: R) -> Chunker<R> {
        Chunker {
            input,
            carry: Vec::new(),
            line: LineCount::default(),
        }
    }

    /// Fills `chunk` (empty) with whole lines until it holds at least
    /// [`CHUNK`] bytes or the input ends. Returns (end of input, read error);
    /// on an error the unfinished line is dropped and the complete ones kept,
    /// as a line-by-line reader would.
    fn next(&mut self, chunk: &mut Chunk) -> (bool, Option<std::io::Error>) {
        debug_assert!(chunk.data.is_empty() && chunk.ends.is_empty());
        chunk.data.append(&mut self.carry);
        let mut scanned = 0;
        loop {
            let base = scanned;
            chunk
                .ends
                .extend(memchr::memchr_iter(b'\n', &chunk.data[base..]).map(|at| base + at + 1));
            scanned = chunk.data.len();
            let complete = chunk.ends.last().copied().unwrap_or(0);
            if chunk.data.len() >= CHUNK && complete > 0 {
                self.carry.extend_from_slice(&chunk.data[complete..]);
                chunk.data.truncate(complete);
                return (false, None);
            }
            let read = match self.input.fill_buf() {
                Ok([]) => {
                    // The last line may lack its newline.
                    if chunk.data.len() > complete {
                        chunk.ends.push(chunk.data.len());
                        self.line.end(chunk);
                    }
                    return (true, None);
                }
                Ok(block) => {
                    // Up to the end of the line that fills the chunk: chunks
                    // stay near CHUNK whatever the reader's block size.
                    let want = CHUNK.saturating_sub(chunk.data.len());
                    let take = match block.get(want..) {
                        Some(rest) => {
                            memchr::memchr(b'\n', rest).map_or(block.len(), |at| want + at + 1)
                        }
                        None => block.len(),
                    };
                    self.line.append(chunk, &block[..take]);
                    take
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => 0,
                Err(e) => {
                    chunk.data.truncate(complete);
                    return (false, Some(e));
                }
            };
            self.input.consume(read);
        }
    }
}

/// Whole lines read in one go, with the end offset of each line (so the
/// workers need not search for the newlines again).
#[derive(Default)]
struct Chunk {
    data: Vec<u8>,
    ends: Vec<usize>,
    /// Lines over [`MAX_LINE_BYTES`]: the end offset of each (as in `ends`; only its first
    /// bytes are in `data`) and its whole length.
    overlong: Vec<(usize, usize)>,
}

/// Answers every line of a chunk, appending one output line per case.
fn answer_chunk(chunk: &Chunk, cache: &mut SetCache, out: &mut Vec<u8>, stats: &mut BatchStats) {
    let mut start = 0;
    let mut overlong = chunk.overlong.iter().peekable();
    for &end in &chunk.ends {
        let raw = &chunk.data[start..end];
        start = end;
        if let Some((_, len)) = overlong.next_if(|(at, _)| *at == end) {
            // Only its first bytes were kept; whatever it holds, it is over the cap.
            stats.cases += 1;
            stats.count(None);
            let _ = serde_json::to_writer(&mut *out, &too_long_answer(*len));
            out.push(b'\n');
            continue;
        }
        let line = match std::str::from_utf8(raw) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(raw),
        };
        // Blank means JSON whitespace only: a line of other whitespace (a no-break space, a
        // form feed) is not JSON and gets an error answer, like any other such line.
        if line
            .trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
            .is_empty()
        {
            continue;
        }
        stats.cases += 1;
        let decision = answer_line(&line, cache, out);
        stats.count(decision);
        out.push(b'\n');
    }
}

/// Answers one line into `out` (without the newline); returns the decision,
/// or `None` for an error line.
fn answer_line(line: &str, cache: &mut SetCache, out: &mut Vec<u8>) -> Option<Decision> {
    if too_long(line).is_none() {
        if let Some(d) = fast_line(line, cache, out) {
            return Some(d);
        }
    }
    // Anything unusual (errors, duplicate keys, an overlong line, ...) takes the reference path.
    let v = evaluate_line(line);
    let d = v
        .get("decision")
        .and_then(Value::as_str)
        .and_then(|d| match d {
            "allow" => Some(Decision::Allow),
            "explicit-deny" => Some(Decision::ExplicitDeny),
            "implicit-deny" => Some(Decision::ImplicitDeny),
            "indeterminate" => Some(Decision::Indeterminate),
            _ => None,
        });
    // Serializing a `Value` into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &v);
    d
}

/// One output line, serialized directly (same bytes as the `Value` built by
/// [`evaluate_line`]: `id`, `decision`, `reasons`, then `unknown_keys`).
#[derive(Serialize)]
struct Answer<'a> {
    id: &'a Value,
    decision: &'static str,
    reasons: &'a [Reason],
    #[serde(skip_serializing_if = "Option::is_none")]
    unknown_keys: Option<&'a [String]>,
}

/// Writes `answer` as `serde_json::to_writer` writes it (the same bytes), with its member
/// names and enum names written as literals: through serde, every name was escaped as a
/// string and each reason went through a map serializer (for its flattened `detail`), which
/// cost more than the rest of writing the line.
fn write_answer(out: &mut Vec<u8>, answer: &Answer<'_>) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"id\":");
    serde_json::to_writer(&mut *out, answer.id)?;
    out.extend_from_slice(b",\"decision\":");
    serde_json::to_writer(&mut *out, answer.decision)?;
    out.extend_from_slice(b",\"reasons\":[");
    for (i, r) in answer.reasons.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"policy_type\":\"");
        out.extend_from_slice(match r.policy_type {
            PolicyType::Identity => b"identity".as_slice(),
            PolicyType::Resource => b"resource",
            PolicyType::PermissionsBoundary => b"permissions-boundary",
            PolicyType::Session => b"session",
        });
        out.extend_from_slice(b"\",\"policy\":");
        serde_json::to_writer(&mut *out, &r.policy)?;
        if let Some(sid) = &r.sid {
            out.extend_from_slice(b",\"sid\":");
            serde_json::to_writer(&mut *out, sid)?;
        }
        if let Some(index) = r.statement_index {
            out.extend_from_slice(b",\"statement_index\":");
            serde_json::to_writer(&mut *out, &index)?;
        }
        if let Some(effect) = r.effect {
            out.extend_from_slice(match effect {
                Effect::Allow => b",\"effect\":\"Allow\"".as_slice(),
                Effect::Deny => b",\"effect\":\"Deny\"",
            });
        }
        match &r.detail {
            ReasonDetail::Matched => out.extend_from_slice(b",\"detail\":\"matched\"}"),
            ReasonDetail::NoAllow => out.extend_from_slice(b",\"detail\":\"no-allow\"}"),
            ReasonDetail::ConditionFailed { operator, key } => {
                out.extend_from_slice(b",\"detail\":\"condition-failed\",\"operator\":");
                serde_json::to_writer(&mut *out, operator)?;
                out.extend_from_slice(b",\"key\":");
                serde_json::to_writer(&mut *out, key)?;
                out.push(b'}');
            }
            ReasonDetail::DependsOnUnknown { key } => {
                out.extend_from_slice(b",\"detail\":\"depends-on-unknown\",\"key\":");
                serde_json::to_writer(&mut *out, key)?;
                out.push(b'}');
            }
        }
    }
    out.push(b']');
    if let Some(keys) = answer.unknown_keys {
        out.extend_from_slice(b",\"unknown_keys\":");
        serde_json::to_writer(&mut *out, keys)?;
    }
    out.push(b'}');
    Ok(())
}

/// A line's `id`, echoed as given. Read through [`Json`], so that a key repeated inside it sends
/// the line to the reference path, which refuses it, where a `Value` would keep one of the two.
struct LineId(Value);

impl<'de> Deserialize<'de> for LineId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<LineId, D::Error> {
        Json::deserialize(deserializer).map(|id| LineId(id.to_value()))
    }
}

/// Top-level fields of a line, borrowed from the line text. Here and in
/// [`LineCompiled`] and [`RequestIn`], a field the format does not name sends the
/// line to the reference path: skipping it would not count how deeply it
/// nests (see [`LINE_NESTING_LIMIT`]), and the reference path ignores it the
/// same way.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineIn<'a> {
    #[serde(default)]
    id: Option<LineId>,
    #[serde(borrow, default)]
    identity_policies: Option<&'a RawValue>,
    #[serde(borrow, default)]
    session_policies: Option<&'a RawValue>,
    #[serde(borrow, default)]
    resource_policy: Option<&'a RawValue>,
    #[serde(borrow, default)]
    permissions_boundary: Option<&'a RawValue>,
    #[serde(borrow, default)]
    request: Option<&'a RawValue>,
}

/// [`LineIn`] with the policies compiled as they are read, in the same pass ([`direct`]), for
/// lines compiled without the cache.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineCompiled<'a> {
    #[serde(default)]
    id: Option<LineId>,
    #[serde(default)]
    identity_policies: Option<direct::Field<{ direct::IDENTITY }, true>>,
    #[serde(default)]
    session_policies: Option<direct::Field<{ direct::SESSION }, true>>,
    #[serde(default)]
    resource_policy: Option<direct::Field<{ direct::RESOURCE }, false>>,
    #[serde(default)]
    permissions_boundary: Option<direct::Field<{ direct::BOUNDARY }, false>>,
    #[serde(borrow, default)]
    request: Option<ObjectOnly<RequestIn<'a>>>,
}

impl LineCompiled<'_> {
    /// The line's policies as one set.
    fn take_set(&mut self) -> PolicySet {
        set_of([
            self.identity_policies.take().map(|f| f.0),
            self.session_policies.take().map(|f| f.0),
            self.resource_policy.take().map(|f| f.0),
            self.permissions_boundary.take().map(|f| f.0),
        ])
    }
}

/// The policies of the four fields (identity, session, resource, boundary) as one set, added in
/// the order [`compile_trees`] adds them.
fn set_of(fields: [Option<Vec<Policy>>; 4]) -> PolicySet {
    let mut set = PolicySet::new();
    for policies in fields.into_iter().flatten() {
        set.add_all(policies);
    }
    set
}

/// A struct read only from a JSON object: a derived struct would also take
/// an array, field by field, which the reference path treats as an error.
struct ObjectOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ObjectOnly<T>, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = ObjectOnly<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: de::MapAccess<'de>>(self, m: M) -> Result<ObjectOnly<T>, M::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(m)).map(ObjectOnly)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestIn<'a> {
    #[serde(borrow)]
    principal: Cow<'a, str>,
    #[serde(borrow)]
    action: Cow<'a, str>,
    #[serde(borrow)]
    resource: Cow<'a, str>,
    #[serde(borrow, default)]
    resource_account: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    context: Option<ContextIn<'a>>,
    #[serde(borrow, default)]
    unknown_keys: Option<Vec<Cow<'a, str>>>,
}

/// Context entries in document order; fails on a duplicate key (whose
/// `Value`-map semantics the reference path implements).
struct ContextIn<'a>(Vec<(Cow<'a, str>, CtxVal)>);

enum CtxVal {
    One(String),
    Many(Vec<String>),
}

/// A scalar as text, exactly as the reference path renders it.
struct Scalar(String);

struct ScalarVisitor;
impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string, number or boolean")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar(serde_json::Number::from(v).to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar(serde_json::Number::from(v).to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        serde_json::Number::from_f64(v)
            .map(|n| Scalar(n.to_string()))
            .ok_or_else(|| E::custom("non-finite number"))
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct CtxValVisitor;
impl<'de> Visitor<'de> for CtxValVisitor {
    type Value = CtxVal;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a scalar or an array of scalars")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<CtxVal, E> {
        ScalarVisitor.visit_str(v).map(|s| CtxVal::One(s.0))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<CtxVal, E> {
        Ok(CtxVal::One(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<CtxVal, E> {
        ScalarVisitor.visit_bool(v).map(|s| CtxVal::One(s.0))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<CtxVal, E> {
        ScalarVisitor.visit_i64(v).map(|s| CtxVal::One(s.0))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<CtxVal, E> {
        ScalarVisitor.visit_u64(v).map(|s| CtxVal::One(s.0))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<CtxVal, E> {
        ScalarVisitor.visit_f64(v).map(|s| CtxVal::One(s.0))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CtxVal, A::Error> {
        let mut out = Vec::new();
        while let Some(Scalar(s)) = seq.next_element()? {
            out.push(s);
        }
        Ok(CtxVal::Many(out))
    }
}

impl<'de> Deserialize<'de> for CtxVal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<CtxVal, D::Error> {
        d.deserialize_any(CtxValVisitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ContextIn<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ContextIn<'a>, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = ContextIn<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a context object")
            }
            fn visit_map<M: de::MapAccess<'de>>(self, mut m: M) -> Result<ContextIn<'a>, M::Error> {
                let mut out: Vec<(Cow<'a, str>, CtxVal)> = Vec::new();
                // Keys borrowed from the line (`Cow`'s own `Deserialize` always copies).
                while let Some(json::KeyStr(k)) = m.next_key()? {
                    if out.capacity() == 0 {
                        // Room for a typical request's keys at once, instead of `Vec`'s growth.
                        out.reserve_exact(CONTEXT_ROOM);
                    }
                    // Few keys per request: a linear duplicate check is cheap.
                    if out.len() >= 64 || out.iter().any(|(x, _)| *x == k) {
                        return Err(de::Error::custom("duplicate or too many keys"));
                    }
                    let v = m.next_value::<CtxVal>()?;
                    out.push((k, v));
                }
                Ok(ContextIn(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Room reserved for a request's context keys when the first one arrives (requests seldom
/// bring more; more simply grow the vector).
const CONTEXT_ROOM: usize = 16;

/// Compiled policy sets by the raw text of the four policy fields.
#[derive(Default)]
struct SetCache {
    map: HashMap<Rc<str>, Rc<CachedSet>, BuildHasherDefault<WordHasher>>,
    key: String,
    /// The set used last, for [`hot_line`].
    hot: Option<Hot>,
    /// Lookups since the last hit (saturating).
    misses_in_a_row: u32,
    /// Lines compiled without the cache since the last probe.
    bypassed: u32,
    /// The request of the line answered last, whose buffers (its strings and its context's
    /// table) the next line reuses instead of allocating its own.
    request: Request,
}

/// The set used last and its key (the four policy texts, each followed by a
/// NUL): [`hot_line`] reads the texts out of the key, so a new set costs no
/// further copies of them.
struct Hot {
    key: Rc<str>,
    /// Byte range in `key` of each field's text; `None` for an absent field.
    fields: [Option<std::ops::Range<usize>>; 4],
    set: Rc<CachedSet>,
}

impl Hot {
    fn field(&self, i: usize) -> Option<&str> {
        self.fields[i].clone().and_then(|r| self.key.get(r))
    }
}

/// A compiled set and how deeply its policy texts nest (at most; see [`json_nesting`]).
struct CachedSet {
    set: PolicySet,
    nesting: usize,
}

/// serde_json refuses input whose arrays and objects nest this deep, and so
/// does the reference path, which reads the whole line at once. Skipped raw
/// values have no such limit, and a policy field parsed on its own sits one
/// level inside its line: a set whose texts nest too deep for their line is
/// left to the reference path.
const LINE_NESTING_LIMIT: usize = 128;

impl CachedSet {
    fn fits_in_a_line(&self) -> bool {
        1 + self.nesting < LINE_NESTING_LIMIT
    }
}

/// How deeply arrays and objects nest in valid JSON `text` (0 for a scalar), or a bound on it
/// that still fits in a line: each level opens with a bracket, so while fewer brackets than
/// that appear in the text at all, their count (a scan that vectorizes) answers
/// [`CachedSet::fits_in_a_line`] as the exact depth would.
fn json_nesting(text: &str) -> usize {
    let brackets = text.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
    if 1 + brackets < LINE_NESTING_LIMIT {
        return brackets;
    }
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in text.as_bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Multiply-rotate hash over 8-byte words (the keys are kilobytes of policy
/// text from the caller's own input: speed matters, flooding does not).
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            self.mix(u64::from_le_bytes(b));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(b) ^ ((rest.len() as u64) << 59));
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl WordHasher {
    fn mix(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// Bound on cached sets per thread (the cache is simply emptied when full).
const CACHE_SETS: usize = 256;

/// After this many misses in a row, every line seems to bring new policies:
/// building the key, hashing it and parsing the policies a second time cost
/// more than the cache saves, so lines are compiled straight from one parse
/// ([`SetCache::bypass`]), except one line in [`PROBE_EVERY`], which still
/// goes through the cache so that repeated policies are noticed again.
const BYPASS_AFTER: u32 = 16;
const PROBE_EVERY: u32 = 16;

impl SetCache {
    /// Whether this line should skip the cache (see [`BYPASS_AFTER`]).
    fn bypass(&mut self) -> bool {
        if self.misses_in_a_row < BYPASS_AFTER {
            return false;
        }
        self.bypassed += 1;
        if self.bypassed >= PROBE_EVERY {
            self.bypassed = 0;
            return false;
        }
        true
    }

    fn get(&mut self, fields: [Option<&RawValue>; 4]) -> Option<Rc<CachedSet>> {
        self.key.clear();
        let mut ranges: [Option<std::ops::Range<usize>>; 4] = Default::default();
        for (range, f) in ranges.iter_mut().zip(fields) {
            // NUL cannot occur in JSON text: an unambiguous separator.
            let start = self.key.len();
            self.key.push_str(f.map_or("", RawValue::get));
            *range = f.map(|_| start..self.key.len());
            self.key.push('\0');
        }
        if self
            .hot
            .as_ref()
            .is_some_and(|h| h.fields == ranges && *h.key == *self.key)
        {
            self.misses_in_a_row = 0;
            return self.hot.as_ref().map(|h| h.set.clone());
        }
        let (key, set) = match self.map.get_key_value(self.key.as_str()) {
            Some((key, set)) => {
                self.misses_in_a_row = 0;
                (key.clone(), set.clone())
            }
            None => {
                self.misses_in_a_row = self.misses_in_a_row.saturating_add(1);
                let set = Rc::new(compile_set(fields)?);
                if self.map.len() >= CACHE_SETS {
                    self.map.clear();
                }
                let key: Rc<str> = Rc::from(self.key.as_str());
                self.map.insert(key.clone(), set.clone());
                (key, set)
            }
        };
        self.hot = Some(Hot {
            key,
            fields: ranges,
            set: set.clone(),
        });
        Some(set)
    }
}

/// Compiles the policy fields as [`case`] does; `None` on any error (the
/// reference path then produces the error line).
fn compile_set(fields: [Option<&RawValue>; 4]) -> Option<CachedSet> {
    fn parse(f: Option<&RawValue>) -> Option<Json<'_>> {
        match f {
            Some(r) => json::parse(r.get()).ok(),
            None => Some(Json::Null),
        }
    }
    let [ip, sp, rp, pb] = fields;
    let set = match compile_direct(fields) {
        Some(set) => set,
        None => compile_trees([&parse(ip)?, &parse(sp)?, &parse(rp)?, &parse(pb)?])?,
    };
    let nesting = fields
        .iter()
        .flatten()
        .map(|raw| json_nesting(raw.get()))
        .max()
        .unwrap_or(0);
    Some(CachedSet { set, nesting })
}

/// [`compile_set`] straight from the parser ([`direct`]); `None` when some field is not taken
/// there (errors included).
fn compile_direct([ip, sp, rp, pb]: [Option<&RawValue>; 4]) -> Option<PolicySet> {
    fn read<const KIND: u8, const MANY: bool>(f: Option<&RawValue>) -> Option<Option<Vec<Policy>>> {
        match f {
            Some(raw) => serde_json::from_str::<direct::Field<KIND, MANY>>(raw.get())
                .ok()
                .map(|field| Some(field.0)),
            None => Some(None),
        }
    }
    Some(set_of([
        read::<{ direct::IDENTITY }, true>(ip)?,
        read::<{ direct::SESSION }, true>(sp)?,
        read::<{ direct::RESOURCE }, false>(rp)?,
        read::<{ direct::BOUNDARY }, false>(pb)?,
    ]))
}

/// [`compile_set`] from parsed fields (`Json::Null` for an absent one).
fn compile_trees([ip, sp, rp, pb]: [&Json<'_>; 4]) -> Option<PolicySet> {
    let mut set = PolicySet::new();
    add_policies(&mut set, ip, "identity_policies", PolicyType::Identity).ok()?;
    add_policies(&mut set, sp, "session_policies", PolicyType::Session).ok()?;
    add_single(&mut set, rp, "resource_policy", PolicyType::Resource).ok()?;
    add_single(
        &mut set,
        pb,
        "permissions_boundary",
        PolicyType::PermissionsBoundary,
    )
    .ok()?;
    Some(set)
}

/// The common case, straight from the line text into the output buffer;
/// `None` (nothing written) when the line needs the reference path.
fn fast_line(line: &str, cache: &mut SetCache, out: &mut Vec<u8>) -> Option<Decision> {
    // A derived struct would also accept an array: only objects qualify.
    if !line.trim_start().starts_with('{') {
        return None;
    }
    if cache.bypass() {
        // Straight from the parser. A line the direct compiler does not take (any error, and a
        // few rare valid shapes) is answered by the reference path, as every unusual line is:
        // reading it into trees first, as before, only made an error line cost a third parse.
        let mut l: LineCompiled = serde_json::from_str(line).ok()?;
        let set = l.take_set();
        let id = l.id.as_ref().map(|id| &id.0);
        return answer_request(id, l.request?.0, &set, &mut cache.request, out);
    }
    if let Some((reduced, set)) = hot_line(line, cache) {
        // A hit: repeated policies are back, so is the cache.
        cache.misses_in_a_row = 0;
        if !set.fits_in_a_line() {
            return None;
        }
        let l: LineIn = serde_json::from_str(&reduced).ok()?;
        let id = l.id.as_ref().map(|id| &id.0);
        return answer(id, l.request, &set.set, &mut cache.request, out);
    }
    let l: LineIn = serde_json::from_str(line).ok()?;
    let set = cache.get([
        l.identity_policies,
        l.session_policies,
        l.resource_policy,
        l.permissions_boundary,
    ])?;
    if !set.fits_in_a_line() {
        return None;
    }
    let id = l.id.as_ref().map(|id| &id.0);
    answer(id, l.request, &set.set, &mut cache.request, out)
}

/// Policy texts shorter than this are left in place by [`hot_line`].
const HOT_MIN: usize = 64;

/// The common case of a batch that checks one role against many requests:
/// the line holds the policy texts of the set used last, verbatim. Each
/// such text (already parsed once, so valid JSON) is replaced by `0`, and
/// the much shorter rest is parsed; if every `0` is exactly the value of its
/// field there (checked by position), the line is the reduced line with
/// those values put back: valid, with the same fields, and its policy set is
/// the cached one. Returns the reduced line (to be parsed again by the
/// caller for the request) and the set; `None` means take the normal path.
fn hot_line(line: &str, cache: &SetCache) -> Option<(String, Rc<CachedSet>)> {
    const NAMES: [&str; 4] = [
        "\"identity_policies\"",
        "\"session_policies\"",
        "\"resource_policy\"",
        "\"permissions_boundary\"",
    ];
    let hot = cache.hot.as_ref()?;
    let mut cuts: Vec<(usize, usize, usize)> = Vec::new(); // (start, len, field)
    for (i, name) in NAMES.iter().enumerate() {
        if let Some(t) = hot.field(i).filter(|t| t.len() >= HOT_MIN) {
            // The text right after the first `"name" :` (a guess, checked below).
            let after = line.find(name)? + name.len();
            let rest = line[after..].trim_start().strip_prefix(':')?.trim_start();
            if !rest.starts_with(t) {
                return None;
            }
            cuts.push((line.len() - rest.len(), t.len(), i));
        }
    }
    if cuts.is_empty() {
        return None;
    }
    cuts.sort_unstable();
    let mut reduced =
        String::with_capacity(line.len() - cuts.iter().map(|c| c.1).sum::<usize>() + 8);
    let mut zero_at = [None; 4];
    let mut pos = 0;
    for &(start, len, i) in &cuts {
        if start < pos {
            return None; // overlapping texts
        }
        reduced.push_str(&line[pos..start]);
        zero_at[i] = Some(reduced.len());
        reduced.push('0');
        pos = start + len;
    }
    reduced.push_str(&line[pos..]);
    let l: LineIn = serde_json::from_str(&reduced).ok()?;
    let base = reduced.as_ptr() as usize;
    let got = [
        l.identity_policies,
        l.session_policies,
        l.resource_policy,
        l.permissions_boundary,
    ];
    for i in 0..4 {
        let ok = match (zero_at[i], got[i]) {
            (Some(at), Some(r)) => r.get() == "0" && r.get().as_ptr() as usize - base == at,
            (Some(_), None) => false,
            (None, g) => g.map(RawValue::get) == hot.field(i),
        };
        if !ok {
            return None;
        }
    }
    Some((reduced, hot.set.clone()))
}

/// Evaluates the line's request against `set` and writes the answer.
fn answer(
    id: Option<&Value>,
    request: Option<&RawValue>,
    set: &PolicySet,
    scratch: &mut Request,
    out: &mut Vec<u8>,
) -> Option<Decision> {
    let r = request?;
    if !r.get().starts_with('{') {
        return None;
    }
    answer_request(id, serde_json::from_str(r.get()).ok()?, set, scratch, out)
}

/// [`answer`] for a request already read.
fn answer_request(
    id: Option<&Value>,
    r: RequestIn<'_>,
    set: &PolicySet,
    req: &mut Request,
    out: &mut Vec<u8>,
) -> Option<Decision> {
    // Every field of the previous line's request is replaced: only the buffers are kept. Named
    // one by one, so that a field added to `Request` fails to compile here until it is reset.
    let Request {
        principal,
        action,
        resource,
        resource_account,
        context,
    } = &mut *req;
    for (field, value) in [
        (principal, &r.principal),
        (action, &r.action),
        (resource, &r.resource),
    ] {
        field.clear();
        field.push_str(value);
    }
    *resource_account = r.resource_account.map(Cow::into_owned);
    let super::context::Context { map } = context;
    map.clear();
    if let Some(ContextIn(c)) = r.context {
        req.context.reserve(c.len());
        for (k, v) in c {
            match v {
                CtxVal::One(t) => {
                    req.context.insert(&k, t);
                }
                CtxVal::Many(vals) => {
                    req.context.insert_many(&k, vals);
                }
            }
        }
    }
    for k in r.unknown_keys.unwrap_or_default() {
        req.context.insert_unknown(&k);
    }
    // None where the principal cannot make a request: the slow path words the error.
    let ev: Evaluation = set.evaluate_requester(req)?;
    let null = Value::Null;
    let answer = Answer {
        id: id.unwrap_or(&null),
        decision: ev.decision.as_str(),
        reasons: &ev.reasons,
        unknown_keys: (ev.decision == Decision::Indeterminate).then_some(&ev.unknown_keys[..]),
    };
    write_answer(out, &answer).ok()?;
    Some(ev.decision)
}

/// The longest line a batch parses, as the cap on every input file: a case is a handful of
/// policies, each at most 10,240 characters in IAM.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The answer to a line over [`MAX_LINE_BYTES`] (not counting its line break), whatever it holds.
fn too_long(line: &str) -> Option<Value> {
    let len = line.trim_end_matches(['\n', '\r']).len();
    (len > MAX_LINE_BYTES).then(|| too_long_answer(len))
}

fn too_long_answer(len: usize) -> Value {
    json!({"id": Value::Null, "error": format!(
        "the line is {len} bytes; a batch line may be at most {MAX_LINE_BYTES} bytes (1 MiB)"
    )})
}

/// Answers one input line (never fails: problems become an `error` object).
pub fn evaluate_line(line: &str) -> Value {
    if let Some(answer) = too_long(line) {
        return answer;
    }
    let v: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return json!({"id": Value::Null, "error": format!("invalid JSON: {e}")}),
    };
    let id = v.get("id").cloned().unwrap_or(Value::Null);
    // `v` kept one value of a repeated key; answering from it would answer another question.
    if let Some(duplicate) = crate::json_keys::duplicate_keys(line).first.first() {
        return json!({"id": id, "error": repeated_key_error("", duplicate)});
    }
    match case(&v) {
        Ok((set, req)) => {
            let ev = set.evaluate(&req);
            let mut out = Map::new();
            out.insert("id".into(), id);
            out.insert("decision".into(), Value::from(ev.decision.as_str()));
            out.insert(
                "reasons".into(),
                serde_json::to_value(&ev.reasons).unwrap_or(Value::Array(Vec::new())),
            );
            if ev.decision == Decision::Indeterminate {
                out.insert("unknown_keys".into(), Value::from(ev.unknown_keys));
            }
            Value::Object(out)
        }
        Err(e) => json!({"id": id, "error": e}),
    }
}

/// The error answer for a key repeated in an object of a line, or of a policy given as a JSON
/// string at `prefix` (`identity_policies[0]`; empty for the line itself).
fn repeated_key_error(prefix: &str, duplicate: &crate::json_keys::DuplicateKey) -> String {
    let object = match (prefix.is_empty(), duplicate.object.is_empty()) {
        (true, true) => "line".to_string(),
        (true, false) => duplicate.object.clone(),
        (false, true) => prefix.to_string(),
        (false, false) if duplicate.object.starts_with('[') => {
            format!("{prefix}{}", duplicate.object)
        }
        (false, false) => format!("{prefix}.{}", duplicate.object),
    };
    format!(
        "{object}: `{}` is given twice in this object; give it once",
        duplicate.key
    )
}

/// Where a policy sits in a batch line (`identity_policies[2]`, `resource_policy`): its default
/// name and the start of its error paths, written out only when one of them is needed.
#[derive(Clone, Copy)]
struct PolicyAt<'k> {
    key: &'k str,
    index: Option<usize>,
}

impl std::fmt::Display for PolicyAt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.index {
            Some(i) => write!(f, "{}[{i}]", self.key),
            None => f.write_str(self.key),
        }
    }
}

fn policy_doc(v: &Json<'_>, at: PolicyAt<'_>, kind: PolicyType) -> Result<Policy, String> {
    let (name, doc) = match v {
        Json::Obj(_) if v.get("policy").is_some() && v.get("Statement").is_none() => {
            let name = match v.get("name") {
                Some(Json::Str(s)) => s.to_string(),
                None => at.to_string(),
                Some(other) => {
                    return Err(format!(
                        "{at}.name: expected a string, found {}",
                        other.type_name()
                    ))
                }
            };
            (name, v.get("policy").unwrap_or(&Json::Null))
        }
        _ => (at.to_string(), v),
    };
    let parsed;
    let doc = match doc {
        Json::Str(s) => {
            parsed = json::parse(s).map_err(|e| {
                // A repeated key is valid JSON, refused for another reason: say which.
                match crate::json_keys::duplicate_keys(s).first.first() {
                    Some(duplicate) => repeated_key_error(&at.to_string(), duplicate),
                    None => format!("{at}: invalid JSON: {e}"),
                }
            })?;
            &parsed
        }
        other => other,
    };
    Policy::from_json(&name, kind, doc).map_err(|e| format!("{at}: {e}"))
}

fn string_field<'a>(
    m: &'a Map<String, Value>,
    k: &str,
    path: &str,
) -> Result<Option<&'a str>, String> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "{path}.{k}: expected a string, found {}",
            json_type(other)
        )),
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn case(v: &Value) -> Result<(PolicySet, Request), String> {
    let Value::Object(m) = v else {
        return Err(format!(
            "expected a JSON object per line, found {}",
            json_type(v)
        ));
    };
    let mut set = PolicySet::new();
    let field = |k: &str| m.get(k).map_or(Json::Null, Json::from_value);
    add_policies(
        &mut set,
        &field("identity_policies"),
        "identity_policies",
        PolicyType::Identity,
    )?;
    add_policies(
        &mut set,
        &field("session_policies"),
        "session_policies",
        PolicyType::Session,
    )?;
    add_single(
        &mut set,
        &field("resource_policy"),
        "resource_policy",
        PolicyType::Resource,
    )?;
    add_single(
        &mut set,
        &field("permissions_boundary"),
        "permissions_boundary",
        PolicyType::PermissionsBoundary,
    )?;
    let Some(Value::Object(r)) = m.get("request") else {
        return Err("request: expected an object with principal, action, resource".into());
    };
    let need = |k: &str| -> Result<&str, String> {
        string_field(r, k, "request")?
            .ok_or_else(|| format!("request.{k}: missing (expected a string)"))
    };
    let principal = need("principal")?;
    if let Some(problem) = super::engine::requester_problem(principal) {
        return Err(format!("request.principal: {problem}"));
    }
    let mut req = Request::new(principal, need("action")?, need("resource")?);
    req.resource_account = string_field(r, "resource_account", "request")?.map(str::to_string);
    match r.get("context") {
        None | Some(Value::Null) => {}
        Some(Value::Object(c)) => {
            for (k, val) in c {
                let path = format!("request.context.{k}");
                match val {
                    Value::Array(a) => {
                        let vals = a
                            .iter()
                            .map(|x| {
                                scalar_text(x).ok_or_else(|| {
                                    format!("{path}: expected strings, numbers or booleans")
                                })
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        req.context.insert_many(k, vals);
                    }
                    other => {
                        let t = scalar_text(other).ok_or_else(|| {
                            format!("{path}: expected a string, number, boolean or an array of them, found {}", json_type(other))
                        })?;
                        req.context.insert(k, t);
                    }
                }
            }
        }
        Some(other) => {
            return Err(format!(
                "request.context: expected an object, found {}",
                json_type(other)
            ))
        }
    }
    match r.get("unknown_keys") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            for (i, k) in a.iter().enumerate() {
                let Value::String(k) = k else {
                    return Err(format!("request.unknown_keys[{i}]: expected a string"));
                };
                req.context.insert_unknown(k);
            }
        }
        Some(other) => {
            return Err(format!(
                "request.unknown_keys: expected an array, found {}",
                json_type(other)
            ))
        }
    }
    Ok((set, req))
}

/// `identity_policies` / `session_policies`: null/absent, or an array of docs.
fn add_policies(
    set: &mut PolicySet,
    v: &Json<'_>,
    key: &str,
    kind: PolicyType,
) -> Result<(), String> {
    match v {
        Json::Null => {}
        Json::Arr(a) => {
            for (i, d) in a.iter().enumerate() {
                let at = PolicyAt {
                    key,
                    index: Some(i),
                };
                set.add(policy_doc(d, at, kind)?);
            }
        }
        other => {
            return Err(format!(
                "{key}: expected an array, found {}",
                other.type_name()
            ))
        }
    }
    Ok(())
}

/// `resource_policy` / `permissions_boundary`: null/absent, or one doc.
fn add_single(
    set: &mut PolicySet,
    v: &Json<'_>,
    key: &str,
    kind: PolicyType,
) -> Result<(), String> {
    if !v.is_null() {
        set.add(policy_doc(v, PolicyAt { key, index: None }, kind)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_written_as_serde_writes_them() {
        let reason = |policy_type, sid: Option<&str>, index, effect, detail| Reason {
            policy_type,
            policy: "p\"1\u{e9}\n".to_string(),
            sid: sid.map(str::to_string),
            statement_index: index,
            effect,
            detail,
        };
        let reasons = [
            reason(
                PolicyType::Identity,
                None,
                None,
                None,
                ReasonDetail::NoAllow,
            ),
            reason(
                PolicyType::Resource,
                Some("S\\1"),
                Some(12),
                Some(Effect::Allow),
                ReasonDetail::Matched,
            ),
            reason(
                PolicyType::PermissionsBoundary,
                None,
                Some(0),
                Some(Effect::Deny),
                ReasonDetail::ConditionFailed {
                    operator: "StringEquals".to_string(),
                    key: "aws:\"x\"".to_string(),
                },
            ),
            reason(
                PolicyType::Session,
                Some(""),
                None,
                None,
                ReasonDetail::DependsOnUnknown {
                    key: "k\t".to_string(),
                },
            ),
        ];
        let keys = ["a".to_string(), "b\"".to_string()];
        let ids = [
            json!(null),
            json!(7),
            json!("x\u{1}"),
            json!({"a": [1, 2.5]}),
        ];
        for id in &ids {
            for n in 0..=reasons.len() {
                for unknown_keys in [None, Some(&keys[..]), Some(&keys[..0])] {
                    let answer = Answer {
                        id,
                        decision: "implicit-deny",
                        reasons: &reasons[..n],
                        unknown_keys,
                    };
                    let mut ours = Vec::new();
                    assert!(write_answer(&mut ours, &answer).is_ok());
                    let serde = serde_json::to_vec(&answer).unwrap_or_default();
                    assert_eq!(
                        String::from_utf8_lossy(&ours),
                        String::from_utf8_lossy(&serde)
                    );
                }
            }
        }
    }

    fn policy(n: usize) -> String {
        format!(
            r#"[{{"Version": "2012-10-17", "Statement": {{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b{n}/*"}}}}]"#
        )
    }

    fn lookup(cache: &mut SetCache, text: &str) {
        let raw: &RawValue = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        assert!(cache.get([Some(raw), None, None, None]).is_some());
    }

    /// Every line of `input`, as cut by the chunker from blocks of `block`
    /// bytes, and the error that ended it.
    fn chunked_lines(
        input: &[u8],
        block: usize,
        fail_after: Option<usize>,
    ) -> (Vec<Vec<u8>>, bool) {
        struct Failing<'a>(&'a [u8], Option<usize>);
        impl std::io::Read for Failing<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.1 == Some(0) {
                    return Err(std::io::Error::other("disk gone"));
                }
                let n = buf
                    .len()
                    .min(self.0.len())
                    .min(self.1.unwrap_or(usize::MAX));
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                self.1 = self.1.map(|left| left - n);
                Ok(n)
            }
        }
        let mut chunker = Chunker::new(std::io::BufReader::with_capacity(
            block,
            Failing(input, fail_after),
        ));
        let mut lines = Vec::new();
        loop {
            let mut chunk = Chunk::default();
            let (eof, err) = chunker.next(&mut chunk);
            let mut start = 0;
            for &end in &chunk.ends {
                lines.push(chunk.data[start..end].to_vec());
                start = end;
            }
            assert_eq!(start, chunk.data.len(), "a chunk holds whole lines only");
            // The longest test line is CHUNK + 11 bytes: a chunk never holds
            // much more than that, whatever the block size.
            assert!(
                chunk.data.len() <= 2 * CHUNK + 16,
                "chunk of {} bytes",
                chunk.data.len()
            );
            if eof || err.is_some() {
                return (lines, err.is_some());
            }
        }
    }

    // Lines longer than a block, longer than a chunk, blank, and a last one
    // without its newline all come out whole and in order; a read error keeps
    // the complete lines and drops the unfinished one.
    #[test]
    fn chunker_cuts_whole_lines() {
        let mut input = Vec::new();
        let mut expected = Vec::new();
        for i in 0..120usize {
            let len = [0, 1, 17, 999, 3000, CHUNK + 5][i % 6] + i % 7;
            let mut line = vec![b'a' + (i % 26) as u8; len];
            line.push(b'\n');
            input.extend_from_slice(&line);
            expected.push(line);
        }
        input.extend_from_slice(b"last");
        expected.push(b"last".to_vec());
        for block in [3, 4096, 256 * 1024] {
            assert_eq!(
                chunked_lines(&input, block, None),
                (expected.clone(), false),
                "block {block}"
            );
        }
        let cut = expected[..50].iter().map(Vec::len).sum::<usize>() + 5;
        let (lines, failed) = chunked_lines(&input, 4096, Some(cut));
        assert!(failed);
        assert_eq!(lines, expected[..50]);
    }

    /// A line over the cap is kept only in part, whatever the reader's block size, and is noted
    /// with its whole length (trailing `\r` not counted); a line at the cap is not noted, and
    /// loses only the `\r`s past its first 1 MiB + 1 byte (whitespace to JSON); the lines
    /// around them are untouched.
    #[test]
    fn overlong_lines_are_counted_not_kept() {
        let short = b"{\"id\":1}\n".to_vec();
        let mut over = vec![b'x'; MAX_LINE_BYTES + 10];
        over.extend_from_slice(b"\r\n");
        let mut at_cap = vec![b' '; MAX_LINE_BYTES];
        at_cap.extend_from_slice(b"\r\r\n");
        let last = vec![b'y'; 3 * MAX_LINE_BYTES];
        let input = [short.clone(), over, at_cap, short.clone(), last].concat();
        for block in [4096, 256 * 1024, input.len()] {
            let mut chunker = Chunker::new(std::io::BufReader::with_capacity(block, &input[..]));
            let (mut lines, mut overlong) = (Vec::new(), Vec::new());
            loop {
                let mut chunk = Chunk::default();
                let (eof, err) = chunker.next(&mut chunk);
                assert!(err.is_none());
                let mut start = 0;
                for &end in &chunk.ends {
                    lines.push(chunk.data[start..end].len());
                    if let Some((_, len)) = chunk.overlong.iter().find(|(at, _)| *at == end) {
                        overlong.push((lines.len() - 1, *len));
                    }
                    start = end;
                }
                if eof {
                    break;
                }
            }
            assert_eq!(
                lines,
                [
                    short.len(),
                    KEPT_OF_A_LONG_LINE + 1,
                    MAX_LINE_BYTES + 2,
                    short.len(),
                    KEPT_OF_A_LONG_LINE
                ],
                "block {block}"
            );
            assert_eq!(
                overlong,
                [(1, MAX_LINE_BYTES + 10), (4, 3 * MAX_LINE_BYTES)],
                "block {block}"
            );
        }
    }

    /// A line over the cap is answered with an error, unparsed, on both paths, and the batch
    /// goes on; a line just under it is read.
    #[test]
    fn overlong_lines_are_refused_and_the_batch_goes_on() {
        let good = format!(
            r#"{{"id":1,"identity_policies":{},"request":{{"principal":"arn:aws:iam::111122223333:user/a","action":"s3:GetObject","resource":"arn:aws:s3:::b1/x"}}}}"#,
            policy(1)
        );
        // Valid JSON, padded with spaces to the exact length wanted.
        let padded = |len: usize| format!("{good}{}", " ".repeat(len - good.len()));
        let long = padded(MAX_LINE_BYTES + 1);
        let answer = evaluate_line(&long);
        assert_eq!(answer["id"], Value::Null);
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("1048577 bytes") && error.contains("at most"),
            "{error}"
        );
        assert_eq!(evaluate_line(&padded(MAX_LINE_BYTES))["decision"], "allow");
        let input = format!("{long}\n{good}\n");
        let mut output = Vec::new();
        let stats = run_batch_threads(input.as_bytes(), &mut output, 2).unwrap();
        let lines: Vec<Value> = String::from_utf8_lossy(&output)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines, [answer, evaluate_line(&good)]);
        assert_eq!((stats.cases, stats.errors), (2, 1));
        // Over the cap, even a line of nothing but spaces is an error, as `evaluate_line` says.
        let blank = " ".repeat(MAX_LINE_BYTES + 1);
        let mut output = Vec::new();
        run_batch_threads(format!("{blank}\n{good}").as_bytes(), &mut output, 1).unwrap();
        let lines: Vec<Value> = String::from_utf8_lossy(&output)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines, [evaluate_line(&blank), evaluate_line(&good)]);
    }

    /// [`LineIn`] with the policy fields read into trees in the same pass (what lines compiled
    /// without the cache were read into before the direct compiler), to compare with it.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct LineTrees<'a> {
        #[serde(borrow, default)]
        identity_policies: Option<Json<'a>>,
        #[serde(borrow, default)]
        session_policies: Option<Json<'a>>,
        #[serde(borrow, default)]
        resource_policy: Option<Json<'a>>,
        #[serde(borrow, default)]
        permissions_boundary: Option<Json<'a>>,
        #[serde(default, rename = "id")]
        _id: Option<LineId>,
        #[serde(borrow, default, rename = "request")]
        _request: Option<ObjectOnly<RequestIn<'a>>>,
    }

    /// Whether `line`'s policies compile straight from the parser; when they do, the set must be
    /// the one the tree path compiles (a refusal only costs time: the tree path answers).
    fn direct_agrees(line: &str) -> bool {
        let direct = serde_json::from_str::<LineCompiled>(line)
            .ok()
            .map(|mut l| format!("{:?}", l.take_set()));
        let tree = serde_json::from_str::<LineTrees>(line).ok().and_then(|l| {
            let null = Json::Null;
            compile_trees([
                l.identity_policies.as_ref().unwrap_or(&null),
                l.session_policies.as_ref().unwrap_or(&null),
                l.resource_policy.as_ref().unwrap_or(&null),
                l.permissions_boundary.as_ref().unwrap_or(&null),
            ])
            .map(|set| format!("{set:?}"))
        });
        if let Some(direct) = &direct {
            assert_eq!(Some(direct), tree.as_ref(), "{line}");
        }
        direct.is_some()
    }

    /// Policies compiled straight from the parser are the ones the tree path compiles, in
    /// every shape a document may take; what the direct path leaves to the tree path (errors,
    /// repeated keys at any depth, a Version after its statements, wrapper extras) it refuses.
    #[test]
    fn direct_compile_agrees_with_the_tree() {
        let st = r#"{"Sid":"A","Effect":"Allow","Action":["s3:Get*","S3:PutObject"],"Resource":["arn:aws:s3:::d/${aws:username}/*","arn:aws:s3:::b"],"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"NumericLessThan":{"k":[1,-0,1.5e3,-2.5E-3,18446744073709551615]}}}"#;
        let rst = r#"{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:role/r","111122223333"],"Service":"KMS.amazonaws.com"},"NotAction":"kms:*","NotResource":"*"}"#;
        let doc = |pre: &str, st: &str, post: &str| format!(r#"{{{pre}"Statement":{st}{post}}}"#);
        let v12 = r#""Version":"2012-10-17","#;
        let d = doc(v12, st, "");
        let text = |s: &str| Value::from(s).to_string();
        let line = |fields: &str| {
            format!(
                r#"{{"id":{{"x":[1,"\u00e9"]}},{fields},"request":{{"principal":"arn:aws:iam::1:user/a","action":"s3:GetObject","resource":"*"}}}}"#
            )
        };
        // Forty condition keys: more than a linear search is used for.
        let many = (0..40)
            .map(|i| format!(r#""k{i}":"v""#))
            .collect::<Vec<_>>()
            .join(",");
        let accepted = [
            format!(
                r#""identity_policies":[{d},{}]"#,
                doc("", &format!("[{st},{st}]"), "")
            ),
            format!(
                r#""identity_policies":[{}]"#,
                doc(
                    v12,
                    &st.replace(
                        r#""IpAddress""#,
                        &format!(r#""StringEquals":{{{many}}},"IpAddress""#)
                    ),
                    ""
                )
            ),
            format!(
                r#""identity_policies":[{{"name":"n","policy":{d}}},{{"policy":{}}}]"#,
                text(&d)
            ),
            format!(
                r#""identity_policies":[{}],"session_policies":[]"#,
                text(&d)
            ),
            format!(
                r#""identity_policies":[{}]"#,
                doc(r#""Version":"2008-10-17","Id":"i","#, st, "")
            ),
            format!(
                r#""identity_policies":[{}]"#,
                doc("", st, r#","Version":"2008-10-17""#)
            ),
            format!(
                r#""identity_policies":[{}]"#,
                doc(r#""V\u0065rsion":"2012-10-17","#, "[]", "")
            ),
            format!(
                r#""identity_policies":null,"resource_policy":{},"permissions_boundary":{}"#,
                doc(v12, rst, ""),
                text(&d)
            ),
            format!(
                r#""resource_policy":{{"policy":{},"name":"\ud83d\ude00"}}"#,
                text(&doc(v12, rst, ""))
            ),
            format!(
                r#""identity_policies":[{}]"#,
                doc(v12, &st.replace(r#""IpAddress""#, r#""Bool":{"a":true,"b":[false,"True"]},"NumericEquals":{"n":-0,"m":[0.5,-7,1E2]},"StringLike":{"s\u00e9":["\u0041*",""]},"ForAnyValue:StringEqualsIgnoreCase":{"t":"${aws:username}"},"IpAddress""#), "")
            ),
        ];
        for fields in &accepted {
            assert!(direct_agrees(&line(fields)), "refused: {fields}");
        }
        let refused = [
            // Repeated keys, at every depth and inside a policy given as text.
            format!(
                r#""identity_policies":[{}]"#,
                doc(
                    v12,
                    &st.replace(r#""Sid":"A""#, r#""Sid":"A","Sid":"A""#),
                    ""
                )
            ),
            format!(
                r#""identity_policies":[{}]"#,
                text(&doc(
                    v12,
                    &st.replace(
                        "10.0.0.0/8\"}",
                        "10.0.0.0/8\",\"aws:SourceIp\":\"1.0.0.0/8\"}"
                    ),
                    ""
                ))
            ),
            format!(
                r#""identity_policies":[{}]"#,
                doc(v12, st, r#","Version":"2012-10-17""#)
            ),
            format!(r#""identity_policies":[{{"name":"a","name":"b","policy":{d}}}]"#),
            // A Version after the statements it governs; wrapper extras; a wrapper in a wrapper.
            format!(
                r#""identity_policies":[{}]"#,
                doc("", st, r#","Version":"2012-10-17""#)
            ),
            // A policy given as the text of its text: the reference path decodes a string once.
            format!(r#""identity_policies":[{}]"#, text(&text(&d))),
            format!(
                r#""identity_policies":[{{"name":"n","policy":{}}}]"#,
                text(&text(&d))
            ),
            format!(r#""permissions_boundary":{}"#, text(&text(&text(&d)))),
            // A key repeated after more keys than a linear search is used for.
            format!(
                r#""identity_policies":[{}]"#,
                doc(
                    v12,
                    &st.replace(
                        r#""IpAddress""#,
                        &format!(r#""StringEquals":{{{many},"k0":"again"}},"IpAddress""#)
                    ),
                    ""
                )
            ),
            format!(r#""identity_policies":[{{"name":"n","policy":{d},"Id":"x"}}]"#),
            format!(r#""identity_policies":[{{"name":"n","policy":{{"policy":{d}}}}}]"#),
            format!(
                r#""identity_policies":[{}]"#,
                doc(
                    v12,
                    &st.replace(
                        r#""IpAddress""#,
                        r#""Bool":{"a":true},"Bool":{"b":true},"IpAddress""#
                    ),
                    ""
                )
            ),
            // Errors.
            format!(
                r#""identity_policies":[{}]"#,
                doc(
                    v12,
                    &st.replace(r#""IpAddress""#, r#""Bool":{"a":[[true]]},"IpAddress""#),
                    ""
                )
            ),
            format!(
                r#""identity_policies":[{}]"#,
                doc(
                    v12,
                    &st.replace(r#""IpAddress""#, r#""Bool":{"a":null},"IpAddress""#),
                    ""
                )
            ),
            format!(
                r#""identity_policies":[{}]"#,
                doc(
                    v12,
                    &st.replace(r#""IpAddress""#, r#""NumericEquals":{"a":"x"},"IpAddress""#),
                    ""
                )
            ),
            format!(
                r#""identity_policies":[{}]"#,
                doc(
                    v12,
                    &st.replace(
                        r#""IpAddress""#,
                        r#""NullIfExists":{"a":"true"},"IpAddress""#
                    ),
                    ""
                )
            ),
            format!(
                r#""identity_policies":[{}]"#,
                doc(
                    v12,
                    &st.replace(r#""IpAddress""#, r#""Bool":{"":"true"},"IpAddress""#),
                    ""
                )
            ),
            format!(
                r#""identity_policies":[{}]"#,
                doc(
                    v12,
                    &st.replace(r#""IpAddress""#, r#""Bool":[],"IpAddress""#),
                    ""
                )
            ),
            format!(r#""identity_policies":[{d}],"resource_policy":{d}"#),
            format!(r#""identity_policies":[{{"name":null,"policy":{d}}}]"#),
            format!(
                r#""identity_policies":[{}]"#,
                doc(v12, &st.replace("\"s3:Get*\"", "5"), "")
            ),
            format!(
                r#""identity_policies":[{}]"#,
                doc(v12, &st.replace("s3:Get*", "s3Get"), "")
            ),
            format!(r#""identity_policies":[{}]"#, text(&format!("{d} x"))),
            format!(r#""identity_policies":{d}"#),
        ];
        for fields in &refused {
            assert!(!direct_agrees(&line(fields)), "accepted: {fields}");
        }
    }

    // A set repeated after a run of new ones is recognised by the hot path on
    // a probe line, and that turns the cache back on (it used to stay off, so
    // the repeated set was compiled again on every other line).
    #[test]
    fn hot_hit_ends_the_bypass() {
        let line = |n: usize| {
            format!(
                r#"{{"id":{n},"identity_policies":{},"request":{{"principal":"arn:aws:iam::111122223333:user/a","action":"s3:GetObject","resource":"arn:aws:s3:::b1/x"}}}}"#,
                policy(n)
            )
        };
        let mut cache = SetCache::default();
        let mut out = Vec::new();
        for n in 0..BYPASS_AFTER as usize {
            assert!(fast_line(&line(n + 100), &mut cache, &mut out).is_some());
        }
        assert_eq!(cache.misses_in_a_row, BYPASS_AFTER);
        for _ in 0..3 * PROBE_EVERY {
            assert!(fast_line(&line(1), &mut cache, &mut out).is_some());
        }
        assert_eq!(cache.misses_in_a_row, 0);
        assert!(!cache.bypass());
    }

    // After a run of misses the cache is skipped, but one line in
    // PROBE_EVERY still looks it up, and a hit turns the cache back on.
    #[test]
    fn cache_is_bypassed_after_misses_and_probed() {
        let mut cache = SetCache::default();
        for n in 0..BYPASS_AFTER as usize {
            assert!(!cache.bypass(), "miss {n}: still below the threshold");
            lookup(&mut cache, &policy(n));
        }
        let skipped = (0..PROBE_EVERY).take_while(|_| cache.bypass()).count();
        assert_eq!(skipped, PROBE_EVERY as usize - 1);
        // The probe finds a set seen before (not the last one): back to caching.
        lookup(&mut cache, &policy(0));
        assert!((0..2 * PROBE_EVERY).all(|_| !cache.bypass()));
    }
}
