//! Thin binary: parse the command line, build the runtime, run, map errors to exit codes:
//! 1 when Redis cannot be used or a command fails, 2 for usage and config-file errors.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = qtop::cli::Cli::parse_args();
    // The dashboard runs on one thread: its loop and its Redis tasks take turns, and every
    // thread that allocates gets a malloc arena of its own (a second thread was 3.5 MB of
    // RSS at 10,000 idle queues, benches/RESULTS.md "One thread"). The first poll of many
    // queues is chunked, so keys are drawn between its round trips.
    //
    // `qtop worker` at concurrency 1 handles one job at a time, strictly in turn with Redis:
    // every cross-thread hand-off and wake-up lies on the job's path, so one thread does it
    // all. With more jobs in flight the second thread overlaps their work and wins
    // (benches/RESULTS.md, "Worker at concurrency 1"). `snapshot` reads with one worker;
    // other commands (the demo's producer, the exporter) keep two.
    let one_thread = match &cli.command {
        None => true,
        Some(qtop::cli::Command::Worker(args)) => args.concurrency <= 1,
        Some(_) => false,
    };
    let workers = match cli.command {
        Some(qtop::cli::Command::Snapshot(_)) => 1,
        _ => 2,
    };
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
