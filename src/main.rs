//! Thin binary: parse the command line, build the runtime, run, map errors to exit codes:
//! 1 when Redis cannot be used or a command fails, 2 for usage and config-file errors.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = qtop::cli::Cli::parse_args();
    // The dashboard's loop runs on the main thread and its Redis tasks on one worker: a
    // second worker only adds a malloc arena (~5 MB RSS). Workers and the demo's producer
    // keep two.
    let workers = match cli.command {
        None | Some(qtop::cli::Command::Snapshot(_)) => 1,
        Some(_) => 2,
    };
    // `qtop worker` at concurrency 1 handles one job at a time, strictly in turn with Redis:
    // every cross-thread hand-off and wake-up lies on the job's path, so one thread does it
    // all. With more jobs in flight the second thread overlaps their work and wins
    // (benches/RESULTS.md, "Worker at concurrency 1").
    let one_thread =
        matches!(&cli.command, Some(qtop::cli::Command::Worker(args)) if args.concurrency <= 1);
    let built = if one_thread {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
    };
    let runtime = match built {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("qtop: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(qtop::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`qtop snapshot | head`) is the reader's choice, not an error.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        // The contexts file or the chosen context is wrong: a usage error, like clap's.
        Err(error) if error.is::<qtop::cli::contexts::ConfigError>() => {
            eprintln!("qtop: {error}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("qtop: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(|json| json.io_error_kind())
                .is_some_and(|kind| kind == std::io::ErrorKind::BrokenPipe)
    })
}
