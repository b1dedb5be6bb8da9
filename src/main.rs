fn main() {
    std::process::exit(mlrole::cli::main());
}
