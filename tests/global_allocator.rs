//! The process allocator as the binary installs it, used the way a command uses it and then
//! across threads. Without libtest's harness (`harness = false` in Cargo.toml), so that `main`
//! runs on the thread that made the first allocation and owns the arena, as `mlrole generate`'s
//! main thread does: the arena's own test covers its blocks, this one the glue in
//! `src/allocator.rs` (which allocator a block goes to and comes back from, moves, and blocks
//! that change threads).

use std::sync::mpsc;
use std::thread;

#[global_allocator]
static GLOBAL: mlrole::allocator::ChosenAllocator = mlrole::allocator::ChosenAllocator;

/// A deterministic byte pattern for block `seed`, so any block's bytes can be checked later; a
/// shorter pattern is a prefix of a longer one. Copied in slices of a 251-byte cycle: a loop per
/// byte made this test take seconds without optimizations.
fn pattern(seed: usize, len: usize) -> Vec<u8> {
    let cycle: Vec<u8> = (0..251)
        .map(|i| (seed.wrapping_mul(31) ^ i) as u8)
        .collect();
    let mut block = Vec::with_capacity(len);
    while block.len() < len {
        let take = (len - block.len()).min(cycle.len());
        block.extend_from_slice(&cycle[..take]);
    }
    block
}

fn check(block: &[u8], seed: usize) {
    let expected = pattern(seed, block.len());
    assert!(
        block == expected.as_slice(),
        "block {seed} of {} bytes changed",
        block.len()
    );
}

/// Many blocks of every class made, grown, shrunk and freed on one thread, in an order that
/// exercises list reuse, the moving front and moves between classes; every live block's bytes
/// are checked every sixteen rounds and at the end.
fn one_thread_churn(rounds: usize) {
    let mut live: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut seed = 0usize;
    for round in 0..rounds {
        // Sizes from a few bytes past the arena's largest class (1 MiB).
        let len = match round % 7 {
            0 => round % 40,
            1 => 100 + round % 900,
            2 => 1000 + round % 3000,
            3 => 6_000 + round,
            4 if round == 4 => (1 << 20) + 17,
            4 => 20_000,
            _ => round % 200,
        };
        seed += 1;
        live.push((seed, pattern(seed, len)));
        if round % 3 == 0 {
            // Grow one block past its class, shrink another (a move, or in place).
            let index = round % live.len();
            let (block_seed, block) = &mut live[index];
            // Doubling, but never past the largest size above: blocks picked again and again
            // would otherwise grow without bound.
            let new_len = (block.len() * 2 + 33).min((1 << 20) + 64);
            let new_seed = seed + 1_000_000;
            block.resize(new_len, 0);
            check(&block[..new_len / 2 - 16], *block_seed);
            *block = pattern(new_seed, new_len);
            *block_seed = new_seed;
            if let Some((_, last)) = live.last_mut() {
                last.truncate(last.len() / 2);
                last.shrink_to_fit();
            }
        }
        if round % 4 == 1 || live.len() > 64 {
            // Free from the middle (a list push), then from the end (the front moves back).
            live.swap_remove(round % live.len());
            live.pop();
        }
        if round % 16 == 0 {
            for (block_seed, block) in &live {
                check(block, *block_seed);
            }
        }
    }
    for (block_seed, block) in &live {
        check(block, *block_seed);
    }
}

fn main() {
    one_thread_churn(600);

    // Blocks made on the arena's thread, read, grown and freed on others; blocks made on other
    // threads (the system allocator's) freed here.
    let (to_worker, from_main) = mpsc::channel::<(usize, Vec<u8>)>();
    let (to_main, from_worker) = mpsc::channel::<(usize, Vec<u8>)>();
    let worker = thread::spawn(move || {
        let mut count = 0;
        for (seed, mut block) in from_main {
            check(&block, seed);
            let len = block.len();
            block.extend_from_slice(&pattern(seed, len)[..len.min(64)]);
            check(&block[..len], seed);
            drop(block);
            let made_here = seed + 500_000;
            to_main
                .send((made_here, pattern(made_here, 10 + seed % 3000)))
                .unwrap();
            count += 1;
        }
        one_thread_churn(200);
        count
    });
    for seed in 1..=400 {
        to_worker
            .send((seed, pattern(seed, 1 + seed * 37 % 5000)))
            .unwrap();
        if seed % 10 == 0 {
            one_thread_churn(5);
        }
    }
    drop(to_worker);
    let mut returned = 0;
    for (seed, block) in from_worker {
        check(&block, seed);
        returned += 1;
    }
    assert_eq!(worker.join().unwrap(), 400);
    assert_eq!(returned, 400);
    one_thread_churn(300);
    println!("global allocator: blocks kept their bytes on one thread and across two");
}
