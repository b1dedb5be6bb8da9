//! Runs the IAM evaluator's batch mode: JSON lines on stdin, answers on stdout,
//! counts on stderr. Used by `tests/differential/run.mjs`.

use std::io::{stdin, stdout, BufWriter};

fn main() {
    let out = BufWriter::new(stdout().lock());
    match mlrole::simulate::run_batch(stdin().lock(), out) {
        Ok(stats) => eprintln!("{stats:?}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
