// mimalloc: policy compilation in batch mode is allocation-heavy (many small,
// short-lived vectors and strings per line); glibc malloc/free took about a
// third of the CPU time there. Its v2 line, because v3 sets up and tears down
// more at every start: about 0.9 ms of a one-role `generate`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(mlrole::cli::main());
}
