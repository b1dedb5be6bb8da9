// mimalloc for `simulate`, the system allocator for the other commands, chosen per process:
// see src/allocator.rs.
#[global_allocator]
static GLOBAL: mlrole::allocator::ChosenAllocator = mlrole::allocator::ChosenAllocator;

fn main() {
    std::process::exit(mlrole::cli::main());
}
