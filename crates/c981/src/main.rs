//! `c981`: see the crate documentation of the library for the commands.

fn main() -> std::process::ExitCode {
    c981::main()
}
