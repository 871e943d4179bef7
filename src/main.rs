//! The `protosync` binary: parse arguments, run, map the outcome to an exit code
//! (0 clean, 1 findings, 2 usage/config/input error).

use clap::Parser;

fn main() {
    let cli = match protosync::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    match protosync::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            // A configured URL's credentials never reach the terminal, whatever quoted it.
            eprintln!(
                "error: {}",
                protosync::forge::redact_urls(&format!("{e:#}"))
            );
            std::process::exit(2);
        }
    }
}
