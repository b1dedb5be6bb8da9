//! The global allocator, chosen once per process from the command line.
//!
//! `simulate` and `generate --spec-dir` get mimalloc: batch mode allocates many small,
//! short-lived values per line, where glibc's malloc/free took about a third of the time, and
//! `--spec-dir` builds many roles on all cores (1,000 specs on tmpfs: 407 ms, 592 ms with glibc).
//!
//! Every other command is a short run that builds some data once and exits. Those get the arena
//! of [`arena`]: size classes carved from one mapped region, used by the thread that started the
//! process, with the system allocator behind it for what it does not serve (other threads,
//! blocks over 1 MiB or aligned to more than 16, a full region). Against glibc's malloc, a Data
//! Scientist `generate` went from 12.6 M to 10.2 M instructions with as many page faults, and
//! from 5.27 to 4.46 ms (median of 300 interleaved runs). mimalloc is the wrong choice there:
//! it starts a page of its own for every size class, and touched 462 fresh pages against
//! glibc's 372.
//!
//! The choice is made by the first allocation, before it returns, and never changes; the
//! arena knows its blocks by address, so every block is freed by the allocator that made it.

mod arena;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// The process's allocator: mimalloc, the arena or the system's, see the module documentation.
pub struct ChosenAllocator;

const UNDECIDED: u8 = 0;
const SYSTEM: u8 = 1;
const MIMALLOC: u8 = 2;
const ARENA: u8 = 3;

static CHOICE: AtomicU8 = AtomicU8::new(UNDECIDED);

/// The arena of one-shot commands (see [`arena`]).
static SHORT_RUN: arena::Arena = arena::Arena::empty();

thread_local! {
    /// True on the one thread that may use the arena: the one that made the first allocation.
    /// A constant thread-local without a destructor is a plain TLS load, and never allocates.
    static ARENA_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread may use the arena.
#[inline(always)]
fn arena_thread() -> bool {
    ARENA_THREAD.with(Cell::get)
}

/// Address space reserved for the arena: untouched pages cost nothing, and what does not fit
/// comes from the system allocator.
const ARENA_RESERVED: usize = 8 << 20;

/// Maps the arena's region; false when the system refuses (the system allocator is used then).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn reserve_arena() -> bool {
    use rustix::mm::{mmap_anonymous, MapFlags, ProtFlags};
    // SAFETY: a fresh private anonymous mapping at an address of the kernel's choosing aliases
    // nothing.
    let mapped = unsafe {
        mmap_anonymous(
            std::ptr::null_mut(),
            ARENA_RESERVED,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE | MapFlags::NORESERVE,
        )
    };
    let Ok(base) = mapped else {
        return false;
    };
    // SAFETY: the mapping is ours alone, page-aligned, and no block has been handed out yet
    // (this runs inside the first allocation).
    unsafe { SHORT_RUN.set_region(base.cast(), ARENA_RESERVED) };
    ARENA_THREAD.with(|mine| mine.set(true));
    true
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn reserve_arena() -> bool {
    false
}

/// The process's allocator. Inlined into every allocation and free: one load and a compare, the
/// choice itself made once, out of line.
#[inline(always)]
fn choice() -> u8 {
    match CHOICE.load(Ordering::Acquire) {
        UNDECIDED => decide(),
        chosen => chosen,
    }
}

/// Makes the choice, on the first allocation.
#[cold]
#[inline(never)]
fn decide() -> u8 {
    // One thread decides (the arena must be mapped once, and belongs to that thread); any other
    // that arrives meanwhile waits for the choice. In practice the first allocation is made by
    // the runtime's start-up, before any other thread exists.
    static DECIDING: AtomicBool = AtomicBool::new(false);
    if DECIDING
        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        loop {
            match CHOICE.load(Ordering::Acquire) {
                UNDECIDED => std::hint::spin_loop(),
                chosen => return chosen,
            }
        }
    }
    let wanted = if wants_mimalloc() {
        MIMALLOC
    } else if reserve_arena() {
        ARENA
    } else {
        SYSTEM
    };
    CHOICE.store(wanted, Ordering::Release);
    wanted
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

// SAFETY: every call goes to one of three sound allocators, and always to the same one: the
// choice is fixed before the first block is handed out and never changes afterwards. Blocks the
// arena could not hold come from the system allocator, and `arena::owns` tells them apart.
unsafe impl GlobalAlloc for ChosenAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match choice() {
            MIMALLOC if naturally_aligned(layout.align(), layout.size()) => {
                libmimalloc_sys::mi_malloc(layout.size()).cast()
            }
            MIMALLOC => mimalloc::MiMalloc.alloc(layout),
            ARENA => match arena_thread().then(|| SHORT_RUN.alloc(layout)).flatten() {
                Some(block) => block,
                None => System.alloc(layout),
            },
            _ => System.alloc(layout),
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match choice() {
            MIMALLOC if naturally_aligned(layout.align(), layout.size()) => {
                libmimalloc_sys::mi_zalloc(layout.size()).cast()
            }
            MIMALLOC => mimalloc::MiMalloc.alloc_zeroed(layout),
            ARENA => match arena_thread().then(|| SHORT_RUN.alloc(layout)).flatten() {
                Some(block) => {
                    // A block given back and handed out again is not zero.
                    block.write_bytes(0, layout.size());
                    block
                }
                None => System.alloc_zeroed(layout),
            },
            _ => System.alloc_zeroed(layout),
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match choice() {
            MIMALLOC => libmimalloc_sys::mi_free(ptr.cast()),
            ARENA if SHORT_RUN.owns(ptr) => {
                // Another thread's free of an arena block is left undone: the arena is not
                // shared, and a one-shot command's leak ends with it.
                if arena_thread() {
                    SHORT_RUN.dealloc(ptr, layout)
                }
            }
            _ => System.dealloc(ptr, layout),
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match choice() {
            MIMALLOC if naturally_aligned(layout.align(), new_size) => {
                libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast()
            }
            MIMALLOC => mimalloc::MiMalloc.realloc(ptr, layout, new_size),
            ARENA if SHORT_RUN.owns(ptr) => {
                if arena_thread() && SHORT_RUN.resize_in_place(ptr, layout.size(), new_size) {
                    return ptr;
                }
                // SAFETY (for the caller's contract): `new_size` with the old alignment is a
                // valid layout, as `GlobalAlloc::realloc` requires of its caller.
                let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                let moved = self.alloc(new_layout);
                if !moved.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                    if arena_thread() {
                        SHORT_RUN.dealloc(ptr, layout);
                    }
                }
                moved
            }
            _ => System.realloc(ptr, layout, new_size),
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
