// mimalloc: policy compilation in batch mode is allocation-heavy (many small,
// short-lived vectors and strings per line); glibc malloc/free took about a
// third of the CPU time there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(mlrole::cli::main());
}
