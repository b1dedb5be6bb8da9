//! The global allocator, chosen once per process from the command line.
//!
//! `simulate` and `generate --spec-dir` get mimalloc: batch mode allocates many small,
//! short-lived values per line, where glibc's malloc/free took about a third of the time, and
//! `--spec-dir` builds many roles on all cores (1,000 specs on tmpfs: 407 ms, 592 ms with glibc). Every
//! other command is a short run that builds some data once and exits, and there the system
//! allocator is faster: it touches fewer fresh pages (a Data Scientist `generate`: 462 page
//! faults against 372) and skips mimalloc's set-up, where mimalloc starts a page of its own for
//! every size class (interleaved: `generate` 4.49 → 4.04 ms, `lint` 3.31 → 2.84 ms, `--version`
//! 1.71 → 1.48 ms median).
//!
//! The choice is made by the first allocation, before it returns, and never changes, so every
//! block is freed by the allocator that made it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, Ordering};

/// The process's allocator: mimalloc or the system's, see the module documentation.
pub struct ChosenAllocator;

const UNDECIDED: u8 = 0;
const SYSTEM: u8 = 1;
const MIMALLOC: u8 = 2;

static CHOICE: AtomicU8 = AtomicU8::new(UNDECIDED);

/// Whether this process uses mimalloc. Inlined into every allocation and free: one load and a
/// compare, the choice itself made once, out of line.
#[inline(always)]
fn use_mimalloc() -> bool {
    match CHOICE.load(Ordering::Acquire) {
        MIMALLOC => true,
        SYSTEM => false,
        _ => decide() == MIMALLOC,
    }
}

/// Makes the choice, on the first allocation.
#[cold]
#[inline(never)]
fn decide() -> u8 {
    let wanted = if wants_mimalloc() { MIMALLOC } else { SYSTEM };
    // Threads racing on their first allocation read the same command line and decide alike;
    // whichever stores first is kept either way.
    match CHOICE.compare_exchange(UNDECIDED, wanted, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => wanted,
        Err(stored) => stored,
    }
}

/// True when the command line names `simulate` or `--spec-dir`. Read from `/proc/self/cmdline`
/// into a buffer on the stack: this runs inside the first allocation, so it must not allocate.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn wants_mimalloc() -> bool {
    use rustix::fs::{open, Mode, OFlags};
    let Ok(fd) = open(
        c"/proc/self/cmdline",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return true;
    };
    let mut buffer = [0u8; 4096];
    let mut filled = 0;
    while filled < buffer.len() {
        match rustix::io::read(&fd, &mut buffer[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(read) => filled += read,
        }
    }
    names_a_long_run(&buffer[..filled])
}

/// Elsewhere mimalloc for every command, as before the choice existed.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn wants_mimalloc() -> bool {
    true
}

/// Whether any argument after the program's name, in NUL-separated `cmdline` form, is
/// `simulate` or starts with `--spec-dir`. An option value that happens to match also counts:
/// it only costs speed.
fn names_a_long_run(cmdline: &[u8]) -> bool {
    cmdline
        .split(|byte| *byte == 0)
        .skip(1)
        .any(|argument| argument == b"simulate" || argument.starts_with(b"--spec-dir"))
}

/// Whether mimalloc's plain `mi_malloc` already returns memory this aligned: it aligns a block of
/// at least `align` bytes to `align` up to 16 (`mi_malloc_is_naturally_aligned` in its
/// `alloc-aligned.c`, the same rule as Rust's own `System`). The mimalloc crate always calls the
/// aligned entry point, which costs several calls more per allocation; most of Rust's
/// allocations are 8-aligned.
#[inline(always)]
fn naturally_aligned(align: usize, size: usize) -> bool {
    align <= 16 && align <= size
}

// SAFETY: every call goes to one of two sound allocators, and always to the same one: the
// choice is fixed before the first block is handed out and never changes afterwards.
unsafe impl GlobalAlloc for ChosenAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !use_mimalloc() {
            System.alloc(layout)
        } else if naturally_aligned(layout.align(), layout.size()) {
            libmimalloc_sys::mi_malloc(layout.size()).cast()
        } else {
            mimalloc::MiMalloc.alloc(layout)
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !use_mimalloc() {
            System.alloc_zeroed(layout)
        } else if naturally_aligned(layout.align(), layout.size()) {
            libmimalloc_sys::mi_zalloc(layout.size()).cast()
        } else {
            mimalloc::MiMalloc.alloc_zeroed(layout)
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if use_mimalloc() {
            libmimalloc_sys::mi_free(ptr.cast())
        } else {
            System.dealloc(ptr, layout)
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !use_mimalloc() {
            System.realloc(ptr, layout, new_size)
        } else if naturally_aligned(layout.align(), new_size) {
            libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast()
        } else {
            mimalloc::MiMalloc.realloc(ptr, layout, new_size)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::names_a_long_run as long;

    #[test]
    fn simulate_and_spec_dir_are_found_among_the_arguments_only() {
        assert!(long(b"mlrole\0simulate\0--batch\0x.jsonl\0"));
        assert!(long(
            b"/usr/bin/mlrole\0--catalog\0dir\0simulate\0--policy\0p.json\0"
        ));
        assert!(long(b"mlrole\0generate\0--spec-dir\0specs\0--out-dir\0o\0"));
        assert!(long(b"mlrole\0generate\0--spec-dir=specs\0"));
        assert!(!long(b"mlrole\0generate\0--persona\0compute\0"));
        assert!(!long(b"simulate\0generate\0"), "the program's own name");
        assert!(!long(b"mlrole\0simulated\0lint\0"));
        assert!(!long(b""));
    }
}
