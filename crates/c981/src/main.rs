//! `c981`: see the crate documentation of the library for the commands.

/// mimalloc instead of the system allocator: the import path allocates and frees per row on
/// several threads, where glibc malloc spent about a third of the CPU time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    c981::main()
}
